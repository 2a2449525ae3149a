import { Tensor } from '../core/tensor.js';
import { backward } from '../core/autograd.js';
import type { Kernels } from '../kernels/types.js';
import type { Seq } from '../nn/layer.js';
import type { Sequential } from '../nn/sequential.js';
import type { Task } from './task.js';
import { RateSeq } from '../encode/index.js';
import { StepBuffers, withStepBuffers } from '../core/buffers.js';

/** Each model's step buffers (core/buffers.ts): a batch reuses the previous batch's large arrays. */
const stepBuffers = new WeakMap<Sequential, StepBuffers>();

export interface StepResult {
  /** Training loss of the batch (NaN for inference, which does not compute it). */
  loss: number;
  predictions: Int32Array;
  /** Spikes emitted by each spiking layer, and neuron-steps (for rates). */
  spikeCounts: number[];
  neuronSteps: number[];
}

/**
 * One forward pass (and, when `train`, the BPTT backward pass leaving dL/dparam in each parameter's
 * grad, which is zeroed first). The same function runs on the main thread and in every worker.
 */
export function runBatch(model: Sequential, task: Task, seq: Seq, y: Int32Array, kernels: Kernels, train: boolean): StepResult {
  let buffers = stepBuffers.get(model);
  if (!buffers) stepBuffers.set(model, (buffers = new StepBuffers()));
  // nothing made in the step outlives it: the loss and predictions below are plain numbers and fresh arrays
  return withStepBuffers(buffers, () => step(model, task, seq, y, kernels, train));
}

function step(model: Sequential, task: Task, seq: Seq, y: Int32Array, kernels: Kernels, train: boolean): StepResult {
  if (train) model.zeroGrad();
  const result = model.forward(seq, kernels, { inference: !train });
  let loss = NaN;
  if (train) {
    const l = task.loss(result, y);
    backward(l);
    loss = l.item();
  }
  const spikeCounts: number[] = [];
  const neuronSteps: number[] = [];
  for (const r of result.records) {
    spikeCounts.push(r.spikes);
    neuronSteps.push(r.neuronSteps);
  }
  return { loss, predictions: task.predict(result), spikeCounts, neuronSteps };
}

/** Rows [from, to) of the batch dimension of a sequence (time-major [T, B, F] or constant [B, F]). */
export function sliceBatch(seq: Seq, from: number, to: number): Seq {
  if (seq instanceof RateSeq) return seq.slice(from, to); // values and keys: each thread draws its shard's spikes
  const x = seq.x;
  const F = x.shape[x.shape.length - 1];
  const B = seq.constant ? x.shape[0] : x.shape[1];
  const T = seq.constant ? 1 : seq.steps;
  const n = to - from;
  const Ctor = x.data instanceof Uint8Array ? Uint8Array : Float32Array;
  const out = new Ctor(T * n * F);
  for (let t = 0; t < T; t++) out.set(x.data.subarray((t * B + from) * F, (t * B + to) * F), t * n * F);
  return { ...seq, x: new Tensor(out, seq.constant ? [n, F] : [T, n, F]) };
}
