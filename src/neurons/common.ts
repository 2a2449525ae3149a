import { Tensor } from '../core/tensor.js';
import { ShapeError, ValueError, checkArray, checkObject, checkRange, checkTensor, describe } from '../core/errors.js';
import type { Surrogate } from '../surrogate/index.js';
import type { Kernels } from '../kernels/types.js';

/**
 * Helpers shared by the fused TypeScript neuron ops (synaptic, alpha, rleaky, rsynaptic, lapicque,
 * alif, izhikevich): sequence geometry, per-feature parameters that may require grad, and the joint
 * autograd node that gives one backward pass for several outputs.
 */

export type ResetMechanism = 'subtract' | 'zero' | 'none';

export function checkReset(who: string, reset: unknown): ResetMechanism {
  if (reset !== 'subtract' && reset !== 'zero' && reset !== 'none') {
    throw new ValueError(`${who}: reset must be subtract, zero or none, found ${describe(reset)}`);
  }
  return reset;
}

/**
 * A decay (beta, alpha, rho): a number in [lo, hi], or an array with one such value per neuron (exactly
 * `count` of them when count is given). The one check the step functions and the layers share.
 */
export function checkDecay(who: string, name: string, v: unknown, count: number | null, lo = 0, hi = 1): void {
  if (typeof v === 'number') {
    checkRange(`${who} ${name}`, v, lo, hi);
    return;
  }
  if (!Array.isArray(v) && !ArrayBuffer.isView(v)) {
    throw new ValueError(`${who} ${name}: expected a number in [${lo}, ${hi}] or one per neuron, found ${describe(v)}`);
  }
  const a = v as ArrayLike<number>;
  if (count !== null && a.length !== count)
    throw new ValueError(`${who} ${name}: expected ${count} values (one per neuron), found ${a.length}`);
  for (let i = 0; i < a.length; i++) checkRange(`${who} ${name}[${i}]`, a[i], lo, hi);
}

/** A firing threshold: a finite number. */
export function checkThreshold(who: string, v: unknown): number {
  checkRange(`${who} threshold`, v as number, -1e30, 1e30);
  return v as number;
}

/** The input and options a sequence op receives: a Tensor and an object. */
export function checkSequenceArgs(who: string, input: unknown, o: unknown): void {
  checkTensor(`${who} input`, input);
  checkObject(`${who} options`, o);
}

/** The input, state and parameters a step function receives: an array and two objects. */
export function checkStepArgs(who: string, x: unknown, state: unknown, p: unknown): void {
  checkArray(`${who} x`, x, false);
  checkObject(`${who} state`, state);
  checkObject(`${who} params`, p);
}

export function checkSurrogate(who: string, s: Surrogate | undefined): Surrogate {
  if (!s || typeof s.grad !== 'function')
    throw new ValueError(`${who}: surrogate must be a Surrogate value (e.g. atan()), found ${describe(s)}`);
  return s;
}

/** Geometry of a [T, B, H] sequence, or a constant [B, H] input repeated for T steps. */
export interface SeqGeom {
  T: number;
  B: number;
  H: number;
  /** Neurons per step, B * H. */
  N: number;
  constInput: boolean;
}

export function seqGeom(who: string, input: Tensor, steps: number, constInput: boolean): SeqGeom {
  if (!Number.isInteger(steps) || steps < 1) throw new ValueError(`${who}: steps must be a positive integer, found ${String(steps)}`);
  const s = input.shape;
  if (constInput ? s.length < 1 : s.length < 2) {
    throw new ShapeError(`${who}: input must be [T, B, H] (or [B, H] with constInput), found [${s.join(', ')}]`);
  }
  if (!constInput && s[0] !== steps) throw new ShapeError(`${who}: input has ${s[0]} time steps, expected ${steps}`);
  const H = s[s.length - 1];
  if (H < 1) throw new ShapeError(`${who}: input has no features (shape [${s.join(', ')}])`);
  const N = constInput ? input.size : input.size / steps;
  return { T: steps, B: N / H, H, N, constInput };
}

/** A per-feature parameter: a number, or a Tensor of 1 or H values that may require grad. */
export type FeatureParam = number | Tensor;

/** Options every fused neuron sequence op takes. */
export interface NeuronSequenceBase {
  /** Number of time steps T. */
  steps: number;
  /** When true `input` is [B, H], the same current at every step. */
  constInput: boolean;
  threshold: FeatureParam;
  reset: ResetMechanism;
  surrogate: Surrogate;
  /** Kernels for the shared neuron scan (absent: the default ones where available at once; null: the TypeScript scan). */
  kernels?: Kernels | null;
}

/** The recurrent connection of RLeaky / RSynaptic. */
export interface RecurrentSequenceOptions {
  /** [H, H] ([in, out]); may require grad. */
  weight: Tensor;
  /** [H] or null; may require grad. */
  bias: Tensor | null;
  /** Kernels for the recurrent products and the scan (absent: the default ones where available at once). */
  kernels?: Kernels | null;
}

export interface ResolvedParam {
  /** H values (a scalar is broadcast). */
  v: Float64Array;
  tensor: Tensor | null;
}

export function resolveParam(who: string, name: string, p: FeatureParam, H: number, lo = -Infinity, hi = Infinity): ResolvedParam {
  const v = new Float64Array(H);
  let tensor: Tensor | null = null;
  if (typeof p === 'number') v.fill(p);
  else if (p instanceof Tensor) {
    if (p.size !== 1 && p.size !== H) throw new ShapeError(`${who}: ${name} has ${p.size} values, expected 1 or ${H}`);
    for (let h = 0; h < H; h++) v[h] = p.data[p.size === 1 ? 0 : h];
    tensor = p;
  } else throw new ValueError(`${who}: ${name} must be a number or a Tensor, found ${typeof p}`);
  for (let h = 0; h < H; h++) {
    if (!(v[h] >= lo && v[h] <= hi)) {
      const label = tensor && tensor.size > 1 ? `${name}[${h}]` : name;
      throw new ValueError(`${who}: ${label} = ${v[h]} is outside [${lo}, ${hi}]`);
    }
  }
  return { v, tensor };
}

/** Adds per-feature gradient g (length H) into the parameter's tensor (summed when it holds one value). */
export function addParamGrad(p: ResolvedParam, g: Float64Array): void {
  const t = p.tensor;
  if (!t?.requiresGrad) return;
  const dst = t.ensureGrad();
  if (t.size === 1) {
    let s = 0;
    for (let i = 0; i < g.length; i++) s += g[i];
    dst[0] += s;
  } else for (let i = 0; i < g.length; i++) dst[i] += g[i];
}

/** Tensors among the parameters (graph parents of the fused op). */
export function paramParents(...ps: Array<ResolvedParam | Tensor | null | undefined>): Tensor[] {
  const out: Tensor[] = [];
  for (const p of ps) {
    if (!p) continue;
    const t = p instanceof Tensor ? p : p.tensor;
    if (t && !out.includes(t)) out.push(t);
  }
  return out;
}

/**
 * One backward for several outputs: a joint node with the op's parents; the outputs hang below it, so
 * the joint's backward runs once, after every output has received its gradient. `backward` gets each
 * output's gradient (null when none reached it).
 */
export function fusedOutputs<K extends string>(
  parents: Tensor[],
  outputs: Record<K, { data: Float32Array | Uint8Array; shape: number[] }>,
  backward: (grads: Record<K, Float32Array | null>) => void,
): Record<K, Tensor> {
  const tensors = {} as Record<K, Tensor>;
  const joint: Tensor = new Tensor(new Float32Array(0), [0], {
    parents,
    backward: () => {
      const grads = {} as Record<K, Float32Array | null>;
      for (const k of Object.keys(outputs) as K[]) grads[k] = tensors[k].grad;
      backward(grads);
    },
  });
  joint.grad = new Float32Array(0);
  for (const k of Object.keys(outputs) as K[]) tensors[k] = new Tensor(outputs[k].data, outputs[k].shape, { parents: [joint] });
  return tensors;
}

/** Input of neuron n at step t (constant inputs repeat). */
export function inputAt(x: Float32Array | Uint8Array, g: SeqGeom, t: number, n: number): number {
  return g.constInput ? x[n] : x[t * g.N + n];
}

/** Accumulates the input gradient of step t into gi ([T*N], or [N] summed over time for constant input). */
export function gradInputArray(g: SeqGeom): Float32Array {
  return new Float32Array(g.constInput ? g.N : g.T * g.N);
}
