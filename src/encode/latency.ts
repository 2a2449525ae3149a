import { Tensor } from '../core/tensor.js';
import { ValueError, checkArray, checkBool, checkInt, checkObject, checkRange, checkTensor } from '../core/errors.js';

const f = Math.fround;

/** torch.round: half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export interface LatencyOptions {
  /** Input current threshold: values below it fire late (or, with clip, never). Default 0.01. */
  threshold?: number;
  /** RC time constant (log code) or slope (linear code). Default 1. */
  tau?: number;
  /** Earliest spike step. Default 0. */
  firstSpikeTime?: number;
  /** Linear instead of logarithmic (RC charging) latency. */
  linear?: boolean;
  /** Stretch the spike times over the whole [firstSpikeTime, T - 1] window. */
  normalize?: boolean;
  /** Values below the threshold emit no spike at all. */
  clip?: boolean;
  /** Added to the clamped input of the log code to avoid division by zero (snnTorch's epsilon). Default 1e-7. */
  epsilon?: number;
}

/**
 * Spike time of each value in [0, 1] with snnTorch's `spikegen.latency_code` semantics (float32
 * arithmetic): log code t = tau ln(x / (x - threshold)) for the RC neuron charging to threshold, linear
 * code t = tau (1 - x); brighter inputs fire earlier.
 */
export function latencyTimes(data: ArrayLike<number>, steps: number, o: LatencyOptions = {}): Float32Array {
  checkArray('latency data', data, false);
  checkObject('latency options', o);
  for (const k of ['linear', 'normalize', 'clip'] as const) checkBool(`latency ${k}`, o[k]);
  const thr = o.threshold ?? 0.01;
  let tau = o.tau ?? 1;
  const fst = o.firstSpikeTime ?? 0;
  checkInt('steps', steps, 1);
  if (!(thr > 0 && thr < 1)) throw new ValueError(`latency threshold: expected a number in (0, 1), found ${thr}`);
  checkRange('latency tau', tau, 1e-12, 1e12);
  checkInt('latency firstSpikeTime', fst, 0, steps - 1);
  const n = data.length;
  for (let i = 0; i < n; i++) {
    if (!(data[i] >= 0 && data[i] <= 1)) throw new ValueError(`latency: input value ${i} is ${data[i]}, expected a number in [0, 1]`);
  }
  const t = new Float32Array(n);
  if (o.linear) {
    if (o.normalize) tau = steps - 1 - fst;
    const cap = f(-tau * (thr - 1));
    for (let i = 0; i < n; i++) t[i] = f(Math.min(f(-tau * f(data[i] - 1)), cap) + fst);
    let mn = Infinity;
    let mx = -Infinity;
    for (let i = 0; i < n; i++) {
      mn = Math.min(mn, t[i]);
      mx = Math.max(mx, t[i]);
    }
    if (mn < 0 && o.normalize) for (let i = 0; i < n; i++) t[i] = f(f(f(t[i] - mn) * f(1 / f(mx - mn))) * (steps - 1));
    return t;
  }
  const lo = f(thr + (o.epsilon ?? 1e-7));
  for (let i = 0; i < n; i++) {
    const x = Math.max(f(data[i]), lo);
    t[i] = f(tau * f(Math.log(f(x / f(x - thr)))));
    if (fst > 0) t[i] = f(t[i] + fst);
  }
  if (o.normalize) {
    let mx = -Infinity;
    for (let i = 0; i < n; i++) mx = Math.max(mx, f(t[i] - fst));
    for (let i = 0; i < n; i++) t[i] = f(f(f(f(t[i] - fst) * (steps - fst - 1)) / mx) + fst);
  }
  return t;
}

/**
 * Latency (time-to-first-spike) encoding like snnTorch `spikegen.latency`: one spike per value at its
 * rounded spike time; [T, ...shape] of 0/1. A spike time beyond the window is an error, as in snnTorch
 * (use normalize or a smaller tau).
 */
export function latencyEncode(x: Tensor, steps: number, o: LatencyOptions = {}): Tensor {
  checkTensor('latencyEncode x', x);
  const t = latencyTimes(x.data, steps, o);
  const n = x.size;
  const thr = o.threshold ?? 0.01;
  const out = new Uint8Array(steps * n);
  for (let i = 0; i < n; i++) {
    const k = roundHalfEven(t[i]);
    if (k > steps - 1) {
      throw new ValueError(`latency: spike time ${k} of value ${i} is beyond the last step ${steps - 1}; decrease tau or set normalize`);
    }
    if (o.clip && x.data[i] < thr) continue;
    out[k * n + i] = 1;
  }
  return new Tensor(out, [steps, ...x.shape]);
}

/**
 * Delta modulation like snnTorch `spikegen.delta`: a spike where the input rose by at least
 * `threshold` since the previous step (the first step compares with 0, or with itself when padding);
 * with offSpike, -1 where it fell by at least threshold. Input and output are [T, ...]; the output
 * holds 0/1 spikes, or -1/0/1 floats with offSpike.
 */
export function deltaEncode(x: Tensor, o: { threshold?: number; padding?: boolean; offSpike?: boolean } = {}): Tensor {
  checkTensor('deltaEncode x', x);
  checkObject('delta options', o);
  const thr = o.threshold ?? 0.1;
  checkRange('delta threshold', thr, 0, 1e30);
  checkBool('delta padding', o.padding);
  checkBool('delta offSpike', o.offSpike);
  const T = x.shape[0];
  if (x.shape.length < 1 || !T) throw new ValueError(`delta: expected a [T, ...] input with T >= 1, found [${x.shape.join(', ')}]`);
  const n = x.size / T;
  const out = o.offSpike ? new Float32Array(x.size) : new Uint8Array(x.size);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < n; i++) {
      const cur = x.data[t * n + i];
      const prev = t > 0 ? x.data[(t - 1) * n + i] : o.padding ? cur : 0;
      const d = f(cur - prev);
      if (d >= thr) out[t * n + i] = 1;
      else if (o.offSpike && d <= -thr) out[t * n + i] = -1;
    }
  }
  return new Tensor(out, x.shape);
}
