// Spike-rate regularisers with a target rate per layer. snnTorch's functional.reg has only
// l1_rate_sparsity (lambda x the total spike count: it pushes every rate towards 0 however sparse the
// layer already is); these act on a layer's mean rate r = spikes / (T B N), spikes per neuron per step
// over the batch, against a target rate r*:
//   'upper'     : weight x max(0, r - r*)^2   (a hinge above the target: free below it)
//   'quadratic' : weight x (r - r*)^2          (two-sided: holds the layer at the target)
// The gradient reaches every spike entry equally, d/ds = 2 weight (r - r*) / (T B N) (0 below the target
// for 'upper'), and from there the membrane through the surrogate. The mean over the batch makes it
// compose with batch-mean losses; a batch split over threads penalises each shard's rate, whose
// gradients the threads sum weighted by shard size (an approximation of the whole batch's rate).
import { Tensor } from '../core/tensor.js';
import { ShapeError, ValueError } from '../core/errors.js';

export type RatePenalty = 'upper' | 'quadratic';
export const RATE_PENALTIES: readonly RatePenalty[] = ['upper', 'quadratic'];

/** A regulariser of the hidden spiking layers' rates: one target per layer (or one for all), a weight and a form. */
export interface RateTargetSpec {
  /** Target spikes per neuron per step, in [0, 1]: one per hidden spiking layer, or one for all of them. */
  targets: number[];
  /** Factor of the penalty (>= 0). */
  weight: number;
  penalty: RatePenalty;
}

/** Checks a RateTargetSpec (targets in [0, 1], weight >= 0 and finite, a known penalty); returns it. */
export function checkRateTargetSpec(s: RateTargetSpec): RateTargetSpec {
  if (!Array.isArray(s.targets) || s.targets.length === 0) throw new ValueError('rate targets: expected at least one target rate');
  s.targets.forEach((t, i) => {
    if (typeof t !== 'number' || !(t >= 0 && t <= 1)) throw new ValueError(`rate targets[${i}]: expected a rate in [0, 1], found ${t}`);
  });
  if (typeof s.weight !== 'number' || !Number.isFinite(s.weight) || s.weight < 0)
    throw new ValueError(`rate weight: expected a finite number >= 0, found ${s.weight}`);
  if (!RATE_PENALTIES.includes(s.penalty))
    throw new ValueError(`rate penalty: expected ${RATE_PENALTIES.join(' or ')}, found ${JSON.stringify(s.penalty)}`);
  return s;
}

/**
 * The penalty of one layer's spikes [T, B, ...] against `target`: weight x (r - target)^2, or for
 * 'upper' weight x max(0, r - target)^2, where r is the mean of all entries. A scalar Tensor.
 */
export function rateTargetPenalty(spk: Tensor, target: number, weight: number, penalty: RatePenalty = 'upper'): Tensor {
  checkRateTargetSpec({ targets: [target], weight, penalty });
  if (spk.size === 0) throw new ShapeError('rateTargetPenalty: no spikes to measure (an empty tensor)');
  let total = 0;
  const d = spk.data;
  for (let i = 0; i < d.length; i++) total += d[i];
  const n = spk.size;
  const excess = total / n - target;
  const active = penalty === 'quadratic' || excess > 0;
  const value = active ? weight * excess * excess : 0;
  const out: Tensor = new Tensor(Float32Array.of(value), [], {
    parents: [spk],
    backward: () => {
      if (!active) return;
      const g = (out.grad![0] * 2 * weight * excess) / n;
      const gx = spk.ensureGrad();
      for (let i = 0; i < gx.length; i++) gx[i] += g;
    },
  });
  return out;
}

/** The target of hidden layer i (of `layers`): its own, or the single target for all. */
export function targetOf(s: RateTargetSpec, i: number, layers: number): number {
  if (s.targets.length === 1) return s.targets[0];
  if (s.targets.length !== layers)
    throw new ValueError(`rate targets: ${s.targets.length} targets for ${layers} hidden spiking layers; give one, or one per layer`);
  return s.targets[i];
}
