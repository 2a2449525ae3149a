import { Worker } from 'node:worker_threads';
import { rebindData } from '../core/tensor.js';
import { SpikeflowError, ValueError, checkInt } from '../core/errors.js';
import type { Kernels } from '../kernels/types.js';
import type { Seq } from '../nn/layer.js';
import type { Sequential } from '../nn/sequential.js';
import type { Task } from './task.js';
import { runBatch, sliceBatch, type StepResult } from './step.js';

/**
 * Data parallelism over the batch with worker threads. Parameters live in SharedArrayBuffers that
 * every worker maps (no copies); each worker keeps its gradients in its own shared buffer. Per batch:
 * the main thread posts one shard to each worker, computes the first shard itself, then sums the
 * gradients weighted by shard size. One barrier per batch, not per time step (per-step barriers cost
 * more than they save on 2 cores).
 * Results equal the single-thread run up to float summation order.
 */
export class DataParallel {
  private constructor(
    private readonly model: Sequential,
    private readonly task: Task,
    private readonly kernels: Kernels,
    private readonly workers: Worker[],
    private readonly workerGrads: Float32Array[][],
  ) {}

  /** Starts `threads - 1` workers (the main thread is the first). Node only. */
  static async create(model: Sequential, task: Task, kernels: Kernels, threads: number): Promise<DataParallel> {
    checkInt('threads', threads, 1, 256);
    const params = model.trainable();
    for (const p of params) {
      if (!(p.data.buffer instanceof SharedArrayBuffer)) {
        rebindData(p, new Float32Array(new SharedArrayBuffer(p.size * 4)));
      }
    }
    const workers: Worker[] = [];
    const workerGrads: Float32Array[][] = [];
    const layers = model.layers.map((l) => ({ kind: l.kind, config: l.config() }));
    for (let w = 1; w < threads; w++) {
      const grads = params.map((p) => new Float32Array(new SharedArrayBuffer(p.size * 4)));
      const worker = new Worker(new URL('./worker.js', import.meta.url));
      await new Promise<void>((resolve, reject) => {
        const onError = (e: Error) => reject(e);
        worker.once('error', onError);
        worker.once('message', (m) => {
          worker.off('error', onError);
          if (m === 'ready') resolve();
          else reject(new ValueError(`worker failed to start: ${String(m)}`));
        });
        worker.postMessage({ layers, params: params.map((p) => p.data), grads, task: task.spec });
      });
      workers.push(worker);
      workerGrads.push(grads);
    }
    return new DataParallel(model, task, kernels, workers, workerGrads);
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  /** Forward (+ backward when train) of one batch split over the threads; gradients end in the main model. */
  async run(seq: Seq, y: Int32Array, train: boolean): Promise<StepResult> {
    const B = y.length;
    const P = Math.min(this.threads, B);
    const bounds = Array.from({ length: P + 1 }, (_, i) => Math.round((i * B) / P));
    const pending = this.workers.slice(0, P - 1).map((w, i) => {
      const s = sliceBatch(seq, bounds[i + 1], bounds[i + 2]);
      return new Promise<StepResult>((resolve, reject) => {
        const onError = (e: Error) => reject(e);
        w.once('error', onError);
        w.once('message', (m: StepResult | { error: string }) => {
          w.off('error', onError);
          if ('error' in m) reject(new SpikeflowError(`worker thread: ${m.error}`));
          else resolve(m);
        });
        w.postMessage({ x: s.x.data, shape: s.x.shape, steps: s.steps, constant: s.constant, y: y.subarray(bounds[i + 1], bounds[i + 2]), train });
      });
    });
    const local = runBatch(this.model, this.task, sliceBatch(seq, 0, bounds[1]), y.subarray(0, bounds[1]), this.kernels, train);
    const remote = await Promise.all(pending);
    const parts = [local, ...remote];
    const weights = parts.map((_, i) => (bounds[i + 1] - bounds[i]) / B);
    if (train) {
      this.model.trainable().forEach((p, j) => {
        const g = p.ensureGrad();
        const w0 = weights[0];
        for (let i = 0; i < g.length; i++) g[i] *= w0;
        for (let r = 1; r < P; r++) {
          const src = this.workerGrads[r - 1][j];
          const wr = weights[r];
          for (let i = 0; i < g.length; i++) g[i] += wr * src[i];
        }
      });
    }
    const predictions = new Int32Array(B);
    parts.forEach((p, i) => predictions.set(p.predictions, bounds[i]));
    return {
      loss: parts.reduce((s, p, i) => s + weights[i] * p.loss, 0),
      predictions,
      spikeCounts: local.spikeCounts.map((_, l) => parts.reduce((s, p) => s + p.spikeCounts[l], 0)),
      neuronSteps: local.neuronSteps.map((_, l) => parts.reduce((s, p) => s + p.neuronSteps[l], 0)),
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
