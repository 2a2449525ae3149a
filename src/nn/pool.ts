import { Tensor } from '../core/tensor.js';
import { newF32, newI32, newU8 } from '../core/buffers.js';
import { ShapeError, checkInt } from '../core/errors.js';
import type { Kernels } from '../kernels/types.js';
import { imageOf, type ForwardContext, type ImageShape, type Layer, type NamedParameter, type Seq } from './layer.js';
import { MAX_ELEMENTS, type Flow, type LayerCheck, type LayerFields, type LayerKind } from './layer-kind.js';

export interface PoolGeometry {
  c: number;
  h: number;
  w: number;
  k: number;
  stride: number;
  outH: number;
  outW: number;
}

function poolGeometry(image: ImageShape, k: number, stride: number, who: string): PoolGeometry {
  const outH = Math.floor((image.h - k) / stride) + 1;
  const outW = Math.floor((image.w - k) / stride) + 1;
  if (outH < 1 || outW < 1) throw new ShapeError(`${who}: a ${k}x${k} window does not fit a ${image.h}x${image.w} input`);
  return { ...image, k, stride, outH, outW };
}

/**
 * Max pooling over channels-last images (torch.nn.MaxPool2d without padding, floor mode). The
 * gradient goes to the first maximal element of each window, as in torch. Spike input gives spike
 * output (the max of 0/1 values is their OR), so the next layer stays spike-driven.
 */
/** Images in x and the per-image input and output sizes of a pooling. */
function poolSizes(who: string, x: Tensor, g: PoolGeometry): { images: number; inSize: number; outSize: number } {
  const inSize = g.h * g.w * g.c;
  if (x.size % inSize !== 0) throw new ShapeError(`${who}: input of ${x.size} values is not a whole number of ${g.h}x${g.w}x${g.c} images`);
  return { images: x.size / inSize, inSize, outSize: g.outH * g.outW * g.c };
}

export function maxPool2d(x: Tensor, g: PoolGeometry, kernels?: Kernels): Tensor {
  const { c: C, h: H, w: W, k, stride, outH, outW } = g;
  const { images, inSize, outSize } = poolSizes('maxPool2d', x, g);
  const xd = x.data;
  // every output and argmax is written below (step arrays: a training step's come back each batch)
  const y = xd instanceof Uint8Array ? newU8(images * outSize, true) : newF32(images * outSize, true);
  const arg = x.requiresGrad || (kernels && xd instanceof Float32Array) ? newI32(images * outSize, true) : null;
  if (kernels && xd instanceof Float32Array) {
    kernels.maxPoolForward(xd, y as Float32Array, arg!, { n: images, H, W, C, k, stride, outH, outW });
  } else
    for (let i = 0; i < images; i++) {
      const base = i * inSize;
      let o = i * outSize;
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          const first = base + (oy * stride * W + ox * stride) * C;
          for (let ch = 0; ch < C; ch++, o++) {
            let best = first + ch;
            let bv = xd[best];
            for (let ky = 0; ky < k; ky++) {
              let p = first + ky * W * C + ch;
              for (let kx = 0; kx < k; kx++, p += C) {
                if (xd[p] > bv) {
                  bv = xd[p];
                  best = p;
                }
              }
            }
            y[o] = bv;
            if (arg) arg[o] = best;
          }
        }
      }
    }
  const shape = [...x.shape.slice(0, -1), outSize];
  if (!arg || !x.requiresGrad) return new Tensor(y, shape);
  const out: Tensor = new Tensor(y, shape, {
    parents: [x],
    backward: () => {
      const gy = out.grad!;
      const gx = x.ensureGrad();
      for (let j = 0; j < gy.length; j++) gx[arg[j]] += gy[j];
    },
  });
  return out;
}

/** Average pooling over channels-last images (torch.nn.AvgPool2d without padding); output is float. */
export function avgPool2d(x: Tensor, g: PoolGeometry): Tensor {
  const { c: C, w: W, k, stride, outH, outW } = g;
  const { images, inSize, outSize } = poolSizes('avgPool2d', x, g);
  const xd = x.data;
  const y = new Float32Array(images * outSize);
  const inv = 1 / (k * k);
  const visit = (fn: (o: number, p: number) => void) => {
    for (let i = 0; i < images; i++) {
      const base = i * inSize;
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          const o = i * outSize + (oy * outW + ox) * C;
          const first = base + (oy * stride * W + ox * stride) * C;
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) {
              const p = first + (ky * W + kx) * C;
              for (let ch = 0; ch < C; ch++) fn(o + ch, p + ch);
            }
          }
        }
      }
    }
  };
  visit((o, p) => (y[o] += xd[p]));
  for (let j = 0; j < y.length; j++) y[j] *= inv;
  const shape = [...x.shape.slice(0, -1), outSize];
  const out: Tensor = new Tensor(y, shape, {
    parents: [x],
    backward: () => {
      const gy = out.grad!;
      const gx = x.ensureGrad();
      visit((o, p) => (gx[p] += gy[o] * inv));
    },
  });
  return out;
}

abstract class Pool2d implements Layer {
  abstract readonly kind: string;
  readonly stride: number;
  constructor(
    readonly kernel: number,
    stride?: number,
  ) {
    checkInt(`${new.target.name} kernel`, kernel, 1);
    this.stride = stride ?? kernel;
    checkInt(`${new.target.name} stride`, this.stride, 1);
  }
  protected abstract op(x: Tensor, g: PoolGeometry, k: Kernels): Tensor;
  forward(input: Seq, ctx: ForwardContext): Seq {
    const who = this.kind === 'maxpool2d' ? 'MaxPool2d' : 'AvgPool2d';
    const g = poolGeometry(imageOf(input, null, null, who), this.kernel, this.stride, who);
    return { x: this.op(input.x, g, ctx.kernels), steps: input.steps, constant: input.constant, image: { c: g.c, h: g.outH, w: g.outW } };
  }
  parameters(): NamedParameter[] {
    return [];
  }
  config(): Record<string, unknown> {
    return { kernel: this.kernel, stride: this.stride };
  }
}

/** torch.nn.MaxPool2d(kernel, stride = kernel). */
export class MaxPool2d extends Pool2d {
  readonly kind = 'maxpool2d';
  protected op(x: Tensor, g: PoolGeometry, k: Kernels): Tensor {
    return maxPool2d(x, g, k);
  }
}

/** torch.nn.AvgPool2d(kernel, stride = kernel). */
export class AvgPool2d extends Pool2d {
  readonly kind = 'avgpool2d';
  protected op(x: Tensor, g: PoolGeometry): Tensor {
    return avgPool2d(x, g);
  }
}

/** Contract of both pools: kernel, stride (the kernel by default); an image in, a smaller image out. */
function poolContract(f: LayerFields, input: Flow): LayerCheck {
  const k = f.int('kernel', 1, MAX_ELEMENTS);
  const s = f.int('stride', 1, MAX_ELEMENTS, k);
  const im = input.image;
  if (!im) f.fail(null, `expected an image input (from a conv2d), found ${input.features ?? 'a number of'} features (${input.from})`);
  if (im.h === null || im.w === null)
    return { flow: { features: null, image: { c: im.c, h: null, w: null } }, params: [], neurons: 0, inputFeatures: null };
  const h = Math.floor((im.h - k) / s) + 1;
  const w = Math.floor((im.w - k) / s) + 1;
  if (h < 1 || w < 1) f.fail('kernel', `a ${k}x${k} window (stride ${s}) does not fit the ${input.from.replace(/^the /, '')}`);
  return { flow: { features: im.c * h * w, image: { c: im.c, h, w } }, params: [], neurons: 0, inputFeatures: null };
}

/** Registry entries. */
export const maxPool2dKind: LayerKind = { kind: 'maxpool2d', fromConfig: (c) => new MaxPool2d(c.kernel, c.stride), contract: poolContract };
export const avgPool2dKind: LayerKind = { kind: 'avgpool2d', fromConfig: (c) => new AvgPool2d(c.kernel, c.stride), contract: poolContract };
