import { checkInt, ShapeError } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import type { Seq } from '../core/seq.js';
import type { Dataset, Encoder } from '../train/trainer.js';

/**
 * Labelled samples that are sequences of `steps` frames of `frameFeatures` values each (event counts),
 * computed once and held sparse: per sample the flat positions t * frameFeatures + f of its non-zero
 * counts. A Dataset whose rows are materialised per batch (`row`), so a full event dataset fits in
 * memory where its dense frames would not. A row is the sample's frames back to back, [T, F].
 */
export class FrameSet implements Dataset {
  readonly inputs = new Float32Array(0);
  readonly features: number;

  constructor(
    readonly steps: number,
    readonly frameFeatures: number,
    readonly labels: Uint8Array,
    private readonly offsets: Float64Array,
    private readonly index: Uint32Array,
    private readonly counts: Uint16Array,
  ) {
    this.features = steps * frameFeatures;
    if (offsets.length !== labels.length + 1) throw new ShapeError(`FrameSet: ${offsets.length} offsets for ${labels.length} samples`);
  }

  get n(): number {
    return this.labels.length;
  }

  /** Writes sample i's frames into out[offset, offset + features) (which must hold zeros). */
  row(i: number, out: Float32Array, offset: number): void {
    for (let k = this.offsets[i], end = this.offsets[i + 1]; k < end; k++) out[offset + this.index[k]] = this.counts[k];
  }

  /** The first `n` samples (shares the storage). */
  head(n: number): FrameSet {
    const m = Math.min(n, this.n);
    return new FrameSet(
      this.steps,
      this.frameFeatures,
      this.labels.subarray(0, m),
      this.offsets.subarray(0, m + 1),
      this.index,
      this.counts,
    );
  }

  /** Non-zero counts held, all samples together (memory: 6 bytes each). */
  get stored(): number {
    return this.offsets[this.n];
  }
}

/** Collects samples' dense frames into a FrameSet (counts above 65535 saturate; a count is a number of events). */
export class FrameSetBuilder {
  private offsets: number[] = [0];
  private labels: number[] = [];
  private index = new Uint32Array(1 << 16);
  private counts = new Uint16Array(1 << 16);
  private used = 0;

  constructor(
    readonly steps: number,
    readonly frameFeatures: number,
  ) {
    checkInt('steps', steps, 1);
    checkInt('frameFeatures', frameFeatures, 1);
    if (steps * frameFeatures > 2 ** 32)
      throw new ShapeError(`${steps} frames of ${frameFeatures} values exceed 2^32 positions per sample`);
  }

  /** Adds one sample: `frames` holds steps * frameFeatures counts in [T, F] order. */
  add(frames: ArrayLike<number>, label: number): void {
    if (frames.length !== this.steps * this.frameFeatures)
      throw new ShapeError(`FrameSetBuilder: ${frames.length} values, expected ${this.steps}x${this.frameFeatures}`);
    for (let j = 0; j < frames.length; j++) {
      const c = frames[j];
      if (c === 0) continue;
      if (this.used === this.index.length) this.grow();
      this.index[this.used] = j;
      this.counts[this.used++] = Math.min(c, 65535);
    }
    this.offsets.push(this.used);
    this.labels.push(label);
  }

  private grow(): void {
    const index = new Uint32Array(this.index.length * 2);
    index.set(this.index);
    const counts = new Uint16Array(this.counts.length * 2);
    counts.set(this.counts);
    this.index = index;
    this.counts = counts;
  }

  finish(): FrameSet {
    return new FrameSet(
      this.steps,
      this.frameFeatures,
      Uint8Array.from(this.labels),
      Float64Array.from(this.offsets),
      this.index.slice(0, this.used),
      this.counts.slice(0, this.used),
    );
  }
}

/**
 * The encoder of frame data: a batch of rows [B, T * F] (each sample's frames back to back) becomes the
 * time-major sequence [T, B, F] the network reads; the frames are the input, nothing is drawn.
 */
export function frameEncoder(steps: number): Encoder {
  checkInt('steps', steps, 1);
  return (x: Tensor): Seq => {
    const [B, TF] = x.shape;
    if (x.shape.length !== 2 || TF % steps !== 0)
      throw new ShapeError(`frameEncoder: expected a [B, ${steps} x F] batch, found [${x.shape.join(', ')}]`);
    const F = TF / steps;
    const src = x.data;
    const out = new Float32Array(B * TF);
    for (let b = 0; b < B; b++)
      for (let t = 0; t < steps; t++) {
        const s = b * TF + t * F;
        out.set(src.subarray(s, s + F), (t * B + b) * F);
      }
    return { x: new Tensor(out, [steps, B, F]), steps, constant: false };
  };
}
