import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { Conv2d } from '../../src/nn/conv.js';
import { Flatten } from '../../src/nn/flatten.js';
import { Leaky } from '../../src/nn/leaky-layer.js';
import { Linear } from '../../src/nn/linear.js';
import { AvgPool2d, MaxPool2d } from '../../src/nn/pool.js';
import { RLeaky, RSynaptic } from '../../src/nn/recurrent-layer.js';
import { Sequential } from '../../src/nn/sequential.js';
import { Synaptic } from '../../src/nn/synaptic-layer.js';
import { fromNir } from '../../src/nir/execute.js';
import { toNir } from '../../src/nir/export.js';
import { NirError, type NirGraph, readNir, writeNir } from '../../src/nir/index.js';
import { bothKernels } from '../helpers/kernels.js';

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

/** spikeflow's own forward: every spiking layer's spikes and membrane, in order. */
function ownRecords(model: Sequential, x: Tensor, T: number, kernels = k) {
  const B = x.shape[1];
  const F = x.size / (T * B);
  const r = model.forward({ x: x.reshape([T, B, F]), steps: T, constant: false }, kernels, { keepAllMem: true });
  return r.records.map((rec) => ({ spk: rec.spk!.data as Uint8Array, mem: rec.mem!.data as Float32Array }));
}

/** A deep copy of a graph with one node's field changed (an edited file). */
async function edited(g: NirGraph, path: string[], field: string, fn: (x: number) => number): Promise<NirGraph> {
  const copy = await readNir(await writeNir(g));
  let node = copy as unknown as { nodes: Map<string, unknown> } & Record<string, { data: Float32Array }>;
  for (const p of path) node = node.nodes.get(p) as typeof node;
  node[field].data.forEach((v, i, a) => (a[i] = fn(v)));
  return copy;
}

describe('export -> import in spikeflow is lossless: the same spikes and membranes bit for bit', () => {
  const rng = new Rng(12);
  const recurrentModel = (reset: 'zero' | 'subtract' | 'none', bias: boolean) =>
    new Sequential([
      new Linear(5, 6, { rng }),
      new RLeaky({ size: 6, beta: Array.from({ length: 6 }, (_, i) => 0.6 + i / 20), threshold: 0.7, reset, bias, rng }),
      new Linear(6, 5, { rng }),
      new Synaptic({ size: 5, alpha: Array.from({ length: 5 }, (_, i) => 0.4 + i / 10), beta: 0.8, threshold: 0.6, reset }),
      new Linear(5, 4, { rng }),
      new RSynaptic({ size: 4, alpha: 0.7, beta: Array.from({ length: 4 }, (_, i) => 0.5 + i / 10), threshold: 0.5, reset, bias, rng }),
    ]);
  const cases: [string, () => Sequential, number[]][] = [
    [
      'FC (Leaky reset zero, IF)',
      () =>
        new Sequential([
          new Linear(6, 7, { rng }),
          new Leaky({ size: 7, beta: Array.from({ length: 7 }, (_, i) => 0.6 + i / 20), threshold: 0.6, reset: 'zero' }),
          new Linear(7, 4, { rng }),
          new Leaky({ size: 4, beta: 1, threshold: 0.4, reset: 'zero' }),
        ]),
      [6],
    ],
    [
      'CSNN (Conv2d, Leaky on [C, H, W], AvgPool2d, Flatten, Linear, Leaky)',
      () =>
        new Sequential([
          new Conv2d({ inChannels: 2, outChannels: 3, kernel: 3, padding: 1, inputSize: [6, 6], rng }),
          new Leaky({ size: 108, beta: Array.from({ length: 108 }, (_, i) => 0.5 + (i % 7) / 16), threshold: 0.5, reset: 'zero' }),
          new AvgPool2d(2),
          new Flatten(),
          new Linear(27, 4, { rng }),
          new Leaky({ size: 4, beta: 0.9, threshold: 0.3, reset: 'zero' }),
        ]),
      [2, 6, 6],
    ],
    ['recurrent, reset zero (RLeaky, Synaptic, RSynaptic; recurrent bias)', () => recurrentModel('zero', true), [5]],
    ['recurrent, reset subtract (no recurrent bias)', () => recurrentModel('subtract', false), [5]],
    ['recurrent, no reset', () => recurrentModel('none', true), [5]],
    [
      'Leaky reset subtract (nearest)',
      () => new Sequential([new Linear(4, 5, { rng }), new Leaky({ size: 5, beta: 0.85, threshold: 0.5, reset: 'subtract' })]),
      [4],
    ],
  ];
  for (const [name, make, shape] of cases) {
    for (const [kname, kernels] of bothKernels) {
      it(`${name} (${kname} kernels)`, async () => {
        const model = make();
        const T = 20;
        const B = 3;
        const image = shape.length === 3;
        // spikeflow's own sequences are channels-last; NIR's input is [C, H, W]
        const own = currents(rng, T, B, image ? [shape[1], shape[2], shape[0]] : shape, 1.6);
        const nirX = new Float32Array(own.size);
        const F = own.size / (T * B);
        const [C, P] = image ? [shape[0], shape[1] * shape[2]] : [1, F];
        for (let s = 0; s < T * B; s++)
          for (let c = 0; c < C; c++) for (let p = 0; p < P; p++) nirX[s * F + c * P + p] = own.data[s * F + p * C + c];
        const want = ownRecords(model, own, T, kernels);
        const g = toNir(model, { inputShape: shape, nearest: true });
        const m = fromNir(await readNir(await writeNir(g)));
        const neurons = model.layers.map((l, i) => [l, i] as const).filter(([l]) => l.spiking);
        // every neuron node runs its layer's dynamics; the Leaky zero/IF nodes say nothing of a nearest form
        expect(m.spikeflowNodes.length).toBe(neurons.length);
        const { records, outputs } = m.forward(new Tensor(nirX, [T, B, ...shape]), { kernels });
        let spikes = 0;
        neurons.forEach(([layer, i], j) => {
          const path = m.spikeflowNodes[j];
          expect(path.split('/')[0]).toBe(String(i));
          const r = records[path];
          const gotSpk = r.spk!.data;
          const gotMem = r.v.data;
          const H = want[j].spk.length / (T * B);
          const img = layer.kind === 'leaky' && image && j === 0;
          for (let s = 0; s < T * B; s++)
            for (let h = 0; h < H; h++) {
              // records are in NIR's layout ([C, H, W] for the image layer)
              const o = img ? s * H + (h % 3) * 36 + Math.floor(h / 3) : s * H + h;
              if (gotSpk[o] !== want[j].spk[s * H + h]) expect.fail(`${path}: spike ${s}/${h}`);
              if (gotMem[o] !== want[j].mem[s * H + h])
                expect.fail(`${path}: membrane ${s}/${h}: ${gotMem[o]} vs ${want[j].mem[s * H + h]}`);
            }
          spikes += want[j].spk.reduce((a, b) => a + b, 0);
        });
        expect(spikes).toBeGreaterThan(30);
        expect(Array.from(outputs.output.data)).toEqual(Array.from(want[want.length - 1].spk));
      });
    }
  }

  it('the nearest nodes say in their metadata what NIR cannot express; Leaky with reset zero needs no such note', () => {
    const g = toNir(recurrentModel('zero', true), { inputShape: [5], nearest: true });
    const rsyn = g.nodes.get('5');
    expect(rsyn?.type).toBe('NIRGraph');
    if (rsyn?.type !== 'NIRGraph') return;
    expect([...rsyn.nodes.keys()]).toEqual(['input', 'lif', 'w_rec', 'output']);
    expect(rsyn.edges).toEqual([
      ['input', 'lif'],
      ['lif', 'w_rec'],
      ['w_rec', 'lif'],
      ['lif', 'output'],
    ]);
    const lif = rsyn.nodes.get('lif')!;
    expect(lif.type).toBe('CubaLIF');
    expect(String(lif.metadata?.spikeflow_nearest)).toMatch(/NIR cannot express this rsynaptic layer exactly: .*reset_delay=True/);
    expect((lif.metadata?.spikeflow as Record<string, unknown> | undefined)?.layer).toBe('rsynaptic');
    const fc = toNir(new Sequential([new Linear(3, 2, { rng }), new Leaky({ size: 2, beta: 0.9, reset: 'zero' })]), { inputShape: [3] });
    const leaky = fc.nodes.get('1')!;
    expect(leaky.metadata?.spikeflow_nearest).toBeUndefined();
    expect((leaky.metadata?.spikeflow as Record<string, unknown> | undefined)?.layer).toBe('leaky');
  });

  it("NIR's dynamics differ where NIR cannot express the layer; an edited node or another dt runs NIR's equations", async () => {
    const model = recurrentModel('zero', true);
    const T = 30;
    const x = currents(rng, T, 4, [5], 1.6);
    const g = toNir(model, { inputShape: [5], nearest: true });
    const own = fromNir(g).forward(x, { kernels: k });
    const nir = fromNir(g, { dynamics: 'nir' });
    expect(nir.spikeflowNodes).toEqual([]);
    const viaNir = nir.forward(x, { kernels: k });
    // the reset after a spike: spikeflow drops the step's update, NIR adds it from v_reset
    const a = own.records['1/lif'].spk!.data;
    const b = viaNir.records['1/lif'].spk!.data;
    expect(a.some((s, i) => s !== b[i])).toBe(true);
    const ed = fromNir(await edited(g, ['3'], 'tau_mem', (t) => t * 1.5));
    expect(ed.spikeflowNodes).toEqual(['1/lif', '5/lif']);
    expect(fromNir(g, { dt: 2e-4 }).spikeflowNodes).toEqual([]);
    // a model with NIR-expressible layers runs the same either way
    const fc = new Sequential([new Linear(5, 6, { rng }), new Leaky({ size: 6, beta: 0.8, threshold: 0.5, reset: 'zero' })]);
    const gf = toNir(fc, { inputShape: [5] });
    expect(Array.from(fromNir(gf, { dynamics: 'nir' }).forward(x, { kernels: k }).outputs.output.data)).toEqual(
      Array.from(fromNir(gf).forward(x, { kernels: k }).outputs.output.data),
    );
  });
});

describe('Synaptic, RLeaky and RSynaptic with resetDelay false export exactly (no nearest)', () => {
  const rng = new Rng(31);
  const exactModel = (bias: boolean) =>
    new Sequential([
      new Linear(5, 6, { rng }),
      new RLeaky({
        size: 6,
        beta: Array.from({ length: 6 }, (_, i) => 0.6 + i / 20),
        threshold: 0.7,
        reset: 'zero',
        resetDelay: false,
        bias,
        rng,
      }),
      new Linear(6, 5, { rng }),
      new Synaptic({
        size: 5,
        alpha: Array.from({ length: 5 }, (_, i) => 0.4 + i / 10),
        beta: 0.8,
        threshold: 0.6,
        reset: 'zero',
        resetDelay: false,
      }),
      new Linear(5, 4, { rng }),
      new RSynaptic({
        size: 4,
        alpha: 0.7,
        beta: Array.from({ length: 4 }, (_, i) => 0.5 + i / 10),
        threshold: 0.5,
        reset: 'zero',
        resetDelay: false,
        bias,
        rng,
      }),
    ]);

  it('toNir takes them without nearest: no spikeflow_nearest note, resetDelay false in the spikeflow metadata', () => {
    const g = toNir(exactModel(true), { inputShape: [5] });
    const nodes = [(g.nodes.get('1') as NirGraph).nodes.get('lif')!, g.nodes.get('3')!, (g.nodes.get('5') as NirGraph).nodes.get('lif')!];
    expect(nodes.map((n) => n.type)).toEqual(['LIF', 'CubaLIF', 'CubaLIF']);
    for (const n of nodes) {
      expect(n.metadata?.spikeflow_nearest).toBeUndefined();
      expect(n.metadata?.spikeflow_reset).toBeUndefined();
      expect((n.metadata?.spikeflow as Record<string, unknown> | undefined)?.resetDelay).toBe(false);
    }
    // the default timing still needs nearest
    const dflt = new Sequential([new Synaptic({ size: 3, alpha: 0.5, beta: 0.9, reset: 'zero' })]);
    expect(() => toNir(dflt, { inputShape: [3] })).toThrow(/resetDelay: false/);
  });

  for (const [kname, kernels] of bothKernels) {
    it(`export -> file -> import runs the same spikes and membranes bit for bit, and NIR's equations give the same spikes (${kname})`, async () => {
      for (const bias of [false, true]) {
        const model = exactModel(bias);
        const T = 30;
        const B = 3;
        const x = currents(rng, T, B, [5], 1.6);
        const want = ownRecords(model, x, T, kernels);
        const g = await readNir(await writeNir(toNir(model, { inputShape: [5] })));
        const m = fromNir(g);
        expect(m.spikeflowNodes).toEqual(['1/lif', '3', '5/lif']);
        const { records, outputs } = m.forward(x, { kernels });
        let spikes = 0;
        m.spikeflowNodes.forEach((path, j) => {
          expect(Array.from(records[path].spk!.data)).toEqual(Array.from(want[j].spk));
          expect(Array.from(records[path].v.data)).toEqual(Array.from(want[j].mem));
          spikes += want[j].spk.reduce((a, b) => a + b, 0);
        });
        expect(spikes).toBeGreaterThan(60);
        expect(Array.from(outputs.output.data)).toEqual(Array.from(want[want.length - 1].spk));
        // NIR's own equations (forward Euler with dt/tau, r, w_in: what other tools run), every spike the same
        // (the recurrent bias enters from the first step in both: see the nearest cases' note on nirtorch)
        const viaNir = fromNir(g, { dynamics: 'nir' });
        expect(viaNir.spikeflowNodes).toEqual([]);
        const nir = viaNir.forward(x, { kernels });
        for (const path of m.spikeflowNodes) expect(Array.from(nir.records[path].spk!.data)).toEqual(Array.from(records[path].spk!.data));
        // NIR's v after the step is the recorded membrane with 0 where it spiked (to float32 rounding of dt/tau)
        const after = nir.records['3'].vAfter.data;
        const own3 = records['3'];
        own3.v.data.forEach((v, i) => expect(after[i]).toBeCloseTo(own3.spk!.data[i] ? 0 : v, 4));
      }
    });
  }
});
