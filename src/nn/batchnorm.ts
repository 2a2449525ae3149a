import { Tensor } from '../core/tensor.js';
import { ShapeError, checkInt, checkObject, checkRange } from '../core/errors.js';
import { featuresOf, type ForwardContext, type Layer, type NamedParameter, type Seq } from './layer.js';
import { MAX_ELEMENTS, expectFeatures, type LayerKind } from './layer-kind.js';

export interface BatchNormOptions {
  /** Channels: features for BatchNorm1d, image channels for BatchNorm2d. */
  channels: number;
  /** Added to the variance (torch default 1e-5). */
  eps?: number;
  /** Weight of the new batch in the running statistics (torch default 0.1). */
  momentum?: number;
}

/**
 * Batch normalisation like torch.nn.BatchNorm1d / BatchNorm2d: y = (x - mean) / sqrt(var + eps) * weight + bias
 * per channel. Training (a forward without `inference`) normalises by the statistics of the rows of the
 * batch (every row of a [B, F] input, or of every step of a [T, B, F] sequence; for 2d every pixel too) and
 * updates the running statistics (running_var from the unbiased variance, as torch); inference uses the
 * running statistics. Images are channels-last, so the channel of feature f is f mod channels (for 1d the
 * channels are the features). Under DataParallel each thread updates its own copy of the running
 * statistics: the saved model holds those of the main thread's shard of each batch.
 */
export class BatchNorm implements Layer {
  readonly kind: 'batchnorm1d' | 'batchnorm2d';
  readonly channels: number;
  readonly eps: number;
  readonly momentum: number;
  readonly weight: Tensor;
  readonly bias: Tensor;
  /** Not learned (no gradient); saved with the weights under torch's names. */
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;

  constructor(kind: 'batchnorm1d' | 'batchnorm2d', o: BatchNormOptions) {
    checkObject(`${kind} options`, o);
    checkInt(`${kind} channels`, o.channels, 1);
    this.kind = kind;
    this.channels = o.channels;
    this.eps = o.eps ?? 1e-5;
    this.momentum = o.momentum ?? 0.1;
    checkRange(`${kind} eps`, this.eps, 1e-12, 1);
    checkRange(`${kind} momentum`, this.momentum, 0, 1);
    const C = o.channels;
    this.weight = new Tensor(new Float32Array(C).fill(1), [C], { requiresGrad: true });
    this.bias = new Tensor(new Float32Array(C), [C], { requiresGrad: true });
    this.runningMean = new Tensor(new Float32Array(C), [C]);
    this.runningVar = new Tensor(new Float32Array(C).fill(1), [C]);
  }

  /** Per-channel scale and shift of inference: y = x * scale + shift (what folding puts into the layer before). */
  affine(): { scale: Float32Array; shift: Float32Array } {
    const C = this.channels;
    const scale = new Float32Array(C);
    const shift = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      scale[c] = this.weight.data[c] / Math.sqrt(this.runningVar.data[c] + this.eps);
      shift[c] = this.bias.data[c] - this.runningMean.data[c] * scale[c];
    }
    return { scale, shift };
  }

  forward(input: Seq, ctx: ForwardContext): Seq {
    const F = featuresOf(input);
    const C = this.channels;
    const who = this.kind === 'batchnorm1d' ? 'BatchNorm1d' : 'BatchNorm2d';
    if (this.kind === 'batchnorm1d' && F !== C)
      throw new ShapeError(`${who}: the input has ${F} features per sample, the layer has ${C} channels (one per feature)`);
    if (this.kind === 'batchnorm2d') {
      if (!input.image) throw new ShapeError(`${who}: the input is not an image (put it after a Conv2d)`);
      if (input.image.c !== C) throw new ShapeError(`${who}: expected ${C} input channels, found ${input.image.c}`);
    }
    const x = input.x;
    const n = x.size / C; // values per channel
    const xd = x.data;
    const y = new Float32Array(x.size);
    if (ctx.inference) {
      const { scale, shift } = this.affine();
      for (let i = 0; i < x.size; i++) {
        const c = i % C;
        y[i] = xd[i] * scale[c] + shift[c];
      }
      return { ...input, x: new Tensor(y, x.shape) };
    }
    if (n < 2) throw new ShapeError(`${who}: training needs more than one value per channel, found ${n} (a batch of one sample?)`);
    const mean = new Float64Array(C);
    const sq = new Float64Array(C);
    for (let i = 0; i < x.size; i++) mean[i % C] += xd[i];
    for (let c = 0; c < C; c++) mean[c] /= n;
    for (let i = 0; i < x.size; i++) {
      const d = xd[i] - mean[i % C];
      sq[i % C] += d * d;
    }
    const inv = new Float32Array(C);
    const rm = this.runningMean.data as Float32Array;
    const rv = this.runningVar.data as Float32Array;
    for (let c = 0; c < C; c++) {
      inv[c] = 1 / Math.sqrt(sq[c] / n + this.eps);
      rm[c] = (1 - this.momentum) * rm[c] + this.momentum * mean[c];
      rv[c] = (1 - this.momentum) * rv[c] + (this.momentum * sq[c]) / (n - 1);
    }
    const xhat = new Float32Array(x.size);
    const w = this.weight.data;
    const b = this.bias.data;
    for (let i = 0; i < x.size; i++) {
      const c = i % C;
      xhat[i] = (xd[i] - mean[c]) * inv[c];
      y[i] = xhat[i] * w[c] + b[c];
    }
    const { weight, bias } = this;
    const out: Tensor = new Tensor(y, x.shape, {
      parents: [x, weight, bias],
      backward: () => {
        const g = out.grad!;
        const sg = new Float64Array(C); // sum of g per channel
        const sgx = new Float64Array(C); // sum of g * xhat per channel
        for (let i = 0; i < g.length; i++) {
          sg[i % C] += g[i];
          sgx[i % C] += g[i] * xhat[i];
        }
        if (weight.requiresGrad) {
          const gw = weight.ensureGrad();
          for (let c = 0; c < C; c++) gw[c] += sgx[c];
        }
        if (bias.requiresGrad) {
          const gb = bias.ensureGrad();
          for (let c = 0; c < C; c++) gb[c] += sg[c];
        }
        if (!x.requiresGrad) return;
        // dx = w * inv / n * (n g - sum g - xhat sum(g xhat)), per channel
        const gx = x.ensureGrad();
        for (let i = 0; i < g.length; i++) {
          const c = i % C;
          gx[i] += ((w[c] * inv[c]) / n) * (n * g[i] - sg[c] - xhat[i] * sgx[c]);
        }
      },
    });
    return { ...input, x: out };
  }

  parameters(): NamedParameter[] {
    return [
      { name: 'weight', tensor: this.weight },
      { name: 'bias', tensor: this.bias },
      { name: 'running_mean', tensor: this.runningMean },
      { name: 'running_var', tensor: this.runningVar },
    ];
  }

  config(): Record<string, unknown> {
    return { channels: this.channels, eps: this.eps, momentum: this.momentum };
  }
}

/** torch.nn.BatchNorm1d(channels): over the features of a flat input. */
export class BatchNorm1d extends BatchNorm {
  constructor(o: BatchNormOptions) {
    super('batchnorm1d', o);
  }
}

/** torch.nn.BatchNorm2d(channels): over the channels of an image (after a Conv2d or a pooling). */
export class BatchNorm2d extends BatchNorm {
  constructor(o: BatchNormOptions) {
    super('batchnorm2d', o);
  }
}

/** Registry entries: channels, eps, momentum; weight, bias, running_mean and running_var [channels]; it gives what it takes. */
function batchNormKind(kind: 'batchnorm1d' | 'batchnorm2d'): LayerKind {
  return {
    kind,
    fromConfig: (c) => (kind === 'batchnorm1d' ? new BatchNorm1d(c as BatchNormOptions) : new BatchNorm2d(c as BatchNormOptions)),
    contract: (f, input) => {
      const C = f.int('channels', 1, MAX_ELEMENTS);
      f.num('eps', 1e-12, 1, 1e-5);
      f.num('momentum', 0, 1, 0.1);
      if (kind === 'batchnorm1d') expectFeatures(f, 'channels', C, input);
      else {
        const im = input.image;
        if (!im)
          return f.fail(null, `expected an image input (from a conv2d), found ${input.features ?? 'a number of'} features (${input.from})`);
        if (im.c !== C) f.fail('channels', `expected ${im.c} (the channels of ${input.from}), found ${C}`);
      }
      return {
        flow: { features: input.features, image: input.image },
        params: ['weight', 'bias', 'running_mean', 'running_var'].map((p) => [p, [C]] as [string, number[]]),
        neurons: 0,
        inputFeatures: kind === 'batchnorm1d' ? C : null,
      };
    },
  };
}

export const batchNorm1dKind = batchNormKind('batchnorm1d');
export const batchNorm2dKind = batchNormKind('batchnorm2d');
