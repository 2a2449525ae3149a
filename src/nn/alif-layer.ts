import { Tensor } from '../core/tensor.js';
import { checkBool, checkRange } from '../core/errors.js';
import { alifSequence } from '../neurons/alif.js';
import type { ForwardContext, Layer, NamedParameter, Seq } from './layer.js';
import { Decay, SpikingCommon, type SpikingOptions } from './neuron-params.js';
import {
  decayField,
  decayFromConfig,
  logit,
  noTruncate,
  spikingFields,
  spikingFromConfig,
  spikingResult,
  type LayerKind,
} from './layer-kind.js';

export interface AlifOptions extends SpikingOptions {
  beta: number | ArrayLike<number>;
  learnBeta?: boolean;
  /** Decay of the adaptation trace (exp(-dt / tau_a)); default 0.95. */
  rho?: number | ArrayLike<number>;
  learnRho?: boolean;
  /** Adaptation strength (threshold rise per unit trace); default 1.8 (Bellec et al. 2018). */
  betaA?: number;
  learnBetaA?: boolean;
}

/** Adaptive LIF layer (Bellec et al.'s ALIF, snnTorch conventions); see neurons/alif.ts. */
export class Alif implements Layer {
  readonly kind = 'alif';
  readonly spiking = true;
  readonly common: SpikingCommon;
  readonly beta: Decay;
  readonly rho: Decay;
  readonly betaA: Tensor;
  readonly learnBetaA: boolean;

  constructor(o: AlifOptions) {
    this.common = new SpikingCommon('ALIF', o);
    this.beta = new Decay('ALIF', 'beta', o.size, o.beta, o.learnBeta ?? false);
    this.rho = new Decay('ALIF', 'rho', o.size, o.rho ?? 0.95, o.learnRho ?? false);
    const ba = o.betaA ?? 1.8;
    checkRange('ALIF betaA', ba, -1e30, 1e30);
    checkBool('ALIF learnBetaA', o.learnBetaA);
    this.learnBetaA = o.learnBetaA ?? false;
    this.betaA = new Tensor(new Float32Array(o.size).fill(ba), [o.size], { requiresGrad: this.learnBetaA });
  }

  forward(input: Seq, ctx: ForwardContext): Seq {
    return this.common.forwardSequence(this.kind, input, ctx, (x, o) =>
      alifSequence(x, { ...o, beta: this.beta.value(), rho: this.rho.value(), betaA: this.betaA }),
    );
  }

  parameters(): NamedParameter[] {
    const ps = [...this.beta.parameters(), ...this.rho.parameters(), ...this.common.parameters()];
    if (this.learnBetaA) ps.push({ name: 'betaA', tensor: this.betaA });
    return ps;
  }

  config(): Record<string, unknown> {
    const ba = Array.from(this.betaA.data);
    return {
      ...this.common.config(),
      beta: this.beta.config(),
      learnBeta: this.beta.learn,
      rho: this.rho.config(),
      learnRho: this.rho.learn,
      betaA: this.learnBetaA ? undefined : ba[0],
      learnBetaA: this.learnBetaA,
    };
  }
}

/** Registry entry: beta and rho (or their logits when learned), betaA (a per-neuron parameter when learned). */
export const alifKind: LayerKind = {
  kind: 'alif',
  fromConfig: (c) =>
    new Alif({
      ...spikingFromConfig(c),
      beta: decayFromConfig(c.beta, c.learnBeta),
      learnBeta: c.learnBeta,
      rho: decayFromConfig(c.rho, c.learnRho),
      learnRho: c.learnRho,
      betaA: c.betaA,
      learnBetaA: c.learnBetaA,
    }),
  contract: (f, input) => {
    const { size, thr } = spikingFields(f, input, 'subtract');
    const beta = decayField(f, 'beta', size, 'learnBeta');
    const rho = decayField(f, 'rho', size, 'learnRho', 0.95);
    const learnBetaA = f.bool('learnBetaA', false);
    if (learnBetaA && f.get('betaA') !== undefined) f.fail('betaA', 'expected none (learnBetaA is true: the weights file holds betaA)');
    if (!learnBetaA) f.num('betaA', -1e30, 1e30, 1.8);
    return spikingResult(size, input, [
      ...logit('beta', beta, size),
      ...logit('rho', rho, size),
      ...thr,
      ...(learnBetaA ? [['betaA', [size]] as [string, number[]]] : []),
    ]);
  },
  /** Bellec et al.'s adaptation (rho 0.95, betaA 1.8), beta as given (default 0.95). */
  neuron: (size, o) => {
    noTruncate('alif', o);
    return new Alif({ size, beta: o.beta ?? 0.95, learnBeta: o.learnBeta, surrogate: o.surrogate });
  },
};
