import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { Rng } from '../../src/core/rng.js';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import { atan } from '../../src/surrogate/index.js';
import { alifStep, alifInitState, alifSequence } from '../../src/neurons/alif.js';
import { lapicqueConstants, lapicqueSequence } from '../../src/neurons/lapicque.js';
import { rsynapticStep, rsynapticInitState, rsynapticSequence } from '../../src/neurons/rsynaptic.js';
import { synapticSequence, synapticStep, synapticInitState } from '../../src/neurons/synaptic.js';
import { alphaSequence } from '../../src/neurons/alpha.js';
import { rleakySequence } from '../../src/neurons/rleaky.js';

const rng = new Rng(17);
const randn = (n: number, s = 1) => Float32Array.from({ length: n }, () => rng.normal() * s);

describe('adaptive LIF (ALIF)', () => {
  it('adaptation lengthens the inter-spike intervals; betaA = 0 fires like Leaky', () => {
    const T = 300;
    const run = (betaA: number) =>
      alifSequence(new Tensor(Float32Array.of(0.15), [1, 1]), {
        steps: T,
        constInput: true,
        beta: 0.9,
        threshold: 1,
        rho: 0.98,
        betaA,
        reset: 'subtract',
        surrogate: atan(),
      });
    const times = (s: Tensor) => Array.from(s.data).flatMap((v, t) => (v ? [t] : []));
    const plain = times(run(0).spk);
    const adapt = times(run(3).spk);
    const isi = (t: number[]) => t.slice(1).map((v, i) => v - t[i]);
    // Leaky with I = 0.15, beta = 0.9: V* = 1.5 > 1, constant ISI
    expect(new Set(isi(plain).slice(2)).size).toBeLessThanOrEqual(2);
    expect(adapt.length).toBeLessThan(plain.length * 0.8);
    const ai = isi(adapt);
    expect(ai[ai.length - 1]).toBeGreaterThan(ai[0]); // spike-frequency adaptation builds up
    expect(ai[ai.length - 1]).toBeGreaterThan(isi(plain)[isi(plain).length - 1] * 1.3);
    // steady state: the threshold rises by betaA (1 - rho) per spike and decays by rho per step;
    // at a period P: A jumps to thr0 + betaA (1 - rho) / (1 - rho^P) right after a spike
    const thr = run(3).threshold.data;
    const P = ai[ai.length - 1];
    const last = adapt[adapt.length - 1];
    expect(thr[last + 1]).toBeCloseTo(1 + (3 * (1 - 0.98)) / (1 - 0.98 ** P), 2);
  });
  it('the fused sequence equals the step function', () => {
    const T = 30,
      N = 6;
    const x = randn(T * N, 0.6).map((v) => v + 0.4);
    const q = alifSequence(new Tensor(x, [T, 2, 3]), {
      steps: T,
      constInput: false,
      beta: 0.8,
      threshold: 0.9,
      rho: 0.9,
      betaA: 1.2,
      reset: 'subtract',
      surrogate: atan(),
    });
    let s = alifInitState(N);
    for (let t = 0; t < T; t++) {
      const r = alifStep(x.subarray(t * N, (t + 1) * N), s, { beta: 0.8, threshold: 0.9, rho: 0.9, betaA: 1.2, reset: 'subtract' });
      s = r.state;
      expect(Array.from(q.mem.data.subarray(t * N, (t + 1) * N))).toEqual(Array.from(s.mem));
      expect(Array.from(q.threshold.data.subarray(t * N, (t + 1) * N))).toEqual(Array.from(r.threshold));
      expect(Array.from(q.spk.data.subarray(t * N, (t + 1) * N))).toEqual(Array.from(r.spk));
    }
  });
});

describe("Lapicque constants follow snnTorch's argument rules", () => {
  it('R and C; beta alone (R = 1); beta with R; beta with C', () => {
    const a = lapicqueConstants({ R: 5.1, C: 5e-3, timeStep: 1e-3 });
    expect(a.decay).toBeCloseTo(1 - 1e-3 / (5.1 * 5e-3), 12);
    expect(a.gain).toBeCloseTo(1e-3 / 5e-3, 12);
    const b = lapicqueConstants({ beta: 0.9 });
    expect([b.R, b.C]).toEqual([1, 1 / Math.log(1 / 0.9)]);
    expect(b.decay).toBeCloseTo(1 - Math.log(1 / 0.9), 12); // the Euler factor, not beta itself
    expect(lapicqueConstants({ beta: 0.9, R: 2 }).C).toBeCloseTo(1 / (2 * Math.log(1 / 0.9)), 12);
    expect(lapicqueConstants({ beta: 0.9, C: 2 }).R).toBeCloseTo(1 / (2 * Math.log(1 / 0.9)), 12);
  });
  it('rejects missing, over-determined or unstable settings', () => {
    expect(() => lapicqueConstants({ R: 1 })).toThrow(/give beta, or both R and C/);
    expect(() => lapicqueConstants({ beta: 0.5, R: 1, C: 1 })).toThrow(/over-determine/);
    expect(() => lapicqueConstants({ R: 1, C: 1, timeStep: 2 })).toThrow(/dt <= RC/);
    expect(() =>
      lapicqueSequence(Tensor.zeros([2, 1, 1]), { steps: 2, constInput: false, R: 1, C: 1, surrogate: atan(), reset: 'half' as any }),
    ).toThrow(ValueError);
  });
});

describe('RSynaptic and Synaptic, step against sequence', () => {
  it('RSynaptic: the fused sequence equals the step function (all resets)', () => {
    for (const reset of ['subtract', 'zero', 'none'] as const) {
      const T = 15,
        B = 2,
        H = 4;
      const x = randn(T * B * H, 0.5).map((v) => v + 0.3);
      const w = randn(H * H, 0.5);
      const bias = randn(H, 0.1);
      const q = rsynapticSequence(new Tensor(x, [T, B, H]), {
        steps: T,
        constInput: false,
        alpha: 0.6,
        beta: 0.8,
        threshold: 1,
        reset,
        surrogate: atan(),
        weight: new Tensor(w, [H, H]),
        bias: new Tensor(bias, [H]),
      });
      let s = rsynapticInitState(B * H);
      for (let t = 0; t < T; t++) {
        const r = rsynapticStep(x.subarray(t * B * H, (t + 1) * B * H), s, { alpha: 0.6, beta: 0.8, threshold: 1, reset, weight: w, bias });
        s = r.state;
        q.mem.data.subarray(t * B * H, (t + 1) * B * H).forEach((v, i) => expect(v).toBeCloseTo(s.mem[i], 5));
        expect(Array.from(q.spk.data.subarray(t * B * H, (t + 1) * B * H))).toEqual(Array.from(r.spk));
      }
      expect(q.spikes).toBeGreaterThan(0);
    }
  });
  it('Synaptic with constant input equals the repeated input; per-neuron decays apply per feature', () => {
    const B = 2,
      H = 3,
      T = 9;
    const x = randn(B * H, 0.5).map((v) => v + 0.4);
    const rep = new Float32Array(T * B * H);
    for (let t = 0; t < T; t++) rep.set(x, t * B * H);
    const o = {
      steps: T,
      alpha: new Tensor(Float32Array.of(0.2, 0.5, 0.9), [H]),
      beta: 0.8,
      threshold: 1,
      reset: 'subtract' as const,
      surrogate: atan(),
    };
    const a = synapticSequence(new Tensor(x, [B, H]), { ...o, constInput: true });
    const b = synapticSequence(new Tensor(rep, [T, B, H]), { ...o, constInput: false });
    expect(Array.from(a.mem.data)).toEqual(Array.from(b.mem.data));
    let s = synapticInitState(B * H);
    for (let t = 0; t < T; t++)
      s = synapticStep(x, s, { alpha: Float32Array.of(0.2, 0.5, 0.9), beta: 0.8, threshold: 1, reset: 'subtract' }).state;
    s.mem.forEach((v, i) => expect(a.mem.data[(T - 1) * B * H + i]).toBeCloseTo(v, 5));
  });
});

describe('bad input gives typed errors', () => {
  const x = Tensor.zeros([4, 2, 3]);
  it('shapes', () => {
    expect(() =>
      synapticSequence(x, { steps: 5, constInput: false, alpha: 0.5, beta: 0.5, threshold: 1, reset: 'zero', surrogate: atan() }),
    ).toThrow(ShapeError);
    expect(() =>
      synapticSequence(x, {
        steps: 4,
        constInput: false,
        alpha: Tensor.zeros([2]),
        beta: 0.5,
        threshold: 1,
        reset: 'zero',
        surrogate: atan(),
      }),
    ).toThrow(/alpha has 2 values, expected 1 or 3/);
    expect(() =>
      rleakySequence(x, {
        steps: 4,
        constInput: false,
        beta: 0.5,
        threshold: 1,
        reset: 'zero',
        surrogate: atan(),
        weight: Tensor.zeros([2, 2]),
        bias: null,
      }),
    ).toThrow(/recurrent weight must be \[3, 3\]/);
  });
  it('values', () => {
    expect(() =>
      synapticSequence(x, { steps: 4, constInput: false, alpha: 1.2, beta: 0.5, threshold: 1, reset: 'zero', surrogate: atan() }),
    ).toThrow(/alpha = 1.2 is outside \[0, 1\]/);
    expect(() =>
      alphaSequence(x, { steps: 4, constInput: false, alpha: 0.5, beta: 0.7, threshold: 1, reset: 'zero', surrogate: atan() }),
    ).toThrow(/beta < alpha/);
    expect(() =>
      alifSequence(x, { steps: 4, constInput: false, beta: 0.5, threshold: 1, rho: 2, betaA: 1, reset: 'zero', surrogate: atan() }),
    ).toThrow(ValueError);
    expect(() =>
      synapticSequence(x, { steps: 0, constInput: false, alpha: 0.5, beta: 0.5, threshold: 1, reset: 'zero', surrogate: atan() }),
    ).toThrow(/steps must be a positive integer/);
    expect(() =>
      synapticSequence(x, { steps: 4, constInput: false, alpha: 0.5, beta: 0.5, threshold: 1, reset: 'zero', surrogate: undefined as any }),
    ).toThrow(/surrogate must be a Surrogate/);
  });
});

describe('recurrent products through the kernels', () => {
  it('RLeaky and RSynaptic with kernels equal the plain TypeScript loops, gradients included (both kernel sets)', async () => {
    const { bothKernels } = await import('../helpers/kernels.js');
    const { backward } = await import('../../src/core/autograd.js');
    const { probe } = await import('../helpers/gradcheck.js');
    const { addScalars } = await import('../../src/ops/index.js');
    const T = 9,
      B = 3,
      H = 19;
    const x0 = randn(T * B * H, 0.5).map((v) => v + 0.35);
    const w0 = randn(H * H, 0.3);
    const b0 = randn(H, 0.1);
    const ws = randn(T * B * H);
    const wm = randn(T * B * H);
    const run = (kernels: any, syn: boolean) => {
      const x = new Tensor(x0.slice(), [T, B, H], { requiresGrad: true });
      const w = new Tensor(w0.slice(), [H, H], { requiresGrad: true });
      const b = new Tensor(b0.slice(), [H], { requiresGrad: true });
      const o = {
        steps: T,
        constInput: false,
        beta: 0.8,
        threshold: 1,
        reset: 'subtract' as const,
        surrogate: atan(),
        weight: w,
        bias: b,
        kernels,
      };
      const r = syn ? rsynapticSequence(x, { ...o, alpha: 0.5 }) : rleakySequence(x, o);
      backward(addScalars(probe(r.spk, ws), probe(r.mem, wm)));
      return { spk: Array.from(r.spk.data), mem: r.mem.data, g: [...x.grad!, ...w.grad!, ...b.grad!] };
    };
    for (const syn of [false, true]) {
      const plain = run(null, syn);
      expect(plain.spk.some((v) => v === 1)).toBe(true);
      for (const [, k] of bothKernels) {
        const fast = run(k, syn);
        expect(fast.spk).toEqual(plain.spk);
        fast.mem.forEach((v, i) => expect(v).toBeCloseTo(plain.mem[i], 5));
        fast.g.forEach((v, i) => expect(Math.abs(v - plain.g[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(plain.g[i])))); // float32 sums in the kernels
      }
    }
  });
});
