import type { Tensor } from '../core/tensor.js';
import { ShapeError, ValueError, checkObject, checkRange } from '../core/errors.js';
import type { Surrogate } from '../surrogate/index.js';
import type { Kernels } from '../kernels/types.js';
import { checkSequenceArgs, checkStepArgs, type FeatureParam } from './common.js';
import { type NeuronSpec, specSequence, specStep, specVector } from './spec.js';

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

// state: v, u; parameters: a, b, c, d, vPeak
const [SV, SU] = [0, 1];
const [PA, PB, PC, PD, PV, PDT] = [0, 1, 2, 3, 4, 5];

/** The Izhikevich neuron as a spec for the shared scan (spec.ts), for a time step dt (ms) and initial potential v0 (mV). */
export function izhikevichSpec(dt: number, v0: number): NeuronSpec {
  return {
    name: 'Izhikevich',
    state: ['v', 'u'],
    params: [
      { name: 'a', lo: -1e6, hi: 1e6, init: 0.02 },
      { name: 'b', lo: -1e6, hi: 1e6, init: 0.2 },
      { name: 'c', lo: -1e6, hi: 1e6, init: -65 },
      { name: 'd', lo: -1e6, hi: 1e6, init: 8 },
      { name: 'vPeak', lo: -1e3, hi: 1e3, init: 30 },
    ],
    // the time step rides in the parameter vector (for the WASM model); it has no gradient
    derived: {
      names: ['dt'],
      compute(p) {
        p[PDT] = dt;
      },
      backward() {},
    },
    wasm: { model: 5, variant: 0 },
    finite: true,
    fire: { state: SV, threshold: { param: PV } },
    init(p, s) {
      s[SV] = v0;
      s[SU] = Math.fround(p[PB] * v0);
    },
    initBackward(_p, gs, gp) {
      gp[PB] += gs[SU] * v0; // u[-1] = b v0
    },
    step(s0, r, x, p, s) {
      const vb = r ? p[PC] : s0[SV]; // the reset of the previous step's spike
      const ub = r ? s0[SU] + p[PD] : s0[SU];
      const v = vb + dt * (0.04 * vb * vb + 5 * vb + 140 - ub + x);
      const u = ub + dt * p[PA] * (p[PB] * v - ub);
      s[SV] = v;
      s[SU] = u;
    },
    adjoint(s0, r, _x, p, s, gs, gs0, gp) {
      const a = p[PA];
      const b = p[PB];
      const vb = r ? p[PC] : s0[SV];
      const ub = r ? s0[SU] + p[PD] : s0[SU];
      const gu = gs[SU];
      const gv = gs[SV] + gu * dt * a * b;
      const gvb = gv * (1 + dt * (0.08 * vb + 5));
      const gub = -dt * gv + gu * (1 - dt * a);
      gp[PA] += gu * dt * (b * s[SV] - ub);
      gp[PB] += gu * dt * a * s[SV];
      if (r) {
        gp[PC] += gvb;
        gp[PD] += gub;
      } else gs0[SV] = gvb;
      gs0[SU] = gub;
      return gv * dt;
    },
  };
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
  const { dt, vPeak, v0 } = options('izhikevichStep', o);
  const spec = izhikevichSpec(dt, v0);
  const v = specVector(spec, 'izhikevichStep', { a: p.a, b: p.b, c: p.c, d: p.d, vPeak });
  const r = specStep(spec, x, [state.v, state.u], state.spk, () => v);
  return { spk: r.spk, state: { v: r.state[SV], u: r.state[SU], spk: r.spk } };
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
  /** Kernels for the shared neuron scan (absent: the default ones where available at once; null: the TypeScript scan). */
  kernels?: Kernels | null;
}

/** The fused [T, B, H] op: spikes, v and u, with BPTT through the surrogate and gradients for a, b, c, d. */
export function izhikevichSequence(input: Tensor, o: IzhikevichSequenceOptions): { spk: Tensor; v: Tensor; u: Tensor; spikes: number } {
  checkSequenceArgs('izhikevichSequence', input, o);
  const { dt, vPeak, v0 } = options('Izhikevich', o);
  const r = specSequence(izhikevichSpec(dt, v0), input, {
    steps: o.steps,
    constInput: o.constInput,
    params: { a: o.a, b: o.b, c: o.c, d: o.d, vPeak },
    surrogate: o.surrogate,
    kernels: o.kernels,
  });
  return { spk: r.spk, v: r.state.v, u: r.state.u, spikes: r.spikes };
}
