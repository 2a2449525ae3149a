import { Tensor } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { checkInt, checkRange, ValueError } from '../core/errors.js';
import type { Seq } from '../nn/layer.js';
import type { Kernels } from '../kernels/types.js';
import { defaultKernels } from '../kernels/default.js';

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
export function rateEncode(x: Tensor, steps: number, rng: Rng, gain = 1, kernels: Kernels = defaultKernels()): Seq {
  checkInt('steps', steps, 1);
  checkRange('rate gain', gain, 0, 1e6);
  const out = new Uint8Array(steps * x.size);
  // the generator's own stream, drawn inside the kernel (one draw per random value, as nextU32 would)
  const state = rng.getState();
  const data = x.data instanceof Float32Array ? x.data : Float32Array.from(x.data);
  const bad = kernels.rateEncode(data, steps, gain, state, out);
  if (bad >= 0) throw new ValueError(`rateEncode: input value ${bad} is NaN`);
  rng.setState(state);
  return { x: new Tensor(out, [steps, ...x.shape]), steps, constant: false };
}
