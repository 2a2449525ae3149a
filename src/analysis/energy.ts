import type { Sequential } from '../nn/sequential.js';

/**
 * Energy per operation and per memory access, 45 nm CMOS, 0.9 V: M. Horowitz, "Computing's energy
 * problem (and what we can do about it)", ISSCC 2014, pp. 10-14 (figure 1.1.9):
 * - 32-bit float add 0.9 pJ: one accumulate (AC), what a spike costs per synapse;
 * - 32-bit float multiply 3.7 pJ, so a multiply-accumulate (MAC) costs 3.7 + 0.9 = 4.6 pJ;
 * - SRAM read of 64 bits from an 8 KB array 10 pJ: 5 pJ per 32-bit value (a larger array costs more:
 *   20 pJ per 64 bits at 32 KB, 100 pJ at 1 MB);
 * - DRAM access 1.3-2.6 nJ per 64 bits: 1.3 nJ / 2 = 650 pJ per 32-bit value (the low end).
 * The one energy model of spikeflow: `spikeflow profile`, `spikeflow compare` and estimateOps use these.
 */
export const ENERGY_45NM = { acPj: 0.9, macPj: 4.6, sramPj: 5, dramPj: 650 } as const;

/** The compute part of ENERGY_45NM by name: pJ per accumulate and per multiply-accumulate. */
export const ENERGY_PJ = { accumulate: ENERGY_45NM.acPj, multiplyAccumulate: ENERGY_45NM.macPj } as const;

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
 * Operation counts per inference of a fully connected network from given spike counts, compute only (no
 * memory traffic, no bias adds): the quick estimate of the browser playground. Measured profiles with
 * memory traffic, conv layers and break-even rates: profileModel (analysis/profile.ts, `spikeflow profile`
 * and `spikeflow compare`), with the same energies per operation.
 * Layer by layer:
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
