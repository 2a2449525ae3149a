import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { fromNir } from '../../src/nir/execute.js';
import { readNir } from '../../src/nir/index.js';
import { bothKernels } from '../helpers/kernels.js';
import { FIXTURES } from './helpers.js';

/**
 * tools/nir-python-parity.py: every NIR primitive and small networks, written by Python nir 1.0.7,
 * with the outputs the Python side computed (snnTorch 0.9.4's import_from_nir where it supports the
 * graph, else NIR's equations in numpy, or torch.nn.functional for Conv1d and SumPool2d).
 */
interface Arr {
  shape: number[];
  data: number[];
}
interface ParityDoc {
  reference: 'snntorch' | 'numpy' | 'torch';
  dt: number;
  input: Arr;
  records: Record<string, { spk?: Arr; v?: Arr; i?: Arr }>;
  output: Arr;
  output_kind: 'spikes' | 'values';
}

const DIR = join(FIXTURES, 'peers', 'python');
const names = readdirSync(DIR)
  .filter((f) => f.endsWith('.nir.gz'))
  .map((f) => f.slice(0, -'.nir.gz'.length))
  .sort();
const load = (name: string) => ({
  bytes: new Uint8Array(gunzipSync(readFileSync(join(DIR, `${name}.nir.gz`)))),
  doc: JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as ParityDoc,
});

const TOL = 1e-5;

/** The largest |got - want| (want rounded to float32, as the file's values and torch's outputs are). */
function maxDiff(got: ArrayLike<number>, want: Arr, where: string): number {
  expect(got.length, `${where}: length`).toBe(want.data.length);
  let m = 0;
  for (let i = 0; i < want.data.length; i++) m = Math.max(m, Math.abs(got[i] - Math.fround(want.data[i])));
  return m;
}

describe('NIR files written by Python nir run as the Python side runs them', () => {
  it('covers every primitive and the small networks', () => {
    const want = [
      ...['I', 'IF', 'LI', 'LIF', 'CubaLI', 'CubaLIF', 'LIF_image', 'LIF_snntorch', 'CubaLIF_snntorch'],
      ...['Affine', 'Linear', 'Scale', 'Threshold', 'Delay', 'Conv1d', 'Conv2d', 'SumPool2d', 'AvgPool2d', 'Flatten'],
      ...['net_fc', 'net_cuba', 'net_csnn', 'net_recurrent', 'net_cycle'],
    ];
    expect(names).toEqual([...want].sort());
  });

  for (const name of names) {
    for (const [kname, kernels] of bothKernels) {
      it(`${name} (${kname} kernels): spikes identical, membranes and values to 1e-5`, async () => {
        const { bytes, doc } = load(name);
        const model = fromNir(await readNir(bytes, { file: `${name}.nir` }), { dt: doc.dt });
        const x = new Tensor(Float32Array.from(doc.input.data), doc.input.shape);
        const { outputs, records } = model.forward(x, { kernels });
        const y = outputs.output;
        expect(y.shape, 'output shape').toEqual(doc.output.shape);
        if (doc.output_kind === 'spikes') {
          expect(Array.from(y.data), 'output spikes').toEqual(doc.output.data);
          expect(doc.output.data.some((s) => s === 1) && doc.output.data.some((s) => s === 0), 'some spikes, not all').toBe(true);
        } else expect(maxDiff(y.data, doc.output, 'output')).toBeLessThan(TOL);
        for (const [node, want] of Object.entries(doc.records)) {
          const r = records[node];
          expect(r, `record of ${node}`).toBeDefined();
          if (want.spk) {
            expect(r.spk!.shape, `${node} spike shape`).toEqual(want.spk.shape);
            expect(Array.from(r.spk!.data), `${node} spikes`).toEqual(want.spk.data);
          }
          if (want.v) expect(maxDiff(r.vAfter.data, want.v, `${node} v`), `${node} membrane`).toBeLessThan(TOL);
          if (want.i) expect(maxDiff(r.i!.data, want.i, `${node} i`), `${node} synaptic current`).toBeLessThan(TOL);
        }
      });
    }
  }
});
