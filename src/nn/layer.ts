import { Tensor } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import type { Kernels } from '../kernels/types.js';
import { ShapeError } from '../core/errors.js';

import type { ImageShape, Seq } from '../core/seq.js';

export type { ImageShape, Seq } from '../core/seq.js';

/** Features per sample of a sequence. */
export function featuresOf(s: Seq): number {
  return s.x.shape[s.x.shape.length - 1];
}

/**
 * The image layout of a sequence entering an image layer: from the sequence itself, else from the
 * layer's configured input size, else a square single-or-multi-channel image if the feature count allows.
 */
export function imageOf(s: Seq, channels: number | null, inputSize: readonly [number, number] | null, who: string): ImageShape {
  const n = featuresOf(s);
  if (s.image) {
    if (channels !== null && s.image.c !== channels)
      throw new ShapeError(`${who}: expected ${channels} input channels, found ${s.image.c}`);
    return s.image;
  }
  if (channels === null)
    throw new ShapeError(`${who}: the input is not an image (put it after a Conv2d, or give the first Conv2d an inputSize)`);
  if (inputSize) {
    if (inputSize[0] * inputSize[1] * channels !== n) {
      throw new ShapeError(
        `${who}: input has ${n} features per sample, expected ${inputSize[0]}x${inputSize[1]}x${channels} = ${inputSize[0] * inputSize[1] * channels}`,
      );
    }
    return { c: channels, h: inputSize[0], w: inputSize[1] };
  }
  const side = Math.round(Math.sqrt(n / channels));
  if (side * side * channels !== n)
    throw new ShapeError(`${who}: cannot read ${n} features as a square ${channels}-channel image; give inputSize`);
  return { c: channels, h: side, w: side };
}

/** What a spiking layer recorded: its spikes (null when fused away in inference), membrane (null unless kept), spike count. */
export interface SpikeRecord {
  layer: string;
  spk: Tensor | null;
  mem: Tensor | null;
  spikes: number;
  /** Neurons x steps x samples: the denominator of the spike rate. */
  neuronSteps: number;
}

export interface ForwardContext {
  kernels: Kernels;
  /** Filled by spiking layers: spikes, membrane (null where not kept) and spike count, for losses and statistics. */
  records: Array<SpikeRecord>;
  /** Spiking layers keep their membrane trace only if they are this layer (the output) or keepAllMem is set. */
  outputLayer?: Layer;
  keepAllMem?: boolean;
  /** false: the output layer does not keep its membrane trace either (a loss on spikes alone); default true. */
  outputMem?: boolean;
  /** No gradients will be taken (evaluation): dropout is off, layers may fuse. */
  inference?: boolean;
}

export interface NamedParameter {
  name: string;
  tensor: Tensor;
}

export interface Layer {
  /** Short type name used in configs and checkpoints, e.g. "linear", "leaky". */
  readonly kind: string;
  /** True for neuron layers that emit spikes and record them in ctx.records (the last one is the output). */
  readonly spiking?: boolean;
  forward(input: Seq, ctx: ForwardContext): Seq;
  /** Learnable tensors (requiresGrad), in a stable order. */
  parameters(): NamedParameter[];
  /** JSON-serialisable hyper-parameters, enough to rebuild the layer (weights travel separately). */
  config(): Record<string, unknown>;
  /** Parameter in the checkpoint's (torch's) layout when it differs from the stored one. */
  exportParameter?(name: string, t: Tensor): { shape: number[]; data: Float32Array };
  /** Inverse of exportParameter: writes checkpoint data (torch layout) into the parameter. */
  importParameter?(name: string, t: Tensor, data: Float32Array): void;
}

/** A bias [n] drawn like torch.nn.Linear's and Conv2d's: U(-bound, bound), one draw per element in order. */
export function uniformBias(rng: Rng, n: number, bound: number, requiresGrad = true): Tensor {
  const b = new Float32Array(n);
  for (let i = 0; i < n; i++) b[i] = (rng.uniform() * 2 - 1) * bound;
  return new Tensor(b, [n], { requiresGrad });
}

/** dst[c, r] = src[r, c] for a row-major [rows, cols] matrix (torch [out, in] <-> stored [in, out]). */
export function transposeMatrix(
  src: ArrayLike<number>,
  rows: number,
  cols: number,
  dst: Float32Array<ArrayBufferLike> = new Float32Array(rows * cols),
): Float32Array<ArrayBufferLike> {
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
  return dst;
}
