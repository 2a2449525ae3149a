import { expect } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { backward } from '../../src/core/autograd.js';

/** Weighted sum with fixed random weights: a scalar whose gradient w.r.t. x is w. */
export function probe(x: Tensor, w: Float32Array): Tensor {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i] * x.data[i];
  const out: Tensor = new Tensor(Float32Array.of(s), [], {
    parents: [x],
    backward: () => {
      const g = x.ensureGrad();
      for (let i = 0; i < w.length; i++) g[i] += w[i] * out.grad![0];
    },
  });
  return out;
}

/**
 * Central differences (in float64 around float32 data) against the analytic gradient for every
 * element of each leaf. `valid` may veto a coordinate (e.g. where a spike flips inside ±eps).
 */
export function gradcheck(f: () => Tensor, leaves: Tensor[], eps = 1e-2, tol = 2e-3, valid?: () => boolean): number {
  for (const l of leaves) l.grad = null;
  backward(f());
  let checked = 0;
  for (const l of leaves) {
    const d = l.data as Float32Array;
    const g = l.grad!;
    for (let i = 0; i < d.length; i++) {
      const x0 = d[i];
      d[i] = x0 + eps;
      const ok1 = valid ? valid() : true;
      const fp = f().item();
      d[i] = x0 - eps;
      const ok2 = valid ? valid() : true;
      const fm = f().item();
      d[i] = x0;
      if (!ok1 || !ok2) continue;
      const fd = (fp - fm) / (2 * eps);
      expect(Math.abs(fd - g[i]), `element ${i}: fd ${fd} vs analytic ${g[i]}`).toBeLessThan(tol * Math.max(1, Math.abs(fd)));
      checked++;
    }
  }
  return checked;
}
