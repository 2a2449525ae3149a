import { describe, expect, it } from 'vitest';
import { gradcheck, probe } from '../helpers/gradcheck.js';
import { Tensor } from '../../src/core/tensor.js';
import { Rng } from '../../src/core/rng.js';
import { ShapeError } from '../../src/core/errors.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { BatchNorm1d, BatchNorm2d } from '../../src/nn/batchnorm.js';
import type { ForwardContext } from '../../src/nn/layer.js';

const rng = new Rng(5);
const randn = (n: number, s = 1) => Float32Array.from({ length: n }, () => rng.normal() * s);
const train: ForwardContext = { kernels: referenceKernels, records: [] };
const infer: ForwardContext = { kernels: referenceKernels, records: [], inference: true };

describe('BatchNorm', () => {
  it('training: each channel normalised by its batch mean and biased variance; running stats as torch updates them', () => {
    // 1d, 2 channels, a batch of 4: channel 0 = 1, 2, 3, 4 (mean 2.5, var 1.25, unbiased 5/3); channel 1 = 0, 0, 0, 8 (mean 2, var 12, unbiased 16)
    const bn = new BatchNorm1d({ channels: 2 });
    bn.weight.data.set([2, 1]);
    bn.bias.data.set([0.5, -1]);
    const x = Tensor.from([1, 0, 2, 0, 3, 0, 4, 8], [4, 2]);
    const y = bn.forward({ x, steps: 1, constant: true }, train).x.data;
    const s0 = Math.sqrt(1.25 + 1e-5);
    const s1 = Math.sqrt(12 + 1e-5);
    const want = [(1 - 2.5) / s0, -2 / s1, (2 - 2.5) / s0, -2 / s1, (3 - 2.5) / s0, -2 / s1, (4 - 2.5) / s0, 6 / s1].map((v, i) =>
      i % 2 === 0 ? v * 2 + 0.5 : v - 1,
    );
    want.forEach((v, i) => expect(y[i]).toBeCloseTo(v, 5));
    expect(bn.runningMean.data[0]).toBeCloseTo(0.25, 6);
    expect(bn.runningMean.data[1]).toBeCloseTo(0.2, 6);
    expect(bn.runningVar.data[0]).toBeCloseTo(0.9 + 0.1 * (5 / 3), 6);
    expect(bn.runningVar.data[1]).toBeCloseTo(0.9 + 0.1 * 16, 6);
  });

  it('inference uses the running statistics: y = (x - mean) / sqrt(var + eps) * weight + bias', () => {
    const bn = new BatchNorm2d({ channels: 3, eps: 1e-3 });
    bn.runningMean.data.set([1, -2, 0.5]);
    bn.runningVar.data.set([4, 0.25, 1]);
    bn.weight.data.set([1, 2, -1]);
    bn.bias.data.set([0, 1, 3]);
    const x = Tensor.from(randn(2 * 2 * 2 * 3), [2, 12]);
    const y = bn.forward({ x, steps: 1, constant: true, image: { c: 3, h: 2, w: 2 } }, infer);
    expect(y.image).toEqual({ c: 3, h: 2, w: 2 });
    for (let i = 0; i < x.size; i++) {
      const c = i % 3;
      const want = ((x.data[i] - bn.runningMean.data[c]) / Math.sqrt(bn.runningVar.data[c] + 1e-3)) * bn.weight.data[c] + bn.bias.data[c];
      expect(y.x.data[i]).toBeCloseTo(want, 5);
    }
    // the running statistics do not move in inference
    expect(Array.from(bn.runningMean.data)).toEqual([1, -2, 0.5]);
  });

  it('training gradients (input, weight, bias) match central differences, 1d and 2d over a time-major sequence', () => {
    for (const bn of [new BatchNorm1d({ channels: 3 }), new BatchNorm2d({ channels: 2 })]) {
      bn.weight.data.set(randn(bn.channels, 0.5).map((v) => v + 1));
      bn.bias.data.set(randn(bn.channels));
      const F = bn.kind === 'batchnorm1d' ? 3 : 2 * 2 * 2;
      const x = new Tensor(randn(2 * 3 * F), [2, 3, F], { requiresGrad: true });
      const image = bn.kind === 'batchnorm2d' ? { c: 2, h: 2, w: 2 } : undefined;
      const w = randn(x.size);
      const f = () => probe(bn.forward({ x, steps: 2, constant: false, image }, train).x, w);
      expect(gradcheck(f, [x, bn.weight, bn.bias], 1e-2, 5e-3)).toBe(x.size + 2 * bn.channels);
    }
  });

  it('refuses inputs that do not fit, naming the layer', () => {
    const x = Tensor.from([1, 2, 3, 4], [2, 2]);
    expect(() => new BatchNorm1d({ channels: 3 }).forward({ x, steps: 1, constant: true }, infer)).toThrow(ShapeError);
    expect(() => new BatchNorm2d({ channels: 2 }).forward({ x, steps: 1, constant: true }, infer)).toThrow(
      'BatchNorm2d: the input is not an image',
    );
    expect(() => new BatchNorm1d({ channels: 2 }).forward({ x: Tensor.from([1, 2], [1, 2]), steps: 1, constant: true }, train)).toThrow(
      'BatchNorm1d: training needs more than one value per channel, found 1',
    );
  });
});
