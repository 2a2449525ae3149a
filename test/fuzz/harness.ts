// Shared by the fuzz suites: case counts (SPIKEFLOW_FUZZ=long: 10x), per-case seeds from the project's
// Rng, timing of every case, and the one assertion all loaders share: a case succeeds, or throws a
// SpikeflowError whose message names the file, never a JavaScript crash, and no case takes 2 s.
import { Rng } from '../../src/core/rng.js';
import { SpikeflowError } from '../../src/core/errors.js';

export const LONG = process.env.SPIKEFLOW_FUZZ === 'long';
/** Base seed of every suite (override: SPIKEFLOW_FUZZ_SEED) and one case to rerun alone (SPIKEFLOW_FUZZ_CASE). */
export const SEED = Number(process.env.SPIKEFLOW_FUZZ_SEED ?? 20250615) >>> 0;
const ONLY = process.env.SPIKEFLOW_FUZZ_CASE === undefined ? null : Number(process.env.SPIKEFLOW_FUZZ_CASE);

/** A case's count: n, or 10 n in the long mode. */
export const cases = (n: number): number => (LONG ? 10 * n : n);
/** The time a fuzz test may take (vitest's limit): 2 minutes, or 30 in the long mode. */
export const TIMEOUT = LONG ? 1_800_000 : 120_000;

/** The Rng of case i of a suite: the same case from the same seed on every run and platform. */
export function caseRng(suite: number, i: number): Rng {
  return new Rng((Math.imul(SEED ^ suite, 0x9e3779b1) + i) >>> 0);
}

/** Messages that only wrap a JavaScript crash, not a defect a user can act on. */
const CRASH =
  /Cannot read prop|Cannot set prop|is not a function|is not iterable|is not defined|undefined \(reading|Invalid array length|Invalid typed array length|Maximum call stack|Array buffer allocation failed|out of memory|Cannot convert/i;

export interface Outcome {
  ok: boolean;
  error?: unknown;
  ms: number;
}

export interface FuzzSummary {
  cases: number;
  ok: number;
  /** Errors by class name. */
  errors: Record<string, number>;
  maxMs: number;
  slowest: number;
  failures: string[];
}

/** Why an outcome breaks the contract (null when it keeps it): the error's type, its naming of `files`, its text. */
export function contractBreach(o: Outcome, files: readonly string[], maxMs = 2000): string | null {
  if (o.ms >= maxMs) return `took ${o.ms.toFixed(0)} ms (limit ${maxMs})`;
  if (o.ok) return null;
  const e = o.error;
  if (!(e instanceof SpikeflowError)) return `untyped ${(e as Error)?.name ?? typeof e}: ${(e as Error)?.message ?? String(e)}`;
  if (!files.some((f) => e.message.includes(f))) return `${e.name} does not name the file (${files.join(' or ')}): ${e.message}`;
  if (CRASH.test(e.message)) return `${e.name} wraps a crash: ${e.message}`;
  return null;
}

/**
 * Runs `count` cases: make(rng, i) builds case i from its own Rng, run(case) exercises the loader, and
 * check(case, outcome) says what is wrong (null: nothing). Failures name the seed and case so one reproduces
 * alone: SPIKEFLOW_FUZZ_SEED=<seed> SPIKEFLOW_FUZZ_CASE=<i>.
 */
export async function fuzz<C extends { label: string }>(
  suite: number,
  count: number,
  make: (rng: Rng, i: number) => C | Promise<C>,
  run: (c: C) => unknown,
  check: (c: C, o: Outcome) => string | null,
): Promise<FuzzSummary> {
  const s: FuzzSummary = { cases: 0, ok: 0, errors: {}, maxMs: 0, slowest: -1, failures: [] };
  for (let i = 0; i < count; i++) {
    if (ONLY !== null && i !== ONLY) continue;
    const c = await make(caseRng(suite, i), i);
    const t0 = performance.now();
    let o: Outcome;
    try {
      await run(c);
      o = { ok: true, ms: performance.now() - t0 };
    } catch (error) {
      o = { ok: false, error, ms: performance.now() - t0 };
    }
    s.cases++;
    if (o.ok) s.ok++;
    else {
      const name = (o.error as Error)?.constructor?.name ?? typeof o.error;
      s.errors[name] = (s.errors[name] ?? 0) + 1;
    }
    if (o.ms > s.maxMs) [s.maxMs, s.slowest] = [o.ms, i];
    const why = check(c, o);
    if (why !== null && s.failures.length < 20)
      s.failures.push(`case ${i} (SPIKEFLOW_FUZZ_SEED=${SEED} SPIKEFLOW_FUZZ_CASE=${i}) ${c.label}: ${why}`);
  }
  return s;
}

/** One line for the log: counts and the slowest case. */
export function report(name: string, s: FuzzSummary): string {
  const errs = Object.entries(s.errors)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return `${name}: ${s.cases} cases, ${s.ok} loaded, ${errs || 'no errors'}; slowest case ${s.slowest} ${s.maxMs.toFixed(1)} ms`;
}

/** Random helpers over an Rng. */
export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];

/** Flips, overwrites, truncates or extends bytes: the unstructured mutations every binary format gets. */
export function mutateBytes(rng: Rng, b: Uint8Array, region: [number, number] = [0, b.length]): Uint8Array {
  const out = b.slice();
  const [lo, hi] = region;
  const at = () => lo + rng.int(Math.max(1, hi - lo));
  switch (rng.int(6)) {
    case 0: {
      const n = 1 + rng.int(4);
      for (let k = 0; k < n && out.length; k++) out[Math.min(at(), out.length - 1)] ^= 1 << rng.int(8);
      return out;
    }
    case 1: {
      const n = 1 + rng.int(8);
      for (let k = 0; k < n && out.length; k++) out[Math.min(at(), out.length - 1)] = pick(rng, [0, 0xff, 0x7f, 0x80, rng.int(256)]);
      return out;
    }
    case 2:
      return out.subarray(0, rng.int(out.length + 1)).slice();
    case 3: {
      const extra = Uint8Array.from({ length: 1 + rng.int(16) }, () => rng.int(256));
      const r = new Uint8Array(out.length + extra.length);
      r.set(out);
      r.set(extra, out.length);
      return r;
    }
    case 4: {
      const p = Math.min(at(), out.length);
      return Uint8Array.from([...out.subarray(0, p), ...out.subarray(Math.min(out.length, p + 1 + rng.int(8)))]);
    }
    default: {
      const p = Math.min(at(), out.length);
      const ins = Uint8Array.from({ length: 1 + rng.int(8) }, () => rng.int(256));
      return Uint8Array.from([...out.subarray(0, p), ...ins, ...out.subarray(p)]);
    }
  }
}

/** Values a hostile or careless edit puts in a numeric or enum field. */
export const HOSTILE: readonly unknown[] = [
  1e9,
  -1,
  0,
  0.5,
  2.5,
  -0.5,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  1e308,
  -1e308,
  2 ** 28 + 1,
  2 ** 14,
  65536,
  'NaN',
  'Infinity',
  '-Infinity',
  '1e9',
  '5',
  '',
  'banana',
  'subtract',
  'zero',
  'atan',
  null,
  true,
  false,
  [],
  [1],
  [1, 2],
  [3, 3],
  [-1, 5],
  [1e9, 1e9],
  {},
  { name: 'atan' },
  { name: 'banana', param: 1 },
  { name: 'atan', param: 'NaN' },
];
