import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { NIR_NEURON_FIELDS, type NirNeuronType, type NirReset, nirNeuronSpec } from '../../src/nir/neurons.js';
import { specSequence } from '../../src/neurons/spec.js';
import { atan } from '../../src/surrogate/index.js';
import { gradcheck, probe } from '../helpers/gradcheck.js';
import { bothKernels } from '../helpers/kernels.js';

// The adjoints of the NIR neuron specs (src/nir/neurons.ts) against central finite differences: a loss
// on the states only (v, and i for the Cuba types) with fixed random weights, the atan surrogate, and
// the coordinates vetoed where a step of +-eps flips a spike (the loss is not differentiable there).

/** Per-neuron values of each field (H = 3), in units where dt = 1 (so dt/tau is of order 0.3). */
const VALUES: Record<string, number[]> = {
  tau: [2, 3, 5],
  tau_mem: [2.5, 3, 4],
  tau_syn: [1.5, 2, 4],
  r: [1, 0.8, 1.2],
  v_leak: [0.1, -0.1, 0],
  v_threshold: [0.5, 0.6, 0.4],
  v_reset: [0, 0.1, -0.2],
  w_in: [1, 0.7, 1.3],
};

const addScalars = (a: Tensor, b: Tensor): Tensor => {
  const out: Tensor = new Tensor(Float32Array.of(a.data[0] + b.data[0]), [], {
    parents: [a, b],
    backward: () => {
      a.ensureGrad()[0] += out.grad![0];
      b.ensureGrad()[0] += out.grad![0];
    },
  });
  return out;
};

const CASES: [NirNeuronType, NirReset][] = [
  ['I', 'value'],
  ['LI', 'value'],
  ['CubaLI', 'value'],
  ['IF', 'value'],
  ['IF', 'subtract'],
  ['LIF', 'value'],
  ['LIF', 'subtract'],
  ['CubaLIF', 'value'],
  ['CubaLIF', 'subtract'],
];

describe('NIR neuron specs: adjoints against finite differences (input and every parameter)', () => {
  for (const [type, reset] of CASES)
    for (const [kname, k] of bothKernels)
      it(`${type} (reset ${reset}, ${kname} kernels)`, () => {
        const rng = new Rng(type.length * 31 + (reset === 'value' ? 1 : 2));
        const T = 14;
        const H = 3;
        const fields = NIR_NEURON_FIELDS[type];
        // I and IF integrate without leak: smaller r keeps them near the threshold
        const params: Record<string, Tensor> = {};
        for (const f of fields) {
          const v = f === 'r' && (type === 'I' || type === 'IF') ? [0.3, 0.25, 0.35] : VALUES[f];
          params[f] = new Tensor(Float32Array.from(v), [H], { requiresGrad: true });
        }
        const x = new Tensor(
          Float32Array.from({ length: T * 2 * H }, () => rng.normal() * 0.5 + 0.35),
          [T, 2, H],
          { requiresGrad: true },
        );
        const spec = nirNeuronSpec(type, reset);
        const run = () =>
          specSequence(spec, x, { steps: T, constInput: false, params: { ...params, dt: 1 }, surrogate: atan(), kernels: k });
        const wv = Float32Array.from({ length: x.size }, () => rng.normal());
        const wi = Float32Array.from({ length: x.size }, () => rng.normal());
        const f = () => {
          const o = run();
          const lv = probe(o.state.v, wv);
          return o.state.i ? addScalars(lv, probe(o.state.i, wi)) : lv;
        };
        const base = Array.from(run().spk.data).join('');
        const fires = type === 'IF' || type === 'LIF' || type === 'CubaLIF';
        if (fires) expect(base, 'the case exercises the reset').toMatch(/1/);
        const leaves = [x, ...fields.map((q) => params[q])];
        const n = gradcheck(f, leaves, 1e-3, 2e-3, () => Array.from(run().spk.data).join('') === base);
        // most coordinates survive the veto, every parameter among them
        expect(n).toBeGreaterThan((x.size + fields.length * H) * 0.6);
        // every parameter that enters the states has a gradient there (v_threshold enters them only through
        // a subtracting reset, v_reset only through a reset to it: the reset spike itself is detached)
        const unused = reset === 'value' ? 'v_threshold' : 'v_reset';
        for (const q of fields)
          expect(
            params[q].grad!.some((g) => g !== 0),
            `${q} has a gradient`,
          ).toBe(q !== unused);
      });
});
