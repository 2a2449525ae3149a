import type { Tensor } from '../core/tensor.js';
import { ShapeError, checkArray } from '../core/errors.js';
// The checks and scan synaptic.ts imports too: RSynaptic is Synaptic plus the recurrent connection.
import {
  checkDecay,
  checkReset,
  checkSequenceArgs,
  checkStepArgs,
  checkThreshold,
  type FeatureParam,
  type NeuronSequenceBase,
  type RecurrentSequenceOptions,
  type ResetMechanism,
} from './common.js';
import { lifFamilyStep, scanSequence, zeroStyleOf } from './scan.js';

/**
 * Recurrent current-based LIF neuron, snnTorch 0.9.4 `RSynaptic(all_to_all=True, linear_features=H)`:
 *   syn[t] = alpha * syn[t-1] + I[t] + S[t-1] @ V + v_b
 *   mem[t] = beta * mem[t-1] + syn[t] - r_t * thr         (subtract; r_t = S[t-1], detached)
 *   zero:  mem[t] = (1 - r_t) * (beta * mem[t-1] + syn[t])  (syn is not reset)
 *   zero, resetDelay false (snnTorch's reset_delay=False; NIR's CubaLIF): mem[t] = beta * (1 - r_t) * mem[t-1] + syn[t]
 * V is [H, H] stored [in, out]; see rleaky.ts for the bias and gradient conventions.
 */
export interface RecurrentParams {
  alpha: number | Float32Array | null;
  beta: number | Float32Array;
  threshold: number;
  reset: ResetMechanism;
  /** [H, H], [in, out]. */
  weight: Float32Array;
  bias: Float32Array | null;
  /** false: zero the membrane right after its spike (reset 'zero' only; see scan.ts zeroStyleOf). Default true. */
  resetDelay?: boolean;
}

export interface RecurrentState {
  syn: Float32Array | null;
  mem: Float32Array;
  /** Previous step's spikes (feed the recurrent weights). */
  spk: Uint8Array;
}

export type RSynapticParams = RecurrentParams & { alpha: number | Float32Array };
export type RSynapticState = RecurrentState & { syn: Float32Array };

export function rsynapticInitState(n: number): RSynapticState {
  return { syn: new Float32Array(n), mem: new Float32Array(n), spk: new Uint8Array(n) };
}

const at = (p: number | Float32Array, h: number) => (typeof p === 'number' ? p : p[h]);

/** Shared single step of RLeaky / RSynaptic over B samples of H neurons. */
export function recurrentStep(
  who: string,
  x: Float32Array,
  s: RecurrentState,
  p: RecurrentParams,
): { spk: Uint8Array; state: RecurrentState } {
  checkStepArgs(who, x, s, p);
  checkArray(`${who} weight`, p.weight, false);
  if (p.bias !== null) checkArray(`${who} bias`, p.bias, false);
  const H = Math.round(Math.sqrt(p.weight.length));
  if (H * H !== p.weight.length || H < 1) throw new ShapeError(`${who}: recurrent weight has ${p.weight.length} values, not H * H`);
  if (x.length % H !== 0) throw new ShapeError(`${who}: input has ${x.length} values, not a multiple of H = ${H}`);
  if (s.mem?.length !== x.length || s.spk?.length !== x.length || (p.alpha !== null && s.syn?.length !== x.length)) {
    throw new ShapeError(`${who}: state has ${s.mem.length} neurons, input has ${x.length}`);
  }
  if (p.bias && p.bias.length !== H) throw new ShapeError(`${who}: bias has ${p.bias.length} values, expected ${H}`);
  for (const [name, v] of [
    ['alpha', p.alpha],
    ['beta', p.beta],
  ] as const) {
    if (v === null) continue;
    checkDecay(who, name, v, typeof v === 'number' ? null : H);
  }
  checkThreshold(who, p.threshold);
  const reset = checkReset(who, p.reset);
  const zeroStyle = zeroStyleOf(who, p.resetDelay, reset);
  const n = x.length;
  const drive = Float64Array.from(x);
  for (let b = 0; b < n / H; b++) {
    for (let j = 0; j < H; j++) drive[b * H + j] += p.bias ? p.bias[j] : 0;
    for (let i = 0; i < H; i++) if (s.spk[b * H + i]) for (let j = 0; j < H; j++) drive[b * H + j] += p.weight[i * H + j];
  }
  const alpha = p.alpha;
  const r = lifFamilyStep(drive, alpha === null ? null : s.syn, s.mem, s.spk, {
    alpha: alpha === null ? null : (i) => at(alpha, i % H),
    beta: (i) => at(p.beta, i % H),
    threshold: p.threshold,
    reset,
    zeroStyle,
  });
  return { spk: r.spk, state: { syn: r.syn, mem: r.mem, spk: r.spk } };
}

export function rsynapticStep(x: Float32Array, state: RSynapticState, p: RSynapticParams): { spk: Uint8Array; state: RSynapticState } {
  const r = recurrentStep('rsynapticStep', x, state, p);
  return { spk: r.spk, state: r.state as RSynapticState };
}

export interface RSynapticSequenceOptions extends NeuronSequenceBase, RecurrentSequenceOptions {
  alpha: FeatureParam;
  beta: FeatureParam;
  /** false: zero the membrane right after its spike (reset 'zero' only; see scan.ts zeroStyleOf). Default true. */
  resetDelay?: boolean;
}

export function rsynapticSequence(input: Tensor, o: RSynapticSequenceOptions): { spk: Tensor; syn: Tensor; mem: Tensor; spikes: number } {
  checkSequenceArgs('rsynapticSequence', input, o);
  const zeroStyle = zeroStyleOf('rsynapticSequence', o.resetDelay, checkReset('rsynapticSequence', o.reset));
  const r = scanSequence(input, { ...o, who: 'RSynaptic', zeroStyle, recurrent: { weight: o.weight, bias: o.bias } });
  return { spk: r.spk, syn: r.syn!, mem: r.mem, spikes: r.spikes };
}
