import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/core/tensor.js';
import { Rng, rateDraw } from '../src/core/rng.js';
import { directEncode, rateEncode } from '../src/encode/index.js';
import { referenceKernels } from '../src/kernels/reference.js';
import { createWasmKernelsSync } from '../src/kernels/wasm.js';

describe('rate (Bernoulli) encoding', () => {
  it('fires with probability p per step (binomial bounds), deterministically per seed', () => {
    const ps = [0, 0.05, 0.3, 0.5, 0.9, 1];
    const T = 4000;
    const seq = rateEncode(Tensor.from(ps, [1, 6]), T, new Rng(1));
    expect(seq.x.shape).toEqual([T, 1, 6]);
    expect(seq.x.isSpikes).toBe(true);
    ps.forEach((p, i) => {
      let n = 0;
      for (let t = 0; t < T; t++) n += seq.x.data[t * 6 + i];
      const sd = Math.sqrt(T * p * (1 - p));
      expect(Math.abs(n - T * p)).toBeLessThanOrEqual(4 * sd + 1e-9); // exact for p = 0 and p = 1
    });
    const again = rateEncode(Tensor.from(ps, [1, 6]), T, new Rng(1));
    expect(Array.from(again.x.data)).toEqual(Array.from(seq.x.data));
    const other = rateEncode(Tensor.from(ps, [1, 6]), T, new Rng(2));
    expect(Array.from(other.x.data)).not.toEqual(Array.from(seq.x.data));
  });
  it('applies the gain and clips to [0, 1]', () => {
    const seq = rateEncode(Tensor.from([0.4, 2, -1], [1, 3]), 500, new Rng(3), 2.5);
    const rate = (i: number) => Array.from({ length: 500 }, (_, t) => seq.x.data[t * 3 + i]).reduce((a, b) => a + b, 0) / 500;
    expect(rate(0)).toBe(1); // 0.4 * 2.5 = 1
    expect(rate(1)).toBe(1);
    expect(rate(2)).toBe(0);
  });
  it('rejects a bad step count or gain', () => {
    expect(() => rateEncode(Tensor.from([0.5]), 0, new Rng(1))).toThrow(/steps/);
    expect(() => rateEncode(Tensor.from([0.5]), 3, new Rng(1), -1)).toThrow(/gain/);
  });
});

describe('direct encoding', () => {
  it('passes the values through as a constant-in-time input (computed once downstream)', () => {
    const x = Tensor.from([0.1, 0.2], [1, 2]);
    const seq = directEncode(x, 25);
    expect(seq.constant).toBe(true);
    expect(seq.steps).toBe(25);
    expect(seq.x).toBe(x);
  });
});

/** The mixer of rateDraw in exact integer arithmetic (BigInt), written from its definition. */
function mixBig(h: bigint): bigint {
  const M = (1n << 32n) - 1n;
  h ^= h >> 16n;
  h = (h * 0x21f0aaadn) & M;
  h ^= h >> 15n;
  h = (h * 0x735a2d97n) & M;
  return h ^ (h >> 15n);
}
const drawBig = (k0: number, k1: number, c: number) => Number(mixBig(mixBig(BigInt(c ^ k0) & 0xffffffffn) ^ BigInt(k1)));

describe('rate encoding draws (counter-based, one key per sample)', () => {
  it('rateDraw is mix(mix(c ^ k0) ^ k1), a bijection of the counter for a fixed key', () => {
    for (const [k0, k1, c] of [
      [0, 0, 0],
      [1, 2, 3],
      [0xdeadbeef, 0x12345678, 784 * 25 - 1],
      [0xffffffff, 0xffffffff, 2 ** 32 - 1],
    ]) {
      expect(rateDraw(k0, k1, c)).toBe(drawBig(k0, k1, c));
    }
    const seen = new Set<number>();
    for (let c = 0; c < 50000; c++) seen.add(rateDraw(7, 9, c));
    expect(seen.size).toBe(50000);
  });

  for (const kernels of [referenceKernels, createWasmKernelsSync()]) {
    it(`${kernels.name}: rateEncode keys each sample with two nextU32 draws; value i of sample s fires at t when rateDraw(key, t * f + i) < p * 2^32`, () => {
      const vals = Float32Array.of(0, 0.3, 1, 0.999, -0.2, 0.5, 2, 0.01, 0.7, 0.25);
      const steps = 40,
        S = 2,
        f = 5;
      const rng = new Rng(9);
      const seq = rateEncode(new Tensor(vals, [S, f]), steps, rng, 1, kernels);
      const r = new Rng(9);
      const keys = Array.from({ length: 2 * S }, () => r.nextU32());
      expect([...seq.keys]).toEqual(keys);
      expect(seq.x.shape).toEqual([steps, S, f]);
      for (let t = 0; t < steps; t++) {
        for (let s = 0; s < S; s++) {
          for (let i = 0; i < f; i++) {
            const p = vals[s * f + i];
            const want = p >= 1 ? 1 : p > 0 ? (drawBig(keys[2 * s], keys[2 * s + 1], t * f + i) < p * 4294967296 ? 1 : 0) : 0;
            expect(seq.x.data[(t * S + s) * f + i]).toBe(want);
          }
        }
      }
      // the caller's generator continues right after the keys
      for (let i = 0; i < 5; i++) expect(rng.nextU32()).toBe(r.nextU32());
      expect(() => rateEncode(new Tensor(Float32Array.of(0.2, NaN), [2]), 3, rng, 1, kernels).x).toThrow(/input value 1 is NaN/);
    });
  }

  it('the WASM kernel equals the reference on MNIST-like data, odd sizes, with a gain', () => {
    const wasm = createWasmKernelsSync();
    const src = new Rng(4);
    for (const [samples, f, steps, gain] of [
      [1, 1, 1, 1],
      [3, 37, 3, 0.7],
      [5, 784, 25, 1],
      [2, 1001, 7, 2.5],
    ] as const) {
      const n = samples * f;
      const x = Float32Array.from({ length: n }, () => {
        const u = src.uniform();
        return u < 0.6 ? 0 : u < 0.7 ? 1 : src.uniform();
      });
      const keys = new Uint32Array(2 * samples);
      src.fillU32(keys);
      const o1 = new Uint8Array(steps * n).fill(7),
        o2 = new Uint8Array(steps * n).fill(7);
      expect(referenceKernels.rateSpikes(x, keys, samples, steps, gain, o1)).toBe(-1);
      expect(wasm.rateSpikes(x, keys, samples, steps, gain, o2)).toBe(-1);
      expect(o2).toEqual(o1);
      x[n - 1] = NaN;
      for (const k of [referenceKernels, wasm]) expect(k.rateSpikes(x, keys, samples, steps, gain, o1)).toBe(n - 1);
    }
    for (const k of [referenceKernels, wasm]) {
      expect(() => k.rateSpikes(new Float32Array(6), new Uint32Array(4), 2, 2, 1, new Uint8Array(5))).toThrow(
        /out has 5 elements, expected 12/,
      );
      expect(() => k.rateSpikes(new Float32Array(6), new Uint32Array(3), 2, 2, 1, new Uint8Array(12))).toThrow(
        /keys has 3 elements, expected 4/,
      );
      expect(() => k.rateSpikes(new Float32Array(7), new Uint32Array(4), 2, 2, 1, new Uint8Array(14))).toThrow(
        /7 values do not split into 2 samples/,
      );
    }
  });

  it('a slice of a rate sequence draws the same spikes as those rows of the whole', () => {
    const x = Tensor.from(
      Array.from({ length: 6 * 9 }, (_, i) => (i % 7) / 6),
      [6, 9],
    );
    const seq = rateEncode(x, 11, new Rng(5));
    const part = seq.slice(2, 5);
    expect(part.x.shape).toEqual([11, 3, 9]);
    for (let t = 0; t < 11; t++) for (let j = 0; j < 27; j++) expect(part.x.data[t * 27 + j]).toBe(seq.x.data[(t * 6 + 2) * 9 + j]);
  });

  it('spikes are independent across steps, neighbouring values and samples (p = 0.5: pair rates 1/4)', () => {
    const S = 400,
      f = 64,
      T = 50;
    const seq = rateEncode(new Tensor(new Float32Array(S * f).fill(0.5), [S, f]), T, new Rng(12));
    const d = seq.x.data;
    const at = (t: number, s: number, i: number) => d[(t * S + s) * f + i];
    let nStep = 0,
      nVal = 0,
      nSample = 0,
      ones = 0,
      pairs = 0;
    for (let t = 0; t + 1 < T; t++) {
      for (let s = 0; s + 1 < S; s++) {
        for (let i = 0; i + 1 < f; i++) {
          const v = at(t, s, i);
          ones += v;
          nStep += v & at(t + 1, s, i);
          nVal += v & at(t, s, i + 1);
          nSample += v & at(t, s + 1, i);
          pairs++;
        }
      }
    }
    // binomial bounds (4 standard deviations) around 1/2 and 1/4
    expect(Math.abs(ones / pairs - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / pairs));
    for (const n of [nStep, nVal, nSample]) expect(Math.abs(n / pairs - 0.25)).toBeLessThan(4 * Math.sqrt((0.25 * 0.75) / pairs));
  });
});
