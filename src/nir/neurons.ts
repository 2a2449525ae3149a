import type { NeuronSpec, ParamSpec } from '../kernels/neuron-block.js';

/**
 * NIR's neuron primitives as neuron specs (kernels/neuron-block.ts) on spikeflow's shared scan: the
 * continuous-time equations of nir/ir/neuron.py discretised by forward Euler with the time step dt
 * (default 1e-4 s, as snnTorch's converter and the NIR paper), the way Norse's LIFBox/LIBox cells
 * step them (v += dt/tau ((v_leak - v) + i), then z = H(v - v_threshold), then v = v_reset where z):
 *
 *   I        v[t] = v' + dt r x[t]                                   (no spikes; output v)
 *   LI       v[t] = v' + (dt/tau) ((v_leak - v') + r x[t])             (no spikes; output v)
 *   IF       v[t] = v' + dt r x[t]                                   spike z[t] = H(v[t] - v_threshold)
 *   LIF      v[t] = v' + (dt/tau) ((v_leak - v') + r x[t])             spike z[t] = H(v[t] - v_threshold)
 *   CubaLI   i[t] = i[t-1] + (dt/tau_syn) (w_in x[t] - i[t-1])          (i rounded to float32 first)
 *            v[t] = v' + (dt/tau_mem) ((v_leak - v') + r i[t])          (no spikes; output v)
 *   CubaLIF  the same two updates, spike z[t] = H(v[t] - v_threshold)
 *
 * with v' = v[t-1], except after a spike (z[t-1] = 1): v' = v_reset (NIR >= 1.0.6: "v = v_reset
 * where z = 1"), or v' = v[t-1] - v_threshold for the 'subtract' reset (files older than 1.0.6,
 * whose specification reset by subtraction; see NirIF in graph.ts). The scan stores v[t] before its
 * reset (the value compared with the threshold); the membrane after the step is v_reset where z[t]
 * = 1 (nirMembraneAfterReset). The synaptic current i is never reset. States start at zero. The
 * reset uses the detached previous spike, as every spikeflow neuron; everything else (dt/tau, r,
 * v_leak, v_threshold, v_reset, w_in, the input) is differentiable: BPTT with the surrogate.
 *
 * Equivalence with snnTorch (export_nir.py / import_nir.py, v0.9.4): Leaky(beta) exports as LIF with
 * tau = dt/(1 - beta), r = tau/dt, v_leak = 0, v_reset = 0, and then dt/tau = 1 - beta, dt r/tau = 1:
 * v[t] = beta v' + x[t], snnTorch's Leaky with reset_mechanism 'zero' (its spikes equal with either
 * reset_delay; its membrane with reset_delay=False is the one after the reset). Synaptic(alpha, beta)
 * exports as CubaLIF with tau_syn = dt/(1 - alpha), w_in = tau_syn/dt, tau_mem = dt/(1 - beta), r =
 * tau_mem/dt: i[t] = alpha i[t-1] + x[t], v[t] = beta v' + i[t], snnTorch's Synaptic with reset
 * 'zero' and reset_delay=False (with its default reset_delay=True a zero reset also drops the step's
 * input: that is not NIR's LIF). An IF with r = 1/dt is Leaky with beta = 1: v[t] = v' + x[t]. The
 * arithmetic is float64 from float32 parameters, so results equal snnTorch's float32 to ~1e-7.
 */
export type NirNeuronType = 'I' | 'IF' | 'LI' | 'LIF' | 'CubaLI' | 'CubaLIF';
export type NirReset = 'value' | 'subtract';

/** The NIR fields each neuron type takes, in the order of its spec's parameters (dt last). */
export const NIR_NEURON_FIELDS: Readonly<Record<NirNeuronType, readonly string[]>> = {
  I: ['r'],
  IF: ['r', 'v_threshold', 'v_reset'],
  LI: ['tau', 'r', 'v_leak'],
  LIF: ['tau', 'r', 'v_leak', 'v_threshold', 'v_reset'],
  CubaLI: ['tau_syn', 'tau_mem', 'r', 'v_leak', 'w_in'],
  CubaLIF: ['tau_syn', 'tau_mem', 'r', 'v_leak', 'v_threshold', 'v_reset', 'w_in'],
};

/** Whether a neuron type spikes (its output is z) or not (its output is the membrane v). */
export const nirSpikes = (type: NirNeuronType): boolean => type === 'IF' || type === 'LIF' || type === 'CubaLIF';

/** The type codes of the WASM model (kernels/assembly/nir-neurons.ts). */
const NIR_WASM_TYPE: Readonly<Record<NirNeuronType, number>> = { I: 0, IF: 1, LI: 2, LIF: 3, CubaLI: 4, CubaLIF: 5 };

const BIG = 1e30;
const cache = new Map<string, NeuronSpec>();

function paramSpec(name: string): ParamSpec {
  const positive = name === 'tau' || name === 'tau_syn' || name === 'tau_mem' || name === 'dt';
  // a time constant must be positive (and not so small that dt/tau overflows)
  return { name, lo: positive ? 1e-30 : -BIG, hi: BIG, init: positive ? 1e-3 : 0 };
}

/** The spec of a NIR neuron type; `reset` is how IF, LIF and CubaLIF reset (value: to v_reset). */
export function nirNeuronSpec(type: NirNeuronType, reset: NirReset = 'value'): NeuronSpec {
  const key = `${type}/${reset}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const names = [...NIR_NEURON_FIELDS[type], 'dt'];
  const at = (n: string) => names.indexOf(n);
  const cuba = type === 'CubaLI' || type === 'CubaLIF';
  const leak = type !== 'I' && type !== 'IF';
  const fires = nirSpikes(type);
  const [R, VL, TH, VR, W, DT] = [at('r'), at('v_leak'), at('v_threshold'), at('v_reset'), at('w_in'), at('dt')];
  const TAU = at(cuba ? 'tau_mem' : 'tau');
  const TS = at('tau_syn');
  const P = names.length;
  // derived constants: am = dt/tau (or dt/tau_mem), as = dt/tau_syn, and +inf as the threshold of the non-spiking types
  const derivedNames = [...(leak ? ['dt_over_tau'] : []), ...(cuba ? ['dt_over_tau_syn'] : []), ...(fires ? [] : ['never'])];
  const AM = leak ? P : -1;
  const AS = cuba ? P + 1 : -1;
  const NEVER = fires ? -1 : P + derivedNames.length - 1;
  const V = cuba ? 1 : 0;
  const sub = reset === 'subtract';
  /** v' : the membrane the step starts from. */
  const start = (v0: number, r: number, p: Float64Array) => (fires && r ? (sub ? v0 - p[TH] : p[VR]) : v0);
  const spec: NeuronSpec = {
    name: type,
    state: cuba ? ['i', 'v'] : ['v'],
    // the WASM scan's NirNeuronModel (kernels/assembly/nir-neurons.ts): the type's code, + 8 for 'subtract'
    wasm: { model: 7, variant: NIR_WASM_TYPE[type] + (sub ? 8 : 0) },
    params: names.map(paramSpec),
    derived: {
      names: derivedNames,
      compute(p) {
        if (AM >= 0) p[AM] = p[DT] / p[TAU];
        if (AS >= 0) p[AS] = p[DT] / p[TS];
        if (NEVER >= 0) p[NEVER] = Number.POSITIVE_INFINITY;
      },
      backward(p, g) {
        if (AM >= 0) g[TAU] -= (g[AM] * p[AM]) / p[TAU];
        if (AS >= 0) g[TS] -= (g[AS] * p[AS]) / p[TS];
      },
    },
    fire: { state: V, threshold: { param: fires ? TH : NEVER } },
    finite: true,
    step(s0, r, x, p, s) {
      let d = x;
      if (cuba) d = s[0] = Math.fround(s0[0] + p[AS] * (p[W] * x - s0[0]));
      const v = start(s0[V], r, p);
      s[V] = leak ? v + p[AM] * (p[VL] - v + p[R] * d) : v + p[DT] * p[R] * d;
    },
    adjoint(s0, r, x, p, s, gs, gs0, gp) {
      const gv = gs[V];
      const d = cuba ? s[0] : x;
      const v = start(s0[V], r, p);
      let gd: number;
      let gStart: number;
      if (leak) {
        gp[AM] += gv * (p[VL] - v + p[R] * d);
        gp[VL] += gv * p[AM];
        gp[R] += gv * p[AM] * d;
        gd = gv * p[AM] * p[R];
        gStart = gv * (1 - p[AM]);
      } else {
        gp[R] += gv * p[DT] * d;
        gd = gv * p[DT] * p[R];
        gStart = gv;
      }
      if (fires && r) {
        if (sub) {
          gs0[V] = gStart;
          gp[TH] -= gStart;
        } else gp[VR] += gStart;
      } else gs0[V] = gStart;
      if (!cuba) return gd;
      const gi = gs[0] + gd;
      gp[AS] += gi * (p[W] * x - s0[0]);
      gp[W] += gi * p[AS] * x;
      gs0[0] = gi * (1 - p[AS]);
      return gi * p[AS] * p[W];
    },
  };
  cache.set(key, spec);
  return spec;
}
