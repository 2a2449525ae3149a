import { ValueError, checkInt, checkKeys, checkObject, checkRange } from '../core/errors.js';

/**
 * Continuous-time leaky integrate-and-fire neuron of the tutorials:
 *   tau_m dV/dt = -(V - V_rest) + R I(t)
 * integrated with step dt (ms), either by forward Euler (V += dt/tau (-(V - V_rest) + R I)), as the
 * tutorials do, or exactly for a current held constant over the step (exponential integration:
 * V = V_inf + (V - V_inf) e^{-dt/tau}, V_inf = V_rest + R I). A spike is emitted at the end of a step
 * where V >= threshold; V is then set to V_reset and held there for the refractory period (ms,
 * rounded to whole steps), during which the input is ignored.
 */
export interface LifParams {
  /** Membrane time constant tau_m = R C, ms. */
  tauM: number;
  /** Membrane resistance (V per unit of current). */
  R: number;
  vRest: number;
  vReset: number;
  threshold: number;
  /** Refractory period, ms. */
  refractory: number;
  /** Time step, ms. */
  dt: number;
  method: 'euler' | 'exact';
}

export const LIF_DEFAULTS: LifParams = { tauM: 20, R: 1, vRest: 0, vReset: 0, threshold: 1, refractory: 0, dt: 1, method: 'euler' };

export interface LifState {
  v: number;
  /** Remaining refractory steps. */
  refractoryLeft: number;
}

export function lifParams(p: Partial<LifParams> = {}): LifParams {
  checkKeys('LIF params', p, Object.keys(LIF_DEFAULTS));
  const q = { ...LIF_DEFAULTS, ...p };
  checkRange('tauM (ms)', q.tauM, 1e-9, 1e9);
  checkRange('R', q.R, -1e12, 1e12);
  checkRange('dt (ms)', q.dt, 1e-9, 1e6);
  checkRange('refractory (ms)', q.refractory, 0, 1e9);
  checkRange('threshold', q.threshold, -1e12, 1e12);
  checkRange('vRest', q.vRest, -1e12, 1e12);
  checkRange('vReset', q.vReset, -1e12, 1e12);
  if (q.method !== 'euler' && q.method !== 'exact') throw new ValueError(`method: expected euler or exact, found ${String(q.method)}`);
  if (q.method === 'euler' && q.dt >= q.tauM)
    throw new ValueError(`dt (${q.dt} ms) must be smaller than tauM (${q.tauM} ms) for the Euler method`);
  return q;
}

/** One step with input current i (pure: returns the new state). */
export function lifStep(i: number, s: LifState, p: LifParams): { spike: boolean; state: LifState } {
  checkObject('lifStep state', s);
  checkObject('lifStep params (lifParams())', p);
  if (s.refractoryLeft > 0) return { spike: false, state: { v: p.vReset, refractoryLeft: s.refractoryLeft - 1 } };
  const vInf = p.vRest + p.R * i;
  const v = p.method === 'exact' ? vInf + (s.v - vInf) * Math.exp(-p.dt / p.tauM) : s.v + (p.dt / p.tauM) * (vInf - s.v);
  if (v >= p.threshold) return { spike: true, state: { v: p.vReset, refractoryLeft: Math.round(p.refractory / p.dt) } };
  return { spike: false, state: { v, refractoryLeft: 0 } };
}

export interface LifRun {
  /** Membrane potential after each step (the reset value on spike steps). */
  v: Float32Array;
  /** Steps (0-based) at which the neuron spiked. */
  spikeSteps: number[];
  /** Spike times in ms: (step + 1) * dt, the end of the spiking step. */
  spikeTimes: number[];
  /** Spikes per second over the run. */
  rateHz: number;
}

/** Simulates `steps` steps from V = V_rest with a constant current or one current per step. */
export function simulateLif(current: number | ArrayLike<number>, steps: number, params: Partial<LifParams> = {}): LifRun {
  checkInt('steps', steps, 1, 1e9);
  const p = lifParams(params);
  if (typeof current !== 'number' && current.length < steps) {
    throw new ValueError(`current: ${current.length} values for ${steps} steps`);
  }
  let s: LifState = { v: p.vRest, refractoryLeft: 0 };
  const v = new Float32Array(steps);
  const spikeSteps: number[] = [];
  for (let t = 0; t < steps; t++) {
    const r = lifStep(typeof current === 'number' ? current : current[t], s, p);
    s = r.state;
    v[t] = s.v;
    if (r.spike) spikeSteps.push(t);
  }
  return { v, spikeSteps, spikeTimes: spikeSteps.map((t) => (t + 1) * p.dt), rateHz: spikeSteps.length / ((steps * p.dt) / 1000) };
}

/** Rheobase: the smallest constant current that ever reaches threshold (V_inf = V_rest + R I > threshold). */
export function lifRheobase(params: Partial<LifParams> = {}): number {
  const p = lifParams(params);
  return (p.threshold - p.vRest) / p.R;
}

/**
 * Analytic inter-spike interval (ms) for constant current, from V_reset: t_ref + tau ln((V_inf - V_reset) / (V_inf - threshold));
 * Infinity at or below the rheobase. With V_rest = V_reset = 0 this is t_ref + tau ln(R I / (R I - V_th)).
 */
export function lifAnalyticIsi(current: number, params: Partial<LifParams> = {}): number {
  const p = lifParams(params);
  const vInf = p.vRest + p.R * current;
  if (vInf <= p.threshold) return Infinity;
  return p.refractory + p.tauM * Math.log((vInf - p.vReset) / (vInf - p.threshold));
}

/** Firing rate (Hz) for each constant current: the simulated f-I curve. */
export function lifFiCurve(
  currents: readonly number[],
  steps: number,
  params: Partial<LifParams> = {},
): Array<{ current: number; rateHz: number; spikes: number }> {
  return currents.map((c) => {
    const r = simulateLif(c, steps, params);
    return { current: c, rateHz: r.rateHz, spikes: r.spikeSteps.length };
  });
}
