import { checkObject, checkRange } from '../core/errors.js';
import { checkSize, fillPerNeuron, lookupVariable, type PerNeuron, type SpikingGroup } from './group.js';

/**
 * Izhikevich (2003) neurons (ms, mV):
 *   dv/dt = 0.04 v^2 + 5 v + 140 - u + I + ge,   du/dt = a (b v - u),   tau_syn dge/dt = -ge
 * spike when v >= vPeak (30 mV), then v = c, u += d. Integrated by forward Euler with step dt (both
 * equations from the values at the start of the step, as Brian2's method='euler'); ge decays exactly.
 * Per-neuron a, b, c, d allow mixed populations (regular spiking a=0.02 b=0.2 c=-65 d=8, fast spiking
 * a=0.1 d=2, chattering c=-50 d=2, ...). A synapse adding into 'v' gives delta (pulse) synapses; into
 * 'ge' an exponentially decaying current. Variables: v, u, I, ge, a, b, c, d.
 */
export interface IzhikevichGroupOptions {
  name?: string;
  n: number;
  a?: PerNeuron;
  b?: PerNeuron;
  c?: PerNeuron;
  d?: PerNeuron;
  /** default 30 mV */
  vPeak?: number;
  /** ms, default 5 */
  tauSyn?: number;
  /** Initial v (default c), u (default b v), I (default 0). */
  v?: PerNeuron;
  u?: PerNeuron;
  I?: PerNeuron;
}

export class IzhikevichGroup implements SpikingGroup {
  readonly name: string;
  readonly size: number;
  readonly spikes: Int32Array;
  spikeCount = 0;
  readonly v: Float64Array;
  readonly u: Float64Array;
  readonly I: Float64Array;
  readonly ge: Float64Array;
  readonly a: Float64Array;
  readonly b: Float64Array;
  readonly c: Float64Array;
  readonly d: Float64Array;
  readonly variableNames = ['v', 'u', 'I', 'ge', 'a', 'b', 'c', 'd'] as const;
  readonly vPeak: number;
  readonly tauSyn: number;
  private dt = 0;
  private decay = 0;

  // State fields and the option checks every group starts with, as in hh-group.ts (each group has its own variables).
  constructor(o: IzhikevichGroupOptions) {
    checkObject('IzhikevichGroup options', o);
    this.name = o.name ?? 'izhikevich';
    checkSize(this.name, o.n);
    const n = (this.size = o.n);
    this.vPeak = o.vPeak ?? 30;
    this.tauSyn = o.tauSyn ?? 5;
    checkRange(`${this.name} vPeak`, this.vPeak, -1e6, 1e6);
    checkRange(`${this.name} tauSyn (ms)`, this.tauSyn, 1e-9, 1e12);
    const arr = () => new Float64Array(n);
    [this.v, this.u, this.I, this.ge, this.a, this.b, this.c, this.d] = [arr(), arr(), arr(), arr(), arr(), arr(), arr(), arr()];
    this.spikes = new Int32Array(n);
    fillPerNeuron(`${this.name} a`, this.a, o.a ?? 0.02);
    fillPerNeuron(`${this.name} b`, this.b, o.b ?? 0.2);
    fillPerNeuron(`${this.name} c`, this.c, o.c ?? -65);
    fillPerNeuron(`${this.name} d`, this.d, o.d ?? 8);
    if (o.v !== undefined) fillPerNeuron(`${this.name} v`, this.v, o.v);
    else this.v.set(this.c);
    if (o.u !== undefined) fillPerNeuron(`${this.name} u`, this.u, o.u);
    else for (let i = 0; i < n; i++) this.u[i] = this.b[i] * this.v[i];
    fillPerNeuron(`${this.name} I`, this.I, o.I ?? 0);
  }

  variable(name: string): Float64Array {
    const { v, u, I, ge, a, b, c, d } = this;
    return lookupVariable(this.name, { v, u, I, ge, a, b, c, d }, name);
  }

  prepare(dt: number): void {
    this.dt = dt;
    this.decay = Math.exp(-dt / this.tauSyn);
  }

  update(_step: number): void {
    const { v, u, I, ge, a, b, spikes, dt, decay } = this;
    const peak = this.vPeak;
    let cnt = 0;
    for (let i = 0; i < this.size; i++) {
      const x = v[i];
      const y = u[i];
      const e = ge[i];
      v[i] = x + dt * (0.04 * x * x + 5 * x + 140 - y + I[i] + e);
      u[i] = y + dt * a[i] * (b[i] * x - y);
      ge[i] = e * decay;
      if (v[i] >= peak) spikes[cnt++] = i;
    }
    this.spikeCount = cnt;
  }

  reset(_step: number): void {
    const { v, u, c, d, spikes } = this;
    for (let k = 0; k < this.spikeCount; k++) {
      const i = spikes[k];
      v[i] = c[i];
      u[i] += d[i];
    }
  }
}
