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
  const m = w.map(() => 0),
    v = w.map(() => 0),
    out = w.slice();
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
        const w = mk(),
          g = mk(),
          m = mk().map((x) => x * 0.1),
          v = mk().map((x) => x * x * 0.01);
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
        const weights = Array.from({ length: P }, (_, r) => (r + 1) / ((P * (P + 1)) / 2));
        const c = { b1: 0.9, b2: 0.999, eps: 1e-8, stepSize: 1e-3, c2: Math.sqrt(1 - 0.999) };
        const w = mk(),
          m = mk(),
          v = mk().map((x) => x * x);
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

describe('Adam moments held by the kernels (adamState / adamStep)', () => {
  const c = (t: number) => ({ b1: 0.9, b2: 0.999, eps: 1e-8, stepSize: 1e-3 / (1 - 0.9 ** t), c2: Math.sqrt(1 - 0.999 ** t) });
  for (const [name, k] of [['reference', referenceKernels] as const, ...wasmBuilds()]) {
    it(`three adamStep calls equal three adamUpdate calls bit for bit; adamStateRead brings the moments back (${name})`, () => {
      const n = 1003;
      const mk = () => Float32Array.from({ length: n }, () => rng.normal());
      const w0 = mk(),
        m0 = mk().map((x) => x * 0.1),
        v0 = mk().map((x) => x * x * 0.01);
      const grads = [mk(), mk(), mk()];
      const [w1, m1, v1] = [w0.slice(), m0.slice(), v0.slice()];
      const [w2, m2, v2] = [w0.slice(), m0.slice(), v0.slice()];
      const s = k.adamState(m2, v2);
      expect(s.n).toBe(n);
      grads.forEach((g, i) => {
        k.adamUpdate(w1, g, m1, v1, c(i + 1));
        k.adamStep(w2, g, s, c(i + 1));
        expect(Array.from(w2)).toEqual(Array.from(w1));
      });
      const back = k.adamStateRead(s);
      expect(back.m).toBe(m2);
      expect(Array.from(m2)).toEqual(Array.from(m1));
      expect(Array.from(v2)).toEqual(Array.from(v1));
      // a weighted sum of per-thread gradients, as DataParallel gives it
      const bufsA = [mk(), mk()],
        bufsB = bufsA.map((b) => b.slice());
      k.adamUpdate(w1, { grads: bufsA, weights: [0.25, 0.75] }, m1, v1, c(4));
      k.adamStep(w2, { grads: bufsB, weights: [0.25, 0.75] }, s, c(4));
      expect(Array.from(w2)).toEqual(Array.from(w1));
      expect(Array.from(bufsB[0])).toEqual(Array.from(bufsA[0]));
      k.adamStateFree(s);
      expect(Array.from(v2)).toEqual(Array.from(v1));
      expect(() => k.adamStep(w2, grads[0], s, c(5))).toThrow(/freed/);
    });
  }

  for (const [name, k] of wasmBuilds()) {
    it(`freed memory is reused and states stay apart (${name} build)`, () => {
      const a = k.adamState(new Float32Array(64).fill(1), new Float32Array(64).fill(2));
      const b = k.adamState(new Float32Array(64).fill(3), new Float32Array(64).fill(4));
      k.adamStateFree(a);
      const m = new Float32Array(64).fill(5);
      const c2 = k.adamState(m, new Float32Array(64).fill(6)); // takes a's memory
      expect(Array.from(k.adamStateRead(b).m)).toEqual(new Array(64).fill(3));
      expect(Array.from(k.adamStateRead(c2).v)).toEqual(new Array(64).fill(6));
      expect(() =>
        referenceKernels.adamStep(new Float32Array(64), new Float32Array(64), c2, { b1: 0.9, b2: 0.999, eps: 1e-8, stepSize: 1e-3, c2: 1 }),
      ).toThrow(/comes from the wasm kernels/);
      expect(() => k.adamState(new Float32Array(3), new Float32Array(4))).toThrow(ShapeError);
    });
  }

  it('Adam.state() gives the up-to-date moments while the kernels hold them', () => {
    const [[, k]] = wasmBuilds();
    const p = new Tensor(
      Float32Array.from({ length: 50 }, () => rng.normal()),
      [50],
      { requiresGrad: true },
    );
    const opt = new Adam([p], { lr: 1e-2, kernels: k });
    const m = new Float32Array(50),
      v = new Float32Array(50),
      w = Float32Array.from(p.data);
    for (let t = 1; t <= 3; t++) {
      const g = Float32Array.from({ length: 50 }, () => rng.normal());
      p.grad = g.slice();
      opt.step();
      k.adamUpdate(w, g, m, v, { b1: 0.9, b2: 0.999, eps: 1e-8, stepSize: 1e-2 / (1 - 0.9 ** t), c2: Math.sqrt(1 - 0.999 ** t) });
    }
    expect(Array.from(p.data)).toEqual(Array.from(w));
    const s = opt.state();
    expect(Array.from(s.m[0])).toEqual(Array.from(m));
    expect(Array.from(s.v[0])).toEqual(Array.from(v));
  });
});
