import { describe, expect, it } from 'vitest';
import { bothKernels } from '../helpers/kernels.js';
import { Tensor } from '../../src/core/tensor.js';
import { Rng } from '../../src/core/rng.js';
import { backward } from '../../src/core/autograd.js';
import { linear, sigmoid, relu, scale, addScalars } from '../../src/ops/index.js';
import { crossEntropyOverTime, sumOverTime, maxOverTime, mse, crossEntropy } from '../../src/train/losses.js';
import { leakySequence } from '../../src/neurons/leaky.js';
import { atan } from '../../src/surrogate/index.js';
import { gradcheck, probe } from '../helpers/gradcheck.js';

const rng = new Rng(7);
const randn = (n: number, s = 1) => Float32Array.from({ length: n }, () => rng.normal() * s);

describe('finite-difference gradient checks of every op', () => {
  for (const [kname, k] of bothKernels) {
    it(`linear on float input (${kname})`, () => {
      const x = new Tensor(randn(5 * 7), [5, 7], { requiresGrad: true });
      const w = new Tensor(randn(7 * 3), [7, 3], { requiresGrad: true });
      const b = new Tensor(randn(3), [3], { requiresGrad: true });
      const pw = randn(15);
      expect(gradcheck(() => probe(linear(x, w, b, k), pw), [x, w, b])).toBe(35 + 21 + 3);
    });
    it(`linear on spike input equals the float path, gradients included (${kname})`, () => {
      const s = Uint8Array.from({ length: 6 * 9 }, () => (rng.uniform() < 0.3 ? 1 : 0));
      const w = new Tensor(randn(9 * 4), [9, 4], { requiresGrad: true });
      const b = new Tensor(randn(4), [4], { requiresGrad: true });
      const pw = randn(24);
      const xs = new Tensor(s, [6, 9], { requiresGrad: true });
      backward(probe(linear(xs, w, b, k), pw));
      const gw = w.grad!.slice();
      const gb = b.grad!.slice();
      w.grad = null;
      b.grad = null;
      const xf = new Tensor(Float32Array.from(s), [6, 9], { requiresGrad: true });
      backward(probe(linear(xf, w, b, k), pw));
      for (let i = 0; i < gw.length; i++) expect(gw[i]).toBeCloseTo(w.grad![i], 5);
      for (let i = 0; i < gb.length; i++) expect(gb[i]).toBeCloseTo(b.grad![i], 5);
      for (let i = 0; i < xs.grad!.length; i++) expect(xs.grad![i]).toBeCloseTo(xf.grad![i], 5);
      gradcheck(() => probe(linear(xs, w, b, k), pw), [w, b]);
    });
  }
  it('sigmoid, relu, scale, addScalars', () => {
    const x = new Tensor(randn(11, 2), [11], { requiresGrad: true });
    const pw = randn(11);
    expect(gradcheck(() => addScalars(probe(sigmoid(x), pw), probe(scale(relu(x), 0.7), pw)), [x], 1e-3)).toBeGreaterThan(8);
  });
  it('cross-entropy over time, sum and mean', () => {
    const x = new Tensor(randn(3 * 4 * 5), [3, 4, 5], { requiresGrad: true });
    expect(gradcheck(() => crossEntropyOverTime(x, [0, 4, 2, 2], 'sum'), [x], 1e-3)).toBe(60);
    expect(gradcheck(() => crossEntropyOverTime(x, [1, 3, 0, 4], 'mean'), [x], 1e-3)).toBe(60);
  });
  for (const reset of ['subtract', 'zero', 'none'] as const) {
    for (const constInput of [false, true]) {
      for (const [kname, k] of bothKernels) {
        it(`leaky sequence, membrane path: input and learnable beta (reset ${reset}, constInput ${constInput}, ${kname})`, () => {
          const T = 6,
            B = 2,
            H = 3;
          const input = new Tensor(randn((constInput ? 1 : T) * B * H, 0.6), constInput ? [B, H] : [T, B, H], { requiresGrad: true });
          const p = new Tensor(randn(H, 0.5), [H], { requiresGrad: true });
          const pw = randn(T * B * H);
          const run = () =>
            leakySequence(input, { steps: T, constInput, beta: sigmoid(p), threshold: 0.8, reset, surrogate: atan(), kernels: k });
          const base = Array.from(run().spk.data).join('');
          // The membrane is piecewise linear in input and smooth in beta while no spike flips.
          const n = gradcheck(
            () => probe(run().mem, pw),
            [input, p],
            1e-3,
            2e-3,
            () => Array.from(run().spk.data).join('') === base,
          );
          expect(n).toBeGreaterThan(input.size / 2);
          expect(base).toMatch(/1/);
        });
      }
    }
  }
  it('sum and max over time, mse, cross-entropy of logits', () => {
    const x = new Tensor(randn(4 * 3 * 5), [4, 3, 5], { requiresGrad: true });
    const pw = randn(15);
    const target = randn(15);
    expect(gradcheck(() => addScalars(probe(sumOverTime(x), pw), mse(sumOverTime(x), target)), [x], 1e-3)).toBe(60);
    // max over time is smooth where the maximum is unique and ±eps does not change the argmax
    expect(gradcheck(() => crossEntropy(maxOverTime(x), [0, 4, 2]), [x], 1e-3)).toBeGreaterThan(50);
  });
});
