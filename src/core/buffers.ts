/**
 * Reuse of a training step's large buffers. A batch allocates the same big activation and gradient
 * arrays every time ([T, B, H] currents, spikes, pooled maps: ~140 MB per CSNN batch); fresh ones are
 * new memory pages that the OS maps on first touch, a page fault per 4 KiB (a few microseconds each in
 * a VM, and the threads of one process fault one at a time). Inside `withStepBuffers(buffers, fn)`,
 * large arrays made by the ops come from the arrays of the previous step with the same type and
 * length; when `fn` returns, this step's arrays become the ones the next step takes (others are
 * dropped, so the set never outgrows one step).
 *
 * Only for code whose arrays do not outlive the step: runBatch (src/train/step.ts) and user loops
 * through a Tape (below). When the step ends, every tensor made in it whose data or gradient is one of
 * its arrays is released: reading that data or gradient throws ReleasedBufferError instead of
 * silently showing the next step's values. Outside a step every request is a fresh array. Arrays
 * handed out are zero-filled unless the caller overwrites them whole.
 */

import { ReleasedBufferError, ValueError } from './errors.js';

type Ctor<T> = { new (n: number): T; readonly name: string };

/** Arrays below this many bytes are not worth the bookkeeping. */
const MIN_BYTES = 1 << 18;

/** What a step releases: a tensor's data and gradient slots (core/tensor.ts; structural, to avoid an import cycle). */
interface Lender {
  readonly data: unknown;
  grad: unknown;
}

/** What a released tensor's data and gradient become: any use of it (index, length, instanceof, method) throws. */
const RELEASED: Float32Array = new Proxy(new Float32Array(0), {
  get: released,
  set: released,
  has: released,
  getPrototypeOf: released,
  ownKeys: released,
  getOwnPropertyDescriptor: released,
  defineProperty: released,
  deleteProperty: released,
});
function released(): never {
  throw new ReleasedBufferError(
    'this tensor was made inside a Tape run (or a runBatch step) that has ended, and its buffer now serves the next run; ' +
      'copy what must outlive a run inside it (e.g. spk.data.slice(), loss.item())',
  );
}

/** Whether `x` is the data or gradient of a released tensor. */
export function isReleased(x: unknown): boolean {
  return x === RELEASED;
}

/**
 * Where a step's arrays can live instead of the JavaScript heap: the memory of kernels that then use them
 * in place, without copying them in and out on every call (Kernels.arraySpace: the WASM kernels on a
 * shared memory). `alloc` gives a zero-filled array, or null when it has no room.
 */
export interface ArraySpace {
  alloc<A extends Float32Array | Int32Array | Uint8Array>(
    ctor: { new (b: ArrayBufferLike, at: number, n: number): A; BYTES_PER_ELEMENT: number },
    n: number,
  ): A | null;
  free(a: ArrayBufferView): void;
}

/** Native zeroing for the arrays of a shared memory, by buffer (registered by the kernels that own it). */
const zeroers = new WeakMap<ArrayBufferLike, (a: ArrayBufferView) => void>();

/** Registers how to zero arrays on `buffer` (the WASM kernels, for each buffer of their shared memory). */
export function registerZeroer(buffer: ArrayBufferLike, zero: (a: ArrayBufferView) => void): void {
  zeroers.set(buffer, zero);
}

/**
 * Sets every element of `a` to 0. For an array of the kernels' shared memory (a resident gradient, say) the
 * kernels' native fill runs: TypedArray.fill on shared memory took 0.22-0.27 ms for 784k floats where it
 * takes 0.03-0.07 on an ordinary array (Node 20). Returns whether the kernels' fill ran.
 */
export function zeroFill(a: Float32Array | Int32Array | Uint8Array): boolean {
  const zero = zeroers.get(a.buffer);
  if (zero) zero(a);
  else a.fill(0);
  return zero !== undefined;
}

/** The arrays a StepBuffers took from its space, freed when it is collected (the holder, not the buffers, is kept). */
interface SpaceHolder {
  space: ArraySpace | null;
  arrays: Set<ArrayBufferView>;
}
const collected = new FinalizationRegistry<SpaceHolder>((h) => {
  for (const a of h.arrays) h.space?.free(a);
  h.arrays.clear();
});

export class StepBuffers {
  private free = new Map<string, ArrayBufferView[]>();
  private readonly holder: SpaceHolder = { space: null, arrays: new Set() };
  constructor() {
    collected.register(this, this.holder);
  }

  /**
   * Takes later arrays from `space` (null: the JavaScript heap). Between steps only: the free arrays of
   * another space are dropped (and given back to it).
   */
  useSpace(space: ArraySpace | null): void {
    const h = this.holder;
    if (space === h.space) return;
    for (const list of this.free.values()) for (const a of list) this.drop(a);
    this.free = new Map();
    h.space = space;
  }

  private drop(a: ArrayBufferView): void {
    if (this.holder.arrays.delete(a)) this.holder.space?.free(a);
  }

  /**
   * `a` itself, or an array of its type and length in the space (its contents are dead: a take zeroes it
   * or the caller overwrites it). Only between steps: a space may move the kernels' call data to make
   * room, which must not happen while a kernel call's data is kept in it (e.g. a forward's saved
   * currents, between the forward and the backward of a step).
   */
  private settle(a: ArrayBufferView): ArrayBufferView {
    const h = this.holder;
    if (!h.space || h.arrays.has(a)) return a;
    const ctor = a.constructor as unknown as { new (b: ArrayBufferLike, at: number, n: number): Float32Array; BYTES_PER_ELEMENT: number };
    const r = h.space.alloc(ctor, a.byteLength / ctor.BYTES_PER_ELEMENT);
    if (!r) return a;
    h.arrays.add(r);
    return r;
  }
  private used: Array<[string, ArrayBufferView]> = [];
  /** The arrays handed out in this step, and the tensors made on them (released when the step ends). */
  private lent = new Set<ArrayBufferView>();
  private lenders: Lender[] = [];
  /** Arrays given back in this step and not taken again (they serve the next step too). */
  private returned = new Map<ArrayBufferView, string>();

  take<T extends Float32Array | Int32Array | Uint8Array>(ctor: Ctor<T>, n: number, zero: boolean): T {
    const key = `${ctor.name}:${n}`;
    const b = this.free.get(key)?.pop() as T | undefined;
    const out = b ?? new ctor(n);
    if (b) this.returned.delete(b);
    if (b && zero) b.fill(0);
    this.used.push([key, out]);
    this.lent.add(out);
    return out;
  }

  /** Whether `a` is one of this step's arrays. */
  owns(a: unknown): boolean {
    return this.lent.has(a as ArrayBufferView);
  }

  /** Notes a tensor whose data or gradient may be one of this step's arrays. */
  note(t: Lender): void {
    if (this.lent.has(t.data as ArrayBufferView) || this.lent.has(t.grad as ArrayBufferView)) this.lenders.push(t);
  }

  /**
   * `a`, taken in this step, is dead before the step ends (a chunk's temporary): the next take of its
   * type and length in this step gets it again, and it stays with the arrays the next step takes.
   */
  giveBack(a: ArrayBufferView): void {
    if (!this.lent.delete(a)) return;
    const i = this.used.findIndex((u) => u[1] === a);
    const [key] = this.used[i];
    this.used.splice(i, 1);
    this.returned.set(a, key);
    const list = this.free.get(key);
    if (list) list.push(a);
    else this.free.set(key, [a]);
  }

  /** Bytes of the arrays held: those this step has taken and those still free for it. */
  get bytes(): number {
    let n = 0;
    for (const [, b] of this.used) n += b.byteLength;
    for (const list of this.free.values()) for (const b of list) n += b.byteLength;
    return n;
  }

  /** The step is over: its tensors are released and its arrays are the ones the next step takes. */
  recycle(): void {
    for (const t of this.lenders) {
      if (this.lent.has(t.data as ArrayBufferView)) (t as { data: unknown }).data = RELEASED;
      if (this.lent.has(t.grad as ArrayBufferView)) t.grad = RELEASED;
    }
    this.lenders = [];
    this.lent = new Set();
    // the arrays no take of this step wanted are dropped (a space's go back to it)
    for (const list of this.free.values()) for (const a of list) if (!this.returned.has(a)) this.drop(a);
    this.free = new Map();
    for (const [b, key] of this.returned) this.used.push([key, b]);
    this.returned = new Map();
    for (const [key, a] of this.used) {
      // a step's first arrays are ordinary ones; the next step takes them in the space
      const b = this.settle(a);
      const list = this.free.get(key);
      if (list) list.push(b);
      else this.free.set(key, [b]);
    }
    this.used = [];
  }
}

let current: StepBuffers | null = null;

/** Runs fn with `buffers` serving the large arrays it allocates; recycles them when fn returns or throws. */
export function withStepBuffers<R>(buffers: StepBuffers, fn: () => R): R {
  const prev = current;
  current = buffers;
  try {
    return fn();
  } finally {
    buffers.recycle();
    current = prev;
  }
}

/** A new tensor, or one that just got its gradient: the current step releases it when it ends if it holds the step's arrays. */
export function noteTensor(t: Lender): void {
  current?.note(t);
}

/** `a` is dead before the step ends (see StepBuffers.giveBack); outside a step, nothing to do. */
export function giveBack(a: ArrayBufferView): void {
  current?.giveBack(a);
}

/**
 * The step buffers of runBatch for any training loop. Inside `tape.run(fn)` the large arrays the ops
 * make (activations, spikes, membrane traces, the gradients of intermediate tensors) are the arrays
 * of the tape's previous run, so a loop of forward and backward passes stops allocating after its
 * first run. Lifetime: a run's arrays are lent to it until fn returns; then every tensor made inside
 * on those arrays is released (reading its data or gradient throws ReleasedBufferError) and the arrays
 * go to the next run. Parameters and their gradients are not the tape's: they persist as usual, and
 * so do small arrays (under 256 KiB: never pooled). Return what must outlive the run as plain values
 * or copies:
 *
 *   const tape = new Tape();
 *   for (const batch of batches) {
 *     const loss = tape.run(() => {
 *       model.zeroGrad();
 *       const out = model.forward(batch, kernels);
 *       const l = lossOf(out);
 *       backward(l);
 *       return l.item(); // a number: valid after the run
 *     });
 *     optimizer.step();
 *   }
 *
 * fn must be synchronous (the arrays are lent until it returns), and a tape runs one fn at a time.
 * `new Tape(kernels)` (or `tape.use(kernels)` between runs) puts the arrays where those kernels use them
 * in place (Kernels.arraySpace: the WASM kernels' shared memory in Node), which saves copying each one
 * into the kernels' memory and back on every call; without, they are ordinary arrays.
 */
export class Tape {
  private readonly buffers = new StepBuffers();
  private running = false;
  private count = 0;

  constructor(kernels?: { readonly arraySpace?: ArraySpace } | null) {
    if (kernels) this.use(kernels);
  }

  /** Later runs' arrays live in `kernels`' array space (none: ordinary arrays). Not inside a run. */
  use(kernels: { readonly arraySpace?: ArraySpace } | null): void {
    if (this.running) throw new ValueError('Tape.use: not inside a run (its arrays are in use)');
    this.buffers.useSpace(kernels?.arraySpace ?? null);
  }

  run<R>(fn: () => R): R {
    if (typeof fn !== 'function') throw new ValueError(`Tape.run: expected a function, found ${typeof fn}`);
    if (this.running)
      throw new ValueError('Tape.run: this tape is already running (a run inside its own run would reuse arrays still in use)');
    this.running = true;
    try {
      const r = withStepBuffers(this.buffers, fn);
      this.count++;
      if (typeof (r as { then?: unknown } | null)?.then === 'function')
        throw new ValueError('Tape.run: fn returned a promise; the arrays are lent until fn returns, so fn must be synchronous');
      return r;
    } finally {
      this.running = false;
    }
  }

  /** Runs completed. */
  get runs(): number {
    return this.count;
  }

  /** Bytes of the arrays the tape holds for its next run. */
  get bytes(): number {
    return this.buffers.bytes;
  }
}

/** A Float32Array of n elements (zero-filled unless `overwrite`: the caller writes every element). */
export function newF32(n: number, overwrite = false): Float32Array {
  return current && n * 4 >= MIN_BYTES ? current.take(Float32Array, n, !overwrite) : new Float32Array(n);
}

export function newI32(n: number, overwrite = false): Int32Array {
  return current && n * 4 >= MIN_BYTES ? current.take(Int32Array, n, !overwrite) : new Int32Array(n);
}

export function newU8(n: number, overwrite = false): Uint8Array {
  return current && n >= MIN_BYTES ? current.take(Uint8Array, n, !overwrite) : new Uint8Array(n);
}

/** A copy of `view` (e.g. a kernel's output in WASM memory) in an array of the step's. */
export function copyF32(view: Float32Array): Float32Array {
  const out = newF32(view.length, true);
  out.set(view);
  return out;
}

export function copyU8(view: Uint8Array): Uint8Array {
  const out = newU8(view.length, true);
  out.set(view);
  return out;
}
