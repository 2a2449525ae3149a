import { describe, expect, it } from 'vitest';
import { Tensor } from '../src/core/tensor.js';
import { Rng } from '../src/core/rng.js';
import { directEncode, rateEncode } from '../src/encode/index.js';

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
  it('one nextU32 per value strictly inside (0, 1), per step, in index order: u < p * 2^32 fires', () => {
    const vals = Float32Array.of(0, 0.3, 1, 0.999, -0.2, 0.5, 2, 0.01);
    const steps = 40;
    const seq = rateEncode(new Tensor(vals, [2, 4]), steps, new Rng(9));
    const r = new Rng(9);
    for (let t = 0; t < steps; t++) {
      for (let i = 0; i < vals.length; i++) {
        const p = vals[i];
        const want = p >= 1 ? 1 : p > 0 ? (r.nextU32() < p * 4294967296 ? 1 : 0) : 0;
        expect(seq.x.data[t * vals.length + i]).toBe(want);
      }
    }
    expect(() => rateEncode(new Tensor(Float32Array.of(0.2, NaN), [2]), 3, new Rng(1))).toThrow(/input value 1 is NaN/);
  });
});
