import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { ValueError } from '../../src/core/errors.js';
import {
  stdpParams,
  stdpWindow,
  stdpPairDw,
  stdpApplyPairs,
  stdpPairingProtocol,
  StdpTraceSynapse,
  type StdpParams,
} from '../../src/plasticity/stdp.js';

// Hand values: A+ = 0.01, A- = 0.0105, tau+ = tau- = 20 ms, e^{-5/20} = e^{-0.25} = 0.7788007830714049.
const E025 = 0.7788007830714049;
const base = stdpParams({ aPlus: 0.01, aMinus: 0.0105, tauPlus: 20, tauMinus: 20, wMin: 0, wMax: 1 });

describe('pair rule', () => {
  it('window: +A+ e^{-dt/tau+} for causal pairs, -A- e^{dt/tau-} for anti-causal, 0 at dt = 0', () => {
    expect(stdpWindow(5, base)).toBeCloseTo(0.01 * E025, 15);
    expect(stdpWindow(-5, base)).toBeCloseTo(-0.0105 * E025, 15);
    expect(stdpWindow(0, base)).toBe(0);
    const asym = stdpParams({ aPlus: 0.02, aMinus: 0.01, tauPlus: 10, tauMinus: 40 });
    expect(stdpWindow(10, asym)).toBeCloseTo(0.02 * Math.exp(-1), 15);
    expect(stdpWindow(-20, asym)).toBeCloseTo(-0.01 * Math.exp(-0.5), 15);
  });

  it('the tutorial example: pre 5 ms before post, 20 pairings, weight 0.3 rises; anti-causal it falls', () => {
    const up = stdpPairingProtocol({ w0: 0.3, offsetMs: 5, pairs: 20, periodMs: 1000, params: base });
    expect(up.w).toBeCloseTo(0.3 + 20 * 0.01 * E025, 12); // 0.45576015661428...
    expect(up.w).toBeCloseTo(0.455760156614281, 12);
    const down = stdpPairingProtocol({ w0: 0.3, offsetMs: -5, pairs: 20, periodMs: 1000, params: base });
    expect(down.w).toBeCloseTo(0.3 - 20 * 0.0105 * E025, 12); // 0.13645183555...
    expect(down.w).toBeCloseTo(0.136451835555005, 12);
  });

  it('all-pairs vs nearest-spike pairing at 10 Hz (cross pairs 95 ms and 105 ms apart)', () => {
    const pre = Array.from({ length: 20 }, (_, k) => 100 * k);
    const post = pre.map((t) => t + 5);
    // all pairs: post k pairs with pre j <= k (dt = 5 + 100 m, m = k - j, 20 - m times);
    // pre k pairs with post j < k (dt = -(100 m - 5), m = k - j >= 1, 20 - m times)
    let pot = 0;
    let dep = 0;
    for (let m = 0; m < 20; m++) pot += (20 - m) * Math.exp(-(5 + 100 * m) / 20);
    for (let m = 1; m < 20; m++) dep += (20 - m) * Math.exp(-(100 * m - 5) / 20);
    expect(stdpPairDw(pre, post, base)).toBeCloseTo(0.01 * pot - 0.0105 * dep, 14);
    expect(stdpApplyPairs(0.3, pre, post, base).w).toBeCloseTo(0.3 + 0.01 * pot - 0.0105 * dep, 13);
    // nearest: each post with its own pre (+5 ms), each later pre with the previous post (-95 ms)
    const near = { ...base, pairing: 'nearest' as const };
    const expected = 20 * 0.01 * E025 - 19 * 0.0105 * Math.exp(-95 / 20);
    expect(stdpPairDw(pre, post, near)).toBeCloseTo(expected, 14);
    expect(stdpApplyPairs(0.3, pre, post, near).w).toBeCloseTo(0.3 + expected, 13);
    expect(stdpPairDw(pre, post, base)).toBeGreaterThan(stdpPairDw(pre, post, near) - 1e-3);
  });

  it('hard bounds: the weight stops at wMax and at wMin', () => {
    const p = { ...base, wMin: 0.2, wMax: 0.35 };
    const up = stdpApplyPairs(0.3, [0, 1000, 2000, 3000, 4000, 5000, 6000, 7000], [5, 1005, 2005, 3005, 4005, 5005, 6005, 7005], p);
    expect(up.w).toBe(0.35);
    // 0.3 + 6 * 0.0077880 = 0.34673 < 0.35, the 7th pairing hits the bound
    expect(up.trajectory[11]).toBeCloseTo(0.3 + 6 * 0.01 * E025, 13);
    expect(up.trajectory[13]).toBe(0.35);
    const down = stdpPairingProtocol({ w0: 0.3, offsetMs: -5, pairs: 20, periodMs: 1000, params: p });
    expect(down.w).toBe(0.2);
  });

  it('multiplicative (weight-dependent) update: distance to the bound shrinks geometrically', () => {
    const p: StdpParams = { ...base, update: 'multiplicative' };
    // one pairing: w = 0.3 + A+ (1 - 0.3) e^{-0.25}
    expect(stdpPairingProtocol({ w0: 0.3, offsetMs: 5, pairs: 1, periodMs: 1000, params: p }).w).toBeCloseTo(0.3 + 0.01 * 0.7 * E025, 14);
    // 1 - w_n = (1 - w0) (1 - A+ e^{-0.25})^n ;  w_n - wMin = (w0 - wMin) (1 - A- e^{-0.25})^n
    expect(stdpPairingProtocol({ w0: 0.3, offsetMs: 5, pairs: 20, periodMs: 1000, params: p }).w).toBeCloseTo(
      1 - 0.7 * (1 - 0.01 * E025) ** 20,
      12,
    );
    expect(stdpPairingProtocol({ w0: 0.3, offsetMs: -5, pairs: 20, periodMs: 1000, params: p }).w).toBeCloseTo(
      0.3 * (1 - 0.0105 * E025) ** 20,
      12,
    );
  });

  it('bad parameters and inputs are ValueErrors naming the problem', () => {
    expect(() => stdpParams({ tauPlus: 0 })).toThrow(ValueError);
    expect(() => stdpParams({ tauPlus: 0 })).toThrow(/tauPlus/);
    expect(() => stdpParams({ wMin: 1, wMax: 0 })).toThrow(/wMin 1 is above wMax 0/);
    expect(() => stdpParams({ update: 'quadratic' as never })).toThrow(/update: expected "additive" or "multiplicative"/);
    expect(() => stdpParams({ aMinus: -1 })).toThrow(/aMinus/);
    expect(() => stdpPairDw([5, 1], [3], base)).toThrow(/preTimes: spike times must be sorted/);
    expect(() => stdpApplyPairs(2, [1], [3], base)).toThrow(/initial weight/);
    expect(() => stdpPairingProtocol({ w0: 0.3, offsetMs: 5, pairs: 0, periodMs: 100, params: base })).toThrow(/pairs/);
  });
});

describe('online trace form', () => {
  const dt = 0.1;
  function randomTrain(rng: Rng, steps: number, p: number): number[] {
    const out: number[] = [];
    for (let s = 0; s < steps; s++) if (rng.uniform() < p) out.push(s);
    return out;
  }

  it('equals the pair form on isolated pairs (traces with all-to-all and nearest reset)', () => {
    for (const pairing of ['all', 'nearest'] as const) {
      for (const offset of [50, -50, 3, -3]) {
        const p = { ...base, pairing };
        const pre = [1000, 11000];
        const post = pre.map((s) => s + offset);
        const syn = new StdpTraceSynapse(0.3, p, dt);
        const wTrace = syn.run(pre, post, 12000);
        const wPair = stdpApplyPairs(
          0.3,
          pre.map((s) => s * dt),
          post.map((s) => s * dt),
          p,
        ).w;
        const hand = 0.3 + 2 * stdpWindow(offset * dt, p);
        expect(wTrace).toBeCloseTo(wPair, 12);
        expect(wTrace).toBeCloseTo(hand, 12);
      }
    }
  });

  it('all-pairs equals the trace form with additive traces, nearest equals the trace form with reset, on dense random trains (additive and multiplicative, with bounds)', () => {
    const rng = new Rng(7);
    for (const pairing of ['all', 'nearest'] as const) {
      for (const update of ['additive', 'multiplicative'] as const) {
        for (const [wMin, wMax] of [
          [0, 1],
          [0.25, 0.32],
        ]) {
          const p = stdpParams({ aPlus: 0.01, aMinus: 0.012, tauPlus: 17, tauMinus: 34, wMin, wMax, pairing, update });
          const pre = randomTrain(rng, 20000, 0.004);
          const post = randomTrain(rng, 20000, 0.003);
          const wTrace = new StdpTraceSynapse(0.3, p, dt).run(pre, post, 20000);
          const wPair = stdpApplyPairs(
            0.3,
            pre.map((s) => s * dt),
            post.map((s) => s * dt),
            p,
          ).w;
          expect(Math.abs(wTrace - wPair), `${pairing} ${update} [${wMin}, ${wMax}]`).toBeLessThan(1e-10);
        }
      }
    }
  });

  it('all-pairs and nearest differ on bursts (the test above is not vacuous)', () => {
    const pre = [0, 20, 40];
    const post = [60];
    const all = stdpPairDw(pre, post, base);
    const near = stdpPairDw(pre, post, { ...base, pairing: 'nearest' });
    expect(all).toBeCloseTo(0.01 * (Math.exp(-3) + Math.exp(-2) + Math.exp(-1)), 14);
    expect(near).toBeCloseTo(0.01 * Math.exp(-1), 14);
  });

  it('simultaneous pre and post spikes change nothing (dt = 0)', () => {
    const syn = new StdpTraceSynapse(0.5, base, dt);
    expect(syn.run([10], [10], 100)).toBe(0.5);
  });

  it('run() can record the weight after every step, equal to stepping by hand', () => {
    const pre = [5, 40, 41];
    const post = [10, 30];
    const trace = new Float32Array(61);
    const final = new StdpTraceSynapse(0.5, base, dt).run(pre, post, 60, trace);
    const byHand = new StdpTraceSynapse(0.5, base, dt);
    expect(trace[0]).toBe(0.5);
    for (let s = 0; s < 60; s++) expect(trace[s + 1]).toBe(Math.fround(byHand.step(pre.includes(s), post.includes(s))));
    expect(trace[60]).toBe(Math.fround(final));
    expect(trace[11]).toBeGreaterThan(0.5); // post 5 steps after pre: potentiation
  });

  it('is deterministic for a given seed', () => {
    const go = (seed: number) => {
      const rng = new Rng(seed);
      const pre = randomTrain(rng, 5000, 0.01);
      const post = randomTrain(rng, 5000, 0.01);
      return new StdpTraceSynapse(0.4, base, dt).run(pre, post, 5000);
    };
    expect(go(3)).toBe(go(3));
    expect(go(3)).not.toBe(go(4));
  });
});
