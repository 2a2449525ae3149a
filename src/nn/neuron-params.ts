import { Tensor } from '../core/tensor.js';
import { ShapeError, checkBool, checkInt, checkObject } from '../core/errors.js';
import { sigmoid } from '../ops/index.js';
import { atan, surrogateConfig, type Surrogate } from '../surrogate/index.js';
import { checkDecay, checkReset, checkSurrogate, checkThreshold, type NeuronSequenceBase, type ResetMechanism } from '../neurons/common.js';
import { featuresOf, type ForwardContext, type NamedParameter, type Seq, type SpikeRecord } from './layer.js';

/**
 * Parameter handling shared by the spiking layers of the newer neuron models (Synaptic, Alpha, RLeaky,
 * RSynaptic, ALIF): decays that are fixed or learned through a logit (value = sigmoid(p), stays in
 * (0, 1), as Leaky's learnBeta), thresholds that are fixed or learned, options common to all.
 */

/** A per-neuron decay in [0, 1]: fixed values, or learned through p with decay = sigmoid(p). */
export class Decay {
  readonly tensor: Tensor;

  constructor(
    readonly who: string,
    readonly name: string,
    size: number,
    value: number | ArrayLike<number>,
    readonly learn: boolean,
  ) {
    checkBool(`${who} learn${name[0].toUpperCase()}${name.slice(1)}`, learn);
    // the same check as the step functions' (a learned decay = sigmoid(p) must stay strictly inside (0, 1))
    checkDecay(who, name, value, size, learn ? 1e-6 : 0, learn ? 1 - 1e-6 : 1);
    const v = new Float32Array(size);
    if (typeof value === 'number') v.fill(value);
    else v.set(value);
    this.tensor = learn
      ? new Tensor(
          v.map((b) => Math.log(b / (1 - b))),
          [size],
          { requiresGrad: true },
        )
      : new Tensor(v, [size]);
  }

  /** Current values, [size] (differentiable when learned). */
  value(): Tensor {
    return this.learn ? sigmoid(this.tensor) : this.tensor;
  }

  parameters(): NamedParameter[] {
    return this.learn ? [{ name: `${this.name}_logit`, tensor: this.tensor }] : [];
  }

  /** Config value: one number when all equal, else the list (undefined when learned: the weights carry it). */
  config(): number | number[] | undefined {
    if (this.learn) return undefined;
    const d = Array.from(this.tensor.data);
    return new Set(d).size === 1 ? d[0] : d;
  }
}

export interface SpikingOptions {
  size: number;
  threshold?: number;
  learnThreshold?: boolean;
  reset?: ResetMechanism;
  surrogate?: Surrogate;
}

/** What a layer's forward uses of its sequence op's outputs. */
export interface SequenceOutput {
  spk: Tensor;
  mem: Tensor;
  spikes: number;
}

/** Size, threshold (a one-value tensor, learnable), reset and surrogate of a spiking layer. */
export class SpikingCommon {
  readonly size: number;
  readonly thresholdTensor: Tensor;
  readonly learnThreshold: boolean;
  readonly reset: ResetMechanism;
  readonly surrogate: Surrogate;

  constructor(
    readonly who: string,
    o: SpikingOptions,
    defaultReset: ResetMechanism = 'subtract',
  ) {
    checkObject(`${who} options`, o);
    checkInt(`${who} size`, o.size, 1);
    this.size = o.size;
    const thr = checkThreshold(who, o.threshold ?? 1);
    checkBool(`${who} learnThreshold`, o.learnThreshold);
    this.learnThreshold = o.learnThreshold ?? false;
    this.thresholdTensor = new Tensor(Float32Array.of(thr), [1], { requiresGrad: this.learnThreshold });
    this.reset = checkReset(who, o.reset ?? defaultReset);
    this.surrogate = checkSurrogate(who, o.surrogate ?? atan());
  }

  /** Throws ShapeError unless the input has one feature per neuron. */
  checkInput(input: Seq): void {
    const n = featuresOf(input);
    if (n !== this.size)
      throw new ShapeError(
        `${this.who}: the input has ${n} features per step, but the layer has size ${this.size} (one neuron per feature)`,
      );
  }

  threshold(): number | Tensor {
    return this.learnThreshold ? this.thresholdTensor : this.thresholdTensor.data[0];
  }

  parameters(): NamedParameter[] {
    return this.learnThreshold ? [{ name: 'threshold', tensor: this.thresholdTensor }] : [];
  }

  config(): Record<string, unknown> {
    return {
      size: this.size,
      threshold: this.thresholdTensor.data[0],
      learnThreshold: this.learnThreshold,
      reset: this.reset,
      surrogate: surrogateConfig(this.surrogate),
    };
  }

  /**
   * The forward of a layer run by one fused sequence op (Synaptic, Alpha, ALIF, RLeaky, RSynaptic): checks
   * the input, runs `op` with the sequence's and these common options (the layer adds its own
   * parameters), records the spikes and membrane, and returns the spikes.
   */
  forwardSequence(kind: string, input: Seq, ctx: ForwardContext, op: (x: Tensor, o: NeuronSequenceBase) => SequenceOutput): Seq {
    this.checkInput(input);
    const r = op(input.x, {
      steps: input.steps,
      constInput: input.constant,
      threshold: this.threshold(),
      reset: this.reset,
      surrogate: this.surrogate,
      kernels: ctx.kernels,
    });
    this.record(ctx, kind, r.spk, r.mem, r.spikes);
    return { x: r.spk, steps: input.steps, constant: false };
  }

  /** Records the layer's outputs for losses and statistics. */
  record(ctx: ForwardContext, kind: string, spk: Tensor, mem: Tensor, spikes: number): void {
    const rec: SpikeRecord = { layer: `${kind}${ctx.records.length}`, spk, mem, spikes, neuronSteps: spk.size };
    ctx.records.push(rec);
  }
}
