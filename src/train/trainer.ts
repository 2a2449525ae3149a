import { Tensor } from '../core/tensor.js';
import { zeroFill } from '../core/buffers.js';
import type { Rng } from '../core/rng.js';
import { checkInt, NonFiniteError, ShapeError, ValueError } from '../core/errors.js';
import type { Kernels } from '../kernels/types.js';
import type { Seq } from '../nn/layer.js';
import type { Optimizer } from './optim.js';
import type { Task } from './task.js';
import { allFinite, firstNonFinite, runBatch, type TrainableModel } from './step.js';
import type { DataParallel } from './parallel.js';

/** A labelled classification set; `inputs` holds n rows of `features` values (uint8 pixels are scaled by 1/255). */
export interface Dataset {
  inputs: Uint8Array | Float32Array;
  labels: Uint8Array | Int32Array;
  n: number;
  features: number;
  /**
   * Rows made on demand (event frames held sparse): writes row i into out[offset, offset + features),
   * which holds zeros; when given, `inputs` is not read.
   */
  row?(i: number, out: Float32Array, offset: number): void;
}

/** Turns a [B, features] batch into the network's input sequence (direct, rate, ...). */
export type Encoder = (x: Tensor, rng: Rng) => Seq;

export interface BatchInfo {
  epoch: number;
  batch: number;
  batches: number;
  samples: number;
  loss: number;
  accuracy: number;
  samplesPerSec: number;
}

export function checkDataset(d: Dataset, name = 'dataset'): void {
  if (!d.row && d.inputs.length !== d.n * d.features) {
    throw new ShapeError(`${name}: ${d.inputs.length} input values, expected n*features = ${d.n}*${d.features}`);
  }
  if (d.labels.length !== d.n) throw new ShapeError(`${name}: ${d.labels.length} labels for ${d.n} samples`);
}

/** Gathers rows `idx[from..to)` as a [B, features] float tensor and its labels. */
export function gatherBatch(
  d: Dataset,
  idx: ArrayLike<number>,
  from: number,
  to: number,
  /** Where the inputs go (its first (to - from) * features values; a new array when omitted). */
  into?: Float32Array,
): { x: Tensor; y: Int32Array } {
  const B = to - from;
  const F = d.features;
  const x = into ? into.subarray(0, B * F) : new Float32Array(B * F);
  const y = new Int32Array(B);
  const scale = d.inputs instanceof Uint8Array ? 1 / 255 : 1;
  if (d.row) {
    if (into) zeroFill(x); // a reused array (the kernels' shared memory: their native fill)
    for (let b = 0; b < B; b++) {
      d.row(idx[from + b], x, b * F);
      y[b] = d.labels[idx[from + b]];
    }
    return { x: new Tensor(x, [B, F]), y };
  }
  for (let b = 0; b < B; b++) {
    const r = idx[from + b];
    const src = r * F;
    const dst = b * F;
    // the row converted by a native copy, then scaled (a uint8 is exact in float32: the same values)
    x.set(d.inputs.subarray(src, src + F), dst);
    if (scale !== 1) for (let f = dst; f < dst + F; f++) x[f] *= scale;
    y[b] = d.labels[r];
  }
  return { x: new Tensor(x, [B, F]), y };
}

/** The first NaN or infinite value of a gathered float batch (uint8 data cannot hold one). */
function inputNonFinite(d: Dataset, x: Tensor): { row: number; feature: number; value: number } | undefined {
  if (d.inputs instanceof Uint8Array || allFinite(x.data as Float32Array)) return undefined;
  const k = firstNonFinite(x.data as Float32Array);
  return k < 0 ? undefined : { row: Math.floor(k / d.features), feature: k % d.features, value: x.data[k] };
}

export interface EpochOptions {
  /** A Sequential, or a wrapper of another model in its three methods (TrainableModel). */
  model: TrainableModel;
  task: Task;
  optimizer: Optimizer;
  encoder: Encoder;
  batchSize: number;
  rng: Rng;
  kernels: Kernels;
  epoch?: number;
  /** Stop after this many batches (benchmarks, smoke tests). */
  maxBatches?: number;
  /**
   * Called after every batch; a promise it returns is awaited before the next batch (a caller may yield
   * there: to the event loop, for signals or a UI; or stop training by throwing).
   */
  onBatch?: (info: BatchInfo) => void | Promise<void>;
  /** Learning rate for each global batch index (epoch - 1) * batches + i; default: constant. */
  schedule?: (batch: number) => number;
  /** Worker threads to split each batch over (see DataParallel); default: this thread only. */
  parallel?: DataParallel;
  now?: () => number;
}

export interface EpochResult {
  loss: number;
  accuracy: number;
  samples: number;
  seconds: number;
  samplesPerSec: number;
}

/**
 * The array a loop's batches gather their inputs into (gatherBatch's `into`), refilled by each batch: in
 * the kernels' array space where they have one (the first layer's kernels then read it in place instead
 * of copying it in on every call), else an ordinary one. release() gives it back after the last batch.
 */
function batchInputs(kernels: Kernels, parallel: DataParallel | undefined, values: number): { inputs: Float32Array; release(): void } {
  const space = parallel ? null : kernels.arraySpace;
  const held = space?.alloc(Float32Array, values) ?? null;
  return { inputs: held ?? new Float32Array(values), release: () => held && space!.free(held) };
}

/** One pass over a shuffled dataset with BPTT through the whole sequence. */
export async function trainEpoch(data: Dataset, o: EpochOptions): Promise<EpochResult> {
  checkDataset(data, 'training set');
  checkInt('batchSize', o.batchSize, 1);
  const now = o.now ?? (() => performance.now() / 1000);
  const perm = o.rng.permutation(data.n);
  const batches = Math.min(Math.floor(data.n / o.batchSize), o.maxBatches ?? Infinity);
  if (batches < 1) throw new ShapeError(`training set has ${data.n} samples, fewer than one batch of ${o.batchSize}`);
  const t0 = now();
  let lossSum = 0;
  let correct = 0;
  let samples = 0;
  const epoch = o.epoch ?? 1;
  const { inputs, release } = batchInputs(o.kernels, o.parallel, o.batchSize * data.features);
  try {
    for (let i = 0; i < batches; i++) {
      const { x, y } = gatherBatch(data, perm, i * o.batchSize, (i + 1) * o.batchSize, inputs);
      const stop = (tensor: string, what: string) => {
        const step = (epoch - 1) * batches + i + 1;
        return new NonFiniteError(
          `training stopped: ${what} at epoch ${epoch}, batch ${i + 1}/${batches} (step ${step}); the parameters keep their values from before this batch`,
          tensor,
          epoch,
          i + 1,
          step,
        );
      };
      const bad = inputNonFinite(data, x);
      if (bad) throw stop('input', `training sample ${perm[i * o.batchSize + bad.row]} holds ${bad.value} at feature ${bad.feature}`);
      const seq = o.encoder(x, o.rng);
      const r = o.parallel ? await o.parallel.run(seq, y, true) : runBatch(o.model, o.task, seq, y, o.kernels, true);
      if (r.nonFinite) throw stop(r.nonFinite, `the ${r.nonFinite} is ${r.nonFinite === 'loss' ? r.loss : 'not finite'}`);
      if (o.schedule) o.optimizer.lr = o.schedule(((o.epoch ?? 1) - 1) * batches + i);
      if (o.parallel) await o.parallel.step(o.optimizer);
      else o.optimizer.step();
      for (let b = 0; b < y.length; b++) if (r.predictions[b] === y[b]) correct++;
      lossSum += r.loss * y.length;
      samples += y.length;
      await o.onBatch?.({
        epoch: o.epoch ?? 0,
        batch: i + 1,
        batches,
        samples,
        loss: r.loss,
        accuracy: correct / samples,
        samplesPerSec: samples / Math.max(now() - t0, 1e-9),
      });
    }
  } finally {
    release();
  }
  const seconds = now() - t0;
  return { loss: lossSum / samples, accuracy: correct / samples, samples, seconds, samplesPerSec: samples / seconds };
}

export interface EvalResult {
  accuracy: number;
  samples: number;
  seconds: number;
  samplesPerSec: number;
  /** Mean spikes per neuron per time step, for each spiking layer. */
  spikeRates: number[];
  /** Total spikes emitted by each spiking layer over the whole set. */
  spikeCounts: number[];
  /** Predicted class of every sample, in dataset order. */
  predictions: Int32Array;
}

/** Inference over a whole dataset (no weight updates). */
export async function evaluate(
  data: Dataset,
  o: {
    model: TrainableModel;
    task: Task;
    encoder: Encoder;
    batchSize?: number;
    rng: Rng;
    kernels: Kernels;
    parallel?: DataParallel;
    now?: () => number;
  },
): Promise<EvalResult> {
  checkDataset(data, 'test set');
  if (data.n < 1) throw new ShapeError('evaluate: the test set is empty (0 samples)');
  const now = o.now ?? (() => performance.now() / 1000);
  const bs = o.batchSize ?? 1000;
  const order = new Uint32Array(data.n).map((_, i) => i);
  const predictions = new Int32Array(data.n);
  let correct = 0;
  const spikeCounts: number[] = [];
  const neuronSteps: number[] = [];
  const t0 = now();
  const { inputs, release } = batchInputs(o.kernels, o.parallel, Math.min(bs, data.n) * data.features);
  try {
    for (let from = 0; from < data.n; from += bs) {
      const to = Math.min(data.n, from + bs);
      const { x, y } = gatherBatch(data, order, from, to, inputs);
      const bad = inputNonFinite(data, x);
      if (bad) throw new ValueError(`evaluate: test sample ${from + bad.row} holds ${bad.value} at feature ${bad.feature}`);
      const seq = o.encoder(x, o.rng);
      const r = o.parallel ? await o.parallel.run(seq, y, false) : runBatch(o.model, o.task, seq, y, o.kernels, false);
      predictions.set(r.predictions, from);
      for (let b = 0; b < y.length; b++) if (r.predictions[b] === y[b]) correct++;
      r.spikeCounts.forEach((c, l) => {
        spikeCounts[l] = (spikeCounts[l] ?? 0) + c;
        neuronSteps[l] = (neuronSteps[l] ?? 0) + r.neuronSteps[l];
      });
    }
  } finally {
    release();
  }
  const seconds = now() - t0;
  return {
    accuracy: correct / data.n,
    samples: data.n,
    seconds,
    samplesPerSec: data.n / seconds,
    spikeRates: spikeCounts.map((s, l) => s / neuronSteps[l]),
    spikeCounts,
    predictions,
  };
}
