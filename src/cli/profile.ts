import { join } from 'node:path';
import { DataError, UsageError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { defaultKernels } from '../kernels/default.js';
import { CONFIG_FILE, loadCheckpoint } from '../train/checkpoint.js';
import { gatherBatch } from '../train/trainer.js';
import { directEncode, rateEncode } from '../encode/index.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { Seq } from '../nn/layer.js';
import { profileModel } from '../analysis/profile.js';
import { profileMarkdown, profileSvg } from '../analysis/profile-report.js';
import type { FlagSpec, Parsed } from './args.js';
import { encoderFor, loadClassificationData, refuseGiven, refuseOfflineWithDataDir, type CommandContext } from './common.js';
import { prepareOutputDir } from './outputs.js';

export const profileFlags = {
  checkpoint: { type: 'string', default: 'runs/mnist-fc', help: 'checkpoint folder of any feed-forward model (SNN, converted SNN or ANN)' },
  dataset: { type: 'choice', choices: ['mnist', 'fashion-mnist'], help: "data to measure on (default: the checkpoint's meta.dataset)" },
  'data-dir': { type: 'string', help: 'folder with the four IDX files (.gz or raw); default: cache, download, then the embedded copy' },
  offline: { type: 'bool', default: false, help: 'never download' },
  'test-limit': { type: 'int', default: 1000, min: 1, help: 'test samples to measure on (the first N)' },
  steps: { type: 'int', min: 1, max: 10000, help: "time steps (default: the checkpoint's meta.steps)" },
  seed: { type: 'int', default: 0, min: 0, max: 4294967295, help: 'seed of the rate encoding (checkpoints with rate input)' },
  out: { type: 'string', default: 'runs/profile', help: 'folder for profile.json, profile.md and profile.svg' },
  json: { type: 'bool', default: false, help: 'print the profile as one JSON object on stdout' },
} as const satisfies FlagSpec;

export type ProfileCliOptions = Parsed<typeof profileFlags>;

/** `spikeflow profile`: operations, memory traffic and estimated energy per layer, measured on test data. */
export async function runProfile(o: ProfileCliOptions, ctx: CommandContext): Promise<Record<string, unknown>> {
  refuseOfflineWithDataDir(ctx.given);
  const { model, config } = await loadCheckpoint(o.checkpoint);
  const file = join(o.checkpoint, CONFIG_FILE);
  const meta = config.meta;
  const spiking = model.layers.some((l) => l.spiking);
  const input = !spiking ? 'ann' : meta.encoding;
  if (input !== 'ann' && input !== 'direct' && input !== 'rate' && input !== 'latency')
    throw new DataError(
      `meta.encoding: expected direct, rate or latency (profile measures image inputs), found ${JSON.stringify(meta.encoding) ?? 'nothing'}`,
      file,
    );
  const lt = meta.latencyThreshold;
  if (lt !== undefined && !(typeof lt === 'number' && lt > 0 && lt < 1))
    throw new DataError(`meta.latencyThreshold: expected a number in (0, 1), found ${JSON.stringify(lt)}`, file);
  if (input !== 'rate') refuseGiven(ctx.given, ['seed'], 'does nothing: the input draws no random numbers');
  if (input === 'ann') refuseGiven(ctx.given, ['steps'], 'does nothing: an ANN runs one pass');
  const dataset = o.dataset ?? meta.dataset;
  if (dataset !== 'mnist' && dataset !== 'fashion-mnist')
    throw new UsageError(
      `--dataset: the checkpoint's meta.dataset is ${JSON.stringify(meta.dataset) ?? 'missing'}; give mnist or fashion-mnist`,
    );
  const steps = input === 'ann' ? 1 : (o.steps ?? (meta.steps as number));
  if (!Number.isInteger(steps) || steps < 1)
    throw new DataError(`meta.steps: expected a positive integer, found ${JSON.stringify(meta.steps)}`, file);
  await prepareOutputDir(o.out, 'out');
  const { test, source } = await loadClassificationData({
    dataset,
    dataDir: o['data-dir'],
    offline: o.offline,
    trainLimit: 1,
    testLimit: o['test-limit'],
  });
  process.stderr.write(`data: ${dataset} from ${source}: ${test.n} test samples\n`);
  const kernels = defaultKernels();
  const rng = new Rng(o.seed);
  // batches small enough that a layer's [T, B, features] values stay in memory
  const bs = Math.max(1, Math.min(100, Math.floor(5e7 / (steps * 1e4))));
  const order = Uint32Array.from({ length: test.n }, (_, i) => i);
  function* batches(): Generator<Seq> {
    for (let from = 0; from < test.n; from += bs) {
      const { x } = gatherBatch(test, order, from, Math.min(test.n, from + bs));
      if (input === 'rate') yield rateEncode(x, steps, rng, 1, kernels);
      else if (input === 'latency') yield encoderFor('latency', steps, { latencyThreshold: lt as number | undefined })(x, rng);
      else yield directEncode(x, steps);
    }
  }
  const profile = profileModel(model, batches(), { kernels, steps, input });
  const title = `Energy profile of ${o.checkpoint} on ${dataset}`;
  const result = { checkpoint: o.checkpoint, dataset, ...profile };
  await writeFileAtomic(join(o.out, 'profile.json'), JSON.stringify(result, null, 2) + '\n');
  const md = profileMarkdown(profile, title);
  await writeFileAtomic(join(o.out, 'profile.md'), md);
  await writeFileAtomic(join(o.out, 'profile.svg'), profileSvg(profile, title));
  if (o.json) process.stdout.write(JSON.stringify(result) + '\n');
  else process.stdout.write(`${md}\nsaved ${join(o.out, 'profile.json')}, profile.md and profile.svg\n`);
  return result;
}
