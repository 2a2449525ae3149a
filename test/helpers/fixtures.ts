import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** snnTorch golden fixtures: $SNNTORCH_FIXTURES, else ../shared/fixtures/snntorch beside the repo. */
export const fixtureDir = process.env.SNNTORCH_FIXTURES ?? join(repoRoot, '..', 'shared', 'fixtures', 'snntorch');
export const haveFixtures = existsSync(join(fixtureDir, 'neurons.json'));
if (!haveFixtures) console.warn(`snnTorch fixtures not found in ${fixtureDir}: parity tests are skipped (set SNNTORCH_FIXTURES)`);

/** ../shared (datasets) beside the repo, or $SPIKEFLOW_SHARED. */
export const sharedDir = process.env.SPIKEFLOW_SHARED ?? join(repoRoot, '..', 'shared');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function loadFixture(name: string): any {
  return JSON.parse(readFileSync(join(fixtureDir, `${name}.json`), 'utf8'));
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
