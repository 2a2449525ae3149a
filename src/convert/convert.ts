// ANN-to-SNN conversion by data-based normalisation (Diehl et al. 2015, "Fast-classifying, high-accuracy
// spiking deep networks through weight and threshold balancing"; Rueckauer et al. 2017, "Conversion of
// continuous-valued deep networks to efficient event-driven networks for image classification").
// Each ReLU becomes an integrate-and-fire neuron (Leaky with beta 1, threshold 1, reset by subtraction)
// whose firing rate approximates the ReLU's activation divided by the layer's scale lambda_l; the weights
// and biases are rescaled so that every layer sees its input in the same units:
//   W_l <- W_l * lambda_{l-1} / lambda_l,   b_l <- b_l / lambda_l      (lambda_0 = 1: inputs in [0, 1])
// lambda_l is the maximum (percentile 100) or a chosen percentile (default 99.9, Rueckauer's robust
// normalisation) of the layer's positive ReLU activations on a calibration set.
import { SpikeflowError, ValueError, checkInt, checkKeys, checkMethods, checkRange, checkTensor } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import type { Kernels } from '../kernels/types.js';
import { featuresOf, type Layer, type Seq } from '../nn/layer.js';
import { Linear } from '../nn/linear.js';
import { Conv2d } from '../nn/conv.js';
import { AvgPool2d } from '../nn/pool.js';
import { Flatten } from '../nn/flatten.js';
import { ReLU } from '../nn/relu.js';
import { Dropout } from '../nn/dropout.js';
import { BatchNorm } from '../nn/batchnorm.js';
import { Leaky } from '../nn/leaky-layer.js';
import { Sequential } from '../nn/sequential.js';
import { Rng } from '../core/rng.js';

/** The ANN has a layer conversion cannot map (MaxPool2d, a spiking layer, ...): names the layer and what to do. */
export class ConversionError extends SpikeflowError {
  constructor(
    message: string,
    readonly layer: number,
    readonly kind: string,
  ) {
    super(message);
  }
}

/** How the converted network's output is read: spike counts of an IF output layer, or the membrane of a non-spiking accumulator. */
export type Readout = 'count' | 'membrane';

/**
 * The threshold of the output accumulator (membrane readout): a Leaky with beta 1 and no reset that
 * never reaches it, so it sums its input current over time and does not spike. Far above any sum of
 * logits over 10^4 steps; the checkpoint contract's bound on thresholds is 1e30.
 */
export const ACCUMULATOR_THRESHOLD = 1e20;

export interface ConvertOptions {
  /** Percentile of the positive activations that sets each layer's scale; 100 = the maximum (Diehl 2015). Default 99.9. */
  percentile?: number;
  readout?: Readout;
  kernels: Kernels;
  /** Calibration samples per forward pass (default 500). */
  batchSize?: number;
}

/** What conversion did, layer by layer (JSON-serialisable). */
export interface ConversionReport {
  percentile: number;
  readout: Readout;
  calibrationSamples: number;
  /** One per weighted layer of the ANN (Linear, Conv2d), in order. */
  layers: Array<{
    /** Index of the weighted layer in the ANN. */
    annLayer: number;
    kind: string;
    /** BatchNorm folded into it (its index), or null. */
    foldedBatchNorm: number | null;
    /** lambda_l: the scale of its activations (1 for the membrane readout's output layer). */
    scale: number;
    /** The maximum positive activation on the calibration set (for comparison with the percentile). */
    maxActivation: number;
    /** Weights multiplied by this (lambda_{l-1} / lambda_l). */
    weightFactor: number;
  }>;
}

/**
 * p-th percentile (0 < p <= 100) of the values, linearly interpolated between order statistics as numpy's
 * default (rank p/100 * (n - 1)); 0 for no values. Sorts `values` in place.
 */
export function percentile(values: Float32Array, p: number): number {
  checkRange('percentile', p, 0, 100);
  if (values.length === 0) return 0;
  values.sort();
  const rank = (p / 100) * (values.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, values.length - 1);
  return values[lo] + (rank - lo) * (values[hi] - values[lo]);
}

type Weighted = Linear | Conv2d;

/** A copy of a weighted layer with its weight multiplied per output channel and the given bias (folding, scaling). */
function rescaled(l: Weighted, mul: ArrayLike<number>, bias: ArrayLike<number>): Weighted {
  const rng = new Rng(0); // the initial values are overwritten below
  const copy =
    l instanceof Linear
      ? new Linear(l.inFeatures, l.outFeatures, { rng, bias: true })
      : new Conv2d({
          inChannels: l.inChannels,
          outChannels: l.outChannels,
          kernel: [l.kH, l.kW],
          stride: l.stride,
          padding: l.padding,
          bias: true,
          rng,
          ...(l.inputSize ? { inputSize: l.inputSize } : {}),
        });
  // both store the weight [fan-in, out]: column o is output channel o
  const O = l instanceof Linear ? l.outFeatures : l.outChannels;
  const w = l.weight.data as Float32Array;
  const cw = copy.weight.data as Float32Array;
  for (let i = 0; i < w.length; i++) cw[i] = w[i] * mul[i % O];
  (copy.bias!.data as Float32Array).set(bias);
  return copy;
}

/** The bias of a weighted layer (zeros when it has none), each value mapped by f(value, channel). */
function biasOf(l: Weighted, f: (b: number, o: number) => number): Float32Array {
  const O = l instanceof Linear ? l.outFeatures : l.outChannels;
  return Float32Array.from({ length: O }, (_, o) => f(l.bias ? l.bias.data[o] : 0, o));
}

/**
 * The ANN with every BatchNorm folded into the Linear or Conv2d before it (W' = W * s, b' = b * s + t with
 * s = gamma / sqrt(var + eps), t = beta - mean * s per output channel) and Dropout removed: in inference
 * it computes the same function. Throws ConversionError for a BatchNorm without a weighted layer right before it.
 */
export function foldBatchNorm(ann: Sequential): Sequential {
  const out: Layer[] = [];
  ann.layers.forEach((l, i) => {
    if (l instanceof Dropout) return;
    if (l instanceof BatchNorm) {
      const prev = out[out.length - 1];
      if (!(prev instanceof Linear || prev instanceof Conv2d))
        throw new ConversionError(
          `layer ${i} (${l.kind}): BatchNorm can be folded only into a Linear or Conv2d right before it, found ${prev ? prev.kind : 'none'}`,
          i,
          l.kind,
        );
      const { scale, shift } = l.affine();
      out[out.length - 1] = rescaled(
        prev,
        scale,
        biasOf(prev, (b, o) => b * scale[o] + shift[o]),
      );
      return;
    }
    out.push(l);
  });
  return new Sequential(out);
}

/** Refuses layers conversion cannot map, naming the first; MaxPool2d: use AvgPool2d. */
function checkConvertible(ann: Sequential): void {
  ann.layers.forEach((l, i) => {
    if (l.kind === 'maxpool2d')
      throw new ConversionError(
        `layer ${i} (maxpool2d): max pooling of spike trains is not the max of the rates, so it is not converted; train the ANN with AvgPool2d (--pool avg) instead`,
        i,
        l.kind,
      );
    const ok = l instanceof Linear || l instanceof Conv2d || l instanceof ReLU || l instanceof AvgPool2d;
    if (!ok && !(l instanceof Flatten || l instanceof Dropout || l instanceof BatchNorm))
      throw new ConversionError(
        `layer ${i} (${l.kind}): expected an ANN of linear, conv2d, batchnorm1d/2d, relu, avgpool2d, flatten and dropout layers`,
        i,
        l.kind,
      );
  });
  const last = [...ann.layers].reverse().find((l) => !(l instanceof Dropout));
  if (!(last instanceof Linear || last instanceof Conv2d))
    throw new ConversionError(
      `layer ${ann.layers.length - 1} (${last?.kind ?? 'none'}): expected the ANN to end with its logits (a Linear or Conv2d)`,
      ann.layers.length - 1,
      last?.kind ?? 'none',
    );
}

/** One layer on its own (a one-layer Sequential carries the image over elementwise layers as a whole model does). */
const step = (l: Layer, x: Seq, kernels: Kernels): Seq => new Sequential([l]).forward(x, kernels, { inference: true }).out;

/** The positive values of x appended to a growing list of chunks. */
function collectPositive(x: Tensor, into: Float32Array[]): void {
  const d = x.data;
  let n = 0;
  for (let i = 0; i < d.length; i++) if (d[i] > 0) n++;
  const out = new Float32Array(n);
  for (let i = 0, j = 0; i < d.length; i++) if (d[i] > 0) out[j++] = d[i];
  into.push(out);
}

const concat = (parts: Float32Array[]): Float32Array => {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/**
 * Converts a trained ANN (Linear/Conv2d, optional BatchNorm, ReLU, AvgPool2d, Flatten, Dropout; logits
 * last) into an SNN of the same topology: BatchNorm folded, Dropout dropped, each ReLU replaced by an
 * integrate-and-fire layer (Leaky beta 1, threshold 1, reset by subtraction), the weights and biases
 * normalised by the activations on `calibration` ([n, features] inputs in [0, 1], as the ANN was trained
 * on). The output: an IF layer (readout 'count', its scale from the positive logits) or a Leaky accumulator
 * with beta 1, no reset and ACCUMULATOR_THRESHOLD (readout 'membrane': its membrane after T steps is
 * T times the logits, to the rate approximation). The result is an ordinary Sequential: evaluate it with
 * `convertedTask`, fine-tune it with BPTT (spikingTask('membrane') for the membrane readout), save it.
 * Feed it direct input (directEncode) or rate input (rateEncode): both carry the pixel value as current or rate.
 */
export function convertToSnn(
  ann: Sequential,
  calibration: Tensor,
  opts: ConvertOptions,
): { snn: Sequential; report: ConversionReport; folded: Sequential } {
  checkMethods('convertToSnn ann', ann, ['forward', 'parameters'], 'a Sequential (the trained ANN)');
  checkTensor('convertToSnn calibration', calibration);
  checkKeys('convertToSnn options', opts, ['percentile', 'readout', 'kernels', 'batchSize']);
  checkMethods('convertToSnn kernels', opts.kernels, ['matmul'], 'Kernels (defaultKernels() or referenceKernels)');
  const p = opts.percentile ?? 99.9;
  checkRange('convertToSnn percentile', p, 1e-9, 100);
  const readout = opts.readout ?? 'membrane';
  if (readout !== 'count' && readout !== 'membrane')
    throw new ValueError(`convertToSnn readout: expected count or membrane, found ${JSON.stringify(readout)}`);
  if (calibration.shape.length !== 2 || calibration.shape[0] < 1)
    throw new ValueError(
      `convertToSnn calibration: expected [samples, features] with at least one sample, found [${calibration.shape.join(', ')}]`,
    );
  const bs = opts.batchSize ?? 500;
  checkInt('convertToSnn batchSize', bs, 1);
  checkConvertible(ann);
  const folded = foldBatchNorm(ann);
  // where each BatchNorm went: the weighted layers of the folded model -> their ANN indices
  const origin: Array<{ ann: number; bn: number | null }> = [];
  ann.layers.forEach((l, i) => {
    if (l instanceof Linear || l instanceof Conv2d) origin.push({ ann: i, bn: null });
    else if (l instanceof BatchNorm) origin[origin.length - 1].bn = i;
  });
  const layers = folded.layers;
  const weighted = layers.flatMap((l, i) => (l instanceof Linear || l instanceof Conv2d ? [i] : []));
  const lastWeighted = weighted[weighted.length - 1];
  // the positive activations after each ReLU (and of the logits), gathered over the calibration batches
  const acts = new Map<number, Float32Array[]>();
  const sizes = new Map<number, number>();
  const [n, F] = calibration.shape;
  for (let from = 0; from < n; from += bs) {
    const to = Math.min(n, from + bs);
    const data = (calibration.data as Float32Array).subarray(from * F, to * F);
    let x: Seq = { x: new Tensor(data, [to - from, F]), steps: 1, constant: true };
    layers.forEach((l, i) => {
      x = step(l, x, opts.kernels);
      if (l instanceof ReLU || i === lastWeighted) {
        collectPositive(x.x, acts.get(i) ?? (acts.set(i, []), acts.get(i)!));
        sizes.set(i, featuresOf(x));
      }
    });
  }
  const report: ConversionReport = { percentile: p, readout, calibrationSamples: n, layers: [] };
  const out: Layer[] = [];
  let prevScale = 1;
  let w = 0; // weighted layers seen
  layers.forEach((l, i) => {
    if (l instanceof Linear || l instanceof Conv2d) {
      // its scale: that of the ReLU after it (pooling and flattening in between are linear), or the logits'
      const reluAt = layers.findIndex((m, j) => j > i && (m instanceof ReLU || m instanceof Linear || m instanceof Conv2d));
      const isLast = i === lastWeighted;
      const at = isLast ? i : reluAt;
      if (!isLast && !(layers[at] instanceof ReLU))
        throw new ConversionError(
          `layer ${origin[w].ann} (${l.kind}): expected a ReLU after it before the next weighted layer (two linear layers in a row)`,
          origin[w].ann,
          l.kind,
        );
      const positives = concat(acts.get(at) ?? []);
      const maxActivation = positives.reduce((m, v) => Math.max(m, v), 0);
      let scale = isLast && readout === 'membrane' ? 1 : percentile(positives, p);
      if (!(scale > 0)) scale = 1; // a layer that never activates on the calibration set: left unscaled
      const factor = prevScale / scale;
      const O = l instanceof Linear ? l.outFeatures : l.outChannels;
      out.push(
        rescaled(
          l,
          new Float32Array(O).fill(factor),
          biasOf(l, (b) => b / scale),
        ),
      );
      report.layers.push({
        annLayer: origin[w].ann,
        kind: l.kind,
        foldedBatchNorm: origin[w].bn,
        scale,
        maxActivation,
        weightFactor: factor,
      });
      w++;
      prevScale = scale;
      if (isLast) {
        const size = sizes.get(i)!;
        out.push(
          readout === 'count'
            ? new Leaky({ size, beta: 1, threshold: 1, reset: 'subtract' })
            : new Leaky({ size, beta: 1, threshold: ACCUMULATOR_THRESHOLD, reset: 'none' }),
        );
      }
    } else if (l instanceof ReLU) {
      out.push(new Leaky({ size: sizes.get(i)!, beta: 1, threshold: 1, reset: 'subtract' }));
    } else out.push(l); // AvgPool2d, Flatten
  });
  return { snn: new Sequential(out), report, folded };
}
