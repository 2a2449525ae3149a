import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { DiehlCookNetwork, assignLabels, predictByAssignment } from '../../src/sim/diehl-cook.js';
import { LifGroup } from '../../src/sim/lif-group.js';

/** A 28x28 image with a bright bar: horizontal (class 0) or vertical (class 1). */
function bar(cls: number, offset: number): Uint8Array {
  const img = new Uint8Array(784);
  for (let a = 4; a < 24; a++) for (let b = 12 + offset; b < 16 + offset; b++) img[cls === 0 ? b * 28 + a : a * 28 + b] = 255;
  return img;
}

describe('Diehl & Cook network', () => {
  it("normalisation sets every neuron's input weights to sum to 78", () => {
    const m = new DiehlCookNetwork(new Rng(1), { neurons: 20 });
    m.normalize();
    const w = m.inputSynapses.weights;
    for (let j = 0; j < 20; j++) {
      let s = 0;
      for (let i = 0; i < 784; i++) s += w[i * 20 + j];
      expect(s).toBeCloseTo(78, 9);
    }
  });

  it('learns to separate two bar orientations without labels; testing freezes weights and thresholds', () => {
    const m = new DiehlCookNetwork(new Rng(2), { neurons: 10 });
    const labels: number[] = [];
    const responses: Int32Array[] = [];
    for (let k = 0; k < 40; k++) {
      const cls = k % 2;
      labels.push(cls);
      responses.push(m.present(bar(cls, (k >> 1) % 3), true).counts);
    }
    const assignment = assignLabels(responses.slice(20), labels.slice(20), 10, 2);
    expect(new Set(Array.from(assignment).filter((c) => c >= 0)).size).toBe(2);
    const theta = m.exc.theta.slice();
    const w = m.inputSynapses.weights.slice();
    let correct = 0;
    for (let k = 0; k < 10; k++) {
      const cls = k % 2;
      if (predictByAssignment(m.present(bar(cls, k % 3), false).counts, assignment, 2) === cls) correct++;
    }
    expect(correct).toBeGreaterThanOrEqual(9);
    expect(Array.from(m.exc.theta)).toEqual(Array.from(theta));
    expect(Array.from(m.inputSynapses.weights)).toEqual(Array.from(w));
    expect(Math.max(...theta)).toBeGreaterThan(0); // thresholds adapted while learning
  });

  it('label assignment and prediction by hand', () => {
    const r = [Int32Array.from([5, 0, 1]), Int32Array.from([0, 3, 1]), Int32Array.from([4, 0, 0])];
    const a = assignLabels(r, [0, 1, 0], 3, 2);
    expect(Array.from(a)).toEqual([0, 1, 1]); // neuron 2: mean 0.5 for class 0, 1 for class 1
    expect(predictByAssignment(Int32Array.from([0, 1, 3]), a, 2)).toBe(1);
    expect(predictByAssignment(Int32Array.from([6, 1, 0]), a, 2)).toBe(0);
  });

  it('the adaptive threshold: theta += thetaPlus per spike, threshold V_th + theta; needs conductance synapses', () => {
    const g = new LifGroup({
      n: 1,
      tauM: 10,
      vRest: 0,
      vReset: 0,
      vThreshold: 1,
      synapse: 'conductance',
      I: 1.75,
      thetaPlus: 0.5,
      tauTheta: 1e7,
    });
    g.prepare(0.1);
    let spikes = 0;
    for (let t = 0; t < 2000; t++) {
      g.update(t);
      spikes += g.spikeCount;
      g.reset(t);
    }
    // V_inf = 1.75: thresholds 1, then 1.5, then 2 (out of reach): exactly 2 spikes
    expect(spikes).toBe(2);
    expect(g.theta[0]).toBeCloseTo(1, 3);
    expect(() => new LifGroup({ n: 1, tauM: 10, vRest: 0, vReset: 0, vThreshold: 1, thetaPlus: 1 })).toThrow(/needs conductance synapses/);
  });
});
