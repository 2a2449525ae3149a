import { ShapeError } from './errors.js';
import { newF32, noteTensor } from './buffers.js';

export type TensorData = Float32Array | Uint8Array;

/**
 * A dense row-major tensor on a typed array, with an optional slot in the autograd graph.
 * Float tensors hold Float32Array; spike tensors (values 0/1) hold Uint8Array, which lets the
 * spike-driven kernels skip silent inputs and stores recorded spikes in a quarter of the memory.
 * Gradients are always Float32Array.
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly data: TensorData;
  requiresGrad: boolean;
  grad: Float32Array | null = null;
  /** Graph edges: the tensors this one was computed from. */
  readonly parents: readonly Tensor[];
  /** Propagates this.grad into the parents' grads (set by the op that made this tensor). */
  readonly backwardFn: (() => void) | null;

  constructor(
    data: TensorData,
    shape: readonly number[],
    opts: { requiresGrad?: boolean; parents?: readonly Tensor[]; backward?: () => void } = {},
  ) {
    const size = shapeSize(shape);
    if (data.length !== size) {
      throw new ShapeError(`tensor data has ${data.length} elements but shape [${shape.join(', ')}] needs ${size}`);
    }
    this.shape = Object.freeze([...shape]);
    this.data = data;
    this.parents = opts.parents ?? [];
    this.backwardFn = opts.backward ?? null;
    this.requiresGrad = opts.requiresGrad ?? this.parents.some((p) => p.requiresGrad);
    noteTensor(this); // made on a Tape run's array: released when the run ends
  }

  get size(): number {
    return this.data.length;
  }

  /** True when the data is a 0/1 spike array. */
  get isSpikes(): boolean {
    return this.data instanceof Uint8Array;
  }

  /** The data as Float32Array (a copy for spike tensors). */
  toFloat32(): Float32Array {
    return this.data instanceof Float32Array ? this.data : Float32Array.from(this.data);
  }

  /**
   * Gradient buffer, created (zeroed) on first use. An op's output (not a leaf) takes it from the
   * step's buffers (core/buffers.ts): its gradient dies with the graph.
   */
  ensureGrad(): Float32Array {
    if (!this.grad) {
      this.grad = this.parents.length ? newF32(this.data.length) : new Float32Array(this.data.length);
      noteTensor(this);
    }
    return this.grad;
  }

  /** Item of a single-element tensor. */
  item(): number {
    if (this.size !== 1) throw new ShapeError(`item() needs a single-element tensor, found shape [${this.shape.join(', ')}]`);
    return this.data[0];
  }

  static zeros(shape: readonly number[], opts: { requiresGrad?: boolean } = {}): Tensor {
    return new Tensor(new Float32Array(shapeSize(shape)), shape, opts);
  }

  static from(values: ArrayLike<number>, shape?: readonly number[], opts: { requiresGrad?: boolean } = {}): Tensor {
    return new Tensor(Float32Array.from(values), shape ?? [values.length], opts);
  }

  /** Same data, new shape (no copy); shares the graph node through a pass-through edge. */
  reshape(shape: readonly number[]): Tensor {
    if (shapeSize(shape) !== this.size) {
      throw new ShapeError(`cannot reshape [${this.shape.join(', ')}] to [${shape.join(', ')}]`);
    }
    if (!this.requiresGrad) return new Tensor(this.data, shape);
    const out: Tensor = new Tensor(this.data, shape, {
      parents: [this],
      backward: () => addInto(this.ensureGrad(), out.grad!),
    });
    return out;
  }
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`invalid dimension ${d} in shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

/**
 * Adds a freshly computed gradient `g` (owned by the caller, not used elsewhere) into t.grad: takes
 * the array itself when t has no gradient yet, which saves a zero-fill and a pass over it.
 */
export function accumulateOwnedGrad(t: Tensor, g: Float32Array): void {
  // a leaf (a parameter, an input) keeps its gradient past the step: it never adopts a step buffer
  if (t.grad === null && g.length === t.size && t.parents.length) {
    t.grad = g;
    noteTensor(t);
  } else addInto(t.ensureGrad(), g);
}

/** dst += src, elementwise. */
export function addInto(dst: Float32Array, src: Float32Array): void {
  for (let i = 0; i < dst.length; i++) dst[i] += src[i];
}

/**
 * Moves a tensor's values into `target` (e.g. a view on a SharedArrayBuffer that worker threads also
 * see) and makes the tensor use it from now on. Used to share parameters with workers without copies.
 */
export function rebindData(t: Tensor, target: Float32Array, copy = true): void {
  if (target.length !== t.size) throw new ShapeError(`rebindData: target has ${target.length} elements, tensor has ${t.size}`);
  if (copy) target.set(t.data);
  (t as { data: TensorData }).data = target;
}
