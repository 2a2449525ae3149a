import { Tensor, accumulateOwnedGrad } from '../core/tensor.js';
import { newF32, newU8 } from '../core/buffers.js';
import type { Rng } from '../core/rng.js';
import { ShapeError, ValueError, checkArray, checkBool, checkInt, checkObject, checkRng, describe } from '../core/errors.js';
import type { ConvShape, Kernels } from '../kernels/types.js';
import { imageOf, uniformBias, type ForwardContext, type ImageShape, type Layer, type NamedParameter, type Seq } from './layer.js';
import { MAX_ELEMENTS, intPair, type Flow, type ImageDims, type LayerCheck, type LayerFields, type LayerKind } from './layer-kind.js';

/**
 * Geometry of a 2-D convolution over channels-last images (each sample stored [H, W, C], the layout
 * that makes a patch row of the im2col matrix KW*C contiguous values and an output pixel O contiguous
 * values). Flatten turns it into torch's [C, H, W] order before a Linear layer. Its window fields
 * (kH to outW) parallel Window2d in nir/shapes.ts, the NIR importer's geometry of a conv or pool window.
 */
export interface ConvGeometry {
  inC: number;
  inH: number;
  inW: number;
  outC: number;
  kH: number;
  kW: number;
  stride: number;
  padding: number;
  outH: number;
  outW: number;
}

/** The kernels' ConvShape of n images of geometry g. */
function kernelShape(g: ConvGeometry, n: number): ConvShape {
  return {
    n,
    H: g.inH,
    W: g.inW,
    C: g.inC,
    O: g.outC,
    kH: g.kH,
    kW: g.kW,
    stride: g.stride,
    pad: g.padding,
    outH: g.outH,
    outW: g.outW,
  };
}

export function convGeometry(
  image: ImageShape,
  outC: number,
  kH: number,
  kW: number,
  stride: number,
  padding: number,
  who = 'Conv2d',
): ConvGeometry {
  const outH = Math.floor((image.h + 2 * padding - kH) / stride) + 1;
  const outW = Math.floor((image.w + 2 * padding - kW) / stride) + 1;
  if (outH < 1 || outW < 1) {
    throw new ShapeError(`${who}: a ${kH}x${kW} kernel (stride ${stride}, padding ${padding}) does not fit a ${image.h}x${image.w} input`);
  }
  return { inC: image.c, inH: image.h, inW: image.w, outC, kH, kW, stride, padding, outH, outW };
}

/** Rows of the im2col matrix per chunk (float input): big enough for the GEMM kernels, small enough to stay in cache. */
const CHUNK_ROWS = 4096;
/**
 * Bytes of operands one spike-driven kernel call may span (spikes, outputs and their gradients): bounds the
 * WASM arena, and the copies where operands are not resident in it. 1,280 images of tutorial 6's second
 * convolution: its CSNN trained 1.01-1.07x faster on two kernel threads than with 256 images per call
 * (six in-process A/B runs, bench/ab-threads.mjs; chunks of 512 to 6,400 images alike), 1.015x on one:
 * fewer calls, each split into bigger parts over which the time steps' differing spike counts even out.
 */
const CHUNK_BYTES = 24 << 20;

/**
 * Images per spike-driven kernel call, for images of `inSize` spike bytes and `outSize` outputs: as many as
 * `budget` bytes hold (a spike byte and its float gradient per input; a float, its gradient and a pooling
 * argmax byte per output), in whole multiples of 256 where 256 or more fit, so that the kernels'
 * weight-gradient groups of images never straddle two calls and the chunking changes no result bit; at
 * least one.
 */
export function spikeChunkImages(inSize: number, outSize: number, budget = CHUNK_BYTES): number {
  const fit = Math.floor(budget / (5 * inSize + 9 * outSize));
  return fit >= 256 ? fit - (fit % 256) : Math.max(1, fit);
}

/**
 * im2col for images [first, first + n) of x: row (i, oy, ox) holds the input patch under output pixel
 * (oy, ox) of image i in (ky, kx, c) order; zero outside the image (padding).
 */
function im2col<A extends Float32Array | Uint8Array>(x: A, g: ConvGeometry, first: number, n: number, col: A): void {
  const { inC, inH, inW, kH, kW, stride, padding, outH, outW } = g;
  const imgSize = inH * inW * inC;
  const span = kW * inC;
  const K = kH * span;
  let r = 0;
  for (let i = first; i < first + n; i++) {
    const base = i * imgSize;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++, r++) {
        let o = r * K;
        const x0 = ox * stride - padding;
        for (let ky = 0; ky < kH; ky++) {
          const y = oy * stride - padding + ky;
          if (y < 0 || y >= inH) {
            col.fill(0, o, o + span);
            o += span;
            continue;
          }
          const rowBase = base + y * inW * inC;
          if (x0 >= 0 && x0 + kW <= inW) {
            const s = rowBase + x0 * inC;
            for (let j = 0; j < span; j++) col[o + j] = x[s + j];
            o += span;
          } else {
            for (let kx = 0; kx < kW; kx++) {
              const xx = x0 + kx;
              if (xx < 0 || xx >= inW) col.fill(0, o, o + inC);
              else for (let c = 0; c < inC; c++) col[o + c] = x[rowBase + xx * inC + c];
              o += inC;
            }
          }
        }
      }
    }
  }
}

/**
 * 2-D convolution (cross-correlation, like torch.nn.functional.conv2d) of every image in x. x holds
 * any number of channels-last images back to back (e.g. [T, B, H*W*C] or [B, H*W*C]); w is [K, O] with
 * K = kH*kW*inC in (ky, kx, c) order. Spike input (Uint8Array) runs the spike-driven kernels: forward
 * adds one weight row per spike and kernel tap, and so does the weight gradient (no im2col). Float input
 * (a direct-encoded image, computed once for all steps) runs im2col + GEMM. The input gradient adds the
 * filters scaled by each nonzero output gradient (after max pooling, most are exact zeros).
 */
export function conv2d(x: Tensor, g: ConvGeometry, w: Tensor, b: Tensor | null, k: Kernels): Tensor {
  const inSize = g.inH * g.inW * g.inC;
  const K = g.kH * g.kW * g.inC;
  const O = g.outC;
  if (x.size % inSize !== 0)
    throw new ShapeError(`conv2d: input of ${x.size} values is not a whole number of ${g.inH}x${g.inW}x${g.inC} images`);
  if (w.size !== K * O) throw new ShapeError(`conv2d: weight has ${w.size} values, expected ${K}x${O}`);
  const images = x.size / inSize;
  const P = g.outH * g.outW;
  const y = newF32(images * P * O, true); // written chunk by chunk
  const wd = w.data as Float32Array;
  const spikes = x.data instanceof Uint8Array ? x.data : null;
  // Spike input: the spike-driven kernels take spikeChunkImages images per call; float input: im2col + GEMM.
  const perChunk = spikes ? spikeChunkImages(inSize, P * O) : Math.max(1, Math.floor(CHUNK_ROWS / P));
  const colF = spikes ? null : newF32(perChunk * P * K, true); // im2col overwrites the rows it gives the GEMM
  const inputs = (i: number, n: number) => x.data.subarray(i * inSize, (i + n) * inSize);
  const outputs = (a: Float32Array, i: number, n: number) => a.subarray(i * P * O, (i + n) * P * O);
  for (let i = 0; i < images; i += perChunk) {
    const n = Math.min(perChunk, images - i);
    if (spikes)
      k.convSpikeForward(inputs(i, n) as Uint8Array, wd, b ? (b.data as Float32Array) : null, outputs(y, i, n), kernelShape(g, n));
    else {
      im2col(x.data as Float32Array, g, i, n, colF!);
      k.matmul(colF!.subarray(0, n * P * K), wd, outputs(y, i, n), n * P, K, O, false, false, false);
    }
  }
  if (b && !spikes) k.addBias(y, b.data as Float32Array, images * P, O);
  const outShape = x.shape.length >= 2 ? [...x.shape.slice(0, -1), P * O] : [P * O];
  const parents = b ? [x, w, b] : [x, w];
  const out: Tensor = new Tensor(y, outShape, {
    parents,
    backward: () => {
      const gy = out.grad!;
      if (b?.requiresGrad) k.sumRows(gy, b.ensureGrad(), images * P, O, true);
      const dw = w.requiresGrad ? w.ensureGrad() : null;
      const dx = x.requiresGrad ? x.ensureGrad() : null;
      for (let i = 0; i < images && (dw || dx); i += perChunk) {
        const n = Math.min(perChunk, images - i);
        const gs = outputs(gy, i, n);
        if (dw && spikes) k.convSpikeGradW(inputs(i, n) as Uint8Array, gs, dw, kernelShape(g, n));
        else if (dw) {
          im2col(x.data as Float32Array, g, i, n, colF!);
          k.matmul(colF!.subarray(0, n * P * K), gs, dw, K, n * P, O, true, false, true);
        }
        if (dx) k.convGradInput(gs, wd, dx.subarray(i * inSize, (i + n) * inSize), kernelShape(g, n));
      }
    },
  });
  return out;
}

/**
 * Conv2d on spike images fused with the MaxPool2d after it (kernel pk, stride ps): each image's conv
 * output is made, pooled and dropped inside the kernel; only the pooled values and the argmax of each
 * window are kept. Backward: the weight gradient from the unpooled (mostly zero) gradient image, the
 * input gradient from the nonzero pooled gradients only. Equals conv2d followed by maxPool2d.
 */
export function conv2dMaxPool(x: Tensor, g: ConvGeometry, pk: number, ps: number, w: Tensor, b: Tensor | null, k: Kernels): Tensor {
  if (!(x.data instanceof Uint8Array)) throw new ShapeError('conv2dMaxPool: needs spike (0/1 byte) input');
  const s = x.data;
  const inSize = g.inH * g.inW * g.inC;
  const O = g.outC;
  if (x.size % inSize !== 0)
    throw new ShapeError(`conv2dMaxPool: input of ${x.size} values is not a whole number of ${g.inH}x${g.inW}x${g.inC} images`);
  const pool = { k: pk, stride: ps, outH: Math.floor((g.outH - pk) / ps) + 1, outW: Math.floor((g.outW - pk) / ps) + 1 };
  if (pool.outH < 1 || pool.outW < 1) throw new ShapeError(`MaxPool2d: a ${pk}x${pk} window does not fit a ${g.outH}x${g.outW} input`);
  const images = x.size / inSize;
  const per = pool.outH * pool.outW * O;
  const y = newF32(images * per, true); // written by the kernel
  const arg = newU8(images * per, true);
  const wd = w.data as Float32Array;
  const bias = b ? (b.data as Float32Array) : null;
  const chunk = spikeChunkImages(inSize, per);
  for (let i = 0; i < images; i += chunk) {
    const n = Math.min(chunk, images - i);
    k.convPoolSpikeForward(
      s.subarray(i * inSize, (i + n) * inSize),
      wd,
      bias,
      y.subarray(i * per, (i + n) * per),
      arg.subarray(i * per, (i + n) * per),
      kernelShape(g, n),
      pool,
    );
  }
  const out: Tensor = new Tensor(y, [...x.shape.slice(0, -1), per], {
    parents: b ? [x, w, b] : [x, w],
    backward: () => {
      const gy = out.grad!;
      if (b?.requiresGrad) k.sumRows(gy, b.ensureGrad(), images * pool.outH * pool.outW, O, true);
      const dw = w.requiresGrad ? w.ensureGrad() : null;
      // a gradient made here is written whole by the kernel (no zero-fill, nothing copied in), then adopted
      const fresh = x.requiresGrad && x.grad === null;
      const dx = fresh ? newF32(x.size, true) : x.requiresGrad ? x.ensureGrad() : null;
      if (!dw && !dx) return;
      for (let i = 0; i < images; i += chunk) {
        const n = Math.min(chunk, images - i);
        k.convPoolSpikeBackward(
          s.subarray(i * inSize, (i + n) * inSize),
          gy.subarray(i * per, (i + n) * per),
          arg.subarray(i * per, (i + n) * per),
          wd,
          dw,
          dx ? dx.subarray(i * inSize, (i + n) * inSize) : null,
          kernelShape(g, n),
          pool,
          !fresh,
        );
      }
      if (fresh) accumulateOwnedGrad(x, dx!);
    },
  });
  return out;
}

export interface Conv2dOptions {
  inChannels: number;
  outChannels: number;
  /** Kernel size: n for n x n, or [kH, kW]. */
  kernel: number | readonly [number, number];
  stride?: number;
  padding?: number;
  bias?: boolean;
  /** Input height and width, used when the incoming sequence does not say (the network's first layer). */
  inputSize?: readonly [number, number];
  rng: Rng;
}

/**
 * torch.nn.Conv2d over channels-last images, with torch's default initialisation (U(-1/sqrt(fan_in),
 * 1/sqrt(fan_in)) for weight and bias, drawn in torch's [O, C, kH, kW] order so one seed gives the same
 * filters). The weight is stored [kH*kW*C, O] (the im2col GEMM operand); checkpoints use torch's layout.
 */
export class Conv2d implements Layer {
  readonly kind = 'conv2d';
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kH: number;
  readonly kW: number;
  readonly stride: number;
  readonly padding: number;
  readonly inputSize: readonly [number, number] | null;

  constructor(o: Conv2dOptions) {
    checkObject('Conv2d options', o);
    if (typeof o.kernel !== 'number' && !(Array.isArray(o.kernel) && o.kernel.length === 2)) {
      throw new ValueError(`Conv2d kernel: expected a size n or [height, width], found ${describe(o.kernel)}`);
    }
    checkRng('Conv2d rng', o.rng);
    checkBool('Conv2d bias', o.bias);
    if (o.inputSize !== undefined) checkArray('Conv2d inputSize', o.inputSize);
    const [kH, kW] = typeof o.kernel === 'number' ? [o.kernel, o.kernel] : o.kernel;
    checkInt('Conv2d inChannels', o.inChannels, 1);
    checkInt('Conv2d outChannels', o.outChannels, 1);
    checkInt('Conv2d kernel height', kH, 1);
    checkInt('Conv2d kernel width', kW, 1);
    checkInt('Conv2d stride', o.stride ?? 1, 1);
    checkInt('Conv2d padding', o.padding ?? 0, 0);
    if (o.inputSize) o.inputSize.forEach((v, i) => checkInt(`Conv2d inputSize[${i}]`, v, 1));
    this.inChannels = o.inChannels;
    this.outChannels = o.outChannels;
    this.kH = kH;
    this.kW = kW;
    this.stride = o.stride ?? 1;
    this.padding = o.padding ?? 0;
    this.inputSize = o.inputSize ? [o.inputSize[0], o.inputSize[1]] : null;
    const C = this.inChannels;
    const O = this.outChannels;
    const K = kH * kW * C;
    const bound = 1 / Math.sqrt(K);
    const w = new Float32Array(K * O);
    for (let oc = 0; oc < O; oc++) {
      for (let c = 0; c < C; c++) {
        for (let ky = 0; ky < kH; ky++)
          for (let kx = 0; kx < kW; kx++) w[((ky * kW + kx) * C + c) * O + oc] = (o.rng.uniform() * 2 - 1) * bound;
      }
    }
    this.weight = new Tensor(w, [K, O], { requiresGrad: true });
    this.bias = (o.bias ?? true) ? uniformBias(o.rng, O, bound) : null;
  }

  geometry(input: Seq): ConvGeometry {
    const image = imageOf(input, this.inChannels, this.inputSize, 'Conv2d');
    return convGeometry(image, this.outChannels, this.kH, this.kW, this.stride, this.padding);
  }

  forward(input: Seq, ctx: ForwardContext): Seq {
    const g = this.geometry(input);
    const x = conv2d(input.x, g, this.weight, this.bias, ctx.kernels);
    return { x, steps: input.steps, constant: input.constant, image: { c: g.outC, h: g.outH, w: g.outW } };
  }

  /** This layer then `pool` in one fused op (spike input only; see conv2dMaxPool). */
  forwardPooled(input: Seq, pool: { kernel: number; stride: number }, ctx: ForwardContext): Seq {
    const g = this.geometry(input);
    const x = conv2dMaxPool(input.x, g, pool.kernel, pool.stride, this.weight, this.bias, ctx.kernels);
    const h = Math.floor((g.outH - pool.kernel) / pool.stride) + 1;
    const w = Math.floor((g.outW - pool.kernel) / pool.stride) + 1;
    return { x, steps: input.steps, constant: input.constant, image: { c: g.outC, h, w } };
  }

  parameters(): NamedParameter[] {
    const ps = [{ name: 'weight', tensor: this.weight }];
    if (this.bias) ps.push({ name: 'bias', tensor: this.bias });
    return ps;
  }

  config(): Record<string, unknown> {
    return {
      inChannels: this.inChannels,
      outChannels: this.outChannels,
      kernel: [this.kH, this.kW],
      stride: this.stride,
      padding: this.padding,
      bias: this.bias !== null,
      ...(this.inputSize ? { inputSize: [...this.inputSize] } : {}),
    };
  }

  /** Weight in torch's layout [O, C, kH, kW]. */
  exportParameter(name: string, t: Tensor): { shape: number[]; data: Float32Array } {
    const d = t.data as Float32Array;
    if (name !== 'weight') return { shape: [...t.shape], data: d.slice() };
    const { inChannels: C, outChannels: O, kH, kW } = this;
    const out = new Float32Array(d.length);
    for (let oc = 0; oc < O; oc++)
      for (let c = 0; c < C; c++)
        for (let ky = 0; ky < kH; ky++)
          for (let kx = 0; kx < kW; kx++) {
            out[((oc * C + c) * kH + ky) * kW + kx] = d[((ky * kW + kx) * C + c) * O + oc];
          }
    return { shape: [O, C, kH, kW], data: out };
  }

  /** Inverse of exportParameter: torch layout in, internal layout written into the parameter. */
  importParameter(name: string, t: Tensor, data: Float32Array): void {
    const d = t.data as Float32Array;
    if (name !== 'weight') {
      d.set(data);
      return;
    }
    const { inChannels: C, outChannels: O, kH, kW } = this;
    for (let oc = 0; oc < O; oc++)
      for (let c = 0; c < C; c++)
        for (let ky = 0; ky < kH; ky++)
          for (let kx = 0; kx < kW; kx++) {
            d[((ky * kW + kx) * C + c) * O + oc] = data[((oc * C + c) * kH + ky) * kW + kx];
          }
  }
}

/** The image a conv2d reads: the one flowing in, else its inputSize, else a square of the features. */
function convInput(f: LayerFields, input: Flow, inC: number, inputSize: [number, number] | undefined): ImageDims {
  if (input.image) {
    if (input.image.c !== inC) f.fail('inChannels', `expected ${input.image.c} (${input.from}), found ${inC}`);
    const { h, w } = input.image;
    if (inputSize && h !== null && (h !== inputSize[0] || w !== inputSize[1]))
      f.fail('inputSize', `expected [${h}, ${w}] (${input.from}) or none, found [${inputSize.join(', ')}]`);
    return input.image;
  }
  if (inputSize) {
    const n = inputSize[0] * inputSize[1] * inC;
    if (n > MAX_ELEMENTS)
      f.fail('inputSize', `a ${inputSize.join('x')}x${inC} image is ${n} values per sample, more than the limit of ${MAX_ELEMENTS}`);
    if (input.features !== null && input.features !== n) {
      f.fail('inputSize', `expected an image of ${input.features} values (${input.from}), found ${inputSize.join('x')}x${inC} = ${n}`);
    }
    return { c: inC, h: inputSize[0], w: inputSize[1] };
  }
  if (input.features === null) return { c: inC, h: null, w: null };
  const side = Math.round(Math.sqrt(input.features / inC));
  if (side * side * inC !== input.features)
    f.fail('inputSize', `needed: ${input.features} values (${input.from}) are not a square ${inC}-channel image, found none`);
  return { c: inC, h: side, w: side };
}

function conv2dContract(f: LayerFields, input: Flow): LayerCheck {
  const inC = f.int('inChannels', 1, MAX_ELEMENTS);
  const outC = f.int('outChannels', 1, MAX_ELEMENTS);
  const kernel = intPair(f, 'kernel', 1, true);
  if (!kernel) f.fail('kernel', 'expected an integer or [height, width], found nothing');
  const [kH, kW] = kernel;
  const stride = f.int('stride', 1, MAX_ELEMENTS, 1);
  const padding = f.int('padding', 0, MAX_ELEMENTS, 0);
  const bias = f.bool('bias', true);
  const inputSize = intPair(f, 'inputSize', 1, false);
  const im = convInput(f, input, inC, inputSize);
  const params: Array<[string, number[]]> = [['weight', [outC, inC, kH, kW]], ...(bias ? [['bias', [outC]] as [string, number[]]] : [])];
  const inputFeatures = inputSize && !input.image ? inputSize[0] * inputSize[1] * inC : null;
  if (im.h === null || im.w === null)
    return { flow: { features: null, image: { c: outC, h: null, w: null } }, params, neurons: 0, inputFeatures };
  const h = Math.floor((im.h + 2 * padding - kH) / stride) + 1;
  const w = Math.floor((im.w + 2 * padding - kW) / stride) + 1;
  if (h < 1 || w < 1)
    f.fail('kernel', `a ${kH}x${kW} kernel (stride ${stride}, padding ${padding}) does not fit the ${im.h}x${im.w} input image`);
  if (outC * h * w > MAX_ELEMENTS)
    f.fail(null, `gives ${h}x${w}x${outC} = ${outC * h * w} values per sample, more than the limit of ${MAX_ELEMENTS}`);
  return { flow: { features: outC * h * w, image: { c: outC, h, w } }, params, neurons: 0, inputFeatures };
}

/** Registry entry: torch.nn.Conv2d; the weights file holds weight [out, in, kH, kW] and bias [out]. */
export const conv2dKind: LayerKind = {
  kind: 'conv2d',
  fromConfig: (c, rng) =>
    new Conv2d({
      inChannels: c.inChannels,
      outChannels: c.outChannels,
      kernel: c.kernel,
      stride: c.stride,
      padding: c.padding,
      bias: c.bias,
      inputSize: c.inputSize,
      rng,
    }),
  contract: conv2dContract,
};
