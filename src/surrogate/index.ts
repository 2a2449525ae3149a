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

/** Arctangent surrogate (snnTorch `surrogate.atan(alpha=2.0)`): alpha/2 / (1 + (pi/2 alpha x)^2). */
export function atan(opts: { alpha?: number } = {}): Surrogate {
  const alpha = opts.alpha ?? 2.0;
  checkRange('atan alpha', alpha, 1e-6, 1e6);
  return {
    name: 'atan',
    code: SurrogateCode.Atan,
    param: alpha,
    param2: 0,
    grad: (x) => alpha / 2 / (1 + ((Math.PI / 2) * alpha * x) ** 2),
  };
}

/** Fast sigmoid surrogate (snnTorch `surrogate.fast_sigmoid(slope=25)`): 1 / (slope |x| + 1)^2. */
export function fastSigmoid(opts: { slope?: number } = {}): Surrogate {
  const slope = opts.slope ?? 25;
  checkRange('fastSigmoid slope', slope, 1e-6, 1e6);
  return {
    name: 'fastSigmoid',
    code: SurrogateCode.FastSigmoid,
    param: slope,
    param2: 0,
    grad: (x) => 1 / (slope * Math.abs(x) + 1) ** 2,
  };
}

/** Sigmoid surrogate (snnTorch `surrogate.sigmoid(slope=25)`): slope e^{-slope x} / (1 + e^{-slope x})^2. */
export function sigmoid(opts: { slope?: number } = {}): Surrogate {
  const slope = opts.slope ?? 25;
  checkRange('sigmoid slope', slope, 1e-6, 1e6);
  return {
    name: 'sigmoid',
    code: SurrogateCode.Sigmoid,
    param: slope,
    param2: 0,
    grad: (x) => {
      const e = Math.exp(-slope * Math.abs(x)); // s' is even: evaluate at -|x| so e never overflows
      return (slope * e) / (1 + e) ** 2;
    },
  };
}

/**
 * snnTorch's `surrogate.triangular(threshold=1)`, exactly as snnTorch 0.9.4 computes it:
 * d/dx = threshold for x < 0 and -threshold for x >= 0 (the slopes of a triangle peaked at 0).
 */
export function triangular(opts: { threshold?: number } = {}): Surrogate {
  const thr = opts.threshold ?? 1;
  checkRange('triangular threshold', thr, -1e6, 1e6);
  return {
    name: 'triangular',
    code: SurrogateCode.Triangular,
    param: thr,
    param2: 0,
    grad: (x) => (x >= 0 ? -thr : thr),
  };
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
  const sigma = opts.sigma ?? 0.5;
  checkRange('gaussian sigma', sigma, 1e-6, 1e6);
  const k = 1 / (sigma * Math.sqrt(2 * Math.PI));
  return {
    name: 'gaussian',
    code: SurrogateCode.Gaussian,
    param: sigma,
    param2: 0,
    grad: (x) => k * Math.exp(-(x * x) / (2 * sigma * sigma)),
  };
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

/** Surrogate from its serialised form (checkpoints, CLI). */
export function surrogateFromName(c: { name: string; param?: number; param2?: number }): Surrogate {
  switch (c.name) {
    case 'atan':
      return atan({ alpha: c.param });
    case 'fastSigmoid':
      return fastSigmoid({ slope: c.param });
    case 'sigmoid':
      return sigmoid({ slope: c.param });
    case 'triangular':
      return triangular({ threshold: c.param });
    case 'spikeRateEscape':
      return spikeRateEscape({ beta: c.param, slope: c.param2 });
    case 'straightThrough':
      return straightThrough();
    case 'gaussian':
      return gaussian({ sigma: c.param });
    case 'custom':
      throw new ValueError(
        'surrogate: the layer was saved with a custom surrogate (a function, not serialisable); rebuild the layer with custom(...) and load its weights',
      );
    default:
      throw new ValueError(
        `surrogate: expected atan, fastSigmoid, sigmoid, triangular, spikeRateEscape, straightThrough or gaussian, found ${JSON.stringify(c.name)}`,
      );
  }
}
