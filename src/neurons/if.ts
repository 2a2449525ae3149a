import { Tensor } from '../core/tensor.js';
import type { Kernels } from '../kernels/types.js';
import type { Surrogate } from '../surrogate/index.js';
import { checkSequenceArgs, checkStepArgs, checkThreshold } from './common.js';
import { leakySequence, leakyStep, type LeakyState, type ResetMechanism } from './leaky.js';

/**
 * Integrate-and-fire (no leak): the Leaky neuron with beta = 1, so it runs on the same fused kernels.
 *   mem[t] = mem[t-1] + I[t] - r_t * thr     (subtract; zero: (1 - r_t) * mem[t-1] + I[t]; r_t = S[t-1], detached)
 */
export interface IntegrateFireParams {
  threshold: number;
  reset: ResetMechanism;
}

export function integrateFireStep(x: Float32Array, state: LeakyState, p: IntegrateFireParams): { spk: Uint8Array; state: LeakyState } {
  checkStepArgs('integrateFireStep', x, state, p);
  checkThreshold('integrateFireStep', p.threshold);
  return leakyStep(x, state, { beta: 1, threshold: p.threshold, reset: p.reset });
}

export interface IntegrateFireSequenceOptions {
  steps: number;
  constInput: boolean;
  threshold: number | Tensor;
  reset: ResetMechanism;
  surrogate: Surrogate;
  kernels: Kernels;
  keepMem?: boolean;
}

export function integrateFireSequence(input: Tensor, o: IntegrateFireSequenceOptions): { spk: Tensor; mem: Tensor | null; spikes: number } {
  checkSequenceArgs('integrateFireSequence', input, o);
  const H = input.shape[input.shape.length - 1];
  return leakySequence(input, { ...o, beta: new Tensor(new Float32Array(H).fill(1), [H]) });
}
