import { SurrogateCode } from '../kernels/types.js';
import { checkRange } from '../core/errors.js';

/**
 * A surrogate gradient is a value: the forward pass is always the Heaviside step
 * (spike when x = mem - threshold > 0), the backward pass uses `grad(x)` instead of the Dirac delta.
 * `code`/`param` tell the fused WASM LIF kernel which closed form to evaluate.
 */
export interface Surrogate {
  readonly name: string;
  readonly code: SurrogateCode;
  readonly param: number;
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
    grad: (x) => alpha / 2 / (1 + (Math.PI / 2 * alpha * x) ** 2),
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
    grad: (x) => {
      const e = Math.exp(-slope * x);
      return Number.isFinite(e) ? (slope * e) / (1 + e) ** 2 : 0;
    },
  };
}
