/**
 * Example 6: an SNN against an ANN of the same shape, on the same data, with the same optimiser (tiny).
 *
 * Run from a clone after `npm run build`:   node examples/06-snn-vs-ann.mjs [--train 2000] [--test 1000]
 *
 * Both are 784-1000-10 networks trained for one epoch with Adam (5e-4, batches of 128) on the first 2000
 * MNIST training images and scored on the first 1000 test images. The SNN is example 5's (Leaky neurons,
 * beta 0.95, 25 steps of direct input); the ANN puts a ReLU where the SNN has Leaky neurons and runs once.
 *
 * What an inference costs, counted per sample (an ESTIMATE from operation counts, not a measurement):
 *   ANN: every weight is a multiply-accumulate (MAC): 784 x 1000 + 1000 x 10 = 794,000 MACs.
 *   SNN: the first layer sees analog pixels, computed once for direct input: 784 x 1000 MACs; each Leaky
 *        neuron multiplies by beta once per step: (1000 + 10) x 25 MACs; the second layer sees spikes, so
 *        each hidden spike costs one accumulate (AC) per output: (hidden spikes per sample) x 10 ACs.
 *   Energy, 45 nm CMOS (Horowitz 2014): E = ACs x 0.9 pJ + MACs x 4.6 pJ.
 * With direct input the SNN's first layer alone costs as much as the whole ANN, so here the SNN does not
 * save energy; it pays off when the input itself is sparse spikes (example 9 works through that case).
 * The CLI runs the same head-to-head at any size:
 *     npx spikeflow compare --epochs 1 --train-limit 2000 --test-limit 1000
 */
import {
  Adam,
  ENERGY_PJ,
  Rng,
  annClassifier,
  annTask,
  defaultKernels,
  directEncode,
  estimateOps,
  evaluate,
  snnClassifier,
  spikingTask,
  trainEpoch,
} from '../dist/index.js';
import { loadMnist } from '../dist/node.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const mnist = await loadMnist({ dataset: 'mnist' });
const subset = (split, n) => ({ inputs: split.images.subarray(0, n * 784), labels: split.labels.subarray(0, n), n, features: 784 });
const train = subset(mnist.train, arg('train', 2000));
const test = subset(mnist.test, arg('test', 1000));
const kernels = defaultKernels();
const spec = { inputs: 784, hidden: [1000], outputs: 10 };
console.log(
  `MNIST from ${mnist.source}: ${train.n} training, ${test.n} test images; ${spec.inputs}-${spec.hidden[0]}-${spec.outputs}, 1 epoch`,
);

async function fitAndTest(model, task, encoder) {
  const rng = new Rng(1);
  const optimizer = new Adam(model.trainable(), { lr: 5e-4 });
  const t0 = performance.now();
  await trainEpoch(train, { model, task, optimizer, encoder, batchSize: 128, rng, kernels });
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, ev: await evaluate(test, { model, task, encoder, rng, kernels }) };
}

const steps = 25;
const snnModel = snnClassifier({ ...spec, beta: 0.95 }, new Rng(0));
const snn = await fitAndTest(snnModel, spikingTask('membrane'), (x) => directEncode(x, steps));
const annModel = annClassifier(spec, new Rng(0));
const ann = await fitAndTest(annModel, annTask(), (x) => directEncode(x, 1));

const hiddenSpikes = snn.ev.spikeCounts[0] / test.n; // mean hidden spikes per test sample
const snnOps = estimateOps(snnModel, { steps, constantInput: true, spikesIn: [undefined, hiddenSpikes] });
const annOps = estimateOps(annModel, { steps: 1, constantInput: true, spikesIn: [] });
const pct = (x) => `${(100 * x).toFixed(2)}%`;
const row = (label, a, b) => console.log(`${label.padEnd(30)}${String(a).padEnd(15)}${b}`);
row('', 'SNN', 'ANN');
row('test accuracy', pct(snn.ev.accuracy), pct(ann.ev.accuracy));
row('training time', `${snn.seconds.toFixed(2)} s`, `${ann.seconds.toFixed(2)} s`);
row('hidden spikes / sample', hiddenSpikes.toFixed(1), '-');
row('accumulates (AC) / sample', Math.round(snnOps.synOps), annOps.synOps);
row('MACs / sample', snnOps.macs, annOps.macs);
row('estimated energy / sample', `${snnOps.energyNj.toFixed(1)} nJ`, `${annOps.energyNj.toFixed(1)} nJ`);
console.log(`(E = AC x ${ENERGY_PJ.accumulate} pJ + MAC x ${ENERGY_PJ.multiplyAccumulate} pJ; an estimate, not a measurement)`);
