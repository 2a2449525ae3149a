import { join } from 'node:path';
import { Rng } from '../core/rng.js';
import { DataParallel } from '../train/parallel.js';
import { DataError } from '../core/errors.js';
import { defaultKernels } from '../kernels/default.js';
import { CONFIG_FILE, loadCheckpoint } from '../train/checkpoint.js';
import { spikingTask } from '../train/task.js';
import { evaluate } from '../train/trainer.js';
import { frameEncoder } from '../data/frames.js';
import {
  encoderFor,
  isEventDataset,
  loadClassificationData,
  refuseGiven,
  refuseOfflineWithDataDir,
  threadsFlag,
  type CommandContext,
} from './common.js';
import { defaultCheckpointDir } from './outputs.js';
import type { FlagSpec } from './args.js';

export const evalFlags = {
  checkpoint: {
    type: 'string',
    default: defaultCheckpointDir('mnist', 'fc'),
    help: 'checkpoint folder written by `spikeflow train` (MNIST, Fashion-MNIST, N-MNIST or SHD)',
  },
  'data-dir': {
    type: 'string',
    help: "folder with the checkpoint's dataset (as for train --data-dir); default: cache, download (then the embedded copy for mnist/fashion-mnist)",
  },
  offline: { type: 'bool', default: false, help: 'never download' },
  'test-limit': { type: 'int', min: 1, help: 'use only the first N test samples' },
  seed: { type: 'int', default: 0, min: 0, max: 4294967295, help: 'seed of the rate encoding (checkpoints trained with --encoding rate)' },
  threads: threadsFlag('threads the test batches are split over'),
  json: { type: 'bool', default: false, help: 'print one JSON object on stdout' },
} as const satisfies FlagSpec;

const EVAL_DATASETS = ['mnist', 'fashion-mnist', 'nmnist', 'shd'];
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
): { dataset: string; steps: number; encoding: string; frameWindow?: number; denoise?: number; firstSpike: boolean } {
  const m = (typeof meta === 'object' && meta !== null ? meta : {}) as Record<string, unknown>;
  const found = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));
  if (m.loss !== undefined && typeof m.loss !== 'string')
    throw new DataError(`meta.loss: expected a loss name, found ${found(m.loss)}`, file);
  // checkpoints trained with a time-to-first-spike loss are read by their first spike
  const firstSpike = TEMPORAL.includes(m.loss as string);
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
    return { dataset: m.dataset, steps: m.steps, encoding: 'frames', frameWindow: fw ?? undefined, denoise: dn, firstSpike };
  }
  if (typeof m.encoding !== 'string' || !EVAL_ENCODINGS.includes(m.encoding)) {
    throw new DataError(`meta.encoding: expected ${EVAL_ENCODINGS.join(' or ')}, found ${found(m.encoding)}`, file);
  }
  return { dataset: m.dataset, steps: m.steps, encoding: m.encoding, firstSpike };
}

export async function runEval(
  o: {
    checkpoint: string;
    'data-dir'?: string;
    offline: boolean;
    'test-limit'?: number;
    seed: number;
    threads: number;
    json: boolean;
  },
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
  const task = spikingTask(meta.firstSpike ? 'ce-temporal' : 'membrane');
  const kernels = defaultKernels();
  const parallel = o.threads > 1 ? await DataParallel.create(model, task, kernels, o.threads) : undefined;
  const encoder = events ? frameEncoder(meta.steps) : encoderFor(meta.encoding, meta.steps);
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
