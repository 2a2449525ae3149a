// Every layer kind a config or checkpoint may name: one line each. Each layer's file declares its kind
// (layer-kind.ts: how to build the layer from its config(), and the config's contract). sequentialFromConfig
// builds from this list and checkpoint validation (train/checkpoint-config.ts) checks against it.
import type { LayerKind } from './layer-kind.js';
import { linearKind } from './linear.js';
import { reluKind } from './relu.js';
import { flattenKind } from './flatten.js';
import { dropoutKind } from './dropout.js';
import { conv2dKind } from './conv.js';
import { maxPool2dKind, avgPool2dKind } from './pool.js';
import { batchNorm1dKind, batchNorm2dKind } from './batchnorm.js';
import { leakyKind } from './leaky-layer.js';
import { synapticKind, alphaKind } from './synaptic-layer.js';
import { rleakyKind, rsynapticKind } from './recurrent-layer.js';
import { alifKind } from './alif-layer.js';
import { specKind } from './spec-layer.js';
import { resonateModel } from '../neurons/resonate.js';

export type { LayerKind } from './layer-kind.js';

/** The layer kinds by name, in the order messages list them. */
export const LAYER_KINDS: ReadonlyMap<string, LayerKind> = new Map(
  [
    linearKind,
    reluKind,
    flattenKind,
    dropoutKind,
    conv2dKind,
    maxPool2dKind,
    avgPool2dKind,
    batchNorm1dKind,
    batchNorm2dKind,
    leakyKind,
    synapticKind,
    alphaKind,
    rleakyKind,
    rsynapticKind,
    alifKind,
    specKind(resonateModel),
  ].map((k) => [k.kind, k]),
);

/** The neuron kinds the fc and csnn models (and the CLI's --neuron) can be built of. */
export const NEURON_KINDS: readonly string[] = [...LAYER_KINDS.values()].filter((k) => k.neuron).map((k) => k.kind);
