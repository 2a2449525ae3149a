import { describe, expect, it } from 'vitest';
import { loadFixture, maxAbsDiff } from './helpers/fixtures.js';
import { bothKernels } from './helpers/kernels.js';
import {
  atan,
  fastSigmoid,
  sigmoid,
  heaviside,
  triangular,
  spikeRateEscape,
  straightThrough,
  gaussian,
  triangle,
  scaledAtan,
  atanOverPi,
  atanK,
  custom,
  surrogateConfig,
  surrogateFromName,
  type Surrogate,
} from '../src/surrogate/index.js';
import { surrogateGrad } from '../src/kernels/reference.js';
import { Tensor } from '../src/core/tensor.js';
import { Rng } from '../src/core/rng.js';
import { backward } from '../src/core/autograd.js';
import { addScalars } from '../src/ops/index.js';
import { leakySequence } from '../src/neurons/leaky.js';
import { ValueError } from '../src/core/errors.js';
import { probe } from './helpers/gradcheck.js';

const ours: Record<string, (p: any) => Surrogate> = {
  atan: (p) => atan({ alpha: p.alpha }),
  fast_sigmoid: (p) => fastSigmoid({ slope: p.slope }),
  sigmoid: (p) => sigmoid({ slope: p.slope }),
  triangular: (p) => triangular({ threshold: p.threshold }),
  spike_rate_escape: (p) => spikeRateEscape({ beta: p.beta, slope: p.slope }),
  straight_through_estimator: () => straightThrough(),
};

describe('surrogates match snnTorch (surrogates.json)', () => {
  const cases = loadFixture('surrogates').cases;
  it('covers every surrogate in the fixture', () => {
    expect(cases.map((c: any) => c.name).sort()).toEqual(Object.keys(ours).sort());
  });
  for (const name of Object.keys(ours)) {
    it(name, () => {
      const c = cases.find((x: any) => x.name === name);
      expect(c).toBeDefined();
      const s = ours[name](c.params);
      expect(
        maxAbsDiff(
          c.x.map((x: number) => heaviside(x)),
          c.forward,
        ),
      ).toBe(0);
      expect(
        maxAbsDiff(
          c.x.map((x: number) => s.grad(x)),
          c.grad,
        ),
      ).toBeLessThan(1e-5);
      // the fused kernels' closed form (reference; the WASM kernel is compared with it below)
      expect(
        maxAbsDiff(
          c.x.map((x: number) => surrogateGrad(s.code!, s.param, x, s.param2)),
          c.grad,
        ),
      ).toBeLessThan(1e-5);
    });
  }
});

describe('surrogates from the theory', () => {
  it('are the derivatives of their smooth step functions (finite differences)', () => {
    const sigma = 0.4;
    const erf = (z: number) => {
      // Abramowitz-Stegun 7.1.26 is too coarse; integrate the density instead (Simpson, fine grid)
      let s = 0;
      const n = 2000;
      const hh = z / n;
      for (let i = 0; i <= n; i++) s += (i === 0 || i === n ? 1 : i % 2 ? 4 : 2) * Math.exp(-((i * hh) ** 2));
      return ((s * hh) / 3) * (2 / Math.sqrt(Math.PI));
    };
    const smooth: Array<[Surrogate, (x: number) => number]> = [
      [atan({ alpha: 2 }), (x) => Math.atan((Math.PI / 2) * 2 * x) / Math.PI + 0.5],
      [fastSigmoid({ slope: 25 }), (x) => x / (1 + 25 * Math.abs(x))],
      [sigmoid({ slope: 25 }), (x) => 1 / (1 + Math.exp(-25 * x))],
      [gaussian({ sigma }), (x) => 0.5 * (1 + erf(x / (sigma * Math.SQRT2)))],
      [spikeRateEscape({ beta: 2, slope: 3 }), (x) => (x < 1 ? 1.5 * Math.exp(2 * (x - 1)) : 3 - 1.5 * Math.exp(-2 * (x - 1)))],
      // the tutorials' forms: the normalised arctangent step, and 1/(1 + (pi k x)^2) = d/dx arctan(pi k x)/(pi k)
      // tutorial 6 writes (1/pi)/(1 + (pi x)^2), the derivative of arctan(pi x)/pi^2 (its step 1/2 + arctan(pi x)/pi has pi times it)
      [atanOverPi(), (x) => Math.atan(Math.PI * x) / Math.PI ** 2],
      [atanK({ k: 1 }), (x) => 0.5 + Math.atan(Math.PI * x) / Math.PI],
      [atanK({ k: 1.5 }), (x) => Math.atan(Math.PI * 1.5 * x) / (Math.PI * 1.5)],
      // the textbook triangle: the derivative of the piecewise-quadratic step (width 0.8)
      [
        triangle({ width: 0.8 }),
        (x) => {
          const w = 0.8;
          const u = Math.max(-w, Math.min(w, x));
          return u - (Math.sign(u) * u * u) / (2 * w);
        },
      ],
    ];
    const h = 1e-5;
    for (const [s, f] of smooth) {
      for (let x = -1.5; x <= 1.5; x += 0.0731) {
        const fd = (f(x + h) - f(x - h)) / (2 * h);
        expect(Math.abs(s.grad(x) - fd), `${s.name} at ${x}`).toBeLessThan(1e-4 * Math.max(1, fd));
      }
    }
  });
  it('gaussian integrates to 1; straight-through is 1; triangular flips sign at 0', () => {
    const g = gaussian({ sigma: 0.3 });
    let area = 0;
    for (let x = -5; x < 5; x += 1e-3) area += g.grad(x) * 1e-3;
    expect(area).toBeCloseTo(1, 4);
    expect(straightThrough().grad(-7)).toBe(1);
    const t = triangular({ threshold: 0.5 });
    expect([t.grad(-1e-9), t.grad(0), t.grad(3)]).toEqual([0.5, -0.5, -0.5]);
    // the textbook triangle max(0, 1 - |x|) and the tutorials' arctangents at hand-computed points
    const tri = triangle();
    expect([tri.grad(-2), tri.grad(-0.25), tri.grad(0), tri.grad(0.5), tri.grad(1)]).toEqual([0, 0.75, 1, 0.5, 0]);
    expect(atanOverPi().grad(0)).toBeCloseTo(1 / Math.PI, 12);
    expect(atanOverPi().grad(1)).toBeCloseTo(1 / Math.PI / (1 + Math.PI ** 2), 12);
    expect(atanK({ k: 2 }).grad(0.5)).toBeCloseTo(1 / (1 + Math.PI ** 2), 12);
  });
  it('reject invalid parameters with ValueError', () => {
    expect(() => atan({ alpha: -1 })).toThrow(/atan alpha/);
    expect(() => fastSigmoid({ slope: Number.NaN })).toThrow(/slope/);
    expect(() => gaussian({ sigma: 0 })).toThrow(ValueError);
    expect(() => triangle({ width: 0 })).toThrow(/triangle width/);
    expect(() => scaledAtan({ k: -1 })).toThrow(/scaledAtan k/);
    expect(() => spikeRateEscape({ slope: -1 })).toThrow(/spikeRateEscape slope/);
    expect(() => custom(42 as any)).toThrow(/expected a function/);
    expect(() => custom(() => Number.NaN)).toThrow(/finite/);
  });
  it('serialise and come back (custom ones refuse with a message)', () => {
    for (const s of [
      atan({ alpha: 3 }),
      fastSigmoid({ slope: 9 }),
      sigmoid({ slope: 4 }),
      triangular({ threshold: 2 }),
      spikeRateEscape({ beta: 2, slope: 7 }),
      straightThrough(),
      gaussian({ sigma: 0.7 }),
      triangle({ width: 0.6 }),
      atanOverPi(),
      atanK({ k: 3 }),
    ]) {
      const back = surrogateFromName(surrogateConfig(s));
      expect([back.name, back.code, back.param, back.param2]).toEqual([s.name, s.code, s.param, s.param2]);
      for (const x of [-0.7, 0, 0.2, 1.3]) expect(back.grad(x)).toBe(s.grad(x));
    }
    expect(() => surrogateFromName(surrogateConfig(custom((x) => x * x)))).toThrow(/custom surrogate/);
    expect(() => surrogateFromName({ name: 'tanh' })).toThrow(/expected atan/);
  });
});

describe('every surrogate drives the fused Leaky backward', () => {
  const all: Surrogate[] = [
    atan(),
    fastSigmoid({ slope: 5 }),
    sigmoid({ slope: 5 }),
    triangular({ threshold: 0.7 }),
    spikeRateEscape({ beta: 1.5, slope: 2 }),
    straightThrough(),
    gaussian({ sigma: 0.4 }),
    triangle({ width: 0.8 }),
    atanOverPi(),
    atanK({ k: 0.7 }),
  ];
  const rng = new Rng(9);
  const T = 9,
    B = 3,
    H = 21; // odd sizes: SIMD body and scalar tail both run
  const x0 = Float32Array.from({ length: T * B * H }, () => rng.normal() * 0.5 + 0.3);
  const ws = Float32Array.from({ length: T * B * H }, () => rng.normal());
  const wm = Float32Array.from({ length: T * B * H }, () => rng.normal());
  function grads(s: Surrogate, k: (typeof bothKernels)[number][1], reset: 'subtract' | 'zero', constInput = false) {
    const x = new Tensor(constInput ? x0.slice(0, B * H) : x0.slice(), constInput ? [B, H] : [T, B, H], { requiresGrad: true });
    const beta = new Tensor(
      Float32Array.from({ length: H }, (_, i) => 0.5 + 0.02 * i),
      [H],
      { requiresGrad: true },
    );
    const thr = new Tensor(Float32Array.of(0.9), [1], { requiresGrad: true });
    const r = leakySequence(x, { steps: T, constInput, beta, threshold: thr, reset, surrogate: s, kernels: k });
    backward(addScalars(probe(r.spk, ws), probe(r.mem!, wm)));
    return [...x.grad!, ...beta.grad!, ...thr.grad!];
  }
  for (const s of all) {
    for (const reset of ['subtract', 'zero'] as const) {
      it(`${s.name} (${reset}): WASM kernel = reference kernel = TypeScript scan with the same function as a custom surrogate`, () => {
        const [[, ref], [, wasm]] = bothKernels;
        const a = grads(s, ref, reset);
        const b = grads(s, wasm, reset);
        const c = grads(custom(s.grad), ref, reset);
        expect(a.some((v) => v !== 0)).toBe(true);
        for (let i = 0; i < a.length; i++) {
          const tol = 2e-4 * Math.max(1, Math.abs(a[i]));
          expect(Math.abs(b[i] - a[i]), `wasm element ${i}`).toBeLessThan(tol);
          expect(Math.abs(c[i] - a[i]), `ts element ${i}`).toBeLessThan(tol);
        }
      });
    }
  }
  it('custom surrogates work through the TS path with constant input too', () => {
    const [[, ref]] = bothKernels;
    const s = fastSigmoid({ slope: 3 });
    const a = grads(s, ref, 'subtract', true);
    const c = grads(custom(s.grad), ref, 'subtract', true);
    for (let i = 0; i < a.length; i++) expect(c[i]).toBeCloseTo(a[i], 3);
  });
});
