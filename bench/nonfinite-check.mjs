// node bench/nonfinite-check.mjs — what the non-finite check of every training step costs (issue: < 1%).
// The check (src/train/step.ts nonFiniteGradient: the loss, then each parameter's gradient: column sums by
// the kernels for large ones, a JavaScript pass for small ones) runs inside every
// training step on each thread over that thread's own gradients. Here, for snnTorch tutorial 5's network
// (784-1000-10, T = 25, batch 128, direct and rate input) and tutorial 6's CSNN (T = 25, batch 128):
// the time of a whole training step (trainEpoch, 1 and 2 threads) against the time of the check alone over
// the same gradients. Env: CHECK_BATCHES (timed batches, default 30).
import {
  Rng,
  snnClassifier,
  csnnClassifier,
  fastSigmoid,
  Adam,
  spikingTask,
  trainEpoch,
  directEncode,
  rateEncode,
  defaultKernels,
  nonFiniteGradient,
} from '../dist/index.js';
import { loadMnist, DataParallel, enableRelaxedSimd } from '../dist/node.js';

enableRelaxedSimd();
const batches = Number(process.env.CHECK_BATCHES ?? 30);
const data = await loadMnist({ dataset: 'mnist', download: false });
const train = { inputs: data.train.images, labels: data.train.labels, n: data.train.n, features: 784 };
const kernels = defaultKernels();
const configs = [
  {
    name: '784-1000-10 direct',
    make: (r) => snnClassifier({ inputs: 784, hidden: [1000], outputs: 10, beta: 0.95 }, r),
    encoder: (x) => directEncode(x, 25),
  },
  {
    name: '784-1000-10 rate',
    make: (r) => snnClassifier({ inputs: 784, hidden: [1000], outputs: 10, beta: 0.95 }, r),
    encoder: (x, rng) => rateEncode(x, 25, rng),
  },
  {
    name: 'CSNN 12C5-MP2-64C5-MP2-1024FC10',
    make: (r) => csnnClassifier({ input: [1, 28, 28], channels: [12, 64], outputs: 10, beta: 0.5, surrogate: fastSigmoid() }, r),
    encoder: (x) => directEncode(x, 25),
    batches: 8,
  },
];
const rows = [];
for (const c of configs) {
  for (const threads of [1, 2]) {
    const model = c.make(new Rng(1));
    const task = spikingTask();
    const optimizer = new Adam(model.trainable(), { lr: 5e-4 });
    const parallel = threads > 1 ? await DataParallel.create(model, task, kernels, threads, optimizer) : undefined;
    const o = { model, task, optimizer, kernels, encoder: c.encoder, batchSize: 128, rng: new Rng(2), parallel };
    await trainEpoch(train, { ...o, maxBatches: 3 }); // warm-up
    const n = c.batches ?? batches;
    const r = await trainEpoch(train, { ...o, maxBatches: n });
    await parallel?.close();
    const stepMs = (1000 * r.seconds) / n;
    // the check over the gradients this thread holds (all of them on one thread; every worker checks its own, in parallel)
    const grads = model
      .parameters()
      .map((p) => p.tensor.grad)
      .filter(Boolean);
    for (let i = 0; i < 20; i++) nonFiniteGradient(model, kernels);
    const reps = 200;
    const t0 = performance.now();
    let ok = 0;
    for (let i = 0; i < reps; i++) ok += nonFiniteGradient(model, kernels) === undefined ? 1 : 0;
    const checkMs = (performance.now() - t0) / reps;
    if (ok !== reps) throw new Error('non-finite gradients in the benchmark');
    const values = grads.reduce((s, g) => s + g.length, 0);
    rows.push({ config: c.name, threads, values, stepMs, checkMs, percent: (100 * checkMs) / stepMs });
  }
}
console.log('| network | threads | gradient values | step (ms) | check (ms) | check / step |');
console.log('|---|---|---|---|---|---|');
for (const r of rows)
  console.log(`| ${r.config} | ${r.threads} | ${r.values} | ${r.stepMs.toFixed(1)} | ${r.checkMs.toFixed(3)} | ${r.percent.toFixed(2)}% |`);
