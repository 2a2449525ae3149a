import { loadMnist } from '../data/mnist.js';
import { trainEpoch, type Dataset, type Encoder, type EpochOptions } from '../train/trainer.js';
import { directEncode, rateEncode } from '../encode/index.js';
import { cosineLr } from '../train/optim.js';
import { createProgress } from './progress.js';
import { UsageError } from '../core/errors.js';
import { DataParallel } from '../train/parallel.js';
import type { Sequential } from '../nn/sequential.js';
import type { Task } from '../train/task.js';
import type { Optimizer } from '../train/optim.js';
import type { Kernels } from '../kernels/types.js';
import type { TrainingRecord } from '../viz/index.js';

export const DATASETS = ['mnist', 'fashion-mnist', 'iris'] as const;
export const ENCODINGS = ['direct', 'rate'] as const;

/** Maps the CLI's encoding name to an encoder value (strings stop at the CLI's edge). */
export function encoderFor(name: string, steps: number): Encoder {
  if (name === 'direct') return (x) => directEncode(x, steps);
  if (name === 'rate') return (x, rng) => rateEncode(x, steps, rng);
  throw new UsageError(`--encoding: expected direct or rate, found "${name}"`);
}

/** "1000" or "500,200" -> [1000] / [500, 200]. */
export function parseHidden(s: string, flag = 'hidden'): number[] {
  const parts = s.split(',').map((p) => p.trim());
  const out = parts.map(Number);
  if (!parts.length || out.some((h, i) => !/^\d+$/.test(parts[i]) || h < 1 || h > 1e6)) {
    throw new UsageError(`--${flag}: expected sizes like 1000 or 500,200, found "${s}"`);
  }
  return out;
}

/** Loads MNIST/Fashion-MNIST (data dir, cache, download, embedded) with progress on stderr. */
export async function loadClassificationData(o: {
  dataset: string;
  dataDir?: string;
  offline?: boolean;
  trainLimit?: number;
  testLimit?: number;
  quiet?: boolean;
}): Promise<{ train: Dataset; test: Dataset; source: string }> {
  const bars = new Map<string, ReturnType<typeof createProgress>>();
  const data = await loadMnist({
    dataset: o.dataset as 'mnist' | 'fashion-mnist',
    dataDir: o.dataDir,
    download: !o.offline,
    onSource: o.quiet ? undefined : (msg) => process.stderr.write(`${msg}\n`),
    onProgress: o.quiet
      ? undefined
      : (e) => {
          let bar = bars.get(e.file);
          if (!bar) bars.set(e.file, (bar = createProgress({ total: e.total ?? 0, label: `download ${e.file}`, unit: 'B' })));
          bar.update(e.loaded, {});
          if (e.total !== null && e.loaded >= e.total) bar.done();
        },
  });
  const toDataset = (s: typeof data.train, limit?: number): Dataset => {
    const n = Math.min(s.n, limit ?? s.n);
    const f = s.rows * s.cols;
    return { inputs: s.images.subarray(0, n * f), labels: s.labels.subarray(0, n), n, features: f };
  };
  return {
    train: toDataset(data.train, o.trainLimit),
    test: toDataset(data.test, o.testLimit),
    source: `${data.source} (${data.location})`,
  };
}

/** Trains for `epochs` with a live progress bar on stderr; returns the per-epoch log and totals. */
export async function fitWithProgress(o: {
  label: string; train: Dataset; epochs: number; batch: number; epochOptions: Omit<EpochOptions, 'batchSize' | 'onBatch' | 'epoch'>;
  /** 'cosine': anneal the learning rate to 0 over all batches of all epochs. */
  lrSchedule?: string;
  /** One bar over the epochs instead of one per epoch over its batches (many short epochs). */
  quiet?: boolean;
}): Promise<{ log: Array<Record<string, number>>; seconds: number; samples: number; history: TrainingRecord[] }> {
  const perEpoch = Math.min(Math.floor(o.train.n / o.batch), o.epochOptions.maxBatches ?? Infinity);
  const schedule = o.lrSchedule === 'cosine' ? cosineLr(o.epochOptions.optimizer.lr, perEpoch * o.epochs) : undefined;
  const log: Array<Record<string, number>> = [];
  let seconds = 0;
  let samples = 0;
  const runBar = o.quiet ? createProgress({ total: o.epochs, label: o.label }) : null;
  const history: TrainingRecord[] = [];
  let step = 0;
  for (let e = 1; e <= o.epochs; e++) {
    const batches = Math.min(Math.floor(o.train.n / o.batch), o.epochOptions.maxBatches ?? Infinity);
    const bar = runBar ? null : createProgress({ total: batches, label: `${o.label} epoch ${e}/${o.epochs}` });
    const r = await trainEpoch(o.train, {
      ...o.epochOptions, batchSize: o.batch, epoch: e, schedule,
      onBatch: (b) => {
        history.push({ step: ++step, loss: b.loss, accuracy: b.accuracy });
        bar?.update(b.batch, { loss: b.loss.toFixed(3), acc: `${(100 * b.accuracy).toFixed(1)}%`, 'samples/s': Math.round(b.samplesPerSec) });
      },
    });
    bar?.done();
    runBar?.update(e, { loss: r.loss.toFixed(3), acc: `${(100 * r.accuracy).toFixed(1)}%` });
    seconds += r.seconds;
    samples += r.samples;
    log.push({ epoch: e, loss: r.loss, trainAccuracy: r.accuracy, seconds: r.seconds, samplesPerSec: r.samplesPerSec });
  }
  runBar?.done();
  return { log, seconds, samples, history };
}

/** Worker threads for a model when more than one thread is asked for (the caller closes it). */
export async function maybeParallel(model: Sequential, task: Task, kernels: Kernels, threads: number, optimizer: Optimizer): Promise<DataParallel | undefined> {
  return threads > 1 ? DataParallel.create(model, task, kernels, threads, optimizer) : undefined;
}
