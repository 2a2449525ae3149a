import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/core/tensor.js';
import { Rng } from '../src/core/rng.js';
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

describe('rateEncode draws', () => {
  for (const kernels of [referenceKernels, createWasmKernelsSync()]) {
    it(`${kernels.name}: one nextU32 per value strictly inside (0, 1), per step, in index order: u < p * 2^32 fires`, () => {
      const vals = Float32Array.of(0, 0.3, 1, 0.999, -0.2, 0.5, 2, 0.01);
      const steps = 40;
      const rng = new Rng(9);
      const seq = rateEncode(new Tensor(vals, [2, 4]), steps, rng, 1, kernels);
      const r = new Rng(9);
      for (let t = 0; t < steps; t++) {
        for (let i = 0; i < vals.length; i++) {
          const p = vals[i];
          const want = p >= 1 ? 1 : p > 0 ? (r.nextU32() < p * 4294967296 ? 1 : 0) : 0;
          expect(seq.x.data[t * vals.length + i]).toBe(want);
        }
      }
      // the caller's generator continues exactly where the draws stopped
      for (let i = 0; i < 5; i++) expect(rng.nextU32()).toBe(r.nextU32());
      const before = rng.getState();
      expect(() => rateEncode(new Tensor(Float32Array.of(0.2, NaN), [2]), 3, rng, 1, kernels)).toThrow(/input value 1 is NaN/);
      expect([...rng.getState()]).toEqual([...before]); // nothing drawn
    });
  }

  it('the WASM kernel equals the reference on MNIST-like data, odd sizes, with a gain', () => {
    const wasm = createWasmKernelsSync();
    const src = new Rng(4);
    for (const [n, steps, gain] of [[1, 1, 1], [37, 3, 0.7], [784 * 3, 25, 1], [1001, 7, 2.5]] as const) {
      const x = Float32Array.from({ length: n }, () => {
        const u = src.uniform();
        return u < 0.6 ? 0 : u < 0.7 ? 1 : src.uniform();
      });
      const s1 = new Rng(11).getState(), s2 = s1.slice();
      const o1 = new Uint8Array(steps * n).fill(7), o2 = new Uint8Array(steps * n).fill(7);
      expect(referenceKernels.rateEncode(x, steps, gain, s1, o1)).toBe(-1);
      expect(wasm.rateEncode(x, steps, gain, s2, o2)).toBe(-1);
      expect([...s2]).toEqual([...s1]);
      expect(o2).toEqual(o1);
    }
    expect(() => wasm.rateEncode(new Float32Array(3), 2, 1, Uint32Array.of(1, 2, 3, 4), new Uint8Array(5))).toThrow(/out/);
    expect(() => wasm.rateEncode(new Float32Array(3), 2, 1, new Uint32Array(3), new Uint8Array(6))).toThrow(/4 words/);
    for (const k of [referenceKernels, wasm]) expect(() => k.rateEncode(new Float32Array(3), 2, 1, new Uint32Array(4), new Uint8Array(6))).toThrow(/all-zero/);
  });
});
