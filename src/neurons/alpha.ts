import { type Tensor, accumulateOwnedGrad } from '../core/tensor.js';
import { ShapeError, ValueError, checkRange } from '../core/errors.js';
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
  type NeuronSequenceBase,
} from './common.js';

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

/** One update of one neuron (also the reference the fused op is tested against). */
function update(e0: number, i0: number, m0: number, x: number, a: number, b: number, tau: number, thr: number, reset: ResetMechanism) {
  const r = m0 - thr > 0 ? 1 : 0;
  const e = a * e0 + x;
  const i = b * i0 - x;
  const m = tau * (e + i);
  if (reset === 'subtract') return { e: e - r * thr, i: (1 - r) * i, m: m + r * i0 };
  if (reset === 'zero') return { e: (1 - r) * e, i: (1 - r) * i, m: (1 - r) * m };
  return { e, i, m };
}

export function alphaStep(x: Float32Array, state: AlphaState, p: AlphaParams): { spk: Uint8Array; state: AlphaState } {
  checkStepArgs('alphaStep', x, state, p);
  const n = x.length;
  if (state.mem?.length !== n || state.synExc?.length !== n || state.synInh?.length !== n) {
    throw new ShapeError(`alphaStep: state has ${state.mem.length} neurons, input has ${n}`);
  }
  checkAlphaBeta('alphaStep', p.alpha, p.beta);
  checkRange('alphaStep threshold', p.threshold, -1e30, 1e30);
  const reset = checkReset('alphaStep', p.reset);
  const { tau } = tauOf(p.alpha, p.beta);
  const out = alphaInitState(n);
  const spk = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const u = update(state.synExc[k], state.synInh[k], state.mem[k], x[k], p.alpha, p.beta, tau, p.threshold, reset);
    out.synExc[k] = u.e;
    out.synInh[k] = u.i;
    out.mem[k] = u.m;
    spk[k] = out.mem[k] - p.threshold > 0 ? 1 : 0;
  }
  return { spk, state: out };
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
  const who = 'Alpha';
  const g = seqGeom(who, input, o.steps, o.constInput);
  const { T, B, H, N } = g;
  const reset = checkReset(who, o.reset);
  const sur = checkSurrogate(who, o.surrogate);
  const al = resolveParam(who, 'alpha', o.alpha, H, 0, 1);
  const be = resolveParam(who, 'beta', o.beta, H, 0, 1);
  const th = resolveParam(who, 'threshold', o.threshold, H, -1e30, 1e30);
  const taus = Array.from({ length: H }, (_, h) => {
    checkAlphaBeta(who, al.v[h], be.v[h]);
    return tauOf(al.v[h], be.v[h]);
  });
  const x = input.data;
  const E = new Float32Array(T * N);
  const I = new Float32Array(T * N);
  const M = new Float32Array(T * N);
  const S = new Uint8Array(T * N);
  let count = 0;
  for (let t = 0; t < T; t++) {
    for (let n = 0; n < N; n++) {
      const h = n % H;
      const k = t * N + n;
      const p = k - N;
      const u = update(t ? E[p] : 0, t ? I[p] : 0, t ? M[p] : 0, g.constInput ? x[n] : x[k], al.v[h], be.v[h], taus[h].tau, th.v[h], reset);
      E[k] = u.e;
      I[k] = u.i;
      M[k] = u.m;
      S[k] = M[k] - th.v[h] > 0 ? 1 : 0;
      count += S[k];
    }
  }
  const shape = [T, B, H];
  const outs = fusedOutputs(
    [input, ...paramParents(al, be, th)],
    { spk: { data: S, shape }, synExc: { data: E, shape }, synInh: { data: I, shape }, mem: { data: M, shape } },
    (gr) => {
      const gi = gradInputArray(g);
      const gA = new Float64Array(H);
      const gB = new Float64Array(H);
      const gTau = new Float64Array(H);
      const gThr = new Float64Array(H);
      const cE = new Float64Array(N);
      const cI = new Float64Array(N);
      for (let t = T - 1; t >= 0; t--) {
        for (let n = 0; n < N; n++) {
          const h = n % H;
          const k = t * N + n;
          const a = al.v[h];
          const b = be.v[h];
          const tau = taus[h].tau;
          const thr = th.v[h];
          const e0 = t ? E[k - N] : 0;
          const i0 = t ? I[k - N] : 0;
          const r = t && S[k - N] ? 1 : 0;
          const xin = g.constInput ? x[n] : x[k];
          const sg = gr.spk && gr.spk[k] !== 0 ? gr.spk[k] * sur.grad(M[k] - thr) : 0;
          const gm = (gr.mem ? gr.mem[k] : 0) + sg;
          gThr[h] -= sg;
          const ge = (gr.synExc ? gr.synExc[k] : 0) + cE[n];
          const gI = (gr.synInh ? gr.synInh[k] : 0) + cI[n];
          const sum = a * e0 + xin + (b * i0 - xin);
          let gEt: number;
          let gIt: number;
          let extra = 0;
          if (reset === 'subtract') {
            gEt = ge + tau * gm;
            gIt = (1 - r) * gI + tau * gm;
            gThr[h] -= r * ge;
            gTau[h] += gm * sum;
            extra = r * gm;
          } else if (reset === 'zero') {
            const keep = 1 - r;
            gEt = keep * (ge + tau * gm);
            gIt = keep * (gI + tau * gm);
            gTau[h] += keep * gm * sum;
          } else {
            gEt = ge + tau * gm;
            gIt = gI + tau * gm;
            gTau[h] += gm * sum;
          }
          const gx = gEt - gIt;
          if (g.constInput) gi[n] += gx;
          else gi[k] = gx;
          gA[h] += gEt * e0;
          gB[h] += gIt * i0;
          cE[n] = a * gEt;
          cI[n] = b * gIt + extra;
        }
      }
      for (let h = 0; h < H; h++) {
        gA[h] += gTau[h] * taus[h].dA;
        gB[h] += gTau[h] * taus[h].dB;
      }
      if (input.requiresGrad) accumulateOwnedGrad(input, gi);
      addParamGrad(al, gA);
      addParamGrad(be, gB);
      addParamGrad(th, gThr);
    },
  );
  return { ...outs, spikes: count };
}
