import type { Tensor } from '../core/tensor.js';
import { ShapeError, checkRange } from '../core/errors.js';
import type { Surrogate } from '../surrogate/index.js';
import type { Kernels } from '../kernels/types.js';
import { checkReset, checkSequenceArgs, checkStepArgs, type FeatureParam, type ResetMechanism } from './common.js';
import { RESET_CODES } from './leaky.js';
import { type NeuronSpec, perReset, specSequence, specStep, specVector } from './spec.js';

/**
 * Adaptive LIF (ALIF) of Bellec et al. 2018 (LSNN), in snnTorch's discrete conventions (input added
 * as is, zero initial state, reset from the previous step's spike r_t = S[t-1], detached):
 *   a[t]   = rho * a[t-1] + (1 - rho) * S[t-1]            (adaptation trace; the spike carries gradient)
 *   A[t]   = thr0 + betaA * a[t]                           (adaptive threshold)
 *   subtract: mem[t] = beta * mem[t-1] + I[t] - r_t * A[t]  (Bellec's reset subtracts the current threshold)
 *   zero:     mem[t] = beta * (1 - r_t) * mem[t-1] + I[t]   (as Leaky)
 *   none:     mem[t] = beta * mem[t-1] + I[t]
 *   S[t] = H(mem[t] - A[t])
 * Bellec's model scales the input by (1 - beta) and the surrogate by 1/thr; here the input is used as
 * given (as in snnTorch's Leaky) and the surrogate sees mem - A. With betaA = 0 it is exactly Leaky.
 */
export interface AlifParams {
  beta: number;
  threshold: number;
  /** Decay of the adaptation trace, in [0, 1] (rho = exp(-dt / tau_a)). */
  rho: number;
  /** Adaptation strength (Bellec's beta). */
  betaA: number;
  reset: ResetMechanism;
}

export interface AlifState {
  mem: Float32Array;
  /** Adaptation trace a. */
  adapt: Float32Array;
  /** Previous step's spikes. */
  spk: Uint8Array;
}

export function alifInitState(n: number): AlifState {
  return { mem: new Float32Array(n), adapt: new Float32Array(n), spk: new Uint8Array(n) };
}

// state: membrane, adaptation trace a, threshold A; parameters: beta, thr0, rho, betaA
const [M, AD, TH] = [0, 1, 2];
const [PB, PT, PR, PA] = [0, 1, 2, 3];

/** ALIF as a spec for the shared scan (spec.ts): the threshold is a state variable, the spike feeds the trace. */
export const alifSpec = perReset((reset) => {
  const spec: NeuronSpec = {
    name: 'ALIF',
    state: ['mem', 'adapt', 'threshold'],
    params: [
      { name: 'beta', lo: 0, hi: 1, init: 0.9, decay: true },
      { name: 'threshold', lo: -1e30, hi: 1e30, init: 1 },
      { name: 'rho', lo: 0, hi: 1, init: 0.95, decay: true },
      { name: 'betaA', lo: -1e30, hi: 1e30, init: 1.8 },
    ],
    fire: { state: M, threshold: { state: TH } },
    spikeInput: true,
    wasm: { model: 4, variant: RESET_CODES[reset] },
    step(s0, r, x, p, s) {
      const a = p[PR] * s0[AD] + (1 - p[PR]) * r;
      const A = p[PT] + p[PA] * a;
      s[AD] = a;
      s[TH] = A;
      if (reset === 'subtract') s[M] = p[PB] * s0[M] + x - r * A;
      else if (reset === 'zero') s[M] = p[PB] * (r ? 0 : s0[M]) + x;
      else s[M] = p[PB] * s0[M] + x;
    },
    adjoint(s0, r, _x, p, s, gs, gs0, gp) {
      const gm = gs[M];
      const gA = gs[TH] - (reset === 'subtract' ? r * gm : 0);
      gp[PT] += gA;
      gp[PA] += gA * s[AD];
      const ga = p[PA] * gA + gs[AD];
      gp[PR] += ga * (s0[AD] - r);
      gs0[AD] = p[PR] * ga;
      gs0[3] = (1 - p[PR]) * ga; // the previous spike, through the trace
      const keep = reset === 'zero' && r ? 0 : 1;
      gp[PB] += gm * keep * s0[M];
      gs0[M] = p[PB] * keep * gm;
      return gm;
    },
  };
  return spec;
});

export function alifStep(x: Float32Array, state: AlifState, p: AlifParams): { spk: Uint8Array; state: AlifState; threshold: Float32Array } {
  checkStepArgs('alifStep', x, state, p);
  const n = x.length;
  if (state.mem?.length !== n || state.adapt?.length !== n || state.spk?.length !== n) {
    throw new ShapeError(`alifStep: state has ${state.mem.length} neurons, input has ${n}`);
  }
  checkRange('alifStep beta', p.beta, 0, 1);
  checkRange('alifStep rho', p.rho, 0, 1);
  checkRange('alifStep threshold', p.threshold, -1e30, 1e30);
  checkRange('alifStep betaA', p.betaA, -1e30, 1e30);
  const spec = alifSpec(checkReset('alifStep', p.reset));
  const v = specVector(spec, 'alifStep', p as unknown as Record<string, number>);
  const r = specStep(spec, x, [state.mem, state.adapt, new Float32Array(n)], state.spk, () => v);
  return { spk: r.spk, state: { mem: r.state[M], adapt: r.state[AD], spk: r.spk }, threshold: r.state[TH] };
}

export interface AlifSequenceOptions {
  steps: number;
  constInput: boolean;
  beta: FeatureParam;
  /** Baseline threshold thr0. */
  threshold: FeatureParam;
  rho: FeatureParam;
  betaA: FeatureParam;
  reset: ResetMechanism;
  surrogate: Surrogate;
  /** Kernels for the shared neuron scan (absent: the default ones where available at once; null: the TypeScript scan). */
  kernels?: Kernels | null;
}

/** The fused [T, B, H] op; outputs spikes, membrane, the trace and the adaptive threshold A[t], all differentiable. */
export function alifSequence(
  input: Tensor,
  o: AlifSequenceOptions,
): { spk: Tensor; mem: Tensor; adapt: Tensor; threshold: Tensor; spikes: number } {
  checkSequenceArgs('alifSequence', input, o);
  const r = specSequence(alifSpec(checkReset('ALIF', o.reset)), input, {
    steps: o.steps,
    constInput: o.constInput,
    params: { beta: o.beta, threshold: o.threshold, rho: o.rho, betaA: o.betaA },
    surrogate: o.surrogate,
    kernels: o.kernels,
  });
  return { spk: r.spk, ...(r.state as { mem: Tensor; adapt: Tensor; threshold: Tensor }), spikes: r.spikes };
}
