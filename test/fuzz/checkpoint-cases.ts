// Structured fuzz cases for checkpoints: valid configs of the fc, csnn and ann models and of every
// spiking kind, mutated field by field (hostile values, wrong types, missing fields, wrong kinds, broken
// shape chains, truncated JSON) and, in some cases, with a mutated or mismatched weights file.
import { createHash } from 'node:crypto';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { DataError } from '../../src/core/errors.js';
import { encodeSafetensors, type SafeTensorInput } from '../../src/interop/safetensors.js';
import { annClassifier, csnnClassifier, snnClassifier } from '../../src/nn/models.js';
import { Sequential } from '../../src/nn/sequential.js';
import { Linear } from '../../src/nn/linear.js';
import { Leaky } from '../../src/nn/leaky-layer.js';
import { Conv2d } from '../../src/nn/conv.js';
import { AvgPool2d } from '../../src/nn/pool.js';
import { BatchNorm1d, BatchNorm2d } from '../../src/nn/batchnorm.js';
import { Flatten } from '../../src/nn/flatten.js';
import { ReLU } from '../../src/nn/relu.js';
import { Synaptic, Alpha } from '../../src/nn/synaptic-layer.js';
import { RLeaky, RSynaptic } from '../../src/nn/recurrent-layer.js';
import { Alif } from '../../src/nn/alif-layer.js';
import { LAYER_KINDS } from '../../src/nn/registry.js';
import { SpecLayer } from '../../src/nn/spec-layer.js';
import type { NeuronModel } from '../../src/neurons/spec.js';
import { fastSigmoid, spikeRateEscape } from '../../src/surrogate/index.js';
import { defaultKernels } from '../../src/kernels/default.js';
import { directEncode } from '../../src/encode/index.js';
import { checkpointTensors, modelFromCheckpoint } from '../../src/train/checkpoint-model.js';
import { checkWeightsHeader, checkWeightsSize, validateCheckpointConfig } from '../../src/train/checkpoint-config.js';
import { HOSTILE, mutateBytes, pick } from './harness.js';

type Json = Record<string, unknown>;

/** The neuron models of the registry's spec layers (a new one is seeded without touching this file). */
const SPEC_MODELS = [...LAYER_KINDS.values()].flatMap((k) => ('model' in k ? [k.model as NeuronModel] : []));

/** Small valid models: the CLI's fc, csnn and ann, and every other layer kind with fixed and learned values. */
function seedModels(): Sequential[] {
  const r = new Rng(1);
  const lif = (size: number) => new Leaky({ size, beta: 0.9 });
  return [
    snnClassifier({ inputs: 12, hidden: [8], outputs: 4, beta: 0.9 }, r),
    snnClassifier(
      {
        inputs: 6,
        hidden: [5, 4],
        outputs: 3,
        beta: 0.8,
        learnBeta: true,
        reset: 'zero',
        threshold: 0.7,
        surrogate: fastSigmoid({ slope: 10 }),
        truncate: 3,
      },
      r,
    ),
    csnnClassifier({ input: [1, 10, 10], channels: [3], kernel: 3, outputs: 4, dropout: 0.2, beta: 0.8 }, r),
    csnnClassifier({ input: [2, 12, 12], channels: [2, 3], kernel: 3, outputs: 3, beta: 0.7, learnBeta: true }, r),
    annClassifier({ inputs: 7, hidden: [5], outputs: 3 }, r),
    new Sequential([
      new Conv2d({ inChannels: 1, outChannels: 2, kernel: [3, 2], stride: 2, padding: 1, inputSize: [7, 6], rng: r }),
      new AvgPool2d(2, 1),
      new Leaky({ size: 2 * 3 * 3, beta: Array.from({ length: 18 }, (_, i) => 0.5 + i / 40), learnThreshold: true }),
      new Flatten(),
      new Linear(18, 3, { rng: r, bias: false }),
      lif(3),
    ]),
    // the ANNs that conversion takes: BatchNorm after a Linear and after a Conv2d
    new Sequential([new Linear(6, 5, { rng: r }), new BatchNorm1d({ channels: 5 }), new ReLU(), new Linear(5, 3, { rng: r })]),
    new Sequential([
      new Conv2d({ inChannels: 1, outChannels: 2, kernel: 3, inputSize: [6, 6], rng: r }),
      new BatchNorm2d({ channels: 2, eps: 1e-3, momentum: 0.2 }),
      new ReLU(),
      new AvgPool2d(2),
      new Flatten(),
      new Linear(8, 3, { rng: r }),
    ]),
    new Sequential([
      new Linear(6, 5, { rng: r }),
      new Synaptic({ size: 5, alpha: 0.8, beta: 0.9, learnAlpha: true }),
      new Linear(5, 3, { rng: r }),
      lif(3),
    ]),
    new Sequential([
      new Linear(6, 5, { rng: r }),
      new Alpha({ size: 5, alpha: 0.9, beta: 0.8, surrogate: spikeRateEscape({ beta: 1, slope: 2 }) }),
      new Linear(5, 3, { rng: r }),
      lif(3),
    ]),
    new Sequential([
      new Linear(6, 5, { rng: r }),
      new RLeaky({ size: 5, beta: 0.9, learnBeta: true, rng: r }),
      new ReLU(),
      new Linear(5, 3, { rng: r }),
      lif(3),
    ]),
    new Sequential([
      new Linear(6, 4, { rng: r }),
      new RSynaptic({ size: 4, alpha: [0.5, 0.6, 0.7, 0.8], beta: 0.9, bias: false, learnRecurrent: false, rng: r }),
      new Linear(4, 3, { rng: r }),
      lif(3),
    ]),
    new Sequential([
      new Linear(6, 5, { rng: r }),
      new Alif({ size: 5, beta: 0.9, learnRho: true, learnBetaA: true, learnThreshold: true }),
      new Linear(5, 3, { rng: r }),
      lif(3),
    ]),
    new Sequential([new Alif({ size: 4, beta: 0.9, rho: 0.9, betaA: 0.5 }), new Linear(4, 2, { rng: r }), lif(2)]),
    // every neuron model of the registry (spec layers): its defaults, and every parameter learned
    ...SPEC_MODELS.flatMap((m) => {
      const names = m
        .spec(m.defaultReset)
        .params.map((p) => p.name)
        .filter((n) => n !== 'threshold');
      return [
        new Sequential([new Linear(6, 5, { rng: r }), new SpecLayer(m, { size: 5 }), new Linear(5, 3, { rng: r }), lif(3)]),
        new Sequential([
          new Linear(6, 4, { rng: r }),
          new SpecLayer(m, { size: 4, learn: names, learnThreshold: true, reset: 'subtract' }),
          new Linear(4, 3, { rng: r }),
          lif(3),
        ]),
      ];
    }),
  ];
}

export const SEED_MODELS = seedModels();
const SEEDS = SEED_MODELS.map((m) => ({
  layers: m.layers.map((l) => ({ kind: l.kind, config: l.config() })),
  weights: encodeSafetensors(checkpointTensors(m), { format: 'pt' }),
}));
/** Every kind of the registry (a new kind is fuzzed as a wrong kind without touching this file). */
const KINDS = [...LAYER_KINDS.keys()];
const FIELDS = [
  'in',
  'out',
  'bias',
  'size',
  'beta',
  'alpha',
  'rho',
  'betaA',
  'threshold',
  'reset',
  'surrogate',
  'learnBeta',
  'learnAlpha',
  'learnThreshold',
  'learnRho',
  'learnBetaA',
  'learnRecurrent',
  'truncate',
  'kernel',
  'stride',
  'padding',
  'inChannels',
  'outChannels',
  'inputSize',
  'p',
  'seed',
  // the spec layers' parameters and their learn flags
  ...SPEC_MODELS.flatMap((m) =>
    m
      .spec(m.defaultReset)
      .params.filter((p) => p.name !== 'threshold')
      .flatMap((p) => [p.name, `learn${p.name[0].toUpperCase()}${p.name.slice(1)}`]),
  ),
  'extra',
  '__proto__',
  'constructor',
];

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** A value near `v` or a hostile one (undefined: delete the field). */
function hostileFor(rng: Rng, v: unknown): unknown {
  if (typeof v === 'number' && rng.uniform() < 0.35) return pick(rng, [v + 1, v - 1, v * 2, Math.floor(v / 2), v + 1000, -v, v + 0.5, 0]);
  if (Array.isArray(v) && v.length && rng.uniform() < 0.3)
    return rng.uniform() < 0.5 ? v.slice(1) : v.map((x, i) => (i === rng.int(v.length) ? pick(rng, HOSTILE) : x));
  if (rng.uniform() < 0.1) return undefined;
  return clone(pick(rng, HOSTILE));
}

function setField(o: Json, k: string, v: unknown): void {
  if (v === undefined) delete o[k];
  else Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** One structured mutation of a config; returns what it touched. */
function mutateConfig(rng: Rng, cfg: Json): string {
  const isObj = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);
  const layers = cfg.layers as Array<Json>;
  if (!Array.isArray(layers) || !layers.length) return 'none'; // an earlier mutation broke the structure
  const i = rng.int(layers.length);
  const layer = layers[i];
  if (!isObj(layer) || !isObj(layer.config)) return 'none';
  const c = layer.config;
  const roll = rng.int(100);
  if (roll < 45) {
    const keys = Object.keys(c);
    const k = keys.length && rng.uniform() < 0.8 ? pick(rng, keys) : pick(rng, FIELDS);
    setField(c, k, hostileFor(rng, c[k]));
    return `layers[${i}].config.${k}`;
  }
  if (roll < 55) {
    // a size chain: one integer field set to another integer of the model (the next or the previous layer's)
    const ints = layers.flatMap((l) =>
      (isObj(l) && isObj(l.config) ? Object.values(l.config) : []).filter((v): v is number => Number.isInteger(v)),
    );
    const keys = Object.keys(c).filter((k) => Number.isInteger(c[k]));
    if (!keys.length || !ints.length) return 'none';
    const k = pick(rng, keys);
    c[k] = pick(rng, ints);
    return `layers[${i}].config.${k} (chain)`;
  }
  if (roll < 62) {
    layer.kind = pick(rng, [...KINDS, 'foo', '', 5, null, '__proto__', 'constructor', 'Linear', 'toString']);
    return `layers[${i}].kind`;
  }
  if (roll < 74) {
    const other = pick(rng, SEEDS).layers;
    switch (rng.int(5)) {
      case 0:
        layers.splice(i, 1);
        break;
      case 1:
        layers.splice(i, 0, clone(layer));
        break;
      case 2:
        if (i + 1 < layers.length) [layers[i], layers[i + 1]] = [layers[i + 1], layers[i]];
        break;
      case 3:
        layers.splice(i, 0, clone(pick(rng, other)));
        break;
      default:
        layers[i] = clone(pick(rng, other));
    }
    return `layers (structure at ${i})`;
  }
  if (roll < 80) {
    const s = c.surrogate as Json | undefined;
    if (s && typeof s === 'object') setField(s, pick(rng, ['name', 'param', 'param2', 'slope']), hostileFor(rng, s.name));
    else setField(c, 'surrogate', hostileFor(rng, s));
    return `layers[${i}].config.surrogate`;
  }
  if (roll < 86) {
    if (rng.uniform() < 0.5) layers[i] = pick(rng, HOSTILE) as Json;
    else setField(layer, rng.uniform() < 0.7 ? 'config' : 'extra', hostileFor(rng, undefined));
    return `layers[${i}]`;
  }
  const k = pick(rng, ['format', 'version', 'meta', 'layers', 'weights', 'extra']);
  setField(cfg, k, k === 'layers' && rng.uniform() < 0.3 ? layers.slice(0, rng.int(layers.length)) : hostileFor(rng, cfg[k]));
  return `config.${k}`;
}

/** One mutation of a weights file: its bytes, its header's structure, or another model's weights. */
function mutateWeights(rng: Rng, w: Uint8Array): Uint8Array {
  const hlen = Number(new DataView(w.buffer, w.byteOffset).getBigUint64(0, true));
  switch (rng.int(5)) {
    case 0:
      return mutateBytes(rng, w);
    case 1:
      return mutateBytes(rng, w, [0, 8 + hlen]);
    case 2:
      return pick(rng, SEEDS).weights;
    case 3: {
      const out = w.slice();
      new DataView(out.buffer).setBigUint64(
        0,
        BigInt(pick(rng, [0, 1, hlen + 1, hlen - 1, out.length, 2 ** 32, 2 ** 53])) + (rng.uniform() < 0.1 ? 2n ** 63n : 0n),
        true,
      );
      return out;
    }
    default: {
      const header = JSON.parse(new TextDecoder().decode(w.subarray(8, 8 + hlen))) as Record<string, Json>;
      const names = Object.keys(header).filter((k) => k !== '__metadata__');
      const name = pick(rng, names);
      const drop = rng.uniform() < 0.2; // (the second draw below is taken only when this one fails)
      if (drop) delete header[name];
      else if (rng.uniform() < 0.2) setField(header, pick(rng, [`${name}x`, '9.weight', '__proto__', '0.beta_logit']), header[name]);
      else
        setField(
          header[name],
          pick(rng, ['dtype', 'shape', 'data_offsets']),
          hostileFor(rng, pick(rng, [header[name].shape, 'F16', header[name].data_offsets])),
        );
      const text = new TextEncoder().encode(JSON.stringify(header));
      const out = new Uint8Array(8 + text.length + (w.length - 8 - hlen));
      new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
      out.set(text, 8);
      out.set(w.subarray(8 + hlen), 8 + text.length);
      return out;
    }
  }
}

/** Random float32 weights of the shapes a config needs (a file that matches a mutated config). */
function weightsFor(rng: Rng, shapes: ReadonlyArray<{ name: string; shape: number[] }>): Uint8Array | null {
  const tensors: Record<string, SafeTensorInput> = {};
  let total = 0;
  for (const t of shapes) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    total += n;
    if (total > 1 << 20) return null;
    tensors[t.name] = { dtype: 'F32', shape: t.shape, data: Float32Array.from({ length: n }, () => rng.uniform() - 0.5) };
  }
  return encodeSafetensors(tensors);
}

export interface CheckpointCase {
  label: string;
  version: 1 | 2;
  config: Uint8Array;
  weights: Uint8Array;
  /** The version-2 weights file name (model-<sha16>.safetensors). */
  weightsFile: string;
}

/** Case i: a seed model's config with 1-3 mutations, sometimes truncated or byte-mutated; weights kept, mutated, or made to match. */
export function makeCheckpointCase(rng: Rng): CheckpointCase {
  const seedIndex = rng.int(SEEDS.length);
  const seed = SEEDS[seedIndex];
  const version = rng.uniform() < 0.2 ? 2 : 1;
  const cfg: Json = {
    format: 'spikeflow-checkpoint',
    version,
    layers: clone(seed.layers),
    meta: { dataset: 'mnist', steps: 5, encoding: 'rate' },
  };
  const what = Array.from({ length: 1 + rng.int(3) }, () => (rng.uniform() < 0.93 ? mutateConfig(rng, cfg) : 'none'));
  let weights = seed.weights;
  const w = rng.uniform();
  if (w < 0.25) {
    weights = mutateWeights(rng, weights);
    what.push('weights');
  } else if (w < 0.5) {
    try {
      weights = weightsFor(rng, validateCheckpointConfig(clone(cfg), 'x').tensors) ?? weights;
      what.push('weights made to match');
    } catch {
      /* the config does not validate: keep the seed's weights */
    }
  }
  const sha = createHash('sha256').update(weights).digest('hex');
  const weightsFile = `model-${sha.slice(0, 16)}.safetensors`;
  if (version === 2 && !('weights' in cfg)) cfg.weights = { file: weightsFile, sha256: sha, bytes: weights.length };
  let config = new TextEncoder().encode(JSON.stringify(cfg, null, 2));
  const t = rng.uniform();
  if (t < 0.06) {
    config = config.subarray(0, rng.int(config.length));
    what.push('truncated');
  } else if (t < 0.1) {
    config = mutateBytes(rng, config);
    what.push('bytes');
  }
  return { label: `seed model ${seedIndex}, v${version}, ${what.join(', ')}`, version, config, weights, weightsFile };
}

/**
 * The checks of config-then-weights, without the file system: parse, validate, weights size and header,
 * then build the model. What loadCheckpoint runs between reading the files and returning.
 */
export function loadFromBytes(c: CheckpointCase, cfgFile: string, wFile: string): { model: Sequential; inputFeatures: number | null } {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(c.config));
  } catch (e) {
    throw new DataError(`not valid JSON (${(e as Error).message})`, cfgFile);
  }
  const checked = validateCheckpointConfig(raw, cfgFile);
  checkWeightsSize(c.weights.length, checked, wFile, cfgFile);
  checkWeightsHeader(c.weights, checked, wFile, cfgFile);
  return { model: modelFromCheckpoint(checked.config, c.weights, cfgFile, wFile), inputFeatures: checked.inputFeatures };
}

/**
 * A loaded model must run: inference (fused kernels) and training forward on spikes and on a direct
 * (float) input of the features it takes. Any error here is a config that validated but cannot run.
 */
export function runModel(model: Sequential, features: number | null): void {
  if (features === null || features > 1 << 16) return; // (a valid config may take images too large to run here)
  const k = defaultKernels();
  const rng = new Rng(features);
  const spikes = new Tensor(
    Uint8Array.from({ length: 2 * 2 * features }, () => (rng.uniform() < 0.3 ? 1 : 0)),
    [2, 2, features],
  );
  const values = new Tensor(
    Float32Array.from({ length: 2 * features }, () => rng.uniform()),
    [2, features],
  );
  try {
    for (const seq of [{ x: spikes, steps: 2, constant: false }, directEncode(values, 2)]) {
      model.forward(seq, k, { inference: true });
      model.forward(seq, k);
    }
  } catch (e) {
    throw new Error(`the loaded model does not run: ${(e as Error).name}: ${(e as Error).message}`);
  }
}
