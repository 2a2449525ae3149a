import { describe, expect, it } from 'vitest';
// Worker threads load compiled JavaScript, so this test runs the built package (npm test builds first).
import {
  Rng,
  snnClassifier,
  Adam,
  spikingTask,
  trainEpoch,
  evaluate,
  directEncode,
  rateEncode,
  defaultKernels,
  runBatch,
} from '../../dist/index.js';
import { loadMnist, DataParallel } from '../../dist/node.js';

const data = await loadMnist({ dataset: 'mnist', download: false });
const train = { inputs: data.train.images.subarray(0, 2000 * 784), labels: data.train.labels.subarray(0, 2000), n: 2000, features: 784 };
const test = { inputs: data.test.images.subarray(0, 500 * 784), labels: data.test.labels.subarray(0, 500), n: 500, features: 784 };
const kernels = defaultKernels();

describe('DataParallel (worker threads over SharedArrayBuffer)', () => {
  it('gives the same gradients as one thread for one batch (up to float summation order)', async () => {
    const task = spikingTask();
    const a = snnClassifier({ inputs: 784, hidden: [64], outputs: 10, beta: 0.9 }, new Rng(5));
    const b = snnClassifier({ inputs: 784, hidden: [64], outputs: 10, beta: 0.9 }, new Rng(5));
    const x = new Float32Array(50 * 784).map((_, i) => train.inputs[i] / 255);
    const y = Int32Array.from(train.labels.subarray(0, 50));
    const { Tensor } = await import('../../dist/index.js');
    const seq = rateEncode(new Tensor(x, [50, 784]), 8, new Rng(9));
    // inference first (fused kernel drawing each sample's spikes; workers get values and keys only)
    const parInfer = await DataParallel.create(
      snnClassifier({ inputs: 784, hidden: [64], outputs: 10, beta: 0.9 }, new Rng(5)),
      task,
      kernels,
      3,
    );
    const oneInfer = runBatch(a, task, seq, y, kernels, false);
    const manyInfer = await parInfer.run(seq, y, false);
    await parInfer.close();
    expect(Array.from(manyInfer.predictions)).toEqual(Array.from(oneInfer.predictions));
    expect(manyInfer.spikeCounts).toEqual(oneInfer.spikeCounts);
    const one = runBatch(a, task, seq, y, kernels, true);
    expect(one.spikeCounts).toEqual(oneInfer.spikeCounts); // training draws the same spikes (materialised)
    const par = await DataParallel.create(b, task, kernels, 3);
    const many = await par.run(seq, y, true);
    await par.reduce();
    await par.close();
    expect(many.loss).toBeCloseTo(one.loss, 4);
    expect(Array.from(many.predictions)).toEqual(Array.from(one.predictions));
    expect(many.spikeCounts).toEqual(one.spikeCounts);
    a.trainable().forEach((p: any, j: number) => {
      const q = b.trainable()[j];
      let worst = 0;
      for (let i = 0; i < p.grad.length; i++) worst = Math.max(worst, Math.abs(p.grad[i] - q.grad[i]));
      expect(worst).toBeLessThan(1e-4);
    });
  });
  it('trains to the same quality with 2 threads', async () => {
    const rng = new Rng(3);
    const model = snnClassifier({ inputs: 784, hidden: [128], outputs: 10, beta: 0.95 }, new Rng(3));
    const task = spikingTask();
    const encoder = (x: any) => directEncode(x, 10);
    const optimizer = new Adam(model.trainable(), { lr: 2e-3 });
    const parallel = await DataParallel.create(model, task, kernels, 2, optimizer);
    await trainEpoch(train, { model, task, optimizer, encoder, batchSize: 64, rng, kernels, parallel });
    const ev = await evaluate(test, { model, task, encoder, rng, kernels, parallel });
    await parallel.close();
    expect(ev.accuracy).toBeGreaterThan(0.8);
  });
});

describe('DataParallel and the kernel thread pool: one thread model at a time', () => {
  it("runs the main thread's kernels on one thread while it lives, and gives their threads back on close", async () => {
    const { createWasmKernelsSync, kernelThreads } = await import('../../dist/index.js');
    const k = createWasmKernelsSync({ threads: 3 });
    expect(kernelThreads(k)).toBe(3);
    const model = snnClassifier({ inputs: 784, hidden: [16], outputs: 10, beta: 0.9 }, new Rng(1));
    const par = await DataParallel.create(model, spikingTask(), k, 2);
    expect(kernelThreads(k)).toBe(1);
    await par.close();
    expect(kernelThreads(k)).toBe(3);
    k.close();
  });
});

describe('DataParallel step: gradient sum and Adam split over threads', () => {
  it('equals a single-thread Adam step on the same batch', async () => {
    const task = spikingTask();
    const a = snnClassifier({ inputs: 784, hidden: [40], outputs: 10, beta: 0.9 }, new Rng(8));
    const b = snnClassifier({ inputs: 784, hidden: [40], outputs: 10, beta: 0.9 }, new Rng(8));
    const { Tensor } = await import('../../dist/index.js');
    const x = new Tensor(
      new Float32Array(30 * 784).map((_, i) => train.inputs[i] / 255),
      [30, 784],
    );
    const y = Int32Array.from(train.labels.subarray(0, 30));
    const seq = directEncode(x, 6);
    const optA = new Adam(a.trainable(), { lr: 1e-2 });
    const optB = new Adam(b.trainable(), { lr: 1e-2 });
    const par = await DataParallel.create(b, task, kernels, 2, optB);
    for (let step = 0; step < 3; step++) {
      runBatch(a, task, seq, y, kernels, true);
      optA.step();
      await par.run(seq, y, true);
      await par.step(optB);
    }
    await par.close();
    const worstDiff = (xs: Float32Array[], ys: Float32Array[]) => {
      let worst = 0;
      xs.forEach((x, j) => {
        for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - ys[j][i]));
      });
      return worst;
    };
    expect(
      worstDiff(
        a.trainable().map((p: any) => p.data),
        b.trainable().map((p: any) => p.data),
      ),
    ).toBeLessThan(1e-4);
    // the moments each thread held come back into the optimizer on close ...
    const [sa, sb] = [optA.state(), optB.state()];
    expect(worstDiff(sa.m, sb.m)).toBeLessThan(1e-5);
    expect(worstDiff(sa.v, sb.v)).toBeLessThan(1e-7);
    expect(sb.v.some((v: Float32Array) => v.some((x) => x > 0))).toBe(true);
    // ... so training goes on in this thread from where the threads left it
    for (const [m, o] of [
      [a, optA],
      [b, optB],
    ] as const) {
      runBatch(m, task, seq, y, kernels, true);
      o.step();
    }
    expect(
      worstDiff(
        a.trainable().map((p: any) => p.data),
        b.trainable().map((p: any) => p.data),
      ),
    ).toBeLessThan(1e-4);
  });
});
