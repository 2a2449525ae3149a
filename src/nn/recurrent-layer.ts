import { Tensor } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { checkBool, checkRng } from '../core/errors.js';
import { rleakySequence } from '../neurons/rleaky.js';
import { rsynapticSequence } from '../neurons/rsynaptic.js';
import { transposeMatrix, uniformBias, type ForwardContext, type Layer, type NamedParameter, type Seq } from './layer.js';
import { Decay, SpikingCommon, type SpikingOptions } from './neuron-params.js';
import { zeroStyleOf } from '../neurons/scan.js';
import { resetDelayField } from './synaptic-layer.js';
import {
  decayField,
  decayFromConfig,
  logit,
  noTruncate,
  recurrentParams,
  spikingFields,
  spikingFromConfig,
  spikingResult,
  type LayerKind,
} from './layer-kind.js';

export interface RecurrentOptions extends SpikingOptions {
  beta: number | ArrayLike<number>;
  learnBeta?: boolean;
  /** Train the recurrent weights V (default true, as snnTorch's learn_recurrent). */
  learnRecurrent?: boolean;
  /** Recurrent bias (default true: snnTorch's recurrent nn.Linear has one). */
  bias?: boolean;
  /** Initialises V (and bias) like torch.nn.Linear(H, H): U(-1/sqrt(H), 1/sqrt(H)). */
  rng: Rng;
  /**
   * Reset timing of reset 'zero' (snnTorch's reset_delay; default true): true zeroes the whole update of
   * the step after a spike (snnTorch's default), false zeroes the membrane right after its spike, so the
   * next step starts from 0 and adds its input: NIR's discretised LIF/CubaLIF, which toNir exports exactly.
   */
  resetDelay?: boolean;
}

/** V [H, H] stored [in, out] plus bias [H], drawn in torch's [out, in] order. */
function recurrentWeights(o: RecurrentOptions): { weight: Tensor; bias: Tensor | null } {
  const H = o.size;
  const bound = 1 / Math.sqrt(H);
  const learn = o.learnRecurrent ?? true;
  const w = new Float32Array(H * H);
  for (let out = 0; out < H; out++) for (let i = 0; i < H; i++) w[i * H + out] = (o.rng.uniform() * 2 - 1) * bound;
  const weight = new Tensor(w, [H, H], { requiresGrad: learn });
  if (!(o.bias ?? true)) return { weight, bias: null };
  return { weight, bias: uniformBias(o.rng, H, bound, learn) };
}

/** Shared parts of RLeaky and RSynaptic: recurrent weights in torch's layout in checkpoints. */
abstract class RecurrentBase {
  readonly spiking = true;
  readonly common: SpikingCommon;
  readonly beta: Decay;
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly learnRecurrent: boolean;
  /** Reset timing of reset 'zero' (RecurrentOptions.resetDelay). */
  readonly resetDelay: boolean;

  constructor(who: string, o: RecurrentOptions) {
    this.common = new SpikingCommon(who, o);
    this.resetDelay = zeroStyleOf(who, o.resetDelay, this.common.reset) === 'all';
    checkRng(`${who} rng`, o.rng);
    checkBool(`${who} learnRecurrent`, o.learnRecurrent);
    checkBool(`${who} bias`, o.bias);
    this.beta = new Decay(who, 'beta', o.size, o.beta, o.learnBeta ?? false);
    this.learnRecurrent = o.learnRecurrent ?? true;
    ({ weight: this.weight, bias: this.bias } = recurrentWeights(o));
  }

  protected recurrentParameters(): NamedParameter[] {
    const ps: NamedParameter[] = [{ name: 'recurrent.weight', tensor: this.weight }];
    if (this.bias) ps.push({ name: 'recurrent.bias', tensor: this.bias });
    return ps; // listed even when fixed (no grad, optimizers skip them) so checkpoints keep V
  }

  protected baseConfig(): Record<string, unknown> {
    return {
      ...this.common.config(),
      beta: this.beta.config(),
      learnBeta: this.beta.learn,
      learnRecurrent: this.learnRecurrent,
      bias: this.bias !== null,
      ...(this.resetDelay ? {} : { resetDelay: false }),
    };
  }

  /** recurrent.weight in torch's layout [out, in]. */
  exportParameter(name: string, t: Tensor): { shape: number[]; data: Float32Array } {
    const d = t.data as Float32Array;
    if (name !== 'recurrent.weight') return { shape: [...t.shape], data: d.slice() };
    const H = this.common.size;
    return { shape: [H, H], data: transposeMatrix(d, H, H) };
  }

  importParameter(name: string, t: Tensor, data: Float32Array): void {
    const d = t.data as Float32Array;
    if (name !== 'recurrent.weight') {
      d.set(data);
      return;
    }
    const H = this.common.size;
    transposeMatrix(data, H, H, d);
  }
}

/** Recurrent LIF layer, all-to-all (snnTorch RLeaky with linear_features = size); see neurons/rleaky.ts. */
export class RLeaky extends RecurrentBase implements Layer {
  readonly kind = 'rleaky';

  constructor(o: RecurrentOptions) {
    super('RLeaky', o);
  }

  forward(input: Seq, ctx: ForwardContext): Seq {
    return this.common.forwardSequence(this.kind, input, ctx, (x, o) =>
      rleakySequence(x, { ...o, beta: this.beta.value(), weight: this.weight, bias: this.bias, resetDelay: this.resetDelay }),
    );
  }

  parameters(): NamedParameter[] {
    return [...this.beta.parameters(), ...this.common.parameters(), ...this.recurrentParameters()];
  }

  config(): Record<string, unknown> {
    return this.baseConfig();
  }
}

export interface RSynapticOptions extends RecurrentOptions {
  alpha: number | ArrayLike<number>;
  learnAlpha?: boolean;
}

/** Recurrent current-based LIF layer (snnTorch RSynaptic with linear_features = size); see neurons/rsynaptic.ts. */
export class RSynaptic extends RecurrentBase implements Layer {
  readonly kind = 'rsynaptic';
  readonly alpha: Decay;

  constructor(o: RSynapticOptions) {
    super('RSynaptic', o);
    this.alpha = new Decay('RSynaptic', 'alpha', o.size, o.alpha, o.learnAlpha ?? false);
  }

  forward(input: Seq, ctx: ForwardContext): Seq {
    return this.common.forwardSequence(this.kind, input, ctx, (x, o) =>
      rsynapticSequence(x, {
        ...o,
        alpha: this.alpha.value(),
        beta: this.beta.value(),
        weight: this.weight,
        bias: this.bias,
        resetDelay: this.resetDelay,
      }),
    );
  }

  parameters(): NamedParameter[] {
    return [...this.alpha.parameters(), ...this.beta.parameters(), ...this.common.parameters(), ...this.recurrentParameters()];
  }

  config(): Record<string, unknown> {
    return { ...this.baseConfig(), alpha: this.alpha.config(), learnAlpha: this.alpha.learn };
  }
}

/** The options RLeaky and RSynaptic share, from a layer's config. */
function recurrentFromConfig(c: Parameters<LayerKind['fromConfig']>[0], rng: Rng): RecurrentOptions {
  return {
    ...spikingFromConfig(c),
    beta: decayFromConfig(c.beta, c.learnBeta),
    learnBeta: c.learnBeta,
    learnRecurrent: c.learnRecurrent,
    bias: c.bias,
    resetDelay: c.resetDelay,
    rng,
  };
}

/** Registry entry: beta (or its logit), the recurrent weight [size, size] and bias, and the fields of every spiking layer. */
export const rleakyKind: LayerKind = {
  kind: 'rleaky',
  fromConfig: (c, rng) => new RLeaky(recurrentFromConfig(c, rng)),
  contract: (f, input) => {
    const { size, thr } = spikingFields(f, input, 'subtract');
    resetDelayField(f, 'subtract');
    const beta = decayField(f, 'beta', size, 'learnBeta');
    return spikingResult(size, input, [...logit('beta', beta, size), ...thr, ...recurrentParams(f, size)]);
  },
  /** All-to-all recurrent weights drawn like torch.nn.Linear(size, size), beta as given (default 0.95). */
  neuron: (size, o, rng) => {
    noTruncate('rleaky', o);
    return new RLeaky({ size, beta: o.beta ?? 0.95, learnBeta: o.learnBeta, surrogate: o.surrogate, rng });
  },
};

/** Registry entry: as rleaky, with alpha (or its logit). */
export const rsynapticKind: LayerKind = {
  kind: 'rsynaptic',
  fromConfig: (c, rng) =>
    new RSynaptic({ ...recurrentFromConfig(c, rng), alpha: decayFromConfig(c.alpha, c.learnAlpha), learnAlpha: c.learnAlpha }),
  contract: (f, input) => {
    const { size, thr } = spikingFields(f, input, 'subtract');
    resetDelayField(f, 'subtract');
    const alpha = decayField(f, 'alpha', size, 'learnAlpha');
    const beta = decayField(f, 'beta', size, 'learnBeta');
    return spikingResult(size, input, [...logit('alpha', alpha, size), ...logit('beta', beta, size), ...thr, ...recurrentParams(f, size)]);
  },
};
