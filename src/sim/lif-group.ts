import { ValueError, checkBool, checkObject, checkRange } from '../core/errors.js';
import { lifKernelState, type CobaEulerKernel, type CobaExpEulerKernel, type CubaExactKernel } from './lif-kernel.js';
import { NEVER, checkSize, fillPerNeuron, lookupVariable, refractorySteps, type PerNeuron, type SpikingGroup } from './group.js';

/**
 * A group of leaky integrate-and-fire neurons with exponential synapses, in Brian2's conventions
 * (times in ms, potentials in mV):
 *
 *   synapse 'current' (CUBA):      tau_m dv/dt = -(v - V_rest) + I + ge + gi      (ge, gi in mV)
 *   synapse 'conductance' (COBA):  tau_m dv/dt = -(v - V_rest) + I + ge (E_e - v) + gi (E_i - v)
 *                                  (ge, gi dimensionless, relative to the leak conductance)
 *   tau_e dge/dt = -ge,  tau_i dgi/dt = -gi
 *
 * Spike when v > V_threshold (strict, as Brian2's `v > Vt`) and not refractory; reset v = V_reset. The
 * refractory period holds v (only v: ge and gi keep decaying, Brian2's `(unless refractory)` on v)
 * for round(refractory / dt) steps counted from the spike step: a neuron that spiked at step s is
 * integrated again from step s + round(refractory/dt) on.
 *
 * Integration per step of dt (I constant over a step):
 *   'exact' (current synapses): the linear system solved exactly, as Brian2's method='exact':
 *       v' = V_inf + (v - V_inf) a + ge b_e + gi b_i,  V_inf = V_rest + I,  a = e^{-dt/tau_m},
 *       b_x = tau_x / (tau_x - tau_m) (e^{-dt/tau_x} - a)   (b_x = (dt/tau_m) a when tau_x = tau_m),
 *       ge' = ge e^{-dt/tau_e},  gi' = gi e^{-dt/tau_i}
 *   'exponential-euler' (conductance synapses): v relaxes exactly towards the conductance-weighted
 *       reversal potential with ge, gi frozen over the step (Brian2's exponential_euler); ge, gi exact.
 *   'euler' (both): forward Euler on all three equations (Brian2's method='euler').
 * Variables: v, ge, gi, I (constant external drive in mV, default 0), theta.
 *
 * Adaptive threshold (Diehl & Cook 2015), conductance synapses only: with `thetaPlus` > 0 the threshold
 * is V_threshold + theta_i; each spike adds thetaPlus to theta_i, which decays with tauTheta
 * (theta' = theta e^{-dt/tauTheta}). Setting `adaptation = false` freezes theta (test phase).
 */
export interface LifGroupOptions {
  name?: string;
  n: number;
  tauM: number;
  vRest: number;
  vReset: number;
  vThreshold: number;
  /** ms, default 0 */
  refractory?: number;
  synapse?: 'current' | 'conductance';
  /** ms, default 5 */
  tauE?: number;
  /** ms, default 10 */
  tauI?: number;
  /** Reversal potentials (conductance synapses), mV; default 0 and -80. */
  eE?: number;
  eI?: number;
  /** Default: 'exact' for current synapses, 'exponential-euler' for conductance synapses. */
  method?: 'exact' | 'exponential-euler' | 'euler';
  /** Initial v (default V_rest) and external drive I (default 0). */
  v?: PerNeuron;
  I?: PerNeuron;
  /**
   * Use the WASM SIMD kernel when WebAssembly SIMD is available (default true): for the 'exact'
   * current-based update, the 'exponential-euler' conductance-based update (with or without adaptive
   * threshold) and the 'euler' conductance-based update without it. Results are bit-identical to the
   * TypeScript loops (tested).
   */
  wasm?: boolean;
  /** Threshold increment per spike, mV (default 0: no adaptation). */
  thetaPlus?: number;
  /** Decay time constant of theta, ms (default 1e7). */
  tauTheta?: number;
}

/**
 * e^{-x} for x >= 0. Most steps of a conductance-based neuron have a small total conductance, so
 * e^{-dt G / tau_m} = e^{-dt/tau_m} e^{-x} with a small x; there a degree-7 Taylor polynomial (Horner) is
 * exact to double precision (x < 0.02: remainder below x^8 / 8! < 7e-19) and several times cheaper than
 * Math.exp. The WASM kernel evaluates the same polynomial with the same constants in the same order.
 */
export function expNeg(x: number): number {
  if (x < 0.02) return 1 + x * (-1 + x * (1 / 2 + x * (-1 / 6 + x * (1 / 24 + x * (-1 / 120 + x * (1 / 720 + x * (-1 / 5040)))))));
  return Math.exp(-x);
}

export class LifGroup implements SpikingGroup {
  readonly name: string;
  readonly size: number;
  readonly spikes: Int32Array;
  spikeCount = 0;
  readonly v: Float64Array;
  readonly ge: Float64Array;
  readonly gi: Float64Array;
  readonly I: Float64Array;
  /** Step of each neuron's last spike (NEVER before the first). */
  readonly lastSpike: Int32Array;
  readonly variableNames = ['v', 'ge', 'gi', 'I', 'theta'] as const;
  readonly o: Required<Omit<LifGroupOptions, 'v' | 'I' | 'name' | 'wasm'>>;
  /** Adaptive threshold offsets, mV (zeros unless thetaPlus > 0). */
  readonly theta: Float64Array;
  /** false: theta neither grows nor decays (e.g. while testing a trained network). */
  adaptation = true;
  private thetaDecay = 1;
  /** The WASM kernel of the 'exact' current-based update, when in use (see `usesWasm` for all kernels). */
  readonly kernel: CubaExactKernel | undefined;
  private readonly cobaKernel: CobaEulerKernel | undefined;
  private readonly cobaExpKernel: CobaExpEulerKernel | undefined;
  /** Whether the update runs in the WASM SIMD kernel. */
  readonly usesWasm: boolean;
  private refSteps = 0;
  private a = 0;
  private be = 0;
  private bi = 0;
  private de = 0;
  private di = 0;
  private dtOverTau = 0;

  constructor(opts: LifGroupOptions) {
    checkObject('LifGroup options', opts);
    checkBool('LifGroup wasm', opts.wasm);
    const synapse = opts.synapse ?? 'current';
    if (synapse !== 'current' && synapse !== 'conductance')
      throw new ValueError(`LifGroup synapse: expected "current" or "conductance", found ${JSON.stringify(synapse)}`);
    const method = opts.method ?? (synapse === 'current' ? 'exact' : 'exponential-euler');
    const allowed = synapse === 'current' ? ['exact', 'euler'] : ['exponential-euler', 'euler'];
    if (!allowed.includes(method))
      throw new ValueError(`LifGroup method: with ${synapse} synapses expected ${allowed.join(' or ')}, found ${JSON.stringify(method)}`);
    this.name = opts.name ?? 'lif';
    checkSize(this.name, opts.n);
    this.o = {
      n: opts.n,
      tauM: opts.tauM,
      vRest: opts.vRest,
      vReset: opts.vReset,
      vThreshold: opts.vThreshold,
      refractory: opts.refractory ?? 0,
      synapse,
      tauE: opts.tauE ?? 5,
      tauI: opts.tauI ?? 10,
      eE: opts.eE ?? 0,
      eI: opts.eI ?? -80,
      method,
      thetaPlus: opts.thetaPlus ?? 0,
      tauTheta: opts.tauTheta ?? 1e7,
    };
    checkRange(`${this.name} thetaPlus (mV)`, this.o.thetaPlus, 0, 1e6);
    checkRange(`${this.name} tauTheta (ms)`, this.o.tauTheta, 1e-9, 1e15);
    if (this.o.thetaPlus > 0 && synapse !== 'conductance')
      throw new ValueError(`${this.name}: the adaptive threshold (thetaPlus) needs conductance synapses`);
    const o = this.o;
    checkRange(`${this.name} tauM (ms)`, o.tauM, 1e-9, 1e12);
    checkRange(`${this.name} tauE (ms)`, o.tauE, 1e-9, 1e12);
    checkRange(`${this.name} tauI (ms)`, o.tauI, 1e-9, 1e12);
    checkRange(`${this.name} refractory (ms)`, o.refractory, 0, 1e12);
    for (const k of ['vRest', 'vReset', 'vThreshold', 'eE', 'eI'] as const) checkRange(`${this.name} ${k}`, o[k], -1e12, 1e12);
    const n = opts.n;
    this.size = n;
    const cubaK = synapse === 'current' && method === 'exact';
    const cobaK = synapse === 'conductance' && method === 'euler' && this.o.thetaPlus === 0;
    const cobaExpK = synapse === 'conductance' && method === 'exponential-euler';
    const k = (cubaK || cobaK || cobaExpK) && opts.wasm !== false ? lifKernelState(n) : undefined;
    this.kernel = cubaK ? k?.cubaExact : undefined;
    this.usesWasm = k !== undefined;
    this.cobaKernel = cobaK ? k?.cobaEuler : undefined;
    this.cobaExpKernel = cobaExpK ? k?.cobaExpEuler : undefined;
    this.spikes = k?.spikes ?? new Int32Array(n);
    this.v = k?.v ?? new Float64Array(n);
    this.ge = k?.ge ?? new Float64Array(n);
    this.gi = k?.gi ?? new Float64Array(n);
    this.I = k?.I ?? new Float64Array(n);
    this.lastSpike = (k?.lastSpike ?? new Int32Array(n)).fill(NEVER);
    this.theta = k?.theta ?? new Float64Array(n);
    fillPerNeuron(`${this.name} v`, this.v, opts.v ?? o.vRest);
    fillPerNeuron(`${this.name} I`, this.I, opts.I ?? 0);
  }

  variable(name: string): Float64Array {
    return lookupVariable(this.name, { v: this.v, ge: this.ge, gi: this.gi, I: this.I, theta: this.theta }, name);
  }

  prepare(dt: number): void {
    const o = this.o;
    this.refSteps = refractorySteps(o.refractory, dt);
    const a = Math.exp(-dt / o.tauM);
    this.a = a;
    const b = (tau: number) =>
      Math.abs(tau - o.tauM) < 1e-12 * o.tauM ? (dt / o.tauM) * a : (tau / (tau - o.tauM)) * (Math.exp(-dt / tau) - a);
    this.be = b(o.tauE);
    this.bi = b(o.tauI);
    this.dtOverTau = dt / o.tauM;
    this.thetaDecay = Math.exp(-dt / o.tauTheta);
    if (o.method === 'euler') {
      this.de = 1 - dt / o.tauE;
      this.di = 1 - dt / o.tauI;
    } else {
      this.de = Math.exp(-dt / o.tauE);
      this.di = Math.exp(-dt / o.tauI);
    }
  }

  update(step: number): void {
    if (this.o.synapse === 'current') {
      if (this.o.method === 'exact') this.updateCubaExact(step);
      else this.updateCubaEuler(step);
    } else this.updateCoba(step);
  }

  private updateCubaExact(step: number): void {
    if (this.kernel) {
      const a = this.a;
      this.spikeCount = this.kernel(
        step,
        this.refSteps,
        this.o.vRest * (1 - a),
        a,
        1 - a,
        this.be,
        this.bi,
        this.de,
        this.di,
        this.o.vThreshold,
      );
      return;
    }
    const { v, ge, gi, I, lastSpike, spikes, a, be, bi, de, di, refSteps } = this;
    // v' = (V_rest + I) + (v - V_rest - I) a + ... = c0 + a v + (1 - a) I + ...
    const c0 = this.o.vRest * (1 - a);
    const ia = 1 - a;
    const vt = this.o.vThreshold;
    const n = this.size;
    let c = 0;
    for (let i = 0; i < n; i++) {
      const e = ge[i];
      const g = gi[i];
      ge[i] = e * de;
      gi[i] = g * di;
      // computed unconditionally (branch-free arithmetic), stored only when not refractory
      const x = c0 + a * v[i] + ia * I[i] + e * be + g * bi;
      if (step - lastSpike[i] >= refSteps) {
        v[i] = x;
        if (x > vt) spikes[c++] = i;
      }
    }
    this.spikeCount = c;
  }

  // The per-neuron loop of updateCubaExact (and updateCoba) again: synapse decay, refractory test,
  // threshold. Specialised per update rule on purpose: one shared loop would need a per-neuron call or
  // branch in the simulator's hot loop.
  private updateCubaEuler(step: number): void {
    const { v, ge, gi, I, lastSpike, spikes, de, di, refSteps, dtOverTau } = this;
    const vRest = this.o.vRest;
    const vt = this.o.vThreshold;
    const n = this.size;
    let c = 0;
    for (let i = 0; i < n; i++) {
      const e = ge[i];
      const g = gi[i];
      ge[i] = e * de;
      gi[i] = g * di;
      if (step - lastSpike[i] >= refSteps) {
        const x0 = v[i];
        const x = x0 + dtOverTau * (vRest + I[i] - x0 + e + g);
        v[i] = x;
        if (x > vt) spikes[c++] = i;
      }
    }
    this.spikeCount = c;
  }

  private updateCoba(step: number): void {
    if (this.cobaKernel) {
      const o = this.o;
      this.spikeCount = this.cobaKernel(step, this.refSteps, this.dtOverTau, o.vRest, o.eE, o.eI, this.de, this.di, o.vThreshold);
      return;
    }
    if (this.cobaExpKernel) {
      const o = this.o;
      this.spikeCount = this.cobaExpKernel(
        step,
        this.refSteps,
        this.dtOverTau,
        this.a,
        o.vRest,
        o.eE,
        o.eI,
        this.de,
        this.di,
        o.vThreshold,
        this.thetaDecay,
        o.thetaPlus > 0 && this.adaptation ? 1 : 0,
      );
      return;
    }
    const { v, ge, gi, I, lastSpike, spikes, de, di, refSteps, dtOverTau, theta, a } = this;
    const { vRest, eE, eI, vThreshold: vt } = this.o;
    const adaptive = this.o.thetaPlus > 0;
    if (adaptive && this.adaptation) {
      const d = this.thetaDecay;
      for (let i = 0; i < this.size; i++) theta[i] *= d;
    }
    const euler = this.o.method === 'euler';
    // updateCubaExact's per-neuron loop, specialised for conductances (see the note on updateCubaEuler)
    const n = this.size;
    let c = 0;
    for (let i = 0; i < n; i++) {
      const e = ge[i];
      const g = gi[i];
      ge[i] = e * de;
      gi[i] = g * di;
      if (step - lastSpike[i] >= refSteps) {
        const x0 = v[i];
        let x: number;
        if (euler) x = x0 + dtOverTau * (e * (eE - x0) + g * (eI - x0) - (x0 - vRest) + I[i]);
        else {
          const G = 1 + e + g;
          const vInf = (vRest + I[i] + e * eE + g * eI) / G;
          x = vInf + (x0 - vInf) * a * expNeg(dtOverTau * (e + g));
        }
        v[i] = x;
        if (x > (adaptive ? vt + theta[i] : vt)) spikes[c++] = i;
      }
    }
    this.spikeCount = c;
  }

  reset(step: number): void {
    if (this.o.thetaPlus > 0 && this.adaptation) {
      const tp = this.o.thetaPlus;
      for (let k = 0; k < this.spikeCount; k++) this.theta[this.spikes[k]] += tp;
    }
    const { v, lastSpike, spikes } = this;
    const vr = this.o.vReset;
    for (let k = 0; k < this.spikeCount; k++) {
      const i = spikes[k];
      v[i] = vr;
      lastSpike[i] = step;
    }
  }
}
