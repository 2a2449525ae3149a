import { availableParallelism } from 'node:os';
import { Rng } from '../core/rng.js';
import { DataParallel } from '../train/parallel.js';
import { UsageError } from '../core/errors.js';
import { defaultKernels } from '../kernels/default.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { spikingTask } from '../train/task.js';
import { evaluate } from '../train/trainer.js';
import { encoderFor, loadClassificationData } from './common.js';
import type { FlagSpec } from './args.js';

export const evalFlags = {
  checkpoint: { type: 'string', default: 'runs/snn', help: 'checkpoint folder written by `spikeflow train`' },
  'data-dir': { type: 'string', help: 'folder with the IDX files; default: cache, download, then the embedded copy' },
  offline: { type: 'bool', default: false, help: 'never download' },
  'test-limit': { type: 'int', min: 1, help: 'use only the first N test samples' },
  seed: { type: 'int', default: 0, min: 0, max: 4294967295, help: 'seed for rate encoding' },
  threads: { type: 'int', default: Math.min(8, availableParallelism()), min: 1, max: 64, help: 'threads the test batches are split over' },
  json: { type: 'bool', default: false, help: 'print one JSON object on stdout' },
} as const satisfies FlagSpec;

export async function runEval(o: {
  checkpoint: string; 'data-dir'?: string; offline: boolean; 'test-limit'?: number; seed: number; threads: number; json: boolean;
}): Promise<Record<string, unknown>> {
  const { model, config } = await loadCheckpoint(o.checkpoint);
  const meta = config.meta as { dataset?: string; steps?: number; encoding?: string };
  if (!meta.dataset || !meta.steps || !meta.encoding) {
    throw new UsageError(`${o.checkpoint}: the checkpoint's meta lacks dataset/steps/encoding, so it cannot be evaluated here`);
  }
  const { test, source } = await loadClassificationData({
    dataset: meta.dataset, dataDir: o['data-dir'], offline: o.offline, testLimit: o['test-limit'], trainLimit: 1,
  });
  process.stderr.write(`data: ${meta.dataset} from ${source}: ${test.n} test samples\n`);
  const task = spikingTask();
  const kernels = defaultKernels();
  const parallel = o.threads > 1 ? await DataParallel.create(model, task, kernels, o.threads) : undefined;
  const ev = await evaluate(test, { model, task, encoder: encoderFor(meta.encoding, meta.steps), rng: new Rng(o.seed), kernels, parallel });
  await parallel?.close();
  const result = {
    checkpoint: o.checkpoint, dataset: meta.dataset, testAccuracy: ev.accuracy, samples: ev.samples,
    inferSamplesPerSec: ev.samplesPerSec, spikeRates: ev.spikeRates,
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
