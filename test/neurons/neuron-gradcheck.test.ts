import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { Rng } from '../../src/core/rng.js';
import { backward } from '../../src/core/autograd.js';
import { sigmoid, addScalars } from '../../src/ops/index.js';
import { custom, fastSigmoid, straightThrough } from '../../src/surrogate/index.js';
import { synapticSequence } from '../../src/neurons/synaptic.js';
import { alphaSequence } from '../../src/neurons/alpha.js';
import { lapicqueSequence } from '../../src/neurons/lapicque.js';
import { rleakySequence } from '../../src/neurons/rleaky.js';
import { rsynapticSequence } from '../../src/neurons/rsynaptic.js';
import { alifSequence } from '../../src/neurons/alif.js';
import { izhikevichSequence, IZHIKEVICH_PRESETS } from '../../src/neurons/izhikevich.js';
import { leakySequence } from '../../src/neurons/leaky.js';
import { gradcheck, probe } from '../helpers/gradcheck.js';
import { bothKernels } from '../helpers/kernels.js';

/**
 * Finite-difference checks of every fused neuron op. Spikes are piecewise constant, so the checks use
 * a zero surrogate (custom(() => 0)): the backward is then the exact derivative of the membrane (and of
 * every other smooth output) where no spike flips inside ±eps — the `valid` veto skips coordinates
 * where one does. The surrogate terms are checked separately below against the fused Leaky kernels
 * (which match snnTorch's BPTT gradients, test/train/bptt.test.ts) and against hand-derived cases.
 */
const rng = new Rng(21);
const randn = (n: number, s = 1) => Float32Array.from({ length: n }, () => rng.normal() * s);
const zero = custom(() => 0, { name: 'zero' });
const T = 7,
  B = 2,
  H = 3;
const resets = ['subtract', 'zero', 'none'] as const;

type Out = { spk: Tensor } & Record<string, Tensor | number>;

/** Gradcheck of a weighted sum of the smooth outputs `keys`, vetoing coordinates where a spike flips. */
function checkOp(run: () => Out, keys: string[], leaves: Tensor[], eps = 1e-3, tol = 2e-3): number {
  const first = run();
  const weights = keys.map((k) => randn((first[k] as Tensor).size));
  const pattern = () => Array.from(run().spk.data).join('');
  const base = pattern();
  expect(base).toMatch(/1/); // the case exercises the reset
  const f = () => {
    const o = run();
    return addScalars(...keys.map((k, i) => probe(o[k] as Tensor, weights[i])));
  };
  const n = gradcheck(f, leaves, eps, tol, () => pattern() === base);
  const total = leaves.reduce((s, l) => s + l.size, 0);
  expect(n).toBeGreaterThan(total * 0.6);
  return n;
}

const leaf = (data: Float32Array, shape: number[]) => new Tensor(data, shape, { requiresGrad: true });

describe('finite-difference gradients of the fused neuron ops (inputs and learnable parameters)', () => {
  for (const reset of resets) {
    for (const constInput of [false, true]) {
      const inShape = constInput ? [B, H] : [T, B, H];
      const inSize = (constInput ? 1 : T) * B * H;
      it(`Synaptic: input, alpha, beta, threshold (reset ${reset}, constInput ${constInput})`, () => {
        const x = leaf(
          randn(inSize, 0.5).map((v) => v + 0.3),
          inShape,
        );
        const pa = leaf(randn(H, 0.5), [H]);
        const pb = leaf(
          randn(H, 0.5).map((v) => v + 1),
          [H],
        );
        const thr = leaf(Float32Array.of(0.9), [1]);
        checkOp(
          () =>
            synapticSequence(x, {
              steps: T,
              constInput,
              alpha: sigmoid(pa),
              beta: sigmoid(pb),
              threshold: thr,
              reset,
              surrogate: zero,
            }),
          ['mem', 'syn'],
          [x, pa, pb, thr],
        );
      });
      it(`RLeaky: input, beta, threshold, recurrent V and bias (reset ${reset}, constInput ${constInput})`, () => {
        const x = leaf(
          randn(inSize, 0.5).map((v) => v + 0.4),
          inShape,
        );
        const pb = leaf(randn(H, 0.5), [H]);
        const thr = leaf(Float32Array.from([0.8, 1.0, 0.9]), [H]);
        const V = leaf(randn(H * H, 0.4), [H, H]);
        const vb = leaf(randn(H, 0.1), [H]);
        checkOp(
          () =>
            rleakySequence(x, {
              steps: T,
              constInput,
              beta: sigmoid(pb),
              threshold: thr,
              reset,
              surrogate: zero,
              weight: V,
              bias: vb,
            }),
          ['mem'],
          [x, pb, thr, V, vb],
        );
      });
      it(`RSynaptic: input, alpha, beta, threshold, V, bias (reset ${reset}, constInput ${constInput})`, () => {
        const x = leaf(
          randn(inSize, 0.4).map((v) => v + 0.2),
          inShape,
        );
        const pa = leaf(randn(H, 0.5), [H]);
        const pb = leaf(randn(H, 0.5), [H]);
        const thr = leaf(Float32Array.of(1.1), [1]);
        const V = leaf(randn(H * H, 0.4), [H, H]);
        const vb = leaf(randn(H, 0.1), [H]);
        checkOp(
          () =>
            rsynapticSequence(x, {
              steps: T,
              constInput,
              alpha: sigmoid(pa),
              beta: sigmoid(pb),
              threshold: thr,
              reset,
              surrogate: zero,
              weight: V,
              bias: vb,
            }),
          ['mem', 'syn'],
          [x, pa, pb, thr, V, vb],
        );
      });
      it(`Alpha: input, alpha, beta (through tau), threshold (reset ${reset}, constInput ${constInput})`, () => {
        const x = leaf(
          randn(inSize, 0.6).map((v) => v + 0.8),
          inShape,
        );
        const al = leaf(Float32Array.from([0.9, 0.85, 0.95]), [H]);
        const be = leaf(Float32Array.from([0.7, 0.6, 0.8]), [H]);
        const thr = leaf(Float32Array.of(0.3), [1]);
        checkOp(
          () =>
            alphaSequence(x, {
              steps: T,
              constInput,
              alpha: al,
              beta: be,
              threshold: thr,
              reset,
              surrogate: zero,
            }),
          ['mem', 'synExc', 'synInh'],
          [x, al, be, thr],
        );
      });
      it(`ALIF: input, beta, threshold, rho, betaA (reset ${reset}, constInput ${constInput})`, () => {
        const x = leaf(
          randn(inSize, 0.5).map((v) => v + 0.6),
          inShape,
        );
        const pb = leaf(randn(H, 0.5), [H]);
        const thr = leaf(Float32Array.of(0.8), [1]);
        const rho = leaf(Float32Array.from([0.8, 0.9, 0.7]), [H]);
        const ba = leaf(Float32Array.from([0.5, 1.0, 0.3]), [H]);
        checkOp(
          () =>
            alifSequence(x, {
              steps: T,
              constInput,
              beta: sigmoid(pb),
              threshold: thr,
              rho,
              betaA: ba,
              reset,
              surrogate: zero,
            }),
          ['mem', 'threshold'],
          [x, pb, thr, rho, ba],
        );
      });
      it(`Lapicque: input and threshold (reset ${reset}, constInput ${constInput})`, () => {
        const x = leaf(
          randn(inSize, 1).map((v) => v + 3),
          inShape,
        );
        const thr = leaf(Float32Array.of(1), [1]);
        checkOp(
          () =>
            lapicqueSequence(x, {
              steps: T,
              constInput,
              R: 5.1,
              C: 5e-3,
              timeStep: 1e-3,
              threshold: thr,
              reset,
              surrogate: zero,
            }),
          ['mem'],
          [x, thr],
        );
      });
    }
  }
  for (const [name, p] of [
    ['regular spiking', IZHIKEVICH_PRESETS.regularSpiking],
    ['chattering', IZHIKEVICH_PRESETS.chattering],
  ] as const) {
    it(`Izhikevich (${name}): input, a, b, c, d through resets (differences of a float64 forward)`, () => {
      // The op keeps its state in float32, and the quadratic upstroke amplifies rounding (x4 per step),
      // so differences of the op itself are noise-bound. Differentiate an independent float64 forward of
      // the same equations instead (h = 1e-6): it checks every backward formula, to 1e-3.
      const r = new Rng(4);
      const steps = 60,
        n = 2,
        dt = 0.5;
      const x = leaf(
        Float32Array.from({ length: steps * n }, () => 12 + r.normal()),
        [steps, 1, n],
      );
      const [a, b, c, d] = (['a', 'b', 'c', 'd'] as const).map((k) => leaf(Float32Array.of(p[k]), [1]));
      const wv = Float64Array.from({ length: steps * n }, () => r.normal());
      const wu = Float64Array.from({ length: steps * n }, () => r.normal());
      const o = izhikevichSequence(x, { steps, constInput: false, a, b, c, d, dt, surrogate: zero });
      backward(addScalars(probe(o.v, Float32Array.from(wv)), probe(o.u, Float32Array.from(wu))));
      const forward64 = (xs: Float64Array, q: number[]) => {
        const [pa, pb, pc, pd] = q;
        let loss = 0;
        let pattern = '';
        for (let j = 0; j < n; j++) {
          let v = -65,
            u = pb * -65,
            s = 0;
          for (let t = 0; t < steps; t++) {
            const vb = s ? pc : v;
            const ub = s ? u + pd : u;
            v = vb + dt * (0.04 * vb * vb + 5 * vb + 140 - ub + xs[t * n + j]);
            u = ub + dt * pa * (pb * v - ub);
            s = v > 30 ? 1 : 0;
            pattern += s;
            loss += wv[t * n + j] * v + wu[t * n + j] * u;
          }
        }
        return { loss, pattern };
      };
      const x64 = Float64Array.from(x.data);
      const q0 = [p.a, p.b, p.c, p.d];
      const base = forward64(x64, q0);
      expect(base.pattern).toBe(
        Array.from({ length: n }, (_, j) => Array.from({ length: steps }, (_, t) => o.spk.data[t * n + j]).join('')).join(''),
      );
      expect(base.pattern.split('1').length - 1).toBeGreaterThanOrEqual(3);
      const h = 1e-6;
      const fdAt = (perturb: (dx: number) => { loss: number; pattern: string }) => {
        const fp = perturb(h);
        const fm = perturb(-h);
        expect(fp.pattern).toBe(base.pattern);
        expect(fm.pattern).toBe(base.pattern);
        return (fp.loss - fm.loss) / (2 * h);
      };
      const close = (fd: number, an: number, what: string) =>
        expect(Math.abs(fd - an), `${what}: fd ${fd} vs ${an}`).toBeLessThan(1e-3 * Math.max(1, Math.abs(fd)));
      for (let i = 0; i < x64.length; i++) {
        const fd = fdAt((dx) => {
          const xs = x64.slice();
          xs[i] += dx;
          return forward64(xs, q0);
        });
        close(fd, x.grad![i], `input ${i}`);
      }
      [a, b, c, d].forEach((leafT, k) => {
        const fd = fdAt((dx) =>
          forward64(
            x64,
            q0.map((v, j) => (j === k ? v + dx : v)),
          ),
        );
        close(fd, leafT.grad![0], 'abcd'[k]);
      });
    });
  }
});

describe('surrogate gradient paths', () => {
  const x0 = randn(T * B * H, 0.5).map((v) => v + 0.35);
  /** Gradients of probe(spk) + probe(mem) w.r.t. input and beta logits. */
  function grads(run: (x: Tensor, beta: Tensor) => { spk: Tensor; mem: Tensor | null }) {
    const x = leaf(x0.slice(), [T, B, H]);
    const p = leaf(Float32Array.from([0.3, -0.2, 1.1]), [H]);
    const r = run(x, sigmoid(p));
    const w1 = new Rng(5);
    const ws = Float32Array.from({ length: T * B * H }, () => w1.normal());
    const wm = Float32Array.from({ length: T * B * H }, () => w1.normal());
    backward(addScalars(probe(r.spk, ws), probe(r.mem!, wm)));
    return { spk: Array.from(r.spk.data), gx: Array.from(x.grad!), gp: Array.from(p.grad!) };
  }
  const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 4));

  for (const reset of ['subtract', 'none'] as const) {
    for (const [kname, k] of bothKernels) {
      it(`Synaptic (alpha 0), RLeaky (V 0), ALIF (betaA 0) and the TS Leaky scan equal the fused Leaky kernel, surrogate included (${reset}, ${kname})`, () => {
        const s = fastSigmoid({ slope: 5 });
        const ref = grads((x, beta) =>
          leakySequence(x, { steps: T, constInput: false, beta, threshold: 1, reset, surrogate: s, kernels: k }),
        );
        expect(ref.spk.some((v) => v === 1)).toBe(true);
        const V = new Tensor(new Float32Array(H * H), [H, H], { requiresGrad: true });
        const others = [
          grads((x, beta) => synapticSequence(x, { steps: T, constInput: false, alpha: 0, beta, threshold: 1, reset, surrogate: s })),
          grads((x, beta) =>
            rleakySequence(x, { steps: T, constInput: false, beta, threshold: 1, reset, surrogate: s, weight: V, bias: null }),
          ),
          grads((x, beta) => alifSequence(x, { steps: T, constInput: false, beta, threshold: 1, rho: 0.9, betaA: 0, reset, surrogate: s })),
          // a custom surrogate with the same formula takes the TypeScript path of leakySequence
          grads((x, beta) =>
            leakySequence(x, { steps: T, constInput: false, beta, threshold: 1, reset, surrogate: custom(s.grad), kernels: k }),
          ),
        ];
        for (const o of others) {
          expect(o.spk).toEqual(ref.spk);
          close(o.gx, ref.gx);
          close(o.gp, ref.gp);
        }
      });
    }
  }

  it('RLeaky: the gradient reaches earlier inputs through the recurrent spikes (straight-through, by hand)', () => {
    // T = 2, one neuron pair, reset none: mem1 = beta mem0 + I1 + S0 V + b with S0 = H(I0 + b - 1).
    // d mem1 / d I0[i] = beta [i == j] + (dS0[i]/dmem0[i] = 1) V[i, j]  for output neuron j.
    const x = leaf(Float32Array.from([1.5, 0.2, 0.1, 0.3]), [2, 1, 2]);
    const V = leaf(Float32Array.from([0.5, -0.7, 0.25, 2]), [2, 2]);
    const r = rleakySequence(x, {
      steps: 2,
      constInput: false,
      beta: 0.8,
      threshold: 1,
      reset: 'none',
      surrogate: straightThrough(),
      weight: V,
      bias: null,
    });
    expect(Array.from(r.spk.data.slice(0, 2))).toEqual([1, 0]);
    backward(probe(r.mem, Float32Array.from([0, 0, 1, 0]))); // L = mem1[0]
    expect(x.grad![0]).toBeCloseTo(0.8 + 0.5, 6);
    expect(x.grad![1]).toBeCloseTo(0 + -0.7 * 0 + 0.25, 6); // dS0[1]/dmem0[1] = 1 (STE), V[1, 0] = 0.25
    expect(x.grad![2]).toBeCloseTo(1, 6);
    expect(V.grad![0]).toBeCloseTo(1, 6); // S0[0] = 1 feeds V[0, 0]
    expect(V.grad![2]).toBeCloseTo(0, 6); // S0[1] = 0
  });

  it('ALIF: a spike raises the next thresholds, and its surrogate gradient flows through the adaptation', () => {
    // one neuron, reset none, T = 3: A1 = thr0 + betaA (1 - rho) S0, A2 = thr0 + betaA (rho (1 - rho) S0 + (1 - rho) S1)
    const x = leaf(Float32Array.from([2, 0, 0]), [3, 1, 1]);
    const r = alifSequence(x, {
      steps: 3,
      constInput: false,
      beta: 1,
      threshold: 1,
      rho: 0.5,
      betaA: 2,
      reset: 'none',
      surrogate: straightThrough(),
    });
    expect(Array.from(r.threshold.data)).toEqual([1, 2, 1.5]);
    backward(probe(r.threshold, Float32Array.from([0, 0, 1]))); // L = A2
    // dA2/dI0 = betaA (rho (1 - rho) dS0/dI0 + (1 - rho) dS1/dI0), STE: dS0/dI0 = 1 and
    // dS1/dI0 = d(mem1 - A1)/dI0 = 1 - betaA (1 - rho) dS0/dI0 = 0, so dA2/dI0 = 2 * 0.25.
    expect(x.grad![0]).toBeCloseTo(0.5, 6);
    x.grad = null;
    const r2 = alifSequence(x, {
      steps: 3,
      constInput: false,
      beta: 1,
      threshold: 1,
      rho: 0.5,
      betaA: 2,
      reset: 'none',
      surrogate: straightThrough(),
    });
    backward(probe(r2.threshold, Float32Array.from([0, 1, 0]))); // L = A1 = thr0 + betaA (1 - rho) S0
    expect(x.grad![0]).toBeCloseTo(1, 6);
  });
});
