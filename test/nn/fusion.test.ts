import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { Rng } from '../../src/core/rng.js';
import { backward } from '../../src/core/autograd.js';
import { snnClassifier, csnnClassifier } from '../../src/nn/models.js';
import { runFused, FUSION_RULES, type FusionMode, type FusionStep } from '../../src/nn/fusion.js';
import { directEncode, rateEncode } from '../../src/encode/index.js';
import { fastSigmoid } from '../../src/surrogate/index.js';
import type { ForwardContext, Seq } from '../../src/nn/layer.js';
import { Sequential } from '../../src/nn/sequential.js';
import { Conv2d } from '../../src/nn/conv.js';
import { MaxPool2d } from '../../src/nn/pool.js';
import { bothKernels } from '../helpers/kernels.js';
import type { Kernels } from '../../src/kernels/types.js';

// The fusion pass on its own: which rules a forward takes for a model, an input and a mode; and that the
// fused forward and its backward equal every layer's own forward() (no rules) on the same model.
const T = 4;
const B = 3;
const fc = () => snnClassifier({ inputs: 20, hidden: [12, 9], outputs: 5, beta: 0.85 }, new Rng(3));
const csnn = (side = 20) =>
  csnnClassifier({ input: [1, side, side], channels: [3, 4], outputs: 5, beta: 0.7, surrogate: fastSigmoid() }, new Rng(4));
const pixels = (n: number, seed: number) => {
  const r = new Rng(seed);
  return new Tensor(
    Float32Array.from({ length: B * n }, () => (r.uniform() < 0.4 ? r.uniform() : 0)),
    [B, n],
  );
};
const spikes = (n: number, seed: number) => {
  const r = new Rng(seed);
  return new Tensor(
    Uint8Array.from({ length: T * B * n }, () => (r.uniform() < 0.3 ? 1 : 0)),
    [T, B, n],
  );
};
const dense = (n: number, seed: number) => {
  const r = new Rng(seed);
  return new Tensor(
    Float32Array.from({ length: T * B * n }, () => r.normal()),
    [T, B, n],
  );
};
const inputs: Record<string, (k: Kernels, n: number) => Seq> = {
  direct: (_k, n) => directEncode(pixels(n, 7), T),
  dense: (_k, n) => ({ x: dense(n, 10), steps: T, constant: false }),
  spikes: (_k, n) => ({ x: spikes(n, 8), steps: T, constant: false }),
  rate: (k, n) => rateEncode(pixels(n, 9), T, new Rng(5), 1, k),
};

function plan(model: Sequential, x: Seq, k: Kernels, mode: FusionMode): string[] {
  const steps: FusionStep[] = [];
  const ctx: ForwardContext = {
    kernels: k,
    records: [],
    outputLayer: model.layers[model.layers.length - 1],
    inference: mode !== 'training',
    keepAllMem: mode === 'plain',
  };
  runFused(model.layers, x, ctx, mode, FUSION_RULES, (s) => steps.push(s));
  return steps.map((s) => `${s.rule}:${s.from}-${s.to}`);
}

describe('fusion pass', () => {
  const [, k] = bothKernels[bothKernels.length - 1];
  it('chooses the rules by layers, input and mode', () => {
    // Linear-Leaky-Linear-Leaky-Linear-Leaky
    expect(plan(fc(), inputs.spikes(k, 20), k, 'training')).toEqual([
      'spikes-linear-leaky:0-2',
      'linear:2-3',
      'leaky-offering:3-4',
      'linear:4-5',
      'leaky-offering:5-6',
    ]);
    expect(plan(fc(), inputs.rate(k, 20), k, 'training')).toEqual([
      'spikes-linear-leaky:0-2',
      'linear:2-3',
      'leaky-offering:3-4',
      'linear:4-5',
      'leaky-offering:5-6',
    ]);
    // a dense data sequence (no gradient of its own) fuses like spikes: the currents stay with the kernels
    expect(plan(fc(), inputs.dense(k, 20), k, 'training')).toEqual([
      'spikes-linear-leaky:0-2',
      'linear:2-3',
      'leaky-offering:3-4',
      'linear:4-5',
      'leaky-offering:5-6',
    ]);
    // one that requires a gradient does not
    const needsGrad = dense(20, 11);
    needsGrad.requiresGrad = true;
    expect(plan(fc(), { x: needsGrad, steps: T, constant: false }, k, 'training')[0]).toBe('linear:0-1');
    expect(plan(fc(), inputs.direct(k, 20), k, 'training')).toEqual([
      'linear:0-1',
      'leaky-offering:1-2',
      'linear:2-3',
      'leaky-offering:3-4',
      'linear:4-5',
      'leaky-offering:5-6',
    ]);
    expect(plan(fc(), inputs.spikes(k, 20), k, 'inference')).toEqual(['linear-leaky-linear:0-3', 'leaky-linear:3-5', 'layer:5-6']);
    expect(plan(fc(), inputs.direct(k, 20), k, 'inference')).toEqual(['linear:0-1', 'leaky-linear:1-3', 'leaky-linear:3-5', 'layer:5-6']);
    expect(plan(fc(), inputs.spikes(k, 20), k, 'plain')).toEqual([
      'linear:0-1',
      'layer:1-2',
      'linear:2-3',
      'layer:3-4',
      'linear:4-5',
      'layer:5-6',
    ]);
    // Conv-Pool-Leaky-Conv-Pool-Leaky-Flatten-Linear-Leaky: the second conv sees spikes
    expect(plan(csnn(), inputs.direct(k, 400), k, 'training')).toEqual([
      'layer:0-1',
      'layer:1-2',
      'leaky-offering:2-3',
      'conv-pool:3-5',
      'leaky-offering:5-6',
      'flatten-linear:6-8',
      'leaky-offering:8-9',
    ]);
    // a 1x1 image needs no reordering: Flatten hands its input on unchanged, and the offer with it
    expect(plan(csnn(16), inputs.direct(k, 256), k, 'training')).toEqual([
      'layer:0-1',
      'layer:1-2',
      'leaky-offering:2-3',
      'conv-pool:3-5',
      'leaky-offering:5-6',
      'layer:6-7',
      'linear:7-8',
      'leaky-offering:8-9',
    ]);
  });

  it('a pool window wider than the fused kernels take (17x17) runs the conv and the pool unfused, equal to the reference', () => {
    const conv = new Conv2d({ inChannels: 1, outChannels: 2, kernel: 1, inputSize: [17, 17], rng: new Rng(6) });
    const model = new Sequential([conv, new MaxPool2d(17)]);
    const x = inputs.spikes(k, 289);
    expect(plan(model, x, k, 'training')).toEqual(['layer:0-1', 'layer:1-2']);
    const ctx: ForwardContext = { kernels: k, records: [], outputLayer: model.layers[1], inference: false };
    const y = runFused(model.layers, x, ctx, 'training').x.data;
    // the max over the whole image of (weight * spike + bias) per channel
    const [w, b] = [conv.weight.data, conv.bias!.data];
    const want = new Float32Array(T * B * 2);
    for (let i = 0; i < T * B; i++)
      for (let o = 0; o < 2; o++) {
        let m = -Infinity;
        for (let p = 0; p < 289; p++) m = Math.max(m, Math.fround(x.x.data[i * 289 + p] * w[o] + b[o]));
        want[i * 2 + o] = m;
      }
    expect(Array.from(y)).toEqual(Array.from(want));
  });

  it('a fused forward over a rate-coded input never draws its spikes in JavaScript (the kernels draw them)', () => {
    for (const mode of ['training', 'inference'] as const) {
      const m = fc();
      const x = inputs.rate(k, 20);
      const ctx: ForwardContext = { kernels: k, records: [], outputLayer: m.layers[m.layers.length - 1], inference: mode !== 'training' };
      runFused(m.layers, x, ctx, mode);
      expect((x as unknown as { spikes: unknown }).spikes).toBeNull();
    }
  });

  for (const [name, k] of bothKernels) {
    const cases = [
      ['fc', fc, 20, ['direct', 'spikes', 'rate', 'dense']],
      ['csnn', csnn, 400, ['direct', 'spikes']],
    ] as const;
    for (const [model, make, n, kinds] of cases) {
      for (const kind of kinds) {
        it(`${model}, ${kind} input: fused forward and backward equal each layer's own (${name})`, () => {
          const run = (rules: typeof FUSION_RULES, mode: FusionMode) => {
            const m = make();
            const ctx: ForwardContext = {
              kernels: k,
              records: [],
              outputLayer: m.layers[m.layers.length - 1],
              inference: mode !== 'training',
            };
            const out = runFused(m.layers, inputs[kind](k, n), ctx, mode, rules);
            const grads: number[][] = [];
            if (mode === 'training') {
              const spk = ctx.records[ctx.records.length - 1].spk!;
              backward(
                spk,
                Float32Array.from({ length: spk.size }, (_, i) => Math.sin(i)),
              );
              for (const p of m.parameters()) grads.push(Array.from(p.tensor.grad ?? []));
            }
            return { out: Array.from(out.x.data), spikes: ctx.records.map((r) => r.spikes), grads };
          };
          for (const mode of ['training', 'inference'] as const) {
            const fused = run(FUSION_RULES, mode);
            const plain = run([], mode);
            expect(fused.spikes).toEqual(plain.spikes);
            // a fused inference forward ends after the last Linear (its Leaky is not fused) just like the plain one
            // equal up to float32 rounding of sums taken in another order (relative to the array's scale)
            const close = (a: number[], b: number[]) => {
              expect(a.length).toBe(b.length);
              const scale = Math.max(1e-6, ...b.map(Math.abs));
              a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThanOrEqual(1e-5 * scale));
            };
            close(fused.out, plain.out);
            fused.grads.forEach((g, i) => close(g, plain.grads[i]));
          }
        });
      }
    }
  }
});
