import type { Sequential } from '../nn/sequential.js';

/** 45 nm CMOS energy per operation (Horowitz, ISSCC 2014), as commonly used for SNN-vs-ANN estimates. */
export const ENERGY_PJ = { accumulate: 0.9, multiplyAccumulate: 4.6 } as const;

export interface LayerOps {
  layer: string;
  /** Accumulates (spike-driven synaptic operations) per sample. */
  synOps: number;
  /** Multiply-accumulates per sample. */
  macs: number;
}

export interface OpsEstimate {
  layers: LayerOps[];
  synOps: number;
  macs: number;
  /** Estimated energy per inference in nanojoules (an estimate, not a measurement). */
  energyNj: number;
}

/**
 * Operation counts per inference of a feed-forward network, layer by layer:
 * - a Linear fed by spikes costs one accumulate per (input spike x fan-out): `spikesIn[i]` is the mean
 *   number of spikes arriving per sample over the whole run;
 * - a Linear fed by analog values costs in*out MACs, once when the input is constant over time (direct
 *   encoding, computed once) or `steps` times otherwise;
 * - each leaky neuron update costs one MAC (beta * V) per neuron per step.
 * `spikesIn` has one entry per Linear: undefined where the input is analog.
 */
export function estimateOps(
  model: Sequential,
  o: { steps: number; constantInput: boolean; spikesIn: ReadonlyArray<number | undefined> },
): OpsEstimate {
  const layers: LayerOps[] = [];
  let linearIdx = 0;
  let constant = o.constantInput;
  model.layers.forEach((layer, i) => {
    const c = layer.config() as { in?: number; out?: number; size?: number };
    if (layer.kind === 'linear') {
      const spikes = o.spikesIn[linearIdx++];
      if (spikes !== undefined) layers.push({ layer: `${i}:linear`, synOps: spikes * c.out!, macs: 0 });
      else layers.push({ layer: `${i}:linear`, synOps: 0, macs: c.in! * c.out! * (constant ? 1 : o.steps) });
    } else if (layer.spiking) {
      layers.push({ layer: `${i}:${layer.kind}`, synOps: 0, macs: c.size! * o.steps });
      constant = false;
    }
  });
  const synOps = layers.reduce((s, l) => s + l.synOps, 0);
  const macs = layers.reduce((s, l) => s + l.macs, 0);
  return { layers, synOps, macs, energyNj: (synOps * ENERGY_PJ.accumulate + macs * ENERGY_PJ.multiplyAccumulate) / 1000 };
}
