import { describe, expect, it } from 'vitest';
import {
  Rng,
  snnClassifier,
  Adam,
  spikingTask,
  trainEpoch,
  evaluate,
  directEncode,
  defaultKernels,
  NonFiniteError,
  ShapeError,
  ValueError,
  scale,
  nonFiniteGradient,
} from '../../dist/index.js';
import { DataParallel } from '../../dist/node.js';

// A NaN or infinity anywhere in training stops it with a NonFiniteError naming the tensor, the batch and
// the step, before the optimizer step: the parameters keep their values from before that batch.
const kernels = defaultKernels();
const F = 12;
const N = 64;

function dataset(seed: number) {
  const rng = new Rng(seed);
  const inputs = new Float32Array(N * F).map(() => rng.uniform());
  const labels = new Int32Array(N).map((_, i) => i % 3);
  return { inputs, labels, n: N, features: F };
}
const snapshot = (m: ReturnType<typeof snnClassifier>) => m.parameters().map((p) => Float32Array.from(p.tensor.data as Float32Array));

async function trainUntilError(o: {
  data?: ReturnType<typeof dataset>;
  task?: ReturnType<typeof spikingTask>;
  encoder?: Parameters<typeof trainEpoch>[1]['encoder'];
  threads?: number;
}) {
  const model = snnClassifier({ inputs: F, hidden: [10], outputs: 3, beta: 0.9 }, new Rng(1));
  const optimizer = new Adam(model.trainable(), { lr: 1e-2 });
  const task = o.task ?? spikingTask();
  const parallel = o.threads ? await DataParallel.create(model, task, kernels, o.threads, optimizer) : undefined;
  let last = snapshot(model);
  let error: unknown;
  try {
    await trainEpoch(o.data ?? dataset(2), {
      model,
      task,
      optimizer,
      kernels,
      rng: new Rng(3),
      batchSize: 8,
      epoch: 2,
      parallel,
      encoder: o.encoder ?? ((x) => directEncode(x, 5)),
      onBatch: () => {
        last = snapshot(model);
      },
    });
  } catch (e) {
    error = e;
  }
  await parallel?.close();
  const now = snapshot(model);
  return {
    error: error as InstanceType<typeof NonFiniteError>,
    unchanged: now.every((p, i) => p.every((v, k) => Object.is(v, last[i][k]))),
    finite: now.every((p) => p.every(Number.isFinite)),
  };
}

describe('non-finite values stop training', () => {
  it('a NaN input value: names the sample, the feature, the batch and the step; parameters untouched', async () => {
    const data = dataset(2);
    // shuffled by Rng(3): find the batch that holds sample 37
    const perm = new Rng(3).permutation(N);
    const pos = Array.from(perm).indexOf(37);
    data.inputs[37 * F + 5] = NaN;
    const { error, unchanged, finite } = await trainUntilError({ data });
    expect(error).toBeInstanceOf(NonFiniteError);
    expect(error.tensor).toBe('input');
    expect(error.batch).toBe(Math.floor(pos / 8) + 1);
    expect(error.step).toBe(8 + error.batch); // epoch 2 of 8 batches each
    expect(error.message).toMatch(
      new RegExp(`training sample 37 holds NaN at feature 5 at epoch 2, batch ${error.batch}/8 \\(step ${error.step}\\)`),
    );
    expect(unchanged && finite).toBe(true);
  });

  const poisonAt = (batch: number, value: number) => {
    let calls = 0;
    return (x: InstanceType<typeof import('../../dist/index.js').Tensor>) => {
      if (++calls === batch) (x.data as Float32Array)[x.data.length - 1] = value;
      return directEncode(x, 5);
    };
  };

  const currents = [
    { value: NaN, batch: 3, why: 'a NaN current is hidden by the spike threshold in the forward pass, not in the gradient' },
    {
      value: Infinity,
      batch: 2,
      why: 'an infinite current: the loss stays finite (saturated spikes), the weight gradient of the first layer does not',
    },
  ];
  for (const c of currents) {
    it(`${c.why}: on one thread and on two`, async () => {
      for (const threads of [0, 2]) {
        const { error, unchanged, finite } = await trainUntilError({ encoder: poisonAt(c.batch, c.value), threads });
        expect(error).toBeInstanceOf(NonFiniteError);
        expect(error.tensor).toBe('gradient of 0.weight');
        expect(error.batch).toBe(c.batch);
        expect(error.message).toMatch(
          new RegExp(`the gradient of 0\\.weight is not finite at epoch 2, batch ${c.batch}/8 \\(step ${8 + c.batch}\\)`),
        );
        expect(unchanged && finite).toBe(true);
      }
    });
  }

  it('a loss that is not finite: tensor "loss"', async () => {
    const base = spikingTask();
    let calls = 0;
    const task = {
      ...base,
      loss: (r: Parameters<typeof base.loss>[0], y: Parameters<typeof base.loss>[1]) => scale(base.loss(r, y), ++calls === 4 ? NaN : 1),
    };
    const { error, unchanged, finite } = await trainUntilError({ task });
    expect(error).toBeInstanceOf(NonFiniteError);
    expect(error.tensor).toBe('loss');
    expect(error.batch).toBe(4);
    expect(error.message).toMatch(/the loss is NaN at epoch 2, batch 4\/8 \(step 12\)/);
    expect(unchanged && finite).toBe(true);
  });

  it('evaluate refuses an empty set and names a non-finite test sample', async () => {
    const model = snnClassifier({ inputs: F, hidden: [4], outputs: 3, beta: 0.9 }, new Rng(1));
    const o = { model, task: spikingTask(), encoder: (x: any) => directEncode(x, 3), rng: new Rng(0), kernels };
    await expect(evaluate({ inputs: new Float32Array(0), labels: new Int32Array(0), n: 0, features: F }, o)).rejects.toBeInstanceOf(
      ShapeError,
    );
    const data = dataset(4);
    data.inputs[9 * F] = -Infinity;
    await expect(evaluate(data, o)).rejects.toThrow(/evaluate: test sample 9 holds -Infinity at feature 0/);
    await expect(evaluate(data, o)).rejects.toBeInstanceOf(ValueError);
  });
});

describe('nonFiniteGradient', () => {
  // 100 x 11 + 11: the large path (column sums of 64-value rows, then the tail) and the small one
  const model = snnClassifier({ inputs: 100, hidden: [11], outputs: 2, beta: 0.9 }, new Rng(1));
  const w = model.parameters()[0];
  const reset = () =>
    model.parameters().forEach((p) => {
      p.tensor.grad = new Float32Array(p.tensor.size).fill(0.5);
    });
  it('finds a NaN or an infinity anywhere, and is not fooled by float32 sums that overflow', () => {
    expect(w.tensor.size).toBe(1100);
    for (const at of [0, 63, 64, 1023, 1024, 1099]) {
      for (const v of [NaN, Infinity, -Infinity]) {
        reset();
        w.tensor.grad![at] = v;
        expect(nonFiniteGradient(model, kernels)).toBe(`gradient of ${w.name}`);
      }
    }
    reset();
    model.parameters()[1].tensor.grad![10] = NaN; // the bias of 11 values
    expect(nonFiniteGradient(model, kernels)).toBe(`gradient of ${model.parameters()[1].name}`);
    reset();
    // finite values whose column sum overflows float32: still finite
    for (let r = 0; r < 17; r++) w.tensor.grad![r * 64 + 5] = 3e38;
    expect(nonFiniteGradient(model, kernels)).toBeUndefined();
  });
});
