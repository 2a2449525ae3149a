import { synapticSequence } from '../neurons/synaptic.js';
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

/** Current-based LIF layer (snnTorch Synaptic) over a whole sequence; see neurons/synaptic.ts. */
export class Synaptic implements Layer {
  readonly kind = 'synaptic';
  readonly spiking = true;
  readonly common: SpikingCommon;
  readonly alpha: Decay;
  readonly beta: Decay;

  constructor(o: SynapticOptions) {
    this.common = new SpikingCommon('Synaptic', o);
    this.alpha = new Decay('Synaptic', 'alpha', o.size, o.alpha, o.learnAlpha ?? false);
    this.beta = new Decay('Synaptic', 'beta', o.size, o.beta, o.learnBeta ?? false);
  }

  forward(input: Seq, ctx: ForwardContext): Seq {
    const c = this.common;
    const r = synapticSequence(input.x, {
      steps: input.steps, constInput: input.constant, alpha: this.alpha.value(), beta: this.beta.value(),
      threshold: c.threshold(), reset: c.reset, surrogate: c.surrogate,
    });
    c.record(ctx, this.kind, r.spk, r.mem, r.spikes);
    return { x: r.spk, steps: input.steps, constant: false };
  }

  parameters(): NamedParameter[] {
    return [...this.alpha.parameters(), ...this.beta.parameters(), ...this.common.parameters()];
  }

  config(): Record<string, unknown> {
    return {
      ...this.common.config(), alpha: this.alpha.config(), beta: this.beta.config(),
      learnAlpha: this.alpha.learn, learnBeta: this.beta.learn,
    };
  }
}

export interface AlphaOptions extends SpikingOptions {
  /** Excitatory decay; needs 0 < beta < alpha <= 1. */
  alpha: number | ArrayLike<number>;
  /** Inhibitory decay. */
  beta: number | ArrayLike<number>;
}

/** snnTorch's Alpha neuron layer (default reset 'zero', as snnTorch); see neurons/alpha.ts. */
export class Alpha implements Layer {
  readonly kind = 'alpha';
  readonly spiking = true;
  readonly common: SpikingCommon;
  readonly alpha: Decay;
  readonly beta: Decay;

  constructor(o: AlphaOptions) {
    this.common = new SpikingCommon('Alpha', o, 'zero');
    this.alpha = new Decay('Alpha', 'alpha', o.size, o.alpha, false);
    this.beta = new Decay('Alpha', 'beta', o.size, o.beta, false);
    for (let h = 0; h < o.size; h++) checkAlphaBeta(`Alpha neuron ${h}`, this.alpha.tensor.data[h], this.beta.tensor.data[h]);
  }

  forward(input: Seq, ctx: ForwardContext): Seq {
    const c = this.common;
    const r = alphaSequence(input.x, {
      steps: input.steps, constInput: input.constant, alpha: this.alpha.value(), beta: this.beta.value(),
      threshold: c.threshold(), reset: c.reset, surrogate: c.surrogate,
    });
    c.record(ctx, this.kind, r.spk, r.mem, r.spikes);
    return { x: r.spk, steps: input.steps, constant: false };
  }

  parameters(): NamedParameter[] {
    return this.common.parameters();
  }

  config(): Record<string, unknown> {
    return { ...this.common.config(), alpha: this.alpha.config(), beta: this.beta.config() };
  }
}
