import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Rng } from '../../src/core/rng.js';
import { ValueError } from '../../src/core/errors.js';
import { LifGroup } from '../../src/sim/lif-group.js';
import { PoissonGroup, SpikeGeneratorGroup } from '../../src/sim/inputs.js';
import { allToAll, connect, custom, fixedInDegree, fixedProbability, oneToOne } from '../../src/sim/connect.js';
import { Synapses } from '../../src/sim/synapses.js';
import { PopulationRateMonitor, SpikeMonitor, StateMonitor } from '../../src/sim/monitors.js';
import { Network } from '../../src/sim/network.js';
import { buildCuba, buildCoba } from '../../src/sim/models.js';
import { StdpTraceSynapse, stdpParams } from '../../src/plasticity/stdp.js';

/** A LIF that integrates nothing (tau huge, threshold out of reach): v shows delivered weights as steps. */
const integrator = (n: number) => new LifGroup({ n, tauM: 1e12, vRest: 0, vReset: 0, vThreshold: 1e9 });

describe('synaptic delays', () => {
  it('a spike at step 10 arrives at step 10 + round(delay / dt), each synapse with its own delay', () => {
    const net = new Network(0.1);
    const src = net.addGroup(new SpikeGeneratorGroup({ n: 1, indices: [0], times: [1.0] }));
    const dst = net.addGroup(integrator(3));
    net.addSynapses(new Synapses(src, dst, connect(allToAll(), 1, 3, new Rng(0)), { on: 'v', weight: [1, 2, 4], delay: [0, 0.3, 1.5] }));
    const st = net.addMonitor(new StateMonitor(dst, ['v'], [0, 1, 2]));
    net.run(5);
    const arrival = (k: number) => st.trace('v', k).findIndex((x) => x !== 0);
    expect([arrival(0), arrival(1), arrival(2)]).toEqual([10, 13, 25]);
    expect(st.trace('v', 2)[24]).toBe(0);
    expect(st.trace('v', 2)[25]).toBe(4);
    expect(st.trace('v', 1).at(-1)).toBeCloseTo(2, 9);
  });

  it('delayed spikes keep arriving across run() calls, and repeated spikes accumulate in the ring buffer', () => {
    const net = new Network(0.1);
    const src = net.addGroup(new SpikeGeneratorGroup({ n: 2, indices: [0, 1, 0], times: [0, 0, 0.2] }));
    const dst = net.addGroup(integrator(1));
    net.addSynapses(new Synapses(src, dst, connect(allToAll(), 2, 1, new Rng(0)), { on: 'v', weight: 1, delay: 2 }));
    const st = net.addMonitor(new StateMonitor(dst, ['v'], [0]));
    net.run(1); // 10 steps: nothing has arrived yet
    expect(dst.v[0]).toBe(0);
    net.run(2);
    const v = st.trace('v', 0);
    expect(v[19]).toBe(0);
    expect(v[20]).toBe(2); // two spikes at step 0, delay 20 steps
    expect(v[22]).toBeCloseTo(3, 9);
  });

  it('rejects negative delays and mismatched arrays', () => {
    const src = new SpikeGeneratorGroup({ n: 1, indices: [], times: [] });
    const dst = integrator(2);
    const c = connect(allToAll(), 1, 2, new Rng(0));
    expect(() => new Synapses(src, dst, c, { on: 'v', weight: 1, delay: -1 })).toThrow(/delay\[0\].*>= 0 ms/);
    expect(() => new Synapses(src, dst, c, { on: 'v', weight: [1] })).toThrow(/expected 2 values \(one per synapse\)/);
    expect(() => new Synapses(src, dst, c, { on: 'x', weight: 1 })).toThrow(/no state variable "x"/);
    expect(() => new SpikeGeneratorGroup({ n: 1, indices: [0, 0], times: [1, 1.01] }).prepare(0.1)).toThrow(/two spikes in one time step/);
  });
});

describe('connection rules', () => {
  it('all-to-all, one-to-one and custom give the exact counts', () => {
    const rng = new Rng(1);
    expect(connect(allToAll(), 30, 20, rng).post.length).toBe(600);
    expect(connect(allToAll({ allowSelf: false }), 30, 30, rng).post.length).toBe(870);
    const o = connect(oneToOne(), 25, 25, rng);
    expect(Array.from(o.post)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    const c = connect(
      custom((i, j) => i < j),
      40,
      40,
      rng,
    );
    expect(c.post.length).toBe((40 * 39) / 2);
    for (let i = 0; i < 40; i++) for (let k = c.rowPtr[i]; k < c.rowPtr[i + 1]; k++) expect(c.post[k]).toBeGreaterThan(i);
    expect(() => connect(oneToOne(), 3, 4, rng)).toThrow(/one-to-one connection: source has 3 neurons, target 4/);
  });

  it('fixed probability: synapse count within 5 binomial standard deviations; ranges restrict candidates', () => {
    const n = 1000;
    const p = 0.1;
    const c = connect(fixedProbability(p), n, n, new Rng(2));
    const mean = n * n * p;
    const sd = Math.sqrt(n * n * p * (1 - p));
    expect(Math.abs(c.post.length - mean)).toBeLessThan(5 * sd);
    // rows sorted and within range; out-degrees binomial(1000, 0.1): none absurd
    for (let i = 0; i < n; i++) {
      const deg = c.rowPtr[i + 1] - c.rowPtr[i];
      expect(deg).toBeGreaterThan(40);
      expect(deg).toBeLessThan(170);
      for (let k = c.rowPtr[i] + 1; k < c.rowPtr[i + 1]; k++) expect(c.post[k]).toBeGreaterThan(c.post[k - 1]);
    }
    const r = connect(fixedProbability(0.5, { preRange: [100, 200], postRange: [10, 20], allowSelf: false }), 300, 300, new Rng(3));
    for (let i = 0; i < 300; i++) {
      const deg = r.rowPtr[i + 1] - r.rowPtr[i];
      if (i < 100 || i >= 200) expect(deg).toBe(0);
      for (let k = r.rowPtr[i]; k < r.rowPtr[i + 1]; k++) expect(r.post[k] >= 10 && r.post[k] < 20).toBe(true);
    }
    expect(Math.abs(r.post.length - 500)).toBeLessThan(5 * Math.sqrt(1000 * 0.25));
    expect(connect(fixedProbability(1), 7, 9, new Rng(0)).post.length).toBe(63);
    expect(connect(fixedProbability(0), 7, 9, new Rng(0)).post.length).toBe(0);
    expect(() => fixedProbability(1.5)).toThrow(/connection probability p/);
  });

  it('fixed in-degree: every target has exactly k distinct sources (no self-connections when asked)', () => {
    const c = connect(fixedInDegree(12, { allowSelf: false }), 50, 50, new Rng(4));
    const src = Array.from({ length: 50 }, () => new Set<number>());
    for (let i = 0; i < 50; i++) for (let k = c.rowPtr[i]; k < c.rowPtr[i + 1]; k++) src[c.post[k]].add(i);
    for (let j = 0; j < 50; j++) {
      expect(src[j].size).toBe(12);
      expect(src[j].has(j)).toBe(false);
    }
    expect(c.post.length).toBe(600);
    expect(() => connect(fixedInDegree(50, { allowSelf: false }), 50, 50, new Rng(0))).toThrow(/only 49 distinct/);
  });
});

describe('inputs and monitors', () => {
  it('Poisson group: spike count within 5 standard deviations of rate * time, population rate monitor agrees', () => {
    const net = new Network(0.1);
    const g = net.addGroup(new PoissonGroup({ n: 1000, rates: 20 }, new Rng(5)));
    const sm = net.addMonitor(new SpikeMonitor(g));
    const pr = net.addMonitor(new PopulationRateMonitor(g));
    net.run(1000);
    const p = 20 * 1e-4;
    const trials = 1000 * 10000;
    expect(Math.abs(sm.numSpikes - trials * p)).toBeLessThan(5 * Math.sqrt(trials * p * (1 - p)));
    expect(pr.meanRateHz).toBeCloseTo(sm.numSpikes / 1000, 9);
    expect(pr.rate.length).toBe(10000);
    expect(() => g.setRates(-1)).toThrow(/expected a rate >= 0 Hz/);
  });

  it('the same seed gives the same spikes, another seed different ones', () => {
    const spikes = (seed: number) => {
      const net = new Network(0.1);
      const g = net.addGroup(new PoissonGroup({ n: 50, rates: 30 }, new Rng(seed)));
      const sm = net.addMonitor(new SpikeMonitor(g));
      net.run(200);
      return Array.from(sm.i).join(',') + '|' + Array.from(sm.stepIndex).join(',');
    };
    expect(spikes(9)).toBe(spikes(9));
    expect(spikes(9)).not.toBe(spikes(10));
  });
});

describe('STDP on a synapse group', () => {
  it('every synapse ends with the weight of a single trace-form synapse fed the same spike trains', () => {
    const rng = new Rng(11);
    const dt = 0.1;
    const steps = 5000;
    const train = () => Array.from({ length: steps }, (_, s) => s).filter(() => rng.uniform() < 0.01);
    const preTrains = [train(), train(), train()];
    const postTrains = [train(), train()];
    const flat = (trains: number[][]) => ({
      indices: trains.flatMap((t, i) => t.map(() => i)),
      times: trains.flatMap((t) => t.map((s) => s * dt)),
    });
    for (const pairing of ['all', 'nearest'] as const) {
      const p = stdpParams({
        aPlus: 0.01,
        aMinus: 0.011,
        tauPlus: 16.8,
        tauMinus: 33.7,
        wMin: 0,
        wMax: 1,
        pairing,
        update: 'multiplicative',
      });
      const net = new Network(dt);
      const pre = net.addGroup(new SpikeGeneratorGroup({ n: 3, ...flat(preTrains) }));
      const post = net.addGroup(new SpikeGeneratorGroup({ n: 2, ...flat(postTrains) }));
      const syn = net.addSynapses(new Synapses(pre, post, connect(allToAll(), 3, 2, new Rng(0)), { weight: 0.5, stdp: p }));
      net.runSteps(steps);
      for (let k = 0; k < syn.size; k++) {
        const ref = new StdpTraceSynapse(0.5, p, dt).run(preTrains[syn.pre[k]], postTrains[syn.post[k]], steps);
        expect(syn.weights[k]).toBeCloseTo(ref, 12);
        expect(syn.weights[k]).not.toBe(0.5);
      }
    }
  });
});

describe('triplet term', () => {
  it('potentiation is scaled by the slow post trace read before the spike (hand value)', () => {
    // pre at 0 ms; post at 10 ms (no earlier post: x2 = 0, no change) and 15 ms (x2 = e^{-5/40}, pre trace e^{-15/20})
    const net = new Network(0.1);
    const pre = net.addGroup(new SpikeGeneratorGroup({ n: 1, indices: [0], times: [0] }));
    const post = net.addGroup(new SpikeGeneratorGroup({ n: 1, indices: [0, 0], times: [10, 15] }));
    const p = stdpParams({ aPlus: 0.01, aMinus: 0.02, tauPlus: 20, tauMinus: 20, pairing: 'nearest' });
    const syn = net.addSynapses(new Synapses(pre, post, connect(allToAll(), 1, 1, new Rng(0)), { weight: 0.5, stdp: p, tripletTau: 40 }));
    net.run(12);
    expect(syn.weights[0]).toBe(0.5);
    net.run(10);
    expect(syn.weights[0]).toBeCloseTo(0.5 + 0.01 * Math.exp(-15 / 20) * Math.exp(-5 / 40), 12);
    expect(() => new Synapses(pre, post, connect(allToAll(), 1, 1, new Rng(0)), { weight: 0.5, tripletTau: 40 })).toThrow(
      /tripletTau needs stdp/,
    );
  });
});

describe('benchmark networks', () => {
  it('CUBA: synapse count within binomial bounds, a short run fires at a plausible rate, same seed same spikes', () => {
    const b = buildCuba({ seed: 1 });
    const m = b.exc.size + b.inh.size;
    expect(Math.abs(m - 320000)).toBeLessThan(5 * Math.sqrt(16e6 * 0.02 * 0.98));
    expect(b.exc.inDegrees().length).toBe(4000);
    for (let i = 3200; i < 4000; i++) expect(b.exc.rowPtr[i + 1] - b.exc.rowPtr[i]).toBe(0);
    b.net.run(200);
    const rate = b.spikes.numSpikes / 4000 / 0.2;
    expect(rate).toBeGreaterThan(4); // Brian2: 5.3-6.0 Hz over seeds for 1 s
    expect(rate).toBeLessThan(8);
    const again = buildCuba({ seed: 1 });
    again.net.run(200);
    expect(Array.from(again.spikes.i)).toEqual(Array.from(b.spikes.i));
  });

  it('COBA: a short run fires at a plausible rate (Brian2: about 21-23 Hz)', () => {
    const b = buildCoba({ seed: 2, recordSpikes: false });
    b.net.run(200);
    const rate = b.spikes.numSpikes / 4000 / 0.2;
    expect(rate).toBeGreaterThan(12);
    expect(rate).toBeLessThan(35);
  });

  it('memory stays flat: repeated runs do not grow the heap or the typed-array memory', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const b = buildCuba({ seed: 3, recordSpikes: false });
    b.net.run(100); // JIT warm-up and first-run allocations
    gc();
    const m0 = process.memoryUsage();
    for (let k = 0; k < 5; k++) b.net.run(100);
    gc();
    const m1 = process.memoryUsage();
    expect(m1.heapUsed - m0.heapUsed).toBeLessThan(4 * 2 ** 20);
    expect(m1.arrayBuffers - m0.arrayBuffers).toBeLessThan(2 ** 20);
    expect(b.net.step).toBe(6000);
  });
});

describe('network checks', () => {
  it('synapses need their groups in the network; dt must be positive', () => {
    const net = new Network(0.1);
    const a = integrator(2);
    expect(() => net.addSynapses(new Synapses(a, a, connect(allToAll(), 2, 2, new Rng(0)), { on: 'v', weight: 1 }))).toThrow(
      /add group lif to the network first/,
    );
    expect(() => new Network(0)).toThrow(ValueError);
    expect(() => net.run(-1)).toThrow(/duration/);
  });
});
