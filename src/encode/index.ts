import { Tensor } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { checkInt, checkMethods, checkRange, checkRng, checkTensor, ValueError } from '../core/errors.js';
import type { Seq } from '../core/seq.js';
import type { Kernels } from '../kernels/types.js';
import { defaultKernels } from '../kernels/default.js';

/** Direct encoding: the analog values are the input current at every step (computed once downstream). */
export function directEncode(x: Tensor, steps: number): Seq {
  checkTensor('directEncode x', x);
  checkInt('steps', steps, 1);
  return { x, steps, constant: true };
}

/**
 * A rate-coded sequence held as its values and one key per sample: its spikes `x` [T, ...values.shape]
 * are drawn when first read (Kernels.rateSpikes) and kept. Kernels that know this form draw a sample's
 * spikes themselves right where they are used (fused rate-input inference), and a batch split over
 * threads travels as values and keys, each thread drawing its own shard: the spikes are the same
 * wherever and in whichever pieces they are drawn.
 */
export class RateSeq implements Seq {
  readonly constant = false;
  private spikes: Tensor | null = null;

  /** Use rateEncode; `values` is kept as given (rateEncode passes its own copy). */
  constructor(
    readonly values: Tensor,
    readonly keys: Uint32Array,
    readonly steps: number,
    readonly gain: number,
    private readonly kernels: Kernels,
  ) {}

  /** Samples: the first dimension of a value tensor of rank >= 2, else one. */
  get samples(): number {
    return this.values.shape.length > 1 ? this.values.shape[0] : 1;
  }

  /** The 0/1 spikes, [T, ...values.shape] (time-major), drawn on first use. */
  get x(): Tensor {
    if (!this.spikes) {
      const v = this.values.data as Float32Array;
      const out = new Uint8Array(this.steps * v.length);
      const bad = this.kernels.rateSpikes(v, this.keys, this.samples, this.steps, this.gain, out);
      if (bad >= 0) throw new ValueError(`rateEncode: input value ${bad} is NaN`);
      this.spikes = new Tensor(out, [this.steps, ...this.values.shape]);
    }
    return this.spikes;
  }

  /** Samples [from, to) as a rate sequence (the same spikes as those rows of x). */
  slice(from: number, to: number): RateSeq {
    const F = this.values.size / this.samples;
    const v = (this.values.data as Float32Array).slice(from * F, to * F);
    const shape = this.values.shape.length > 1 ? [to - from, ...this.values.shape.slice(1)] : [F];
    return new RateSeq(new Tensor(v, shape), this.keys.slice(2 * from, 2 * to), this.steps, this.gain, this.kernels);
  }
}

/**
 * Rate (Bernoulli/Poisson) encoding like snnTorch `spikegen.rate`: at each step, each value p in
 * [0, 1] (times `gain`, clipped) fires with probability p. Output [T, ...shape] of 0/1 spikes (a
 * RateSeq, drawn when first read). Randomness: two nextU32 draws per sample (the first dimension of a
 * tensor of rank >= 2, else the whole tensor is one sample) key a counter-based generator (rateDraw)
 * over the sample's steps and values; values of exactly 0 or 1 are deterministic.
 */
export function rateEncode(x: Tensor, steps: number, rng: Rng, gain = 1, kernels: Kernels = defaultKernels()): RateSeq {
  checkTensor('rateEncode x', x);
  checkRng('rateEncode rng', rng);
  checkMethods('rateEncode kernels', kernels, ['rateSpikes'], 'Kernels (defaultKernels() or referenceKernels)');
  checkInt('steps', steps, 1);
  checkRange('rate gain', gain, 0, 1e6);
  // a NaN value is reported where the spikes are drawn (RateSeq.x, the fused kernels)
  const data = x.data instanceof Float32Array ? x.data.slice() : Float32Array.from(x.data);
  const samples = x.shape.length > 1 ? x.shape[0] : 1;
  const F = samples ? data.length / samples : 0;
  if (steps * F > 2 ** 32)
    throw new ValueError(`rateEncode: ${steps} steps x ${F} values per sample exceed the 2^32 counters of a sample's key`);
  const keys = new Uint32Array(2 * samples);
  rng.fillU32(keys);
  return new RateSeq(new Tensor(data, [...x.shape]), keys, steps, gain, kernels);
}
