import { Tensor } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { checkBool, checkInt, checkObject, checkRng } from '../core/errors.js';
import { linear, type GradOffer } from '../ops/index.js';
import { transposeMatrix, uniformBias, type ForwardContext, type ImageShape, type Layer, type NamedParameter, type Seq } from './layer.js';
import { chwPositions, permuteRows } from './flatten.js';
import { MAX_ELEMENTS, expectFeatures, type LayerKind } from './layer-kind.js';

/**
 * Fully connected layer y = x W + b, like torch.nn.Linear (same default initialisation:
 * U(-1/sqrt(in), 1/sqrt(in)) for weight and bias). The weight is stored [in, out] — the transpose
 * of torch's [out, in] — so that each input spike adds one contiguous row; checkpoints use torch's layout.
 */
export class Linear implements Layer {
  readonly kind = 'linear';
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: { rng: Rng; bias?: boolean },
  ) {
    checkInt('Linear inFeatures', inFeatures, 1);
    checkInt('Linear outFeatures', outFeatures, 1);
    // randomness is explicit: there is no default generator to fall back on
    checkObject('Linear options', opts);
    checkRng('Linear rng', opts.rng);
    checkBool('Linear bias', opts.bias);
    const bound = 1 / Math.sqrt(inFeatures);
    const w = new Float32Array(inFeatures * outFeatures);
    // Draw in torch's [out, in] order so a given seed gives the same matrix whichever layout is stored.
    for (let o = 0; o < outFeatures; o++) {
      for (let i = 0; i < inFeatures; i++) w[i * outFeatures + o] = (opts.rng.uniform() * 2 - 1) * bound;
    }
    this.weight = new Tensor(w, [inFeatures, outFeatures], { requiresGrad: true });
    this.bias = (opts.bias ?? true) ? uniformBias(opts.rng, outFeatures, bound) : null;
  }

  /** `inputGrad`: the producer's offer to form the input's gradient itself (see GradOffer; the fusion pass passes it). */
  forward(input: Seq, ctx: ForwardContext, inputGrad?: GradOffer): Seq {
    return { ...input, x: linear(input.x, this.weight, this.bias, ctx.kernels, { inputGrad }) };
  }

  private hwcOrder: { key: string; perm: Int32Array } | null = null;

  /**
   * Flatten then this layer, for channels-last images (the image stays as it is): the same result as
   * flattening into torch's [C, H, W] order, with the weight's rows put in the image's [H, W, C] order
   * instead of the activations (in x out values per step instead of T x B x in, both ways).
   */
  forwardFlattened(input: Seq, image: ImageShape, ctx: ForwardContext, inputGrad?: GradOffer): Seq {
    const key = `${image.c}x${image.h}x${image.w}`;
    if (this.hwcOrder?.key !== key) this.hwcOrder = { key, perm: chwPositions(image.c, image.h, image.w) };
    const w = permuteRows(this.weight, this.hwcOrder.perm);
    return { x: linear(input.x, w, this.bias, ctx.kernels, { inputGrad }), steps: input.steps, constant: input.constant };
  }

  parameters(): NamedParameter[] {
    const ps = [{ name: 'weight', tensor: this.weight }];
    if (this.bias) ps.push({ name: 'bias', tensor: this.bias });
    return ps;
  }

  config(): Record<string, unknown> {
    return { in: this.inFeatures, out: this.outFeatures, bias: this.bias !== null };
  }

  /** Weight in torch's layout [out, in]. */
  exportParameter(name: string, t: Tensor): { shape: number[]; data: Float32Array } {
    const d = t.data as Float32Array;
    if (name !== 'weight') return { shape: [...t.shape], data: d.slice() };
    return { shape: [this.outFeatures, this.inFeatures], data: transposeMatrix(d, this.inFeatures, this.outFeatures) };
  }

  /** Inverse of exportParameter. */
  importParameter(name: string, t: Tensor, data: Float32Array): void {
    const d = t.data as Float32Array;
    if (name !== 'weight') {
      d.set(data);
      return;
    }
    transposeMatrix(data, this.outFeatures, this.inFeatures, d);
  }
}

/** Registry entry: torch.nn.Linear; the weights file holds weight [out, in] and bias [out]. */
export const linearKind: LayerKind = {
  kind: 'linear',
  fromConfig: (c, rng) => new Linear(c.in, c.out, { rng, bias: c.bias }),
  contract: (f, input) => {
    const n = f.int('in', 1, MAX_ELEMENTS);
    const out = f.int('out', 1, MAX_ELEMENTS);
    const bias = f.bool('bias', true);
    expectFeatures(f, 'in', n, input);
    return {
      flow: { features: out, image: null },
      params: [['weight', [out, n]], ...(bias ? [['bias', [out]] as [string, number[]]] : [])],
      neurons: 0,
      inputFeatures: n,
    };
  },
};
