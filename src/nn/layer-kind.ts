// What a layer kind is to the registry (registry.ts): how to build the layer from its `config()`, and its
// config contract as checkpoint validation checks it before anything is allocated: the fields of its config
// (types, bounds, defaults as the constructors have them), what it takes from the layer before and gives to
// the next (features, image), and the parameters its weights file must hold. Each layer's file declares its
// kind (next to its config()); the helpers the contracts share are here.
import type { Rng } from '../core/rng.js';
import { DataError, ValueError } from '../core/errors.js';
import { surrogateFromName, type Surrogate } from '../surrogate/index.js';
import type { Layer } from './layer.js';

/** Bound on any one size field, on the values of one sample, and on the model's values in all: 2^28. */
export const MAX_ELEMENTS = 2 ** 28;
/**
 * Bound on the neurons of all spiking layers together: 2^24. Their per-neuron values are made at load
 * without a file behind them (an ALIF layer of 2^24 neurons takes about 1 s and 250 MB; of 2^28, 8 s and 3.4 GB).
 */
export const MAX_NEURONS = 2 ** 24;

/** An image between layers; height and width are null when the config does not fix them. */
export interface ImageDims {
  c: number;
  h: number | null;
  w: number | null;
}

/** What flows from one layer to the next: features per sample (null: not fixed by the config), image layout. */
export interface Flow {
  features: number | null;
  image: ImageDims | null;
  /** Where it comes from, for messages: "the outputs of layers[2] (linear)". */
  from: string;
}

/** Typed reads of one layer's config fields; every failure names the file, the layer and the field. */
export interface LayerFields {
  fail(field: string | null, message: string): never;
  get(field: string): unknown;
  int(field: string, lo: number, hi: number, dflt?: number): number;
  num(field: string, lo: number, hi: number, dflt?: number): number;
  bool(field: string, dflt: boolean): boolean;
  oneOf<T extends string>(field: string, choices: readonly T[], dflt: T): T;
}

export interface LayerCheck {
  flow: Omit<Flow, 'from'>;
  /** Parameters as the weights file holds them: name within the layer, torch-layout shape. */
  params: Array<[string, number[]]>;
  /** Neurons of a spiking layer (0 for the others): values made at load without a file behind them. */
  neurons: number;
  /** Features per sample the layer needs of its input, when its config fixes them. */
  inputFeatures: number | null;
}

/** A kind's config contract: reads its fields through `f`, checks them against what flows in, says what it gives. */
export type LayerContract = (f: LayerFields, input: Flow) => LayerCheck;

/**
 * What the models (fc, csnn; the CLI's --neuron) ask of a neuron kind for a layer of `size` neurons: a
 * decay beta where the kind has one (undefined: the kind's default), whether to learn it, the surrogate,
 * truncated BPTT (Leaky only: 0 elsewhere). A kind that cannot honour an option throws a ValueError.
 */
export interface NeuronOptions {
  beta?: number;
  learnBeta: boolean;
  surrogate: Surrogate;
  truncate: number;
}

/** Throws unless the options are those a kind without a decay beta and without truncation can honour. */
export function noBeta(kind: string, o: NeuronOptions, has: string): void {
  if (o.beta !== undefined || o.learnBeta)
    throw new ValueError(`neuron ${kind}: has no beta (its parameters: ${has}), so beta and learnBeta do not apply`);
}
export function noTruncate(kind: string, o: NeuronOptions): void {
  if (o.truncate) throw new ValueError(`neuron ${kind}: truncated BPTT applies to leaky neurons only`);
}

/** One layer kind of the registry. */
export interface LayerKind {
  /** The `kind` its layers have, in configs and checkpoints. */
  readonly kind: string;
  /**
   * The layer from its `config()` (sequentialFromConfig). Learned values (weights, decay logits,
   * thresholds) are placeholders here: the checkpoint's weights overwrite them.
   */
  // biome-ignore lint/suspicious/noExplicitAny: a config its contract has already checked, read field by field
  fromConfig(c: Record<string, any>, rng: Rng): Layer;
  readonly contract: LayerContract;
  /** For neuron kinds: a hidden or output layer of `size` neurons for the fc and csnn models. */
  neuron?(size: number, o: NeuronOptions, rng: Rng): Layer;
}

/** A value as an error message shows it: short, and never a crash on odd types. */
export function show(x: unknown): string {
  if (x === undefined) return 'nothing';
  if (typeof x === 'string') return JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}...` : x);
  if (Array.isArray(x)) return `a list of ${x.length} value${x.length === 1 ? '' : 's'}`;
  if (typeof x === 'object' && x !== null) return 'an object';
  return String(x);
}

export const isInt = (v: unknown, lo: number, hi: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;

/** A size field that must equal the features the layer before gives. */
export function expectFeatures(f: LayerFields, field: string, n: number, input: Flow): void {
  if (input.features !== null && input.features !== n) f.fail(field, `expected ${input.features} (${input.from}), found ${n}`);
}

/** A pair of integers, e.g. [kH, kW]; a single integer n means [n, n] where `square`. */
export function intPair(f: LayerFields, field: string, lo: number, square: boolean): [number, number] | undefined {
  const v = f.get(field);
  if (v === undefined) return undefined;
  if (square && isInt(v, lo, MAX_ELEMENTS)) return [v, v];
  if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => isInt(x, lo, MAX_ELEMENTS))) {
    f.fail(field, `expected ${square ? 'an integer or ' : ''}[height, width] of integers in [${lo}, ${MAX_ELEMENTS}], found ${show(v)}`);
  }
  return [v[0], v[1]];
}

/**
 * A decay (alpha, beta, rho) in [0, 1]: one number or one per neuron (compared as the float32 the layer
 * stores). Absent when learned: the weights file holds its logit. Returns the values, or null when learned.
 */
export function decayField(f: LayerFields, field: string, size: number, learnField: string | null, dflt?: number): number[] | null {
  const learned = learnField !== null && f.bool(learnField, false);
  const v = f.get(field);
  if (learned) {
    if (v !== undefined) f.fail(field, `expected none (${learnField} is true: the weights file holds ${field}_logit), found ${show(v)}`);
    return null;
  }
  const ok = (x: unknown): x is number => typeof x === 'number' && Math.fround(x) >= 0 && Math.fround(x) <= 1;
  if (v === undefined && dflt !== undefined) return [dflt];
  if (ok(v)) return [v];
  if (!Array.isArray(v)) f.fail(field, `expected a number in [0, 1] or a list of ${size} (one per neuron), found ${show(v)}`);
  if (v.length !== size) f.fail(field, `expected one number or ${size} (one per neuron), found a list of ${v.length}`);
  const bad = v.findIndex((x) => !ok(x));
  if (bad >= 0) f.fail(`${field}[${bad}]`, `expected a number in [0, 1], found ${show(v[bad])}`);
  return v as number[];
}

function surrogateField(f: LayerFields): void {
  const s = f.get('surrogate');
  if (s === undefined) return; // the layers' default, atan
  if (typeof s !== 'object' || s === null || Array.isArray(s)) f.fail('surrogate', `expected {name, param}, found ${show(s)}`);
  const o = s as Record<string, unknown>;
  const extra = Object.keys(o).find((k) => k !== 'name' && k !== 'param' && k !== 'param2');
  if (extra !== undefined) f.fail(`surrogate.${extra}`, 'unknown field (a surrogate has name, param and param2)');
  for (const k of ['param', 'param2']) {
    if (o[k] !== undefined && (typeof o[k] !== 'number' || !Number.isFinite(o[k])))
      f.fail(`surrogate.${k}`, `expected a number, found ${show(o[k])}`);
  }
  try {
    surrogateFromName({ name: o.name as string, param: o.param as number | undefined, param2: o.param2 as number | undefined });
  } catch (e) {
    if (e instanceof ValueError) f.fail('surrogate', e.message.replace(/^surrogate: /, ''));
    throw e;
  }
}

/** Size, threshold, reset and surrogate of a spiking layer; it takes and gives `size` features. */
export function spikingFields(
  f: LayerFields,
  input: Flow,
  defaultReset: 'subtract' | 'zero',
): { size: number; thr: Array<[string, number[]]> } {
  const size = f.int('size', 1, MAX_NEURONS);
  expectFeatures(f, 'size', size, input);
  f.num('threshold', -1e30, 1e30, 1);
  const learnThreshold = f.bool('learnThreshold', false);
  f.oneOf('reset', ['subtract', 'zero', 'none'], defaultReset);
  surrogateField(f);
  return { size, thr: learnThreshold ? [['threshold', [1]]] : [] };
}

export function spikingResult(size: number, input: Flow, params: Array<[string, number[]]>): LayerCheck {
  return { flow: { features: size, image: input.image }, params, neurons: size, inputFeatures: size };
}

export const logit = (name: string, values: number[] | null, size: number): Array<[string, number[]]> =>
  values === null ? [[`${name}_logit`, [size]]] : [];

export function recurrentParams(f: LayerFields, size: number): Array<[string, number[]]> {
  f.bool('learnRecurrent', true);
  const bias = f.bool('bias', true);
  return [['recurrent.weight', [size, size]], ...(bias ? [['recurrent.bias', [size]] as [string, number[]]] : [])];
}

export const passThrough = (input: Flow): LayerCheck => ({
  flow: { features: input.features, image: input.image },
  params: [],
  neurons: 0,
  inputFeatures: null,
});

/** The options every spiking layer rebuilds from its config: size, threshold, reset, surrogate (atan when absent). */
// biome-ignore lint/suspicious/noExplicitAny: a config its contract has already checked, read field by field
export function spikingFromConfig(c: Record<string, any>) {
  return {
    size: c.size as number,
    threshold: c.threshold as number | undefined,
    learnThreshold: c.learnThreshold as boolean | undefined,
    reset: c.reset,
    surrogate: surrogateFromName(c.surrogate ?? { name: 'atan' }),
  };
}

/** A decay from its config: a placeholder (0.5) when learned, the weights file holding its logit. */
export const decayFromConfig = (v: unknown, learned: boolean): number | number[] => (learned ? 0.5 : (v as number | number[]));

const hasOwn = (o: object, k: string): boolean => Object.hasOwn(o, k);

/** Reads the fields of one layer's config, typed and bounded; every failure is a DataError naming file, layer and field. */
export class Fields implements LayerFields {
  private readonly seen = new Set<string>();

  constructor(
    readonly file: string,
    readonly where: string,
    private readonly c: Record<string, unknown>,
  ) {}

  fail(field: string | null, message: string): never {
    throw new DataError(`${this.where}${field === null ? '' : `.config.${field}`}: ${message}`, this.file);
  }

  /** The field's own value (undefined when absent); marks it as known. */
  get(field: string): unknown {
    this.seen.add(field);
    return hasOwn(this.c, field) ? this.c[field] : undefined;
  }

  int(field: string, lo: number, hi: number, dflt?: number): number {
    return this.ranged(field, lo, hi, dflt, 'an integer');
  }

  num(field: string, lo: number, hi: number, dflt?: number): number {
    return this.ranged(field, lo, hi, dflt, 'a number');
  }

  /** int and num: an integer, or a finite number, in [lo, hi] (dflt when absent and given). */
  private ranged(field: string, lo: number, hi: number, dflt: number | undefined, what: 'an integer' | 'a number'): number {
    const v = this.get(field);
    if (v === undefined && dflt !== undefined) return dflt;
    const ok = typeof v === 'number' && (what === 'an integer' ? Number.isInteger(v) : Number.isFinite(v)) && v >= lo && v <= hi;
    if (!ok) this.fail(field, `expected ${what} in [${lo}, ${hi}], found ${show(v)}`);
    return v as number;
  }

  bool(field: string, dflt: boolean): boolean {
    const v = this.get(field);
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') this.fail(field, `expected true or false, found ${show(v)}`);
    return v;
  }

  oneOf<T extends string>(field: string, choices: readonly T[], dflt: T): T {
    const v = this.get(field);
    if (v === undefined) return dflt;
    if (!choices.includes(v as T)) this.fail(field, `expected ${choices.join(', ')}, found ${show(v)}`);
    return v as T;
  }

  /** Refuses fields the layer kind does not have (a typo would otherwise silently take the default). */
  noOthers(): void {
    const extra = Object.keys(this.c).filter((k) => !this.seen.has(k));
    if (extra.length) this.fail(extra[0], `unknown field for this layer kind (known: ${[...this.seen].join(', ') || 'none'})`);
  }
}
