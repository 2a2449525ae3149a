import type { Kernels } from '../kernels/types.js';
import type { Tensor } from '../core/tensor.js';
import type { ForwardContext, Layer, NamedParameter, Seq } from './layer.js';
import { runFused } from './fusion.js';
import { ValueError, checkMethods, describe } from '../core/errors.js';
import { zeroFill } from '../core/buffers.js';

export interface ForwardResult {
  out: Seq;
  /** Spikes and membrane of every spiking layer, in order. */
  records: ForwardContext['records'];
}

/** Layers applied in order; parameters are named "<index>.<name>" like a torch state_dict. */
export class Sequential {
  constructor(readonly layers: readonly Layer[]) {
    if (!Array.isArray(layers)) throw new ValueError(`Sequential layers: expected an array of layers, found ${describe(layers)}`);
    layers.forEach((l, i) => checkMethods(`Sequential layers[${i}]`, l, ['forward', 'parameters'], 'a layer (Linear, Leaky, ...)'));
  }

  /**
   * Runs every layer. Hidden spiking layers do not keep their membrane trace (the backward pass
   * recomputes it) unless keepAllMem; the last spiking layer does (losses read it) unless outputMem is
   * false: then a Leaky output layer's record has mem null too, which saves T x B x H floats when the loss reads only
   * spikes (results and gradients are the same).
   */
  forward(input: Seq, kernels: Kernels, opts: { keepAllMem?: boolean; inference?: boolean; outputMem?: boolean } = {}): ForwardResult {
    const spiking = this.layers.filter((l) => l.spiking === true);
    const ctx: ForwardContext = {
      kernels,
      records: [],
      outputLayer: spiking[spiking.length - 1],
      keepAllMem: opts.keepAllMem,
      outputMem: opts.outputMem,
      inference: opts.inference,
    };
    const out = runFused(this.layers, input, ctx, !opts.inference ? 'training' : opts.keepAllMem ? 'plain' : 'inference');
    return { out, records: ctx.records };
  }

  parameters(): NamedParameter[] {
    return this.layers.flatMap((l, i) => l.parameters().map((p) => ({ name: `${i}.${p.name}`, tensor: p.tensor })));
  }

  /** Tensors that will receive gradients (not the running statistics of a BatchNorm, which are saved but not learned). */
  trainable(): Tensor[] {
    return this.parameters()
      .map((p) => p.tensor)
      .filter((t) => t.requiresGrad);
  }

  zeroGrad(): void {
    for (const p of this.trainable()) if (p.grad) zeroFill(p.grad);
  }
}
