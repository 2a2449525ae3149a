import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { fromNir } from '../../src/nir/execute.js';
import { readNir } from '../../src/nir/index.js';
import { backward } from '../../src/core/autograd.js';
import { bothKernels } from '../helpers/kernels.js';
import { FIXTURES, fixtureBytes } from './helpers.js';

/** tools/nir-peer-fixtures.py: snnTorch networks exported by snnTorch, and what snnTorch computed. */
interface PeerDoc {
  dt: number;
  input: { shape: number[]; data: number[] };
  records: Record<string, { spk: { data: number[] }; mem: { data: number[] }; syn?: { data: number[] } }>;
  output: { spk: { shape: number[]; data: number[] } };
}
const DIR = join(FIXTURES, 'peers', 'snntorch');
const load = (name: string) => ({
  bytes: new Uint8Array(gunzipSync(readFileSync(join(DIR, `${name}.nir.gz`)))),
  doc: JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as PeerDoc,
});

/** The sum of every value, as a differentiable scalar. */
function sumAll(x: Tensor): Tensor {
  const out: Tensor = new Tensor(Float32Array.of(x.data.reduce((a, b) => a + b, 0)), [], {
    parents: [x],
    backward: () => {
      const g = x.ensureGrad();
      for (let i = 0; i < g.length; i++) g[i] += out.grad![0];
    },
  });
  return out;
}

function maxDiff(got: ArrayLike<number>, want: number[]): number {
  expect(got.length).toBe(want.length);
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i] - Math.fround(want[i])));
  return m;
}

describe('NIR graphs exported by snnTorch run as snnTorch ran them', () => {
  for (const name of ['snntorch_fc', 'snntorch_synaptic', 'snntorch_rleaky', 'snntorch_conv']) {
    for (const [kname, kernels] of bothKernels) {
      it(`${name} (${kname} kernels): every layer's spikes equal, membranes to 1e-5`, async () => {
        const { bytes, doc } = load(name);
        const model = fromNir(await readNir(bytes), { dt: doc.dt });
        const x = new Tensor(Float32Array.from(doc.input.data), doc.input.shape);
        const { outputs, records } = model.forward(x, { kernels });
        expect(Object.keys(records).sort()).toEqual(Object.keys(doc.records).sort());
        let spikes = 0;
        for (const [node, want] of Object.entries(doc.records)) {
          const r = records[node];
          expect(Array.from(r.spk!.data), `${node} spikes`).toEqual(want.spk.data);
          spikes += want.spk.data.reduce((a, b) => a + b, 0);
          expect(maxDiff(r.vAfter.data, want.mem.data), `${node} membrane`).toBeLessThan(1e-5);
          if (want.syn) expect(maxDiff(r.i!.data, want.syn.data), `${node} synaptic current`).toBeLessThan(1e-5);
        }
        expect(spikes).toBeGreaterThan(20);
        expect(Array.from(outputs.output.data)).toEqual(doc.output.spk.data);
        expect(outputs.output.shape).toEqual(doc.output.spk.shape);
      });
    }
  }

  it('an imported graph trains further: BPTT reaches the weights, the time constants and the thresholds', async () => {
    const { bytes, doc } = load('snntorch_rleaky');
    const model = fromNir(await readNir(bytes), { dt: doc.dt });
    const x = new Tensor(Float32Array.from(doc.input.data), doc.input.shape);
    const { records } = model.forward(x, { kernels: bothKernels[0][1] });
    backward(sumAll(records['1.lif'].v));
    const byName = Object.fromEntries(model.parameters().map((p) => [p.name, p.tensor]));
    for (const p of ['0.weight', '0.bias', '1.w_rec.weight', '1.w_rec.bias', '1.lif.tau', '1.lif.v_threshold'])
      expect(
        byName[p].grad?.some((g) => g !== 0),
        p,
      ).toBe(true);
  });
});

describe('the peer exports of the NIR paper load and run', () => {
  const T = 40;
  it('Norse LIF (nir 0.1.1, no v_reset: reset by subtraction)', async () => {
    const g = await readNir(fixtureBytes('peers', 'lif_norse'));
    const model = fromNir(g, { dt: 1e-4 });
    // tau 2.5 ms, r 1, threshold 0.1, dt 0.1 ms: a constant input of 5 drives v to 5 (1 - 0.96^t): v[t] = 0.2 (1 - 0.96^t) * 25
    const x = new Tensor(new Float32Array(T).fill(5), [T, 1, 1]);
    const { outputs, records } = model.forward(x);
    const v = records['1'].v.data;
    expect(v[0]).toBeCloseTo(0.2, 6);
    expect(v[1]).toBeCloseTo(0.2 + 0.96 * (0.2 - 0.1), 6); // spiked at t = 0: subtract 0.1 then integrate
    expect(outputs.output.data.every((s) => s === 1)).toBe(true);
  });
  it('Rockpool LIF (nir 0.2.0): r = 24.02 scales the input', async () => {
    const model = fromNir(await readNir(fixtureBytes('peers', 'lif_rockpool')), { dt: 1e-4 });
    const x = new Tensor(new Float32Array(T).fill(1), [T, 1, 1]);
    const { records } = model.forward(x);
    // Linear 0.04, then v[0] = (dt/tau) r 0.04 = 0.04 * 24.0197 * 0.04
    expect(records['1_LIFNeuronTorch'].v.data[0]).toBeCloseTo(0.04 * Math.fround(24.019737243652344) * 0.04, 6);
  });
  it('snnTorch braille (nir 0.2.0, recurrent CubaLIF)', async () => {
    const g = await readNir(fixtureBytes('peers', 'braille_noDelay_noBias_subtract'));
    const model = fromNir(g, { dt: 1e-4 });
    const [F] = model.inputs.input;
    const x = new Float32Array(T * 2 * F);
    for (let i = 0; i < x.length; i++) x[i] = (i * 7919) % 13 === 0 ? 1 : 0;
    const { outputs, records } = model.forward(new Tensor(x, [T, 2, F]));
    const out = outputs.output;
    expect(out.shape).toEqual([T, 2, ...model.outputs.output]);
    expect(Array.from(out.data).every((v) => v === 0 || v === 1)).toBe(true);
    for (const r of Object.values(records)) expect(Array.from(r.v.data).every(Number.isFinite)).toBe(true);
    expect(Object.keys(records).sort()).toEqual(['lif1.lif', 'lif2']);
  });
});
