import { SurrogateCode } from '../kernels/types.js';
import { ValueError, checkRange } from '../core/errors.js';

/**
 * A surrogate gradient is a value: the forward pass is always the Heaviside step
 * (spike when x = mem - threshold > 0), the backward pass uses `grad(x)` instead of the Dirac delta.
 * `code`/`param`/`param2` tell the fused LIF kernels which closed form to evaluate; a custom surrogate
 * has code null and runs through the TypeScript path (src/neurons/scan.ts).
 */
export interface Surrogate {
  readonly name: string;
  /** Closed form the fused Leaky kernels evaluate natively; null for `custom` surrogates. */
  readonly code: SurrogateCode | null;
  readonly param: number;
  /** Second parameter (spikeRateEscape: slope); 0 where unused. */
  readonly param2: number;
  /** d spike / d x used in the backward pass. */
  grad(x: number): number;
}

/** Heaviside step used by every surrogate's forward pass. */
export function heaviside(x: number): number {
  return x > 0 ? 1 : 0;
}

/**
 * A closed-form surrogate of one parameter: `given` (or `dflt`), checked to lie in [lo, hi] and named
 * `label` in the message, and `grad` made from it. The one-parameter surrogates below are each one call.
 */
function oneParam(
  name: string,
  code: SurrogateCode,
  label: string,
  [given, dflt, lo, hi]: [given: number | undefined, dflt: number, lo: number, hi: number],
  grad: (p: number) => (x: number) => number,
): Surrogate {
  const p = given ?? dflt;
  checkRange(`${name} ${label}`, p, lo, hi);
  return { name, code, param: p, param2: 0, grad: grad(p) };
}

// atan, fastSigmoid, sigmoid, triangular and gaussian are one oneParam call each, alike in shape:
// each names its own parameter, default, range and formula.
/** Arctangent surrogate (snnTorch `surrogate.atan(alpha=2.0)`): alpha/2 / (1 + (pi/2 alpha x)^2). */
export function atan(opts: { alpha?: number } = {}): Surrogate {
  return oneParam(
    'atan',
    SurrogateCode.Atan,
    'alpha',
    [opts.alpha, 2.0, 1e-6, 1e6],
    (alpha) => (x) => alpha / 2 / (1 + ((Math.PI / 2) * alpha * x) ** 2),
  );
}

/** Fast sigmoid surrogate (snnTorch `surrogate.fast_sigmoid(slope=25)`): 1 / (slope |x| + 1)^2. */
export function fastSigmoid(opts: { slope?: number } = {}): Surrogate {
  return oneParam(
    'fastSigmoid',
    SurrogateCode.FastSigmoid,
    'slope',
    [opts.slope, 25, 1e-6, 1e6],
    (slope) => (x) => 1 / (slope * Math.abs(x) + 1) ** 2,
  );
}

/** Sigmoid surrogate (snnTorch `surrogate.sigmoid(slope=25)`): slope e^{-slope x} / (1 + e^{-slope x})^2. */
export function sigmoid(opts: { slope?: number } = {}): Surrogate {
  return oneParam('sigmoid', SurrogateCode.Sigmoid, 'slope', [opts.slope, 25, 1e-6, 1e6], (slope) => (x) => {
    const e = Math.exp(-slope * Math.abs(x)); // s' is even: evaluate at -|x| so e never overflows
    return (slope * e) / (1 + e) ** 2;
  });
}

/**
 * snnTorch's `surrogate.triangular(threshold=1)`, exactly as snnTorch 0.9.4 computes it:
 * d/dx = threshold for x < 0 and -threshold for x >= 0 (the slopes of a triangle peaked at 0).
 */
export function triangular(opts: { threshold?: number } = {}): Surrogate {
  return oneParam(
    'triangular',
    SurrogateCode.Triangular,
    'threshold',
    [opts.threshold, 1, -1e6, 1e6],
    (thr) => (x) => (x >= 0 ? -thr : thr),
  );
}

/**
 * Spike-rate escape (snnTorch `surrogate.spike_rate_escape(beta=1, slope=25)`, Gerstner & Kistler's escape
 * noise): d/dx = slope * exp(-beta |x - 1|), as snnTorch 0.9.4 defines it (peaked at x = 1).
 */
export function spikeRateEscape(opts: { beta?: number; slope?: number } = {}): Surrogate {
  const beta = opts.beta ?? 1;
  const slope = opts.slope ?? 25;
  checkRange('spikeRateEscape beta', beta, 0, 1e6);
  checkRange('spikeRateEscape slope', slope, 0, 1e6);
  return {
    name: 'spikeRateEscape',
    code: SurrogateCode.SpikeRateEscape,
    param: beta,
    param2: slope,
    grad: (x) => slope * Math.exp(-beta * Math.abs(x - 1)),
  };
}

/** Straight-through estimator (snnTorch `surrogate.straight_through_estimator()`): d/dx = 1. */
export function straightThrough(): Surrogate {
  return { name: 'straightThrough', code: SurrogateCode.StraightThrough, param: 0, param2: 0, grad: () => 1 };
}

/**
 * Gaussian surrogate (not in snnTorch; as in Yin et al. 2021 and Norse-style codes): the normal density
 * d/dx = exp(-x^2 / (2 sigma^2)) / (sigma sqrt(2 pi)), the derivative of the normal CDF (integrates to 1).
 */
export function gaussian(opts: { sigma?: number } = {}): Surrogate {
  return oneParam('gaussian', SurrogateCode.Gaussian, 'sigma', [opts.sigma, 0.5, 1e-6, 1e6], (sigma) => {
    const k = 1 / (sigma * Math.sqrt(2 * Math.PI));
    return (x) => k * Math.exp(-(x * x) / (2 * sigma * sigma));
  });
}

/**
 * The textbook triangular surrogate d/dx = max(0, 1 - |x| / width) (width 1: max(0, 1 - |x|)), the
 * derivative of a piecewise-linear step. Not snnTorch 0.9.4's `triangular` (its +threshold / -threshold form).
 */
export function triangle(opts: { width?: number } = {}): Surrogate {
  return oneParam('triangle', SurrogateCode.Triangle, 'width', [opts.width, 1, 1e-6, 1e6], (w) => (x) => Math.max(0, 1 - Math.abs(x) / w));
}

/**
 * The tutorials' arctangent surrogates, d/dx = height / (1 + (pi k x)^2): `atanOverPi()` is
 * (1/pi) / (1 + (pi x)^2) as snnTorch's tutorial 6 writes it (k 1, height 1/pi; note that the derivative of
 * the step it approximates, 1/2 + arctan(pi x) / pi, is pi times this: `atanK({ k: 1 })`), and `atanK({ k })`
 * is 1 / (1 + (pi k x)^2) (height 1). snnTorch's `atan(alpha)` is this with k = alpha/2, height alpha/2.
 */
export function scaledAtan(opts: { k?: number; height?: number } = {}): Surrogate {
  const k = opts.k ?? 1;
  const height = opts.height ?? 1;
  checkRange('scaledAtan k', k, 1e-6, 1e6);
  checkRange('scaledAtan height', height, 1e-6, 1e6);
  return {
    name: 'scaledAtan',
    code: SurrogateCode.ScaledAtan,
    param: k,
    param2: height,
    grad: (x) => height / (1 + (Math.PI * k * x) ** 2),
  };
}

/** (1/pi) / (1 + (pi x)^2), tutorial 6's formula as written (see scaledAtan). */
export function atanOverPi(): Surrogate {
  return scaledAtan({ k: 1, height: 1 / Math.PI });
}

/** 1 / (1 + (pi k x)^2) (see scaledAtan). */
export function atanK(opts: { k?: number } = {}): Surrogate {
  return scaledAtan({ k: opts.k ?? 1, height: 1 });
}

/**
 * A user-defined surrogate (snnTorch `surrogate.custom_surrogate`): forward is the Heaviside step at the
 * threshold, backward uses `grad(x)` with x = mem - threshold. It has no kernel code, so layers using it
 * run the TypeScript scan (src/neurons/scan.ts) instead of the fused WASM kernel. Not serialisable.
 */
export function custom(grad: (x: number) => number, opts: { name?: string } = {}): Surrogate {
  if (typeof grad !== 'function') throw new ValueError(`custom surrogate: expected a function x => d spike / dx, found ${typeof grad}`);
  const g0 = grad(0);
  if (typeof g0 !== 'number' || !Number.isFinite(g0)) {
    throw new ValueError(`custom surrogate: grad(0) must be a finite number, found ${String(g0)}`);
  }
  return { name: opts.name ?? 'custom', code: null, param: 0, param2: 0, grad };
}

/** Serialisable form of a surrogate ({ name, param, param2? }), read back by surrogateFromConfig. */
export function surrogateConfig(s: Surrogate): { name: string; param: number; param2?: number } {
  if (s.code === null) return { name: 'custom', param: 0 }; // a function: surrogateFromName refuses it with a message
  return s.param2 ? { name: s.name, param: s.param, param2: s.param2 } : { name: s.name, param: s.param };
}

/** The serialisable surrogates by name, from their { param, param2 } (checkpoints, CLI). */
const FROM_NAME: Record<string, (c: { param?: number; param2?: number }) => Surrogate> = {
  atan: (c) => atan({ alpha: c.param }),
  fastSigmoid: (c) => fastSigmoid({ slope: c.param }),
  sigmoid: (c) => sigmoid({ slope: c.param }),
  triangular: (c) => triangular({ threshold: c.param }),
  spikeRateEscape: (c) => spikeRateEscape({ beta: c.param, slope: c.param2 }),
  straightThrough: () => straightThrough(),
  gaussian: (c) => gaussian({ sigma: c.param }),
  triangle: (c) => triangle({ width: c.param }),
  scaledAtan: (c) => scaledAtan({ k: c.param, height: c.param2 }),
};

/** Surrogate from its serialised form (checkpoints, CLI). */
export function surrogateFromName(c: { name: string; param?: number; param2?: number }): Surrogate {
  if (c.name === 'custom') {
    throw new ValueError(
      'surrogate: the layer was saved with a custom surrogate (a function, not serialisable); rebuild the layer with custom(...) and load its weights',
    );
  }
  if (!Object.hasOwn(FROM_NAME, c.name)) {
    const names = Object.keys(FROM_NAME);
    throw new ValueError(`surrogate: expected ${names.slice(0, -1).join(', ')} or ${names.at(-1)}, found ${JSON.stringify(c.name)}`);
  }
  return FROM_NAME[c.name](c);
}
