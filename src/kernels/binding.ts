import { registerZeroer } from '../core/buffers.js';
import { SpikeflowError } from '../core/errors.js';
import { SplitBalance } from './balance.js';
import type { KernelPool, Part } from './pool.js';
import { ranges, type Splitter } from './splits.js';

/**
 * The one generic binding of the WASM kernels. A kernel is declared once (wasm-exports.ts) by its
 * fields, in the order of its AssemblyScript parameters or argument block: operands (typed arrays
 * with a direction), scalars, and the scratch space it needs. From that declaration `call` lays the
 * operands out in the module's memory (the arena below), copies the inputs in, passes pointers and
 * scalars, runs the kernel and copies the outputs out.
 *
 * Calling convention: a kernel of at most MAX_POSITIONAL fields takes them as parameters; a longer one
 * takes one pointer to its argument block, the fields one after another at their natural alignment
 * (4 bytes, f64 8), read on the AssemblyScript side as an @unmanaged class with the same fields in the
 * same order.
 */

export type Dtype = 'f32' | 'f64' | 'u8' | 'i32' | 'u32';
interface ArrayOf {
  f32: Float32Array;
  f64: Float64Array;
  u8: Uint8Array;
  i32: Int32Array;
  u32: Uint32Array;
}
const CTORS = { f32: Float32Array, f64: Float64Array, u8: Uint8Array, i32: Int32Array, u32: Uint32Array } as const;

/**
 * in: copied in; out: copied out (the kernel writes it whole); inout: both; acc: copied out, and in
 * only when the call's `accumulate` field is set.
 */
export type Mode = 'in' | 'out' | 'inout' | 'acc';
export interface Operand<T extends Dtype = Dtype> {
  readonly kind: 'array';
  readonly dtype: T;
  readonly mode: Mode;
}
export interface Scalar {
  readonly kind: 'i32' | 'f32' | 'f64';
}
export interface Scratch {
  readonly kind: 'scratch';
}
export type Field = Operand | Scalar | Scratch;
export type Fields = Readonly<Record<string, Field>>;

const operands = <T extends Dtype>(dtype: T) => {
  const op = (mode: Mode): Operand<T> => ({ kind: 'array', dtype, mode });
  return { in: op('in'), out: op('out'), inout: op('inout'), acc: op('acc') };
};
export const F32 = operands('f32');
export const F64 = operands('f64');
export const U8 = operands('u8');
export const I32 = operands('i32');
export const U32 = operands('u32');
/** Scalars; booleans pass as 1 / 0, and an omitted scalar as 0. */
export const i32: Scalar = { kind: 'i32' };
export const f32: Scalar = { kind: 'f32' };
export const f64: Scalar = { kind: 'f64' };
/** The kernel's scratch space, sized by its declaration's `scratch`. */
export const scratch: Scratch = { kind: 'scratch' };

/** Data already in the module's memory (held or reserved): passed by address, never copied. */
export class At {
  constructor(readonly ptr: number) {}
}
/** Space for `length` elements that the kernel writes and a later call reads: laid out, never copied. */
export class Room {
  constructor(readonly length: number) {}
}

/**
 * An operand's value: an array; null (absent: address 0); At; Room; or, for an f32 input, a list of
 * arrays of one length, laid out one after another (each 16-byte aligned; copied in, never out).
 */
type Value<F> =
  F extends Operand<infer T> ? ArrayOf[T] | At | Room | (T extends 'f32' ? Float32Array[] : never) | null : number | boolean | null;
export type Values<F extends Fields> = { [K in keyof F as F[K] extends Scratch ? never : K]?: Value<F[K]> };
type Dims<F extends Fields> = { readonly [K in keyof F as F[K] extends Scalar ? K : never]: number };

/** The module's size functions (*ScratchBytes), which the declarations' `scratch` call. */
export type Sizers = Record<`${string}ScratchBytes`, (...dims: number[]) => number>;

export interface Decl<F extends Fields = Fields> {
  readonly fields: F;
  /** Scratch bytes for the call's scalars. */
  scratch?(x: Sizers, v: Dims<F>): number;
  /** Outputs are copied out only when the result passes (a NaN found in the input leaves them untouched). */
  ok?(result: number): boolean;
}

/** One kernel's declaration. */
export const kernel = <F extends Fields>(fields: F, scratch?: Decl<F>['scratch'], ok?: Decl<F>['ok']): Decl<F> => ({ fields, scratch, ok });

/** The most fields a kernel takes as parameters; more go in its argument block. */
export const MAX_POSITIONAL = 8;

const PAGE = 65536;
/** Where resident arrays must end (2 GiB): half of the 4 GiB a WASM memory can reach. */
export const RESIDENT_END = 2 ** 31;
export const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

export interface ModuleExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  zeroBytes(ptr: number, bytes: number): void;
}

/**
 * The module's memory from its heap base up: long-lived regions (`hold`: the argument block, Adam
 * moments kept between steps; freed regions are reused by later holds of the same size), then an
 * optional reservation (`keep`: data that outlives the call, the currents a training forward saves for
 * its backward), then the scratch arena of each call (`layout`: operand sizes in bytes -> 16-aligned
 * addresses, growing memory when needed). A new reservation replaces the previous one (its generation
 * number no longer matches); so does a growth of the long-lived zone, which moves the reservation's place.
 */
export function arena(ex: ModuleExports) {
  const base = ex.heapBase();
  let held = 0;
  const freeHeld = new Map<number, number[]>();
  let kept = 0;
  let gen = 0;
  let top = 0;
  const ensure = (end: number) => {
    const have = ex.memory.buffer.byteLength;
    if (end > have) {
      try {
        ex.memory.grow(Math.ceil((end - have) / PAGE));
      } catch {
        throw new SpikeflowError(
          `WASM kernels: this call needs ${(end / 2 ** 20).toFixed(0)} MiB of WebAssembly memory, more than the engine allows (4 GiB at most); split it into smaller batches`,
        );
      }
    }
  };
  return {
    /** Addresses (into `ptrs`) for `sizes` (bytes) from the arena's bottom, or from `above` when that is higher; `top` is then their end. */
    layout(sizes: number[], above = 0, ptrs: number[] = new Array<number>(sizes.length)): number[] {
      let off = Math.max(base + held + kept, above);
      for (let i = 0; i < sizes.length; i++) {
        ptrs[i] = off;
        off += align16(sizes[i]);
      }
      ensure(off);
      top = off;
      return ptrs;
    },
    get top(): number {
      return top;
    },
    /** The end of the long-lived zone (held regions lie below it). */
    get heldEnd(): number {
      return base + held;
    },
    /** Reserves `bytes` at the bottom (replacing the previous reservation); returns its address and generation. */
    keep(bytes: number): { ptr: number; gen: number } {
      kept = 0; // no reservation while growing: a failed grow leaves none
      gen++;
      ensure(base + held + align16(bytes));
      kept = align16(bytes);
      return { ptr: base + held, gen };
    },
    /** A long-lived region of `bytes` (a freed one of that size, else new at the top of the zone). */
    hold(bytes: number): number {
      const size = align16(bytes);
      const reuse = freeHeld.get(size)?.pop();
      if (reuse !== undefined) return reuse;
      kept = 0; // the zone grows over the reservation's place
      gen++;
      ensure(base + held + size);
      const p = base + held;
      held += size;
      return p;
    },
    /** Returns a long-lived region for reuse. */
    unhold(ptr: number, bytes: number): void {
      const size = align16(bytes);
      const list = freeHeld.get(size);
      if (list) list.push(ptr);
      else freeHeld.set(size, [ptr]);
    },
    /** Whether reservation `g` is still the current one. */
    holds(g: number): boolean {
      return g === gen && kept > 0;
    },
    /** Frees reservation `g` if it is still the current one. */
    release(g: number): void {
      if (g === gen) {
        kept = 0;
        gen++;
      }
    },
  };
}
export type Arena = ReturnType<typeof arena>;

interface Plan {
  decl: Decl;
  names: string[];
  fields: Field[];
  fn: (...args: number[]) => number;
  /** Its index in the table (the thread pool names exports by it). */
  index: number;
  /** Field name -> index. */
  at: Record<string, number>;
  split: Splitter | undefined;
  /** Index of each field in the argument block's view of its type (Int32Array, Float32Array or Float64Array); null: positional. */
  slots: number[] | null;
  /** Per call (calls do not nest): the values, the bytes laid out, the addresses, the arguments, which operands are resident. */
  vals: unknown[];
  res: boolean[];
  sizes: number[];
  ptrs: number[];
  args: number[];
}

/**
 * `call(name, values)` for the kernels of `table`. Views of the memory are remade whenever a grow
 * detached the buffer. `placed(field)` is where an operand of the last call lay (for a following call
 * to read, laid out above it: `call(..., mem.top)`).
 */
export function binder<T extends Record<string, Decl>>(
  ex: ModuleExports & Sizers,
  table: T,
  mem: Arena,
  /** Threads for the kernels of `splits` (pool.ts, splits.ts); null: one thread. */
  pool: KernelPool | null = null,
  splits: Partial<Record<string, Splitter>> = {},
) {
  const plans = {} as Record<keyof T, Plan>;
  let blockBytes = 0;
  let index = 0;
  for (const [name, decl] of Object.entries(table) as Array<[keyof T & string, Decl]>) {
    const fields = Object.values(decl.fields);
    const n = fields.length;
    const fn = (ex as unknown as Record<string, Plan['fn']>)[name];
    let slots: number[] | null = null;
    if (n > MAX_POSITIONAL) {
      let off = 0;
      slots = fields.map((f) => {
        const size = f.kind === 'f64' ? 8 : 4;
        off = Math.ceil(off / size) * size + size;
        return (off - size) / size;
      });
      blockBytes = Math.max(blockBytes, off);
    }
    if (typeof fn !== 'function' || fn.length !== (slots ? 1 : n)) {
      throw new SpikeflowError(`WASM kernels: the module's ${name} does not match its binding (${n} fields)`);
    }
    const zeros = () => new Array<number>(n).fill(0);
    const names = Object.keys(decl.fields);
    plans[name] = {
      decl,
      names,
      fields,
      fn,
      index: index++,
      at: Object.fromEntries(names.map((f, i) => [f, i])),
      split: splits[name],
      slots,
      vals: new Array(n),
      res: new Array<boolean>(n).fill(false),
      sizes: zeros(),
      ptrs: zeros(),
      args: zeros(),
    };
  }
  // The argument block: at the bottom of the long-lived zone, for the whole life of the module; one per
  // thread of the pool (each part of a split call has its own).
  const blocks = [mem.hold(blockBytes)];
  const block = blocks[0];
  /** Argument blocks for n threads (made when the pool grows, not during a call: a hold moves the reservation). */
  const ensureBlocks = (n: number) => {
    while (blocks.length < n) blocks.push(mem.hold(blockBytes));
  };
  ensureBlocks(pool?.threads ?? 1);
  let buffer: ArrayBuffer | null = null;
  let views = {} as { [D in Dtype]: ArrayOf[D] };
  /** Every buffer object of the memory seen (a shared memory's changes when it grows; views on an older one stay valid). */
  const buffers = new WeakSet<ArrayBufferLike>();
  const memView = () => {
    if (ex.memory.buffer !== buffer) {
      buffer = ex.memory.buffer;
      const b = buffer;
      buffers.add(b);
      // zeroFill of an array of this (shared) memory: the module's native fill
      if (typeof SharedArrayBuffer === 'function' && b instanceof SharedArrayBuffer)
        registerZeroer(b, (a) => ex.zeroBytes(a.byteOffset, a.byteLength));
      views = {
        f32: new Float32Array(b),
        u8: new Uint8Array(b),
        i32: new Int32Array(b),
        u32: new Uint32Array(b),
        f64: new Float64Array(b),
      };
    }
    return views;
  };
  const unit = (dtype: Dtype) => CTORS[dtype].BYTES_PER_ELEMENT;
  /**
   * Whether typed array `x` lies in a held region of a shared memory (a resident array, see `resident`):
   * kernels then read and write it where it is, by address, instead of copying it in and out.
   */
  const isResident = (x: ArrayBufferView): boolean => buffers.has(x.buffer) && x.byteOffset + x.byteLength <= mem.heldEnd;
  /** Whether the byte ranges of two arrays overlap. */
  const overlap = (a: ArrayBufferView, b: ArrayBufferView) =>
    a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
  /** Copies `from` into the memory at `ptr`. */
  const put = <D extends Dtype>(dtype: D, ptr: number, from: ArrayOf[D]) => memView()[dtype].set(from as never, ptr / unit(dtype));
  /** Fills `into` from the memory at `ptr`. */
  const get = <D extends Dtype>(dtype: D, ptr: number, into: ArrayOf[D]) => {
    const i = ptr / unit(dtype);
    into.set(memView()[dtype].subarray(i, i + into.length) as never);
  };
  let last: Plan | null = null;
  /** Writes the fields `args` of a block kernel into the argument block at `at`. */
  const writeBlock = (plan: Plan, args: number[], at: number) => {
    const { i32: I, f32: F, f64: D } = memView();
    const { fields, slots } = plan;
    for (let i = 0; i < args.length; i++) {
      const k = fields[i].kind;
      if (k === 'f32') F[at / 4 + slots![i]] = args[i];
      else if (k === 'f64') D[at / 8 + slots![i]] = args[i];
      else I[at / 4 + slots![i]] = args[i];
    }
  };
  // the split in progress: its kernel, and the runs its splitter cut (what the balance learns from)
  const balance = new SplitBalance();
  let splitting = -1;
  let cut: { key: string; parts: number; runs: Array<[number, number]> } | null = null;
  const ctx = {
    x: ex as never,
    get threads() {
      return Math.min(pool?.threads ?? 1, blocks.length);
    },
    alloc: (bytes: number) => mem.layout([bytes], mem.top)[0],
    f32: () => memView().f32,
    ranges(n: number, parts: number, align = 1) {
      const key = `${splitting}:${n}:${parts}:${align}`;
      const runs = ranges(n, parts, align, balance.get(key, parts));
      cut = { key, parts, runs };
      return runs;
    },
  };
  const fns = Object.values(plans).map((p) => p.fn);
  const local = (p: Part) => fns[p.fn].apply(null, p.args);
  /** The call split over the pool's threads, or null when its splitter keeps it on one. */
  const splitRun = (plan: Plan, args: number[]): number | null => {
    const named: Record<string, number> = {};
    for (let i = 0; i < args.length; i++) named[plan.names[i]] = args[i];
    splitting = plan.index;
    cut = null;
    const split = plan.split!(named, ctx);
    if (!split) return null;
    const parts: Part[] = split.parts.map((over, p) => {
      const a = args.slice();
      for (const f in over) a[plan.at[f]] = over[f];
      if (!plan.slots) return { fn: plan.index, args: a };
      writeBlock(plan, a, blocks[p]);
      return { fn: plan.index, args: [blocks[p]] };
    });
    const results = pool!.run(parts, local);
    // (a split whose runs are fewer than the parts asked for, a tiny call, teaches nothing)
    const c = cut as { key: string; parts: number; runs: Array<[number, number]> } | null;
    if (c && c.runs.length === c.parts && parts.length === c.parts)
      balance.learn(
        c.key,
        c.runs.map(([a, b]) => b - a),
        pool!.finished,
      );
    split.after?.();
    return split.combine ? split.combine(results) : results.reduce((s, r) => s + r, 0);
  };

  return {
    /** Runs kernel `name` on `values`, laid out from `above` (default: the arena's bottom); returns its result. */
    call<K extends keyof T & string>(name: K, values: Values<T[K]['fields']>, above = 0): number {
      const plan = plans[name];
      const { decl, names, fields, vals, res, sizes, ptrs, args } = plan;
      const v = values as Record<string, unknown>;
      const n = names.length;
      let anyResident = false;
      for (let i = 0; i < n; i++) {
        const x = (vals[i] = v[names[i]]);
        const f = fields[i];
        res[i] = false;
        if (f.kind === 'scratch') sizes[i] = decl.scratch!(ex, v as never);
        else if (f.kind !== 'array' || x == null || x instanceof At) sizes[i] = 0;
        else if (Array.isArray(x)) sizes[i] = x.reduce((s: number, a: Float32Array) => s + align16(a.length * 4), 0);
        else if (!(x instanceof Room) && isResident(x as ArrayBufferView)) {
          res[i] = anyResident = true;
          sizes[i] = 0;
        } else sizes[i] = (x as ArrayLike<number>).length * unit(f.dtype);
      }
      // A resident output is written in place unless the kernel may fail and must leave its outputs
      // untouched (decl.ok), or it overlaps another resident operand: then it is laid out and copied
      // out as any other.
      if (anyResident) {
        for (let i = 0; i < n; i++) {
          const f = fields[i];
          if (!res[i] || (f.kind === 'array' && f.mode === 'in')) continue;
          const x = vals[i] as ArrayBufferView;
          let copy = !!decl.ok;
          for (let j = 0; j < n && !copy; j++) copy = j !== i && res[j] && overlap(x, vals[j] as ArrayBufferView);
          if (copy) {
            res[i] = false;
            sizes[i] = x.byteLength;
          }
        }
      }
      mem.layout(sizes, above, ptrs);
      last = plan;
      const accumulate = !!v.accumulate;
      for (let i = 0; i < n; i++) {
        const x = vals[i];
        const f = fields[i];
        if (f.kind === 'scratch') args[i] = ptrs[i];
        else if (f.kind !== 'array') args[i] = x === true ? 1 : x === false || x == null ? 0 : (x as number);
        else if (x == null) args[i] = 0;
        else if (x instanceof At) args[i] = x.ptr;
        else if (res[i]) args[i] = ptrs[i] = (x as ArrayBufferView).byteOffset;
        else {
          args[i] = ptrs[i];
          if (x instanceof Room || f.mode === 'out' || (f.mode === 'acc' && !accumulate)) continue;
          if (!Array.isArray(x)) put(f.dtype, ptrs[i], x as ArrayOf[Dtype]);
          else for (let r = 0, p = ptrs[i]; r < x.length; p += align16(x[r].length * 4), r++) put('f32', p, x[r]);
        }
      }
      let result = plan.split && pool && pool.threads > 1 && !pool.isClosed ? splitRun(plan, args) : null;
      if (result === null) {
        if (plan.slots) {
          writeBlock(plan, args, block);
          result = plan.fn(block);
        } else result = plan.fn.apply(null, args);
      }
      if (decl.ok && !decl.ok(result)) return result;
      for (let i = 0; i < n; i++) {
        const x = vals[i];
        const f = fields[i];
        if (f.kind !== 'array' || f.mode === 'in' || x == null || x instanceof At || x instanceof Room || Array.isArray(x) || res[i])
          continue;
        get(f.dtype, ptrs[i], x as ArrayOf[Dtype]);
      }
      vals.fill(undefined);
      return result;
    },
    /** Where operand `field` of the last call lay. */
    placed(field: string): At {
      return new At(last!.ptrs[last!.names.indexOf(field)]);
    },
    put,
    get,
    ensureBlocks,
    /** The shares of the split calls (balance.ts). */
    balance,
    /**
     * A resident array of `length` elements: a view of a held region of the module's memory, which every
     * kernel call reads and writes where it is (no copy in or out); zero-filled. Only on a shared
     * memory, whose views survive its growth (null otherwise, or when the memory cannot grow).
     */
    resident<A extends Float32Array | Int32Array | Uint8Array>(
      ctor: { new (b: ArrayBufferLike, at: number, n: number): A; BYTES_PER_ELEMENT: number },
      length: number,
    ): A | null {
      if (typeof SharedArrayBuffer !== 'function' || !(ex.memory.buffer instanceof SharedArrayBuffer)) return null;
      const bytes = length * ctor.BYTES_PER_ELEMENT;
      // resident arrays end below RESIDENT_END: the rest of the engine's 4 GiB stays for the calls' own layouts
      if (mem.heldEnd + align16(bytes) > RESIDENT_END) return null;
      let ptr: number;
      try {
        ptr = mem.hold(bytes);
      } catch {
        return null;
      }
      const a = new ctor(memView().u8.buffer, ptr, length);
      ex.zeroBytes(ptr, bytes);
      return a;
    },
    /** Gives a resident array's region back for reuse (the array must not be used after). */
    unresident(a: ArrayBufferView): void {
      if (isResident(a)) mem.unhold(a.byteOffset, a.byteLength);
    },
  };
}
