#!/usr/bin/env node
// The CSNN with AvgPool2d of issue 17's interop target ("a CSNN with AvgPool2d likewise"): `spikeflow
// train --model csnn` pools with MaxPool2d, which NIR cannot express, so this script builds the network
// with the library API and trains it as `spikeflow train` would (Adam, the membrane loss, direct input):
//
//   Conv2d(1 -> 8, 5x5) - AvgPool2d(2) - Leaky - Conv2d(8 -> 16, 5x5) - AvgPool2d(2) - Leaky
//   - Flatten - Linear(256 -> 10) - Leaky          (every Leaky: beta 0.95, reset to zero)
//
// and saves a checkpoint that `spikeflow eval --checkpoint` and `spikeflow nir export` read:
//
//   npx tsc -p tsconfig.build.json
//   node tools/nir-interop-csnn.mjs OUT_DIR [--epochs 1] [--steps 25] [--seed 0] [--train-limit N]
//
// Then tools/nir-interop-mnist.py measures the exported graph in snnTorch (see there).
import { parseArgs } from 'node:util';
import { AvgPool2d, Adam, Conv2d, Flatten, Leaky, Linear, Rng, Sequential, atan, defaultKernels, spikingTask } from '../dist/index.js';
import { evaluate } from '../dist/train/trainer.js';
import { saveCheckpoint } from '../dist/train/checkpoint.js';
import { encoderFor, fitWithProgress, loadClassificationData } from '../dist/cli/common.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    epochs: { type: 'string', default: '1' },
    steps: { type: 'string', default: '25' },
    seed: { type: 'string', default: '0' },
    'train-limit': { type: 'string' },
  },
});
if (positionals.length !== 1) {
  process.stderr.write('usage: node tools/nir-interop-csnn.mjs OUT_DIR [--epochs 1] [--steps 25] [--seed 0] [--train-limit N]\n');
  process.exit(2);
}
const out = positionals[0];
const epochs = Number(values.epochs);
const steps = Number(values.steps);
const seed = Number(values.seed);
const trainLimit = values['train-limit'] === undefined ? undefined : Number(values['train-limit']);
const batch = 128;
const lr = 5e-4;
const beta = 0.95;

const rng = new Rng(seed);
const { train, test, source } = await loadClassificationData({ dataset: 'mnist', trainLimit });
process.stderr.write(`data: mnist from ${source}: ${train.n} train / ${test.n} test samples\n`);
const r = rng.fork();
const leaky = (size) => new Leaky({ size, beta, reset: 'zero', surrogate: atan() });
const model = new Sequential([
  new Conv2d({ inChannels: 1, outChannels: 8, kernel: 5, inputSize: [28, 28], rng: r }),
  new AvgPool2d(2),
  leaky(8 * 12 * 12),
  new Conv2d({ inChannels: 8, outChannels: 16, kernel: 5, rng: r }),
  new AvgPool2d(2),
  leaky(16 * 4 * 4),
  new Flatten(),
  new Linear(256, 10, { rng: r }),
  leaky(10),
]);
const kernels = defaultKernels();
const optimizer = new Adam(model.trainable(), { lr });
const task = spikingTask('membrane');
const encoder = encoderFor('direct', steps);
const fit = await fitWithProgress({
  label: 'csnn-avgpool',
  train,
  epochs,
  batch,
  epochOptions: { model, task, optimizer, encoder, rng, kernels },
});
const ev = await evaluate(test, { model, task, encoder, rng, kernels });
await saveCheckpoint(out, model, {
  dataset: 'mnist',
  model: 'csnn-avgpool',
  steps,
  encoding: 'direct',
  seed,
  epochs,
  batch,
  lr,
  loss: 'membrane',
  reset: 'zero',
  testAccuracy: ev.accuracy,
});
process.stdout.write(
  `test accuracy   ${(100 * ev.accuracy).toFixed(2)}% (${ev.samples} samples); trained ${fit.samples} samples in ${fit.seconds.toFixed(0)} s\n` +
    `checkpoint      ${out}\n`,
);
