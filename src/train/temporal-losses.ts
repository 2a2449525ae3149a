import { Tensor } from '../core/tensor.js';
import { ShapeError, ValueError, checkObject } from '../core/errors.js';
import type { Targets } from './losses.js';
import { checkClasses } from '../kernels/validate.js';

/**
 * Time-to-first-spike losses with snnTorch 0.9.4's semantics (`functional.mse_temporal_loss`,
 * `functional.ce_temporal_loss`). Spikes are [T, B, C]. The spike time of an output is the step of its
 * first spike (0-based); an output that never fires gets a "shadow spike" at the last step, T - 1. Spike
 * times are not differentiable; as snnTorch does, the gradient of a spike time reaches the spike at that
 * step (the shadow step for a silent output) with the sign estimator dt/dS = -1: a larger membrane fires
 * earlier.
 */

/** The step of the k-th spike (k = 0, 1, ...) of every output, T - 1 where there is none: [B * C] per k. */
export function spikeTimes(spk: Tensor, count = 1): Int32Array[] {
  if (spk.shape.length !== 3) throw new ShapeError(`spikeTimes: expected [T, B, C] spikes, found [${spk.shape.join(', ')}]`);
  const [T, B, C] = spk.shape;
  const n = B * C;
  const out = Array.from({ length: count }, () => new Int32Array(n).fill(T - 1));
  for (let i = 0; i < n; i++) {
    let k = 0;
    for (let t = 0; t < T && k < count; t++) if (spk.data[t * n + i] !== 0) out[k++][i] = t;
  }
  return out;
}

export interface TemporalTargetOptions {
  /**
   * Spike time of the correct class (labels as targets): a step, negative counting from the end (-1 is
   * T - 1); one per spike with `multiSpike`. Default 0.
   */
  onTarget?: number | readonly number[];
  /** Spike time of the other classes. Default -1 (the last step). */
  offTarget?: number | readonly number[];
  /** A spike time within `tolerance` steps of its target counts as on target. Default 0. */
  tolerance?: number;
  /**
   * How labels become target times. 'snntorch' (default): as snnTorch 0.9.4 computes it (spikegen.targets_convert):
   * with onTarget > offTarget it clamps the one-hot code onTarget x onehot at offTarget, so the other classes get
   * max(0, offTarget), not offTarget; with the defaults (0 and -1) every output's target is step 0, unlike its
   * documentation ("incorrect at the final step"). 'one-hot': onTarget for the label, offTarget for the others,
   * as documented.
   */
  labelCode?: 'snntorch' | 'one-hot';
  /** Compare the first F spikes (F = the length of onTarget / offTarget, or of the target times). */
  multiSpike?: boolean;
  /** Targets are spike times ([C], [B * C], or F of them with multiSpike) instead of class labels. */
  targetIsTime?: boolean;
  reduction?: 'mean' | 'sum';
}

const list = (v: number | readonly number[]) => (typeof v === 'number' ? [v] : [...v]);

/** Target times [F][B * C] from labels or given times (negative times count from the end). */
function targetTimes(who: string, targets: Targets, T: number, B: number, C: number, o: TemporalTargetOptions): Float64Array[] {
  const n = B * C;
  const fix = (v: number) => (v < 0 ? T + v : v);
  if (o.targetIsTime) {
    // C times (the same for every sample) or B * C, once per compared spike
    const per = targets.length % n === 0 ? n : targets.length % C === 0 ? C : 0;
    const F = per ? targets.length / per : 0;
    if (!per || (!o.multiSpike && F !== 1))
      throw new ShapeError(
        `${who}: ${targets.length} target times for ${B} samples of ${C} outputs; give ${C} or ${n}${o.multiSpike ? ' per spike' : ''}`,
      );
    return Array.from({ length: F }, (_, f) => Float64Array.from({ length: n }, (_, i) => fix(targets[f * per + (i % per)])));
  }
  if (targets.length !== B) throw new ShapeError(`${who}: ${targets.length} targets for a batch of ${B}`);
  const on = list(o.onTarget ?? 0);
  const off = list(o.offTarget ?? -1);
  if (on.length !== off.length) throw new ValueError(`${who}: onTarget has ${on.length} times, offTarget ${off.length}; give as many`);
  if (!o.multiSpike && on.length !== 1) throw new ValueError(`${who}: several target times need multiSpike`);
  const code = o.labelCode ?? 'snntorch';
  if (code !== 'snntorch' && code !== 'one-hot')
    throw new ValueError(`${who}: labelCode must be snntorch or one-hot, found ${String(code)}`);
  checkClasses(who, targets, C);
  return on.map((a, f) => {
    // snnTorch: clamp(onehot * on, min = off) when on > off (the fix of negative times comes after)
    const clamp = code === 'snntorch' && a > off[f];
    const m = new Float64Array(n).fill(fix(clamp ? Math.max(0, off[f]) : off[f]));
    for (let b = 0; b < B; b++) {
      const y = targets[b];
      m[b * C + y] = fix(clamp ? Math.max(a, off[f]) : a);
    }
    return m;
  });
}

/** A differentiable scalar over the spike times: value(times) and its gradient by time, carried back to the spikes. */
function overSpikeTimes(spk: Tensor, times: Int32Array[], value: number, gradByTime: Float64Array[]): Tensor {
  const [, B, C] = spk.shape;
  const n = B * C;
  const out: Tensor = new Tensor(Float32Array.of(value), [], {
    parents: [spk],
    backward: () => {
      const g = out.grad![0];
      const gs = spk.ensureGrad();
      // the sign estimator: the gradient of spike time k is -1 at its step (a later one writes over an earlier
      // one at the same step, as snnTorch's assignment does; only shadow spikes can share a step)
      const seen = new Float64Array(spk.size);
      const set = new Uint8Array(spk.size);
      times.forEach((tk, k) => {
        for (let i = 0; i < n; i++) {
          const at = tk[i] * n + i;
          seen[at] = -g * gradByTime[k][i];
          set[at] = 1;
        }
      });
      for (let i = 0; i < spk.size; i++) if (set[i]) gs[i] += seen[i];
    },
  });
  return out;
}

/**
 * snnTorch `mse_temporal_loss(target_is_time, on_target, off_target, tolerance, multi_spike)`: the mean
 * squared error between the spike times and the target times, both divided by T. Labels become times
 * `onTarget` (correct class) and `offTarget` (the others). With multiSpike the first F spikes of every
 * output are compared with F targets (snnTorch removes, between extractions, every spike at the steps
 * found for any output; here each output's own spikes are taken in order, the documented intent).
 */
export function mseTemporalLoss(spk: Tensor, targets: Targets, o: TemporalTargetOptions = {}): Tensor {
  checkObject('mseTemporalLoss options', o);
  if (spk.shape.length !== 3) throw new ShapeError(`mseTemporalLoss: expected [T, B, C] spikes, found [${spk.shape.join(', ')}]`);
  const [T, B, C] = spk.shape;
  const want = targetTimes('mseTemporalLoss', targets, T, B, C, o);
  const tol = o.tolerance ?? 0;
  if (!(tol >= 0)) throw new ValueError(`mseTemporalLoss: tolerance must be >= 0, found ${tol}`);
  const times = spikeTimes(spk, want.length);
  const count = want.length * B * C;
  const scale = o.reduction === 'sum' ? 1 : 1 / count;
  let value = 0;
  const grads = times.map((tk, k) =>
    Float64Array.from(tk, (t, i) => {
      const target = want[k][i];
      const used = Math.abs(t - target) < tol ? target : t; // within tolerance: on target (gradient passes as is)
      const d = (used - target) / T;
      value += d * d * scale;
      return (2 * d * scale) / T;
    }),
  );
  return overSpikeTimes(spk, times, value, grads);
}

/** The class that fires first (ties: the one with more spikes, then the lower index): [B]. */
export function predictByFirstSpikeTime(spk: Tensor): Int32Array {
  const [first] = spikeTimes(spk);
  const [T, B, C] = spk.shape;
  const n = B * C;
  const pred = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    let best = 0;
    let bestT = Infinity;
    let bestN = -1;
    for (let c = 0; c < C; c++) {
      const i = b * C + c;
      let count = 0;
      for (let t = 0; t < T; t++) count += spk.data[t * n + i];
      const ti = count ? first[i] : T; // a silent output comes after every firing one
      if (ti < bestT || (ti === bestT && count > bestN)) [best, bestT, bestN] = [c, ti, count];
    }
    pred[b] = best;
  }
  return pred;
}

/**
 * snnTorch `ce_temporal_loss(inverse)`: cross-entropy (mean over the batch) of the inverted first spike
 * times, so that the correct class should fire first: logits -t ('negate', the default) or 1 / (t + 1)
 * ('reciprocal').
 */
export function ceTemporalLoss(spk: Tensor, targets: Targets, o: { inverse?: 'negate' | 'reciprocal' } = {}): Tensor {
  checkObject('ceTemporalLoss options', o);
  const inverse = o.inverse ?? 'negate';
  if (inverse !== 'negate' && inverse !== 'reciprocal')
    throw new ValueError(`ceTemporalLoss: inverse must be negate or reciprocal, found ${String(inverse)}`);
  if (spk.shape.length !== 3) throw new ShapeError(`ceTemporalLoss: expected [T, B, C] spikes, found [${spk.shape.join(', ')}]`);
  const [, B, C] = spk.shape;
  if (targets.length !== B) throw new ShapeError(`ceTemporalLoss: ${targets.length} targets for a batch of ${B}`);
  checkClasses('ceTemporalLoss', targets, C);
  const [t] = spikeTimes(spk);
  const logit = (x: number) => (inverse === 'negate' ? -x : 1 / (x + 1));
  const dLogit = (x: number) => (inverse === 'negate' ? -1 : -1 / ((x + 1) * (x + 1)));
  const grad = new Float64Array(B * C);
  let value = 0;
  for (let b = 0; b < B; b++) {
    const y = targets[b];
    let mx = -Infinity;
    for (let c = 0; c < C; c++) mx = Math.max(mx, logit(t[b * C + c]));
    let z = 0;
    for (let c = 0; c < C; c++) z += Math.exp(logit(t[b * C + c]) - mx);
    value += (mx + Math.log(z) - logit(t[b * C + y])) / B;
    for (let c = 0; c < C; c++) {
      const p = Math.exp(logit(t[b * C + c]) - mx) / z;
      grad[b * C + c] = ((p - (c === y ? 1 : 0)) / B) * dLogit(t[b * C + c]);
    }
  }
  return overSpikeTimes(spk, [t], value, [grad]);
}
