import { Tensor } from '../core/tensor.js';
import { ShapeError } from '../core/errors.js';
import type { ForwardContext, ImageShape, Layer, NamedParameter, Seq } from './layer.js';
import { passThrough, type LayerKind } from './layer-kind.js';

/** perm[i]: the position in [C, H, W] order of element i of a channels-last [H, W, C] sample. */
export function chwPositions(c: number, h: number, w: number): Int32Array {
  const perm = new Int32Array(c * h * w);
  for (let yy = 0, i = 0; yy < h; yy++) for (let xx = 0; xx < w; xx++) for (let ch = 0; ch < c; ch++, i++) perm[i] = (ch * h + yy) * w + xx;
  return perm;
}

/**
 * Rows of a matrix w [R, N] in a new order: out[i, :] = w[perm[i], :] (perm a permutation of 0..R-1).
 * Backward scatters the rows back: dw[perm[i], :] += dout[i, :].
 */
export function permuteRows(w: Tensor, perm: Int32Array): Tensor {
  const [rows, n] = w.shape;
  if (w.shape.length !== 2 || perm.length !== rows)
    throw new ShapeError(`permuteRows: ${perm.length} positions for a [${w.shape.join(', ')}] matrix`);
  const src = w.data as Float32Array;
  const y = new Float32Array(w.size);
  for (let i = 0; i < rows; i++) y.set(src.subarray(perm[i] * n, perm[i] * n + n), i * n);
  const out: Tensor = new Tensor(y, [rows, n], {
    parents: [w],
    backward: () => {
      const g = out.grad!;
      const gw = w.ensureGrad();
      for (let i = 0; i < rows; i++) {
        const d = perm[i] * n,
          s = i * n;
        for (let j = 0; j < n; j++) gw[d + j] += g[s + j];
      }
    },
  });
  return out;
}

/**
 * torch.nn.Flatten for images: reorders each channels-last sample [H, W, C] into torch's [C, H, W]
 * order, so the Linear layer after it has exactly torch's weight layout. Identity for plain features.
 */
export function chwFromHwc(x: Tensor, c: number, h: number, w: number): Tensor {
  const n = c * h * w;
  const samples = x.size / n;
  const perm = chwPositions(c, h, w);
  const xd = x.data;
  // one loop per element type, so each stays monomorphic (spikes in training, floats elsewhere)
  let y: Uint8Array | Float32Array;
  if (xd instanceof Uint8Array) {
    const yb = new Uint8Array(x.size);
    for (let s = 0; s < samples; s++) {
      const base = s * n;
      for (let i = 0; i < n; i++) yb[base + perm[i]] = xd[base + i];
    }
    y = yb;
  } else {
    const yf = new Float32Array(x.size);
    for (let s = 0; s < samples; s++) {
      const base = s * n;
      for (let i = 0; i < n; i++) yf[base + perm[i]] = xd[base + i];
    }
    y = yf;
  }
  if (!x.requiresGrad) return new Tensor(y, x.shape);
  const out: Tensor = new Tensor(y, x.shape, {
    parents: [x],
    backward: () => {
      const g = out.grad!;
      const gx = x.ensureGrad();
      for (let s = 0; s < samples; s++) {
        const base = s * n;
        for (let i = 0; i < n; i++) gx[base + i] += g[base + perm[i]];
      }
    },
  });
  return out;
}

export class Flatten implements Layer {
  readonly kind = 'flatten';
  /** Whether flattening this input reorders its values (a multi-channel image of more than one pixel). */
  static reorders(image: ImageShape | undefined): image is ImageShape {
    return !!image && image.c > 1 && image.h * image.w > 1;
  }
  forward(input: Seq, _ctx: ForwardContext): Seq {
    const im = input.image;
    if (!Flatten.reorders(im)) return { x: input.x, steps: input.steps, constant: input.constant };
    return { x: chwFromHwc(input.x, im.c, im.h, im.w), steps: input.steps, constant: input.constant };
  }
  parameters(): NamedParameter[] {
    return [];
  }
  config(): Record<string, unknown> {
    return {};
  }
}

/** Registry entry: no fields, no parameters; it gives the features it takes, no longer as an image. */
export const flattenKind: LayerKind = {
  kind: 'flatten',
  fromConfig: () => new Flatten(),
  contract: (_f, input) => ({ ...passThrough(input), flow: { features: input.features, image: null } }),
};
