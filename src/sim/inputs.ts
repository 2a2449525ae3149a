import { ValueError, checkArray, checkObject, checkRange, checkRng } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { checkSize, fillPerNeuron, lookupVariable, type PerNeuron, type SpikingGroup } from './group.js';

/**
 * Poisson spike sources: neuron i spikes in a step with probability rate_i * dt (rates in Hz, dt in
 * ms), independently per step and neuron, as Brian2's PoissonGroup. Rates can be changed between runs
 * (or by a network operation) through `rates` / `setRates`. Every draw comes from the group's Rng.
 */
export class PoissonGroup implements SpikingGroup {
  readonly name: string;
  readonly size: number;
  readonly spikes: Int32Array;
  spikeCount = 0;
  /** Hz, per neuron. */
  readonly rates: Float64Array;
  readonly variableNames = ['rates'] as const;
  private dtSeconds = 0;

  constructor(
    o: { n: number; rates: PerNeuron; name?: string },
    private readonly rng: Rng,
  ) {
    checkObject('PoissonGroup options', o);
    if (rng === undefined && 'rng' in o)
      throw new ValueError('PoissonGroup rng: pass the Rng as the second argument, new PoissonGroup({ n, rates }, rng), not as an option');
    checkRng('PoissonGroup rng (the second argument)', rng);
    this.name = o.name ?? 'poisson';
    checkSize(this.name, o.n);
    this.size = o.n;
    this.spikes = new Int32Array(o.n);
    this.rates = new Float64Array(o.n);
    this.setRates(o.rates);
  }

  /** New rates (Hz), one number or one per neuron; negative or non-finite rates are a ValueError. */
  setRates(r: PerNeuron): void {
    fillPerNeuron(`${this.name} rates`, this.rates, r);
    for (let i = 0; i < this.size; i++)
      if (this.rates[i] < 0) throw new ValueError(`${this.name} rates[${i}]: expected a rate >= 0 Hz, found ${this.rates[i]}`);
  }

  variable(name: string): Float64Array {
    return lookupVariable(this.name, { rates: this.rates }, name);
  }

  prepare(dt: number): void {
    this.dtSeconds = dt / 1000;
  }

  update(_step: number): void {
    const { rates, spikes, rng, dtSeconds } = this;
    let c = 0;
    for (let i = 0; i < this.size; i++) {
      const r = rates[i];
      if (r > 0 && rng.uniform() < r * dtSeconds) spikes[c++] = i;
    }
    this.spikeCount = c;
  }

  reset(_step: number): void {}
}

/**
 * Spikes at given times: neuron indices[k] spikes at times[k] (ms), rounded to the nearest step, as
 * Brian2's SpikeGeneratorGroup. Two spikes of one neuron in the same step are a ValueError (they would
 * be merged silently otherwise). `period` (ms, > 0) repeats the pattern; spikes must lie before it.
 * Times are network times (step 0 is t = 0).
 */
export class SpikeGeneratorGroup implements SpikingGroup {
  readonly name: string;
  readonly size: number;
  readonly spikes: Int32Array;
  spikeCount = 0;
  readonly variableNames = [] as const;
  private readonly idx: Int32Array;
  private readonly timesMs: Float64Array;
  private order: Int32Array = new Int32Array(0);
  private stepOf: Int32Array = new Int32Array(0);
  private periodSteps = 0;
  private cursor = 0;
  private preparedDt = 0;

  constructor(o: { n: number; indices: ArrayLike<number>; times: ArrayLike<number>; period?: number; name?: string }) {
    checkObject('SpikeGeneratorGroup options', o);
    this.name = o.name ?? 'spikegen';
    checkSize(this.name, o.n);
    checkArray(`${this.name} indices`, o.indices);
    checkArray(`${this.name} times`, o.times);
    if (o.period !== undefined) checkRange(`${this.name} period (ms)`, o.period, 0, 1e12);
    this.size = o.n;
    this.spikes = new Int32Array(o.n);
    if (o.indices.length !== o.times.length) throw new ValueError(`${this.name}: ${o.indices.length} indices but ${o.times.length} times`);
    this.idx = Int32Array.from(o.indices);
    this.timesMs = Float64Array.from(o.times);
    for (let k = 0; k < this.idx.length; k++) {
      if (!Number.isInteger(o.indices[k]) || o.indices[k] < 0 || o.indices[k] >= o.n)
        throw new ValueError(`${this.name} indices[${k}]: expected an integer in [0, ${o.n - 1}], found ${o.indices[k]}`);
      if (!Number.isFinite(this.timesMs[k]) || this.timesMs[k] < 0)
        throw new ValueError(`${this.name} times[${k}]: expected a time >= 0 ms, found ${o.times[k]}`);
    }
    this.period = o.period ?? 0;
  }

  private readonly period: number;

  variable(name: string): Float64Array {
    return lookupVariable(this.name, {}, name);
  }

  prepare(dt: number): void {
    if (dt === this.preparedDt) return;
    this.preparedDt = dt;
    const m = this.idx.length;
    const steps = Int32Array.from(this.timesMs, (t) => Math.round(t / dt));
    const order = Int32Array.from({ length: m }, (_, k) => k).sort((a, b) => steps[a] - steps[b] || this.idx[a] - this.idx[b]);
    for (let k = 1; k < m; k++) {
      const a = order[k - 1];
      const b = order[k];
      if (steps[a] === steps[b] && this.idx[a] === this.idx[b]) {
        throw new ValueError(
          `${this.name}: neuron ${this.idx[a]} has two spikes in one time step (${this.timesMs[a]} ms and ${this.timesMs[b]} ms at dt ${dt} ms)`,
        );
      }
    }
    if (this.period) {
      this.periodSteps = Math.round(this.period / dt);
      if (!(this.periodSteps > 0))
        throw new ValueError(`${this.name} period: expected at least one step (${dt} ms), found ${this.period} ms`);
      if (m && steps[order[m - 1]] >= this.periodSteps)
        throw new ValueError(`${this.name}: spike at ${this.timesMs[order[m - 1]]} ms is not before the period ${this.period} ms`);
    }
    this.order = order;
    this.stepOf = steps;
    this.cursor = 0;
  }

  update(step: number): void {
    const { order, stepOf, idx, spikes } = this;
    const local = this.periodSteps ? step % this.periodSteps : step;
    if (this.periodSteps && local === 0) this.cursor = 0;
    let c = 0;
    while (this.cursor < order.length && stepOf[order[this.cursor]] < local) this.cursor++;
    while (this.cursor < order.length && stepOf[order[this.cursor]] === local) spikes[c++] = idx[order[this.cursor++]];
    this.spikeCount = c;
  }

  reset(_step: number): void {}
}
