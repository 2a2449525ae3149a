import { Rng } from '../core/rng.js';
import type { Tensor } from '../core/tensor.js';
import { defaultKernels } from '../kernels/default.js';
import { snnClassifier } from '../nn/models.js';
import type { Surrogate } from '../surrogate/index.js';
import { Adam } from '../train/optim.js';
import { spikingTask, type SpikingLoss } from '../train/task.js';
import { evaluate, type Dataset, type Encoder } from '../train/trainer.js';
import { stratifiedKFold } from '../train/kfold.js';
import { saveCheckpoint } from '../train/checkpoint.js';
import { populationCode, populationEncode, type PopulationMode } from '../encode/population.js';
import { loadIris } from '../data/iris.js';
import { fitWithProgress } from './common.js';
import { formatDuration } from './progress.js';
import { yieldToSignals, type Interrupts } from './interrupt.js';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface IrisOptions {
  dataDir?: string;
  folds: number;
  popNeurons: number;
  epochs: number;
  batch: number;
  steps: number;
  hidden: number[];
  encoding: string;
  beta: number;
  learnBeta: boolean;
  surrogate: Surrogate;
  loss: string;
  lr: number;
  lrSchedule: string;
  tbptt: number;
  l1Rate: number;
  seed: number;
  out: string;
  json: boolean;
  interrupts: Interrupts;
}

/**
 * Iris with population coding and stratified k-fold cross-validation: for every fold the tuning
 * curves span the training split's range of each feature (no peeking at the test split), an FC SNN
 * [4 * neurons -> hidden -> 3] trains on the other folds and is scored on the held-out one.
 */
export async function runIrisCv(o: IrisOptions): Promise<Record<string, unknown>> {
  const data = await loadIris({ dataDir: o.dataDir });
  process.stderr.write(
    `data: iris from ${data.source}: ${data.n} samples, ${data.features} features, ${data.classes.length} classes; ${o.folds}-fold cross-validation\n`,
  );
  const rng = new Rng(o.seed);
  const folds = stratifiedKFold(data.labels, o.folds, rng.fork());
  const kernels = defaultKernels();
  const mode: PopulationMode = o.encoding === 'rate' ? 'rate' : o.encoding === 'latency' ? 'latency' : 'current';
  const results: Array<{ fold: number; testAccuracy: number; trainAccuracy: number; test: number }> = [];
  let seconds = 0;
  let last: { model: ReturnType<typeof snnClassifier>; code: ReturnType<typeof populationCode> } | null = null;
  const subset = (idx: Int32Array): Dataset => {
    const x = new Float32Array(idx.length * data.features);
    const y = new Uint8Array(idx.length);
    idx.forEach((s, i) => {
      x.set(data.x.subarray(s * data.features, (s + 1) * data.features), i * data.features);
      y[i] = data.labels[s];
    });
    return { inputs: x, labels: y, n: idx.length, features: data.features };
  };
  for (let f = 0; f < folds.length; f++) {
    const train = subset(folds[f].train);
    const test = subset(folds[f].test);
    const lo = new Float32Array(data.features).fill(Infinity);
    const hi = new Float32Array(data.features).fill(-Infinity);
    for (let i = 0; i < train.n; i++) {
      for (let j = 0; j < data.features; j++) {
        const v = train.inputs[i * data.features + j];
        lo[j] = Math.min(lo[j], v);
        hi[j] = Math.max(hi[j], v);
      }
    }
    const code = populationCode(data.features, { neurons: o.popNeurons, min: lo, max: hi });
    const encoder: Encoder = (x: Tensor, r: Rng) => populationEncode(x, code, o.steps, mode, r);
    const model = snnClassifier(
      {
        inputs: data.features * o.popNeurons,
        hidden: o.hidden,
        outputs: data.classes.length,
        beta: o.beta,
        learnBeta: o.learnBeta,
        surrogate: o.surrogate,
        truncate: o.tbptt,
      },
      rng.fork(),
    );
    const task = spikingTask(o.loss as SpikingLoss, { l1Rate: o.l1Rate });
    const optimizer = new Adam(model.trainable(), { lr: o.lr });
    const fit = await fitWithProgress({
      label: `iris fold ${f + 1}/${folds.length}`,
      train,
      epochs: o.epochs,
      batch: Math.min(o.batch, train.n),
      lrSchedule: o.lrSchedule,
      epochOptions: { model, task, optimizer, encoder, rng, kernels },
      quiet: true,
    });
    seconds += fit.seconds;
    const ev = await evaluate(test, { model, task, encoder, rng, kernels });
    const evTrain = await evaluate(train, { model, task, encoder, rng, kernels });
    results.push({ fold: f + 1, testAccuracy: ev.accuracy, trainAccuracy: evTrain.accuracy, test: test.n });
    process.stderr.write(
      `fold ${f + 1}/${folds.length}: test ${(100 * ev.accuracy).toFixed(2)}% (${test.n} samples), train ${(100 * evTrain.accuracy).toFixed(2)}%\n`,
    );
    last = { model, code };
  }
  const accs = results.map((r) => r.testAccuracy);
  const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
  const std = Math.sqrt(accs.reduce((a, b) => a + (b - mean) ** 2, 0) / accs.length);
  await yieldToSignals();
  o.interrupts.note(`stopped while saving: ${o.out} holds the previous checkpoint or the new one, whole`);
  await saveCheckpoint(o.out, last!.model, {
    dataset: 'iris',
    model: 'fc',
    fold: folds.length,
    popNeurons: o.popNeurons,
    encoding: `population-${mode}`,
    steps: o.steps,
    populationCentres: Array.from(last!.code.centres),
    populationSigma: Array.from(last!.code.sigma),
    seed: o.seed,
  });
  // iris writes no training curves: a training.svg here belongs to the checkpoint this one replaced
  await rm(join(o.out, 'training.svg'), { force: true });
  const result = {
    dataset: 'iris',
    model: `${[data.features * o.popNeurons, ...o.hidden, data.classes.length].join('-')} SNN`,
    encoding: `population (${o.popNeurons} Gaussian neurons per feature, ${mode})`,
    folds: o.folds,
    epochs: o.epochs,
    steps: o.steps,
    seed: o.seed,
    meanAccuracy: mean,
    stdAccuracy: std,
    foldResults: results,
    trainSeconds: seconds,
    checkpoint: o.out,
  };
  if (o.json) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    process.stdout.write(
      [
        `cross-validated accuracy  ${(100 * mean).toFixed(2)}% +- ${(100 * std).toFixed(2)}% (${o.folds} folds: ${accs.map((a) => (100 * a).toFixed(1)).join(', ')})`,
        `model                     ${result.model}, ${result.encoding}, ${o.steps} steps`,
        `training                  ${formatDuration(seconds)} total`,
        `checkpoint                ${o.out} (the model of the last fold)`,
      ].join('\n') + '\n',
    );
  }
  return result;
}
