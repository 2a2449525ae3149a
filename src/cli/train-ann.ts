// ANN training for conversion: `spikeflow train --model ann-fc|ann-cnn` and `spikeflow convert --train-ann`
// both train and save their ANN here (one code path), on the dense and conv kernels the SNNs use, with the
// same checkpoint machinery (atomic save, config.json meta, training.svg).
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { Kernels } from '../kernels/types.js';
import type { Sequential } from '../nn/sequential.js';
import type { Linear } from '../nn/linear.js';
import { directEncode } from '../encode/index.js';
import { Adam } from '../train/optim.js';
import { annTask } from '../train/task.js';
import { evaluate, type Dataset, type EvalResult } from '../train/trainer.js';
import { saveCheckpoint } from '../train/checkpoint.js';
import { annCnn, annFc } from '../convert/ann-models.js';
import { trainingHistorySvg } from '../viz/index.js';
import { writePlot } from '../viz/png.js';
import { fitWithProgress, loadRunData, maybeParallel, parseHidden, refuseGiven, runSummary, type CommandContext } from './common.js';
import { checkpointFolderContent, prepareCheckpointDir } from './outputs.js';
import { formatDuration } from './progress.js';
import { yieldToSignals, type Interrupts } from './interrupt.js';
import { defaultKernels } from '../kernels/default.js';

export const ANN_MODELS = ['ann-fc', 'ann-cnn'] as const;
export type AnnModelName = (typeof ANN_MODELS)[number];
export const isAnnModel = (m: string): m is AnnModelName => (ANN_MODELS as readonly string[]).includes(m);
/** The datasets an ANN trains on (images: conversion and the conv blocks need pixels in [0, 1]). */
export const ANN_DATASETS = ['mnist', 'fashion-mnist'];

/** What an ANN run is: its topology, regularisation and optimisation (from the CLI flags). */
export interface AnnRunSpec {
  model: AnnModelName;
  /** ann-fc: the hidden layers (default [500]); ann-cnn: hidden fully connected layers after the conv blocks (default none). */
  hidden?: readonly number[];
  /** ann-cnn: output channels of the 5x5 conv blocks. */
  channels: readonly number[];
  pool: 'avg' | 'max';
  batchNorm: boolean;
  dropout: number;
  epochs: number;
  batch: number;
  lr: number;
  lrSchedule: string;
  seed: number;
  threads: number;
}

/** The flags of an ANN run as an AnnRunSpec (--hidden, --channels parsed; BatchNorm needs batches of 2). */
export function annRunSpec(o: {
  model: string;
  hidden?: string;
  channels: string;
  pool: string;
  'batch-norm': boolean;
  dropout: number;
  epochs: number;
  batch: number;
  lr: number;
  'lr-schedule': string;
  seed: number;
  threads?: number;
}): AnnRunSpec {
  if (!isAnnModel(o.model)) throw new UsageError(`--model: expected ${ANN_MODELS.join(' or ')}, found ${JSON.stringify(o.model)}`);
  if (o['batch-norm'] && o.batch < 2) throw new UsageError(`--batch: BatchNorm needs batches of at least 2 samples, found ${o.batch}`);
  return {
    model: o.model,
    hidden: o.hidden === undefined ? undefined : parseHidden(o.hidden),
    channels: parseHidden(o.channels, 'channels'),
    pool: o.pool === 'max' ? 'max' : 'avg',
    batchNorm: o['batch-norm'],
    dropout: o.dropout,
    epochs: o.epochs,
    batch: o.batch,
    lr: o.lr,
    lrSchedule: o['lr-schedule'],
    seed: o.seed,
    threads: o.threads ?? 1,
  };
}

/** The ANN of the spec for images of `features` pixels (square, one channel) and `classes` outputs. */
export function buildAnn(s: AnnRunSpec, features: number, classes: number, rng: Rng): Sequential {
  const extras = { batchNorm: s.batchNorm, dropout: s.dropout, seed: s.seed };
  if (s.model === 'ann-fc') return annFc({ inputs: features, hidden: s.hidden ?? [500], outputs: classes, ...extras }, rng);
  const side = Math.round(Math.sqrt(features));
  if (side * side !== features) throw new UsageError(`--model ann-cnn needs square images; the data has ${features} features`);
  return annCnn({ input: [1, side, side], channels: s.channels, hidden: s.hidden ?? [], outputs: classes, pool: s.pool, ...extras }, rng);
}

/** The model's name in reports: 784-500-10 ANN, 32C5-AP2-64C5-AP2-128FC10 CNN (AP: average pool, MP: max pool). */
export function annModelName(s: AnnRunSpec, model: Sequential, features: number, classes: number): string {
  const bn = s.batchNorm ? ' (BatchNorm)' : '';
  if (s.model === 'ann-fc') return `${[features, ...(s.hidden ?? [500]), classes].join('-')} ANN${bn}`;
  const p = s.pool === 'avg' ? 'AP2' : 'MP2';
  const flat = (model.layers.find((l) => l.kind === 'linear') as Linear).inFeatures;
  return `${s.channels.map((c) => `${c}C5-${p}`).join('-')}-${[flat, ...(s.hidden ?? [])].join('FC')}FC${classes} CNN${bn}`;
}

export interface TrainedAnn {
  model: Sequential;
  name: string;
  fit: Awaited<ReturnType<typeof fitWithProgress>>;
  ev: EvalResult;
  meta: Record<string, unknown>;
  curves: string;
}

/**
 * Trains the ANN of `spec` on `train` (Adam, cross-entropy on the logits, one step of direct input),
 * measures it on `test`, and saves it as a checkpoint in `out` (meta.task 'ann') with its training
 * curves (training.svg). The caller has prepared `out` (prepareCheckpointDir).
 */
export async function trainAnnCheckpoint(o: {
  spec: AnnRunSpec;
  dataset: string;
  train: Dataset;
  test: Dataset;
  out: string;
  kernels: Kernels;
  classes?: number;
  interrupts?: Interrupts;
}): Promise<TrainedAnn> {
  const s = o.spec;
  const classes = o.classes ?? 10;
  const rng = new Rng(s.seed);
  const model = buildAnn(s, o.train.features, classes, rng);
  const name = annModelName(s, model, o.train.features, classes);
  const task = annTask();
  const optimizer = new Adam(model.trainable(), { lr: s.lr });
  const encoder = (x: Parameters<typeof directEncode>[0]) => directEncode(x, 1);
  const parallel = await maybeParallel(model, task, o.kernels, s.threads, optimizer);
  const fit = await fitWithProgress({
    label: s.model,
    train: o.train,
    epochs: s.epochs,
    batch: s.batch,
    lrSchedule: s.lrSchedule,
    epochOptions: { model, task, optimizer, encoder, rng, kernels: o.kernels, parallel },
  });
  const ev = await evaluate(o.test, { model, task, encoder, rng, kernels: o.kernels, parallel });
  await parallel?.close();
  process.stderr.write(`${name}: test accuracy ${(100 * ev.accuracy).toFixed(2)}% (${ev.samples} samples)\n`);
  const meta = {
    dataset: o.dataset,
    model: s.model,
    task: 'ann',
    steps: 1,
    encoding: 'direct',
    ...(s.model === 'ann-fc' ? { hidden: s.hidden ?? [500] } : { channels: s.channels, hidden: s.hidden ?? [], pool: s.pool }),
    batchNorm: s.batchNorm,
    dropout: s.dropout,
    epochs: s.epochs,
    batch: s.batch,
    lr: s.lr,
    lrSchedule: s.lrSchedule,
    seed: s.seed,
    trainSamples: o.train.n,
    testAccuracy: ev.accuracy,
    testSamples: ev.samples,
    log: fit.log,
  };
  await yieldToSignals(); // a signal that came during the last synchronous batches stops the run before the save
  o.interrupts?.note(`stopped while saving: ${o.out} holds the previous checkpoint or the new one, whole`);
  await saveCheckpoint(o.out, model, meta);
  o.interrupts?.note(`the checkpoint at ${o.out} was saved; its training curves were not written`);
  const curves = join(o.out, 'training.svg');
  await writePlot(
    curves,
    trainingHistorySvg([...fit.history, { step: fit.history.length, testAccuracy: ev.accuracy }], `${name} on ${o.dataset}`),
  );
  return { model, name, fit, ev, meta, curves };
}

/** The train flags that describe a spiking model or its input coding: refused with --model ann-*. */
const SNN_ONLY = [
  'steps',
  'encoding',
  'latency-threshold',
  'neuron',
  'beta',
  'learn-beta',
  'surrogate',
  'surrogate-slope',
  'surrogate-alpha',
  'reset',
  'loss',
  'tbptt',
  'l1-rate',
  'rate-target',
  'rate-weight',
];

/** `spikeflow train --model ann-fc|ann-cnn`: trains an ANN for conversion and saves it as a checkpoint. */
export async function runTrainAnn(
  o: {
    dataset: string;
    'data-dir'?: string;
    offline: boolean;
    'train-limit'?: number;
    'test-limit'?: number;
    model: string;
    hidden?: string;
    channels: string;
    pool: string;
    'batch-norm': boolean;
    dropout: number;
    epochs: number;
    batch: number;
    lr: number;
    'lr-schedule': string;
    seed: number;
    threads: number;
    out: string;
    overwrite: boolean;
    json: boolean;
  },
  ctx: CommandContext,
): Promise<Record<string, unknown>> {
  refuseGiven(ctx.given, SNN_ONLY, `applies to spiking models only (this run: --model ${o.model}, an ANN)`);
  refuseGiven(
    ctx.given,
    ['folds', 'pop-neurons', 'frame-window', 'denoise'],
    `does not apply to --model ${o.model} (mnist, fashion-mnist)`,
  );
  if (!ANN_DATASETS.includes(o.dataset))
    throw new UsageError(`--dataset ${o.dataset}: --model ${o.model} trains on ${ANN_DATASETS.join(' or ')} (images for conversion)`);
  if (o.model === 'ann-fc') refuseGiven(ctx.given, ['channels', 'pool'], 'applies to --model ann-cnn only (this run: --model ann-fc)');
  const spec = annRunSpec({ ...o, hidden: o.hidden ?? (o.model === 'ann-fc' ? '1000' : undefined) });
  const before = await checkpointFolderContent(o.out);
  await prepareCheckpointDir(o.out, { dataset: o.dataset, model: o.model }, o.overwrite);
  ctx.interrupts.note('kind' in before ? `the checkpoint at ${o.out} was left untouched` : `no checkpoint was written to ${o.out}`);
  const { train, test } = await loadRunData(o);
  const r = await trainAnnCheckpoint({
    spec,
    dataset: o.dataset,
    train,
    test,
    out: o.out,
    kernels: defaultKernels(),
    interrupts: ctx.interrupts,
  });
  const last = r.fit.log[r.fit.log.length - 1];
  const result = {
    dataset: o.dataset,
    model: r.name,
    epochs: spec.epochs,
    batch: spec.batch,
    seed: spec.seed,
    threads: spec.threads,
    ...runSummary(r.fit, r.ev),
    checkpoint: o.out,
    curves: r.curves,
    epochLog: r.fit.log,
  };
  if (o.json) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    const lines = [
      `test accuracy   ${(100 * r.ev.accuracy).toFixed(2)}% (${test.n} samples)`,
      `training        ${Math.round(result.trainSamplesPerSec)} samples/s, ${formatDuration(r.fit.seconds)} total; loss ${last.loss.toFixed(3)} (last epoch's mean), ${r.fit.lastBatchLoss.toFixed(3)} (last batch)`,
      `inference       ${Math.round(r.ev.samplesPerSec)} samples/s`,
      `checkpoint      ${o.out} (training curves: ${r.curves}); convert it with \`spikeflow convert --checkpoint ${o.out}\``,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  }
  return result;
}
