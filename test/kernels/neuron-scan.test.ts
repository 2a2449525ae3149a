import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { backward } from '../../src/core/autograd.js';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import type { NeuronSpec } from '../../src/kernels/neuron-block.js';
import { atan, fastSigmoid, sigmoid, type Surrogate } from '../../src/surrogate/index.js';
import { lifSpec } from '../../src/neurons/scan.js';
import { alphaSpec } from '../../src/neurons/alpha.js';
import { alifSpec } from '../../src/neurons/alif.js';
import { izhikevichSpec } from '../../src/neurons/izhikevich.js';
import { type NeuronModel, specParams, specSequence } from '../../src/neurons/spec.js';
import { LAYER_KINDS } from '../../src/nn/registry.js';
import { wasmBuilds } from '../helpers/kernels.js';
import { type NirNeuronType, nirNeuronSpec } from '../../src/nir/neurons.js';

// The shared neuron scan in WASM (kernels/assembly/neuron-scan.ts) against its TypeScript reference
// (kernels/neuron-block.ts), for every model and variant: spikes and states equal bit for bit, gradients
// to rounding (the surrogates' exponentials may differ in the last bit).

const resets = ['subtract', 'zero', 'none'] as const;
const cases: Array<[string, NeuronSpec, Record<string, number>, number]> = [
  ...resets.flatMap((r) => [
    [`leaky ${r}`, lifSpec(false, r, 'prev'), { beta: 0.85, threshold: 1 }, 1] as [string, NeuronSpec, Record<string, number>, number],
    [`rleaky-style ${r}`, lifSpec(false, r, 'all'), { beta: 0.85, threshold: 1 }, 1] as [
      string,
      NeuronSpec,
      Record<string, number>,
      number,
    ],
    [`synaptic ${r}`, lifSpec(true, r, 'all'), { alpha: 0.7, beta: 0.85, threshold: 1 }, 1] as [
      string,
      NeuronSpec,
      Record<string, number>,
      number,
    ],
    [`alpha ${r}`, alphaSpec(r), { alpha: 0.9, beta: 0.8, threshold: 1 }, 1] as [string, NeuronSpec, Record<string, number>, number],
    [`alif ${r}`, alifSpec(r), { beta: 0.9, threshold: 0.8, rho: 0.9, betaA: 0.5 }, 1] as [
      string,
      NeuronSpec,
      Record<string, number>,
      number,
    ],
  ]),
  ['izhikevich', izhikevichSpec(0.5, -65), { a: 0.02, b: 0.2, c: -65, d: 8, vPeak: 30 }, 12],
  // NIR's neurons (src/nir/neurons.ts), both resets; the non-spiking types fire through an IF/LIF-like gain check only
  ...(['I', 'IF', 'LI', 'LIF', 'CubaLI', 'CubaLIF'] as NirNeuronType[]).flatMap((t) =>
    (['value', 'subtract'] as const).map((r): [string, NeuronSpec, Record<string, number>, number] => [
      `NIR ${t} ${r}`,
      nirNeuronSpec(t, r),
      { tau: 2e-3, tau_syn: 1e-3, tau_mem: 2e-3, r: 1.5, v_leak: 0.1, v_threshold: 0.3, v_reset: -0.05, w_in: 2, dt: 1e-3 },
      t === 'I' || t === 'IF' ? 100 : 1,
    ]),
  ),
  // every neuron model of the registry's spec layers, at its parameters' defaults (threshold lowered to fire)
  ...[...LAYER_KINDS.values()].flatMap((k) =>
    'model' in k
      ? resets.map((r): [string, NeuronSpec, Record<string, number>, number] => {
          const spec = (k.model as NeuronModel).spec(r);
          const base = Object.fromEntries(spec.params.map((p) => [p.name, p.name === 'threshold' ? 0.5 : p.init]));
          return [`${k.kind} ${r}`, spec, base, 1];
        })
      : [],
  ),
];

/** Per-feature parameters: the case's values, spread a little so each feature has its own. */
function params(spec: NeuronSpec, base: Record<string, number>, H: number, rng: Rng) {
  const out: Record<string, Tensor> = {};
  for (const p of spec.params) {
    const v = new Float32Array(H).map(() => base[p.name] * (1 + 0.05 * (rng.uniform() - 0.5)));
    out[p.name] = Tensor.from(v, [H], { requiresGrad: true });
  }
  return out;
}

describe('shared neuron scan: WASM against the TypeScript reference', () => {
  for (const [bname, k] of wasmBuilds()) {
    for (const [name, spec, base, gain] of cases) {
      for (const sur of [atan(), fastSigmoid(10), sigmoid(5)] as Surrogate[]) {
        it(`${bname}: ${name}, ${sur.name}: same spikes and states, gradients to rounding`, () => {
          const rng = new Rng(7);
          const T = 13;
          const B = 3;
          const H = 5;
          const x = new Float32Array(T * B * H).map(() => gain * (rng.normal() * 0.7 + 0.35));
          const run = (kernels: typeof k | null) => {
            const prng = new Rng(3);
            const ps = params(spec, base, H, prng);
            const input = Tensor.from(x, [T, B, H], { requiresGrad: true });
            const r = specSequence(spec, input, { steps: T, constInput: false, params: ps, surrogate: sur, kernels });
            // a loss through the spikes and every state
            const seedS = new Float32Array(r.spk.size).map((_, i) => Math.sin(i));
            backward(r.spk, seedS);
            for (const [j, s] of Object.values(r.state).entries()) {
              backward(
                s,
                new Float32Array(s.size).map((_, i) => 0.01 * Math.cos(i + j)),
              );
            }
            return { r, input, ps };
          };
          const a = run(referenceKernels);
          const b = run(k);
          expect(Array.from(b.r.spk.data)).toEqual(Array.from(a.r.spk.data));
          if (!['I', 'LI', 'CubaLI'].includes(spec.name)) expect(a.r.spikes).toBeGreaterThan(0);
          for (const s of spec.state) expect(Array.from(b.r.state[s].data)).toEqual(Array.from(a.r.state[s].data));
          const close = (u: Float32Array, v: Float32Array) => {
            for (let i = 0; i < u.length; i++) expect(v[i]).toBeCloseTo(u[i], 4);
          };
          close(a.input.grad!, b.input.grad!);
          for (const p of spec.params) close(a.ps[p.name].grad!, b.ps[p.name].grad!);
        });
      }
    }
  }
});

describe('shared neuron scan: typed errors', () => {
  const spec = lifSpec(true, 'subtract', 'all');
  it('names a missing parameter and the ones the model takes', () => {
    expect(() => specParams(spec, 'Synaptic', { beta: 0.9, threshold: 1 }, 3)).toThrow(
      /Synaptic: parameter alpha is missing \(Synaptic takes alpha, beta, threshold\)/,
    );
  });
  it('refuses a parameter out of its range, naming the neuron', () => {
    const beta = Tensor.from([0.5, 1.5, 0.5]);
    expect(() => specParams(spec, 'Synaptic', { alpha: 0.9, beta, threshold: 1 }, 3)).toThrow(ValueError);
    expect(() => specParams(spec, 'Synaptic', { alpha: 0.9, beta, threshold: 1 }, 3)).toThrow(/beta\[1\] = 1.5 is outside \[0, 1\]/);
  });
  it('checks block lengths in both implementations', () => {
    for (const [, k] of [['reference', referenceKernels] as const, ...wasmBuilds()]) {
      const a = {
        spec,
        T: 2,
        N: 4,
        H: 2,
        constInput: false,
        x32: new Float32Array(8),
        x64: null,
        prev: new Float32Array(8),
        prevSpk: new Uint8Array(4),
        params: new Float64Array(5), // expected 2 * 3
        st: new Float32Array(16),
        spk: new Uint8Array(8),
      };
      expect(() => k.neuronForward(a)).toThrow(ShapeError);
      expect(() => k.neuronForward(a)).toThrow(/params has 5 values, expected 6/);
    }
  });
  it('a diverging Izhikevich membrane is an error in both implementations', () => {
    for (const [, k] of [['reference', referenceKernels] as const, ...wasmBuilds()]) {
      const x = Tensor.from(new Float32Array(40).fill(-1e4), [40, 1, 1]); // v^2 grows without bound
      expect(() =>
        specSequence(izhikevichSpec(0.5, -65), x, {
          steps: 40,
          constInput: false,
          params: { a: 0.02, b: 0.2, c: -65, d: 8, vPeak: 30 },
          surrogate: atan(),
          kernels: k,
        }),
      ).toThrow(/Izhikevich: the membrane diverged/);
    }
  });
});
