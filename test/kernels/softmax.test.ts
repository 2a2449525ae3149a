import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import { createWasmKernelsSync } from '../../src/kernels/wasm.js';
import { referenceKernels as ref } from '../../src/kernels/reference.js';
import { crossEntropyOverTime } from '../../src/train/losses.js';
import { backward } from '../../src/core/autograd.js';

// The softmax rows of the cross-entropy (crossEntropyOverTime): the WASM kernel computes e^x by the
// fdlibm method that Math.exp uses, so its probabilities, row maxima and sums are the reference's
// (TypeScript, Math.exp) bit for bit, on millions of exponentials over every range the rows reach
// (ordinary logits, spreads that underflow to subnormals and to zero, infinities and NaN).

const wasm = createWasmKernelsSync({ threads: 1, relaxed: false });

/** Index of the first element that differs (Object.is: NaN equals NaN, +0 differs from -0), or -1. */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}
const expectSame = (got: ArrayLike<number>, want: ArrayLike<number>, what: string) => {
  const i = firstDiff(got, want);
  expect(i, `${what}: element ${i}: ${got[i]} vs ${want[i]}`).toBe(-1);
};

/** Rows of C logits at a scale (the spread the exponentials see), with a few specials mixed in. */
function rows(n: number, C: number, rng: Rng, scale: number, specials = false): Float32Array {
  const x = new Float32Array(n * C).map(() => (rng.uniform() * 2 - 1) * scale);
  if (specials) {
    const odd = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 3.4e38, -3.4e38, 1e-45];
    for (let i = 0; i < n; i += 3) x[i * C + Math.floor(rng.uniform() * C)] = odd[Math.floor(rng.uniform() * odd.length)];
  }
  return x;
}

function both(x: Float32Array, n: number, C: number) {
  const out = [wasm, ref].map((k) => {
    const probs = new Float32Array(n * C);
    const stat = new Float64Array(2 * n);
    k.softmaxRows(x, probs, stat, n, C);
    return { probs, stat };
  });
  return { got: out[0], want: out[1] };
}

describe('softmaxRows: the WASM kernel gives the reference bits', () => {
  const cases: Array<[string, number, number, boolean]> = [
    ['ordinary logits', 3, 0, false],
    ['membranes of a trained readout', 30, 0, false],
    ['spreads whose exponentials are subnormal (e^-708 .. e^-745)', 740, 0, false],
    ['spreads far past underflow, and specials (NaN, infinities, extremes)', 3e5, 0, true],
    ['tiny differences (e^x ~ 1 + x)', 1e-9, 0, false],
  ];
  for (const [name, scale] of cases) {
    it(name, () => {
      const rng = new Rng(Math.round(Math.log10(scale) * 100) + 1000);
      for (const C of [1, 2, 10, 37]) {
        const n = Math.ceil(400_000 / C);
        const x = rows(n, C, rng, scale, name.includes('specials'));
        const { got, want } = both(x, n, C);
        expectSame(got.probs, want.probs, `probs, C ${C}`);
        expectSame(got.stat, want.stat, `stat, C ${C}`);
      }
    });
  }

  it('exponentials over the whole non-positive range, one per row (z = 1 + e^-d)', () => {
    // rows [0, -d]: m = 0, z = e^0 + e^-d, so z carries e^-d's bits wherever it is above 2^-53
    const n = 1_000_000;
    const x = new Float32Array(2 * n);
    const rng = new Rng(3);
    for (let r = 0; r < n; r++) x[2 * r + 1] = -(r < n / 2 ? rng.uniform() * 40 : rng.uniform() * 800);
    const { got, want } = both(x, n, 2);
    expectSame(got.stat, want.stat, 'stat');
    expectSame(got.probs, want.probs, 'probs');
  });

  it('a hand-computed row: softmax of [0, ln 3] is [1/4, 3/4]', () => {
    const probs = new Float32Array(2);
    const stat = new Float64Array(2);
    wasm.softmaxRows(Float32Array.of(0, Math.log(3)), probs, stat, 1, 2);
    expect(probs[0]).toBeCloseTo(0.25, 6);
    expect(probs[1]).toBeCloseTo(0.75, 6);
    expect(stat[0]).toBe(Math.fround(Math.log(3)));
    expect(stat[1]).toBeCloseTo(4 / 3, 6);
  });

  it('rejects wrong lengths and bad targets alike in both', () => {
    for (const k of [wasm, ref]) {
      expect(() => k.softmaxRows(new Float32Array(5), new Float32Array(6), new Float64Array(4), 2, 3)).toThrow(
        /softmaxRows: x has 5 elements, expected 6/,
      );
      expect(() => k.softmaxRows(new Float32Array(6), new Float32Array(6), new Float64Array(3), 2, 3)).toThrow(ShapeError);
      expect(() => k.softmaxRowsBackward(new Float32Array(6), new Float32Array(6), Int32Array.of(0), 2, 2, 3, 1)).toThrow(
        /softmaxRowsBackward: targets has 1 elements, expected 2/,
      );
      expect(() => k.softmaxRowsBackward(new Float32Array(9), new Float32Array(9), Int32Array.of(0, 1), 3, 2, 3, 1)).toThrow(
        /3 rows are not whole batches of 2/,
      );
      expect(() => k.softmaxRowsBackward(new Float32Array(6), new Float32Array(6), Int32Array.of(3), 2, 1, 3, 1)).toThrow(ValueError);
    }
  });
});

describe('softmaxRowsBackward and crossEntropyOverTime: the same bits on every Kernels', () => {
  it('the gradient update', () => {
    const rng = new Rng(11);
    const [rowsN, B, C] = [3200, 128, 10];
    const probs = new Float32Array(rowsN * C).map(() => rng.uniform());
    const gx0 = new Float32Array(rowsN * C).map(() => rng.normal());
    const targets = Int32Array.from({ length: B }, () => Math.floor(rng.uniform() * C));
    for (const g of [1 / 128, -0.37, 1e-30]) {
      const [a, b] = [gx0.slice(), gx0.slice()];
      wasm.softmaxRowsBackward(a, probs, targets, rowsN, B, C, g);
      ref.softmaxRowsBackward(b, probs, targets, rowsN, B, C, g);
      expectSame(a, b, `g ${g}`);
    }
  });

  it('loss and input gradient (sum and mean over time), against each other and a direct computation', () => {
    const rng = new Rng(12);
    const [T, B, C] = [7, 5, 4];
    const data = new Float32Array(T * B * C).map(() => rng.normal() * 4);
    const y = [3, 0, 1, 1, 2];
    for (const reduction of ['sum', 'mean'] as const) {
      const res = [wasm, ref].map((k) => {
        const x = new Tensor(data.slice(), [T, B, C], { requiresGrad: true });
        const loss = crossEntropyOverTime(x, y, reduction, k);
        backward(loss);
        return { loss: loss.data[0], grad: x.grad! };
      });
      expect(res[0].loss).toBe(res[1].loss);
      expectSame(res[0].grad, res[1].grad, reduction);
      // the definition, in float64: sum over t, mean over b of -log softmax(x[t, b])[y_b]
      let want = 0;
      for (let t = 0; t < T; t++)
        for (let b = 0; b < B; b++) {
          const row = Array.from(data.subarray((t * B + b) * C, (t * B + b + 1) * C));
          const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
          want += (lse - row[y[b]]) / B;
        }
      if (reduction === 'mean') want /= T;
      expect(res[0].loss).toBeCloseTo(want, 4);
    }
  });
});
