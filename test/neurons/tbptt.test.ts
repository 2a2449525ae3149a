import { describe, expect, it } from 'vitest';
import { bothKernels } from '../helpers/kernels.js';
import { Tensor } from '../../src/core/tensor.js';
import { Rng } from '../../src/core/rng.js';
import { backward } from '../../src/core/autograd.js';
import { leakySequence } from '../../src/neurons/leaky.js';
import { atan, custom } from '../../src/surrogate/index.js';
import { Leaky } from '../../src/nn/leaky-layer.js';
import { sequentialFromConfig } from '../../src/nn/models.js';
import { ValueError } from '../../src/core/errors.js';

const rng = new Rng(9);

/**
 * The independent truth: the membrane recurrence written out with the state entering steps K, 2K, ...
 * replaced by a constant (its value in the unperturbed run), i.e. detached. Reset 'none', so the loss
 * sum_t w_t mem_t is smooth and central differences are exact up to rounding.
 */
function truncatedLoss(
  x: Float64Array,
  beta: Float64Array,
  T: number,
  N: number,
  H: number,
  K: number,
  w: Float64Array,
  frozen: Float64Array | null,
): { loss: number; mem: Float64Array } {
  const mem = new Float64Array(T * N);
  let loss = 0;
  for (let n = 0; n < N; n++) {
    let v = 0;
    for (let t = 0; t < T; t++) {
      const prev = t > 0 && t % K === 0 && frozen ? frozen[(t - 1) * N + n] : v;
      v = beta[n % H] * prev + x[t * N + n];
      mem[t * N + n] = v;
      loss += w[t * N + n] * v;
    }
  }
  return { loss, mem };
}

describe('truncated BPTT (detach the membrane every K steps)', () => {
  const T = 10,
    B = 2,
    H = 3,
    N = B * H,
    K = 3;
  for (const [kname, k] of bothKernels) {
    it(`gradients equal finite differences of the detached recurrence, inputs and beta (${kname})`, () => {
      const x = Float64Array.from({ length: T * N }, () => rng.normal() * 0.3);
      const beta = Float64Array.from({ length: H }, () => 0.5 + 0.4 * rng.uniform());
      const w = Float64Array.from({ length: T * N }, () => rng.normal());
      const input = new Tensor(Float32Array.from(x), [T, B, H], { requiresGrad: true });
      const betaT = new Tensor(Float32Array.from(beta), [H], { requiresGrad: true });
      const { mem } = leakySequence(input, {
        steps: T,
        constInput: false,
        beta: betaT,
        threshold: 100,
        reset: 'none',
        surrogate: atan(),
        kernels: k,
        truncate: K,
      });
      // loss = sum w * mem through a seeded backward
      backward(mem!, Float32Array.from(w));
      const base = truncatedLoss(x, beta, T, N, H, K, w, null);
      const eps = 1e-4;
      const fd = (f: (d: number) => number) => (f(eps) - f(-eps)) / (2 * eps);
      for (let i = 0; i < T * N; i++) {
        const g = fd((d) => {
          const xp = x.slice();
          xp[i] += d;
          return truncatedLoss(xp, beta, T, N, H, K, w, base.mem).loss;
        });
        expect(input.grad![i]).toBeCloseTo(g, 4);
      }
      for (let h = 0; h < H; h++) {
        const g = fd((d) => {
          const bp = beta.slice();
          bp[h] += d;
          return truncatedLoss(x, bp, T, N, H, K, w, base.mem).loss;
        });
        expect(betaT.grad![h]).toBeCloseTo(g, 3);
      }
      // and it differs from full BPTT (the cut matters)
      const full = new Tensor(Float32Array.from(x), [T, B, H], { requiresGrad: true });
      backward(
        leakySequence(full, {
          steps: T,
          constInput: false,
          beta: new Tensor(Float32Array.from(beta), [H]),
          threshold: 100,
          reset: 'none',
          surrogate: atan(),
          kernels: k,
        }).mem!,
        Float32Array.from(w),
      );
      let diff = 0;
      for (let i = 0; i < T * N; i++) diff = Math.max(diff, Math.abs(full.grad![i] - input.grad![i]));
      expect(diff).toBeGreaterThan(1e-3);
    });
  }

  it('is a Leaky layer option that survives the config round trip, and refuses a custom surrogate', () => {
    const layer = new Leaky({ size: 4, beta: 0.9, truncate: 5 });
    const again = sequentialFromConfig([{ kind: 'leaky', config: layer.config() }]).layers[0] as Leaky;
    expect(again.truncate).toBe(5);
    expect(() => new Leaky({ size: 4, beta: 0.9, truncate: -1 })).toThrow(ValueError);
    const x = new Tensor(new Float32Array(2 * 4), [2, 4]);
    expect(() =>
      leakySequence(x, {
        steps: 3,
        constInput: true,
        beta: new Tensor(new Float32Array(4).fill(0.9), [4]),
        threshold: 1,
        reset: 'subtract',
        surrogate: custom(() => 1),
        kernels: bothKernels[0][1],
        truncate: 2,
      }),
    ).toThrow(/truncated BPTT/);
  });
});
