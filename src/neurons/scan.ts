import type { Tensor } from '../core/tensor.js';
import type { Surrogate } from '../surrogate/index.js';
import type { Kernels } from '../kernels/types.js';
import { ValueError, checkBool } from '../core/errors.js';
import { checkReset, type FeatureParam, type ResetMechanism } from './common.js';
import { type NeuronSpec, specSequence, specStep } from './spec.js';

/**
 * The current-based LIF family as one neuron spec (snnTorch 0.9.4 semantics, zero initial state, reset
 * from the previous step's spike r_t = S[t-1], detached), run by the shared spec scan (spec.ts):
 *
 *   syn[t] = alpha * syn[t-1] + X[t]                 (second-order models only: Synaptic, RSynaptic)
 *   D[t]   = syn[t] (second order) or X[t] (first order)
 *   subtract: mem[t] = beta * mem[t-1] + D[t] - r_t * thr
 *   zero:     'prev' (Leaky; Synaptic, RLeaky, RSynaptic with resetDelay false):  mem[t] = beta * (1 - r_t) * mem[t-1] + D[t]
 *             'all' (Synaptic, RLeaky, RSynaptic by default, Lapicque): mem[t] = (1 - r_t) * (beta * mem[t-1] + D[t])
 *   none:     mem[t] = beta * mem[t-1] + D[t]
 *   S[t] = H(mem[t] - thr), with the surrogate's derivative in the backward pass.
 *
 * X[t] = I[t], plus S[t-1] @ V + v_b for the recurrent models (RLeaky, RSynaptic: the scan's recurrent
 * connection; the recurrent spikes carry gradient, as snnTorch's recurrent(self.spk), the reset does not).
 *
 * The two zero styles are the two reset timings of snnTorch's `reset_delay` for Synaptic, RLeaky and
 * RSynaptic: 'all' is reset_delay=True (its default: the reset is read from the previous step's membrane
 * and drops that step's whole update), 'prev' is reset_delay=False (the membrane is zeroed right after
 * its spike, so the next step starts from 0 and adds its input), which is also NIR's LIF/CubaLIF step
 * discretised with dt (v starts from v_reset = 0 where it spiked, then v += dt/tau (-v + r D) = beta v + D
 * for tau = dt/(1 - beta), r = tau/dt). spikeflow records the membrane that met the threshold (before
 * the reset) in both; snnTorch's reset_delay=False and NIR report it after the reset (0 where it spiked).
 */
export type ZeroStyle = 'prev' | 'all';

/**
 * The zero style of Synaptic, RLeaky and RSynaptic from their `resetDelay` option (snnTorch's
 * reset_delay): true or absent 'all', false 'prev' (reset 'zero' only: the option times a reset to zero).
 */
export function zeroStyleOf(who: string, resetDelay: unknown, reset: ResetMechanism): ZeroStyle {
  checkBool(`${who} resetDelay`, resetDelay);
  if (resetDelay !== false) return 'all';
  if (reset !== 'zero')
    throw new ValueError(`${who}: resetDelay false (the reset right after the spike, as NIR) needs reset 'zero', found reset '${reset}'`);
  return 'prev';
}

const cache = new Map<string, NeuronSpec>();

/** The spec of the family member: first or second order, with its reset (and zero-reset style). */
export function lifSpec(second: boolean, reset: ResetMechanism, zeroStyle: ZeroStyle): NeuronSpec {
  const key = `${second}/${reset}/${zeroStyle}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const M = second ? 1 : 0; // index of mem in the state; syn is 0 for second order
  const A = 0; // parameter slots: [alpha,] beta, threshold
  const Bt = second ? 1 : 0;
  const Th = Bt + 1;
  const zeroAll = reset === 'zero' && zeroStyle === 'all';
  const zeroPrev = reset === 'zero' && zeroStyle === 'prev';
  const spec: NeuronSpec = {
    name: second ? 'Synaptic' : 'Leaky',
    state: second ? ['syn', 'mem'] : ['mem'],
    params: [
      ...(second ? [{ name: 'alpha', lo: 0, hi: 1, init: 0.9, decay: true }] : []),
      { name: 'beta', lo: 0, hi: 1, init: 0.9, decay: true },
      { name: 'threshold', lo: -1e30, hi: 1e30, init: 1 },
    ],
    fire: { state: M, threshold: { param: Th } },
    wasm: { model: second ? 2 : 1, variant: { subtract: 0, zero: 1, none: 2 }[reset] + (zeroAll ? 4 : 0) },
    step(s0, r, x, p, s) {
      let d = x;
      if (second) d = s[0] = Math.fround(p[A] * s0[0] + x);
      const bt = p[Bt];
      const prev = s0[M];
      if (reset === 'subtract') s[M] = bt * prev + d - r * p[Th];
      else if (zeroPrev) s[M] = bt * (r ? 0 : prev) + d;
      else if (zeroAll) s[M] = r ? 0 : bt * prev + d;
      else s[M] = bt * prev + d;
    },
    adjoint(s0, r, _x, p, _s, gs, gs0, gp) {
      const gm = gs[M];
      if (reset === 'subtract') gp[Th] -= r * gm;
      // gradient of beta * mem[t-1] (the leak term) and of the drive D[t]
      const gLeak = (zeroAll || zeroPrev) && r ? 0 : gm;
      const gD = zeroAll && r ? 0 : gm;
      gp[Bt] += gLeak * s0[M];
      gs0[M] = p[Bt] * gLeak;
      if (!second) return gD;
      const gSyn = gs[0] + gD;
      gp[A] += gSyn * s0[0];
      gs0[0] = p[A] * gSyn;
      return gSyn;
    },
  };
  cache.set(key, spec);
  return spec;
}

export interface ScanOptions {
  /** Model name for error messages. */
  who: string;
  steps: number;
  constInput: boolean;
  /** Synaptic decay: present for second-order models. */
  alpha?: FeatureParam | null;
  beta: FeatureParam;
  threshold: FeatureParam;
  reset: ResetMechanism;
  zeroStyle: ZeroStyle;
  /** All-to-all recurrent weights [H, H] ([in, out]: row i is what a spike of neuron i adds) and bias [H]. */
  recurrent?: { weight: Tensor; bias: Tensor | null } | null;
  surrogate: Surrogate;
  /**
   * Kernels for the recurrent products (S[t-1] @ V forward; dL/dX @ V^T and the spike-driven dV
   * backward) and the scan. Absent: the default ones where available at once; null: TypeScript loops.
   */
  kernels?: Kernels | null;
}

export interface ScanResult {
  spk: Tensor;
  mem: Tensor;
  /** Synaptic current (second-order models), else null. */
  syn: Tensor | null;
  spikes: number;
}

/** The family's whole [T, B, H] recurrence as one op with one backward (BPTT), every parameter's gradient. */
export function scanSequence(input: Tensor, o: ScanOptions): ScanResult {
  const second = o.alpha !== undefined && o.alpha !== null;
  const spec = lifSpec(second, checkReset(o.who, o.reset), o.zeroStyle);
  const r = specSequence(spec, input, {
    who: o.who,
    steps: o.steps,
    constInput: o.constInput,
    params: second ? { alpha: o.alpha!, beta: o.beta, threshold: o.threshold } : { beta: o.beta, threshold: o.threshold },
    surrogate: o.surrogate,
    recurrent: o.recurrent,
    kernels: o.kernels,
  });
  return { spk: r.spk, mem: r.state.mem, syn: second ? r.state.syn : null, spikes: r.spikes };
}

/**
 * One step of the same dynamics for n neurons (the pure step functions), through the spec's own step:
 * syn0 (second order) and mem0 the previous state, prevSpk the previous spikes, alpha(i) / beta(i) the decays
 * of neuron i. Returns the new state (float32, as the scan stores it) and the spikes.
 */
export function lifFamilyStep(
  x: ArrayLike<number>,
  syn0: ArrayLike<number> | null,
  mem0: ArrayLike<number>,
  prevSpk: ArrayLike<number>,
  p: { alpha: ((i: number) => number) | null; beta: (i: number) => number; threshold: number; reset: ResetMechanism; zeroStyle: ZeroStyle },
): { syn: Float32Array | null; mem: Float32Array; spk: Uint8Array } {
  const second = p.alpha !== null;
  const spec = lifSpec(second, p.reset, p.zeroStyle);
  const v = new Float64Array(spec.params.length); // one vector, refilled for each neuron before its step
  const r = specStep(spec, x, second ? [syn0!, mem0] : [mem0], prevSpk, (i) => {
    const o = second ? 1 : 0;
    if (second) v[0] = p.alpha!(i);
    v[o] = p.beta(i);
    v[o + 1] = p.threshold;
    return v;
  });
  return { syn: second ? r.state[0] : null, mem: r.state[spec.fire.state], spk: r.spk };
}
