import type { Kernels } from '../kernels/types.js';
import type { Tensor } from '../core/tensor.js';
import { featuresOf, type ForwardContext, type Layer, type NamedParameter, type Seq } from './layer.js';
import { Leaky } from './leaky-layer.js';
import { Linear } from './linear.js';
import { Conv2d } from './conv.js';
import { MaxPool2d } from './pool.js';
import { Flatten } from './flatten.js';
import { RateSeq } from '../encode/index.js';

/** Widest next layer for which the fused Leaky->Linear inference kernel beats the blocked spike matmul. */
const FUSE_MAX_OUT = 64;

export interface ForwardResult {
  out: Seq;
  /** Spikes and membrane of every spiking layer, in order. */
  records: ForwardContext['records'];
}

/** A time-major [T, B, F] 0/1 spike sequence (not a constant input). */
function isSpikeSequence(s: Seq): boolean {
  if (s instanceof RateSeq) return s.values.shape.length === 2; // without drawing the spikes
  return !s.constant && s.x.isSpikes && s.x.shape.length === 3 && s.x.shape[0] === s.steps;
}

/** A spike sequence that is data (the network's input: no gradient flows into it). */
function isDataSpikes(s: Seq): boolean {
  return isSpikeSequence(s) && (s instanceof RateSeq || !s.x.requiresGrad);
}

/** Layers applied in order; parameters are named "<index>.<name>" like a torch state_dict. */
export class Sequential {
  constructor(readonly layers: readonly Layer[]) {}

  /**
   * Runs every layer. Hidden spiking layers do not keep their membrane trace (the backward pass
   * recomputes it) unless keepAllMem; the last spiking layer always does (losses read it).
   */
  forward(input: Seq, kernels: Kernels, opts: { keepAllMem?: boolean; inference?: boolean } = {}): ForwardResult {
    const spiking = this.layers.filter((l) => l.spiking === true);
    const ctx: ForwardContext = { kernels, records: [], outputLayer: spiking[spiking.length - 1], keepAllMem: opts.keepAllMem, inference: opts.inference };
    let x = input;
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i];
      const next = this.layers[i + 1];
      const after = this.layers[i + 2];
      const fuse = opts.inference && !opts.keepAllMem;
      // Inference: a Linear over a spike sequence, a Leaky and a narrow Linear run as one fused kernel.
      if (fuse && layer instanceof Linear && isSpikeSequence(x) && next instanceof Leaky && next.size === layer.outFeatures
        && after instanceof Linear && after.outFeatures <= FUSE_MAX_OUT) {
        x = next.forwardBetween(layer, x, after, ctx);
        i += 2;
      } else if (!opts.inference && layer instanceof Linear && isDataSpikes(x)
        && next instanceof Leaky && next.fusesTrainingWith(layer)) {
        // Training: a Linear over the data spikes and the Leaky after it run as one op whose [T, B, H]
        // current stays with the kernels until the backward.
        x = next.forwardFromSpikes(layer, x, ctx);
        i++;
      } else if (fuse && layer instanceof Leaky && next instanceof Linear && next.outFeatures <= FUSE_MAX_OUT) {
        x = layer.forwardInto(x, next, ctx);
        i++;
      } else if (layer instanceof Conv2d && next instanceof MaxPool2d && x.x.isSpikes) {
        // A convolution over spikes and the max pooling after it run as one kernel (no conv output kept).
        x = layer.forwardPooled(x, next, ctx);
        i++;
      } else if (layer instanceof Flatten && next instanceof Linear && Flatten.reorders(x.image)) {
        // Flatten into a Linear: the weight's rows are reordered to the image's layout, not the activations.
        x = next.forwardFlattened(x, x.image, ctx);
        i++;
      } else {
        const y = layer.forward(x, ctx);
        // Elementwise layers (neurons, activations) keep the image layout of their input.
        x = !y.image && x.image && layer.kind !== 'flatten' && featuresOf(y) === featuresOf(x) ? { ...y, image: x.image } : y;
      }
    }
    return { out: x, records: ctx.records };
  }

  parameters(): NamedParameter[] {
    return this.layers.flatMap((l, i) => l.parameters().map((p) => ({ name: `${i}.${p.name}`, tensor: p.tensor })));
  }

  /** Tensors that will receive gradients. */
  trainable(): Tensor[] {
    return this.parameters().map((p) => p.tensor);
  }

  zeroGrad(): void {
    for (const p of this.trainable()) p.grad?.fill(0);
  }
}
