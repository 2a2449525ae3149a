// An energy profile of a feed-forward network measured on real inputs: per layer, what the hardware
// would do (operations and memory accesses) and what that costs under a documented 45 nm model.
import { ShapeError, ValueError } from '../core/errors.js';
import type { Kernels } from '../kernels/types.js';
import type { Layer, Seq } from '../nn/layer.js';
import { featuresOf, imageOf } from '../nn/layer.js';
import { Linear } from '../nn/linear.js';
import { Conv2d } from '../nn/conv.js';
import { Sequential } from '../nn/sequential.js';

// The energies per operation and access (Horowitz 2014, 45 nm): analysis/energy.ts, the one energy model.
import { ENERGY_45NM } from './energy.js';
export { ENERGY_45NM };

/**
 * Counts per sample of one layer. Memory model (accesses of 32-bit values):
 * - SNN synaptic event (a spike, or a nonzero value of a time-varying analog input, times each target):
 *   1 weight read + 1 read and 1 write of the target's input accumulator (events scatter to their targets);
 * - dense MAC (analog input computed once, and every MAC of the ANN): 1 weight read + 1 input read, the
 *   sum kept in a register and written once per output value;
 * - neuron state: its membrane read and written once per neuron per step.
 */
export interface ProfileRow {
  layer: string;
  /** Neurons of a spiking layer (0 for synaptic layers). */
  neurons: number;
  /** What a synaptic layer takes: spikes, analog values computed once (direct input, an ANN), or analog values every step; null for the others. */
  input: 'spikes' | 'analog' | 'analog-steps' | null;
  /** Spikes per neuron per step (spiking layers), or nonzero inputs per input value per step (spike-fed synaptic layers); 0 otherwise. */
  spikeRate: number;
  /** Spikes emitted (spiking layers) or events arriving (synaptic layers), per sample. */
  events: number;
  /** Accumulates (spike-driven synaptic operations and integrate-and-fire updates). */
  acs: number;
  /** Multiply-accumulates (analog inputs, leaky updates beta * V). */
  macs: number;
  /** The MACs of the same-topology ANN at this layer (one pass, no time steps). */
  annMacs: number;
  weightReads: number;
  annWeightReads: number;
  /** Other reads and writes: accumulators, inputs, neuron state. */
  otherAccesses: number;
  annOtherAccesses: number;
  /** Energies in nanojoules per sample. */
  computeNj: number;
  memoryNj: number;
  annComputeNj: number;
  annMemoryNj: number;
  /** The tutorials' estimate: the ANN layer's compute energy times the input spike rate. */
  tutorialNj: number | null;
  /**
   * The input spike rate below which this layer and the neurons it drives beat their ANN twin: compute only,
   * and compute + SRAM (null: not a spike-fed layer; 0: never).
   */
  breakEvenRate: { compute: number; withMemory: number } | null;
}

export interface Profile {
  steps: number;
  samples: number;
  input: 'direct' | 'rate' | 'latency' | 'ann';
  rows: ProfileRow[];
  totals: Omit<ProfileRow, 'layer' | 'input' | 'spikeRate' | 'breakEvenRate' | 'tutorialNj'> & {
    tutorialNj: number;
    dramNj: number;
    annDramNj: number;
  };
  energyModel: typeof ENERGY_45NM;
}

/** Fan-out of each input pixel of a convolution: the output values its window positions reach (per channel of the input). */
function convFanOut(c: Conv2d, h: number, w: number): Float64Array {
  const g = c.geometry({ x: { shape: [1, h * w * c.inChannels] } as never, steps: 1, constant: true, image: { c: c.inChannels, h, w } });
  const cover = (n: number, k: number, out: number) =>
    Float64Array.from({ length: n }, (_, y) => {
      let m = 0;
      for (let o = 0; o < out; o++) {
        const y0 = o * g.stride - g.padding;
        if (y >= y0 && y < y0 + k) m++;
      }
      return m;
    });
  const cy = cover(h, g.kH, g.outH);
  const cx = cover(w, g.kW, g.outW);
  const f = new Float64Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) f[y * w + x] = cy[y] * cx[x] * g.outC;
  return f;
}

const step = (l: Layer, x: Seq, kernels: Kernels): Seq => new Sequential([l]).forward(x, kernels, { inference: true }).out;

interface Acc {
  row: ProfileRow;
  fanIn: number; // weighted layers: the input values per sample
  fanOutMean: number; // mean fan-out per input value
  biasAcs: number; // bias additions (not driven by events)
}

const emptyRow = (layer: string): ProfileRow => ({
  layer,
  input: null,
  neurons: 0,
  spikeRate: 0,
  events: 0,
  acs: 0,
  macs: 0,
  annMacs: 0,
  weightReads: 0,
  annWeightReads: 0,
  otherAccesses: 0,
  annOtherAccesses: 0,
  computeNj: 0,
  memoryNj: 0,
  annComputeNj: 0,
  annMemoryNj: 0,
  tutorialNj: null,
  breakEvenRate: null,
});

/**
 * Profiles `model` on encoded input batches (`batches` yields sequences of `steps` steps; an ANN takes
 * constant one-step input). Weighted layers (Linear, Conv2d) count their input events times their exact
 * fan-out; spiking layers their neurons, spikes and state updates (1 MAC per neuron per step for a decay
 * beta < 1, 1 AC for integrate-and-fire). Pooling, flattening, ReLU and dropout cost nothing here.
 * Per-sample means; totals are the sums of the rows.
 */
export function profileModel(
  model: Sequential,
  batches: Iterable<Seq>,
  o: { kernels: Kernels; steps: number; input: Profile['input'] },
): Profile {
  const E = ENERGY_45NM;
  const accs: Acc[] = model.layers.map((l, i) => ({ row: emptyRow(`${i}:${l.kind}`), fanIn: 0, fanOutMean: 0, biasAcs: 0 }));
  let samples = 0;
  const T = o.steps;
  for (const seq0 of batches) {
    let x = seq0;
    const B = x.constant ? x.x.shape[0] : x.x.shape[1];
    if (x.steps !== T) throw new ShapeError(`profile: a batch of ${x.steps} steps, expected ${T}`);
    samples += B;
    model.layers.forEach((l, i) => {
      const a = accs[i];
      const r = a.row;
      const F = featuresOf(x);
      if (l instanceof Linear || l instanceof Conv2d) {
        let fan: (pos: number) => number;
        let dense: number; // ANN MACs per sample
        if (l instanceof Linear) {
          fan = () => l.outFeatures;
          dense = l.inFeatures * l.outFeatures;
        } else {
          const im = imageOf(x, l.inChannels, l.inputSize, 'profile');
          const fo = convFanOut(l, im.h, im.w);
          fan = (pos) => fo[Math.floor(pos / l.inChannels)];
          dense = fo.reduce((s, v) => s + v, 0) * l.inChannels;
        }
        const y = step(l, x, o.kernels);
        const outs = featuresOf(y);
        a.fanIn = F;
        a.fanOutMean = dense / F;
        r.annMacs += dense * B;
        r.annWeightReads += dense * B;
        r.annOtherAccesses += (dense + outs) * B; // input reads, one output write
        const bias = l.bias ? 1 : 0;
        if (x.constant) {
          // analog input, computed once: dense MACs, the result kept as the current of every step
          r.macs += dense * B;
          r.weightReads += dense * B;
          r.otherAccesses += (dense + outs) * B;
          r.events += F * B;
          r.input = 'analog';
          a.biasAcs += bias * outs * B;
        } else {
          const d = x.x.data;
          const spikes = d instanceof Uint8Array;
          let events = 0;
          let ops = 0;
          for (let j = 0; j < d.length; j++) {
            if (d[j] !== 0) {
              events++;
              ops += fan(j % F);
            }
          }
          r.input = spikes ? 'spikes' : 'analog-steps';
          r.events += events;
          if (spikes) r.acs += ops;
          else r.macs += ops; // time-varying analog values (e.g. pooled spikes): a multiply per target
          r.weightReads += ops;
          r.otherAccesses += 2 * ops; // the target's accumulator read and written
          a.biasAcs += bias * outs * T * B;
        }
        x = y;
        return;
      }
      const y = step(l, x, o.kernels);
      if (l.spiking) {
        const n = featuresOf(y);
        let s = 0;
        const d = y.x.data;
        for (let j = 0; j < d.length; j++) s += d[j];
        r.neurons = n;
        r.events += s;
        const beta = (l as { beta?: () => { data: ArrayLike<number> } }).beta?.().data;
        const integrateAndFire = beta !== undefined && Array.from(beta).every((b) => b === 1);
        if (integrateAndFire) r.acs += n * T * B;
        else r.macs += n * T * B;
        r.otherAccesses += 2 * n * T * B;
      }
      x = y;
    });
  }
  if (samples === 0) throw new ValueError('profile: no input batches');
  for (const a of accs) {
    const r = a.row;
    r.acs += a.biasAcs;
    for (const k of ['events', 'acs', 'macs', 'annMacs', 'weightReads', 'annWeightReads', 'otherAccesses', 'annOtherAccesses'] as const)
      r[k] /= samples;
    a.biasAcs /= samples;
    if (r.neurons) r.spikeRate = r.events / (r.neurons * T);
    else if (r.input === 'spikes' || r.input === 'analog-steps') r.spikeRate = r.events / (a.fanIn * T);
    r.computeNj = (r.acs * E.acPj + r.macs * E.macPj) / 1000;
    r.memoryNj = ((r.weightReads + r.otherAccesses) * E.sramPj) / 1000;
    r.annComputeNj = (r.annMacs * E.macPj) / 1000;
    r.annMemoryNj = ((r.annWeightReads + r.annOtherAccesses) * E.sramPj) / 1000;
  }
  accs.forEach((a, i) => {
    const r = a.row;
    if (r.input !== 'spikes') return;
    r.tutorialNj = r.annComputeNj * r.spikeRate;
    // the neurons this layer drives: the first spiking layer after it, before the next synaptic layer
    const next = accs.slice(i + 1).find((b) => b.row.neurons > 0 || b.row.input !== null);
    const driven = next && next.row.neurons > 0 ? next.row : null;
    const stateCompute = driven ? (driven.acs * E.acPj + driven.macs * E.macPj) / 1000 : 0;
    const stateMemory = driven ? driven.memoryNj : 0;
    // at input rate p: p * T * fanIn * meanFanOut events-to-targets, each an AC (+ 3 SRAM accesses), plus the bias adds and the driven neurons' updates
    const targets = (T * a.fanIn * a.fanOutMean) / 1000; // per unit rate, in units that give nJ with pJ costs
    const bias = (a.biasAcs * E.acPj) / 1000;
    const c = (r.annComputeNj - bias - stateCompute) / (targets * E.acPj);
    const m = (r.annComputeNj + r.annMemoryNj - bias - stateCompute - stateMemory) / (targets * (E.acPj + 3 * E.sramPj));
    r.breakEvenRate = { compute: Math.max(0, c), withMemory: Math.max(0, m) };
  });
  const rows = accs.map((a) => a.row);
  const sum = (k: keyof ProfileRow) => rows.reduce((s, r) => s + ((r[k] as number | null) ?? 0), 0);
  const totals = {
    neurons: sum('neurons'),
    events: sum('events'),
    acs: sum('acs'),
    macs: sum('macs'),
    annMacs: sum('annMacs'),
    weightReads: sum('weightReads'),
    annWeightReads: sum('annWeightReads'),
    otherAccesses: sum('otherAccesses'),
    annOtherAccesses: sum('annOtherAccesses'),
    computeNj: sum('computeNj'),
    memoryNj: sum('memoryNj'),
    annComputeNj: sum('annComputeNj'),
    annMemoryNj: sum('annMemoryNj'),
    tutorialNj: sum('tutorialNj'),
    dramNj: (sum('computeNj') * 1000 + (sum('weightReads') + sum('otherAccesses')) * E.dramPj) / 1000,
    annDramNj: (sum('annComputeNj') * 1000 + (sum('annWeightReads') + sum('annOtherAccesses')) * E.dramPj) / 1000,
  };
  return { steps: T, samples, input: o.input, rows, totals, energyModel: E };
}
