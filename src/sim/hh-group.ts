import { checkObject, checkRange } from '../core/errors.js';
import { checkSize, fillPerNeuron, lookupVariable, type PerNeuron, type SpikingGroup } from './group.js';

/**
 * Hodgkin-Huxley (1952) neurons, squid-axon parameters with rest at -65 mV (ms, mV, uF/cm2, mS/cm2,
 * uA/cm2), with conductance-based exponential synapses:
 *   C dv/dt = gNa m^3 h (ENa - v) + gK n^4 (EK - v) + gL (EL - v) + ge (Ee - v) + gi (Ei - v) + I
 *   dx/dt = alpha_x(v) (1 - x) - beta_x(v) x   for x = m, h, n;   tau_e dge/dt = -ge, tau_i dgi/dt = -gi
 *   alpha_m = 0.1 (v+40) / (1 - e^{-(v+40)/10}),  beta_m = 4 e^{-(v+65)/18}
 *   alpha_h = 0.07 e^{-(v+65)/20},                 beta_h = 1 / (1 + e^{-(v+35)/10})
 *   alpha_n = 0.01 (v+55) / (1 - e^{-(v+55)/10}), beta_n = 0.125 e^{-(v+65)/80}
 * Integration: exponential Euler (Brian2's exponential_euler): each gate relaxes exactly towards
 * x_inf = alpha/(alpha+beta) with tau = 1/(alpha+beta) at the step's starting v; v relaxes exactly
 * towards the conductance-weighted reversal potential with the conductances frozen over the step.
 * A spike is an upward crossing of vThreshold (default 0 mV); there is no reset (the action potential
 * is the dynamics). Variables: v, m, h, n, ge, gi, I. Gates start at their steady state for v.
 */
export interface HodgkinHuxleyGroupOptions {
  name?: string;
  n: number;
  C?: number;
  gNa?: number;
  gK?: number;
  gL?: number;
  ENa?: number;
  EK?: number;
  EL?: number;
  Ee?: number;
  Ei?: number;
  tauE?: number;
  tauI?: number;
  vThreshold?: number;
  v?: PerNeuron;
  I?: PerNeuron;
}

const DEFAULTS = { C: 1, gNa: 120, gK: 36, gL: 0.3, ENa: 50, EK: -77, EL: -54.387, Ee: 0, Ei: -80, tauE: 5, tauI: 10, vThreshold: 0 };

/** x / (1 - e^{-x/10}), continuous at x = 0 (limit 10). */
function vtrap(x: number): number {
  return Math.abs(x) < 1e-6 ? 10 + x / 2 : x / (1 - Math.exp(-x / 10));
}

export function hhRates(v: number): { am: number; bm: number; ah: number; bh: number; an: number; bn: number } {
  return {
    am: 0.1 * vtrap(v + 40),
    bm: 4 * Math.exp(-(v + 65) / 18),
    ah: 0.07 * Math.exp(-(v + 65) / 20),
    bh: 1 / (1 + Math.exp(-(v + 35) / 10)),
    an: 0.01 * vtrap(v + 55),
    bn: 0.125 * Math.exp(-(v + 65) / 80),
  };
}

export class HodgkinHuxleyGroup implements SpikingGroup {
  readonly name: string;
  readonly size: number;
  readonly spikes: Int32Array;
  spikeCount = 0;
  readonly v: Float64Array;
  readonly m: Float64Array;
  readonly h: Float64Array;
  readonly nGate: Float64Array;
  readonly ge: Float64Array;
  readonly gi: Float64Array;
  readonly I: Float64Array;
  readonly variableNames = ['v', 'm', 'h', 'n', 'ge', 'gi', 'I'] as const;
  readonly p: typeof DEFAULTS;
  private readonly above: Uint8Array;
  private dt = 0;
  private de = 0;
  private di = 0;

  constructor(o: HodgkinHuxleyGroupOptions) {
    checkObject('HodgkinHuxleyGroup options', o);
    this.name = o.name ?? 'hh';
    checkSize(this.name, o.n);
    const n = (this.size = o.n);
    const p = { ...DEFAULTS };
    for (const k of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
      const val = o[k];
      if (val !== undefined) p[k] = val;
      const positive = k === 'C' || k === 'tauE' || k === 'tauI';
      checkRange(`${this.name} ${k}`, p[k], positive ? 1e-12 : k.startsWith('g') ? 0 : -1e6, 1e12);
    }
    this.p = p;
    const arr = () => new Float64Array(n);
    [this.v, this.m, this.h, this.nGate, this.ge, this.gi, this.I] = [arr(), arr(), arr(), arr(), arr(), arr(), arr()];
    this.spikes = new Int32Array(n);
    this.above = new Uint8Array(n);
    fillPerNeuron(`${this.name} v`, this.v, o.v ?? -65);
    fillPerNeuron(`${this.name} I`, this.I, o.I ?? 0);
    for (let i = 0; i < n; i++) {
      const r = hhRates(this.v[i]);
      this.m[i] = r.am / (r.am + r.bm);
      this.h[i] = r.ah / (r.ah + r.bh);
      this.nGate[i] = r.an / (r.an + r.bn);
      this.above[i] = this.v[i] > p.vThreshold ? 1 : 0;
    }
  }

  variable(name: string): Float64Array {
    const { v, m, h, ge, gi, I } = this;
    return lookupVariable(this.name, { v, m, h, n: this.nGate, ge, gi, I }, name);
  }

  prepare(dt: number): void {
    this.dt = dt;
    this.de = Math.exp(-dt / this.p.tauE);
    this.di = Math.exp(-dt / this.p.tauI);
  }

  update(_step: number): void {
    const { v, m, h, nGate, ge, gi, I, above, spikes, dt, de, di } = this;
    const { C, gNa, gK, gL, ENa, EK, EL, Ee, Ei, vThreshold } = this.p;
    let cnt = 0;
    for (let i = 0; i < this.size; i++) {
      const x = v[i];
      const mm = m[i];
      const hh = h[i];
      const nn = nGate[i];
      const e = ge[i];
      const g = gi[i];
      const gna = gNa * mm * mm * mm * hh;
      const n2 = nn * nn;
      const gk = gK * n2 * n2;
      const G = gna + gk + gL + e + g;
      const vInf = (gna * ENa + gk * EK + gL * EL + e * Ee + g * Ei + I[i]) / G;
      const xn = vInf + (x - vInf) * Math.exp((-dt * G) / C);
      // gates at the step's starting v
      const am = 0.1 * vtrap(x + 40),
        bm = 4 * Math.exp(-(x + 65) / 18);
      const ah = 0.07 * Math.exp(-(x + 65) / 20),
        bh = 1 / (1 + Math.exp(-(x + 35) / 10));
      const an = 0.01 * vtrap(x + 55),
        bn = 0.125 * Math.exp(-(x + 65) / 80);
      let s = am + bm;
      m[i] = am / s + (mm - am / s) * Math.exp(-dt * s);
      s = ah + bh;
      h[i] = ah / s + (hh - ah / s) * Math.exp(-dt * s);
      s = an + bn;
      nGate[i] = an / s + (nn - an / s) * Math.exp(-dt * s);
      ge[i] = e * de;
      gi[i] = g * di;
      v[i] = xn;
      if (xn > vThreshold) {
        if (!above[i]) spikes[cnt++] = i;
        above[i] = 1;
      } else above[i] = 0;
    }
    this.spikeCount = cnt;
  }

  reset(_step: number): void {}
}
