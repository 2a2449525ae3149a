import { Rng } from '../core/rng.js';
import { checkInt, ValueError } from '../core/errors.js';
import { Linear } from './linear.js';
import { Leaky } from './leaky-layer.js';
import { ReLU } from './relu.js';
import { Conv2d } from './conv.js';
import { MaxPool2d } from './pool.js';
import { Flatten } from './flatten.js';
import { Dropout } from './dropout.js';
import { Sequential } from './sequential.js';
import { LAYER_KINDS, NEURON_KINDS } from './registry.js';
import type { Layer } from './layer.js';
import type { ResetMechanism } from '../neurons/leaky.js';
import { atan, surrogateFromName, type Surrogate } from '../surrogate/index.js';

export interface FcSpec {
  inputs: number;
  hidden: readonly number[];
  outputs: number;
}

export interface LeakySpec {
  /**
   * The neuron kind of every spiking layer (a kind of the registry with a neuron factory, NEURON_KINDS):
   * default leaky. Other kinds take beta where they have one (undefined: their default) and refuse
   * threshold, reset and truncation options they cannot honour.
   */
  neuron?: string;
  beta?: number;
  threshold?: number;
  reset?: ResetMechanism;
  learnBeta?: boolean;
  surrogate?: Surrogate;
  /** Truncated BPTT every K steps in every Leaky layer (0: full BPTT). */
  truncate?: number;
}

/** A spiking layer of `size` neurons of the spec's kind (Leaky with every option; other kinds from the registry). */
function neuronLayer(size: number, s: LeakySpec, rng: Rng): Layer {
  const kind = s.neuron ?? 'leaky';
  if (kind === 'leaky') {
    return new Leaky({
      size,
      beta: s.beta ?? 0.95,
      threshold: s.threshold,
      reset: s.reset,
      learnBeta: s.learnBeta,
      surrogate: s.surrogate,
      truncate: s.truncate,
    });
  }
  const k = LAYER_KINDS.get(kind);
  if (!k?.neuron) throw new ValueError(`neuron: expected one of ${NEURON_KINDS.join(', ')}, found ${JSON.stringify(kind)}`);
  if (s.threshold !== undefined || s.reset !== undefined)
    throw new ValueError(`neuron ${kind}: threshold and reset are the kind's defaults here`);
  return k.neuron(
    size,
    { beta: s.beta, learnBeta: s.learnBeta ?? false, surrogate: s.surrogate ?? atan(), truncate: s.truncate ?? 0 },
    rng,
  );
}

function checkFc(s: FcSpec): void {
  checkInt('inputs', s.inputs, 1);
  checkInt('outputs', s.outputs, 1);
  s.hidden.forEach((h, i) => checkInt(`hidden[${i}]`, h, 1));
}

/** Fully connected SNN: [Linear -> Leaky] per layer (snnTorch tutorial 5 with hidden = [1000]). */
export function snnClassifier(s: FcSpec & LeakySpec, rng: Rng): Sequential {
  checkFc(s);
  const sizes = [s.inputs, ...s.hidden, s.outputs];
  const layers: Layer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Linear(sizes[i], sizes[i + 1], { rng }));
    layers.push(neuronLayer(sizes[i + 1], s, rng));
  }
  return new Sequential(layers);
}

export interface CsnnSpec {
  /** Input image: channels, height, width (MNIST: 1, 28, 28). */
  input: readonly [number, number, number];
  /** Output channels of each conv block (conv 5x5 -> max-pool 2 -> Leaky); tutorial 6: [12, 64]. */
  channels: readonly number[];
  kernel?: number;
  outputs: number;
  /** Dropout probability before the classifier layer (0: none). */
  dropout?: number;
  seed?: number;
}

/**
 * Convolutional SNN of snnTorch tutorial 6 (channels [12, 64]: 12C5-MP2-64C5-MP2-1024FC10): per block
 * Conv2d -> MaxPool2d(2) -> Leaky, then Flatten -> Linear -> Leaky.
 */
export function csnnClassifier(s: CsnnSpec & LeakySpec, rng: Rng): Sequential {
  const [c0, h0, w0] = s.input;
  [c0, h0, w0].forEach((v, i) => checkInt(`input[${i}]`, v, 1));
  checkInt('outputs', s.outputs, 1);
  const k = s.kernel ?? 5;
  const layers: Layer[] = [];
  let [c, h, w] = [c0, h0, w0];
  s.channels.forEach((oc, i) => {
    checkInt(`channels[${i}]`, oc, 1);
    layers.push(new Conv2d({ inChannels: c, outChannels: oc, kernel: k, rng, ...(i === 0 ? { inputSize: [h0, w0] as const } : {}) }));
    layers.push(new MaxPool2d(2));
    h = Math.floor((h - k + 1) / 2);
    w = Math.floor((w - k + 1) / 2);
    if (h < 1 || w < 1)
      throw new ValueError(`csnn: ${s.channels.length} conv blocks with ${k}x${k} kernels do not fit a ${h0}x${w0} input`);
    c = oc;
    layers.push(neuronLayer(c * h * w, s, rng));
  });
  layers.push(new Flatten());
  if (s.dropout) layers.push(new Dropout(s.dropout, s.seed ?? 0));
  layers.push(new Linear(c * h * w, s.outputs, { rng }));
  layers.push(neuronLayer(s.outputs, s, rng));
  return new Sequential(layers);
}

/** The ANN of the same topology: [Linear -> ReLU] per hidden layer, then Linear to logits. */
export function annClassifier(s: FcSpec, rng: Rng): Sequential {
  checkFc(s);
  const sizes = [s.inputs, ...s.hidden, s.outputs];
  const layers: Layer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Linear(sizes[i], sizes[i + 1], { rng }));
    if (i + 2 < sizes.length) layers.push(new ReLU());
  }
  return new Sequential(layers);
}

/** Surrogate from its serialised form (checkpoints, CLI): every closed-form surrogate (see surrogate/index.ts). */
export function surrogateFromConfig(c: { name: string; param?: number; param2?: number }): Surrogate {
  return surrogateFromName(c);
}

/** Rebuilds a Sequential from the layer configs written by `Layer.config()` (weights are loaded after); kinds come from the registry. */
export function sequentialFromConfig(layers: ReadonlyArray<{ kind: string; config: Record<string, unknown> }>): Sequential {
  const rng = new Rng(0); // initial values are overwritten by the checkpoint's weights
  return new Sequential(
    layers.map((l, i) => {
      const k = LAYER_KINDS.get(l.kind);
      if (!k) throw new ValueError(`layer ${i}: unknown kind ${JSON.stringify(l.kind)}`);
      return k.fromConfig(l.config, rng);
    }),
  );
}
