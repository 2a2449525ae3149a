import type { Tensor } from '../core/tensor.js';
import { checkReset, checkSequenceArgs, type FeatureParam, type NeuronSequenceBase, type RecurrentSequenceOptions } from './common.js';
import { scanSequence, zeroStyleOf } from './scan.js';
import { recurrentStep, type RecurrentParams, type RecurrentState } from './rsynaptic.js';

/**
 * Recurrent LIF neuron with all-to-all recurrent weights, snnTorch 0.9.4 `RLeaky(all_to_all=True,
 * linear_features=H)`:
 *   mem[t] = beta * mem[t-1] + I[t] + (S[t-1] @ V + v_b) - r_t * thr     (subtract; r_t = S[t-1], detached)
 *   zero:  mem[t] = (1 - r_t) * (beta * mem[t-1] + I[t] + S[t-1] @ V + v_b)
 *   zero, resetDelay false (snnTorch's reset_delay=False; NIR's LIF): mem[t] = beta * (1 - r_t) * mem[t-1] + I[t] + S[t-1] @ V + v_b
 * V is [H, H] stored [in, out] (torch's nn.Linear weight transposed); the bias v_b is added at every step,
 * the first included (snnTorch applies recurrent(zeros) = bias at t = 0). The recurrent spikes carry
 * gradient through the surrogate; the reset does not.
 */
export type RLeakyParams = Omit<RecurrentParams, 'alpha'>;
export type RLeakyState = Omit<RecurrentState, 'syn'>;

export function rleakyInitState(n: number): RLeakyState {
  return { mem: new Float32Array(n), spk: new Uint8Array(n) };
}

/** One step for B samples (x, state: [B * H]): pure, returns spikes and the new state. */
export function rleakyStep(x: Float32Array, state: RLeakyState, p: RLeakyParams): { spk: Uint8Array; state: RLeakyState } {
  const r = recurrentStep('rleakyStep', x, { ...state, syn: null }, { ...p, alpha: null });
  return { spk: r.spk, state: { mem: r.state.mem, spk: r.spk } };
}

export interface RLeakySequenceOptions extends NeuronSequenceBase, RecurrentSequenceOptions {
  beta: FeatureParam;
  /** false: zero the membrane right after its spike (reset 'zero' only; see scan.ts zeroStyleOf). Default true. */
  resetDelay?: boolean;
}

export function rleakySequence(input: Tensor, o: RLeakySequenceOptions): { spk: Tensor; mem: Tensor; spikes: number } {
  checkSequenceArgs('rleakySequence', input, o);
  const zeroStyle = zeroStyleOf('rleakySequence', o.resetDelay, checkReset('rleakySequence', o.reset));
  const r = scanSequence(input, { ...o, who: 'RLeaky', zeroStyle, recurrent: { weight: o.weight, bias: o.bias } });
  return { spk: r.spk, mem: r.mem, spikes: r.spikes };
}
