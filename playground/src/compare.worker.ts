// Web Worker for the SNN-vs-ANN page: trains a 64-H-10 SNN (Leaky neurons, direct or rate-coded input, BPTT
// with the fast-sigmoid surrogate) and its same-topology ANN (ReLU where the SNN has Leaky neurons, one pass)
// on the 8x8 UCI digits with the same optimiser, batches and seed, scores both on the test set, and counts
// what one inference costs with estimateOps (as examples/06-snn-vs-ann.mjs does for MNIST).
import {
  Adam,
  Rng,
  annClassifier,
  annTask,
  defaultKernels,
  directEncode,
  estimateOps,
  evaluate,
  rateEncode,
  snnClassifier,
  spikingTask,
  trainEpoch,
  type Dataset,
  type Sequential,
  type Task,
  type Tensor,
} from '../../src/index.js';

/** estimateOps' result (its type is not exported by name). */
export type OpsEstimate = ReturnType<typeof estimateOps>;

export interface CompareRequest {
  dataUrl: string;
  hidden: number;
  steps: number;
  epochs: number;
  lr: number;
  batch: number;
  beta: number;
  encoding: 'direct' | 'rate';
  seed: number;
  /** Use only the first n training images (0: all 3823). */
  trainLimit: number;
}

export interface NetResult {
  accuracy: number;
  trainSeconds: number;
  testSeconds: number;
  ops: OpsEstimate;
}

export type CompareMessage =
  | { type: 'progress'; net: 'snn' | 'ann'; step: number; totalSteps: number; loss: number }
  | {
      type: 'done';
      snn: NetResult;
      ann: NetResult;
      /** Mean spikes per test sample: the input (rate coding; undefined for direct input) and the hidden layer. */
      inputSpikes: number | undefined;
      hiddenSpikes: number;
      testN: number;
    }
  | { type: 'error'; message: string };

interface Split {
  n: number;
  labels: number[];
  images: string;
}

function decode(s: Split, max: number, limit = 0): Dataset {
  const n = limit > 0 ? Math.min(limit, s.n) : s.n;
  const bin = atob(s.images);
  const features = bin.length / s.n;
  const inputs = new Float32Array(n * features);
  for (let i = 0; i < inputs.length; i++) inputs[i] = bin.charCodeAt(i) / max;
  return { inputs, labels: Int32Array.from(s.labels.slice(0, n)), n, features };
}

const post = (m: CompareMessage) => (self as unknown as Worker).postMessage(m);

self.onmessage = async (ev: MessageEvent<CompareRequest>) => {
  const o = ev.data;
  try {
    const data = await (await fetch(o.dataUrl)).json();
    const train = decode(data.train, data.max, o.trainLimit);
    const test = decode(data.test, data.max);
    const kernels = defaultKernels();
    const spec = { inputs: train.features, hidden: [o.hidden], outputs: 10 };

    type Enc = (x: Tensor, rng: Rng) => ReturnType<typeof directEncode>;
    async function fit(net: 'snn' | 'ann', model: Sequential, task: Task, encoder: Enc, beforeTest = () => {}) {
      const rng = new Rng(o.seed);
      const optimizer = new Adam(model.trainable(), { lr: o.lr });
      const perEpoch = Math.ceil(train.n / o.batch);
      let step = 0;
      const t0 = performance.now();
      for (let epoch = 1; epoch <= o.epochs; epoch++) {
        await trainEpoch(train, {
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
              post({ type: 'progress', net, step, totalSteps: perEpoch * o.epochs, loss: b.loss });
          },
        });
      }
      const trainSeconds = (performance.now() - t0) / 1000;
      beforeTest();
      const t1 = performance.now();
      const r = await evaluate(test, { model, task, encoder, rng: new Rng(o.seed + 1), kernels, batchSize: 500 });
      return { r, trainSeconds, testSeconds: (performance.now() - t1) / 1000 };
    }

    // the SNN; with rate coding, the test set's input spikes are counted as they are drawn
    const snnModel = snnClassifier({ ...spec, beta: o.beta }, new Rng(o.seed));
    let counting = false;
    let inputSpikeTotal = 0;
    const snnEncoder = (x: Tensor, rng: Rng) => {
      if (o.encoding === 'direct') return directEncode(x, o.steps);
      const seq = rateEncode(x, o.steps, rng, 1, kernels);
      if (counting) for (const v of seq.x.data) inputSpikeTotal += v;
      return seq;
    };
    const snn = await fit('snn', snnModel, spikingTask('membrane'), snnEncoder, () => (counting = true));
    const annModel = annClassifier(spec, new Rng(o.seed));
    const ann = await fit('ann', annModel, annTask(), (x) => directEncode(x, 1));

    // per test sample: the hidden layer's spikes (evaluate counts each spiking layer's spikes over the test set)
    const hiddenSpikes = snn.r.spikeCounts[0] / test.n;
    const inputSpikes = o.encoding === 'rate' ? inputSpikeTotal / test.n : undefined;
    const snnOps = estimateOps(snnModel, { steps: o.steps, constantInput: o.encoding === 'direct', spikesIn: [inputSpikes, hiddenSpikes] });
    const annOps = estimateOps(annModel, { steps: 1, constantInput: true, spikesIn: [] });
    post({
      type: 'done',
      snn: { accuracy: snn.r.accuracy, trainSeconds: snn.trainSeconds, testSeconds: snn.testSeconds, ops: snnOps },
      ann: { accuracy: ann.r.accuracy, trainSeconds: ann.trainSeconds, testSeconds: ann.testSeconds, ops: annOps },
      inputSpikes,
      hiddenSpikes,
      testN: test.n,
    });
  } catch (e) {
    post({ type: 'error', message: (e as Error).message });
  }
};
