import type { Tensor } from '../core/tensor.js';
import { ValueError, checkMethods, checkObject, checkRange, checkTensor, describe } from '../core/errors.js';
import type { AdamCoefficients, AdamState, GradientSum, Kernels } from '../kernels/types.js';
import { defaultKernels } from '../kernels/default.js';
import { zeroFill } from '../core/buffers.js';

export type { AdamCoefficients } from '../kernels/types.js';

export interface Optimizer {
  /** Learning rate used by the next step (schedules set it between steps). */
  lr: number;
  step(): void;
  zeroGrad(): void;
}

/**
 * Adam with PyTorch's update rule (bias-corrected moments, eps added after the square root). The
 * moments of each updated range stay with the kernels between steps (Kernels.adamState: in WASM memory,
 * not copied in and out at every step); state() copies them back into the arrays it returns.
 */
export class Adam implements Optimizer {
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  /** Moments held by the kernels, per parameter range "j:from:to". */
  private held = new Map<string, AdamState>();
  private t = 0;
  /** Learning rate; may be changed between steps (schedules). */
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** The kernels that run the update (default: the WASM kernels). */
  private readonly kernels: Kernels | undefined;

  constructor(
    readonly params: readonly Tensor[],
    opts: { lr?: number; betas?: [number, number]; eps?: number; kernels?: Kernels } = {},
  ) {
    checkParams('Adam', params);
    checkObject('Adam options', opts);
    if (opts.betas !== undefined && !(Array.isArray(opts.betas) && opts.betas.length === 2)) {
      throw new ValueError(`Adam betas: expected [beta1, beta2], found ${describe(opts.betas)}`);
    }
    if (opts.kernels !== undefined)
      checkMethods('Adam kernels', opts.kernels, ['adamUpdate'], 'Kernels (defaultKernels() or referenceKernels)');
    this.kernels = opts.kernels;
    this.lr = opts.lr ?? 1e-3;
    [this.beta1, this.beta2] = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    checkRange('Adam lr', this.lr, 0, 10);
    checkRange('Adam beta1', this.beta1, 0, 0.999999);
    checkRange('Adam beta2', this.beta2, 0, 0.999999999);
    checkRange('Adam eps', this.eps, 0, 1);
    this.m = params.map((p) => new Float32Array(p.size));
    this.v = params.map((p) => new Float32Array(p.size));
  }

  step(): void {
    const c = this.beginStep();
    for (let j = 0; j < this.params.length; j++) this.updateRange(j, 0, this.params[j].size, c);
  }

  /** Advances the step counter and returns this step's coefficients (for updates split over threads). */
  beginStep(): AdamCoefficients {
    this.t++;
    return {
      b1: this.beta1,
      b2: this.beta2,
      eps: this.eps,
      stepSize: this.lr / (1 - this.beta1 ** this.t),
      c2: Math.sqrt(1 - this.beta2 ** this.t),
    };
  }

  /** Updates elements [from, to) of parameter j (its gradient must be complete). */
  updateRange(j: number, from: number, to: number, c: AdamCoefficients): void {
    const g = this.params[j].grad;
    if (g) this.updateWith(j, from, to, g.subarray(from, to), c);
  }

  /**
   * updateRange with the gradient given as per-thread buffers of the range (weighted sum, stored
   * into the first; DataParallel).
   */
  updateRangeSum(j: number, from: number, to: number, g: GradientSum, c: AdamCoefficients): void {
    this.updateWith(j, from, to, g, c);
  }

  private updateWith(j: number, from: number, to: number, g: Float32Array | GradientSum, c: AdamCoefficients): void {
    const k = this.kernels ?? defaultKernels();
    const key = `${j}:${from}:${to}`;
    let s = this.held.get(key);
    if (!s) {
      s = k.adamState(this.m[j].subarray(from, to), this.v[j].subarray(from, to));
      this.held.set(key, s);
    }
    k.adamStep((this.params[j].data as Float32Array).subarray(from, to), g, s, c);
  }

  /**
   * The moment buffers, brought up to date; `moveState` rebinds them (e.g. to SharedArrayBuffers for
   * worker threads). The kernels keep holding the moments: write into these arrays only through moveState.
   */
  state(): { m: Float32Array[]; v: Float32Array[] } {
    const k = this.kernels ?? defaultKernels();
    for (const s of this.held.values()) k.adamStateRead(s);
    return { m: this.m, v: this.v };
  }

  /** Brings the moment buffers up to date and releases the kernels' copies (later steps hold them again). */
  release(): void {
    const k = this.kernels ?? defaultKernels();
    for (const s of this.held.values()) k.adamStateFree(s);
    this.held.clear();
  }

  moveState(alloc: (n: number) => Float32Array): void {
    this.release();
    for (let j = 0; j < this.m.length; j++) {
      const m = alloc(this.m[j].length);
      const v = alloc(this.v[j].length);
      m.set(this.m[j]);
      v.set(this.v[j]);
      this.m[j] = m;
      this.v[j] = v;
    }
  }

  zeroGrad(): void {
    for (const p of this.params) if (p.grad) zeroFill(p.grad);
  }
}

/** The parameters an optimizer updates: an array of Tensors. */
function checkParams(who: string, params: unknown): void {
  if (!Array.isArray(params))
    throw new ValueError(`${who} params: expected an array of Tensors (e.g. model.parameters()), found ${describe(params)}`);
  params.forEach((p, i) => checkTensor(`${who} params[${i}]`, p));
}

/** Cosine annealing from `base` to 0 over `total` steps: the learning rate for step `i` (0-based). */
export function cosineLr(base: number, total: number): (i: number) => number {
  return (i) => 0.5 * base * (1 + Math.cos((Math.PI * Math.min(i, total)) / Math.max(total, 1)));
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
    checkParams('SGD', params);
    checkObject('SGD options', opts);
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
    for (const p of this.params) if (p.grad) zeroFill(p.grad);
  }
}
