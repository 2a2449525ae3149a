import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { Conv2d } from '../../src/nn/conv.js';
import { Flatten } from '../../src/nn/flatten.js';
import { Leaky } from '../../src/nn/leaky-layer.js';
import { Linear } from '../../src/nn/linear.js';
import { AvgPool2d } from '../../src/nn/pool.js';
import { Sequential } from '../../src/nn/sequential.js';
import { type NirArray, type NirGraph, fromNir, toNir } from '../../src/nir/index.js';

/** A CSNN whose neurons have per-neuron betas, so the exported LIF arrays are [C, H, W] in NIR's order. */
function graph(): NirGraph {
  const rng = new Rng(4);
  const beta = Float32Array.from({ length: 2 * 4 * 4 }, (_, i) => 0.5 + i / 100);
  const model = new Sequential([
    new Conv2d({ inChannels: 1, outChannels: 2, kernel: 3, inputSize: [10, 10], rng }),
    new AvgPool2d(2),
    new Leaky({ size: 2 * 4 * 4, beta, reset: 'zero', threshold: 0.3 }),
    new Flatten(),
    new Linear(32, 3, { rng }),
    new Leaky({ size: 3, beta: 0.8, reset: 'zero', threshold: 0.2 }),
  ]);
  return toNir(model, { inputShape: [1, 10, 10], dt: 1e-4 });
}

const arrays = (g: NirGraph) =>
  Object.fromEntries(
    [...g.nodes].flatMap(([k, n]) =>
      Object.entries(n)
        .filter(([, v]) => typeof v === 'object' && v !== null && 'data' in v)
        .map(([f, v]) => [`${k}.${f}`, { shape: (v as NirArray).shape, data: Array.from((v as NirArray).data) }]),
    ),
  );

describe('NirModel.toNir', () => {
  it('writes back every array as read (layout and shape) when nothing was trained', () => {
    const g = graph();
    expect(arrays(fromNir(g).toNir())).toEqual(arrays(g));
  });

  it('writes the current values: a changed conv weight, bias and per-neuron tau land at their NIR positions', () => {
    const g = graph();
    // NIR's equations: the neurons' NIR parameters are the trainable ones (by default a node spikeflow
    // exported runs its layer's own dynamics, from the node's metadata)
    const m = fromNir(g, { dynamics: 'nir' });
    const p = Object.fromEntries(m.parameters().map((q) => [q.name, q.tensor]));
    // the im2col operand [kH*kW*C, O]: row (ky*kW + kx)*C + c, column o; here ky=1, kx=2, c=0, o=1
    p['0.weight'].data[(1 * 3 + 2) * 2 + 1] = 7;
    p['0.bias'].data[0] = -3;
    // per-neuron values are stored channels-last: neuron (c=1, y=2, x=3) of [2, 4, 4] is at (2*4 + 3)*2 + 1
    p['2.tau'].data[(2 * 4 + 3) * 2 + 1] = 0.5;
    const out = m.toNir();
    const w = (out.nodes.get('0') as { weight: NirArray }).weight;
    expect(w.data[((1 * 1 + 0) * 3 + 1) * 3 + 2]).toBe(7); // [O=1, C=0, ky=1, kx=2]
    expect((out.nodes.get('0') as { bias: NirArray }).bias.data[0]).toBe(-3);
    const tau = (out.nodes.get('2') as unknown as { tau: NirArray }).tau;
    expect(tau.shape).toEqual([2, 4, 4]);
    expect(tau.data[1 * 16 + 2 * 4 + 3]).toBe(0.5);
    // and the original graph is untouched
    expect((g.nodes.get('0') as { weight: NirArray }).weight.data[((1 * 1 + 0) * 3 + 1) * 3 + 2]).not.toBe(7);
    // fromNir of the written graph runs what the changed model runs
    const x = new Tensor(
      Float32Array.from({ length: 6 * 2 * 100 }, (_, i) => ((i * 37) % 11) / 10),
      [6, 2, 1, 10, 10],
    );
    const a = m.forward(x, { kernels: referenceKernels });
    const b = fromNir(out, { dynamics: 'nir' }).forward(x, { kernels: referenceKernels });
    expect(Array.from(b.outputs.output.data)).toEqual(Array.from(a.outputs.output.data));
    expect(Array.from(b.records['2'].v.data)).toEqual(Array.from(a.records['2'].v.data));
  });
});
