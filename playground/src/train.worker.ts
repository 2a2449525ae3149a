// Web Worker: trains a small SNN (64-H-10 LIF, direct input, BPTT with surrogate gradients) on the 8x8
// UCI digits and streams progress to the page. The main thread stays responsive.
import {
  Rng,
  Adam,
  snnClassifier,
  spikingTask,
  trainEpoch,
  evaluate,
  directEncode,
  defaultKernels,
  type Dataset,
} from '../../src/index.js';

export interface TrainRequest {
  dataUrl: string;
  epochs: number;
  hidden: number;
  steps: number;
  lr: number;
  batch: number;
  seed: number;
}
export type TrainMessage =
  | { type: 'batch'; step: number; totalSteps: number; loss: number; accuracy: number; samplesPerSec: number }
  | { type: 'epoch'; epoch: number; step: number; loss: number; accuracy: number; testAccuracy: number }
  | { type: 'done'; testAccuracy: number; seconds: number }
  | { type: 'error'; message: string };

interface Split {
  n: number;
  labels: number[];
  images: string;
}

function decode(s: Split, max: number): Dataset {
  const bin = atob(s.images);
  const inputs = new Float32Array(bin.length);
  for (let i = 0; i < bin.length; i++) inputs[i] = bin.charCodeAt(i) / max;
  return { inputs, labels: Int32Array.from(s.labels), n: s.n, features: inputs.length / s.n };
}

const post = (m: TrainMessage) => (self as unknown as Worker).postMessage(m);

self.onmessage = async (ev: MessageEvent<TrainRequest>) => {
  const o = ev.data;
  try {
    const t0 = performance.now();
    const data = await (await fetch(o.dataUrl)).json();
    const train = decode(data.train, data.max);
    const test = decode(data.test, data.max);
    const rng = new Rng(o.seed);
    const model = snnClassifier({ inputs: train.features, hidden: [o.hidden], outputs: 10, beta: 0.9 }, rng.fork());
    const task = spikingTask('membrane');
    const kernels = defaultKernels();
    const optimizer = new Adam(model.trainable(), { lr: o.lr });
    const encoder = (x: Parameters<typeof directEncode>[0]) => directEncode(x, o.steps);
    const perEpoch = Math.floor(train.n / o.batch);
    let step = 0;
    let testAccuracy = 0;
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const r = await trainEpoch(train, {
        model,
        task,
        optimizer,
        encoder,
        batchSize: o.batch,
        rng,
        kernels,
        epoch,
        onBatch: (b) => {
          step++;
          if (b.batch % 4 === 0 || b.batch === b.batches)
            post({
              type: 'batch',
              step,
              totalSteps: perEpoch * o.epochs,
              loss: b.loss,
              accuracy: b.accuracy,
              samplesPerSec: b.samplesPerSec,
            });
        },
      });
      const ev2 = await evaluate(test, { model, task, encoder, rng, kernels, batchSize: 500 });
      testAccuracy = ev2.accuracy;
      post({ type: 'epoch', epoch, step, loss: r.loss, accuracy: r.accuracy, testAccuracy });
    }
    post({ type: 'done', testAccuracy, seconds: (performance.now() - t0) / 1000 });
  } catch (e) {
    post({ type: 'error', message: (e as Error).message });
  }
};
