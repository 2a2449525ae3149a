import { describe, expect, it } from 'vitest';
import { ValueError } from '../../src/core/errors.js';
import { LifGroup, expNeg, type LifGroupOptions } from '../../src/sim/lif-group.js';
import { IzhikevichGroup } from '../../src/sim/izhikevich-group.js';
import { HodgkinHuxleyGroup } from '../../src/sim/hh-group.js';
import { SpikeGeneratorGroup } from '../../src/sim/inputs.js';
import { connect, oneToOne } from '../../src/sim/connect.js';
import { Synapses } from '../../src/sim/synapses.js';
import { SpikeMonitor, StateMonitor } from '../../src/sim/monitors.js';
import { Network } from '../../src/sim/network.js';
import { Rng } from '../../src/core/rng.js';

describe('LIF group, exact integration', () => {
  it('single neuron with constant drive: v follows V_inf (1 - e^{-t/tau}), spikes and refractory steps by hand', () => {
    // tau 20 ms, dt 0.1 ms, V_inf = 1.5, threshold 1: after k+1 updates v = 1.5 (1 - a^{k+1}), a = e^{-0.005};
    // first step with v > 1: a^{k+1} < 1/3 <=> k + 1 > 200 ln 3 = 219.72 -> k = 219.
    // Refractory 2 ms = 20 steps: v is held at 0 for steps 220..238, integration resumes at step 239,
    // so every inter-spike interval is 20 + 219 = 239 steps.
    const net = new Network(0.1);
    const g = net.addGroup(new LifGroup({ n: 1, tauM: 20, vRest: 0, vReset: 0, vThreshold: 1, refractory: 2, I: 1.5 }));
    const sm = net.addMonitor(new SpikeMonitor(g));
    const st = net.addMonitor(new StateMonitor(g, ['v'], [0]));
    net.run(100);
    expect(Array.from(sm.stepIndex)).toEqual([219, 458, 697, 936]);
    const v = st.trace('v', 0);
    const a = Math.exp(-0.1 / 20);
    for (const k of [0, 1, 50, 218]) expect(v[k]).toBeCloseTo(1.5 * (1 - a ** (k + 1)), 12);
    expect(v[219]).toBe(0); // reset after the spike, recorded at the end of the step
    for (let k = 220; k <= 238; k++) expect(v[k]).toBe(0);
    expect(v[239]).toBeCloseTo(1.5 * (1 - a), 12);
    expect(sm.t[0]).toBeCloseTo(21.9, 12);
  });

  it('a current-based exponential synapse gives the exact PSP w tau_e/(tau_e - tau_m) (e^{-t/tau_e} - e^{-t/tau_m})', () => {
    const net = new Network(0.1);
    const src = net.addGroup(new SpikeGeneratorGroup({ n: 1, indices: [0], times: [0] }));
    const g = net.addGroup(new LifGroup({ n: 1, tauM: 20, vRest: 0, vReset: 0, vThreshold: 100, tauE: 5 }));
    net.addSynapses(new Synapses(src, g, connect(oneToOne(), 1, 1, new Rng(0)), { on: 'ge', weight: 2 }));
    const st = net.addMonitor(new StateMonitor(g, ['v', 'ge'], [0]));
    net.run(60);
    const v = st.trace('v', 0);
    const ge = st.trace('ge', 0);
    expect(v[0]).toBe(0);
    expect(ge[0]).toBe(2); // delivered at step 0 after the update
    for (const k of [1, 10, 100, 250, 599]) {
      const t = k * 0.1;
      expect(v[k]).toBeCloseTo(((2 * 5) / (5 - 20)) * (Math.exp(-t / 5) - Math.exp(-t / 20)), 12);
      expect(ge[k]).toBeCloseTo(2 * Math.exp(-t / 5), 12);
    }
  });

  it('conductance-based (COBA) Euler step by hand; exponential Euler relaxes to the weighted reversal potential', () => {
    const g = new LifGroup({
      n: 2,
      tauM: 20,
      vRest: -60,
      vReset: -60,
      vThreshold: -50,
      synapse: 'conductance',
      method: 'euler',
      eE: 0,
      eI: -80,
      v: -55,
      I: 20,
    });
    g.ge.set([0.5, 0]);
    g.gi.set([0.2, 1]);
    g.prepare(0.1);
    g.update(0);
    const dv = (0.1 / 20) * (0.5 * (0 + 55) + 0.2 * (-80 + 55) - (-55 + 60) + 20);
    expect(g.v[0]).toBeCloseTo(-55 + dv, 12);
    expect(g.ge[0]).toBeCloseTo(0.5 * (1 - 0.1 / 5), 14);
    const h = new LifGroup({ n: 1, tauM: 20, vRest: -60, vReset: -60, vThreshold: 0, synapse: 'conductance', v: -60 });
    h.gi[0] = 1;
    h.prepare(0.1);
    h.update(0);
    const G = 2;
    const vInf = (-60 + 1 * -80) / G;
    expect(h.v[0]).toBeCloseTo(vInf + (-60 - vInf) * Math.exp((-0.1 * G) / 20), 12);
  });

  it('expNeg (the exponential-Euler factor) equals Math.exp(-x) to double precision on both sides of its Taylor branch', () => {
    const rng = new Rng(5);
    for (let k = 0; k < 20000; k++) {
      const x = k < 10000 ? 0.03 * rng.uniform() : 50 * rng.uniform();
      expect(Math.abs(expNeg(x) - Math.exp(-x))).toBeLessThanOrEqual(4e-16 * Math.exp(-x));
    }
    expect(expNeg(0)).toBe(1);
  });

  it('bad options are ValueErrors naming the option', () => {
    expect(() => new LifGroup({ n: 0, tauM: 20, vRest: 0, vReset: 0, vThreshold: 1 })).toThrow(/size/);
    expect(() => new LifGroup({ n: 3, tauM: -1, vRest: 0, vReset: 0, vThreshold: 1 })).toThrow(/tauM/);
    expect(() => new LifGroup({ n: 3, tauM: 20, vRest: 0, vReset: 0, vThreshold: 1, method: 'exponential-euler' })).toThrow(
      /with current synapses expected exact or euler/,
    );
    expect(() => new LifGroup({ n: 3, tauM: 20, vRest: 0, vReset: 0, vThreshold: 1, v: [1, 2] })).toThrow(/expected 3 values/);
    const g = new LifGroup({ n: 3, tauM: 20, vRest: 0, vReset: 0, vThreshold: 1 });
    expect(() => g.variable('w')).toThrow(ValueError);
    expect(() => g.variable('w')).toThrow(/no state variable "w" \(variables: v, ge, gi, I, theta\)/);
  });
});

describe('Izhikevich and Hodgkin-Huxley groups', () => {
  it('Izhikevich: one Euler step by hand, reset v = c, u += d, regular spiking fires tonically', () => {
    const g = new IzhikevichGroup({ n: 1, v: -70, u: -14, I: 10 });
    g.prepare(0.5);
    g.update(0);
    expect(g.v[0]).toBeCloseTo(-70 + 0.5 * (0.04 * 4900 - 350 + 140 + 14 + 10), 12);
    expect(g.u[0]).toBeCloseTo(-14 + 0.5 * 0.02 * (0.2 * -70 + 14), 12);
    const net = new Network(0.1);
    const rs = net.addGroup(new IzhikevichGroup({ n: 1, I: 10 }));
    const sm = net.addMonitor(new SpikeMonitor(rs));
    const st = net.addMonitor(new StateMonitor(rs, ['v', 'u'], [0]));
    net.run(1000);
    expect(sm.numSpikes).toBeGreaterThan(5);
    expect(sm.numSpikes).toBeLessThan(40);
    const k = sm.stepIndex[2];
    expect(st.trace('v', 0)[k]).toBe(-65);
    expect(st.trace('u', 0)[k] - st.trace('u', 0)[k - 1]).toBeGreaterThan(7); // u jumped by d = 8 (minus one small step)
  });

  it('Hodgkin-Huxley: rest at -65 mV is stable without input; 10 uA/cm2 fires repetitively at a plausible rate', () => {
    const net = new Network(0.01);
    const rest = net.addGroup(new HodgkinHuxleyGroup({ n: 1 }));
    const driven = net.addGroup(new HodgkinHuxleyGroup({ n: 1, I: 10 }));
    const a = net.addMonitor(new SpikeMonitor(rest));
    const b = net.addMonitor(new SpikeMonitor(driven));
    net.run(500);
    expect(a.numSpikes).toBe(0);
    expect(Math.abs(rest.v[0] + 65)).toBeLessThan(0.05);
    // classic HH at 10 uA/cm2: about 65-70 Hz tonic firing
    expect(b.numSpikes).toBeGreaterThan(25);
    expect(b.numSpikes).toBeLessThan(45);
  });
});

/**
 * The same LIF group twice, with and without the WASM kernel, each with its own copy of one seeded Rng
 * (for identical kicks); initial v drawn per neuron by `v0`.
 */
function twinGroups(seed: number, n: number, v0: (rng: Rng) => number, opts: Omit<LifGroupOptions, 'n' | 'v' | 'wasm'>, dt: number) {
  const make = (wasm: boolean) => {
    const rng = new Rng(seed);
    const v = Array.from({ length: n }, () => v0(rng));
    const g = new LifGroup({ ...opts, n, v, wasm });
    g.prepare(dt);
    return { g, rng };
  };
  const pair = { a: make(true), b: make(false) };
  expect(pair.a.g.usesWasm).toBe(true);
  expect(pair.b.g.usesWasm).toBe(false);
  return pair;
}

describe('WASM SIMD kernel of the exact CUBA update', () => {
  it('is used by default and gives bit-identical state and spikes to the TypeScript loop', () => {
    // n odd: exercises the scalar tail after the 2-wide SIMD loop
    const { a, b } = twinGroups(
      21,
      1001,
      (rng) => -60 + 10 * rng.uniform(),
      { tauM: 20, vRest: -49, vReset: -60, vThreshold: -50, refractory: 5 },
      0.1,
    );
    expect(a.g.kernel).toBeTypeOf('function');
    expect(b.g.kernel).toBeUndefined();
    let total = 0;
    for (let t = 0; t < 3000; t++) {
      for (const { g, rng } of [a, b]) {
        g.update(t);
        // identical pseudo-random synaptic kicks into both
        for (let k = 0; k < 5; k++) g.ge[rng.int(g.size)] += 1.62;
        g.gi[rng.int(g.size)] -= 9;
        g.I[rng.int(g.size)] = rng.uniform();
      }
      expect(a.g.spikeCount).toBe(b.g.spikeCount);
      expect(Array.from(a.g.spikes.subarray(0, a.g.spikeCount))).toEqual(Array.from(b.g.spikes.subarray(0, b.g.spikeCount)));
      total += a.g.spikeCount;
      a.g.reset(t);
      b.g.reset(t);
    }
    expect(total).toBeGreaterThan(500);
    expect(Array.from(a.g.v)).toEqual(Array.from(b.g.v));
    expect(Array.from(a.g.ge)).toEqual(Array.from(b.g.ge));
  });
});

describe('WASM SIMD kernel of the forward-Euler COBA update', () => {
  it('gives bit-identical state and spikes to the TypeScript loop', () => {
    const { a, b } = twinGroups(
      5,
      1003,
      (rng) => -55 + 5 * rng.normal(),
      {
        tauM: 20,
        vRest: -60,
        vReset: -60,
        vThreshold: -50,
        refractory: 5,
        synapse: 'conductance',
        method: 'euler',
        I: 20,
      },
      0.1,
    );
    let total = 0;
    for (let t = 0; t < 3000; t++) {
      for (const { g, rng } of [a, b]) {
        g.update(t);
        for (let k = 0; k < 5; k++) g.ge[rng.int(g.size)] += 0.6;
        g.gi[rng.int(g.size)] += 6.7;
      }
      expect(Array.from(a.g.spikes.subarray(0, a.g.spikeCount))).toEqual(Array.from(b.g.spikes.subarray(0, b.g.spikeCount)));
      total += a.g.spikeCount;
      a.g.reset(t);
      b.g.reset(t);
    }
    expect(total).toBeGreaterThan(500);
    expect(Array.from(a.g.v)).toEqual(Array.from(b.g.v));
    expect(Array.from(a.g.gi)).toEqual(Array.from(b.g.gi));
  });
});

describe('WASM SIMD kernel of the exponential-Euler COBA update with adaptive threshold', () => {
  it('gives bit-identical state, thresholds and spikes to the TypeScript loop, also for large conductances', () => {
    // n odd: the scalar tail after the 2-wide loop
    const { a, b } = twinGroups(
      9,
      401,
      (rng) => -65 + 10 * rng.uniform(),
      {
        tauM: 100,
        vRest: -65,
        vReset: -65,
        vThreshold: -52,
        refractory: 5,
        synapse: 'conductance',
        method: 'exponential-euler',
        tauE: 1,
        tauI: 2,
        eE: 0,
        eI: -100,
        thetaPlus: 0.05,
        tauTheta: 1e4,
      },
      0.5,
    );
    let total = 0;
    let large = 0;
    for (let t = 0; t < 4000; t++) {
      // adaptation switched off for a stretch: theta frozen in both
      a.g.adaptation = b.g.adaptation = t < 2000 || t >= 3000;
      for (const { g, rng } of [a, b]) {
        g.update(t);
        for (let k = 0; k < 150; k++) g.ge[rng.int(g.size)] += rng.uniform();
        if (rng.uniform() < 0.1) {
          const j = rng.int(g.size);
          g.gi[j] += 17; // dt G / tau_m = 0.085 > 0.02: the Math.exp branch
          if (g === a.g) large++;
        }
      }
      expect(Array.from(a.g.spikes.subarray(0, a.g.spikeCount))).toEqual(Array.from(b.g.spikes.subarray(0, b.g.spikeCount)));
      total += a.g.spikeCount;
      a.g.reset(t);
      b.g.reset(t);
    }
    expect(total).toBeGreaterThan(200);
    expect(large).toBeGreaterThan(200);
    expect(Array.from(a.g.v)).toEqual(Array.from(b.g.v));
    expect(Array.from(a.g.gi)).toEqual(Array.from(b.g.gi));
    expect(Array.from(a.g.theta)).toEqual(Array.from(b.g.theta));
    expect(Math.max(...a.g.theta)).toBeGreaterThan(0);
  });
});
