import type { Tensor } from '../core/tensor.js';
import { synapticSequence, type SynapticSequenceOptions } from '../neurons/synaptic.js';
import { alphaSequence, checkAlphaBeta } from '../neurons/alpha.js';
import type { ForwardContext, Layer, NamedParameter, Seq } from './layer.js';
import { Decay, SpikingCommon, type SpikingOptions } from './neuron-params.js';

export interface SynapticOptions extends SpikingOptions {
  /** Synaptic current decay in [0, 1] (one value or one per neuron). */
  alpha: number | ArrayLike<number>;
  /** Membrane decay in [0, 1]. */
  beta: number | ArrayLike<number>;
  learnAlpha?: boolean;
  learnBeta?: boolean;
}

type TwoDecaySequence = (x: Tensor, o: SynapticSequenceOptions) => { spk: Tensor; mem: Tensor; spikes: number };

/** A spiking layer with two decays (alpha, beta) run by one fused sequence op: Synaptic and Alpha. */
abstract class TwoDecayLayer implements Layer {
  abstract readonly kind: string;
  readonly spiking = true;

  constructor(
    readonly common: SpikingCommon,
    readonly alpha: Decay,
    readonly beta: Decay,
    private readonly sequence: TwoDecaySequence,
  ) {}

  forward(input: Seq, ctx: ForwardContext): Seq {
    const c = this.common;
    c.checkInput(input);
    const r = this.sequence(input.x, {
      steps: input.steps, constInput: input.constant, alpha: this.alpha.value(), beta: this.beta.value(),
      threshold: c.threshold(), reset: c.reset, surrogate: c.surrogate,
    });
    c.record(ctx, this.kind, r.spk, r.mem, r.spikes);
    return { x: r.spk, steps: input.steps, constant: false };
  }

  /** Learnable decays (if any), then the common parameters (threshold). */
  parameters(): NamedParameter[] {
    return [...this.alpha.parameters(), ...this.beta.parameters(), ...this.common.parameters()];
  }

  config(): Record<string, unknown> {
    return { ...this.common.config(), alpha: this.alpha.config(), beta: this.beta.config() };
  }
}

/** Current-based LIF layer (snnTorch Synaptic) over a whole sequence; see neurons/synaptic.ts. */
export class Synaptic extends TwoDecayLayer {
  readonly kind = 'synaptic';

  constructor(o: SynapticOptions) {
    super(
      new SpikingCommon('Synaptic', o),
      new Decay('Synaptic', 'alpha', o.size, o.alpha, o.learnAlpha ?? false),
      new Decay('Synaptic', 'beta', o.size, o.beta, o.learnBeta ?? false),
      synapticSequence,
    );
  }

  override config(): Record<string, unknown> {
    return { ...super.config(), learnAlpha: this.alpha.learn, learnBeta: this.beta.learn };
  }
}

export interface AlphaOptions extends SpikingOptions {
  /** Excitatory decay; needs 0 < beta < alpha <= 1. */
  alpha: number | ArrayLike<number>;
  /** Inhibitory decay. */
  beta: number | ArrayLike<number>;
}

/** snnTorch's Alpha neuron layer (default reset 'zero', as snnTorch; fixed decays); see neurons/alpha.ts. */
export class Alpha extends TwoDecayLayer {
  readonly kind = 'alpha';

  constructor(o: AlphaOptions) {
    super(new SpikingCommon('Alpha', o, 'zero'), new Decay('Alpha', 'alpha', o.size, o.alpha, false), new Decay('Alpha', 'beta', o.size, o.beta, false), alphaSequence);
    for (let h = 0; h < o.size; h++) checkAlphaBeta(`Alpha neuron ${h}`, this.alpha.tensor.data[h], this.beta.tensor.data[h]);
  }
}
