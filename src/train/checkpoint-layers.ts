// The contract of each layer kind that sequentialFromConfig builds, as checkpoint-config.ts checks it:
// the fields of its config (types, bounds, defaults as the constructors have them), what it takes from the
// layer before and gives to the next (features, image), and the parameters its weights file must hold.
import { ValueError } from '../core/errors.js';
import { surrogateFromName } from '../surrogate/index.js';

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

type Check = (f: LayerFields, input: Flow) => LayerCheck;

/** A value as an error message shows it: short, and never a crash on odd types. */
export function show(x: unknown): string {
  if (x === undefined) return 'nothing';
  if (typeof x === 'string') return JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}...` : x);
  if (Array.isArray(x)) return `a list of ${x.length} value${x.length === 1 ? '' : 's'}`;
  if (typeof x === 'object' && x !== null) return 'an object';
  return String(x);
}

const isInt = (v: unknown, lo: number, hi: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;

/** A size field that must equal the features the layer before gives. */
function expectFeatures(f: LayerFields, field: string, n: number, input: Flow): void {
  if (input.features !== null && input.features !== n) f.fail(field, `expected ${input.features} (${input.from}), found ${n}`);
}

/** A pair of integers, e.g. [kH, kW]; a single integer n means [n, n] where `square`. */
function intPair(f: LayerFields, field: string, lo: number, square: boolean): [number, number] | undefined {
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
function decay(f: LayerFields, field: string, size: number, learnField: string | null, dflt?: number): number[] | null {
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

function surrogate(f: LayerFields): void {
  const s = f.get('surrogate');
  if (s === undefined) return; // the layers' default, atan
  if (typeof s !== 'object' || s === null || Array.isArray(s)) f.fail('surrogate', `expected {name, param}, found ${show(s)}`);
  const o = s as Record<string, unknown>;
  const extra = Object.keys(o).find((k) => k !== 'name' && k !== 'param' && k !== 'param2');
  if (extra !== undefined) f.fail(`surrogate.${extra}`, 'unknown field (a surrogate has name, param and param2)');
  for (const k of ['param', 'param2']) {
    if (o[k] !== undefined && (typeof o[k] !== 'number' || !Number.isFinite(o[k]))) f.fail(`surrogate.${k}`, `expected a number, found ${show(o[k])}`);
  }
  try {
    surrogateFromName({ name: o.name as string, param: o.param as number | undefined, param2: o.param2 as number | undefined });
  } catch (e) {
    if (e instanceof ValueError) f.fail('surrogate', e.message.replace(/^surrogate: /, ''));
    throw e;
  }
}

/** Size, threshold, reset and surrogate of a spiking layer; it takes and gives `size` features. */
function spiking(f: LayerFields, input: Flow, defaultReset: 'subtract' | 'zero'): { size: number; thr: Array<[string, number[]]> } {
  const size = f.int('size', 1, MAX_NEURONS);
  expectFeatures(f, 'size', size, input);
  f.num('threshold', -1e30, 1e30, 1);
  const learnThreshold = f.bool('learnThreshold', false);
  f.oneOf('reset', ['subtract', 'zero', 'none'], defaultReset);
  surrogate(f);
  return { size, thr: learnThreshold ? [['threshold', [1]]] : [] };
}

function spikingResult(size: number, input: Flow, params: Array<[string, number[]]>): LayerCheck {
  return { flow: { features: size, image: input.image }, params, neurons: size, inputFeatures: size };
}

const logit = (name: string, values: number[] | null, size: number): Array<[string, number[]]> => (values === null ? [[`${name}_logit`, [size]]] : []);

function recurrent(f: LayerFields, size: number): Array<[string, number[]]> {
  f.bool('learnRecurrent', true);
  const bias = f.bool('bias', true);
  return [['recurrent.weight', [size, size]], ...(bias ? [['recurrent.bias', [size]] as [string, number[]]] : [])];
}

const same = (input: Flow): LayerCheck => ({ flow: { features: input.features, image: input.image }, params: [], neurons: 0, inputFeatures: null });

function pool(f: LayerFields, input: Flow): LayerCheck {
  const k = f.int('kernel', 1, MAX_ELEMENTS);
  const s = f.int('stride', 1, MAX_ELEMENTS, k);
  const im = input.image;
  if (!im) f.fail(null, `expected an image input (from a conv2d), found ${input.features ?? 'a number of'} features (${input.from})`);
  if (im.h === null || im.w === null) return { flow: { features: null, image: { c: im.c, h: null, w: null } }, params: [], neurons: 0, inputFeatures: null };
  const h = Math.floor((im.h - k) / s) + 1;
  const w = Math.floor((im.w - k) / s) + 1;
  if (h < 1 || w < 1) f.fail('kernel', `a ${k}x${k} window (stride ${s}) does not fit the ${input.from.replace(/^the /, '')}`);
  return { flow: { features: im.c * h * w, image: { c: im.c, h, w } }, params: [], neurons: 0, inputFeatures: null };
}

/** The image a conv2d reads: the one flowing in, else its inputSize, else a square of the features. */
function convInput(f: LayerFields, input: Flow, inC: number, inputSize: [number, number] | undefined): ImageDims {
  if (input.image) {
    if (input.image.c !== inC) f.fail('inChannels', `expected ${input.image.c} (${input.from}), found ${inC}`);
    const { h, w } = input.image;
    if (inputSize && h !== null && (h !== inputSize[0] || w !== inputSize[1])) f.fail('inputSize', `expected [${h}, ${w}] (${input.from}) or none, found [${inputSize.join(', ')}]`);
    return input.image;
  }
  if (inputSize) {
    const n = inputSize[0] * inputSize[1] * inC;
    if (n > MAX_ELEMENTS) f.fail('inputSize', `a ${inputSize.join('x')}x${inC} image is ${n} values per sample, more than the limit of ${MAX_ELEMENTS}`);
    if (input.features !== null && input.features !== n) {
      f.fail('inputSize', `expected an image of ${input.features} values (${input.from}), found ${inputSize.join('x')}x${inC} = ${n}`);
    }
    return { c: inC, h: inputSize[0], w: inputSize[1] };
  }
  if (input.features === null) return { c: inC, h: null, w: null };
  const side = Math.round(Math.sqrt(input.features / inC));
  if (side * side * inC !== input.features) f.fail('inputSize', `needed: ${input.features} values (${input.from}) are not a square ${inC}-channel image, found none`);
  return { c: inC, h: side, w: side };
}

function conv2d(f: LayerFields, input: Flow): LayerCheck {
  const inC = f.int('inChannels', 1, MAX_ELEMENTS);
  const outC = f.int('outChannels', 1, MAX_ELEMENTS);
  const kernel = intPair(f, 'kernel', 1, true);
  if (!kernel) f.fail('kernel', 'expected an integer or [height, width], found nothing');
  const [kH, kW] = kernel;
  const stride = f.int('stride', 1, MAX_ELEMENTS, 1);
  const padding = f.int('padding', 0, MAX_ELEMENTS, 0);
  const bias = f.bool('bias', true);
  const inputSize = intPair(f, 'inputSize', 1, false);
  const im = convInput(f, input, inC, inputSize);
  const params: Array<[string, number[]]> = [['weight', [outC, inC, kH, kW]], ...(bias ? [['bias', [outC]] as [string, number[]]] : [])];
  const inputFeatures = inputSize && !input.image ? inputSize[0] * inputSize[1] * inC : null;
  if (im.h === null || im.w === null) return { flow: { features: null, image: { c: outC, h: null, w: null } }, params, neurons: 0, inputFeatures };
  const h = Math.floor((im.h + 2 * padding - kH) / stride) + 1;
  const w = Math.floor((im.w + 2 * padding - kW) / stride) + 1;
  if (h < 1 || w < 1) f.fail('kernel', `a ${kH}x${kW} kernel (stride ${stride}, padding ${padding}) does not fit the ${im.h}x${im.w} input image`);
  if (outC * h * w > MAX_ELEMENTS) f.fail(null, `gives ${h}x${w}x${outC} = ${outC * h * w} values per sample, more than the limit of ${MAX_ELEMENTS}`);
  return { flow: { features: outC * h * w, image: { c: outC, h, w } }, params, neurons: 0, inputFeatures };
}

/** Every layer kind sequentialFromConfig builds, with its contract. */
export const LAYER_CHECKS: ReadonlyMap<string, Check> = new Map<string, Check>([
  ['linear', (f, input) => {
    const n = f.int('in', 1, MAX_ELEMENTS);
    const out = f.int('out', 1, MAX_ELEMENTS);
    const bias = f.bool('bias', true);
    expectFeatures(f, 'in', n, input);
    return { flow: { features: out, image: null }, params: [['weight', [out, n]], ...(bias ? [['bias', [out]] as [string, number[]]] : [])], neurons: 0, inputFeatures: n };
  }],
  ['relu', (_f, input) => same(input)],
  ['flatten', (_f, input) => ({ ...same(input), flow: { features: input.features, image: null } })],
  ['dropout', (f, input) => {
    f.num('p', 0, 1 - 1e-9);
    f.int('seed', 0, 2 ** 32 - 1, 0);
    return same(input);
  }],
  ['conv2d', conv2d],
  ['maxpool2d', pool],
  ['avgpool2d', pool],
  ['leaky', (f, input) => {
    const { size, thr } = spiking(f, input, 'subtract');
    const beta = decay(f, 'beta', size, 'learnBeta');
    f.int('truncate', 0, MAX_ELEMENTS, 0);
    return spikingResult(size, input, [...logit('beta', beta, size), ...thr]);
  }],
  ['synaptic', (f, input) => {
    const { size, thr } = spiking(f, input, 'subtract');
    const alpha = decay(f, 'alpha', size, 'learnAlpha');
    const beta = decay(f, 'beta', size, 'learnBeta');
    return spikingResult(size, input, [...logit('alpha', alpha, size), ...logit('beta', beta, size), ...thr]);
  }],
  ['alpha', (f, input) => {
    const { size, thr } = spiking(f, input, 'zero');
    const a = decay(f, 'alpha', size, null)!;
    const b = decay(f, 'beta', size, null)!;
    for (let h = 0; h < Math.max(a.length, b.length); h++) {
      const x = Math.fround(a[a.length === 1 ? 0 : h]);
      const y = Math.fround(b[b.length === 1 ? 0 : h]);
      if (!(y > 0 && y < x && x <= 1)) f.fail('beta', `needs 0 < beta < alpha <= 1, found alpha = ${x}, beta = ${y}${a.length > 1 || b.length > 1 ? ` (neuron ${h})` : ''}`);
    }
    return spikingResult(size, input, thr);
  }],
  ['rleaky', (f, input) => {
    const { size, thr } = spiking(f, input, 'subtract');
    const beta = decay(f, 'beta', size, 'learnBeta');
    return spikingResult(size, input, [...logit('beta', beta, size), ...thr, ...recurrent(f, size)]);
  }],
  ['rsynaptic', (f, input) => {
    const { size, thr } = spiking(f, input, 'subtract');
    const alpha = decay(f, 'alpha', size, 'learnAlpha');
    const beta = decay(f, 'beta', size, 'learnBeta');
    return spikingResult(size, input, [...logit('alpha', alpha, size), ...logit('beta', beta, size), ...thr, ...recurrent(f, size)]);
  }],
  ['alif', (f, input) => {
    const { size, thr } = spiking(f, input, 'subtract');
    const beta = decay(f, 'beta', size, 'learnBeta');
    const rho = decay(f, 'rho', size, 'learnRho', 0.95);
    const learnBetaA = f.bool('learnBetaA', false);
    if (learnBetaA && f.get('betaA') !== undefined) f.fail('betaA', 'expected none (learnBetaA is true: the weights file holds betaA)');
    if (!learnBetaA) f.num('betaA', -1e30, 1e30, 1.8);
    return spikingResult(size, input, [...logit('beta', beta, size), ...logit('rho', rho, size), ...thr, ...(learnBetaA ? [['betaA', [size]] as [string, number[]]] : [])]);
  }],
]);
