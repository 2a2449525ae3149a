import { describe, expect, it } from 'vitest';
import { backward } from '../../src/core/autograd.js';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { Conv2d } from '../../src/nn/conv.js';
import { Flatten } from '../../src/nn/flatten.js';
import { Leaky } from '../../src/nn/leaky-layer.js';
import { Linear } from '../../src/nn/linear.js';
import { AvgPool2d } from '../../src/nn/pool.js';
import { Sequential } from '../../src/nn/sequential.js';
import { type NirGraph, fromNir, toNir } from '../../src/nir/index.js';
import { wasmBuilds } from '../helpers/kernels.js';

// NirModel.forward's inference flag (no backward graph) and its constant input (`steps`: the stateless
// nodes before the first neurons run once): the same results as the full run, bit for bit.

function graph(): NirGraph {
  const rng = new Rng(5);
  const model = new Sequential([
    new Conv2d({ inChannels: 2, outChannels: 3, kernel: 3, inputSize: [8, 8], rng }),
    new AvgPool2d(2),
    new Leaky({ size: 3 * 3 * 3, beta: 0.8, reset: 'zero', threshold: 0.2 }),
    new Flatten(),
    new Linear(27, 4, { rng }),
    new Leaky({ size: 4, beta: 0.8, reset: 'zero', threshold: 0.1 }),
  ]);
  return toNir(model, { inputShape: [2, 8, 8], dt: 1e-4 });
}

describe('NirModel.forward: inference and constant input', () => {
  const [, kernels] = wasmBuilds()[0];
  const T = 9;
  const B = 3;
  const rng = new Rng(2);
  const img = new Float32Array(B * 2 * 8 * 8).map(() => rng.uniform() * 2);
  const seq = new Float32Array(T * img.length);
  for (let t = 0; t < T; t++) seq.set(img, t * img.length);

  it('a constant input given once (steps) runs as the repeated sequence: same spikes and membranes, same gradients', () => {
    const run = (constant: boolean) => {
      const m = fromNir(graph());
      const x = constant ? Tensor.from(img, [B, 2, 8, 8]) : Tensor.from(seq, [T, B, 2, 8, 8]);
      const r = constant ? m.forward(x, { kernels, steps: T }) : m.forward(x, { kernels });
      const out = Object.values(r.outputs)[0];
      backward(
        r.records['5'].v,
        new Float32Array(r.records['5'].v.size).map((_, i) => Math.sin(i)),
      );
      return { r, out, grads: m.parameters().map((p) => Array.from(p.tensor.grad ?? [])) };
    };
    const a = run(false);
    const b = run(true);
    expect(b.out.shape).toEqual(a.out.shape);
    expect(Array.from(b.out.data)).toEqual(Array.from(a.out.data));
    for (const k of Object.keys(a.r.records)) {
      expect(Array.from(b.r.records[k].v.data)).toEqual(Array.from(a.r.records[k].v.data));
      expect(Array.from(b.r.records[k].vAfter.data)).toEqual(Array.from(a.r.records[k].vAfter.data));
    }
    expect(a.r.records['2'].spk!.data.some((v) => v !== 0)).toBe(true);
    a.grads.forEach((g, i) => {
      expect(g.length).toBeGreaterThan(0);
      g.forEach((v, j) => expect(Math.abs(b.grads[i][j] - v)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v))));
    });
  });

  it('inference builds no backward graph and gives the same results; the parameters stay trainable', () => {
    const m = fromNir(graph());
    const x = Tensor.from(seq, [T, B, 2, 8, 8]);
    const a = m.forward(x, { kernels });
    const b = m.forward(x, { kernels, inference: true });
    const c = fromNir(graph(), { inference: true }).forward(Tensor.from(img, [B, 2, 8, 8]), { kernels, steps: T });
    for (const r of [b, c]) {
      for (const k of Object.keys(a.records)) {
        expect(r.records[k].v.requiresGrad).toBe(false);
        expect(Array.from(r.records[k].v.data)).toEqual(Array.from(a.records[k].v.data));
      }
    }
    expect(a.records['5'].v.requiresGrad).toBe(true);
    expect(m.parameters().every((p) => p.tensor.requiresGrad)).toBe(true);
  });

  it('refuses a bad steps and an input with a time axis given with steps', () => {
    const m = fromNir(graph());
    expect(() => m.forward(Tensor.from(img, [B, 2, 8, 8]), { kernels, steps: 0 })).toThrow(/steps must be a positive integer/);
    expect(() => m.forward(Tensor.from(seq, [T, B, 2, 8, 8]), { kernels, steps: T })).toThrow(/takes \[B, 2, 8, 8\]/);
  });
});
