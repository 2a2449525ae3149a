import { Tensor } from '../core/tensor.js';
import { ShapeError, ValueError, checkBool, checkInt, checkObject } from '../core/errors.js';
import { sigmoid, type GradOffer } from '../ops/index.js';
import { leakySequence, spikeLinearLeaky, RESET_CODES, type LeakyOut, type ResetMechanism } from '../neurons/leaky.js';
import { checkDecay, checkReset, checkSurrogate, checkThreshold } from '../neurons/common.js';
import { atan, surrogateConfig, type Surrogate } from '../surrogate/index.js';
import { featuresOf, type ForwardContext, type Layer, type NamedParameter, type Seq } from './layer.js';
import type { Linear } from './linear.js';
import type { LeakyProjectTail } from '../kernels/types.js';
import { RateSeq } from '../encode/index.js';
import {
  MAX_ELEMENTS,
  decayField,
  decayFromConfig,
  logit,
  spikingFields,
  spikingFromConfig,
  spikingResult,
  type LayerKind,
} from './layer-kind.js';

export interface LeakyOptions {
  /** Number of neurons (needed for per-neuron or learnable beta). */
  size: number;
  /** Decay in [0, 1]: one value for all neurons or one per neuron. */
  beta: number | ArrayLike<number>;
  /** Learn beta through an unconstrained parameter p with beta = sigmoid(p) (stays in (0, 1)). */
  learnBeta?: boolean;
  threshold?: number;
  /**
   * Learn the threshold (snnTorch learn_threshold): one value shared by the layer, trained through the
   * fused kernels' backward (dL/dthr from the spike surrogate and from the subtract reset).
   */
  learnThreshold?: boolean;
  reset?: ResetMechanism;
  /** Default atan(); a custom surrogate runs the TypeScript scan instead of the fused kernel. */
  surrogate?: Surrogate;
  /**
   * Truncated BPTT: detach the membrane every K steps, so gradients reach back at most K steps
   * (0, the default: full BPTT). Needs a closed-form surrogate.
   */
  truncate?: number;
}

/** Leaky integrate-and-fire layer over a whole sequence (see neurons/leaky.ts for the dynamics). */
export class Leaky implements Layer {
  readonly kind = 'leaky';
  readonly size: number;
  readonly spiking = true;
  /** The threshold as a one-value tensor (requires grad when learnThreshold). */
  readonly thresholdTensor: Tensor;
  readonly learnThreshold: boolean;
  readonly reset: ResetMechanism;
  readonly surrogate: Surrogate;
  readonly learnBeta: boolean;
  readonly truncate: number;
  /** Fixed beta values, or the raw parameter p (beta = sigmoid(p)) when learnBeta. */
  readonly betaTensor: Tensor;

  constructor(o: LeakyOptions) {
    checkObject('Leaky options', o);
    checkInt('Leaky size', o.size, 1);
    this.size = o.size;
    const threshold = o.threshold ?? 1;
    checkThreshold('Leaky', threshold);
    checkBool('Leaky learnThreshold', o.learnThreshold);
    checkBool('Leaky learnBeta', o.learnBeta);
    this.learnThreshold = o.learnThreshold ?? false;
    this.truncate = o.truncate ?? 0;
    checkInt('Leaky truncate', this.truncate, 0);
    this.thresholdTensor = new Tensor(Float32Array.of(threshold), [1], { requiresGrad: this.learnThreshold });
    this.reset = checkReset('Leaky', o.reset ?? 'subtract');
    this.surrogate = checkSurrogate('Leaky', o.surrogate ?? atan());
    this.learnBeta = o.learnBeta ?? false;
    // the same check as leakyStep's (a learned beta = sigmoid(p) must stay strictly inside (0, 1))
    checkDecay('Leaky', 'beta', o.beta, o.size, this.learnBeta ? 1e-6 : 0, this.learnBeta ? 1 - 1e-6 : 1);
    const betas = new Float32Array(o.size);
    if (typeof o.beta === 'number') betas.fill(o.beta);
    else betas.set(o.beta);
    if (this.learnBeta) {
      const p = betas.map((b) => Math.log(b / (1 - b)));
      this.betaTensor = new Tensor(p, [o.size], { requiresGrad: true });
    } else this.betaTensor = new Tensor(betas, [o.size]);
  }

  /** Current threshold value. */
  get threshold(): number {
    return this.thresholdTensor.data[0];
  }

  /** Current decay values. */
  beta(): Tensor {
    return this.learnBeta ? sigmoid(this.betaTensor) : this.betaTensor;
  }

  forward(input: Seq, ctx: ForwardContext): Seq {
    return this.forwardOffering(input, ctx).seq;
  }

  /** forward(), with the offer to form the spikes' gradient through the Linear layer they feed (see GradOffer). */
  forwardOffering(input: Seq, ctx: ForwardContext): { seq: Seq; offer?: GradOffer } {
    this.checkInput(featuresOf(input), 'the input has');
    const out = leakySequence(input.x, { ...this.scanOptions(ctx), steps: input.steps, constInput: input.constant });
    return this.record(out, input.steps, ctx);
  }

  /** Throws ShapeError unless `features` (what feeds the layer: "the input has", "the Linear before it has") equals its size. */
  private checkInput(features: number, source: string): void {
    if (features !== this.size)
      throw new ShapeError(`Leaky: ${source} ${features} features per step, but the layer has size ${this.size} (one neuron per feature)`);
  }

  /** The neuron options of the fused ops, for this layer in this forward pass. */
  private scanOptions(ctx: ForwardContext) {
    return {
      beta: this.beta(),
      threshold: this.learnThreshold ? this.thresholdTensor : this.threshold,
      reset: this.reset,
      surrogate: this.surrogate,
      kernels: ctx.kernels,
      // hidden layers let the backward recompute their membrane; the output layer keeps it (losses read
      // it) unless the caller said no loss will (outputMem false)
      keepMem: ctx.keepAllMem || ((ctx.outputLayer === undefined || ctx.outputLayer === this) && ctx.outputMem !== false),
      truncate: this.truncate,
    };
  }

  /** Records the layer's spikes for losses and statistics; returns them as the next sequence. */
  private record(r: LeakyOut, steps: number, ctx: ForwardContext): { seq: Seq; offer?: GradOffer } {
    ctx.records.push({ layer: `leaky${ctx.records.length}`, spk: r.spk, mem: r.mem, spikes: r.spikes, neuronSteps: r.spk.size });
    return { seq: { x: r.spk, steps, constant: false }, offer: r.offer };
  }

  /**
   * Whether training can run `prev` (a Linear over the data spike sequence feeding this layer) and
   * this layer as one fused op (forwardFromSpikes): a closed-form surrogate, a fixed threshold, and
   * prev's weight and bias trainable.
   */
  fusesTrainingWith(prev: Linear): boolean {
    return (
      this.surrogate.code !== null &&
      !this.learnThreshold &&
      prev.outFeatures === this.size &&
      prev.weight.requiresGrad &&
      (!prev.bias || prev.bias.requiresGrad)
    );
  }

  /**
   * Training: `prev` (a Linear over the data sequence `input`: spikes, rate-coded values drawn inside the
   * kernel, or dense floats without a gradient) and this layer in one fused op (neurons/leaky.ts spikeLinearLeaky): the [T, B, H]
   * current stays with the kernels for the backward. Equals prev.forward() then forward().
   */
  forwardFromSpikes(prev: Linear, input: Seq, ctx: ForwardContext): { seq: Seq; offer?: GradOffer } {
    this.checkInput(prev.outFeatures, 'the Linear before it has');
    const rate = input instanceof RateSeq ? input : null;
    const src = rate
      ? { values: rate.values, keys: rate.keys, gain: rate.gain }
      : input.x.isSpikes
        ? { spikes: input.x }
        : { dense: input.x };
    return this.record(spikeLinearLeaky(src, input.steps, prev.weight, prev.bias, this.scanOptions(ctx)), input.steps, ctx);
  }

  /**
   * Inference only (no gradients): this layer followed by `next`, fused into one kernel call that
   * adds next's weight row for every spike without materialising the [T, B, H] spikes. Returns the
   * sequence after `next` (bias included); equals forward() then next.forward().
   */
  forwardInto(input: Seq, next: Linear, ctx: ForwardContext): Seq {
    this.checkInput(featuresOf(input), 'the input has');
    const T = input.steps;
    const H = this.size;
    const N = input.constant ? input.x.size : input.x.size / T;
    const B = N / H;
    const O = next.outFeatures;
    const out = new Float32Array(T * B * O);
    const spikes = ctx.kernels.leakyProject(
      {
        T,
        N,
        H,
        input: input.x.toFloat32(),
        constInput: input.constant,
        beta: this.beta().data as Float32Array,
        threshold: this.threshold,
        reset: RESET_CODES[this.reset],
      },
      next.weight.data as Float32Array,
      O,
      out,
      false,
    );
    if (next.bias) ctx.kernels.addBias(out, next.bias.data as Float32Array, T * B, O);
    ctx.records.push({ layer: `leaky${ctx.records.length}`, spk: null, mem: null, spikes, neuronSteps: T * N });
    return { x: new Tensor(out, [T, B, O]), steps: T, constant: false };
  }

  /**
   * Inference only: `prev` (a Linear fed by the spike sequence `input`), this layer and `next`, fused
   * into one kernel call (Kernels.seqLeakyProject): neither the [T, B, H] current nor the spikes reach
   * JavaScript. Returns the sequence after `next`; equals the three forward() calls.
   */
  forwardBetween(prev: Linear, input: Seq, next: Linear, ctx: ForwardContext): Seq {
    this.checkInput(prev.outFeatures, 'the Linear before it has');
    const T = input.steps;
    const H = this.size;
    const rate = input instanceof RateSeq ? input : null;
    const B = rate ? rate.samples : input.x.shape[1];
    const N = B * H;
    const O = next.outFeatures;
    const out = new Float32Array(T * B * O);
    const w = prev.weight.data as Float32Array;
    const bias = prev.bias ? (prev.bias.data as Float32Array) : null;
    const lif = { T, N, H, beta: this.beta().data as Float32Array, threshold: this.threshold, reset: RESET_CODES[this.reset] };
    const tail: LeakyProjectTail = [w, bias, prev.inFeatures, lif, next.weight.data as Float32Array, O, out, false];
    // a rate-coded input is drawn sample by sample inside the kernel
    const spikes = rate
      ? ctx.kernels.rateLeakyProject(rate.values.data as Float32Array, rate.keys, rate.gain, ...tail)
      : ctx.kernels.seqLeakyProject(input.x.data as Uint8Array, ...tail);
    if (spikes < 0) throw new ValueError(`rateEncode: input value ${-1 - spikes} is NaN`);
    if (next.bias) ctx.kernels.addBias(out, next.bias.data as Float32Array, T * B, O);
    ctx.records.push({ layer: `leaky${ctx.records.length}`, spk: null, mem: null, spikes, neuronSteps: T * N });
    return { x: new Tensor(out, [T, B, O]), steps: T, constant: false };
  }

  parameters(): NamedParameter[] {
    const ps: NamedParameter[] = this.learnBeta ? [{ name: 'beta_logit', tensor: this.betaTensor }] : [];
    if (this.learnThreshold) ps.push({ name: 'threshold', tensor: this.thresholdTensor });
    return ps;
  }

  config(): Record<string, unknown> {
    return {
      size: this.size,
      beta: this.learnBeta
        ? undefined
        : Array.from(new Set(this.betaTensor.data)).length === 1
          ? this.betaTensor.data[0]
          : Array.from(this.betaTensor.data),
      learnBeta: this.learnBeta,
      threshold: this.threshold,
      learnThreshold: this.learnThreshold,
      reset: this.reset,
      surrogate: surrogateConfig(this.surrogate),
      ...(this.truncate ? { truncate: this.truncate } : {}),
    };
  }
}

/** Registry entry: beta (or its logit when learned), truncate, and the fields of every spiking layer. */
export const leakyKind: LayerKind = {
  kind: 'leaky',
  fromConfig: (c) =>
    new Leaky({ ...spikingFromConfig(c), beta: decayFromConfig(c.beta, c.learnBeta), learnBeta: c.learnBeta, truncate: c.truncate }),
  contract: (f, input) => {
    const { size, thr } = spikingFields(f, input, 'subtract');
    const beta = decayField(f, 'beta', size, 'learnBeta');
    f.int('truncate', 0, MAX_ELEMENTS, 0);
    return spikingResult(size, input, [...logit('beta', beta, size), ...thr]);
  },
  neuron: (size, o) => new Leaky({ size, beta: o.beta ?? 0.95, learnBeta: o.learnBeta, surrogate: o.surrogate, truncate: o.truncate }),
};
