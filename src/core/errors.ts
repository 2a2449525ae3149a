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

/** A download failed or its checksum did not match. */
export class DownloadError extends SpikeflowError {}

/** A command-line usage error (unknown flag, bad flag value). */
export class UsageError extends SpikeflowError {}

/** Throws ValueError unless `cond` holds. */
export function check(cond: boolean, message: string): asserts cond {
  if (!cond) throw new ValueError(message);
}

/** Throws ValueError unless `x` is a finite number in [lo, hi] (inclusive). */
export function checkRange(name: string, x: number, lo: number, hi: number): void {
  if (typeof x !== 'number' || !Number.isFinite(x) || x < lo || x > hi) {
    throw new ValueError(`${name}: expected a number in [${lo}, ${hi}], found ${String(x)}`);
  }
}

/** Throws ValueError unless `x` is an integer in [lo, hi]. */
export function checkInt(name: string, x: number, lo: number, hi = Number.MAX_SAFE_INTEGER): void {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < lo || x > hi) {
    throw new ValueError(`${name}: expected an integer in [${lo}, ${hi}], found ${String(x)}`);
  }
}
