import { describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist.js';
import { Rng } from '../../src/core/rng.js';
import { snnClassifier, annClassifier } from '../../src/nn/models.js';
import { Adam } from '../../src/train/optim.js';
import { spikingTask, annTask } from '../../src/train/task.js';
import { trainEpoch, evaluate, type Dataset } from '../../src/train/trainer.js';
import { directEncode, rateEncode } from '../../src/encode/index.js';
import { defaultKernels } from '../../src/kernels/default.js';

// Small real-data training runs (the full-dataset runs are CLI commands, see BENCHMARKS.md).
const data = await loadMnist({ dataset: 'mnist', download: false });
const take = (s: typeof data.train, from: number, n: number): Dataset => ({
  inputs: s.images.subarray(from * 784, (from + n) * 784),
  labels: s.labels.subarray(from, from + n),
  n,
  features: 784,
});
const train = take(data.train, 0, 3000);
const test = take(data.test, 0, 1000);
const kernels = defaultKernels();

async function fit(encoding: 'direct' | 'rate', seed: number, l1Rate = 0) {
  const rng = new Rng(seed);
  const model = snnClassifier({ inputs: 784, hidden: [200], outputs: 10, beta: 0.95 }, new Rng(seed));
  const task = spikingTask('membrane', { l1Rate });
  const encoder = encoding === 'direct' ? (x: any) => directEncode(x, 10) : (x: any, r: Rng) => rateEncode(x, 10, r);
  const optimizer = new Adam(model.trainable(), { lr: 2e-3 });
  const tr = await trainEpoch(train, { model, task, optimizer, encoder, batchSize: 64, rng, kernels });
  const ev = await evaluate(test, { model, task, encoder, rng, kernels });
  return { tr, ev, weights: Float32Array.from(model.trainable()[0].data) };
}

describe('training on real MNIST (3000 samples, 1 epoch)', () => {
  it('the L1 spike-rate regulariser makes the hidden layer sparser at little cost in accuracy', async () => {
    const plain = await fit('direct', 2);
    const sparse = await fit('direct', 2, 0.01);
    expect(sparse.ev.spikeRates[0]).toBeLessThan(0.6 * plain.ev.spikeRates[0]);
    expect(sparse.ev.accuracy).toBeGreaterThan(0.75);
  });

  it('direct input learns (loss falls, test accuracy well above chance) and is reproducible', async () => {
    const a = await fit('direct', 1);
    expect(a.ev.accuracy).toBeGreaterThan(0.8);
    expect(a.ev.spikeRates).toHaveLength(2);
    expect(a.ev.spikeRates[0]).toBeGreaterThan(0);
    expect(a.ev.spikeRates[0]).toBeLessThan(1);
    const b = await fit('direct', 1);
    expect(b.ev.accuracy).toBe(a.ev.accuracy);
    expect(b.weights).toEqual(a.weights);
  });
  it('rate input learns', async () => {
    const r = await fit('rate', 2);
    expect(r.ev.accuracy).toBeGreaterThan(0.7);
  });
  it('the ANN baseline learns with the same trainer', async () => {
    const rng = new Rng(4);
    const model = annClassifier({ inputs: 784, hidden: [200], outputs: 10 }, new Rng(4));
    const task = annTask();
    const encoder = (x: any) => directEncode(x, 1);
    await trainEpoch(train, { model, task, optimizer: new Adam(model.trainable(), { lr: 2e-3 }), encoder, batchSize: 64, rng, kernels });
    expect((await evaluate(test, { model, task, encoder, rng, kernels })).accuracy).toBeGreaterThan(0.8);
  });
});
