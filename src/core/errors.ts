import type { Rng } from './rng.js';

/**
 * Typed errors. Every error a user can cause is a SpikeflowError subclass whose message says what was
 * wrong, where (file, field, flag) and what was expected versus found.
 */
export class SpikeflowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A tensor or array had the wrong shape or length. */
export class ShapeError extends SpikeflowError {}

/** An argument or option had an invalid value (wrong range, wrong type, unknown choice). */
export class ValueError extends SpikeflowError {}

/** A data file is missing, truncated, corrupt or has the wrong format. */
export class DataError extends SpikeflowError {
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(file ? `${file}: ${message}` : message);
  }
}

/**
 * Training met a NaN or infinite value: `tensor` names it ("input", "loss", "gradient of 0.weight"),
 * `batch` the batch of the epoch (1-based) and `step` the optimizer step it would have been (1-based,
 * counted over the run). The parameters keep their values from before that batch.
 */
export class NonFiniteError extends SpikeflowError {
  constructor(
    message: string,
    readonly tensor: string,
    readonly epoch: number,
    readonly batch: number,
    readonly step: number,
  ) {
    super(message);
  }
}

/**
 * A tensor's data or gradient was read after the Tape run (or runBatch step) that lent it its buffer
 * ended: the buffer now belongs to the next run. Copy what must outlive a run inside it.
 */
export class ReleasedBufferError extends SpikeflowError {}

/** A download failed or its checksum did not match. */
export class DownloadError extends SpikeflowError {}

/** A command-line usage error (unknown flag, bad flag value). */
export class UsageError extends SpikeflowError {}

/** Throws ValueError unless `cond` holds. */
export function check(cond: boolean, message: string): asserts cond {
  if (!cond) throw new ValueError(message);
}

/**
 * How a value that was found reads in a message: `undefined`, `null`, `5`, `"abc"` (strings quoted),
 * `an array of 3`, `a Float32Array of 3`, `a function`, `an object`, `a Tensor`.
 */
export function describe(x: unknown): string {
  if (x === null || x === undefined || typeof x === 'number' || typeof x === 'boolean' || typeof x === 'bigint') return String(x);
  if (typeof x === 'string') return JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}...` : x);
  if (typeof x === 'function') return 'a function';
  if (typeof x !== 'object') return typeof x;
  if (Array.isArray(x)) return `an array of ${x.length}`;
  const ctor = (x as { constructor?: { name?: string } }).constructor?.name;
  if (ArrayBuffer.isView(x)) return `a ${ctor} of ${(x as unknown as ArrayLike<number>).length}`;
  return ctor && ctor !== 'Object' ? `a ${ctor}` : 'an object';
}

/** Throws ValueError unless `x` is a finite number in [lo, hi] (inclusive). */
export function checkRange(name: string, x: number, lo: number, hi: number): void {
  if (typeof x !== 'number' || !Number.isFinite(x) || x < lo || x > hi) {
    throw new ValueError(`${name}: expected a number in [${lo}, ${hi}], found ${describe(x)}`);
  }
}

/** Throws ValueError unless `x` is an integer in [lo, hi]. */
export function checkInt(name: string, x: number, lo: number, hi = Number.MAX_SAFE_INTEGER): void {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < lo || x > hi) {
    throw new ValueError(`${name}: expected an integer in [${lo}, ${hi}], found ${describe(x)}`);
  }
}

/*
 * Checks of the values a caller passes from plain JavaScript (no compiler to catch a missing or
 * wrong-typed option): each throws a ValueError at the call that received the value, naming it
 * (`name`, e.g. "Linear rng"), with what was expected and what was found.
 */

/** An options object (not null, not an array). */
export function checkObject(name: string, x: unknown): asserts x is object {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new ValueError(`${name}: expected an object, found ${describe(x)}`);
}

/** An options object whose keys are all among `known` (a misspelt option would otherwise be ignored silently). */
export function checkKeys(name: string, x: unknown, known: readonly string[]): void {
  checkObject(name, x);
  for (const k of Object.keys(x)) {
    if (!known.includes(k)) throw new ValueError(`${name}: unknown option ${JSON.stringify(k)} (options: ${known.join(', ')})`);
  }
}

/** An optional boolean: true, false or undefined (a string such as "no" would read as true). */
export function checkBool(name: string, x: unknown): asserts x is boolean | undefined {
  if (x !== undefined && typeof x !== 'boolean') throw new ValueError(`${name}: expected true or false, found ${describe(x)}`);
}

/** A function. */
export function checkFunction(name: string, x: unknown): void {
  if (typeof x !== 'function') throw new ValueError(`${name}: expected a function, found ${describe(x)}`);
}

/** A value with the given methods (duck-typed, so copies of the class from another bundle pass); `what` says what it should be. */
export function checkMethods(name: string, x: unknown, methods: readonly string[], what: string): void {
  const ok = typeof x === 'object' && x !== null && methods.every((m) => typeof (x as Record<string, unknown>)[m] === 'function');
  if (!ok) throw new ValueError(`${name}: expected ${what}, found ${describe(x)}`);
}

/** A seeded random number generator (core/rng.ts). */
export function checkRng(name: string, x: unknown): asserts x is Rng {
  checkMethods(name, x, ['uniform', 'nextU32', 'fillU32', 'fork'], 'an Rng (new Rng(seed))');
}

/** A Tensor (core/tensor.ts): a shape array and a typed array of data. */
export function checkTensor(name: string, x: unknown): void {
  const t = x as { shape?: unknown; data?: unknown } | null;
  if (typeof t !== 'object' || t === null || !Array.isArray(t.shape) || !ArrayBuffer.isView(t.data)) {
    // the data of a tensor released by a Tape (core/buffers.ts) throws ReleasedBufferError on any use: let it say so
    if (typeof t === 'object' && t !== null && typeof t.data === 'object' && t.data !== null) Reflect.has(t.data, 'length');
    throw new ValueError(`${name}: expected a Tensor (new Tensor(data, shape)), found ${describe(x)}`);
  }
}

/** An array or typed array (of numbers, when `numbers`: each one finite). */
export function checkArray(name: string, x: unknown, numbers = true): asserts x is ArrayLike<number> {
  if (!Array.isArray(x) && !(ArrayBuffer.isView(x) && !(x instanceof DataView)))
    throw new ValueError(`${name}: expected an array, found ${describe(x)}`);
  if (!numbers) return;
  const a = x as ArrayLike<unknown>;
  for (let i = 0; i < a.length; i++) {
    if (typeof a[i] !== 'number' || !Number.isFinite(a[i]))
      throw new ValueError(`${name}[${i}]: expected a finite number, found ${describe(a[i])}`);
  }
}
