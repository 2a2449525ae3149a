import { Tensor, rebindData } from '../core/tensor.js';
import { backward } from '../core/autograd.js';
import type { Kernels } from '../kernels/types.js';
import type { Seq } from '../nn/layer.js';
import type { ForwardResult } from '../nn/sequential.js';
import type { NamedParameter } from '../nn/layer.js';
import type { Task } from './task.js';
import { RateSeq } from '../encode/index.js';
import { Tape, type ArraySpace } from '../core/buffers.js';

/**
 * What the trainer drives: a Sequential, or a thin wrapper with the same three methods (the NIR graphs of
 * `train --init-nir`, src/nir/classifier.ts). forward returns the spiking layers' records in order, the
 * output layer last (the losses read its spikes and membrane).
 */
export interface TrainableModel {
  forward(input: Seq, kernels: Kernels, opts?: { inference?: boolean }): ForwardResult;
  parameters(): NamedParameter[];
  zeroGrad(): void;
}

/** Each model's tape (core/buffers.ts): a batch reuses the previous batch's large arrays. */
const tapes = new WeakMap<TrainableModel, Tape>();

/** Parameter arrays moved into a kernels' array space, given back when their tensor is collected. */
const settled = new FinalizationRegistry<{ space: ArraySpace; a: Float32Array }>((h) => h.space.free(h.a));

/**
 * Moves the parameters' values and gradients into the kernels' array space (once each; ordinary arrays
 * only, not the shared ones of a DataParallel), so that every kernel call and the optimizer's update
 * use them in place instead of copying them in and out. Between steps only (a space may move the call
 * data a step keeps). The arrays change identity, as with rebindData: a reference to `p.data` or
 * `p.grad` kept from before sees the old values.
 */
function settleParameters(model: TrainableModel, kernels: Kernels): void {
  const space = kernels.arraySpace;
  if (!space) return;
  for (const { tensor: t } of model.parameters()) {
    for (const slot of ['data', 'grad'] as const) {
      const a = t[slot];
      if (!(a instanceof Float32Array) || a.buffer instanceof SharedArrayBuffer) continue;
      const r = space.alloc(Float32Array, a.length);
      if (!r) return; // no room: they stay where they are
      if (slot === 'data') rebindData(t, r);
      else {
        r.set(a);
        t.grad = r;
      }
      settled.register(t, { space, a: r });
    }
  }
}

export interface StepResult {
  /** Training loss of the batch (NaN for inference, which does not compute it). */
  loss: number;
  predictions: Int32Array;
  /** Spikes emitted by each spiking layer, and neuron-steps (for rates). */
  spikeCounts: number[];
  neuronSteps: number[];
  /**
   * Training only: "loss" when the loss is NaN or infinite, else "gradient of <parameter>" for the first
   * parameter whose gradient holds one; undefined when every value is finite.
   */
  nonFinite?: string;
}

/** True when every value is finite: one pass, four partial sums (NaN and infinities propagate into them;
 * a float64 sum of float32 values cannot overflow), about 0.2 ms per million values. */
export function allFinite(a: Float32Array): boolean {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
  const n = a.length & ~3;
  for (let i = 0; i < n; i += 4) {
    s0 += a[i];
    s1 += a[i + 1];
    s2 += a[i + 2];
    s3 += a[i + 3];
  }
  for (let i = n; i < a.length; i++) s0 += a[i];
  return Number.isFinite(s0 + s1 + s2 + s3);
}

/** Index of the first NaN or infinite value, or -1. */
export function firstNonFinite(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}

const SUM_COLS = 64;

/**
 * allFinite for large arrays through the kernels: column sums of the array as [m, 64] rows (a NaN or an
 * infinity anywhere makes its column's sum non-finite), about 0.6x the time of the JavaScript pass. A
 * float32 sum can also overflow from finite values: a non-finite sum is confirmed by allFinite.
 */
function allFiniteLarge(a: Float32Array, kernels: Kernels, sums: Float32Array): boolean {
  const m = Math.floor(a.length / SUM_COLS);
  const body = m * SUM_COLS;
  kernels.sumRows(a.subarray(0, body), sums, m, SUM_COLS, false);
  return (allFinite(sums) && allFinite(a.subarray(body))) || allFinite(a);
}

/** The first non-finite tensor of a training step: the loss, else a parameter's gradient. */
function nonFiniteOf(model: TrainableModel, loss: number, kernels: Kernels): string | undefined {
  return Number.isFinite(loss) ? nonFiniteGradient(model, kernels) : 'loss';
}

/** "gradient of <parameter>" for the first parameter whose gradient holds a NaN or an infinity, or undefined. */
export function nonFiniteGradient(model: TrainableModel, kernels: Kernels): string | undefined {
  const sums = new Float32Array(SUM_COLS);
  for (const p of model.parameters()) {
    const g = p.tensor.grad;
    if (!(g instanceof Float32Array)) continue;
    if (!(g.length >= 16 * SUM_COLS ? allFiniteLarge(g, kernels, sums) : allFinite(g))) return `gradient of ${p.name}`;
  }
  return undefined;
}

/**
 * One forward pass (and, when `train`, the BPTT backward pass leaving dL/dparam in each parameter's
 * grad, which is zeroed first). The same function runs on the main thread and in every worker.
 */
export function runBatch(model: TrainableModel, task: Task, seq: Seq, y: Int32Array, kernels: Kernels, train: boolean): StepResult {
  let tape = tapes.get(model);
  if (!tape) tapes.set(model, (tape = new Tape()));
  tape.use(kernels); // the step's arrays where these kernels use them in place
  settleParameters(model, kernels);
  // nothing made in the step outlives it: the loss and predictions below are plain numbers and fresh arrays
  return tape.run(() => step(model, task, seq, y, kernels, train));
}

function step(model: TrainableModel, task: Task, seq: Seq, y: Int32Array, kernels: Kernels, train: boolean): StepResult {
  if (train) model.zeroGrad();
  const result = model.forward(seq, kernels, { inference: !train });
  let loss = NaN;
  let nonFinite: string | undefined;
  if (train) {
    const l = task.loss(result, y);
    backward(l);
    loss = l.item();
    nonFinite = nonFiniteOf(model, loss, kernels);
  }
  const spikeCounts: number[] = [];
  const neuronSteps: number[] = [];
  for (const r of result.records) {
    spikeCounts.push(r.spikes);
    neuronSteps.push(r.neuronSteps);
  }
  return { loss, predictions: task.predict(result), spikeCounts, neuronSteps, ...(nonFinite ? { nonFinite } : {}) };
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
