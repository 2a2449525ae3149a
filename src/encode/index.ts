import { Tensor } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { checkInt, checkRange, ValueError } from '../core/errors.js';
import type { Seq } from '../nn/layer.js';

/** Direct encoding: the analog values are the input current at every step (computed once downstream). */
export function directEncode(x: Tensor, steps: number): Seq {
  checkInt('steps', steps, 1);
  return { x, steps, constant: true };
}

/**
 * Rate (Bernoulli/Poisson) encoding like snnTorch `spikegen.rate`: at each step, each value p in
 * [0, 1] (times `gain`, clipped) fires with probability p. Output [T, ...shape] of 0/1 spikes.
 * Values of exactly 0 or 1 are deterministic and draw no random number.
 */
export function rateEncode(x: Tensor, steps: number, rng: Rng, gain = 1): Seq {
  checkInt('steps', steps, 1);
  checkRange('rate gain', gain, 0, 1e6);
  const n = x.size;
  // Only values strictly between 0 and 1 draw random numbers; list them once for all steps.
  const idx = new Int32Array(n);
  const thr = new Float64Array(n);
  const always = new Int32Array(n);
  let nr = 0;
  let na = 0;
  for (let i = 0; i < n; i++) {
    const p = x.data[i] * gain;
    if (p > 0) {
      if (p >= 1) always[na++] = i;
      else {
        idx[nr] = i;
        thr[nr++] = p * 4294967296;
      }
    } else if (Number.isNaN(p)) throw new ValueError(`rateEncode: input value ${i} is NaN`);
  }
  const out = new Uint8Array(steps * n);
  const draws = new Uint32Array(nr);
  for (let t = 0; t < steps; t++) {
    const o = t * n;
    for (let j = 0; j < na; j++) out[o + always[j]] = 1;
    rng.fillU32(draws); // the same draws, in the same order, as one nextU32() per random value
    // written as a 0/1 value, not under a branch: the comparison's outcome is a coin flip, mispredicted half the time
    for (let j = 0; j < nr; j++) out[o + idx[j]] = +(draws[j] < thr[j]);
  }
  return { x: new Tensor(out, [steps, ...x.shape]), steps, constant: false };
}
