import type { Rng } from '../core/rng.js';
import { ValueError, checkInt } from '../core/errors.js';

export interface Fold {
  train: Int32Array;
  test: Int32Array;
}

/**
 * Stratified k-fold split: the samples of each class are shuffled (seeded) and dealt round-robin
 * into k folds, so every fold has each class in proportion; fold i is the test set of split i.
 * Every sample is in exactly one test set.
 */
export function stratifiedKFold(labels: ArrayLike<number>, k: number, rng: Rng): Fold[] {
  checkInt('folds', k, 2);
  const n = labels.length;
  if (k > n) throw new ValueError(`folds: ${k} folds need at least ${k} samples, found ${n}`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)!.push(i);
  }
  const foldOf = new Int32Array(n);
  let next = 0;
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = byClass.get(c)!;
    const perm = rng.permutation(idx.length);
    for (let j = 0; j < idx.length; j++) foldOf[idx[perm[j]]] = next++ % k;
  }
  return Array.from({ length: k }, (_, f) => {
    const test: number[] = [];
    const train: number[] = [];
    for (let i = 0; i < n; i++) (foldOf[i] === f ? test : train).push(i);
    return { train: Int32Array.from(train), test: Int32Array.from(test) };
  });
}
