import { join } from 'node:path';
import { UsageError, DataError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { defaultKernels } from '../kernels/default.js';
import type { Sequential } from '../nn/sequential.js';
import { gatherBatch } from '../train/trainer.js';
import { CONFIG_FILE, loadCheckpoint, saveCheckpoint } from '../train/checkpoint.js';
import { writeFileAtomic } from '../io/atomic.js';
import { convertToSnn } from '../convert/convert.js';
import { accuracyVsSteps, accuracyVsStepsSvg, DEFAULT_STEPS } from '../convert/accuracy.js';
import type { FlagSpec, Parsed } from './args.js';
import { annRunSpec, trainAnnCheckpoint } from './train-ann.js';
import { loadClassificationData, refuseGiven, refuseOfflineWithDataDir, type CommandContext } from './common.js';
import { prepareCheckpointDir } from './outputs.js';
import { createProgress } from './progress.js';
import { yieldToSignals } from './interrupt.js';

export const convertFlags = {
  checkpoint: {
    type: 'string',
    default: 'runs/mnist-ann-fc',
    help: 'the ANN checkpoint folder to convert (with --train-ann: where the trained ANN is saved)',
  },
  out: {
    type: 'string',
    default: 'runs/converted',
    help: 'folder for the converted SNN checkpoint, conversion.json and accuracy-vs-steps.svg',
  },
  overwrite: { type: 'bool', default: false, help: 'replace a checkpoint of another kind (or other files) in --out and --checkpoint' },
  calibration: { type: 'int', default: 1000, min: 1, help: 'training samples whose activations set each layer scale (the first N)' },
  percentile: {
    type: 'float',
    default: 99.9,
    min: 0.001,
    max: 100,
    help: 'percentile of the positive activations that sets each layer scale (100: the maximum, Diehl 2015)',
  },
  steps: { type: 'string', default: DEFAULT_STEPS.join(','), help: 'time steps to measure the accuracy at, e.g. 8,16,32,64,128,256' },
  input: {
    type: 'choice',
    choices: ['direct', 'rate'],
    default: 'direct',
    help: 'pixels as input current every step (direct) or as Poisson spike rates (rate)',
  },
  readout: {
    type: 'choice',
    choices: ['membrane', 'count'],
    default: 'membrane',
    help: 'class by the membrane of a non-spiking output accumulator, or by the spike count of an IF output layer',
  },
  'data-dir': { type: 'string', help: 'folder with the four IDX files (.gz or raw); default: cache, download, then the embedded copy' },
  offline: { type: 'bool', default: false, help: 'never download' },
  'test-limit': { type: 'int', min: 1, help: 'use only the first N test samples' },
  seed: { type: 'int', default: 0, min: 0, max: 4294967295, help: 'seed of the rate input and of the ANN training (--train-ann)' },
  json: { type: 'bool', default: false, help: 'print the conversion result as one JSON object on stdout' },
  'train-ann': { type: 'bool', default: false, help: 'train the ANN first (on --dataset) and save it to --checkpoint' },
  dataset: { type: 'choice', choices: ['mnist', 'fashion-mnist'], default: 'mnist', help: '--train-ann: the training data' },
  model: { type: 'choice', choices: ['ann-fc', 'ann-cnn'], default: 'ann-fc', help: '--train-ann: fully connected or convolutional ANN' },
  hidden: {
    type: 'string',
    help: '--train-ann: hidden fully connected layer sizes, e.g. 500 or 1000 (ann-fc, default 500); ann-cnn: after the conv blocks (default none)',
  },
  channels: { type: 'string', default: '12,64', help: '--train-ann, ann-cnn: output channels of the 5x5 conv blocks' },
  pool: {
    type: 'choice',
    choices: ['avg', 'max'],
    default: 'avg',
    help: '--train-ann, ann-cnn: pooling (max is refused by the conversion)',
  },
  'batch-norm': { type: 'bool', default: false, help: '--train-ann: BatchNorm after every hidden layer (folded by the conversion)' },
  dropout: { type: 'float', default: 0, min: 0, max: 0.9, help: '--train-ann: dropout before the output layer' },
  epochs: { type: 'int', default: 3, min: 1, help: '--train-ann: passes over the training set' },
  batch: { type: 'int', default: 64, min: 2, help: '--train-ann: batch size' },
  lr: { type: 'float', default: 1e-3, min: 0, help: '--train-ann: Adam learning rate' },
  'lr-schedule': { type: 'choice', choices: ['constant', 'cosine'], default: 'cosine', help: '--train-ann: learning-rate schedule' },
  'train-limit': { type: 'int', min: 1, help: '--train-ann: use only the first N training samples' },
} as const satisfies FlagSpec;

export type ConvertCliOptions = Parsed<typeof convertFlags>;

const TRAIN_ONLY = [
  'dataset',
  'model',
  'hidden',
  'channels',
  'pool',
  'batch-norm',
  'dropout',
  'epochs',
  'batch',
  'lr',
  'lr-schedule',
  'train-limit',
];

/** Comma-separated positive step counts, each at most 100,000. */
export function parseSteps(s: string, flag = 'steps'): number[] {
  const parts = s.split(',').map((p) => p.trim());
  const out = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  const bad = out.findIndex((v) => !(Number.isInteger(v) && v >= 1 && v <= 100000));
  if (!parts.length || bad >= 0)
    throw new UsageError(
      `--${flag}: expected comma-separated integers in [1, 100000], e.g. 8,32,128, found ${JSON.stringify(parts[bad] ?? s)}`,
    );
  return [...new Set(out)].sort((a, b) => a - b);
}

/** The dataset an ANN checkpoint was trained on (meta.dataset), as a DataError naming the file when absent. */
function checkpointDataset(meta: Record<string, unknown>, dir: string): 'mnist' | 'fashion-mnist' {
  const d = meta.dataset;
  if (d !== 'mnist' && d !== 'fashion-mnist')
    throw new DataError(`meta.dataset: expected mnist or fashion-mnist, found ${JSON.stringify(d) ?? 'nothing'}`, join(dir, CONFIG_FILE));
  return d;
}

/** `spikeflow convert`: ANN checkpoint (or --train-ann) -> converted SNN checkpoint, accuracy vs steps. */
export async function runConvert(o: ConvertCliOptions, ctx: CommandContext): Promise<Record<string, unknown>> {
  refuseOfflineWithDataDir(ctx.given);
  if (!o['train-ann']) refuseGiven(ctx.given, TRAIN_ONLY, 'applies with --train-ann only (otherwise the ANN comes from --checkpoint)');
  else {
    if (o.model === 'ann-fc') refuseGiven(ctx.given, ['channels', 'pool'], 'applies to --model ann-cnn only');
  }
  if (!o['train-ann'] && o.input === 'direct') refuseGiven(ctx.given, ['seed'], 'does nothing: direct input draws no random numbers');
  const steps = parseSteps(o.steps);
  if (o.out === o.checkpoint) throw new UsageError(`--out ${o.out}: is the ANN's --checkpoint folder; give another folder`);
  const kernels = defaultKernels();
  let ann: Sequential | undefined;
  let dataset: 'mnist' | 'fashion-mnist' = o.dataset;
  if (o['train-ann']) await prepareCheckpointDir(o.checkpoint, { dataset: o.dataset, model: o.model }, o.overwrite, 'checkpoint');
  else {
    const loaded = await loadCheckpoint(o.checkpoint);
    ann = loaded.model;
    dataset = checkpointDataset(loaded.config.meta, o.checkpoint);
  }
  await prepareCheckpointDir(o.out, { dataset, model: 'converted' }, o.overwrite);
  ctx.interrupts.note(`nothing new was written to ${o.out}`);
  const { train, test, source } = await loadClassificationData({
    dataset,
    dataDir: o['data-dir'],
    offline: o.offline,
    trainLimit: o['train-ann'] ? o['train-limit'] : o.calibration,
    testLimit: o['test-limit'],
  });
  process.stderr.write(`data: ${dataset} from ${source}: ${train.n} train / ${test.n} test samples\n`);
  // the ANN trained and saved as `train --model ann-*` does it
  if (!ann) ann = (await trainAnnCheckpoint({ spec: annRunSpec(o), dataset, train, test, out: o.checkpoint, kernels })).model;
  const n = Math.min(o.calibration, train.n);
  const calibration = gatherBatch(
    train,
    Uint32Array.from({ length: n }, (_, i) => i),
    0,
    n,
  ).x;
  const { snn, report } = convertToSnn(ann, calibration, { percentile: o.percentile, readout: o.readout, kernels });
  const bar = createProgress({ total: test.n, label: `snn ${steps[steps.length - 1]} steps` });
  const curve = await accuracyVsSteps(snn, test, {
    steps,
    input: o.input,
    readout: o.readout,
    rng: new Rng(o.seed),
    kernels,
    ann,
    onBatch: (done) => {
      bar.update(done, {});
      // the simulation runs without awaiting anything: let a SIGINT/SIGTERM that came during the batch stop it now
      return yieldToSignals();
    },
  });
  bar.done();
  const result = { ann: o.checkpoint, dataset, conversion: report, accuracyVsSteps: curve };
  await saveCheckpoint(o.out, snn, {
    model: 'converted',
    steps: steps[steps.length - 1],
    encoding: o.input,
    readout: o.readout,
    ...result,
  });
  await writeFileAtomic(join(o.out, 'conversion.json'), JSON.stringify(result, null, 2) + '\n');
  await writeFileAtomic(join(o.out, 'accuracy-vs-steps.svg'), accuracyVsStepsSvg(curve));
  if (o.json) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
    const lines = [
      `ANN test accuracy  ${pct(curve.annAccuracy!)} (${curve.samples} samples)`,
      `scales (lambda)    ${report.layers.map((l) => l.scale.toPrecision(4)).join(', ')} (percentile ${report.percentile} of ${report.calibrationSamples} samples)`,
      ...curve.points.map(
        (p) => `T = ${String(p.steps).padEnd(5)}       ${pct(p.accuracy)} (${(100 * (p.accuracy - curve.annAccuracy!)).toFixed(2)} points)`,
      ),
      `spike rates        ${curve.spikeRates.map((r) => pct(r)).join(' / ')} per neuron per step (over ${curve.ratesOverSteps} steps)`,
      `saved ${o.out} (checkpoint, conversion.json, accuracy-vs-steps.svg)`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  }
  return result;
}
