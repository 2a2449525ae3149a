import type { Tensor } from '../core/tensor.js';
import { ShapeError, ValueError, checkRange } from '../core/errors.js';
import { checkReset, checkSequenceArgs, checkStepArgs, type FeatureParam, type ResetMechanism, type NeuronSequenceBase } from './common.js';
import { type NeuronSpec, perReset, specSequence, specStep, specVector } from './spec.js';

/**
 * snnTorch 0.9.4 `Alpha` neuron: an excitatory and an inhibitory synaptic trace whose difference is an
 * alpha-shaped kernel; the membrane is their scaled sum (it does not integrate its own past):
 *   e~ = alpha * e[t-1] + I[t]         i~ = beta * i[t-1] - I[t]
 *   tau = ln(alpha) / (ln(beta) - ln(alpha)) + 1       mem~ = tau * (e~ + i~)
 * reset (r_t = S[t-1] = H(mem[t-1] - thr), detached):
 *   subtract: e = e~ - r thr,  i = (1 - r) i~,  mem = mem~ + r i[t-1]     (snnTorch's exact rule)
 *   zero:     e, i, mem = (1 - r) * (e~, i~, mem~)        (snnTorch's default for Alpha)
 *   none:     e~, i~, mem~
 *   S[t] = H(mem[t] - thr)
 * Needs 0 < beta < alpha <= 1 (snnTorch: alpha > beta, beta != 1).
 */
export interface AlphaParams {
  alpha: number;
  beta: number;
  threshold: number;
  reset: ResetMechanism;
}

export interface AlphaState {
  synExc: Float32Array;
  synInh: Float32Array;
  mem: Float32Array;
}

export function alphaInitState(n: number): AlphaState {
  return { synExc: new Float32Array(n), synInh: new Float32Array(n), mem: new Float32Array(n) };
}

/** Throws ValueError unless 0 < beta < alpha <= 1. */
export function checkAlphaBeta(who: string, a: number, b: number): void {
  if (!(b > 0 && b < a && a <= 1)) throw new ValueError(`${who}: needs 0 < beta < alpha <= 1, found alpha = ${a}, beta = ${b}`);
}

/** tau = ln a / (ln b - ln a) + 1 and its partial derivatives. */
function tauOf(a: number, b: number): { tau: number; dA: number; dB: number } {
  const la = Math.log(a);
  const lb = Math.log(b);
  const d = lb - la;
  return { tau: la / d + 1, dA: lb / (d * d * a), dB: -la / (d * d * b) };
}

// Laid out as every spec file is (alif.ts, resonate.ts): state and parameter indices, then the spec's
// declaration (name, state, params, ...), which is data, one per model.
// state: excitatory trace, inhibitory trace, membrane; parameters: alpha, beta, threshold, then tau (derived)
const [E, I, M] = [0, 1, 2];
const [PA, PB, PT, TAU] = [0, 1, 2, 3];

/** The Alpha neuron as a spec for the shared scan (spec.ts), for one reset mechanism. */
export const alphaSpec = perReset((reset) => {
  const spec: NeuronSpec = {
    name: 'Alpha',
    state: ['synExc', 'synInh', 'mem'],
    params: [
      { name: 'alpha', lo: 0, hi: 1, init: 0.9 },
      { name: 'beta', lo: 0, hi: 1, init: 0.8 },
      { name: 'threshold', lo: -1e30, hi: 1e30, init: 1 },
    ],
    derived: {
      names: ['tau'],
      compute(p, who) {
        checkAlphaBeta(who, p[PA], p[PB]);
        p[TAU] = tauOf(p[PA], p[PB]).tau;
      },
      backward(p, g) {
        const { dA, dB } = tauOf(p[PA], p[PB]);
        g[PA] += g[TAU] * dA;
        g[PB] += g[TAU] * dB;
      },
    },
    fire: { state: M, threshold: { param: PT } },
    wasm: { model: 3, variant: { subtract: 0, zero: 1, none: 2 }[reset] },
    step(s0, r, x, p, s) {
      const e = p[PA] * s0[E] + x;
      const i = p[PB] * s0[I] - x;
      const m = p[TAU] * (e + i);
      if (reset === 'subtract') {
        s[E] = e - r * p[PT];
        s[I] = (1 - r) * i;
        s[M] = m + r * s0[I];
      } else if (reset === 'zero') {
        s[E] = (1 - r) * e;
        s[I] = (1 - r) * i;
        s[M] = (1 - r) * m;
      } else {
        s[E] = e;
        s[I] = i;
        s[M] = m;
      }
    },
    adjoint(s0, r, _x, p, _s, gs, gs0, gp) {
      const a = p[PA];
      const b = p[PB];
      const tau = p[TAU];
      const gm = gs[M];
      const sum = a * s0[E] + b * s0[I]; // e~ + i~ (the input cancels)
      const keep = reset === 'zero' ? 1 - r : 1;
      const gE = keep * (gs[E] + tau * gm);
      const gI = keep * ((reset === 'subtract' ? 1 - r : 1) * gs[I] + tau * gm);
      if (reset === 'subtract') gp[PT] -= r * gs[E];
      gp[TAU] += keep * gm * sum;
      gp[PA] += gE * s0[E];
      gp[PB] += gI * s0[I];
      gs0[E] = a * gE;
      gs0[I] = b * gI + (reset === 'subtract' ? r * gm : 0);
      return gE - gI;
    },
  };
  return spec;
});

export function alphaStep(x: Float32Array, state: AlphaState, p: AlphaParams): { spk: Uint8Array; state: AlphaState } {
  checkStepArgs('alphaStep', x, state, p);
  const n = x.length;
  if (state.mem?.length !== n || state.synExc?.length !== n || state.synInh?.length !== n) {
    throw new ShapeError(`alphaStep: state has ${state.mem.length} neurons, input has ${n}`);
  }
  checkAlphaBeta('alphaStep', p.alpha, p.beta);
  checkRange('alphaStep threshold', p.threshold, -1e30, 1e30);
  const spec = alphaSpec(checkReset('alphaStep', p.reset));
  const v = specVector(spec, 'alphaStep', p as unknown as Record<string, number>);
  const prevSpk = state.mem.map((m) => (m - p.threshold > 0 ? 1 : 0));
  const r = specStep(spec, x, [state.synExc, state.synInh, state.mem], prevSpk, () => v);
  return { spk: r.spk, state: { synExc: r.state[E], synInh: r.state[I], mem: r.state[M] } };
}

/** snnTorch's default reset for Alpha is 'zero'. */
export interface AlphaSequenceOptions extends NeuronSequenceBase {
  alpha: FeatureParam;
  beta: FeatureParam;
}

export function alphaSequence(
  input: Tensor,
  o: AlphaSequenceOptions,
): { spk: Tensor; synExc: Tensor; synInh: Tensor; mem: Tensor; spikes: number } {
  checkSequenceArgs('alphaSequence', input, o);
  const spec = alphaSpec(checkReset('Alpha', o.reset));
  const r = specSequence(spec, input, {
    steps: o.steps,
    constInput: o.constInput,
    params: { alpha: o.alpha, beta: o.beta, threshold: o.threshold },
    surrogate: o.surrogate,
    kernels: o.kernels,
  });
  return { spk: r.spk, ...(r.state as { synExc: Tensor; synInh: Tensor; mem: Tensor }), spikes: r.spikes };
}
