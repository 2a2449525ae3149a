import type { Tensor } from '../core/tensor.js';
import { checkRange } from '../core/errors.js';

export interface Optimizer {
  /** Learning rate used by the next step (schedules set it between steps). */
  lr: number;
  step(): void;
  zeroGrad(): void;
}

/** Adam with PyTorch's update rule (bias-corrected moments, eps added after the square root). */
export class Adam implements Optimizer {
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private t = 0;
  /** Learning rate; may be changed between steps (schedules). */
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;

  constructor(
    readonly params: readonly Tensor[],
    opts: { lr?: number; betas?: [number, number]; eps?: number } = {},
  ) {
    this.lr = opts.lr ?? 1e-3;
    [this.beta1, this.beta2] = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    checkRange('Adam lr', this.lr, 0, 10);
    checkRange('Adam beta1', this.beta1, 0, 0.999999);
    checkRange('Adam beta2', this.beta2, 0, 0.999999999);
    this.m = params.map((p) => new Float32Array(p.size));
    this.v = params.map((p) => new Float32Array(p.size));
  }

  step(): void {
    this.t++;
    const { beta1: b1, beta2: b2, eps } = this;
    const c1 = 1 - b1 ** this.t;
    const c2 = Math.sqrt(1 - b2 ** this.t);
    const stepSize = this.lr / c1;
    for (let j = 0; j < this.params.length; j++) {
      const g = this.params[j].grad;
      if (g) adamUpdate(this.params[j].data as Float32Array, g, this.m[j], this.v[j], b1, b2, stepSize, c2, eps);
    }
  }

  zeroGrad(): void {
    for (const p of this.params) p.grad?.fill(0);
  }
}

/** Cosine annealing from `base` to 0 over `total` steps: the learning rate for step `i` (0-based). */
export function cosineLr(base: number, total: number): (i: number) => number {
  return (i) => 0.5 * base * (1 + Math.cos((Math.PI * Math.min(i, total)) / Math.max(total, 1)));
}

/** One Adam update of a parameter array (a small monomorphic loop the JIT compiles well). */
function adamUpdate(
  w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array,
  b1: number, b2: number, stepSize: number, c2: number, eps: number,
): void {
  const a1 = 1 - b1;
  const a2 = 1 - b2;
  const invC2 = 1 / c2;
  for (let i = 0; i < w.length; i++) {
    const gi = g[i];
    const mi = b1 * m[i] + a1 * gi;
    const vi = b2 * v[i] + a2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] -= (stepSize * mi) / (Math.sqrt(vi) * invC2 + eps);
  }
}

/** Stochastic gradient descent with optional (PyTorch-style) momentum. */
export class SGD implements Optimizer {
  private readonly buf: Float32Array[] | null;
  /** Learning rate; may be changed between steps (schedules). */
  lr: number;
  readonly momentum: number;

  constructor(
    readonly params: readonly Tensor[],
    opts: { lr?: number; momentum?: number } = {},
  ) {
    this.lr = opts.lr ?? 1e-2;
    this.momentum = opts.momentum ?? 0;
    checkRange('SGD lr', this.lr, 0, 1e3);
    checkRange('SGD momentum', this.momentum, 0, 0.999999);
    this.buf = this.momentum > 0 ? params.map((p) => new Float32Array(p.size)) : null;
  }

  step(): void {
    this.params.forEach((p, j) => {
      const g = p.grad;
      if (!g) return;
      const w = p.data as Float32Array;
      const b = this.buf?.[j];
      for (let i = 0; i < w.length; i++) {
        let d = g[i];
        if (b) d = b[i] = this.momentum * b[i] + d;
        w[i] -= this.lr * d;
      }
    });
  }

  zeroGrad(): void {
    for (const p of this.params) p.grad?.fill(0);
  }
}
