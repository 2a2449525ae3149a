import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadIris } from '../../src/data/iris.js';
import { stratifiedKFold } from '../../src/train/kfold.js';
import { Rng } from '../../src/core/rng.js';
import { DataError } from '../../src/core/errors.js';
import { sharedDir } from '../helpers/fixtures.js';

describe('Iris loader', () => {
  it('loads the 150 samples from the npm package: 50 per class, the classic first and last rows', async () => {
    const d = await loadIris();
    expect(d.n).toBe(150);
    expect(d.features).toBe(4);
    expect([0, 1, 2].map((c) => d.labels.filter((l) => l === c).length)).toEqual([50, 50, 50]);
    expect(Array.from(d.x.subarray(0, 4))).toEqual([5.1, 3.5, 1.4, 0.2].map(Math.fround));
    expect(Array.from(d.x.subarray(149 * 4))).toEqual([5.9, 3.0, 5.1, 1.8].map(Math.fround));
    expect(d.labels[149]).toBe(2);
  });

  it.runIf(existsSync(join(sharedDir, 'datasets/iris/iris.json')))('reads the same data from a folder (../shared copy)', async () => {
    const a = await loadIris();
    const b = await loadIris({ dataDir: join(sharedDir, 'datasets/iris') });
    expect(Array.from(b.x)).toEqual(Array.from(a.x));
    expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
  });

  it('names the file and row of bad data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iris-'));
    await expect(loadIris({ dataDir: dir })).rejects.toThrow(/iris\.json: not found/);
    writeFileSync(join(dir, 'iris.json'), '[[5.1, 3.5, 1.4, 0.2, "setosa"], [5.0, "x", 1.4, 0.2, "setosa"]]');
    await expect(loadIris({ dataDir: dir })).rejects.toThrow(/row 1, sepal width: expected a number/);
    writeFileSync(join(dir, 'iris.json'), '[[5.1, 3.5, 1.4, 0.2, "rose"]]');
    await expect(loadIris({ dataDir: dir })).rejects.toThrow(DataError);
    writeFileSync(join(dir, 'iris.json'), '{oops');
    await expect(loadIris({ dataDir: dir })).rejects.toThrow(/not valid JSON/);
  });
});

describe('stratified k-fold', () => {
  it('partitions the samples, keeps class proportions in every fold, and is deterministic per seed', () => {
    const labels = Uint8Array.from({ length: 150 }, (_, i) => Math.floor(i / 50));
    const folds = stratifiedKFold(labels, 5, new Rng(1));
    const seen = new Uint8Array(150);
    for (const f of folds) {
      expect(f.test.length).toBe(30);
      expect(f.train.length).toBe(120);
      for (const i of f.test) seen[i]++;
      for (let c = 0; c < 3; c++) expect(Array.from(f.test).filter((i) => labels[i] === c).length).toBe(10);
      const testSet = new Set(f.test);
      expect(Array.from(f.train).some((i) => testSet.has(i))).toBe(false);
    }
    expect(seen.every((v) => v === 1)).toBe(true);
    expect(stratifiedKFold(labels, 5, new Rng(1)).map((f) => Array.from(f.test))).toEqual(folds.map((f) => Array.from(f.test)));
    expect(stratifiedKFold(labels, 5, new Rng(2))[0].test).not.toEqual(folds[0].test);
    expect(() => stratifiedKFold(labels, 1, new Rng(0))).toThrow(/folds/);
  });
});
