import { join } from 'node:path';
import { Rng } from '../core/rng.js';
import { defaultKernels } from '../kernels/default.js';
import type { Kernels } from '../kernels/types.js';
import { annClassifier, snnClassifier } from '../nn/models.js';
import type { Sequential } from '../nn/sequential.js';
import { Adam } from '../train/optim.js';
import { annTask, spikingTask, type SpikingLoss, type Task } from '../train/task.js';
import { evaluate, gatherBatch, type Dataset, type Encoder } from '../train/trainer.js';
import { ENERGY_45NM } from '../analysis/energy.js';
import { profileModel, type Profile } from '../analysis/profile.js';
import { RateSeq } from '../encode/index.js';
import type { Seq } from '../nn/layer.js';
import { writeFileAtomic } from '../io/atomic.js';
import { directEncode } from '../encode/index.js';
import {
  encoderFor,
  fitWithProgress,
  maybeParallel,
  parseHidden,
  refuseGiven,
  refuseOfflineWithDataDir,
  type CommandContext,
  loadRunData,
} from './common.js';
import { rateTargetFromFlags, surrogateFromFlags, trainFlags, withDatasetDefaults, type TrainOptions } from './train.js';
import type { ResetMechanism } from '../neurons/common.js';
import { prepareOutputDir } from './outputs.js';
import type { FlagSpec } from './args.js';

// train's flags that apply to an fc SNN beside its ANN twin on MNIST or Fashion-MNIST (no iris, no csnn)
const t = trainFlags;
export const compareFlags = {
  dataset: { ...t.dataset, choices: ['mnist', 'fashion-mnist'] },
  'data-dir': { ...t['data-dir'], help: 'folder with the four IDX files (.gz or raw); default: cache, download, then the embedded copy' },
  offline: { ...t.offline, help: 'never download (use --data-dir, the cache or the embedded copy)' },
  epochs: { ...t.epochs, help: 'passes over the training set (default 1)' },
  batch: { ...t.batch, help: 'batch size (default 128)' },
  steps: t.steps,
  hidden: { ...t.hidden, help: 'hidden layer sizes of both models, e.g. 1000 or 500,200 (default 1000)' },
  encoding: t.encoding,
  'latency-threshold': t['latency-threshold'],
  beta: t.beta,
  'learn-beta': t['learn-beta'],
  surrogate: t.surrogate,
  'surrogate-slope': t['surrogate-slope'],
  'surrogate-alpha': t['surrogate-alpha'],
  reset: t.reset,
  loss: t.loss,
  tbptt: t.tbptt,
  'l1-rate': t['l1-rate'],
  'rate-target': t['rate-target'],
  'rate-weight': t['rate-weight'],
  'rate-penalty': t['rate-penalty'],
  lr: { ...t.lr, help: 'Adam learning rate of both models (default 5e-4)' },
  'lr-schedule': t['lr-schedule'],
  seed: t.seed,
  threads: t.threads,
  'train-limit': { ...t['train-limit'], help: 'use only the first N training samples' },
  'test-limit': { ...t['test-limit'], help: 'use only the first N test samples' },
  'latency-samples': { type: 'int', default: 200, min: 1, help: 'test samples timed one at a time for latency' },
  'profile-samples': {
    type: 'int',
    default: 1000,
    min: 1,
    help: 'test samples the energy profile (as `spikeflow profile`) measures both models on',
  },
  out: { type: 'string', default: 'runs/compare', help: 'folder for compare.json and compare.md' },
  json: { type: 'bool', default: false, help: 'print the JSON result on stdout' },
} as const satisfies FlagSpec;

interface ModelReport {
  testAccuracy: number;
  trainSeconds: number;
  trainSamplesPerSec: number;
  inferSamplesPerSec: number;
  latencyMsPerSample: number;
  spikeRates: number[];
  /** `spikeflow profile`'s measurement of the trained model on the first --profile-samples test samples. */
  profile: Profile;
}

/** Mean wall time of single-sample inference over the first n test samples. */
function latencyMs(model: Sequential, encoder: Encoder, test: Dataset, n: number, rng: Rng, k: Kernels): number {
  const idx = Uint32Array.from({ length: Math.min(n, test.n) }, (_, i) => i);
  const t0 = performance.now();
  for (let i = 0; i < idx.length; i++) model.forward(encoder(gatherBatch(test, idx, i, i + 1).x, rng), k);
  return (performance.now() - t0) / idx.length;
}

export type CompareOptions = Omit<
  TrainOptions,
  'folds' | 'pop-neurons' | 'model' | 'channels' | 'dropout' | 'pool' | 'batch-norm' | 'out' | 'overwrite'
> & {
  'latency-samples': number;
  'profile-samples': number;
  out: string;
};

export async function runCompare(opts: CompareOptions, ctx: CommandContext): Promise<Record<string, unknown>> {
  refuseOfflineWithDataDir(ctx.given);
  if (opts.encoding !== 'latency')
    refuseGiven(ctx.given, ['latency-threshold'], `applies to --encoding latency only (this run: ${opts.encoding})`);
  if (opts['rate-target'] === undefined) refuseGiven(ctx.given, ['rate-weight', 'rate-penalty'], 'applies with --rate-target only');
  const o = withDatasetDefaults(opts);
  const hidden = parseHidden(o.hidden);
  await prepareOutputDir(o.out, 'out');
  ctx.interrupts.note(`nothing new was written to ${o.out}`);
  const { train, test } = await loadRunData(o);
  const kernels = defaultKernels();
  const spec = { inputs: train.features, hidden, outputs: 10 };

  const run = async (
    label: string,
    model: Sequential,
    task: Task,
    encoder: Encoder,
    steps: number,
    input: Profile['input'],
  ): Promise<ModelReport> => {
    const rng = new Rng(o.seed);
    const optimizer = new Adam(model.trainable(), { lr: o.lr });
    const parallel = await maybeParallel(model, task, kernels, o.threads, optimizer);
    const fit = await fitWithProgress({
      label,
      train,
      epochs: o.epochs,
      batch: o.batch,
      lrSchedule: o['lr-schedule'],
      epochOptions: { model, task, optimizer, encoder, rng, kernels, parallel },
    });
    const ev = await evaluate(test, { model, task, encoder, rng, kernels, parallel });
    await parallel?.close();
    // the energy analysis of `spikeflow profile`, on the encoded test samples (the same encoder and seed)
    const profile = profileModel(model, profileBatches(test, encoder, new Rng(o.seed), o['profile-samples'], steps), {
      kernels,
      steps,
      input,
    });
    return {
      testAccuracy: ev.accuracy,
      trainSeconds: fit.seconds,
      trainSamplesPerSec: fit.samples / fit.seconds,
      inferSamplesPerSec: ev.samplesPerSec,
      latencyMsPerSample: latencyMs(model, encoder, test, o['latency-samples'], rng, kernels),
      spikeRates: ev.spikeRates,
      profile,
    };
  };

  const neuron = {
    beta: o.beta,
    learnBeta: o['learn-beta'],
    surrogate: surrogateFromFlags(o),
    reset: o.reset as ResetMechanism,
    truncate: o.tbptt,
  };
  const snn = await run(
    'snn',
    snnClassifier({ ...spec, ...neuron }, new Rng(o.seed)),
    spikingTask(o.loss as SpikingLoss, { l1Rate: o['l1-rate'], rateTarget: rateTargetFromFlags(o) }),
    encoderFor(o.encoding, o.steps, { latencyThreshold: o['latency-threshold'] }),
    o.steps,
    o.encoding as Profile['input'],
  );
  const ann = await run('ann', annClassifier(spec, new Rng(o.seed)), annTask(), (x) => directEncode(x, 1), 1, 'ann');
  const result = {
    dataset: o.dataset,
    topology: [train.features, ...hidden, 10].join('-'),
    epochs: o.epochs,
    batch: o.batch,
    steps: o.steps,
    encoding: o.encoding,
    seed: o.seed,
    trainSamples: train.n,
    testSamples: test.n,
    energyModel: {
      note: 'ESTIMATE from measured operation and memory-access counts (spikeflow profile), 45 nm CMOS figures; not a measurement',
      ...ENERGY_45NM,
      profileSamples: Math.min(o['profile-samples'], test.n),
    },
    snn,
    ann,
  };
  await writeFileAtomic(join(o.out, 'compare.json'), JSON.stringify(result, null, 2) + '\n');
  const md = compareMarkdown(result);
  await writeFileAtomic(join(o.out, 'compare.md'), md);
  if (o.json) process.stdout.write(JSON.stringify(result) + '\n');
  else process.stdout.write(md + `\nsaved ${join(o.out, 'compare.json')} and ${join(o.out, 'compare.md')}\n`);
  return result;
}

/** The first n test samples, encoded as in training and evaluation, in batches of at most 100 (rate input drawn as spikes). */
function* profileBatches(test: Dataset, encoder: Encoder, rng: Rng, n: number, steps: number): Generator<Seq> {
  const m = Math.min(n, test.n);
  const order = Uint32Array.from({ length: m }, (_, i) => i);
  for (let from = 0; from < m; from += 100) {
    const seq = encoder(gatherBatch(test, order, from, Math.min(m, from + 100)).x, rng);
    // a rate-coded sequence is drawn inside the kernels in training; the profile counts its spikes
    yield seq instanceof RateSeq ? { x: seq.x, steps, constant: false } : seq;
  }
}

const E = ENERGY_45NM;
const accesses = (p: Profile) => p.totals.weightReads + p.totals.otherAccesses;

function compareMarkdown(r: {
  dataset: string;
  topology: string;
  epochs: number;
  steps: number;
  encoding: string;
  snn: ModelReport;
  ann: ModelReport;
}): string {
  const f = (x: number, d = 2) => x.toLocaleString('en-US', { maximumFractionDigits: d });
  const rows: Array<[string, string, string]> = [
    ['test accuracy', `${f(100 * r.snn.testAccuracy)}%`, `${f(100 * r.ann.testAccuracy)}%`],
    ['training time', `${f(r.snn.trainSeconds, 1)} s`, `${f(r.ann.trainSeconds, 1)} s`],
    ['training throughput', `${f(r.snn.trainSamplesPerSec, 0)} samples/s`, `${f(r.ann.trainSamplesPerSec, 0)} samples/s`],
    ['inference throughput', `${f(r.snn.inferSamplesPerSec, 0)} samples/s`, `${f(r.ann.inferSamplesPerSec, 0)} samples/s`],
    ['latency per sample (batch 1)', `${f(r.snn.latencyMsPerSample, 3)} ms`, `${f(r.ann.latencyMsPerSample, 3)} ms`],
    ['spike rate per layer', r.snn.spikeRates.map((x) => `${f(100 * x)}%`).join(' / '), 'n/a'],
    ['accumulates (synaptic events, IF updates, bias adds) / sample', f(r.snn.profile.totals.acs, 0), f(r.ann.profile.totals.acs, 0)],
    ['MACs / sample', f(r.snn.profile.totals.macs, 0), f(r.ann.profile.totals.macs, 0)],
    ['memory accesses (SRAM) / sample', f(accesses(r.snn.profile), 0), f(accesses(r.ann.profile), 0)],
    [
      'estimated energy / inference, compute only',
      `${f(r.snn.profile.totals.computeNj, 1)} nJ`,
      `${f(r.ann.profile.totals.computeNj, 1)} nJ`,
    ],
    [
      'estimated energy / inference, compute + SRAM',
      `${f(r.snn.profile.totals.computeNj + r.snn.profile.totals.memoryNj, 1)} nJ`,
      `${f(r.ann.profile.totals.computeNj + r.ann.profile.totals.memoryNj, 1)} nJ`,
    ],
  ];
  return [
    `# SNN vs ANN on ${r.dataset} (${r.topology}, ${r.epochs} epoch(s))`,
    '',
    `SNN: Leaky neurons, ${r.steps} steps, ${r.encoding} input. ANN: same topology with ReLU.`,
    '',
    '| metric | SNN | ANN |',
    '|---|---|---|',
    ...rows.map(([a, b, c]) => `| ${a} | ${b} | ${c} |`),
    '',
    `Energy is an ESTIMATE from measured operation and memory-access counts (\`spikeflow profile\`'s model: ${E.acPj} pJ per`,
    `accumulate, ${E.macPj} pJ per multiply-accumulate, ${E.sramPj} pJ per 32-bit SRAM access; Horowitz 2014), not a measurement.`,
    'SNN MACs are the analog first layer (computed once for direct input) and one multiply per neuron per step for the leak;',
    '`spikeflow profile --checkpoint <folder>` shows the rows per layer and the break-even spike rates.',
    '',
  ].join('\n');
}
