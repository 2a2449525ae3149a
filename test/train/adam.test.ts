import { describe, expect, it } from 'vitest';
import { Adam } from '../../src/train/optim.js';
import { Tensor } from '../../src/core/tensor.js';
import { Rng } from '../../src/core/rng.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { ShapeError } from '../../src/core/errors.js';
import { wasmBuilds } from '../helpers/kernels.js';

const rng = new Rng(11);

/** PyTorch's Adam rule in float64, written out: the independent truth. */
function torchAdam(w: number[], grads: number[][], lr: number, b1: number, b2: number, eps: number): number[] {
  const m = w.map(() => 0), v = w.map(() => 0), out = w.slice();
  grads.forEach((g, s) => {
    const t = s + 1;
    for (let i = 0; i < w.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      const denom = Math.sqrt(v[i]) / Math.sqrt(1 - b2 ** t) + eps;
      out[i] -= (lr / (1 - b1 ** t)) * (m[i] / denom);
    }
  });
  return out;
}

describe('Adam (kernels.adamUpdate)', () => {
  const kernels = [['reference', referenceKernels] as const, ...wasmBuilds()];
  for (const [name, k] of kernels) {
    it(`three steps follow PyTorch's rule to float32 precision (${name})`, () => {
      const n = 11; // not a multiple of the SIMD width
      const w0 = Array.from({ length: n }, () => rng.normal());
      const grads = [0, 1, 2].map(() => Array.from({ length: n }, () => rng.normal() * 0.1));
      const p = new Tensor(Float32Array.from(w0), [n], { requiresGrad: true });
      const opt = new Adam([p], { lr: 1e-2, kernels: k });
      for (const g of grads) {
        p.grad = Float32Array.from(g);
        opt.step();
      }
      const want = torchAdam(w0, grads, 1e-2, 0.9, 0.999, 1e-8);
      want.forEach((x, i) => expect(Math.abs(p.data[i] - x), `w[${i}]`).toBeLessThan(2e-6 * Math.max(1, Math.abs(x))));
    });
  }

  for (const [name, k] of wasmBuilds()) {
    it(`WASM equals the float32 reference bit for bit, odd lengths included (${name} build)`, () => {
      for (const n of [1, 3, 4, 17, 1000]) {
        const mk = () => Float32Array.from({ length: n }, () => rng.normal());
        const w = mk(), g = mk(), m = mk().map((x) => x * 0.1), v = mk().map((x) => x * x * 0.01);
        const c = { b1: 0.9, b2: 0.999, eps: 1e-8, stepSize: 5e-4 / (1 - 0.9 ** 3), c2: Math.sqrt(1 - 0.999 ** 3) };
        const a = [w.slice(), g, m.slice(), v.slice()] as const;
        const b = [w.slice(), g, m.slice(), v.slice()] as const;
        referenceKernels.adamUpdate(a[0], a[1], a[2], a[3], c);
        k.adamUpdate(b[0], b[1], b[2], b[3], c);
        for (const j of [0, 2, 3]) expect(Array.from(b[j])).toEqual(Array.from(a[j]));
      }
    });
  }

  for (const [name, k] of [['reference', referenceKernels] as const, ...wasmBuilds()]) {
    it(`a gradient given as per-thread buffers is their weighted sum, stored into the first (${name})`, () => {
      for (const P of [1, 2, 3]) {
        const n = 13;
        const mk = () => Float32Array.from({ length: n }, () => rng.normal());
        const grads = Array.from({ length: P }, mk);
        const weights = Array.from({ length: P }, (_, r) => (r + 1) / (P * (P + 1) / 2));
        const c = { b1: 0.9, b2: 0.999, eps: 1e-8, stepSize: 1e-3, c2: Math.sqrt(1 - 0.999) };
        const w = mk(), m = mk(), v = mk().map((x) => x * x);
        // the sum formed first in float32, in buffer order, then a plain step on it
        const sum = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          let acc = Math.fround(Math.fround(weights[0]) * grads[0][i]);
          for (let r = 1; r < P; r++) acc = Math.fround(acc + Math.fround(Math.fround(weights[r]) * grads[r][i]));
          sum[i] = acc;
        }
        const a = [w.slice(), m.slice(), v.slice()];
        referenceKernels.adamUpdate(a[0], sum, a[1], a[2], c);
        const b = [w.slice(), m.slice(), v.slice()];
        const bufs = grads.map((g) => g.slice());
        k.adamUpdate(b[0], { grads: bufs, weights }, b[1], b[2], c);
        expect(Array.from(bufs[0])).toEqual(Array.from(sum));
        for (let r = 1; r < P; r++) expect(Array.from(bufs[r])).toEqual(Array.from(grads[r])); // left as they were
        for (let j = 0; j < 3; j++) expect(Array.from(b[j])).toEqual(Array.from(a[j]));
      }
    });
  }

  it('operands of different lengths are ShapeErrors naming the operand', () => {
    const c = { b1: 0.9, b2: 0.999, eps: 1e-8, stepSize: 1e-3, c2: 0.1 };
    const f = (n: number) => new Float32Array(n);
    for (const [, k] of [['reference', referenceKernels] as const, ...wasmBuilds()]) {
      expect(() => k.adamUpdate(f(4), f(3), f(4), f(4), c)).toThrow(ShapeError);
      expect(() => k.adamUpdate(f(4), f(4), f(4), f(5), c)).toThrow(/second moment/);
      expect(() => k.adamUpdate(f(4), { grads: [f(4), f(3)], weights: [0.5, 0.5] }, f(4), f(4), c)).toThrow(/gradient 1/);
      expect(() => k.adamUpdate(f(4), { grads: [f(4)], weights: [0.5, 0.5] }, f(4), f(4), c)).toThrow(/one weight per buffer/);
    }
  });
});
