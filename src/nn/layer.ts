import type { Tensor } from '../core/tensor.js';
import type { Kernels } from '../kernels/types.js';

/**
 * A sequence flowing through a network. Time-major: `x` is [T, B, N], except when `constant` is true:
 * then `x` is [B, N] and stands for the same value at every one of the `steps` steps (direct
 * encoding), so stateless layers compute it once instead of T times.
 */
export interface Seq {
  x: Tensor;
  steps: number;
  constant: boolean;
}

/** What a spiking layer recorded: its spikes (null when fused away in inference), membrane (null unless kept), spike count. */
export interface SpikeRecord {
  layer: string;
  spk: Tensor | null;
  mem: Tensor | null;
  spikes: number;
  /** Neurons x steps x samples: the denominator of the spike rate. */
  neuronSteps: number;
}

export interface ForwardContext {
  kernels: Kernels;
  /** Filled by spiking layers: spikes, membrane (null where not kept) and spike count, for losses and statistics. */
  records: Array<SpikeRecord>;
  /** Spiking layers keep their membrane trace only if they are this layer (the output) or keepAllMem is set. */
  outputLayer?: Layer;
  keepAllMem?: boolean;
}

export interface NamedParameter {
  name: string;
  tensor: Tensor;
}

export interface Layer {
  /** Short type name used in configs and checkpoints, e.g. "linear", "leaky". */
  readonly kind: string;
  forward(input: Seq, ctx: ForwardContext): Seq;
  /** Learnable tensors (requiresGrad), in a stable order. */
  parameters(): NamedParameter[];
  /** JSON-serialisable hyper-parameters, enough to rebuild the layer (weights travel separately). */
  config(): Record<string, unknown>;
}
