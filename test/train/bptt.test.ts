import { describe, expect, it } from 'vitest';
import { loadFixture, flat, maxAbsDiff, transposeTorch } from '../helpers/fixtures.js';
import { bothKernels } from '../helpers/kernels.js';
import { Tensor } from '../../src/core/tensor.js';
import { Rng } from '../../src/core/rng.js';
import { backward } from '../../src/core/autograd.js';
import { addScalars } from '../../src/ops/index.js';
import { Linear } from '../../src/nn/linear.js';
import { Leaky } from '../../src/nn/leaky-layer.js';
import { Sequential } from '../../src/nn/sequential.js';
import { ceRateLoss, ceMembraneLoss } from '../../src/train/losses.js';
import { atan, fastSigmoid } from '../../src/surrogate/index.js';

/** [out][in] gradient of ours ([in, out]) for comparison with torch. */
function torchLayout(g: Float32Array, nIn: number, nOut: number): number[] {
  const r: number[] = [];
  for (let o = 0; o < nOut; o++) for (let i = 0; i < nIn; i++) r.push(g[i * nOut + o]);
  return r;
}

describe('BPTT matches snnTorch (bptt.json): Linear(8,6)-Leaky(0.9)-Linear(6,3)-Leaky(0.8)', () => {
  const cases = loadFixture('bptt').cases;
  for (const c of cases) {
    for (const [kname, kernels] of bothKernels) {
      it(`${c.surrogate} surrogate (${kname} kernels): outputs, loss and every gradient`, () => {
        const surrogate = c.surrogate === 'atan' ? atan() : fastSigmoid();
        const rng = new Rng(0);
        const fc1 = new Linear(8, 6, { rng });
        const fc2 = new Linear(6, 3, { rng });
        (fc1.weight.data as Float32Array).set(transposeTorch(c.fc1_weight));
        (fc1.bias!.data as Float32Array).set(c.fc1_bias);
        (fc2.weight.data as Float32Array).set(transposeTorch(c.fc2_weight));
        (fc2.bias!.data as Float32Array).set(c.fc2_bias);
        const net = new Sequential([
          fc1,
          new Leaky({ size: 6, beta: c.beta1, surrogate }),
          fc2,
          new Leaky({ size: 3, beta: c.beta2, surrogate }),
        ]);
        const T = c.input.length;
        const r = net.forward({ x: Tensor.from(flat(c.input), [T, 2, 8]), steps: T, constant: false }, kernels);
        const { spk, mem: m } = r.records[1];
        const mem = m!;
        expect(Array.from(spk.data)).toEqual(flat(c.out_spk));
        expect(maxAbsDiff(mem.data, flat(c.out_mem))).toBeLessThan(1e-5);
        const loss = addScalars(ceRateLoss(spk, c.targets), ceMembraneLoss(mem, c.targets, 'mean'));
        expect(Math.abs(loss.item() - c.loss)).toBeLessThan(1e-5);
        backward(loss);
        expect(maxAbsDiff(torchLayout(fc1.weight.grad!, 8, 6), flat(c.grad_fc1_weight))).toBeLessThan(1e-5);
        expect(maxAbsDiff(fc1.bias!.grad!, c.grad_fc1_bias)).toBeLessThan(1e-5);
        expect(maxAbsDiff(torchLayout(fc2.weight.grad!, 6, 3), flat(c.grad_fc2_weight))).toBeLessThan(1e-5);
        expect(maxAbsDiff(fc2.bias!.grad!, c.grad_fc2_bias)).toBeLessThan(1e-5);
      });
    }
  }
});
