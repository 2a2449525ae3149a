import { Rng } from '../core/rng.js';
import { defaultKernels } from '../kernels/default.js';
import { snnClassifier, csnnClassifier } from '../nn/models.js';
import {
  atan,
  atanK,
  atanOverPi,
  fastSigmoid,
  gaussian,
  sigmoid,
  spikeRateEscape,
  straightThrough,
  triangle,
  triangular,
  type Surrogate,
} from '../surrogate/index.js';
import type { ResetMechanism } from '../neurons/common.js';
import { NEURON_KINDS } from '../nn/registry.js';
import type { Linear } from '../nn/linear.js';
import { UsageError } from '../core/errors.js';
import { Adam } from '../train/optim.js';
import { spikingTask, type SpikingLoss } from '../train/task.js';
import { evaluate } from '../train/trainer.js';
import { saveCheckpoint } from '../train/checkpoint.js';
import { formatDuration } from './progress.js';
import { runIrisCv } from './iris.js';
import { runTrainNir, type TrainNirOptions } from './train-nir.js';
import { isAnnModel, runTrainAnn } from './train-ann.js';
import type { RatePenalty, RateTargetSpec } from '../train/rate-reg.js';
import { join } from 'node:path';
import { trainingHistorySvg } from '../viz/index.js';
import { writePlot } from '../viz/png.js';
import {
  DATASETS,
  ENCODINGS,
  encoderFor,
  isEventDataset,
  fitWithProgress,
  loadClassificationData,
  maybeParallel,
  parseHidden,
  refuseGiven,
  refuseOfflineWithDataDir,
  threadsFlag,
  type CommandContext,
  runSummary,
} from './common.js';
import { checkpointFolderContent, defaultCheckpointDir, prepareCheckpointDir } from './outputs.js';
import { yieldToSignals } from './interrupt.js';
import type { FlagSpec } from './args.js';
import { FrameSet, frameEncoder } from '../data/frames.js';
import { DVS_GESTURE_CLASSES, DVS_GESTURE_SIDE } from '../data/dvs-gesture.js';
import { NMNIST_SENSOR } from '../data/nmnist.js';
import { SHD_CLASSES } from '../data/shd.js';

/** The surrogates by their CLI names, made with the --surrogate-slope / --surrogate-alpha the user gave. */
const SURROGATES: Record<string, (slope?: number, alpha?: number) => Surrogate> = {
  atan: (_s, alpha) => atan({ alpha }),
  'fast-sigmoid': (slope) => fastSigmoid({ slope }),
  sigmoid: (slope) => sigmoid({ slope }),
  triangular: () => triangular(),
  'spike-rate-escape': (slope) => spikeRateEscape({ slope }),
  'straight-through': () => straightThrough(),
  gaussian: () => gaussian(),
  triangle: () => triangle(),
  'atan-over-pi': () => atanOverPi(),
  'atan-k': (k) => atanK({ k }),
};
export const SURROGATE_CHOICES = Object.keys(SURROGATES);
const WITH_SLOPE = ['fast-sigmoid', 'sigmoid', 'spike-rate-escape', 'atan-k'];

/** The surrogate of --surrogate with its --surrogate-slope / --surrogate-alpha; a parameter the surrogate does not have is refused. */
export function surrogateFromFlags(o: { surrogate: string; 'surrogate-slope'?: number; 'surrogate-alpha'?: number }): Surrogate {
  const slope = o['surrogate-slope'];
  const alpha = o['surrogate-alpha'];
  if (slope !== undefined && !WITH_SLOPE.includes(o.surrogate))
    throw new UsageError(`--surrogate-slope: applies to --surrogate ${WITH_SLOPE.join(', ')} (this run: --surrogate ${o.surrogate})`);
  if (alpha !== undefined && o.surrogate !== 'atan')
    throw new UsageError(`--surrogate-alpha: applies to --surrogate atan (this run: --surrogate ${o.surrogate})`);
  return SURROGATES[o.surrogate](slope, alpha);
}

// A table: one entry per flag, alike in shape on purpose (args.ts parses them, flag-docs.ts documents them).
export const trainFlags = {
  dataset: { type: 'choice', choices: DATASETS, default: 'mnist', help: 'dataset to train on' },
  'data-dir': {
    type: 'string',
    help: 'folder with the four IDX files (.gz or raw), or iris.json for iris; nmnist: <id>.bs2 files with train1K.txt/test100.txt, or Train/<digit>/*.bin and Test/<digit>/*.bin; shd: shd_train.h5 and shd_test.h5 (or .gz); dvs-gesture: ibmGestureTrain/ and ibmGestureTest/ (the Tonic layout), or the IBM DvsGesture/ release (trials_to_train.txt, .aedat, _labels.csv); default: cache, download (then the embedded copy for mnist/fashion-mnist; for nmnist the EMULATED N-MNIST: MNIST digits through the DVS emulator, recorded into the cache once and said on stderr)',
  },
  offline: {
    type: 'bool',
    default: false,
    help: 'never download (use --data-dir, the cache, or for mnist/fashion-mnist the embedded copy)',
  },
  epochs: { type: 'int', min: 1, max: 100000, help: 'passes over the training set (default 1; iris: 100)' },
  batch: { type: 'int', min: 1, max: 65536, help: 'batch size (default 128; iris: 16)' },
  steps: { type: 'int', default: 25, min: 1, max: 10000, help: 'time steps per sample' },
  'frame-window': {
    type: 'int',
    min: 1,
    max: 100_000_000,
    help: "nmnist, shd, dvs-gesture: frame length in microseconds, --steps frames from t = 0 (dvs-gesture: from each sample's first event; default: nmnist, dvs-gesture: Tonic ToFrame n_time_bins = --steps over each sample; shd: 1.4 s / --steps); the frames are the input (no --encoding)",
  },
  denoise: {
    type: 'int',
    default: 0,
    min: 0,
    max: 100_000_000,
    help: "nmnist, dvs-gesture: Tonic's Denoise filter time in microseconds before framing (0: off; Tonic's N-MNIST tutorial: 10000)",
  },
  model: {
    type: 'choice',
    choices: ['fc', 'csnn', 'ann-fc', 'ann-cnn'],
    default: 'fc',
    help: 'fc: Linear-Leaky layers (--hidden); csnn: conv blocks Conv5x5-MaxPool2-Leaky (--channels), then Linear-Leaky (snnTorch tutorial 6); ann-fc / ann-cnn: ReLU ANNs for `spikeflow convert` (Linear-ReLU layers; Conv5x5-ReLU-pool blocks, then optional --hidden Linear-ReLU layers)',
  },
  hidden: {
    type: 'string',
    help: 'fc, ann-fc: hidden layer sizes, e.g. 1000 or 500,200 (default 1000; iris: 32); ann-cnn: hidden Linear-ReLU layers after the conv blocks (default none)',
  },
  channels: { type: 'string', default: '12,64', help: 'csnn, ann-cnn: output channels of the conv blocks' },
  dropout: { type: 'float', default: 0, min: 0, max: 0.99, help: 'csnn, ann-fc, ann-cnn: dropout probability before the classifier layer' },
  pool: {
    type: 'choice',
    choices: ['avg', 'max'],
    default: 'avg',
    help: 'ann-cnn: pooling of the conv blocks (max is refused by `spikeflow convert`)',
  },
  'batch-norm': {
    type: 'bool',
    default: false,
    help: 'ann-fc, ann-cnn: BatchNorm after every hidden Linear / Conv2d (folded into its weights by `spikeflow convert`)',
  },
  encoding: { type: 'choice', choices: ENCODINGS, default: 'direct', help: 'direct: pixels are the input current; rate: Bernoulli spikes' },
  'latency-threshold': {
    type: 'float',
    min: 0.001,
    max: 0.999,
    help: "--encoding latency: pixels below it never spike, the others once, brighter earlier (default 0.01, snnTorch's)",
  },
  neuron: {
    type: 'choice',
    choices: NEURON_KINDS,
    default: 'leaky',
    help: 'the neuron of every spiking layer (the layer registry: leaky, synaptic, rleaky, alif, resonate, ...), at its defaults',
  },
  beta: { type: 'float', default: 0.95, min: 0, max: 1, help: 'membrane decay of every Leaky layer (other neurons: of those with a beta)' },
  'learn-beta': { type: 'bool', default: false, help: 'learn one beta per neuron (beta = sigmoid(p))' },
  surrogate: {
    type: 'choice',
    choices: SURROGATE_CHOICES,
    default: 'atan',
    help: 'surrogate gradient of the spike (snnTorch defaults for its parameters; triangle: the textbook max(0, 1 - |x|); atan-over-pi: (1/pi)/(1 + (pi x)^2); atan-k: 1/(1 + (pi k x)^2))',
  },
  'surrogate-slope': {
    type: 'float',
    min: 1e-6,
    max: 1e6,
    help: 'slope of --surrogate fast-sigmoid, sigmoid or spike-rate-escape (default 25), k of atan-k (default 1)',
  },
  'surrogate-alpha': { type: 'float', min: 1e-6, max: 1e6, help: 'alpha of --surrogate atan (default 2)' },
  reset: {
    type: 'choice',
    choices: ['subtract', 'zero', 'none'],
    default: 'subtract',
    help: 'after a spike, every Leaky layer subtracts the threshold (snnTorch default), resets to zero, or does nothing',
  },
  loss: {
    type: 'choice',
    choices: ['membrane', 'rate', 'count', 'mse-count', 'mse-temporal', 'ce-temporal'],
    default: 'membrane',
    help: 'membrane: CE of the output membrane summed over time; rate: ceRateLoss on spikes; count: CE of spike counts; mse-count: snnTorch mse_count_loss(0.8, 0.2); mse-temporal / ce-temporal: snnTorch time-to-first-spike losses (prediction by the first spike)',
  },
  tbptt: { type: 'int', default: 0, min: 0, max: 1_000_000, help: 'truncated BPTT: detach the membrane every K steps (0: full BPTT)' },
  'l1-rate': {
    type: 'float',
    default: 0,
    min: 0,
    max: 1e6,
    help: 'L1 spike-rate regulariser: lambda x hidden spikes per sample added to the loss',
  },
  'rate-target': {
    type: 'string',
    help: 'target-rate regulariser: spikes per neuron per step of every hidden spiking layer (e.g. 0.05), or one per hidden layer (0.05,0.02); see --rate-weight, --rate-penalty',
  },
  'rate-weight': {
    type: 'float',
    default: 1000,
    min: 0,
    max: 1e9,
    help: '--rate-target: factor of each layer penalty, weight x (rate - target)^2',
  },
  'rate-penalty': {
    type: 'choice',
    choices: ['upper', 'quadratic'],
    default: 'upper',
    help: '--rate-target: upper: penalise a layer rate above its target only (a hinge); quadratic: on both sides',
  },
  lr: { type: 'float', min: 0, max: 10, help: 'Adam learning rate (default 5e-4; iris: 5e-3)' },
  folds: { type: 'int', default: 5, min: 2, max: 150, help: 'iris only: number of cross-validation folds (stratified)' },
  'pop-neurons': {
    type: 'int',
    default: 10,
    min: 1,
    max: 1000,
    help: 'iris only: population-coding neurons (Gaussian tuning curves) per feature',
  },
  'lr-schedule': {
    type: 'choice',
    choices: ['constant', 'cosine'],
    default: 'constant',
    help: 'cosine: anneal the learning rate to 0 over the run',
  },
  seed: { type: 'int', default: 0, min: 0, max: 4294967295, help: 'seed of every random choice' },
  threads: threadsFlag(),
  'train-limit': { type: 'int', min: 1, help: 'use only the first N training samples (not iris)' },
  'test-limit': { type: 'int', min: 1, help: 'use only the first N test samples (not iris)' },
  out: {
    type: 'string',
    docDefault: '`runs/<dataset>-<model>`: runs/mnist-fc, runs/fashion-mnist-csnn, ...; iris: runs/iris',
    help: 'checkpoint folder (`config.json`, `model-<hash>.safetensors`, `training.svg`)',
  },
  overwrite: {
    type: 'bool',
    default: false,
    help: 'let --out replace a checkpoint of another dataset or model, or a folder holding other files',
  },
  json: { type: 'bool', default: false, help: 'print one JSON object with the results on stdout' },
  'init-nir': {
    type: 'string',
    help: 'fine-tune the graph of this .nir file instead of a new model (mnist, fashion-mnist; one thread); a NIR graph is not a checkpoint: give --out-nir, not --out',
  },
  'out-nir': { type: 'string', help: '--init-nir: the .nir file the fine-tuned graph is written to (replaced atomically)' },
  dt: {
    type: 'float',
    default: 1e-4,
    min: 1e-12,
    max: 1e6,
    help: "--init-nir: time step in seconds of NIR's continuous neurons (snnTorch's default)",
  },
} as const satisfies FlagSpec;

export type TrainOptions = {
  dataset: string;
  'data-dir'?: string;
  offline: boolean;
  epochs?: number;
  batch?: number;
  steps: number;
  'frame-window'?: number;
  denoise: number;
  folds: number;
  'pop-neurons': number;
  model: string;
  hidden?: string;
  channels: string;
  dropout: number;
  pool: string;
  'batch-norm': boolean;
  encoding: string;
  'latency-threshold'?: number;
  neuron: string;
  'surrogate-slope'?: number;
  'surrogate-alpha'?: number;
  reset: string;
  beta: number;
  'learn-beta': boolean;
  surrogate: string;
  loss: string;
  lr?: number;
  'lr-schedule': string;
  'l1-rate': number;
  'rate-target'?: string;
  'rate-weight': number;
  'rate-penalty': string;
  tbptt: number;
  seed: number;
  threads: number;
  'train-limit'?: number;
  'test-limit'?: number;
  out?: string;
  overwrite: boolean;
  json: boolean;
  'init-nir'?: string;
  'out-nir'?: string;
  dt: number;
};

/** Fills the flags whose default depends on the dataset (Iris trains a small net for many epochs). */
export function withDatasetDefaults<T extends { dataset: string; epochs?: number; batch?: number; hidden?: string; lr?: number }>(opts: T) {
  const iris = opts.dataset === 'iris';
  return {
    ...opts,
    epochs: opts.epochs ?? (iris ? 100 : 1),
    batch: opts.batch ?? (iris ? 16 : 128),
    hidden: opts.hidden ?? (iris ? '32' : '1000'),
    lr: opts.lr ?? (iris ? 5e-3 : 5e-4),
  };
}

/** --rate-target's rates (one, or one per hidden spiking layer) with --rate-weight and --rate-penalty; undefined without it. */
export function rateTargetFromFlags(o: {
  'rate-target'?: string;
  'rate-weight': number;
  'rate-penalty': string;
}): RateTargetSpec | undefined {
  const s = o['rate-target'];
  if (s === undefined) return undefined;
  const parts = s.split(',').map((p) => p.trim());
  const targets = parts.map((p) => (/^(\d+(\.\d*)?|\.\d+)(e-?\d+)?$/i.test(p) ? Number(p) : NaN));
  const bad = targets.findIndex((t) => !(t >= 0 && t <= 1));
  if (bad >= 0)
    throw new UsageError(
      `--rate-target: expected rates in [0, 1] separated by commas, e.g. 0.05 or 0.05,0.02, found ${JSON.stringify(parts[bad])}`,
    );
  return { targets, weight: o['rate-weight'], penalty: o['rate-penalty'] as RatePenalty };
}

/** Refuses the flags the user gave that do nothing for this dataset and model. */
export function refuseInapplicable(o: TrainOptions, given: ReadonlySet<string>): void {
  if (o.encoding !== 'latency') refuseGiven(given, ['latency-threshold'], `applies to --encoding latency only (this run: ${o.encoding})`);
  if (o['rate-target'] === undefined) refuseGiven(given, ['rate-weight', 'rate-penalty'], 'applies with --rate-target only');
  if (o.dataset === 'iris') {
    if (o.model !== 'fc') throw new UsageError('--dataset iris: only --model fc applies (tabular data)');
    refuseGiven(given, ['rate-target'], 'does not apply to --dataset iris (its cross-validation takes --l1-rate)');
    refuseGiven(
      given,
      ['offline', 'train-limit', 'test-limit', 'threads', 'neuron', 'reset'],
      'does not apply to --dataset iris (150 samples, embedded, trained on one thread)',
    );
  } else {
    refuseGiven(given, ['folds', 'pop-neurons'], `applies to --dataset iris only (this run: ${o.dataset})`);
    refuseOfflineWithDataDir(given);
  }
  if (isEventDataset(o.dataset)) {
    refuseGiven(given, ['encoding'], `does not apply to --dataset ${o.dataset} (the event frames are the input)`);
    if (o.dataset === 'shd') {
      refuseGiven(given, ['denoise'], 'applies to --dataset nmnist or dvs-gesture only (a 2-D pixel neighbourhood filter)');
      if (o.model === 'csnn') throw new UsageError('--dataset shd: only --model fc applies (700 channels, not an image)');
    }
  } else refuseGiven(given, ['frame-window', 'denoise'], `applies to --dataset nmnist, shd or dvs-gesture only (this run: ${o.dataset})`);
  if (o.model === 'fc') refuseGiven(given, ['channels', 'dropout'], 'applies to --model csnn only (this run: --model fc)');
  else refuseGiven(given, ['hidden'], 'applies to --model fc only (csnn: --channels)');
  if (o.neuron !== 'leaky') refuseGiven(given, ['tbptt'], `applies to --neuron leaky only (this run: --neuron ${o.neuron})`);
}

/** The model's name in checkpoints and default folders: fc or csnn, with the neuron kind unless leaky. */
export const modelKindName = (o: { model: string; neuron: string }) => (o.neuron === 'leaky' ? o.model : `${o.model}-${o.neuron}`);

export async function runTrain(opts: TrainOptions, ctx: CommandContext): Promise<Record<string, unknown>> {
  if (opts['init-nir'] !== undefined) return runTrainNir(opts as TrainNirOptions, ctx);
  refuseGiven(
    ctx.given,
    ['out-nir', 'dt'],
    'applies to --init-nir only (a new model is saved as a checkpoint in --out; `spikeflow nir export` writes it as NIR)',
  );
  if (isAnnModel(opts.model))
    return runTrainAnn(
      { ...withDatasetDefaults(opts), hidden: opts.hidden, out: opts.out ?? defaultCheckpointDir(opts.dataset, opts.model) },
      ctx,
    );
  refuseGiven(ctx.given, ['pool', 'batch-norm'], `applies to --model ann-fc or ann-cnn only (this run: --model ${opts.model})`);
  const iris = opts.dataset === 'iris';
  refuseInapplicable(opts, ctx.given);
  const o = withDatasetDefaults(opts);
  const hidden = parseHidden(o.hidden);
  const channels = parseHidden(o.channels, 'channels');
  const out = o.out ?? defaultCheckpointDir(o.dataset, modelKindName(o));
  const before = await checkpointFolderContent(out);
  await prepareCheckpointDir(out, { dataset: o.dataset, model: modelKindName(o) }, o.overwrite);
  ctx.interrupts.note('kind' in before ? `the checkpoint at ${out} was left untouched` : `no checkpoint was written to ${out}`);
  if (iris) {
    return runIrisCv({
      dataDir: o['data-dir'],
      folds: o.folds,
      popNeurons: o['pop-neurons'],
      epochs: o.epochs,
      batch: o.batch,
      steps: o.steps,
      hidden,
      encoding: o.encoding,
      beta: o.beta,
      learnBeta: o['learn-beta'],
      surrogate: surrogateFromFlags(o),
      loss: o.loss,
      lr: o.lr,
      lrSchedule: o['lr-schedule'],
      tbptt: o.tbptt,
      l1Rate: o['l1-rate'],
      seed: o.seed,
      out,
      json: o.json,
      interrupts: ctx.interrupts,
    });
  }
  const rng = new Rng(o.seed);
  const events = isEventDataset(o.dataset);
  const frames = events ? { steps: o.steps, frameWindow: o['frame-window'], denoise: o.denoise } : undefined;
  const { train, test, source } = await loadClassificationData({
    frames,
    dataset: o.dataset,
    dataDir: o['data-dir'],
    offline: o.offline,
    trainLimit: o['train-limit'],
    testLimit: o['test-limit'],
    quiet: false,
  });
  process.stderr.write(`data: ${o.dataset} from ${source}: ${train.n} train / ${test.n} test samples\n`);
  const neuron = {
    neuron: o.neuron,
    // other kinds keep their own default decay unless --beta is given
    beta: o.neuron === 'leaky' || ctx.given.has('beta') ? o.beta : undefined,
    learnBeta: o['learn-beta'],
    surrogate: surrogateFromFlags(o),
    // other neuron kinds keep their own reset unless --reset is given (then their factory refuses it)
    reset: o.neuron === 'leaky' || ctx.given.has('reset') ? (o.reset as ResetMechanism) : undefined,
    truncate: o.tbptt,
  };
  // event frames: each sample is `steps` frames of `inputs` values (nmnist: a 34x34 image of 2 channels, channels-last)
  const inputs = train instanceof FrameSet ? train.frameFeatures : train.features;
  const classes = o.dataset === 'shd' ? SHD_CLASSES : o.dataset === 'dvs-gesture' ? DVS_GESTURE_CLASSES : 10;
  const side = Math.round(Math.sqrt(train.features));
  if (o.model === 'csnn' && !events && side * side !== train.features)
    throw new UsageError(`--model csnn needs square images; ${o.dataset} has ${train.features} features`);
  const input: [number, number, number] =
    o.dataset === 'dvs-gesture'
      ? [2, DVS_GESTURE_SIDE, DVS_GESTURE_SIDE]
      : events
        ? [NMNIST_SENSOR[2], NMNIST_SENSOR[1], NMNIST_SENSOR[0]]
        : [1, side, side];
  const model =
    o.model === 'csnn'
      ? csnnClassifier({ input, channels, outputs: classes, dropout: o.dropout, seed: o.seed, ...neuron }, rng.fork())
      : snnClassifier({ inputs, hidden, outputs: classes, ...neuron }, rng.fork());
  const modelName =
    o.model === 'csnn'
      ? `${channels.map((c) => `${c}C5-MP2`).join('-')}-${model.layers.filter((l) => l.kind === 'linear').map((l) => (l as Linear).inFeatures)[0]}FC${classes} CSNN`
      : `${[inputs, ...hidden, classes].join('-')} SNN`;
  const neuronNote = o.neuron === 'leaky' ? '' : ` (${o.neuron} neurons)`;
  const kernels = defaultKernels();
  const optimizer = new Adam(model.trainable(), { lr: o.lr });
  const rateTarget = rateTargetFromFlags(o);
  const hiddenSpiking = model.layers.filter((l) => l.spiking).length - 1;
  if (rateTarget && rateTarget.targets.length > 1 && rateTarget.targets.length !== hiddenSpiking)
    throw new UsageError(
      `--rate-target: ${rateTarget.targets.length} rates for ${hiddenSpiking} hidden spiking layers; give one rate, or one per hidden layer`,
    );
  const task = spikingTask(o.loss as SpikingLoss, { l1Rate: o['l1-rate'], rateTarget });
  const encoder = events ? frameEncoder(o.steps) : encoderFor(o.encoding, o.steps, { latencyThreshold: o['latency-threshold'] });
  const parallel = await maybeParallel(model, task, kernels, o.threads, optimizer);
  const fit = await fitWithProgress({
    label: o.model,
    train,
    epochs: o.epochs,
    batch: o.batch,
    lrSchedule: o['lr-schedule'],
    epochOptions: { model, task, optimizer, encoder, rng, kernels, parallel },
  });
  const epochs = fit.log;
  const ev = await evaluate(test, { model, task, encoder, rng, kernels, parallel });
  await parallel?.close();
  const meta = {
    dataset: o.dataset,
    model: modelKindName(o),
    steps: o.steps,
    encoding: events ? 'frames' : o.encoding,
    ...(o['latency-threshold'] !== undefined ? { latencyThreshold: o['latency-threshold'] } : {}),
    ...(events ? { frameWindow: o['frame-window'] ?? null, denoise: o.denoise } : {}),
    seed: o.seed,
    epochs: o.epochs,
    batch: o.batch,
    lr: o.lr,
    lrSchedule: o['lr-schedule'],
    loss: o.loss,
    l1Rate: o['l1-rate'],
    ...(rateTarget ? { rateTarget } : {}),
    testAccuracy: ev.accuracy,
  };
  await yieldToSignals(); // a signal that came during the last synchronous batches stops the run before the save
  ctx.interrupts.note(`stopped while saving: ${out} holds the previous checkpoint or the new one, whole`);
  await saveCheckpoint(out, model, meta);
  ctx.interrupts.note(`the checkpoint at ${out} was saved; its training curves were not written`);
  // the training curves (loss and accuracy per batch, test accuracy at the end) next to the checkpoint
  const curves = join(out, 'training.svg');
  await writePlot(
    curves,
    trainingHistorySvg(
      [...fit.history, { step: fit.history.length, testAccuracy: ev.accuracy }],
      `${modelName}${neuronNote} on ${o.dataset}`,
    ),
  );
  const last = epochs[epochs.length - 1];
  const result = {
    dataset: o.dataset,
    model: `${modelName}${neuronNote}`,
    encoding: events ? 'frames' : o.encoding,
    steps: o.steps,
    epochs: o.epochs,
    batch: o.batch,
    seed: o.seed,
    threads: o.threads,
    ...runSummary(fit, ev),
    checkpoint: out,
    curves,
    epochLog: epochs,
  };
  if (o.json) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    const lines = [
      `test accuracy   ${(100 * ev.accuracy).toFixed(2)}% (${test.n} samples)`,
      `training        ${Math.round(result.trainSamplesPerSec)} samples/s, ${formatDuration(fit.seconds)} total; loss ${last.loss.toFixed(3)} (last epoch's mean), ${fit.lastBatchLoss.toFixed(3)} (last batch)`,
      `inference       ${Math.round(ev.samplesPerSec)} samples/s`,
      `spike rate      ${ev.spikeRates.map((r, i) => `layer ${i + 1}: ${(100 * r).toFixed(2)}%`).join(', ')} (spikes per neuron per step)`,
      `checkpoint      ${out} (training curves: ${curves})`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  }
  return result;
}
