import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { Rng } from '../../src/core/rng.js';
import { backward } from '../../src/core/autograd.js';
import { linear, sigmoid } from '../../src/ops/index.js';
import { leakySequence, spikeLinearLeaky } from '../../src/neurons/leaky.js';
import { atan } from '../../src/surrogate/index.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import type { Kernels } from '../../src/kernels/types.js';
import { snnClassifier } from '../../src/nn/models.js';
import { rateEncode } from '../../src/encode/index.js';
import { spikingTask } from '../../src/train/task.js';
import { runBatch } from '../../src/train/step.js';
import { wasmBuilds } from '../helpers/kernels.js';

// The training fusion of Linear (over data spikes) -> Leaky (spikeLinearLeaky) must give the graph of
// linear() then leakySequence() exactly: same spikes, same gradients of W, b, beta and of the layer after.

const rng = new Rng(41);
const _randf = (n: number, s = 1) => Float32Array.from({ length: n }, () => s * rng.normal());

function expectSame(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i] + 0, b[i] + 0)) expect.fail(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

function run(k: Kernels, fused: boolean, rate: boolean, learnBeta: boolean, seed: number) {
  const r = new Rng(seed);
  const T = 6,
    B = 3,
    K = 30,
    H = 21,
    O = 4;
  const values = new Tensor(
    Float32Array.from({ length: B * K }, () => r.uniform()),
    [B, K],
  );
  const seq = rateEncode(values, T, r, 1, k);
  const spikes = seq.x; // the same spikes, drawn in JavaScript-visible memory
  const w = new Tensor(
    Float32Array.from({ length: K * H }, () => 0.3 * r.normal()),
    [K, H],
    { requiresGrad: true },
  );
  const b = new Tensor(
    Float32Array.from({ length: H }, () => 0.1 * r.normal()),
    [H],
    { requiresGrad: true },
  );
  const p = new Tensor(
    Float32Array.from({ length: H }, () => 1 + r.normal()),
    [H],
    { requiresGrad: learnBeta },
  );
  const w2 = new Tensor(
    Float32Array.from({ length: H * O }, () => r.normal()),
    [H, O],
    { requiresGrad: true },
  );
  const beta = learnBeta
    ? sigmoid(p)
    : new Tensor(
        Float32Array.from({ length: H }, (_, i) => 0.6 + 0.01 * i),
        [H],
      );
  const o = { beta, threshold: 1, reset: 'subtract' as const, surrogate: atan(), kernels: k, keepMem: false };
  const src = rate ? { values: seq.values, keys: seq.keys, gain: 1 } : { spikes };
  const lif = fused ? spikeLinearLeaky(src, T, w, b, o) : leakySequence(linear(spikes, w, b, k), { ...o, steps: T, constInput: false });
  const out = linear(lif.spk, w2, null, k);
  backward(
    out,
    Float32Array.from({ length: T * B * O }, () => r.normal()),
  );
  return { spk: lif.spk.data, count: lif.spikes, dw: w.grad!, db: b.grad!, dp: p.grad, dw2: w2.grad! };
}

describe('spikeLinearLeaky (training fusion) equals linear() then leakySequence()', () => {
  for (const [name, k] of [['reference', referenceKernels] as [string, Kernels], ...wasmBuilds()]) {
    for (const rate of [false, true])
      for (const learnBeta of [false, true]) {
        it(`${rate ? 'rate values drawn in the kernel' : 'a spike sequence'}, ${learnBeta ? 'learnable' : 'fixed'} beta (${name})`, () => {
          const a = run(k, false, rate, learnBeta, 7);
          const f = run(k, true, rate, learnBeta, 7);
          expect(f.count).toBe(a.count);
          expect(f.count).toBeGreaterThan(0);
          expectSame(f.spk, a.spk, 'spikes');
          expectSame(f.dw, a.dw, 'dW');
          expectSame(f.db, a.db, 'db');
          expectSame(f.dw2, a.dw2, 'dW of the next layer');
          if (learnBeta) expectSame(f.dp!, a.dp!, 'd beta logit');
          else expect(f.dp).toBeNull();
        });
      }
  }

  it('refuses what it cannot run: per-neuron or learnable thresholds, a custom surrogate, a frozen weight', () => {
    const w = new Tensor(new Float32Array(6), [3, 2], { requiresGrad: true });
    const src = { spikes: new Tensor(new Uint8Array(2 * 1 * 3), [2, 1, 3]) };
    const o = {
      beta: new Tensor(Float32Array.of(0.5, 0.5), [2]),
      threshold: 1 as number | Tensor,
      reset: 'subtract' as const,
      surrogate: atan(),
      kernels: referenceKernels,
    };
    expect(() => spikeLinearLeaky(src, 2, w, null, o)).not.toThrow();
    expect(() => spikeLinearLeaky(src, 2, w, null, { ...o, threshold: new Tensor(Float32Array.of(1, 2), [2]) })).toThrow(
      /one fixed threshold/,
    );
    expect(() =>
      spikeLinearLeaky(src, 2, w, null, { ...o, threshold: new Tensor(Float32Array.of(1), [1], { requiresGrad: true }) }),
    ).toThrow(/one fixed threshold/);
    expect(() => spikeLinearLeaky(src, 2, w, null, { ...o, surrogate: { ...atan(), code: null } })).toThrow(/closed-form surrogate/);
    expect(() => spikeLinearLeaky(src, 2, new Tensor(new Float32Array(6), [3, 2]), null, o)).toThrow(/trainable weight/);
  });

  it('a Sequential training step takes it for spike input, and its gradients equal the unfused graph', () => {
    const [[, k]] = wasmBuilds();
    let calls = 0;
    const counting: Kernels = { ...k, spikeSeqLeakyForward: (...a) => (calls++, k.spikeSeqLeakyForward(...a)) };
    const x = new Tensor(
      Float32Array.from({ length: 4 * 20 }, () => rng.uniform()),
      [4, 20],
    );
    const y = Int32Array.of(0, 1, 2, 1);
    const grads = (kern: Kernels, seqOf: (m: ReturnType<typeof snnClassifier>) => Parameters<typeof runBatch>[2]) => {
      const m = snnClassifier({ inputs: 20, hidden: [16], outputs: 3, beta: 0.9 }, new Rng(3));
      runBatch(m, spikingTask('membrane'), seqOf(m), y, kern, true);
      return m.trainable().map((t) => t.grad!.slice());
    };
    const fused = grads(counting, () => rateEncode(x, 8, new Rng(5), 1, k));
    expect(calls).toBe(1);
    // the same spikes as a plain sequence tensor that requires grad: no fusion (its gradient is wanted)
    const plain = grads(k, () => {
      const s = rateEncode(x, 8, new Rng(5), 1, k).x;
      return { x: new Tensor(s.data, s.shape, { requiresGrad: true }), steps: 8, constant: false };
    });
    fused.forEach((g, i) => expectSame(g, plain[i], `parameter ${i}`));
  });
});
