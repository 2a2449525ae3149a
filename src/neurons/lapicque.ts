import type { Tensor } from '../core/tensor.js';
import { ValueError, checkObject, checkRange } from '../core/errors.js';
import { scale } from '../ops/index.js';
import type { Surrogate } from '../surrogate/index.js';
import { checkReset, checkSequenceArgs, checkStepArgs, type FeatureParam, type ResetMechanism } from './common.js';
import { lifFamilyStep, scanSequence } from './scan.js';

/**
 * Lapicque's RC neuron, snnTorch 0.9.4 `Lapicque`: forward Euler of tau dV/dt = -V + R I with step dt,
 *   mem[t] = I[t] * dt / C + (1 - dt / (R C)) * mem[t-1] - r_t * thr      (subtract; r_t = S[t-1], detached)
 *   zero:  mem[t] = (1 - r_t) * (I[t] * dt / C + (1 - dt / (R C)) * mem[t-1])
 * Give R and C, or beta with at most one of R, C (snnTorch's rules): beta alone means R = 1 and
 * C = dt / ln(1/beta); beta and R give C = dt / (R ln(1/beta)); beta and C give R = dt / (C ln(1/beta)).
 * Like snnTorch, the update uses the Euler factor 1 - dt/(RC), not beta itself.
 */
export interface LapicqueParams {
  R?: number;
  C?: number;
  beta?: number;
  /** Time step dt (same unit as R C); default 1. */
  timeStep?: number;
  threshold?: number;
  reset?: ResetMechanism;
}

export interface LapicqueConstants {
  R: number;
  C: number;
  timeStep: number;
  /** Euler leak factor 1 - dt / (R C). */
  decay: number;
  /** Input gain dt / C. */
  gain: number;
}

/** R, C, dt and the update's two constants from snnTorch's argument rules. */
export function lapicqueConstants(p: LapicqueParams): LapicqueConstants {
  checkObject('Lapicque params', p);
  const dt = p.timeStep ?? 1;
  checkRange('Lapicque timeStep', dt, 1e-300, 1e300);
  let { R, C } = p;
  const beta = p.beta;
  if (beta !== undefined) checkRange('Lapicque beta', beta, 1e-300, 1 - 1e-12);
  if (R !== undefined) checkRange('Lapicque R', R, 1e-300, 1e300);
  if (C !== undefined) checkRange('Lapicque C', C, 1e-300, 1e300);
  if (beta === undefined) {
    if (R === undefined || C === undefined) throw new ValueError('Lapicque: give beta, or both R and C');
  } else if (R !== undefined && C !== undefined) {
    throw new ValueError('Lapicque: give R and C, or beta with at most one of R and C (beta, R and C together over-determine it)');
  } else if (R === undefined && C === undefined) {
    R = 1;
    C = dt / Math.log(1 / beta);
  } else if (C === undefined) C = dt / (R! * Math.log(1 / beta));
  else R = dt / (C * Math.log(1 / beta));
  const decay = 1 - dt / (R! * C!);
  if (!(decay >= 0)) {
    throw new ValueError(`Lapicque: time step ${dt} exceeds the membrane time constant R*C = ${R! * C!}; forward Euler needs dt <= RC`);
  }
  return { R: R!, C: C!, timeStep: dt, decay, gain: R! * (1 / (R! * C!)) * dt };
}

export interface LapicqueState {
  mem: Float32Array;
}

export function lapicqueInitState(n: number): LapicqueState {
  return { mem: new Float32Array(n) };
}

export function lapicqueStep(x: Float32Array, state: LapicqueState, p: LapicqueParams): { spk: Uint8Array; state: LapicqueState } {
  checkStepArgs('lapicqueStep', x, state, p);
  const k = lapicqueConstants(p);
  const thr = p.threshold ?? 1;
  checkRange('lapicqueStep threshold', thr, -1e30, 1e30);
  const reset = checkReset('lapicqueStep', p.reset ?? 'subtract');
  if (state.mem?.length !== x.length) throw new ValueError(`lapicqueStep: state has ${state.mem.length} neurons, input has ${x.length}`);
  const prevSpk = state.mem.map((m) => (m - thr > 0 ? 1 : 0));
  const drive = Float64Array.from(x, (v) => v * k.gain);
  const r = lifFamilyStep(drive, null, state.mem, prevSpk, { alpha: null, beta: () => k.decay, threshold: thr, reset, zeroStyle: 'all' });
  return { spk: r.spk, state: { mem: r.mem } };
}

export interface LapicqueSequenceOptions extends Omit<LapicqueParams, 'threshold' | 'reset'> {
  steps: number;
  constInput: boolean;
  threshold?: FeatureParam;
  reset?: ResetMechanism;
  surrogate: Surrogate;
}

export function lapicqueSequence(input: Tensor, o: LapicqueSequenceOptions): { spk: Tensor; mem: Tensor; spikes: number } {
  checkSequenceArgs('lapicqueSequence', input, o);
  const k = lapicqueConstants({ R: o.R, C: o.C, beta: o.beta, timeStep: o.timeStep });
  const r = scanSequence(scale(input, k.gain), {
    who: 'Lapicque',
    steps: o.steps,
    constInput: o.constInput,
    beta: k.decay,
    threshold: o.threshold ?? 1,
    reset: o.reset ?? 'subtract',
    zeroStyle: 'all',
    surrogate: o.surrogate,
  });
  return { spk: r.spk, mem: r.mem, spikes: r.spikes };
}
