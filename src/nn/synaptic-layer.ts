import type { Tensor } from '../core/tensor.js';
import { synapticSequence, type SynapticSequenceOptions } from '../neurons/synaptic.js';
import { zeroStyleOf } from '../neurons/scan.js';
import { alphaSequence, checkAlphaBeta } from '../neurons/alpha.js';
import type { ForwardContext, Layer, NamedParameter, Seq } from './layer.js';
import { Decay, SpikingCommon, type SpikingOptions } from './neuron-params.js';
// The registry helpers every neuron layer's file imports alike (alif-layer.ts, recurrent-layer.ts).
import {
  decayField,
  decayFromConfig,
  logit,
  noTruncate,
  spikingFields,
  spikingFromConfig,
  spikingResult,
  type LayerFields,
  type LayerKind,
} from './layer-kind.js';

export interface SynapticOptions extends SpikingOptions {
  /** Synaptic current decay in [0, 1] (one value or one per neuron). */
  alpha: number | ArrayLike<number>;
  /** Membrane decay in [0, 1]. */
  beta: number | ArrayLike<number>;
  learnAlpha?: boolean;
  learnBeta?: boolean;
  /**
   * Reset timing of reset 'zero' (snnTorch's reset_delay; default true): true zeroes the whole update of
   * the step after a spike (snnTorch's default), false zeroes the membrane right after its spike, so the
   * next step starts from 0 and adds its input: NIR's discretised LIF/CubaLIF, which toNir exports exactly.
   */
  resetDelay?: boolean;
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
    return this.common.forwardSequence(this.kind, input, ctx, (x, o) =>
      this.sequence(x, { ...o, alpha: this.alpha.value(), beta: this.beta.value() }),
    );
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
  /** Reset timing of reset 'zero' (SynapticOptions.resetDelay). */
  readonly resetDelay: boolean;

  constructor(o: SynapticOptions) {
    const common = new SpikingCommon('Synaptic', o);
    const resetDelay = zeroStyleOf('Synaptic', o.resetDelay, common.reset) === 'all';
    super(
      common,
      new Decay('Synaptic', 'alpha', o.size, o.alpha, o.learnAlpha ?? false),
      new Decay('Synaptic', 'beta', o.size, o.beta, o.learnBeta ?? false),
      (x, so) => synapticSequence(x, { ...so, resetDelay }),
    );
    this.resetDelay = resetDelay;
  }

  /** resetDelay only when false: configs of the default timing stay as they were. */
  override config(): Record<string, unknown> {
    return {
      ...super.config(),
      learnAlpha: this.alpha.learn,
      learnBeta: this.beta.learn,
      ...(this.resetDelay ? {} : { resetDelay: false }),
    };
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
    super(
      new SpikingCommon('Alpha', o, 'zero'),
      new Decay('Alpha', 'alpha', o.size, o.alpha, false),
      new Decay('Alpha', 'beta', o.size, o.beta, false),
      alphaSequence,
    );
    for (let h = 0; h < o.size; h++) checkAlphaBeta(`Alpha neuron ${h}`, this.alpha.tensor.data[h], this.beta.tensor.data[h]);
  }
}

// The registry entries parallel alifKind (alif-layer.ts) and rleakyKind (recurrent-layer.ts): one shape,
// spikingFromConfig then each decay with its learn flag, and each kind's own fields.
/** The config's resetDelay (default true): false needs reset 'zero' (the layer's default reset given). */
export function resetDelayField(f: LayerFields, defaultReset: 'subtract' | 'zero'): void {
  if (f.bool('resetDelay', true)) return;
  const reset = f.oneOf('reset', ['subtract', 'zero', 'none'], defaultReset);
  if (reset !== 'zero') f.fail('resetDelay', `false (the reset right after the spike) needs reset "zero", found reset "${reset}"`);
}

/** Registry entry: alpha and beta (or their logits when learned), and the fields of every spiking layer. */
export const synapticKind: LayerKind = {
  kind: 'synaptic',
  fromConfig: (c) =>
    new Synaptic({
      ...spikingFromConfig(c),
      alpha: decayFromConfig(c.alpha, c.learnAlpha),
      beta: decayFromConfig(c.beta, c.learnBeta),
      learnAlpha: c.learnAlpha,
      learnBeta: c.learnBeta,
      resetDelay: c.resetDelay,
    }),
  contract: (f, input) => {
    const { size, thr } = spikingFields(f, input, 'subtract');
    resetDelayField(f, 'subtract');
    const alpha = decayField(f, 'alpha', size, 'learnAlpha');
    const beta = decayField(f, 'beta', size, 'learnBeta');
    return spikingResult(size, input, [...logit('alpha', alpha, size), ...logit('beta', beta, size), ...thr]);
  },
  /** alpha 0.9 (snnTorch tutorial 2's synaptic decay), beta as given (default 0.8). */
  neuron: (size, o) => {
    noTruncate('synaptic', o);
    return new Synaptic({ size, alpha: 0.9, beta: o.beta ?? 0.8, learnBeta: o.learnBeta, surrogate: o.surrogate });
  },
};

/** Registry entry: alpha and beta (fixed, 0 < beta < alpha <= 1), reset "zero" by default. */
export const alphaKind: LayerKind = {
  kind: 'alpha',
  fromConfig: (c) => new Alpha({ ...spikingFromConfig(c), alpha: c.alpha, beta: c.beta }),
  contract: (f, input) => {
    const { size, thr } = spikingFields(f, input, 'zero');
    const a = decayField(f, 'alpha', size, null)!;
    const b = decayField(f, 'beta', size, null)!;
    for (let h = 0; h < Math.max(a.length, b.length); h++) {
      const x = Math.fround(a[a.length === 1 ? 0 : h]);
      const y = Math.fround(b[b.length === 1 ? 0 : h]);
      if (!(y > 0 && y < x && x <= 1))
        f.fail(
          'beta',
          `needs 0 < beta < alpha <= 1, found alpha = ${x}, beta = ${y}${a.length > 1 || b.length > 1 ? ` (neuron ${h})` : ''}`,
        );
    }
    return spikingResult(size, input, thr);
  },
};
