import { availableParallelism } from 'node:os';
import { loadMnist } from '../data/mnist.js';
import { loadDvsGesture } from '../data/dvs-gesture.js';
import { loadNmnist } from '../data/nmnist.js';
import { cachedEmulatedNmnist } from '../data/nmnist-emulated.js';
import { DatasetMissingError } from '../data/download.js';
import { loadShd } from '../data/shd.js';
import type { FrameSet } from '../data/frames.js';
import { trainEpoch, type Dataset, type Encoder, type EpochOptions } from '../train/trainer.js';
import { directEncode, rateEncode } from '../encode/index.js';
import { latencyEncode } from '../encode/latency.js';
import { cosineLr } from '../train/optim.js';
import { createProgress, formatDuration } from './progress.js';
import { UsageError } from '../core/errors.js';
import type { DataParallel } from '../train/parallel.js';
import type { Sequential } from '../nn/sequential.js';
import type { Task } from '../train/task.js';
import type { Optimizer } from '../train/optim.js';
import { setKernelThreads, type Kernels } from '../kernels/types.js';
import type { TrainingRecord } from '../viz/index.js';
import { yieldToSignals, type Interrupts } from './interrupt.js';

/** What every command receives beside its flag values. */
export interface CommandContext {
  /** The flags written on the command line (the others hold their defaults). */
  given: ReadonlySet<string>;
  /** Arguments that are not flags (simulate: the model). */
  positionals: string[];
  interrupts: Interrupts;
}

/**
 * Refuses a flag the user gave that would do nothing in this run (rather than ignore it): a UsageError
 * naming the first such flag and `why` (e.g. "applies to --model csnn only").
 */
export function refuseGiven(given: ReadonlySet<string>, flags: readonly string[], why: string): void {
  const f = flags.find((x) => given.has(x));
  if (f !== undefined) throw new UsageError(`--${f}: ${why}`);
}

export const DATASETS = ['mnist', 'fashion-mnist', 'iris', 'nmnist', 'shd', 'dvs-gesture'] as const;
/** Datasets of events: samples are frames ([T, F] per sample, the input sequence itself). */
export const EVENT_DATASETS: readonly string[] = ['nmnist', 'shd', 'dvs-gesture'];
export const isEventDataset = (d: string) => EVENT_DATASETS.includes(d);
export const ENCODINGS = ['direct', 'rate', 'latency'] as const;

/**
 * The --threads flag: the threads every kernel call is split over (the WASM kernels' thread pool,
 * src/kernels/pool.ts; maybeParallel sets it); `help` may say more.
 */
export function threadsFlag(help = 'threads each kernel call (GEMM, neuron scan, spike and conv kernels) is split over') {
  return {
    type: 'int',
    default: Math.min(64, availableParallelism()),
    docDefault: 'the CPU cores',
    min: 1,
    max: 64,
    help,
  } as const;
}

/** Maps the CLI's encoding name to an encoder value (strings stop at the CLI's edge). */
export function encoderFor(name: string, steps: number, o: { latencyThreshold?: number } = {}): Encoder {
  if (name === 'direct') return (x) => directEncode(x, steps);
  if (name === 'rate') return (x, rng) => rateEncode(x, steps, rng);
  // snnTorch tutorial 1's latency code: one spike per pixel, linear in its value from step 0 (value 1) to the
  // last step (value at the threshold, default 0.01); darker pixels are clipped (no spike)
  if (name === 'latency')
    return (x) => ({
      x: latencyEncode(x, steps, { normalize: true, linear: true, clip: true, threshold: o.latencyThreshold }),
      steps,
      constant: false,
    });
  throw new UsageError(`--encoding: expected direct, rate or latency, found "${name}"`);
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

/** A download progress bar per file on stderr (none when quiet). */
function downloadBars(quiet?: boolean) {
  if (quiet) return undefined;
  const bars = new Map<string, ReturnType<typeof createProgress>>();
  return (e: { file: string; loaded: number; total: number | null }) => {
    let bar = bars.get(e.file);
    if (!bar) bars.set(e.file, (bar = createProgress({ total: e.total ?? 0, label: `download ${e.file}`, unit: 'B' })));
    bar.update(e.loaded, {});
    if (e.total !== null && e.loaded >= e.total) bar.done();
  };
}

/** How event samples become frames (nmnist, shd). */
export interface FrameSettings {
  steps: number;
  /** Frame length in microseconds (undefined: nmnist's n_time_bins = steps; shd's 1.4 s / steps). */
  frameWindow?: number;
  /** nmnist: Tonic's Denoise filter time in microseconds (0: none). */
  denoise?: number;
}

/**
 * Loads a classification dataset with progress on stderr: MNIST/Fashion-MNIST (data dir, cache,
 * download, embedded), or an event dataset (nmnist, shd: data dir, cache, download) as frames made
 * once per sample with `frames`. Event datasets come back as FrameSets.
 */
/** The splits of a run's --dataset, --data-dir, --offline, --train-limit and --test-limit, said on stderr. */
export async function loadRunData(o: {
  dataset: string;
  'data-dir'?: string;
  offline: boolean;
  'train-limit'?: number;
  'test-limit'?: number;
}): Promise<{ train: Dataset; test: Dataset; source: string }> {
  const r = await loadClassificationData({
    dataset: o.dataset,
    dataDir: o['data-dir'],
    offline: o.offline,
    trainLimit: o['train-limit'],
    testLimit: o['test-limit'],
  });
  process.stderr.write(`data: ${o.dataset} from ${r.source}: ${r.train.n} train / ${r.test.n} test samples\n`);
  return r;
}

/** The numbers every training command reports (its --json fields): test and last-epoch accuracy, losses, speed, spike rates. */
export function runSummary(
  fit: { samples: number; seconds: number; lastBatchLoss: number; log: ReadonlyArray<Record<string, number>> },
  ev: { accuracy: number; samplesPerSec: number; spikeRates: number[] },
) {
  const last = fit.log[fit.log.length - 1];
  return {
    testAccuracy: ev.accuracy,
    trainAccuracy: last.trainAccuracy,
    finalEpochMeanLoss: last.loss,
    lastBatchLoss: fit.lastBatchLoss,
    trainSamplesPerSec: fit.samples / fit.seconds,
    trainSeconds: fit.seconds,
    inferSamplesPerSec: ev.samplesPerSec,
    spikeRates: ev.spikeRates,
  };
}

export async function loadClassificationData(o: {
  dataset: string;
  dataDir?: string;
  offline?: boolean;
  trainLimit?: number;
  testLimit?: number;
  quiet?: boolean;
  frames?: FrameSettings;
  /** Only the test split is needed (eval): an event dataset's training set is not read. */
  testOnly?: boolean;
}): Promise<{ train: Dataset; test: Dataset; source: string }> {
  const onProgress = downloadBars(o.quiet);
  const onSource = o.quiet ? undefined : (msg: string) => process.stderr.write(`${msg}\n`);
  if (isEventDataset(o.dataset)) {
    if (!o.frames) throw new UsageError(`--dataset ${o.dataset}: frame settings are missing`);
    const common = {
      ...o.frames,
      dataDir: o.dataDir,
      download: !o.offline,
      trainLimit: o.trainLimit,
      testLimit: o.testLimit,
      testOnly: o.testOnly,
      onProgress,
      onSource,
    };
    let framing: ReturnType<typeof createProgress> | undefined;
    let split = '';
    const onFrames = o.quiet
      ? undefined
      : (s: string, done: number, total: number) => {
          if (s !== split) {
            framing?.done();
            split = s;
            framing = createProgress({ total, label: `frames ${s}` });
          }
          framing?.update(done, {});
        };
    let emulated: string | undefined;
    const data =
      o.dataset === 'nmnist'
        ? await loadNmnist({ ...common, onFrames }).catch(async (e) => {
            // the real N-MNIST is not here: the emulated one (MNIST through the DVS emulator), said plainly
            if (!(e instanceof DatasetMissingError)) throw e;
            emulated = await emulatedNmnistDir(o, e, onSource);
            return loadNmnist({ ...common, dataDir: emulated, onFrames });
          })
        : o.dataset === 'dvs-gesture'
          ? await loadDvsGesture({ ...common, onFrames })
          : await loadShd(common);
    framing?.done();
    const kb = (s: FrameSet) => Math.round((s.stored * 6) / 1024);
    onSource?.(`frames: ${data.train.n + data.test.n} samples framed once, held sparse (${kb(data.train) + kb(data.test)} KiB)`);
    const source = emulated ? `the EMULATED N-MNIST, not real recordings (${emulated})` : `${data.source} (${data.location})`;
    return { train: data.train, test: data.test, source };
  }
  const data = await loadMnist({
    dataset: o.dataset as 'mnist' | 'fashion-mnist',
    dataDir: o.dataDir,
    download: !o.offline,
    onSource,
    onProgress,
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

/**
 * The emulated N-MNIST's folder in the cache (recorded there first when missing, with a progress bar), for a
 * run whose real N-MNIST is missing (`missing` says why); every step said on stderr.
 */
async function emulatedNmnistDir(
  o: { offline?: boolean; trainLimit?: number; testLimit?: number; testOnly?: boolean; quiet?: boolean },
  missing: Error,
  onSource?: (msg: string) => void,
): Promise<string> {
  onSource?.(
    `${missing.message}\nusing the EMULATED N-MNIST instead: the MNIST digits recorded by spikeflow's DVS emulator with N-MNIST's three saccades (seed 0); not real recordings (give --data-dir for the real N-MNIST)`,
  );
  let bar: ReturnType<typeof createProgress> | undefined;
  const { dir, recorded } = await cachedEmulatedNmnist({
    trainLimit: o.trainLimit,
    testLimit: o.testLimit,
    testOnly: o.testOnly,
    loadDigits: () => loadMnist({ dataset: 'mnist', download: !o.offline, onSource, onProgress: downloadBars(o.quiet) }),
    onDigit: o.quiet
      ? undefined
      : (done, total) => {
          bar ??= createProgress({ total, label: 'emulating N-MNIST' });
          bar.update(done, {});
        },
  });
  bar?.done();
  onSource?.(recorded ? `emulated N-MNIST recorded into ${dir} (reused by later runs)` : `emulated N-MNIST from the cache ${dir}`);
  return dir;
}

/** --offline with --data-dir changes nothing: the data is read from that folder only. */
export function refuseOfflineWithDataDir(given: ReadonlySet<string>): void {
  if (given.has('data-dir'))
    refuseGiven(given, ['offline'], 'does nothing with --data-dir (the data is read from that folder only, never downloaded)');
}

/**
 * Trains for `epochs` with a live progress bar on stderr (with more than one epoch, the bar of each
 * epoch also shows the run's ETA); returns the per-epoch log (`loss`: the epoch's mean batch loss),
 * the last batch's loss, and totals. Between epochs a pending SIGINT/SIGTERM is let through.
 */
export async function fitWithProgress(o: {
  /** Names the model on the bar: "fc epoch 1/3". */
  label: string;
  train: Dataset;
  epochs: number;
  batch: number;
  epochOptions: Omit<EpochOptions, 'batchSize' | 'onBatch' | 'epoch'>;
  /** 'cosine': anneal the learning rate to 0 over all batches of all epochs. */
  lrSchedule?: string;
  /** One bar over the epochs instead of one per epoch over its batches (many short epochs). */
  quiet?: boolean;
}): Promise<{ log: Array<Record<string, number>>; lastBatchLoss: number; seconds: number; samples: number; history: TrainingRecord[] }> {
  const perEpoch = Math.min(Math.floor(o.train.n / o.batch), o.epochOptions.maxBatches ?? Infinity);
  const schedule = o.lrSchedule === 'cosine' ? cosineLr(o.epochOptions.optimizer.lr, perEpoch * o.epochs) : undefined;
  const log: Array<Record<string, number>> = [];
  let seconds = 0;
  let samples = 0;
  const runBar = o.quiet ? createProgress({ total: o.epochs, label: o.label }) : null;
  const history: TrainingRecord[] = [];
  let step = 0;
  let lastBatchLoss = NaN;
  const t0 = performance.now();
  const totalBatches = perEpoch * o.epochs;
  for (let e = 1; e <= o.epochs; e++) {
    const batches = perEpoch;
    const bar = runBar ? null : createProgress({ total: batches, label: `${o.label} epoch ${e}/${o.epochs}` });
    const r = await trainEpoch(o.train, {
      ...o.epochOptions,
      batchSize: o.batch,
      epoch: e,
      schedule,
      onBatch: (b) => {
        history.push({ step: ++step, loss: b.loss, accuracy: b.accuracy });
        lastBatchLoss = b.loss;
        const fields: Record<string, string | number> = {
          loss: b.loss.toFixed(3),
          acc: `${(100 * b.accuracy).toFixed(1)}%`,
          'samples/s': Math.round(b.samplesPerSec),
        };
        // the bar's own ETA is the epoch's; the run's comes from the mean pace so far
        if (o.epochs > 1) fields['run ETA'] = formatDuration(((performance.now() - t0) / 1000 / step) * (totalBatches - step));
        bar?.update(b.batch, fields);
        // one thread trains without awaiting anything: let a SIGINT/SIGTERM that came during the batch stop the run now
        return yieldToSignals();
      },
    });
    bar?.done();
    runBar?.update(e, { loss: r.loss.toFixed(3), acc: `${(100 * r.accuracy).toFixed(1)}%` });
    seconds += r.seconds;
    samples += r.samples;
    log.push({ epoch: e, loss: r.loss, trainAccuracy: r.accuracy, seconds: r.seconds, samplesPerSec: r.samplesPerSec });
  }
  runBar?.done();
  return { log, lastBatchLoss, seconds, samples, history };
}

/**
 * The CLI's one thread model: `threads` kernel threads (every kernel call split over them, results the
 * same bits as one thread), no batch-splitting worker threads (DataParallel), whose batch shards ran
 * slower on tutorial 5 than the kernel threads and change results in the last float bits; so this
 * returns no DataParallel (the callers' `parallel` stays undefined). See BENCHMARKS.md for the numbers.
 */
export async function maybeParallel(
  _model: Sequential,
  _task: Task,
  kernels: Kernels,
  threads: number,
  _optimizer?: Optimizer,
): Promise<DataParallel | undefined> {
  setKernelThreads(kernels, threads);
  return undefined;
}
