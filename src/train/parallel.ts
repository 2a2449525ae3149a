import { Worker } from 'node:worker_threads';
import { rebindData } from '../core/tensor.js';
import { SpikeflowError, ValueError, checkInt } from '../core/errors.js';
import { kernelThreads, setKernelThreads, type Kernels } from '../kernels/types.js';
import type { Seq } from '../nn/layer.js';
import type { Sequential } from '../nn/sequential.js';
import type { Task } from './task.js';
import { Adam, type AdamCoefficients, type Optimizer } from './optim.js';
import { runBatch, sliceBatch, type StepResult } from './step.js';
import { reduceRange } from './reduce.js';
import { RateSeq } from '../encode/index.js';

const shared = (n: number) => new Float32Array(new SharedArrayBuffer(n * 4));

/**
 * Data parallelism over the batch with worker threads. Parameters, every thread's gradients and the
 * Adam moments live in SharedArrayBuffers that all threads map (no copies). Per batch: the main thread
 * posts one shard to each worker and computes the first shard itself (`run`); then `step` has every
 * thread sum the gradients of its slice of the parameters (weighted by shard size) and apply Adam to
 * that slice. Two barriers per batch, none per time step (per-step barriers cost more than they save
 * on 2 cores). Results equal the single-thread run up to float summation order.
 *
 * One thread model at a time: while it runs, the main thread's kernels run each call on one thread
 * (their kernel thread pool is set back when it closes) and each worker's kernels have one thread, so the
 * batch split and the kernels' own threads (src/kernels/pool.ts) never oversubscribe the cores.
 */
export class DataParallel {
  private weights: number[] = [1];

  private constructor(
    private readonly model: Sequential,
    private readonly task: Task,
    private readonly kernels: Kernels,
    private readonly workers: Worker[],
    /** grads[0] = the main thread's (the model's own grad buffers), grads[r] = worker r's. */
    private readonly grads: Float32Array[][],
    private readonly adam: Adam | null,
    /** The kernel threads of the main thread's kernels before, set back by close(). */
    private readonly kernelThreadsBefore: number,
  ) {}

  /**
   * Starts `threads - 1` workers (the main thread is the first). Pass the optimizer to let the workers
   * share its update (Adam); other optimizers step on the main thread. Node only.
   */
  static async create(model: Sequential, task: Task, kernels: Kernels, threads: number, optimizer?: Optimizer): Promise<DataParallel> {
    checkInt('threads', threads, 1, 256);
    const params = model.trainable();
    for (const p of params) {
      if (!(p.data.buffer instanceof SharedArrayBuffer)) rebindData(p, shared(p.size));
      const g = shared(p.size);
      if (p.grad) g.set(p.grad);
      p.grad = g;
    }
    const adam = optimizer instanceof Adam ? optimizer : null;
    adam?.moveState(shared);
    const grads: Float32Array[][] = [params.map((p) => p.grad!)];
    for (let w = 1; w < threads; w++) grads.push(params.map((p) => shared(p.size)));
    const layers = model.layers.map((l) => ({ kind: l.kind, config: l.config() }));
    const kernelThreadsBefore = kernelThreads(kernels);
    if (threads > 1) setKernelThreads(kernels, 1);
    const workers: Worker[] = [];
    for (let w = 1; w < threads; w++) {
      const worker = new Worker(new URL('./worker.js', import.meta.url));
      await new Promise<void>((resolve, reject) => {
        const onError = (e: Error) => reject(e);
        worker.once('error', onError);
        worker.once('message', (m) => {
          worker.off('error', onError);
          if (m === 'ready') resolve();
          else reject(new ValueError(`worker failed to start: ${String(m)}`));
        });
        worker.postMessage({
          layers,
          params: params.map((p) => p.data),
          grads,
          self: w,
          task: task.spec,
          m: adam?.state().m ?? null,
          v: adam?.state().v ?? null,
          relaxed: kernels.fusedMultiplyAdd,
        });
      });
      workers.push(worker);
    }
    return new DataParallel(model, task, kernels, workers, grads, adam, kernelThreadsBefore);
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  private ask(w: Worker, msg: unknown, transfer: ArrayBuffer[] = []): Promise<StepResult> {
    return new Promise<StepResult>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      w.once('error', onError);
      w.once('message', (m: StepResult | { error: string }) => {
        w.off('error', onError);
        if ('error' in m) reject(new SpikeflowError(`worker thread: ${m.error}`));
        else resolve(m);
      });
      w.postMessage(msg, transfer);
    });
  }

  /**
   * Forward (+ backward when train) of one batch split over the threads. After a training run each
   * thread holds the gradient of its shard: call `step(optimizer)` (sums and updates) or `reduce()`.
   */
  async run(seq: Seq, y: Int32Array, train: boolean): Promise<StepResult> {
    const B = y.length;
    const P = Math.min(this.threads, B);
    const bounds = Array.from({ length: P + 1 }, (_, i) => Math.round((i * B) / P));
    const pending = this.workers.slice(0, P - 1).map((w, i) => {
      // sliceBatch copies, so the slice's buffer can be handed over (moved, not cloned) to the worker
      const s = sliceBatch(seq, bounds[i + 1], bounds[i + 2]);
      const yw = y.slice(bounds[i + 1], bounds[i + 2]);
      if (s instanceof RateSeq) {
        // values and keys only: the worker draws its shard's spikes
        const v = s.values.data as Float32Array;
        const msg = {
          type: 'batch',
          x: v,
          shape: s.values.shape,
          steps: s.steps,
          constant: false,
          rate: { keys: s.keys, gain: s.gain },
          y: yw,
          train,
        };
        return this.ask(w, msg, [v.buffer as ArrayBuffer, s.keys.buffer as ArrayBuffer]);
      }
      const x = s.x.data;
      const msg = { type: 'batch', x, shape: s.x.shape, steps: s.steps, constant: s.constant, y: yw, train };
      return this.ask(w, msg, [x.buffer as ArrayBuffer]);
    });
    const local = runBatch(this.model, this.task, sliceBatch(seq, 0, bounds[1]), y.subarray(0, bounds[1]), this.kernels, train);
    const parts = [local, ...(await Promise.all(pending))];
    // each shard's loss is a mean over its own samples: weight by shard size
    this.weights = parts.map((_, i) => (bounds[i + 1] - bounds[i]) / B);
    const predictions = new Int32Array(B);
    parts.forEach((p, i) => predictions.set(p.predictions, bounds[i]));
    return {
      loss: parts.reduce((s, p, i) => s + this.weights[i] * p.loss, 0),
      predictions,
      spikeCounts: local.spikeCounts.map((_, l) => parts.reduce((s, p) => s + p.spikeCounts[l], 0)),
      neuronSteps: local.neuronSteps.map((_, l) => parts.reduce((s, p) => s + p.neuronSteps[l], 0)),
      ...(parts.some((p) => p.nonFinite) ? { nonFinite: parts.find((p) => p.nonFinite)!.nonFinite } : {}),
    };
  }

  /** Slice r of n elements for thread r. */
  private range(n: number, r: number): [number, number] {
    const P = this.threads;
    return [Math.floor((r * n) / P), Math.floor(((r + 1) * n) / P)];
  }

  /** Sums the threads' gradients into the model's grad buffers (all threads work on disjoint slices). */
  async reduce(): Promise<void> {
    await this.together(null);
  }

  /** Sums the gradients and applies the optimizer: Adam is split over the threads, others run here. */
  async step(optimizer: Optimizer): Promise<void> {
    if (optimizer === this.adam) await this.together(this.adam.beginStep());
    else {
      await this.together(null);
      optimizer.step();
    }
  }

  private async together(coefs: AdamCoefficients | null): Promise<void> {
    const weights = this.weights;
    const pending = this.workers.map((w) => this.ask(w, { type: 'update', weights, coefs }));
    const params = this.model.trainable();
    params.forEach((p, j) => {
      const [from, to] = this.range(p.size, 0);
      const grads = this.grads.slice(0, weights.length).map((g) => g[j]); // threads past the weights had no samples
      if (coefs) this.adam!.updateRangeSum(j, from, to, { grads: grads.map((g) => g.subarray(from, to)), weights }, coefs);
      else reduceRange(grads, weights, from, to);
    });
    await Promise.all(pending);
  }

  /**
   * Stops the workers. Their slices of the Adam moments (held by their kernels between steps) are
   * first written back into the shared moments, and the main thread's released, so the optimizer can
   * go on without the workers.
   */
  async close(): Promise<void> {
    if (this.adam) {
      await Promise.all(this.workers.map((w) => this.ask(w, { type: 'release' })));
      this.adam.release();
    }
    await Promise.all(this.workers.map((w) => w.terminate()));
    if (this.workers.length) setKernelThreads(this.kernels, this.kernelThreadsBefore);
  }
}
