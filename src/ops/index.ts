import { Tensor, accumulateOwnedGrad, addInto } from '../core/tensor.js';
import { ShapeError, checkTensor } from '../core/errors.js';
import { newF32 } from '../core/buffers.js';
import type { Kernels } from '../kernels/types.js';

/**
 * y = x @ W + b over all rows of x at once (time-batching: a [T, B, in] sequence is one [T*B, in] GEMM).
 * W is stored [in, out] so that a spike selects a contiguous weight row. When x holds 0/1 spikes the
 * forward is a spike-driven row accumulate and so is dW; dx is dense (the surrogate needs it). A spike
 * tensor of rank 3 is read as a time-major sequence [T, B, in] (see Kernels.spikeSeqMatmul).
 */
/**
 * An offer from the op that made a tensor x to form x's gradient through a Linear layer it feeds,
 * g W^T (g [rows, o], w [features, o]), inside its own backward kernel (a Leaky scan does). Made by
 * the producer, handed to the consumer by the fusion pass (nn/fusion.ts); true means it was taken
 * (x.grad then does not include that share).
 */
export type GradOffer = (g: Float32Array, w: Float32Array, o: number) => boolean;

export function linear(x: Tensor, w: Tensor, b: Tensor | null, k: Kernels, opts: { inputGrad?: GradOffer } = {}): Tensor {
  if (w.shape.length !== 2) throw new ShapeError(`linear: weight must be 2-D [in, out], found [${w.shape.join(', ')}]`);
  const [nIn, nOut] = w.shape;
  const lastDim = x.shape[x.shape.length - 1];
  if (lastDim !== nIn) {
    throw new ShapeError(`linear: input has ${lastDim} features (shape [${x.shape.join(', ')}]), the layer expects ${nIn}`);
  }
  if (b && b.size !== nOut) throw new ShapeError(`linear: bias has ${b.size} elements, expected ${nOut}`);
  const rows = x.size / nIn;
  const y = newF32(rows * nOut, true); // every element written by the kernel
  const wd = w.data as Float32Array;
  // A time-major spike sequence [T, B, in] takes the complement-coding kernels (inputs that fire at
  // most steps, like rate-coded bright pixels, cost a weight row only at the steps they miss).
  const seq = x.data instanceof Uint8Array && x.shape.length === 3 ? { t: x.shape[0], b: x.shape[1] } : null;
  if (x.data instanceof Uint8Array) {
    if (seq) k.spikeSeqMatmul(x.data, wd, y, seq.t, seq.b, nIn, nOut, false, b ? (b.data as Float32Array) : null);
    else k.spikeMatmul(x.data, wd, y, rows, nIn, nOut, false);
  } else k.matmul(x.data, wd, y, rows, nIn, nOut, false, false, false);
  if (b && !seq) k.addBias(y, b.data as Float32Array, rows, nOut);
  const parents = b ? [x, w, b] : [x, w];
  const out: Tensor = new Tensor(y, [...x.shape.slice(0, -1), nOut], {
    parents,
    backward: () => {
      const g = out.grad!;
      const gb = b?.requiresGrad ? b.ensureGrad() : null;
      let biasDone = false;
      if (w.requiresGrad) {
        if (seq) {
          k.spikeSeqGradW(x.data as Uint8Array, g, w.ensureGrad(), seq.t, seq.b, nIn, nOut, gb);
          biasDone = true;
        } else if (x.data instanceof Uint8Array) k.spikeMatmulGradW(x.data, g, w.ensureGrad(), rows, nIn, nOut);
        else k.matmul(x.data, g, w.ensureGrad(), nIn, rows, nOut, true, false, true);
      }
      if (gb && !biasDone) k.sumRows(g, gb, rows, nOut, true);
      // dx = g W^T, unless x's producer forms it inside its own backward (a Leaky scan offers to)
      if (x.requiresGrad && !opts.inputGrad?.(g, wd, nOut)) {
        // first gradient into x: write it directly instead of accumulating onto zeros
        const first = x.grad === null;
        k.matmul(g, wd, x.ensureGrad(), rows, nOut, nIn, false, true, !first);
      }
    },
  });
  return out;
}

/** Elementwise logistic sigmoid (used for learnable decay rates: beta = sigmoid(p)). */
export function sigmoid(x: Tensor): Tensor {
  const y = new Float32Array(x.size);
  for (let i = 0; i < y.length; i++) y[i] = 1 / (1 + Math.exp(-x.data[i]));
  const out: Tensor = new Tensor(y, x.shape, {
    parents: [x],
    backward: () => {
      const g = out.grad!;
      const gx = x.ensureGrad();
      for (let i = 0; i < y.length; i++) gx[i] += g[i] * y[i] * (1 - y[i]);
    },
  });
  return out;
}

const uniformSinks = new WeakMap<Tensor, (g: number) => boolean>();

/**
 * Lets the op that made `t` take a gradient that is the same value g in every element of t (sum()'s
 * backward gives one) as that value, instead of a t-sized array: `take(g)` records it (the producer adds
 * it to whatever t.grad holds when its own backward runs) and answers true, or answers false to have the
 * array made after all.
 */
export function acceptUniformGrad(t: Tensor, take: (g: number) => boolean): void {
  uniformSinks.set(t, take);
}

/**
 * Sum of every element, as a scalar tensor (e.g. a loss that is the number of spikes). The sum runs
 * in float64 (exact for spike counts); its gradient is the upstream value in every element.
 */
export function sum(x: Tensor): Tensor {
  checkTensor('sum input', x);
  const d = x.data;
  let s = 0;
  if (d instanceof Uint8Array) s = sumBytes(d);
  else for (let i = 0; i < d.length; i++) s += d[i];
  const out: Tensor = new Tensor(Float32Array.of(s), [], {
    parents: [x],
    backward: () => {
      const g = out.grad![0];
      // the producer of x takes a gradient that is one value everywhere without the array (a Leaky scan does)
      if (!x.grad && uniformSinks.get(x)?.(g)) return;
      if (x.grad) {
        const gx = x.grad;
        for (let i = 0; i < gx.length; i++) gx[i] += g;
      } else accumulateOwnedGrad(x, newF32(x.size, true).fill(g));
    },
  });
  return out;
}

/**
 * Sum of the bytes of `d` (exact: an integer), four at a time: each 32-bit word's bytes are split into two
 * words of 16-bit lanes (even and odd bytes) and added lane-wise, at most 256 words per run (256 x 255 fits a
 * lane), then the lanes are added up.
 */
export function sumBytes(d: Uint8Array): number {
  let s = 0;
  let i = 0;
  const head = (4 - (d.byteOffset & 3)) & 3;
  if (d.length < head + 4) {
    for (; i < d.length; i++) s += d[i];
    return s;
  }
  for (; i < head; i++) s += d[i];
  const words = (d.length - i) >> 2;
  const w = new Uint32Array(d.buffer, d.byteOffset + i, words);
  for (let j = 0; j < words; ) {
    const end = Math.min(words, j + 256);
    let even = 0;
    let odd = 0;
    for (; j < end; j++) {
      const v = w[j];
      even += v & 0x00ff00ff;
      odd += (v >>> 8) & 0x00ff00ff;
    }
    s += (even & 0xffff) + (even >>> 16) + (odd & 0xffff) + (odd >>> 16);
  }
  for (i += words * 4; i < d.length; i++) s += d[i];
  return s;
}

/** Sum of scalars (for combining losses). */
export function addScalars(...xs: Tensor[]): Tensor {
  let s = 0;
  for (const x of xs) {
    if (x.size !== 1) throw new ShapeError(`addScalars: expected scalars, found shape [${x.shape.join(', ')}]`);
    s += x.data[0];
  }
  const out: Tensor = new Tensor(Float32Array.of(s), [], {
    parents: xs,
    backward: () => {
      for (const x of xs) if (x.requiresGrad) x.ensureGrad()[0] += out.grad![0];
    },
  });
  return out;
}

/** Scales a tensor by a constant. */
export function scale(x: Tensor, c: number): Tensor {
  const y = new Float32Array(x.size);
  for (let i = 0; i < y.length; i++) y[i] = x.data[i] * c;
  const out: Tensor = new Tensor(y, x.shape, {
    parents: [x],
    backward: () => {
      const g = out.grad!;
      const gx = x.ensureGrad();
      for (let i = 0; i < g.length; i++) gx[i] += g[i] * c;
    },
  });
  return out;
}

export { addInto };

/** Elementwise max(x, 0). */
export function relu(x: Tensor): Tensor {
  const y = new Float32Array(x.size);
  for (let i = 0; i < y.length; i++) y[i] = Math.max(x.data[i], 0);
  const out: Tensor = new Tensor(y, x.shape, {
    parents: [x],
    backward: () => {
      const g = out.grad!;
      const gx = x.ensureGrad();
      for (let i = 0; i < g.length; i++) if (y[i] > 0) gx[i] += g[i];
    },
  });
  return out;
}
