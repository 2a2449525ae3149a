import { describe, expect, it } from 'vitest';
import { bothKernels } from '../helpers/kernels.js';
import { gradcheck, probe } from '../helpers/gradcheck.js';
import { Tensor } from '../../src/core/tensor.js';
import { Rng } from '../../src/core/rng.js';
import { backward } from '../../src/core/autograd.js';
import { leakySequence } from '../../src/neurons/leaky.js';
import { integrateFireSequence, integrateFireStep } from '../../src/neurons/if.js';
import { leakyInitState } from '../../src/neurons/leaky.js';
import { atan, custom } from '../../src/surrogate/index.js';
import { Leaky } from '../../src/nn/leaky-layer.js';
import { Linear } from '../../src/nn/linear.js';
import { Sequential } from '../../src/nn/sequential.js';
import { sequentialFromConfig } from '../../src/nn/models.js';
import { ShapeError } from '../../src/core/errors.js';

const rng = new Rng(13);
const randn = (n: number, s = 1) => Float32Array.from({ length: n }, () => rng.normal() * s);

describe('learnable threshold of the fused Leaky kernels (snnTorch learn_threshold)', () => {
  for (const [kname, k] of bothKernels) {
    for (const constInput of [false, true]) {
      for (const reset of ['subtract', 'zero', 'none'] as const) {
        it(`finite differences: threshold, input and beta (${kname}, ${reset}, constInput ${constInput})`, () => {
          const T = 8,
            B = 2,
            H = 5;
          const x = new Tensor(
            randn((constInput ? 1 : T) * B * H, 0.5).map((v) => v + 0.4),
            constInput ? [B, H] : [T, B, H],
            { requiresGrad: true },
          );
          const beta = new Tensor(
            Float32Array.from({ length: H }, (_, i) => 0.6 + 0.07 * i),
            [H],
            { requiresGrad: true },
          );
          const thr = new Tensor(Float32Array.of(0.85), [1], { requiresGrad: true });
          const pw = randn(T * B * H);
          // the membrane depends on the threshold through the subtract reset (piecewise linear in it)
          const run = () => leakySequence(x, { steps: T, constInput, beta, threshold: thr, reset, surrogate: atan(), kernels: k });
          const base = Array.from(run().spk.data).join('');
          expect(base).toMatch(/1/);
          const n = gradcheck(
            () => probe(run().mem!, pw),
            [thr, x, beta],
            1e-3,
            2e-3,
            () => Array.from(run().spk.data).join('') === base,
          );
          expect(n).toBeGreaterThan(x.size / 2 + 1);
          // the threshold coordinate itself must have been checked (first leaf)
          thr.grad = null;
          backward(probe(run().mem!, pw));
          if (reset === 'subtract') expect(thr.grad![0]).not.toBe(0);
          else expect(thr.grad![0]).toBe(0); // no path from thr to mem without subtraction
        });
      }
    }
    it(`the spike path: dL/dthr = -sum dL/dS s'(mem - thr) (${kname})`, () => {
      const T = 5,
        H = 4;
      const x = new Tensor(
        randn(T * H, 0.6).map((v) => v + 0.5),
        [T, 1, H],
      );
      const thr = new Tensor(Float32Array.of(1), [1], { requiresGrad: true });
      const s = atan({ alpha: 3 });
      const r = leakySequence(x, {
        steps: T,
        constInput: false,
        beta: new Tensor(new Float32Array(H).fill(0.8), [H]),
        threshold: thr,
        reset: 'none',
        surrogate: s,
        kernels: k,
      });
      const w = randn(T * H);
      backward(probe(r.spk, w));
      let want = 0;
      for (let i = 0; i < T * H; i++) want -= w[i] * s.grad(r.mem!.data[i] - 1);
      expect(thr.grad![0]).toBeCloseTo(want, 4);
    });
  }
  it('a per-neuron threshold tensor runs the TypeScript scan, equal to the kernels where the values agree', () => {
    const [[, k]] = bothKernels;
    const T = 6,
      H = 3;
    const x = new Tensor(
      randn(T * 2 * H, 0.5).map((v) => v + 0.4),
      [T, 2, H],
    );
    const beta = new Tensor(new Float32Array(H).fill(0.7), [H]);
    const a = leakySequence(x, { steps: T, constInput: false, beta, threshold: 0.9, reset: 'zero', surrogate: atan(), kernels: k });
    const b = leakySequence(x, {
      steps: T,
      constInput: false,
      beta,
      threshold: new Tensor(new Float32Array(H).fill(0.9), [H]),
      reset: 'zero',
      surrogate: atan(),
      kernels: k,
    });
    expect(Array.from(b.spk.data)).toEqual(Array.from(a.spk.data));
    b.mem!.data.forEach((v, i) => expect(v).toBeCloseTo(a.mem!.data[i], 6));
    expect(() =>
      leakySequence(x, { steps: T, constInput: false, beta, threshold: Tensor.zeros([2]), reset: 'zero', surrogate: atan(), kernels: k }),
    ).toThrow(ShapeError);
  });
  it('Leaky layer: learnThreshold is a named parameter, moves with SGD and survives the config round trip', () => {
    const [[, k]] = bothKernels;
    const r = new Rng(1);
    const model = new Sequential([new Linear(4, 6, { rng: r }), new Leaky({ size: 6, beta: 0.8, learnThreshold: true, threshold: 0.7 })]);
    expect(model.parameters().map((p) => p.name)).toEqual(['0.weight', '0.bias', '1.threshold']);
    const x = new Tensor(
      Float32Array.from({ length: 5 * 3 * 4 }, () => r.uniform() * 2),
      [5, 3, 4],
    );
    const out = model.forward({ x, steps: 5, constant: false }, k);
    backward(probe(out.records[0].mem!, new Float32Array(5 * 3 * 6).fill(1)));
    const layer = model.layers[1] as Leaky;
    expect(layer.thresholdTensor.grad![0]).toBeLessThan(0); // raising the threshold removes resets: mem grows
    const copy = sequentialFromConfig(model.layers.map((l) => ({ kind: l.kind, config: l.config() })));
    const l2 = copy.layers[1] as Leaky;
    expect([l2.learnThreshold, l2.threshold]).toEqual([true, layer.threshold]);
  });
});

describe('integrate-and-fire (beta = 1)', () => {
  it('fires every ceil(thr / I) steps for a constant input, on both kernel sets', () => {
    for (const [, k] of bothKernels) {
      const r = integrateFireSequence(new Tensor(Float32Array.of(0.3), [1, 1]), {
        steps: 12,
        constInput: true,
        threshold: 1,
        reset: 'subtract',
        surrogate: atan(),
        kernels: k,
      });
      // V = 0.3 t - (resets): crosses 1 at t = 4 (1.2), then every 10/3 steps on average
      expect(Array.from(r.spk.data).slice(0, 8)).toEqual([0, 0, 0, 1, 0, 0, 1, 0]);
      expect(r.spikes).toBe(3); // 3.6 units of input, 1 removed per spike: 3 spikes in 12 steps
    }
  });
  it('step function agrees; no leak without input', () => {
    let s = leakyInitState(1);
    s = integrateFireStep(Float32Array.of(0.5), s, { threshold: 1, reset: 'zero' }).state;
    for (let t = 0; t < 10; t++) s = integrateFireStep(Float32Array.of(0), s, { threshold: 1, reset: 'zero' }).state;
    expect(s.mem[0]).toBe(0.5);
  });
  it('a custom surrogate reaches the IF neuron through the TS path', () => {
    const [[, k]] = bothKernels;
    const x = new Tensor(Float32Array.of(0.3, 0.6), [1, 2], { requiresGrad: true });
    const r = integrateFireSequence(x, {
      steps: 6,
      constInput: true,
      threshold: 1,
      reset: 'subtract',
      surrogate: custom(() => 1),
      kernels: k,
    });
    backward(probe(r.spk, new Float32Array(12).fill(1)));
    expect(x.grad![0]).toBeGreaterThan(0);
  });
});
