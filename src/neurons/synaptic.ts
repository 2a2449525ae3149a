import type { Tensor } from '../core/tensor.js';
import { ShapeError } from '../core/errors.js';
import {
  checkDecay,
  checkReset,
  checkSequenceArgs,
  checkStepArgs,
  checkThreshold,
  type FeatureParam,
  type NeuronSequenceBase,
  type ResetMechanism,
} from './common.js';
import { lifFamilyStep, scanSequence, zeroStyleOf } from './scan.js';

/**
 * Current-based (second-order) LIF neuron, snnTorch 0.9.4 `Synaptic`:
 *   syn[t] = alpha * syn[t-1] + I[t]
 *   mem[t] = beta * mem[t-1] + syn[t] - r_t * thr      (subtract; r_t = S[t-1], detached)
 *   zero:  mem[t] = (1 - r_t) * (beta * mem[t-1] + syn[t])   (the whole new potential; syn is not reset)
 *   zero, resetDelay false (snnTorch's reset_delay=False; NIR's CubaLIF): mem[t] = beta * (1 - r_t) * mem[t-1] + syn[t]
 *   S[t] = H(mem[t] - thr)
 */
export interface SynapticParams {
  alpha: number | Float32Array;
  beta: number | Float32Array;
  threshold: number;
  reset: ResetMechanism;
  /** false: zero the membrane right after its spike (reset 'zero' only; see scan.ts zeroStyleOf). Default true. */
  resetDelay?: boolean;
}

export interface SynapticState {
  syn: Float32Array;
  mem: Float32Array;
}

export function synapticInitState(n: number): SynapticState {
  return { syn: new Float32Array(n), mem: new Float32Array(n) };
}

const at = (p: number | Float32Array, i: number) => (typeof p === 'number' ? p : p[i % p.length]);

function checkPerNeuron(who: string, name: string, p: number | Float32Array, n: number): void {
  checkDecay(who, name, p, null);
  if (typeof p !== 'number' && n % p.length !== 0) throw new ShapeError(`${who}: ${p.length} values of ${name} do not divide ${n} neurons`);
}

/** One time step, pure: returns the spikes and the new state (x and the state have one entry per neuron). */
export function synapticStep(x: Float32Array, state: SynapticState, p: SynapticParams): { spk: Uint8Array; state: SynapticState } {
  checkStepArgs('synapticStep', x, state, p);
  const n = x.length;
  if (state.mem?.length !== n || state.syn?.length !== n) {
    throw new ShapeError(`synapticStep: state has ${state.mem.length} neurons, input has ${n}`);
  }
  checkPerNeuron('synapticStep', 'alpha', p.alpha, n);
  checkPerNeuron('synapticStep', 'beta', p.beta, n);
  checkThreshold('synapticStep', p.threshold);
  const reset = checkReset('synapticStep', p.reset);
  const zeroStyle = zeroStyleOf('synapticStep', p.resetDelay, reset);
  const prevSpk = state.mem.map((m) => (m - p.threshold > 0 ? 1 : 0));
  const r = lifFamilyStep(x, state.syn, state.mem, prevSpk, {
    alpha: (i) => at(p.alpha, i),
    beta: (i) => at(p.beta, i),
    threshold: p.threshold,
    reset,
    zeroStyle,
  });
  return { spk: r.spk, state: { syn: r.syn!, mem: r.mem } };
}

export interface SynapticSequenceOptions extends NeuronSequenceBase {
  /** Decays, a number or a Tensor of 1 or H values (may require grad). */
  alpha: FeatureParam;
  beta: FeatureParam;
  /** false: zero the membrane right after its spike (reset 'zero' only; see scan.ts zeroStyleOf). Default true. */
  resetDelay?: boolean;
}

/** The whole [T, B, H] recurrence as one op with one backward (BPTT through the surrogate). */
export function synapticSequence(input: Tensor, o: SynapticSequenceOptions): { spk: Tensor; syn: Tensor; mem: Tensor; spikes: number } {
  checkSequenceArgs('synapticSequence', input, o);
  const zeroStyle = zeroStyleOf('synapticSequence', o.resetDelay, checkReset('synapticSequence', o.reset));
  const r = scanSequence(input, { ...o, who: 'Synaptic', zeroStyle, recurrent: null });
  return { spk: r.spk, syn: r.syn!, mem: r.mem, spikes: r.spikes };
}
