import { ValueError, checkArray, checkBool, describe } from '../core/errors.js';
import { checkGroup, type SpikingGroup } from './group.js';

/** A typed array that doubles when full: monitors are the only things that grow during a run. */
class Grow<T extends Int32Array | Float64Array> {
  n = 0;
  constructor(public a: T) {}
  push(x: number): void {
    if (this.n === this.a.length) this.grow(this.n + 1);
    this.a[this.n++] = x;
  }
  grow(min: number): void {
    if (min <= this.a.length) return;
    const b = new (this.a.constructor as new (n: number) => T)(Math.max(min, this.a.length * 2));
    b.set(this.a);
    this.a = b;
  }
  view(): T {
    return this.a.subarray(0, this.n) as T;
  }
}

/** The monitor interface the network schedules: `record` runs last in every step. */
export interface Monitor {
  prepare(dt: number): void;
  record(step: number): void;
}

/** Records every spike of a group: neuron index and step (time = step * dt ms), plus counts per neuron. */
export class SpikeMonitor implements Monitor {
  private readonly idx = new Grow(new Int32Array(1024));
  private readonly steps = new Grow(new Int32Array(1024));
  /** Spikes per neuron. */
  readonly counts: Int32Array;
  private dt = 0;

  constructor(
    readonly group: SpikingGroup,
    /** false: keep only the counts (no growth at all). */
    readonly recordTimes = true,
  ) {
    checkGroup('SpikeMonitor group', group);
    checkBool('SpikeMonitor recordTimes', recordTimes);
    this.counts = new Int32Array(group.size);
  }

  prepare(dt: number): void {
    if (this.dt && dt !== this.dt && this.steps.n) throw new ValueError('SpikeMonitor: dt changed between runs; use a new monitor');
    this.dt = dt;
  }

  record(step: number): void {
    const g = this.group;
    const c = g.spikeCount;
    const counts = this.counts;
    for (let s = 0; s < c; s++) counts[g.spikes[s]]++;
    if (!this.recordTimes || c === 0) return;
    const idx = this.idx;
    const st = this.steps;
    idx.grow(idx.n + c);
    st.grow(st.n + c);
    for (let s = 0; s < c; s++) {
      idx.a[idx.n++] = g.spikes[s];
      st.a[st.n++] = step;
    }
  }

  get numSpikes(): number {
    let n = 0;
    for (let i = 0; i < this.counts.length; i++) n += this.counts[i];
    return n;
  }
  /** Neuron index of each recorded spike. */
  get i(): Int32Array {
    return this.idx.view();
  }
  /** Step of each recorded spike. */
  get stepIndex(): Int32Array {
    return this.steps.view();
  }
  /** Time of each recorded spike, ms. */
  get t(): Float64Array {
    return Float64Array.from(this.steps.view(), (s) => s * this.dt);
  }
  /** Spikes per neuron cleared (e.g. between stimulus presentations); recorded spikes are kept. */
  resetCounts(): void {
    this.counts.fill(0);
  }
}

/** Records chosen variables of chosen neurons every `every` steps (after the step's reset). */
export class StateMonitor implements Monitor {
  private readonly vars: Float64Array[];
  private readonly data: Grow<Float64Array>;
  private readonly steps = new Grow(new Int32Array(256));
  readonly indices: Int32Array;
  private dt = 0;

  constructor(
    readonly group: SpikingGroup,
    readonly variables: readonly string[],
    indices: ArrayLike<number>,
    readonly every = 1,
  ) {
    checkGroup('StateMonitor group', group);
    if (!Array.isArray(variables) || !variables.every((v) => typeof v === 'string')) {
      throw new ValueError(`StateMonitor variables: expected an array of variable names (e.g. ['v']), found ${describe(variables)}`);
    }
    checkArray('StateMonitor indices', indices);
    if (!Number.isInteger(every) || every < 1)
      throw new ValueError(`StateMonitor every: expected an integer >= 1 step, found ${describe(every)}`);
    if (variables.length === 0) throw new ValueError('StateMonitor: name at least one variable');
    this.vars = variables.map((v) => group.variable(v));
    this.indices = Int32Array.from(indices);
    for (let k = 0; k < this.indices.length; k++) {
      const i = indices[k];
      if (!Number.isInteger(i) || i < 0 || i >= group.size)
        throw new ValueError(`StateMonitor indices[${k}]: expected an integer in [0, ${group.size - 1}], found ${i}`);
    }
    this.data = new Grow(new Float64Array(Math.max(16, 256 * variables.length * this.indices.length)));
  }

  prepare(dt: number): void {
    this.dt = dt;
  }

  record(step: number): void {
    if (step % this.every !== 0) return;
    this.steps.push(step);
    const d = this.data;
    d.grow(d.n + this.vars.length * this.indices.length);
    for (const v of this.vars) for (let k = 0; k < this.indices.length; k++) d.a[d.n++] = v[this.indices[k]];
  }

  /** Sample times, ms. */
  get t(): Float64Array {
    return Float64Array.from(this.steps.view(), (s) => s * this.dt);
  }

  /** The trace of `variable` for the k-th recorded neuron (k indexes `indices`). */
  trace(variable: string, k: number): Float64Array {
    const vi = this.variables.indexOf(variable);
    if (vi < 0) throw new ValueError(`StateMonitor: variable "${variable}" is not recorded (recorded: ${this.variables.join(', ')})`);
    if (!Number.isInteger(k) || k < 0 || k >= this.indices.length)
      throw new ValueError(`StateMonitor: k must be in [0, ${this.indices.length - 1}], found ${k}`);
    const stride = this.vars.length * this.indices.length;
    const n = this.steps.n;
    const out = new Float64Array(n);
    const a = this.data.a;
    for (let s = 0; s < n; s++) out[s] = a[s * stride + vi * this.indices.length + k];
    return out;
  }
}

/** The population rate of a group per step: spikes / (N dt), in Hz. */
export class PopulationRateMonitor implements Monitor {
  private readonly counts = new Grow(new Int32Array(1024));
  private dt = 0;

  constructor(readonly group: SpikingGroup) {
    checkGroup('PopulationRateMonitor group', group);
  }

  prepare(dt: number): void {
    this.dt = dt;
  }

  record(_step: number): void {
    this.counts.push(this.group.spikeCount);
  }

  /** Rate per recorded step, Hz. */
  get rate(): Float64Array {
    const f = 1000 / (this.group.size * this.dt);
    return Float64Array.from(this.counts.view(), (c) => c * f);
  }

  /** Mean rate over everything recorded, Hz. */
  get meanRateHz(): number {
    const c = this.counts.view();
    let s = 0;
    for (let k = 0; k < c.length; k++) s += c[k];
    return c.length ? (s * 1000) / (this.group.size * this.dt * c.length) : 0;
  }
}
