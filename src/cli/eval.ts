import { join } from 'node:path';
import { Rng } from '../core/rng.js';
import { DataError } from '../core/errors.js';
import { defaultKernels } from '../kernels/default.js';
import { CONFIG_FILE, loadCheckpoint } from '../train/checkpoint.js';
import { annTask, spikingTask } from '../train/task.js';
import { convertedTask } from '../convert/accuracy.js';
import type { Readout } from '../convert/convert.js';
import { evaluate } from '../train/trainer.js';
import { frameEncoder } from '../data/frames.js';
import {
  encoderFor,
  isEventDataset,
  loadClassificationData,
  refuseGiven,
  refuseOfflineWithDataDir,
  threadsFlag,
  maybeParallel,
  type CommandContext,
} from './common.js';
import { defaultCheckpointDir } from './outputs.js';
import type { FlagSpec } from './args.js';
import { UsageError } from '../core/errors.js';
import type { Surrogate } from '../surrogate/index.js';
import { NirError } from '../nir/check.js';
import { NirClassifier } from '../nir/classifier.js';
import { type NirModel, fromNir } from '../nir/execute.js';
import { readNirFile } from '../nir/fs.js';

// A table: one entry per flag, alike in shape on purpose (as the other commands' tables).
export const evalFlags = {
  checkpoint: {
    type: 'string',
    default: defaultCheckpointDir('mnist', 'fc'),
    help: 'checkpoint folder written by `spikeflow train` (MNIST, Fashion-MNIST, N-MNIST, SHD or DVS Gesture)',
  },
  'data-dir': {
    type: 'string',
    help: "folder with the checkpoint's dataset (as for train --data-dir); default: cache, download (then the embedded copy for mnist/fashion-mnist; for nmnist the EMULATED N-MNIST: MNIST digits through the DVS emulator, recorded into the cache once and said on stderr)",
  },
  offline: { type: 'bool', default: false, help: 'never download' },
  'test-limit': { type: 'int', min: 1, help: 'use only the first N test samples' },
  seed: { type: 'int', default: 0, min: 0, max: 4294967295, help: 'seed of the rate encoding (checkpoints trained with --encoding rate)' },
  threads: threadsFlag(),
  json: { type: 'bool', default: false, help: 'print one JSON object on stdout' },
  nir: {
    type: 'string',
    help: 'evaluate a .nir graph instead of a checkpoint (one Input taking an image, one Output of 10 values fed by IF, LIF or CubaLIF neurons; the class with most output spikes); give --dataset',
  },
  dataset: {
    type: 'choice',
    choices: ['mnist', 'fashion-mnist'],
    help: '--nir: the test set (a graph does not say what it was trained on)',
  },
  steps: { type: 'int', default: 25, min: 1, max: 10000, help: '--nir: time steps per sample' },
  encoding: {
    type: 'choice',
    choices: ['direct', 'rate'],
    default: 'direct',
    help: '--nir: direct: pixels are the input current at every step; rate: Bernoulli spikes (--seed)',
  },
  dt: {
    type: 'float',
    default: 1e-4,
    min: 1e-12,
    max: 1e6,
    help: "--nir: time step in seconds of NIR's continuous neurons (snnTorch's default)",
  },
} as const satisfies FlagSpec;

/** The flags of `eval --nir` only (a checkpoint says its dataset, steps and encoding itself). */
export const NIR_EVAL_FLAGS = ['dataset', 'steps', 'encoding', 'dt'];

const EVAL_DATASETS = ['mnist', 'fashion-mnist', 'nmnist', 'shd', 'dvs-gesture'];
const EVAL_ENCODINGS = ['direct', 'rate', 'latency'];
/** The losses whose prediction differs (by first spike); the others predict by spike count. */
const TEMPORAL = ['mse-temporal', 'ce-temporal'];

/**
 * The meta fields eval needs from a checkpoint's config.json; a missing or invalid one is a DataError
 * naming the file and the field (it is the file that is wrong, not a flag).
 */
export function checkpointMeta(
  meta: unknown,
  file: string,
): {
  dataset: string;
  steps: number;
  encoding: string;
  frameWindow?: number;
  denoise?: number;
  firstSpike: boolean;
  readout?: Readout;
  latencyThreshold?: number;
} {
  const m = (typeof meta === 'object' && meta !== null ? meta : {}) as Record<string, unknown>;
  const found = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));
  if (m.loss !== undefined && typeof m.loss !== 'string')
    throw new DataError(`meta.loss: expected a loss name, found ${found(m.loss)}`, file);
  // checkpoints trained with a time-to-first-spike loss are read by their first spike
  const firstSpike = TEMPORAL.includes(m.loss as string);
  // converted ANNs (spikeflow convert) name their readout: the membrane of the output accumulator, or spike counts
  if (m.readout !== undefined && m.readout !== 'count' && m.readout !== 'membrane')
    throw new DataError(`meta.readout: expected count or membrane, found ${found(m.readout)}`, file);
  const readout = m.readout as Readout | undefined;
  if (m.dataset === 'iris') {
    throw new DataError(
      'meta.dataset: "iris": eval measures MNIST, Fashion-MNIST, N-MNIST and SHD checkpoints (an iris run prints its cross-validated accuracy)',
      file,
    );
  }
  if (typeof m.dataset !== 'string' || !EVAL_DATASETS.includes(m.dataset)) {
    throw new DataError(`meta.dataset: expected one of ${EVAL_DATASETS.join(', ')}, found ${found(m.dataset)}`, file);
  }
  if (typeof m.steps !== 'number' || !Number.isInteger(m.steps) || m.steps < 1 || m.steps > 10000) {
    throw new DataError(`meta.steps: expected an integer in [1, 10000], found ${found(m.steps)}`, file);
  }
  if (isEventDataset(m.dataset)) {
    // event data: the frames are the input, made as at training time
    if (m.encoding !== 'frames') throw new DataError(`meta.encoding: expected "frames" for ${m.dataset}, found ${found(m.encoding)}`, file);
    const fw = m.frameWindow;
    if (fw !== null && fw !== undefined && !(typeof fw === 'number' && Number.isInteger(fw) && fw >= 1))
      throw new DataError(`meta.frameWindow: expected null or a positive integer (microseconds), found ${found(fw)}`, file);
    const dn = m.denoise ?? 0;
    if (!(typeof dn === 'number' && Number.isInteger(dn) && dn >= 0))
      throw new DataError(`meta.denoise: expected a non-negative integer (microseconds), found ${found(m.denoise)}`, file);
    return { dataset: m.dataset, steps: m.steps, encoding: 'frames', frameWindow: fw ?? undefined, denoise: dn, firstSpike, readout };
  }
  if (typeof m.encoding !== 'string' || !EVAL_ENCODINGS.includes(m.encoding)) {
    throw new DataError(`meta.encoding: expected ${EVAL_ENCODINGS.join(' or ')}, found ${found(m.encoding)}`, file);
  }
  // latency-coded checkpoints trained with --latency-threshold
  const lt = m.latencyThreshold;
  if (lt !== undefined && !(typeof lt === 'number' && lt > 0 && lt < 1))
    throw new DataError(`meta.latencyThreshold: expected a number in (0, 1), found ${found(lt)}`, file);
  return {
    dataset: m.dataset,
    steps: m.steps,
    encoding: m.encoding,
    firstSpike,
    readout,
    ...(lt !== undefined ? { latencyThreshold: lt } : {}),
  };
}

export type EvalOptions = {
  checkpoint: string;
  'data-dir'?: string;
  offline: boolean;
  'test-limit'?: number;
  seed: number;
  threads: number;
  json: boolean;
  nir?: string;
  dataset?: string;
  steps: number;
  encoding: string;
  dt: number;
};

export async function runEval(o: EvalOptions, ctx: CommandContext): Promise<Record<string, unknown>> {
  if (o.nir !== undefined) return runEvalNir(o as EvalOptions & { nir: string }, ctx);
  refuseGiven(ctx.given, NIR_EVAL_FLAGS, 'applies to --nir only (a checkpoint records its dataset, steps and encoding)');
  return runEvalCheckpoint(o, ctx);
}

async function runEvalCheckpoint(
  o: Omit<EvalOptions, 'nir' | 'dataset' | 'steps' | 'encoding' | 'dt'>,
  ctx: CommandContext,
): Promise<Record<string, unknown>> {
  refuseOfflineWithDataDir(ctx.given);
  const { model, config } = await loadCheckpoint(o.checkpoint);
  const meta = checkpointMeta(config.meta, join(o.checkpoint, CONFIG_FILE));
  if (meta.encoding !== 'rate')
    refuseGiven(
      ctx.given,
      ['seed'],
      `the checkpoint in ${o.checkpoint} uses ${meta.encoding === 'frames' ? 'event frames as input' : `${meta.encoding} encoding`}, which draws no random numbers`,
    );
  const events = meta.encoding === 'frames';
  const { test, source } = await loadClassificationData({
    dataset: meta.dataset,
    frames: events ? { steps: meta.steps, frameWindow: meta.frameWindow, denoise: meta.denoise } : undefined,
    testOnly: events,
    dataDir: o['data-dir'],
    offline: o.offline,
    testLimit: o['test-limit'],
    trainLimit: 1,
  });
  process.stderr.write(`data: ${meta.dataset} from ${source}: ${test.n} test samples\n`);
  // ANNs trained for conversion (train --model ann-*) are scored by their logits
  const task =
    config.meta.task === 'ann'
      ? annTask()
      : meta.readout
        ? convertedTask(meta.readout)
        : spikingTask(meta.firstSpike ? 'ce-temporal' : 'membrane');
  const kernels = defaultKernels();
  const parallel = await maybeParallel(model, task, kernels, o.threads);
  const encoder = events ? frameEncoder(meta.steps) : encoderFor(meta.encoding, meta.steps, { latencyThreshold: meta.latencyThreshold });
  const ev = await evaluate(test, { model, task, encoder, rng: new Rng(o.seed), kernels, parallel });
  await parallel?.close();
  const result = {
    checkpoint: o.checkpoint,
    dataset: meta.dataset,
    testAccuracy: ev.accuracy,
    samples: ev.samples,
    inferSamplesPerSec: ev.samplesPerSec,
    spikeRates: ev.spikeRates,
  };
  if (o.json) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    process.stdout.write(
      `test accuracy   ${(100 * ev.accuracy).toFixed(2)}% (${ev.samples} samples)\n` +
        `inference       ${Math.round(ev.samplesPerSec)} samples/s\n` +
        `spike rate      ${ev.spikeRates.map((r, i) => `layer ${i + 1}: ${(100 * r).toFixed(2)}%`).join(', ')}\n`,
    );
  }
  return result;
}

/** A NIR graph as a classifier for `dataset`, read from `file` (eval --nir, train --init-nir); errors name the file. */
export async function loadNirClassifier(file: string, dataset: string, dt: number, surrogate?: Surrogate): Promise<NirClassifier> {
  const graph = await readNirFile(file);
  let model: NirModel;
  try {
    model = fromNir(graph, { dt, ...(surrogate ? { surrogate } : {}) });
  } catch (e) {
    // the graph is checked as it is built: a NirError names the node and the field, the file is added here
    if (e instanceof NirError) throw e.inFile(file);
    throw e;
  }
  const image: [number, number, number] = [1, 28, 28];
  return new NirClassifier(model, graph, { dataset, image, classes: 10, file });
}

/** `spikeflow eval --nir FILE --dataset mnist`: the graph's test accuracy by the spike counts of its Output. */
async function runEvalNir(o: EvalOptions & { nir: string }, ctx: CommandContext): Promise<Record<string, unknown>> {
  refuseGiven(ctx.given, ['checkpoint'], 'give --checkpoint or --nir, not both');
  refuseGiven(ctx.given, ['threads'], 'eval --nir runs on one thread (a NIR graph is not a checkpoint the worker threads can load)');
  if (o.dataset === undefined)
    throw new UsageError('--nir: give --dataset mnist or fashion-mnist (a NIR graph does not say what it was trained on)');
  if (o.encoding !== 'rate') refuseGiven(ctx.given, ['seed'], `--encoding ${o.encoding} draws no random numbers`);
  refuseOfflineWithDataDir(ctx.given);
  const classifier = await loadNirClassifier(o.nir, o.dataset, o.dt);
  const { test, source } = await loadClassificationData({
    dataset: o.dataset,
    dataDir: o['data-dir'],
    offline: o.offline,
    testLimit: o['test-limit'],
    trainLimit: 1,
  });
  process.stderr.write(`data: ${o.dataset} from ${source}: ${test.n} test samples\n`);
  const task = spikingTask('membrane');
  const encoder = encoderFor(o.encoding, o.steps);
  // smaller batches than a checkpoint's: the graph keeps every neuron's states of the whole sequence
  const ev = await evaluate(test, { model: classifier, task, encoder, rng: new Rng(o.seed), kernels: defaultKernels(), batchSize: 250 });
  const layers = classifier.layerNames();
  const result = {
    nir: o.nir,
    dataset: o.dataset,
    steps: o.steps,
    encoding: o.encoding,
    dt: o.dt,
    testAccuracy: ev.accuracy,
    samples: ev.samples,
    inferSamplesPerSec: ev.samplesPerSec,
    spikeRates: ev.spikeRates,
    layers,
  };
  if (o.json) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    process.stdout.write(
      `test accuracy   ${(100 * ev.accuracy).toFixed(2)}% (${ev.samples} samples)\n` +
        `inference       ${Math.round(ev.samplesPerSec)} samples/s\n` +
        `spike rate      ${ev.spikeRates.map((r, i) => `node ${layers[i]}: ${(100 * r).toFixed(2)}%`).join(', ')}\n`,
    );
  }
  return result;
}
