import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { Conv2d } from '../../src/nn/conv.js';
import { Flatten } from '../../src/nn/flatten.js';
import { Leaky } from '../../src/nn/leaky-layer.js';
import { Linear } from '../../src/nn/linear.js';
import { AvgPool2d, MaxPool2d } from '../../src/nn/pool.js';
import { RLeaky } from '../../src/nn/recurrent-layer.js';
import { Sequential } from '../../src/nn/sequential.js';
import { Synaptic } from '../../src/nn/synaptic-layer.js';
import { fromNir } from '../../src/nir/execute.js';
import { toNir } from '../../src/nir/export.js';
import { NirError, readNir, writeNir } from '../../src/nir/index.js';

const k = referenceKernels;

/** Input currents [T, B, ...shape] from a seeded generator. */
function currents(rng: Rng, T: number, B: number, shape: number[], gain: number): Tensor {
  const n = T * B * shape.reduce((a, b) => a * b, 1);
  return new Tensor(
    Float32Array.from({ length: n }, () => rng.uniform() * gain),
    [T, B, ...shape],
  );
}

/** spikeflow's own forward, every layer's spikes in order. */
function ownSpikes(model: Sequential, x: Tensor, T: number): Uint8Array[] {
  const B = x.shape[1];
  const F = x.size / (T * B);
  const r = model.forward({ x: x.reshape([T, B, F]), steps: T, constant: false }, k, { keepAllMem: true });
  return r.records.map((rec) => rec.spk!.data as Uint8Array);
}

async function roundTrip(model: Sequential, inputShape: number[]) {
  const g = toNir(model, { inputShape, dt: 1e-4 });
  return fromNir(await readNir(await writeNir(g)), { dt: 1e-4 });
}

describe('toNir -> writeNir -> readNir -> fromNir runs the model it came from', () => {
  it('FC: Linear, Leaky (reset zero, per-neuron beta), Linear without bias, IF (beta 1)', async () => {
    const rng = new Rng(3);
    const second = new Linear(5, 4, { rng, bias: false });
    const w = second.weight.data as Float32Array;
    w.forEach((v, i) => (w[i] = Math.abs(v))); // excitatory, so the IF layer fires
    const model = new Sequential([
      new Linear(6, 5, { rng }),
      new Leaky({ size: 5, beta: [0.7, 0.8, 0.9, 0.95, 0.6], threshold: 0.6, reset: 'zero' }),
      second,
      new Leaky({ size: 4, beta: 1, threshold: 0.2, reset: 'zero' }),
    ]);
    const g = toNir(model, { inputShape: [6] });
    expect([...g.nodes.values()].map((n) => n.type)).toEqual(['Input', 'Affine', 'LIF', 'Linear', 'IF', 'Output']);
    const T = 30;
    const x = currents(rng, T, 3, [6], 2);
    const want = ownSpikes(model, x, T);
    const { records, outputs } = (await roundTrip(model, [6])).forward(x, { kernels: k });
    expect(want[0].reduce((a, b) => a + b, 0)).toBeGreaterThan(20);
    expect(want[1].reduce((a, b) => a + b, 0)).toBeGreaterThan(10);
    expect(Array.from(records['1'].spk!.data)).toEqual(Array.from(want[0]));
    expect(Array.from(records['3'].spk!.data)).toEqual(Array.from(want[1]));
    expect(Array.from(outputs.output.data)).toEqual(Array.from(want[1]));
  });

  it('CSNN: Conv2d, Leaky on [C, H, W], AvgPool2d, Flatten, Linear, Leaky', async () => {
    const rng = new Rng(5);
    const model = new Sequential([
      new Conv2d({ inChannels: 2, outChannels: 3, kernel: 3, padding: 1, inputSize: [6, 6], rng }),
      new Leaky({ size: 3 * 6 * 6, beta: Array.from({ length: 108 }, (_, i) => 0.5 + (i % 7) / 16), threshold: 0.5, reset: 'zero' }),
      new AvgPool2d(2),
      new Flatten(),
      new Linear(27, 4, { rng }),
      new Leaky({ size: 4, beta: 0.9, threshold: 0.3, reset: 'zero' }),
    ]);
    const T = 12;
    // spikeflow's own sequences are channels-last; NIR's input is [C, H, W]
    const hwc = currents(rng, T, 2, [6, 6, 2], 1.2);
    const chw = new Float32Array(hwc.size);
    for (let s = 0; s < T * 2; s++)
      for (let c = 0; c < 2; c++) for (let p = 0; p < 36; p++) chw[s * 72 + c * 36 + p] = hwc.data[s * 72 + p * 2 + c];
    const want = ownSpikes(model, hwc, T);
    const m = await roundTrip(model, [2, 6, 6]);
    const { records, outputs } = m.forward(new Tensor(chw, [T, 2, 2, 6, 6]), { kernels: k });
    expect(want[0].reduce((a, b) => a + b, 0)).toBeGreaterThan(50);
    expect(want[1].reduce((a, b) => a + b, 0)).toBeGreaterThan(5);
    // records are [C, H, W]; spikeflow's are channels-last
    const got1 = records['1'].spk!.data;
    for (let s = 0; s < T * 2; s++)
      for (let c = 0; c < 3; c++)
        for (let p = 0; p < 36; p++) if (got1[s * 108 + c * 36 + p] !== want[0][s * 108 + p * 3 + c]) expect.fail(`spike ${s}/${c}/${p}`);
    expect(Array.from(outputs.output.data)).toEqual(Array.from(want[1]));
  });

  it('refuses what NIR cannot express, naming the layer and the way out', () => {
    const rng = new Rng(1);
    const sub = new Sequential([new Linear(3, 3, { rng }), new Leaky({ size: 3, beta: 0.9 })]);
    expect(() => toNir(sub, { inputShape: [3] })).toThrow(NirError);
    expect(() => toNir(sub, { inputShape: [3] })).toThrow(/node "1 \(leaky\)", field "reset".*reset: 'zero'/);
    const pool = new Sequential([new Conv2d({ inChannels: 1, outChannels: 1, kernel: 3, rng }), new MaxPool2d(2)]);
    expect(() => toNir(pool, { inputShape: [1, 8, 8] })).toThrow(/node "1 \(maxpool2d\)".*no equivalent/);
    const syn = new Sequential([new Synaptic({ size: 3, alpha: 0.5, beta: 0.9, reset: 'zero' })]);
    expect(() => toNir(syn, { inputShape: [3] })).toThrow(/node "0 \(synaptic\)", field "reset".*nearest/);
  });

  it('with nearest: Synaptic -> CubaLIF and RLeaky -> a recurrent subgraph (snnTorch mapping), the original reset in metadata', async () => {
    const rng = new Rng(2);
    const model = new Sequential([
      new Linear(4, 3, { rng }),
      new RLeaky({ size: 3, beta: 0.8, reset: 'zero', rng }),
      new Synaptic({ size: 3, alpha: 0.5, beta: 0.75, reset: 'zero' }),
    ]);
    const g = toNir(model, { inputShape: [4], nearest: true, dt: 1e-3 });
    const rec = g.nodes.get('1');
    expect(rec?.type).toBe('NIRGraph');
    if (rec?.type !== 'NIRGraph') return;
    expect(rec.edges).toContainEqual(['w_rec', 'lif']);
    const lif = rec.nodes.get('lif');
    expect(lif?.type === 'LIF' && lif.tau.data[0]).toBeCloseTo(0.005, 9);
    const cuba = g.nodes.get('2');
    expect(cuba?.type).toBe('CubaLIF');
    if (cuba?.type !== 'CubaLIF') return;
    expect(cuba.tau_syn.data[0]).toBeCloseTo(0.002, 9);
    expect(cuba.w_in.data[0]).toBeCloseTo(2, 5);
    expect(cuba.metadata?.spikeflow_reset).toBe('zero (synaptic)');
    const m = fromNir(await readNir(await writeNir(g)), { dt: 1e-3 });
    const { outputs } = m.forward(currents(rng, 10, 2, [4], 2), { kernels: k });
    expect(outputs.output.shape).toEqual([10, 2, 3]);
  });
});
