import { type Tensor, accumulateOwnedGrad } from '../core/tensor.js';
import { ShapeError, ValueError, checkObject, checkRange } from '../core/errors.js';
import type { Surrogate } from '../surrogate/index.js';
import {
  addParamGrad,
  checkSequenceArgs,
  checkStepArgs,
  checkSurrogate,
  fusedOutputs,
  gradInputArray,
  paramParents,
  resolveParam,
  seqGeom,
  type FeatureParam,
} from './common.js';

/**
 * Izhikevich (2003) neuron (ms, mV), trainable: forward Euler with step dt, reset from the previous
 * step's spike (as Izhikevich's own code: `fired = v >= 30; v(fired) = c; u(fired) += d` at the start of
 * the next step), u updated from the new v (the paper's semi-implicit order):
 *   r_t = S[t-1] (detached)     v' = r_t ? c : v[t-1]      u' = r_t ? u[t-1] + d : u[t-1]
 *   v[t] = v' + dt (0.04 v'^2 + 5 v' + 140 - u' + I[t])
 *   u[t] = u' + dt a (b v[t] - u')
 *   S[t] = H(v[t] - vPeak), surrogate derivative at v[t] - vPeak (in mV: pick the surrogate's width for mV)
 * Initial state v = v0 (default -65 mV), u = b v0. v[t] is the potential before the reset, so a step
 * that fires shows its overshoot above vPeak (like snnTorch's mem above threshold).
 */
export interface IzhikevichParams {
  a: number;
  b: number;
  c: number;
  d: number;
}

/** The classic cortical and thalamic firing classes of Izhikevich (2003), Fig. 2. */
export const IZHIKEVICH_PRESETS = {
  /** Regular spiking (excitatory cortical): tonic spikes with frequency adaptation. */
  regularSpiking: { a: 0.02, b: 0.2, c: -65, d: 8 },
  /** Intrinsically bursting: an initial burst, then regular single spikes. */
  intrinsicallyBursting: { a: 0.02, b: 0.2, c: -55, d: 4 },
  /** Chattering: repeated high-frequency bursts. */
  chattering: { a: 0.02, b: 0.2, c: -50, d: 2 },
  /** Fast spiking (inhibitory interneurons): high frequency, little adaptation. */
  fastSpiking: { a: 0.1, b: 0.2, c: -65, d: 2 },
  /** Low-threshold spiking (inhibitory): high frequency with adaptation, low threshold. */
  lowThresholdSpiking: { a: 0.02, b: 0.25, c: -65, d: 2 },
  /** Thalamo-cortical. */
  thalamoCortical: { a: 0.02, b: 0.25, c: -65, d: 0.05 },
  /** Resonator. */
  resonator: { a: 0.1, b: 0.26, c: -65, d: 2 },
} as const satisfies Record<string, IzhikevichParams>;

export type IzhikevichPreset = keyof typeof IZHIKEVICH_PRESETS;

export interface IzhikevichOptions {
  /** Time step in ms (default 0.5). */
  dt?: number;
  /** Spike cut-off in mV (default 30). */
  vPeak?: number;
  /** Initial membrane potential in mV (default -65). */
  v0?: number;
}

export interface IzhikevichState {
  v: Float32Array;
  u: Float32Array;
  spk: Uint8Array;
}

function options(who: string, o: IzhikevichOptions) {
  const dt = o.dt ?? 0.5;
  const vPeak = o.vPeak ?? 30;
  const v0 = o.v0 ?? -65;
  checkRange(`${who} dt (ms)`, dt, 1e-6, 10);
  checkRange(`${who} vPeak (mV)`, vPeak, -1e3, 1e3);
  checkRange(`${who} v0 (mV)`, v0, -1e3, 1e3);
  if (v0 >= vPeak) throw new ValueError(`${who}: v0 = ${v0} mV must lie below vPeak = ${vPeak} mV`);
  return { dt, vPeak, v0 };
}

export function izhikevichInitState(n: number, p: IzhikevichParams, o: IzhikevichOptions = {}): IzhikevichState {
  checkObject('izhikevichInitState params', p);
  checkObject('izhikevichInitState options', o);
  const { v0 } = options('izhikevichInitState', o);
  return { v: new Float32Array(n).fill(v0), u: new Float32Array(n).fill(p.b * v0), spk: new Uint8Array(n) };
}

function update(v0: number, u0: number, r: number, x: number, a: number, b: number, c: number, d: number, dt: number) {
  const vb = r ? c : v0;
  const ub = r ? u0 + d : u0;
  const v = vb + dt * (0.04 * vb * vb + 5 * vb + 140 - ub + x);
  const u = ub + dt * a * (b * v - ub);
  return { vb, ub, v, u };
}

export function izhikevichStep(
  x: Float32Array,
  state: IzhikevichState,
  p: IzhikevichParams,
  o: IzhikevichOptions = {},
): { spk: Uint8Array; state: IzhikevichState } {
  checkStepArgs('izhikevichStep', x, state, p);
  checkObject('izhikevichStep options', o);
  const n = x.length;
  if (state.v?.length !== n || state.u?.length !== n || state.spk?.length !== n) {
    throw new ShapeError(`izhikevichStep: state has ${state.v.length} neurons, input has ${n}`);
  }
  for (const k of ['a', 'b', 'c', 'd'] as const) checkRange(`izhikevichStep ${k}`, p[k], -1e6, 1e6);
  const { dt, vPeak } = options('izhikevichStep', o);
  const out: IzhikevichState = { v: new Float32Array(n), u: new Float32Array(n), spk: new Uint8Array(n) };
  for (let i = 0; i < n; i++) {
    const s = update(state.v[i], state.u[i], state.spk[i], x[i], p.a, p.b, p.c, p.d, dt);
    out.v[i] = s.v;
    out.u[i] = s.u;
    out.spk[i] = out.v[i] - vPeak > 0 ? 1 : 0;
  }
  return { spk: out.spk, state: out };
}

export interface IzhikevichSequenceOptions extends IzhikevichOptions {
  steps: number;
  constInput: boolean;
  /** Per-feature parameters: numbers or Tensors of 1 or H values (may require grad). */
  a: FeatureParam;
  b: FeatureParam;
  c: FeatureParam;
  d: FeatureParam;
  surrogate: Surrogate;
}

/** The fused [T, B, H] op: spikes, v and u, with BPTT through the surrogate and gradients for a, b, c, d. */
export function izhikevichSequence(input: Tensor, o: IzhikevichSequenceOptions): { spk: Tensor; v: Tensor; u: Tensor; spikes: number } {
  checkSequenceArgs('izhikevichSequence', input, o);
  const who = 'Izhikevich';
  const g = seqGeom(who, input, o.steps, o.constInput);
  const { T, B, H, N } = g;
  const { dt, vPeak, v0 } = options(who, o);
  const sur = checkSurrogate(who, o.surrogate);
  const [pa, pb, pc, pd] = (['a', 'b', 'c', 'd'] as const).map((k) => resolveParam(who, k, o[k], H, -1e6, 1e6));
  const x = input.data;
  const V = new Float32Array(T * N);
  const U = new Float32Array(T * N);
  const S = new Uint8Array(T * N);
  let count = 0;
  for (let t = 0; t < T; t++) {
    for (let n = 0; n < N; n++) {
      const h = n % H;
      const k = t * N + n;
      const s = update(
        t ? V[k - N] : v0,
        t ? U[k - N] : Math.fround(pb.v[h] * v0),
        t ? S[k - N] : 0,
        g.constInput ? x[n] : x[k],
        pa.v[h],
        pb.v[h],
        pc.v[h],
        pd.v[h],
        dt,
      );
      if (!Number.isFinite(s.v) || !Number.isFinite(s.u)) {
        throw new ValueError(`${who}: the membrane diverged at step ${t} (v = ${s.v}); use a smaller dt or a smaller input`);
      }
      V[k] = s.v;
      U[k] = s.u;
      S[k] = V[k] - vPeak > 0 ? 1 : 0;
      count += S[k];
    }
  }
  const shape = [T, B, H];
  const outs = fusedOutputs(
    [input, ...paramParents(pa, pb, pc, pd)],
    { spk: { data: S, shape }, v: { data: V, shape }, u: { data: U, shape } },
    (gr) => {
      const gi = gradInputArray(g);
      const [ga, gb, gc, gd] = [0, 0, 0, 0].map(() => new Float64Array(H));
      const cV = new Float64Array(N);
      const cU = new Float64Array(N);
      for (let t = T - 1; t >= 0; t--) {
        for (let n = 0; n < N; n++) {
          const h = n % H;
          const k = t * N + n;
          const a = pa.v[h];
          const b = pb.v[h];
          const r = t && S[k - N] ? 1 : 0;
          const vb = r ? pc.v[h] : t ? V[k - N] : v0;
          const ub = (t ? U[k - N] : Math.fround(b * v0)) + (r ? pd.v[h] : 0);
          const gu = (gr.u ? gr.u[k] : 0) + cU[n];
          const gs = gr.spk ? gr.spk[k] : 0;
          const gv = (gr.v ? gr.v[k] : 0) + (gs !== 0 ? gs * sur.grad(V[k] - vPeak) : 0) + cV[n] + gu * dt * a * b;
          if (g.constInput) gi[n] += gv * dt;
          else gi[k] = gv * dt;
          const gvb = gv * (1 + dt * (0.08 * vb + 5));
          const gub = -dt * gv + gu * (1 - dt * a);
          ga[h] += gu * dt * (b * V[k] - ub);
          gb[h] += gu * dt * a * V[k];
          if (r) {
            gc[h] += gvb;
            gd[h] += gub;
            cV[n] = 0;
          } else cV[n] = gvb;
          cU[n] = gub;
        }
      }
      for (let n = 0; n < N; n++) gb[n % H] += cU[n] * v0; // u[-1] = b v0
      if (input.requiresGrad) accumulateOwnedGrad(input, gi);
      addParamGrad(pa, ga);
      addParamGrad(pb, gb);
      addParamGrad(pc, gc);
      addParamGrad(pd, gd);
    },
  );
  return { ...outs, spikes: count };
}
