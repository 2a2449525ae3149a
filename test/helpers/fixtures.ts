import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The snnTorch fixture files the parity tests read (see test/fixtures/snntorch/README.md). */
export const fixtureNames = ['neurons', 'surrogates', 'encoders', 'losses', 'bptt', 'temporal'] as const;
/** Those that a set given by $SNNTORCH_FIXTURES must hold (../shared's set has these five; the repo's copy serves the rest). */
const overridable = new Set(['neurons', 'surrogates', 'encoders', 'losses', 'bptt']);
const repoFixtures = join(repoRoot, 'test', 'fixtures', 'snntorch');

/**
 * snnTorch golden fixtures: the repo's test/fixtures/snntorch (made by tools/snntorch-fixtures.py),
 * or $SNNTORCH_FIXTURES (e.g. ../shared/fixtures/snntorch) to run the parity tests against another set.
 */
export const fixtureDir = process.env.SNNTORCH_FIXTURES
  ? resolve(process.env.SNNTORCH_FIXTURES)
  : join(repoRoot, 'test', 'fixtures', 'snntorch');

/** ../shared (datasets) beside the repo, or $SPIKEFLOW_SHARED. */
export const sharedDir = process.env.SPIKEFLOW_SHARED ?? join(repoRoot, '..', 'shared');

// (test fixtures are JSON of several shapes: any)
export function loadFixture(name: (typeof fixtureNames)[number]): any {
  const path = join(overridable.has(name) ? fixtureDir : repoFixtures, `${name}.json`);
  if (!existsSync(path)) {
    const from = process.env.SNNTORCH_FIXTURES ? ` (SNNTORCH_FIXTURES=${process.env.SNNTORCH_FIXTURES})` : '';
    throw new Error(
      `snnTorch fixture ${path} not found${from}; regenerate with tools/snntorch-fixtures.py, see test/fixtures/snntorch/README.md`,
    );
  }
  return JSON.parse(readFileSync(path, 'utf8'));
}

export function flat(x: unknown): number[] {
  return Array.isArray(x) ? x.flatMap(flat) : [x as number];
}

/** Max |a - b|; asserts equal lengths. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** [out][in] (torch) -> flat [in, out] (spikeflow). */
export function transposeTorch(w: number[][]): Float32Array {
  const out = w.length;
  const inn = w[0].length;
  const r = new Float32Array(out * inn);
  for (let o = 0; o < out; o++) for (let i = 0; i < inn; i++) r[i * out + o] = w[o][i];
  return r;
}
