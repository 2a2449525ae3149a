import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { backward } from '../../src/core/autograd.js';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { fromNir } from '../../src/nir/execute.js';
import { type NirGraph, type NirNode, NirError, nirArray, readNir } from '../../src/nir/index.js';
import { gradcheck, probe } from '../helpers/gradcheck.js';
import { bothKernels } from '../helpers/kernels.js';
import { FIXTURES, fixtureBytes } from './helpers.js';

const a = (v: number[], shape?: number[]) => nirArray(v, shape);
const graph = (nodes: [string, NirNode][], edges: [string, string][]): NirGraph => ({ type: 'NIRGraph', nodes: new Map(nodes), edges });

/** input -> w (Affine) -> li (LI) -> output, li -> fb (Scale) -> w: a loop through a non-spiking neuron. */
function liLoop(scale: number, tau = 2 / 1024): NirGraph {
  return graph(
    [
      ['input', { type: 'Input', shape: [1] }],
      ['w', { type: 'Affine', weight: a([1], [1, 1]), bias: a([0]) }],
      ['li', { type: 'LI', tau: a([tau]), r: a([1]), v_leak: a([0]) }],
      ['fb', { type: 'Scale', scale: a([scale]) }],
      ['output', { type: 'Output', shape: [1] }],
    ],
    [
      ['input', 'w'],
      ['w', 'li'],
      ['li', 'fb'],
      ['fb', 'w'],
      ['li', 'output'],
    ],
  );
}

describe('graphs with cycles beyond a neuron’s own weights run step by step, back edges one step late', () => {
  it('a loop through LI, by hand: v[t] = v[t-1] + dt/tau (r (x[t] + 0.5 v[t-1]) - v[t-1])', () => {
    const model = fromNir(liLoop(0.5), { dt: 1 / 1024 });
    expect(model.stepwise).toBe(true);
    const x = new Tensor(Float32Array.of(1, 0, 0, 2), [4, 1, 1]);
    const { outputs, records } = model.forward(x, { kernels: referenceKernels });
    // dt/tau = 0.5: v0 = 0.5 (the back edge brings 0 at t = 0), v1 = 0.5 + 0.5 (0.25 - 0.5), ...
    expect(Array.from(outputs.output.data)).toEqual([0.5, 0.375, 0.28125, 1.2109375]);
    expect(Array.from(records.li.v.data)).toEqual([0.5, 0.375, 0.28125, 1.2109375]);
    // without the loop: 0.5, 0.25, 0.125, 1.0625
    const open = fromNir(liLoop(0), { dt: 1 / 1024 }).forward(x, { kernels: referenceKernels });
    expect(Array.from(open.outputs.output.data)).toEqual([0.5, 0.25, 0.125, 1.0625]);
  });

  it('a spiking loop by hand: IF -> Scale(-1) -> back into its own input (inhibition one step after each spike)', () => {
    const g = graph(
      [
        ['input', { type: 'Input', shape: [1] }],
        ['if', { type: 'IF', r: a([1000]), v_threshold: a([1]), v_reset: a([0]) }],
        ['inh', { type: 'Scale', scale: a([-3]) }],
        ['output', { type: 'Output', shape: [1] }],
      ],
      [
        ['input', 'if'],
        ['if', 'inh'],
        ['inh', 'if'],
        ['if', 'output'],
      ],
    );
    // dt r = 1: v[t] = v' + x[t] - 3 z[t-1], v' = 0 after a spike
    const x = new Tensor(Float32Array.of(0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6), [7, 1, 1]);
    const { outputs, records } = fromNir(g, { dt: 1e-3 }).forward(x, { kernels: referenceKernels });
    const v = [0.6, 1.2, 0.6 - 3, -2.4 + 0.6, -1.8 + 0.6, -1.2 + 0.6, -0.6 + 0.6].map(Math.fround);
    expect(Array.from(records.if.v.data).map((u, i) => Math.abs(u - v[i]) < 1e-6)).toEqual(v.map(() => true));
    expect(Array.from(outputs.output.data)).toEqual([0, 1, 0, 0, 0, 0, 0]);
  });

  it('the 1.0.7 network fixture (nested recurrent CubaLIF, a top-level loop lif_out -> fb -> fc1) against a plain reference of NIR’s equations', async () => {
    const g = await readNir(fixtureBytes('1.0.7', 'network'));
    // louder: fc1 x 4, fb x 16, fc2 excitatory, so lif_out fires and the top-level loop carries something
    const louder = (node: string, field: string, by: number) => {
      const d = (g.nodes.get(node) as unknown as Record<string, { data: Float32Array }>)[field].data;
      d.forEach((w, i) => (d[i] = w * by));
    };
    louder('fc1', 'weight', 4);
    (g.nodes.get('fc2') as { weight: { data: Float32Array } }).weight.data.set([2, 0, 2, 0, 0, 2, 0, 2]);
    louder('fb', 'scale', 16);
    const dt = 4e-3;
    const T = 40;
    const B = 2;
    const rng = new Rng(4);
    const xs = Float32Array.from({ length: T * B * 2 }, () => rng.uniform() * 24 - 6);
    const want = reference(g, xs, T, B, dt);
    expect(want.outSpikes.reduce((p, q) => p + q, 0)).toBeGreaterThan(15);
    expect(want.rnnSpikes.reduce((p, q) => p + q, 0)).toBeGreaterThan(60);
    for (const [kname, kernels] of bothKernels) {
      const model = fromNir(g, { dt });
      expect(model.stepwise).toBe(true);
      const { outputs, records } = model.forward(new Tensor(xs, [T, B, 2]), { kernels });
      expect(Array.from(outputs.output.data), kname).toEqual(want.outSpikes);
      expect(Array.from(records['rnn/lif'].spk!.data), kname).toEqual(want.rnnSpikes);
      const v = records.lif_out.v.data;
      for (let i = 0; i < v.length; i++) expect(Math.abs(v[i] - want.outV[i]), `${kname} lif_out v[${i}]`).toBeLessThan(1e-5);
    }
    // the loop matters: without the edge fb -> fc1 the output differs
    const cut: NirGraph = { ...g, edges: g.edges.filter(([p, q]) => !(p === 'fb' && q === 'fc1')) };
    const noLoop = fromNir(cut, { dt }).forward(new Tensor(xs, [T, B, 2]), { kernels: referenceKernels });
    expect(Array.from(noLoop.outputs.output.data)).not.toEqual(want.outSpikes);
  });

  it('step by step equals the whole-sequence run bit for bit (the stepwise option) on the snnTorch exports, gradients to 1e-5', async () => {
    for (const name of ['snntorch_fc', 'snntorch_synaptic', 'snntorch_rleaky', 'snntorch_conv']) {
      const bytes = new Uint8Array(gunzipSync(readFileSync(join(FIXTURES, 'peers', 'snntorch', `${name}.nir.gz`))));
      const doc = JSON.parse(readFileSync(join(FIXTURES, 'peers', 'snntorch', `${name}.json`), 'utf8'));
      const g = await readNir(bytes);
      const runs = [false, true].map((stepwise) => {
        const m = fromNir(g, { dt: doc.dt, stepwise });
        const x = new Tensor(Float32Array.from(doc.input.data), doc.input.shape, { requiresGrad: true });
        const r = m.forward(x, { kernels: referenceKernels });
        // a loss on every neuron's membrane and on the output spikes (through the surrogate)
        const terms = [...Object.values(r.records).map((rec) => rec.v), r.outputs.output];
        const rng = new Rng(1);
        let loss = probe(
          terms[0],
          Float32Array.from({ length: terms[0].size }, () => rng.uniform() - 0.5),
        );
        for (const t of terms.slice(1)) {
          const p = probe(
            t,
            Float32Array.from({ length: t.size }, () => rng.uniform() - 0.5),
          );
          loss = sum2(loss, p);
        }
        backward(loss);
        return { m, r, x };
      });
      const [seq, step] = runs;
      expect(step.m.stepwise).toBe(true);
      expect(Array.from(step.r.outputs.output.data), name).toEqual(Array.from(seq.r.outputs.output.data));
      for (const k of Object.keys(seq.r.records))
        expect(Array.from(step.r.records[k].v.data), `${name} ${k}`).toEqual(Array.from(seq.r.records[k].v.data));
      const close = (p: ArrayLike<number>, q: ArrayLike<number>, what: string) => {
        for (let i = 0; i < p.length; i++)
          expect(Math.abs(p[i] - q[i]), `${name} ${what}[${i}]`).toBeLessThan(1e-5 * Math.max(1, Math.abs(q[i])));
      };
      close(step.x.grad!, seq.x.grad!, 'input grad');
      const ps = seq.m.parameters();
      step.m.parameters().forEach((p, i) => close(p.tensor.grad ?? [], ps[i].tensor.grad ?? [], p.name));
    }
  });

  it('BPTT through the unrolled loop: finite differences for the weights, the loop scale, tau, r and the input', () => {
    const model = fromNir(liLoop(0.7, 5e-3), { dt: 1e-3 });
    const T = 12;
    const rng = new Rng(2);
    const x = new Tensor(
      Float32Array.from({ length: T * 2 }, () => rng.uniform() * 2 - 0.5),
      [T, 2, 1],
      { requiresGrad: true },
    );
    const w = Float32Array.from({ length: T * 2 }, () => rng.uniform() - 0.5);
    const leaves = [x, ...model.parameters().map((p) => p.tensor)];
    expect(model.parameters().map((p) => p.name)).toEqual(['w.weight', 'w.bias', 'li.tau', 'li.r', 'li.v_leak', 'fb.scale']);
    const f = () => probe(model.forward(x, { kernels: referenceKernels }).outputs.output, w);
    // tau is ~5e-3: a relative step
    const checked = gradcheck(f, leaves.slice(0, 3), 1e-2, 2e-3) + gradcheck(f, leaves.slice(4), 1e-2, 2e-3);
    expect(checked).toBe(T * 2 + 5);
    const tau = leaves[3];
    tau.grad = null;
    backward(f());
    const g = tau.grad![0];
    const t0 = tau.data[0];
    const h = 1e-6;
    (tau.data as Float32Array)[0] = t0 + h;
    const fp = f().item();
    (tau.data as Float32Array)[0] = t0 - h;
    const fm = f().item();
    (tau.data as Float32Array)[0] = t0;
    const fd = (fp - fm) / (Math.fround(t0 + h) - Math.fround(t0 - h) || 2 * h);
    expect(Math.abs(fd - g)).toBeLessThan(2e-2 * Math.abs(g));
    expect(Math.abs(g)).toBeGreaterThan(1);
  });

  it('a cycle without a neuron is one NirError naming the edge and the nodes of the cycle', () => {
    const g = graph(
      [
        ['input', { type: 'Input', shape: [2] }],
        ['w', { type: 'Linear', weight: a([1, 0, 0, 1], [2, 2]) }],
        ['s', { type: 'Scale', scale: a([0.5]) }],
        ['lif', { type: 'LIF', tau: a([1e-3]), r: a([1]), v_leak: a([0]), v_threshold: a([1]), v_reset: a([0]) }],
        ['output', { type: 'Output', shape: [2] }],
      ],
      [
        ['input', 'w'],
        ['w', 's'],
        ['s', 'w'],
        ['s', 'lif'],
        ['lif', 'output'],
      ],
    );
    const err = (() => {
      try {
        fromNir(g);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(NirError);
    expect((err as NirError).node).toBe('w');
    expect((err as NirError).field).toBe('edges');
    expect((err as Error).message).toMatch(/node "w", field "edges": the edge s -> w closes a cycle without a neuron \((w, s|s, w)\)/);
    // a stateless self-loop too
    const self = graph(
      [
        ['input', { type: 'Input', shape: [1] }],
        ['s', { type: 'Scale', scale: a([0.5]) }],
        ['output', { type: 'Output', shape: [1] }],
      ],
      [
        ['input', 's'],
        ['s', 's'],
        ['s', 'output'],
      ],
    );
    expect(() => fromNir(self)).toThrow(/node "s", field "edges": the edge s -> s closes a cycle without a neuron/);
  });
});

function sum2(p: Tensor, q: Tensor): Tensor {
  const out: Tensor = new Tensor(Float32Array.of(p.data[0] + q.data[0]), [], {
    parents: [p, q],
    backward: () => {
      p.ensureGrad()[0] += out.grad![0];
      q.ensureGrad()[0] += out.grad![0];
    },
  });
  return out;
}

type Arr = { data: Float32Array | Float64Array; shape: number[] };

/**
 * The 1.0.7 network by NIR's equations, written out for this graph (float64 arithmetic, states rounded
 * to float32 as spikeflow stores them): fc1 takes x[t] + fb[t-1], the CubaLIF in "rnn" gets rec's
 * W s[t-1] + b, lif_out's spikes go through fb back to fc1 one step later.
 */
function reference(g: NirGraph, xs: Float32Array, T: number, B: number, dt: number) {
  const n = (k: string) => g.nodes.get(k) as unknown as Record<string, Arr>;
  const rnn = (g.nodes.get('rnn') as NirGraph).nodes;
  const lif = rnn.get('lif') as unknown as Record<string, Arr>;
  const rec = rnn.get('rec') as unknown as Record<string, Arr>;
  const affine = (W: Arr, b: Arr | null, v: number[]) =>
    Array.from({ length: W.shape[0] }, (_, o) => {
      let s = b ? b.data[o] : 0;
      for (let i = 0; i < W.shape[1]; i++) s += W.data[o * W.shape[1] + i] * v[i];
      return Math.fround(s);
    });
  const f = Math.fround;
  const outSpikes: number[] = [];
  const rnnSpikes: number[] = [];
  const outV: number[] = [];
  const rs: number[][] = [];
  for (let b = 0; b < B; b++) {
    let i1 = [0, 0, 0, 0];
    let v1 = [0, 0, 0, 0];
    let s1 = [0, 0, 0, 0];
    let v2 = [0, 0];
    let s2 = [0, 0];
    const perT: { o: number[]; r: number[]; v: number[] }[] = [];
    for (let t = 0; t < T; t++) {
      const x = [xs[(t * B + b) * 2], xs[(t * B + b) * 2 + 1]];
      const fb = t > 0 ? s2.map((s, k) => f(s * n('fb').scale.data[k])) : [0, 0];
      const h = affine(n('fc1').weight, n('fc1').bias, [f(x[0] + fb[0]), f(x[1] + fb[1])]);
      const r = affine(rec.weight, rec.bias, s1);
      const drive = h.map((y, k) => f(y + r[k]));
      const ni = drive.map((d, k) => f(i1[k] + (dt / lif.tau_syn.data[k]) * (lif.w_in.data[k] * d - i1[k])));
      const nv = ni.map((c, k) => {
        const v0 = s1[k] ? lif.v_reset.data[k] : v1[k];
        return f(v0 + (dt / lif.tau_mem.data[k]) * (lif.v_leak.data[k] - v0 + lif.r.data[k] * c));
      });
      s1 = nv.map((v, k) => (v - lif.v_threshold.data[k] > 0 ? 1 : 0));
      [i1, v1] = [ni, nv];
      const z = affine(n('fc2').weight, null, s1);
      const lo = n('lif_out');
      v2 = z.map((c, k) => {
        const v0 = s2[k] ? lo.v_reset.data[k] : v2[k];
        return f(v0 + (dt / lo.tau.data[k]) * (lo.v_leak.data[k] - v0 + lo.r.data[k] * c));
      });
      s2 = v2.map((v, k) => (v - lo.v_threshold.data[k] > 0 ? 1 : 0));
      perT.push({ o: s2, r: s1, v: v2 });
    }
    rs.push(perT.flatMap((p) => [...p.o, ...p.r, ...p.v]));
  }
  // [T, B, ...] order
  for (let t = 0; t < T; t++)
    for (let b = 0; b < B; b++) {
      const row = rs[b].slice(t * 8, (t + 1) * 8);
      outSpikes.push(row[0], row[1]);
      rnnSpikes.push(...row.slice(2, 6));
      outV.push(row[6], row[7]);
    }
  return { outSpikes, rnnSpikes, outV };
}
