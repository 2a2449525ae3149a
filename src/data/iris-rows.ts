import { DataError } from '../core/errors.js';

/** Fisher's Iris: 150 samples, 4 features (sepal length/width, petal length/width in cm), 3 classes. */
export interface TabularSet {
  /** n rows of `features` values. */
  x: Float32Array;
  labels: Uint8Array;
  n: number;
  features: number;
  classes: readonly string[];
  featureNames: readonly string[];
  /** Where the data came from. */
  source: string;
}

export const IRIS_CLASSES = ['setosa', 'versicolor', 'virginica'] as const;
export const IRIS_FEATURES = ['sepal length', 'sepal width', 'petal length', 'petal width'] as const;

/** Checks and converts rows [f1, f2, f3, f4, className]; every problem names the file and row. */
export function irisFromRows(rows: unknown, file: string): TabularSet {
  if (!Array.isArray(rows)) throw new DataError('expected a JSON array of rows [sepal_len, sepal_wid, petal_len, petal_wid, class]', file);
  if (rows.length === 0) throw new DataError('no rows', file);
  const n = rows.length;
  const x = new Float32Array(n * 4);
  const labels = new Uint8Array(n);
  rows.forEach((row, r) => {
    if (!Array.isArray(row) || row.length !== 5)
      throw new DataError(`row ${r}: expected 4 numbers and a class name, found ${JSON.stringify(row)}`, file);
    for (let f = 0; f < 4; f++) {
      const v = row[f];
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new DataError(`row ${r}, ${IRIS_FEATURES[f]}: expected a number, found ${JSON.stringify(v)}`, file);
      x[r * 4 + f] = v;
    }
    const c = IRIS_CLASSES.indexOf(row[4]);
    if (c < 0) throw new DataError(`row ${r}: class must be one of ${IRIS_CLASSES.join(', ')}, found ${JSON.stringify(row[4])}`, file);
    labels[r] = c;
  });
  return { x, labels, n, features: 4, classes: IRIS_CLASSES, featureNames: IRIS_FEATURES, source: file };
}
