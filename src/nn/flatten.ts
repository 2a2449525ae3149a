import { Tensor } from '../core/tensor.js';
import type { ForwardContext, Layer, NamedParameter, Seq } from './layer.js';

/**
 * torch.nn.Flatten for images: reorders each channels-last sample [H, W, C] into torch's [C, H, W]
 * order, so the Linear layer after it has exactly torch's weight layout. Identity for plain features.
 */
export function chwFromHwc(x: Tensor, c: number, h: number, w: number): Tensor {
  const n = c * h * w;
  const samples = x.size / n;
  // perm[i]: position in [C, H, W] order of element i of a [H, W, C] sample
  const perm = new Int32Array(n);
  for (let yy = 0, i = 0; yy < h; yy++) for (let xx = 0; xx < w; xx++) for (let ch = 0; ch < c; ch++, i++) perm[i] = (ch * h + yy) * w + xx;
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
  forward(input: Seq, _ctx: ForwardContext): Seq {
    const im = input.image;
    if (!im || im.c === 1 || im.h * im.w === 1) return { x: input.x, steps: input.steps, constant: input.constant };
    return { x: chwFromHwc(input.x, im.c, im.h, im.w), steps: input.steps, constant: input.constant };
  }
  parameters(): NamedParameter[] {
    return [];
  }
  config(): Record<string, unknown> {
    return {};
  }
}
