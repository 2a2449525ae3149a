import { Rng } from '../core/rng.js';
import { checkInt } from '../core/errors.js';
import { fixedProbability, connect } from './connect.js';
import { LifGroup } from './lif-group.js';
import { SpikeMonitor } from './monitors.js';
import { Network } from './network.js';
import { Synapses } from './synapses.js';

/**
 * The two Vogels & Abbott (2005) benchmark networks of Brette et al. (2007), as Brian2 runs them:
 * 4000 LIF neurons (the first 80% excitatory), every ordered pair (self-pairs included) connected with
 * probability 0.02, dt = 0.1 ms, threshold v > -50 mV, reset -60 mV, refractory 5 ms (v held, the
 * synaptic variables keep decaying), no delays.
 *
 * CUBA (../shared/peers/brian2_cuba.py, Brian2's examples/CUBA.py): tau_m dv/dt = ge + gi - (v - El),
 * tau_m 20 ms, El = -49 mV, tau_e 5 ms, tau_i 10 ms, exact integration; v(0) = Vr + U(0,1) (Vt - Vr),
 * ge = gi = 0; we = 60 * 0.27 / 10 mV = 1.62 mV, wi = -20 * 4.5 / 10 mV = -9 mV.
 *
 * COBA (bench/brian2_coba.py, the Brian2 COBA benchmark script of Brette et al. 2007 / Brian2's
 * benchmarks): tau_m dv/dt = ge (0 mV - v) + gi (-80 mV - v) - (v - El) + I with El = -60 mV,
 * I = 20 mV, method='euler'; v(0) ~ N(-55 mV, 5 mV), ge = gi = 0; on_pre ge += 0.6, gi += 6.7
 * (conductances relative to the leak conductance).
 *
 * Random numbers: one Rng(seed) for the initial conditions, then the connectivity (excitatory rows
 * first) from forks of it. Brian2 with the same seed draws different numbers, so single runs differ;
 * the statistics (synapse count, rate distribution over seeds) are the same.
 */
export interface BenchmarkNetwork {
  net: Network;
  group: LifGroup;
  exc: Synapses;
  inh: Synapses;
  spikes: SpikeMonitor;
}

export interface BenchmarkOptions {
  seed?: number;
  n?: number;
  /** Record spike times (default true); false keeps counts only. */
  recordSpikes?: boolean;
}

export function buildCuba(o: BenchmarkOptions = {}): BenchmarkNetwork {
  return build('cuba', o);
}

export function buildCoba(o: BenchmarkOptions = {}): BenchmarkNetwork {
  return build('coba', o);
}

function build(model: 'cuba' | 'coba', o: BenchmarkOptions): BenchmarkNetwork {
  const n = o.n ?? 4000;
  checkInt('network size n', n, 5);
  const nExc = Math.round(n * 0.8);
  const rng = new Rng(o.seed ?? 1);
  const Vt = -50;
  const Vr = -60;
  const net = new Network(0.1);
  let group: LifGroup;
  let we: number;
  let wi: number;
  if (model === 'cuba') {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = Vr + rng.uniform() * (Vt - Vr);
    group = new LifGroup({
      name: 'P',
      n,
      tauM: 20,
      vRest: -49,
      vReset: Vr,
      vThreshold: Vt,
      refractory: 5,
      synapse: 'current',
      tauE: 5,
      tauI: 10,
      method: 'exact',
      v,
    });
    we = (60 * 0.27) / 10;
    wi = (-20 * 4.5) / 10;
  } else {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = rng.normal() * 5 - 55;
    group = new LifGroup({
      name: 'P',
      n,
      tauM: 20,
      vRest: -60,
      vReset: Vr,
      vThreshold: Vt,
      refractory: 5,
      synapse: 'conductance',
      tauE: 5,
      tauI: 10,
      eE: 0,
      eI: -80,
      method: 'euler',
      v,
      I: 20,
    });
    we = 6 / 10;
    wi = 67 / 10;
  }
  net.addGroup(group);
  const exc = new Synapses(group, group, connect(fixedProbability(0.02, { preRange: [0, nExc] }), n, n, rng.fork()), {
    name: 'Ce',
    on: 'ge',
    weight: we,
  });
  const inh = new Synapses(group, group, connect(fixedProbability(0.02, { preRange: [nExc, n] }), n, n, rng.fork()), {
    name: 'Ci',
    on: 'gi',
    weight: wi,
  });
  net.addSynapses(exc);
  net.addSynapses(inh);
  const spikes = net.addMonitor(new SpikeMonitor(group, o.recordSpikes ?? true));
  return { net, group, exc, inh, spikes };
}
