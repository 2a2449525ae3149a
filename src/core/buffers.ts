/**
 * Reuse of a training step's large buffers. A batch allocates the same big activation and gradient
 * arrays every time ([T, B, H] currents, spikes, pooled maps: ~140 MB per CSNN batch); fresh ones are
 * new memory pages that the OS maps on first touch, a page fault per 4 KiB (a few microseconds each in
 * a VM, and the threads of one process fault one at a time). Inside `withStepBuffers(buffers, fn)`,
 * large arrays made by the ops come from the arrays of the previous step with the same type and
 * length; when `fn` returns, this step's arrays become the ones the next step takes (others are
 * dropped, so the set never outgrows one step).
 *
 * Only for code whose arrays do not outlive the step: runBatch (src/train/step.ts) returns plain
 * numbers and small arrays, and its graph is dropped when it returns. Outside a step every request
 * is a fresh array. Arrays handed out are zero-filled unless the caller overwrites them whole.
 */

type Ctor<T> = { new (n: number): T; readonly name: string };

/** Arrays below this many bytes are not worth the bookkeeping. */
const MIN_BYTES = 1 << 18;

export class StepBuffers {
  private free = new Map<string, ArrayBufferView[]>();
  private used: Array<[string, ArrayBufferView]> = [];

  take<T extends Float32Array | Int32Array | Uint8Array>(ctor: Ctor<T>, n: number, zero: boolean): T {
    const key = `${ctor.name}:${n}`;
    const b = this.free.get(key)?.pop() as T | undefined;
    const out = b ?? new ctor(n);
    if (b && zero) b.fill(0);
    this.used.push([key, out]);
    return out;
  }

  /** The step is over: its arrays are the ones the next step takes. */
  recycle(): void {
    this.free = new Map();
    for (const [key, b] of this.used) {
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
