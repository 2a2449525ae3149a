import { Tensor } from '../core/tensor.js';
import { ValueError, checkObject, checkRange, describe } from '../core/errors.js';
import type { NeuronModel, NeuronSpec, ParamSpec } from '../neurons/spec.js';
import { specSequence } from '../neurons/spec.js';
import type { FeatureParam } from '../neurons/common.js';
import type { ForwardContext, Layer, NamedParameter, Seq } from './layer.js';
import { Decay, SpikingCommon, type SpikingOptions } from './neuron-params.js';
import {
  MAX_ELEMENTS,
  decayField,
  decayFromConfig,
  logit,
  noBeta,
  noTruncate,
  show,
  spikingFields,
  spikingFromConfig,
  spikingResult,
  type LayerFields,
  type LayerKind,
} from './layer-kind.js';

/**
 * A spiking layer of any neuron spec (neurons/spec.ts), and its registry entry (`specKind`): the layer a
 * new neuron model gets without a layer class of its own. Parameters other than the threshold are config
 * fields named as in the spec: a number, or one per neuron; `learn<Name>` trains it (a decay through a
 * logit, stored as `<name>_logit` in the weights file, as Leaky's beta; others as `<name>`). The threshold,
 * reset and surrogate are those of every spiking layer (SpikingCommon).
 */

export interface SpecLayerOptions extends SpikingOptions {
  /** Values of the spec's parameters other than the threshold (default: the spec's init). */
  params?: Readonly<Record<string, number | ArrayLike<number>>>;
  /** Names of the parameters to train (besides the threshold: learnThreshold). */
  learn?: readonly string[];
}

const cap = (s: string) => s[0].toUpperCase() + s.slice(1);

/** A trained or fixed parameter that is not a decay: [size] values in [lo, hi]. */
class PlainParam {
  readonly tensor: Tensor;
  constructor(
    who: string,
    p: ParamSpec,
    size: number,
    value: number | ArrayLike<number>,
    readonly learn: boolean,
  ) {
    const v = new Float32Array(size);
    if (typeof value === 'number') v.fill(value);
    else if ((Array.isArray(value) || ArrayBuffer.isView(value)) && value.length === size) v.set(value);
    else throw new ValueError(`${who} ${p.name}: expected a number or ${size} values (one per neuron), found ${describe(value)}`);
    v.forEach((x, i) => checkRange(`${who} ${p.name}${typeof value === 'number' ? '' : `[${i}]`}`, x, p.lo, p.hi));
    this.tensor = new Tensor(v, [size], { requiresGrad: learn });
  }
  value(): Tensor {
    return this.tensor;
  }
  parameters(name: string): NamedParameter[] {
    return this.learn ? [{ name, tensor: this.tensor }] : [];
  }
  config(): number | number[] | undefined {
    if (this.learn) return undefined;
    const d = Array.from(this.tensor.data);
    return new Set(d).size === 1 ? d[0] : d;
  }
}

const isThreshold = (spec: NeuronSpec, i: number) => {
  const t = spec.fire.threshold;
  return 'param' in t && t.param === i;
};

export class SpecLayer implements Layer {
  readonly spiking = true;
  readonly kind: string;
  readonly spec: NeuronSpec;
  readonly common: SpikingCommon;
  private readonly values = new Map<string, Decay | PlainParam>();

  constructor(
    readonly model: NeuronModel,
    o: SpecLayerOptions,
  ) {
    this.kind = model.kind;
    const who = model.spec(model.defaultReset).name;
    this.common = new SpikingCommon(who, o, model.defaultReset);
    this.spec = model.spec(this.common.reset);
    const given = o.params ?? {};
    if (o.params !== undefined) checkObject(`${who} params`, o.params);
    const learn = new Set(o.learn ?? []);
    const names = this.spec.params.filter((_, i) => !isThreshold(this.spec, i)).map((p) => p.name);
    for (const k of [...Object.keys(given), ...learn]) {
      if (!names.includes(k)) throw new ValueError(`${who}: unknown parameter ${k} (the model has ${names.join(', ') || 'none'})`);
    }
    this.spec.params.forEach((p, i) => {
      if (isThreshold(this.spec, i)) return;
      const v = given[p.name] ?? p.init;
      const l = learn.has(p.name);
      this.values.set(p.name, p.decay ? new Decay(who, p.name, o.size, v, l) : new PlainParam(who, p, o.size, v, l));
    });
  }

  forward(input: Seq, ctx: ForwardContext): Seq {
    const c = this.common;
    c.checkInput(input);
    const params: Record<string, FeatureParam> = {};
    this.spec.params.forEach((p, i) => {
      params[p.name] = isThreshold(this.spec, i) ? c.threshold() : this.values.get(p.name)!.value();
    });
    const r = specSequence(this.spec, input.x, {
      steps: input.steps,
      constInput: input.constant,
      params,
      surrogate: c.surrogate,
      kernels: ctx.kernels,
    });
    c.record(ctx, this.kind, r.spk, r.state[this.spec.state[this.spec.fire.state]], r.spikes);
    return { x: r.spk, steps: input.steps, constant: false, image: input.image };
  }

  parameters(): NamedParameter[] {
    const ps: NamedParameter[] = [];
    for (const [name, v] of this.values) ps.push(...(v instanceof Decay ? v.parameters() : v.parameters(name)));
    return [...ps, ...this.common.parameters()];
  }

  config(): Record<string, unknown> {
    const c: Record<string, unknown> = { ...this.common.config() };
    for (const [name, v] of this.values) {
      c[name] = v.config();
      c[`learn${cap(name)}`] = v.learn;
    }
    return c;
  }
}

/** A non-decay parameter's config field: a number or a list of `size` in [lo, hi]; absent when learned. */
function plainField(f: LayerFields, p: ParamSpec, size: number, learned: boolean): void {
  const v = f.get(p.name);
  if (learned) {
    if (v !== undefined) f.fail(p.name, `expected none (learn${cap(p.name)} is true: the weights file holds ${p.name}), found ${show(v)}`);
    return;
  }
  const ok = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= p.lo && x <= p.hi;
  if (v === undefined || ok(v)) return;
  if (!Array.isArray(v) || v.length !== size)
    f.fail(p.name, `expected a number in [${p.lo}, ${p.hi}] or ${size} (one per neuron), found ${show(v)}`);
  const bad = v.findIndex((x) => !ok(x));
  if (bad >= 0) f.fail(`${p.name}[${bad}]`, `expected a number in [${p.lo}, ${p.hi}], found ${show(v[bad])}`);
}

/** The registry entry of a neuron model: its layers from their config, and the config's contract. */
export function specKind(model: NeuronModel): LayerKind & { readonly model: NeuronModel } {
  const spec = model.spec(model.defaultReset);
  const others = spec.params.filter((_, i) => !isThreshold(spec, i));
  return {
    kind: model.kind,
    model,
    fromConfig: (c) => {
      const params: Record<string, number | number[]> = {};
      const learn: string[] = [];
      for (const p of others) {
        const l = c[`learn${cap(p.name)}`] === true;
        if (l) learn.push(p.name);
        const v = p.decay ? decayFromConfig(c[p.name], l) : l ? p.init : c[p.name];
        if (v !== undefined) params[p.name] = v as number | number[];
      }
      return new SpecLayer(model, { ...spikingFromConfig(c), params, learn });
    },
    contract: (f, input) => {
      const { size, thr } = spikingFields(f, input, model.defaultReset === 'none' ? 'subtract' : model.defaultReset);
      const held: Array<[string, number[]]> = [];
      for (const p of others) {
        const learned = f.bool(`learn${cap(p.name)}`, false);
        if (p.decay) held.push(...logit(p.name, decayField(f, p.name, size, `learn${cap(p.name)}`, p.init), size));
        else {
          plainField(f, p, size, learned);
          if (learned) held.push([p.name, [size]]);
        }
      }
      if (size > MAX_ELEMENTS) f.fail('size', `expected at most ${MAX_ELEMENTS}`);
      return spikingResult(size, input, [...held, ...thr]);
    },
    /** The spec's defaults; a parameter named beta takes --beta (and --learn-beta). */
    neuron: (size, o) => {
      noTruncate(model.kind, o);
      const hasBeta = others.some((p) => p.name === 'beta');
      if (!hasBeta) noBeta(model.kind, o, others.map((p) => p.name).join(', '));
      return new SpecLayer(model, {
        size,
        surrogate: o.surrogate,
        params: hasBeta && o.beta !== undefined ? { beta: o.beta } : {},
        learn: hasBeta && o.learnBeta ? ['beta'] : [],
      });
    },
  };
}
