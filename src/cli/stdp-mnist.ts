import { join } from 'node:path';
import { Rng } from '../core/rng.js';
import { loadMnist } from '../data/mnist.js';
import { encodeSafetensors } from '../interop/safetensors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { DiehlCookNetwork, assignLabels, predictByAssignment } from '../sim/diehl-cook.js';
import type { FlagSpec } from './args.js';
import { createProgress } from './progress.js';
import { refuseOfflineWithDataDir, type CommandContext } from './common.js';
import { prepareOutputDir } from './outputs.js';
import { yieldToSignals } from './interrupt.js';
import { imageGridPlot } from '../viz/plots.js';
import { writePlot } from '../viz/png.js';

export const stdpMnistFlags = {
  'train-limit': { type: 'int', default: 1000, min: 10, max: 60000, help: 'training images (the paper: 60000 x 1-3 epochs)' },
  'test-limit': { type: 'int', default: 1000, min: 1, max: 10000, help: 'test images' },
  'label-limit': {
    type: 'int',
    default: 10000,
    min: 0,
    max: 60000,
    help: 'training images (the last ones trained on) shown again to the frozen network to assign labels; 0: assign from the responses recorded while learning',
  },
  epochs: { type: 'int', default: 1, min: 1, max: 100, help: 'passes over the training images' },
  neurons: { type: 'int', default: 400, min: 10, max: 10000, help: 'excitatory (and inhibitory) neurons' },
  seed: { type: 'int', default: 0, min: 0, max: 4294967295, help: 'seed of the weights and Poisson inputs' },
  'data-dir': { type: 'string', help: 'folder with the four MNIST IDX files (.gz or raw)' },
  offline: { type: 'bool', default: false, help: 'never download (use the cache or the embedded copy)' },
  out: {
    type: 'string',
    default: 'runs/stdp-mnist',
    help: 'folder for the learned weights (weights.safetensors) and their picture (receptive-fields.svg)',
  },
  json: { type: 'bool', default: false, help: 'print one JSON object on stdout' },
} as const satisfies FlagSpec;

export type StdpMnistOptions = {
  'train-limit': number;
  'test-limit': number;
  'label-limit': number;
  epochs: number;
  neurons: number;
  seed: number;
  'data-dir'?: string;
  offline: boolean;
  out: string;
  json: boolean;
};

/**
 * `spikeflow stdp-mnist`: Diehl & Cook (2015) unsupervised STDP learning on MNIST
 * (src/plasticity/diehl-cook.ts): train with STDP, assign labels from the training responses, test.
 * Saves weights [neurons, 784] (torch layout), theta and the label assignment to
 * <out>/weights.safetensors, and the receptive fields to <out>/receptive-fields.svg, both atomically.
 */
export async function runStdpMnist(o: StdpMnistOptions, ctx: CommandContext): Promise<Record<string, unknown>> {
  refuseOfflineWithDataDir(ctx.given);
  await prepareOutputDir(o.out, 'out');
  ctx.interrupts.note(`nothing new was written to ${o.out}`);
  const data = await loadMnist({ dataset: 'mnist', dataDir: o['data-dir'], download: !o.offline && process.env.SPIKEFLOW_OFFLINE !== '1' });
  const nTrain = Math.min(o['train-limit'], data.train.n);
  const nTest = Math.min(o['test-limit'], data.test.n);
  const rng = new Rng(o.seed);
  const model = new DiehlCookNetwork(rng, { neurons: o.neurons });
  const img = (s: typeof data.train, k: number) => s.images.subarray(k * 784, (k + 1) * 784);
  const t0 = performance.now();
  const responses: Int32Array[] = [];
  const bar = createProgress({ total: nTrain * o.epochs, label: 'stdp train' });
  let shown = 0;
  for (let e = 0; e < o.epochs; e++) {
    responses.length = 0;
    for (let k = 0; k < nTrain; k++) {
      responses.push(model.present(img(data.train, k), true).counts);
      bar.update(++shown, { epoch: `${e + 1}/${o.epochs}` });
      await yieldToSignals();
    }
  }
  bar.done();
  const trainSeconds = (performance.now() - t0) / 1000;
  // Label assignment. Responses recorded while learning mix early (untrained) and late weights; as in
  // Diehl & Cook's evaluation, the labels come from the frozen network (no STDP, theta fixed) shown the
  // training images again: the last `label-limit` of them.
  const nLabel = Math.min(o['label-limit'], nTrain);
  const tl = performance.now();
  let labelImages = nTrain - responses.length; // 0: the responses recorded during the last epoch
  if (nLabel > 0) {
    responses.length = 0;
    labelImages = nTrain - nLabel;
    const lbar = createProgress({ total: nLabel, label: 'stdp label' });
    for (let k = labelImages; k < nTrain; k++) {
      responses.push(model.present(img(data.train, k), false).counts);
      lbar.update(k - labelImages + 1);
      await yieldToSignals();
    }
    lbar.done();
  }
  const labelSeconds = (performance.now() - tl) / 1000;
  const labelLabels = data.train.labels.subarray(labelImages, nTrain);
  const assignment = assignLabels(responses, labelLabels, model.neurons);
  // accuracy of the assignment on the responses it was made from (a sanity check, not a test score)
  let trainCorrect = 0;
  responses.forEach((r, k) => (trainCorrect += predictByAssignment(r, assignment) === labelLabels[k] ? 1 : 0));
  const t1 = performance.now();
  const tbar = createProgress({ total: nTest, label: 'stdp test' });
  let correct = 0;
  for (let k = 0; k < nTest; k++) {
    const { counts } = model.present(img(data.test, k), false);
    if (predictByAssignment(counts, assignment) === data.test.labels[k]) correct++;
    tbar.update(k + 1, { acc: `${((100 * correct) / (k + 1)).toFixed(1)}%` });
    await yieldToSignals();
  }
  tbar.done();
  const testSeconds = (performance.now() - t1) / 1000;
  // weights as [neurons, 784] (post x pre, torch's Linear layout)
  const n = model.neurons;
  const w = new Float32Array(n * 784);
  const src = model.inputSynapses.weights;
  for (let i = 0; i < 784; i++) for (let j = 0; j < n; j++) w[j * 784 + i] = src[i * n + j];
  ctx.interrupts.note(`stopped while saving into ${o.out}: each file there is the previous one or the new one, whole`);
  const file = join(o.out, 'weights.safetensors');
  await writeFileAtomic(
    file,
    encodeSafetensors(
      {
        weights: { dtype: 'F32', shape: [n, 784], data: w },
        theta: { dtype: 'F32', shape: [n], data: Float32Array.from(model.exc.theta) },
        assignment: { dtype: 'I32', shape: [n], data: assignment },
      },
      { model: 'diehl-cook-2015', neurons: String(n), trainImages: String(nTrain), epochs: String(o.epochs), seed: String(o.seed) },
    ),
  );
  // every neuron's input weights as a 28 x 28 image, labelled with its assigned class
  const fields = join(o.out, 'receptive-fields.svg');
  await writePlot(
    fields,
    imageGridPlot({
      data: w,
      rows: 28,
      cols: 28,
      count: n,
      cell: n > 100 ? 1 : 2,
      labels: Array.from(assignment, (c) => (c >= 0 ? String(c) : '-')),
      title: `Receptive fields of ${n} excitatory neurons after ${nTrain * o.epochs} images (label: assigned class)`,
    }),
  );
  const assigned = new Set(Array.from(assignment).filter((c) => c >= 0)).size;
  const result = {
    model: 'diehl-cook-2015',
    neurons: n,
    trainImages: nTrain,
    epochs: o.epochs,
    testImages: nTest,
    seed: o.seed,
    trainAccuracy: trainCorrect / responses.length,
    labelImages: responses.length,
    labelsFrom: nLabel > 0 ? 'frozen network' : 'learning phase',
    labelSeconds,
    testAccuracy: correct / nTest,
    classesAssigned: assigned,
    trainSeconds,
    testSeconds,
    imagesPerSecond: (nTrain * o.epochs) / trainSeconds,
    weights: file,
    receptiveFields: fields,
  };
  if (o.json) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    process.stdout.write(
      [
        `Diehl & Cook (2015) STDP network: 784 Poisson inputs -> ${n} excitatory (adaptive threshold) <-> ${n} inhibitory`,
        `trained on ${nTrain} images x ${o.epochs} epoch(s) in ${trainSeconds.toFixed(1)} s (${result.imagesPerSecond.toFixed(1)} images/s, 500 ms of biological time each)`,
        `labels from ${responses.length} training images (${result.labelsFrom}, ${labelSeconds.toFixed(1)} s): ${assigned} of 10 classes assigned; accuracy on those images ${(100 * result.trainAccuracy).toFixed(2)}%`,
        `test accuracy   ${(100 * result.testAccuracy).toFixed(2)}% on ${nTest} images (${testSeconds.toFixed(1)} s)`,
        `weights         ${file}`,
        `picture         ${fields}`,
      ].join('\n') + '\n',
    );
  }
  return result;
}
