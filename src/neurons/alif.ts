import { type Tensor, accumulateOwnedGrad } from '../core/tensor.js';
import { ShapeError, checkRange } from '../core/errors.js';
import type { Surrogate } from '../surrogate/index.js';
import {
  addParamGrad,
  checkReset,
  checkSequenceArgs,
  checkStepArgs,
  checkSurrogate,
  fusedOutputs,
  gradInputArray,
  paramParents,
  resolveParam,
  seqGeom,
  type FeatureParam,
  type ResetMechanism,
} from './common.js';

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

function update(
  m0: number,
  a0: number,
  s0: number,
  x: number,
  beta: number,
  thr0: number,
  rho: number,
  betaA: number,
  reset: ResetMechanism,
) {
  const a = rho * a0 + (1 - rho) * s0;
  const A = thr0 + betaA * a;
  let m: number;
  if (reset === 'subtract') m = beta * m0 + x - s0 * A;
  else if (reset === 'zero') m = beta * (s0 ? 0 : m0) + x;
  else m = beta * m0 + x;
  return { a, A, m };
}

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
  const reset = checkReset('alifStep', p.reset);
  const out = alifInitState(n);
  const thr = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = update(state.mem[i], state.adapt[i], state.spk[i], x[i], p.beta, p.threshold, p.rho, p.betaA, reset);
    out.mem[i] = u.m;
    out.adapt[i] = u.a;
    thr[i] = u.A;
    out.spk[i] = out.mem[i] - thr[i] > 0 ? 1 : 0;
  }
  return { spk: out.spk, state: out, threshold: thr };
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
}

/** The fused [T, B, H] op; outputs spikes, membrane and the adaptive threshold A[t], all differentiable. */
export function alifSequence(input: Tensor, o: AlifSequenceOptions): { spk: Tensor; mem: Tensor; threshold: Tensor; spikes: number } {
  checkSequenceArgs('alifSequence', input, o);
  const who = 'ALIF';
  const g = seqGeom(who, input, o.steps, o.constInput);
  const { T, B, H, N } = g;
  const reset = checkReset(who, o.reset);
  const sur = checkSurrogate(who, o.surrogate);
  const be = resolveParam(who, 'beta', o.beta, H, 0, 1);
  const th = resolveParam(who, 'threshold', o.threshold, H, -1e30, 1e30);
  const rh = resolveParam(who, 'rho', o.rho, H, 0, 1);
  const ba = resolveParam(who, 'betaA', o.betaA, H, -1e30, 1e30);
  const x = input.data;
  const M = new Float32Array(T * N);
  const Aa = new Float32Array(T * N); // adaptation trace a[t]
  const Th = new Float32Array(T * N); // threshold A[t]
  const S = new Uint8Array(T * N);
  let count = 0;
  for (let t = 0; t < T; t++) {
    for (let n = 0; n < N; n++) {
      const h = n % H;
      const k = t * N + n;
      const u = update(
        t ? M[k - N] : 0,
        t ? Aa[k - N] : 0,
        t ? S[k - N] : 0,
        g.constInput ? x[n] : x[k],
        be.v[h],
        th.v[h],
        rh.v[h],
        ba.v[h],
        reset,
      );
      M[k] = u.m;
      Aa[k] = u.a;
      Th[k] = u.A;
      S[k] = M[k] - Th[k] > 0 ? 1 : 0;
      count += S[k];
    }
  }
  const shape = [T, B, H];
  const outs = fusedOutputs(
    [input, ...paramParents(be, th, rh, ba)],
    { spk: { data: S, shape }, mem: { data: M, shape }, threshold: { data: Th, shape } },
    (gr) => {
      const gi = gradInputArray(g);
      const gBeta = new Float64Array(H);
      const gThr0 = new Float64Array(H);
      const gRho = new Float64Array(H);
      const gBetaA = new Float64Array(H);
      const cM = new Float64Array(N);
      const cA = new Float64Array(N);
      const cS = new Float64Array(N);
      for (let t = T - 1; t >= 0; t--) {
        for (let n = 0; n < N; n++) {
          const h = n % H;
          const k = t * N + n;
          const r = t && S[k - N] ? 1 : 0;
          const gS = (gr.spk ? gr.spk[k] : 0) + cS[n];
          const q = gS !== 0 ? gS * sur.grad(M[k] - Th[k]) : 0;
          const gm = (gr.mem ? gr.mem[k] : 0) + q + cM[n];
          const gA = (gr.threshold ? gr.threshold[k] : 0) - q - (reset === 'subtract' ? r * gm : 0);
          gThr0[h] += gA;
          gBetaA[h] += gA * Aa[k];
          const ga = ba.v[h] * gA + cA[n];
          gRho[h] += ga * ((t ? Aa[k - N] : 0) - r);
          cA[n] = rh.v[h] * ga;
          cS[n] = (1 - rh.v[h]) * ga;
          if (g.constInput) gi[n] += gm;
          else gi[k] = gm;
          const keep = reset === 'zero' && r ? 0 : 1;
          gBeta[h] += gm * keep * (t ? M[k - N] : 0);
          cM[n] = be.v[h] * keep * gm;
        }
      }
      if (input.requiresGrad) accumulateOwnedGrad(input, gi);
      addParamGrad(be, gBeta);
      addParamGrad(th, gThr0);
      addParamGrad(rh, gRho);
      addParamGrad(ba, gBetaA);
    },
  );
  return { ...outs, spikes: count };
}
