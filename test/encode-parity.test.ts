import { describe, expect, it } from 'vitest';
import { loadFixture, flat } from './helpers/fixtures.js';
import { Tensor } from '../src/core/tensor.js';
import { latencyEncode, deltaEncode, latencyTimes } from '../src/encode/latency.js';

describe('latency and delta encoders match snnTorch (encoders.json)', () => {
  const cases = loadFixture('encoders').cases;
  for (const c of cases) {
    it(`${c.kind} ${JSON.stringify(c.options)}`, () => {
      const data = Tensor.from(flat(c.data), [c.data.length, c.data[0].length]);
      const o = c.options;
      const got =
        c.kind === 'latency'
          ? latencyEncode(data, c.num_steps, {
              linear: o.linear,
              normalize: o.normalize,
              tau: o.tau,
              threshold: o.threshold,
              clip: o.clip,
              firstSpikeTime: o.first_spike_time,
            })
          : deltaEncode(data, { threshold: o.threshold, padding: o.padding, offSpike: o.off_spike });
      expect(Array.from(got.data)).toEqual(flat(c.spikes));
    });
  }
});

describe('latency encoding from the theory', () => {
  it('log code: the RC neuron charging to threshold, brighter fires earlier, one spike per value', () => {
    const t = latencyTimes([1, 0.5, 0.02], 50, { tau: 5, threshold: 0.01 });
    expect(t[0]).toBeCloseTo(5 * Math.log(1 / 0.99), 5);
    expect(t[1]).toBeCloseTo(5 * Math.log(0.5 / 0.49), 5);
    expect(t[0]).toBeLessThan(t[1]);
    expect(t[1]).toBeLessThan(t[2]);
    const s = latencyEncode(Tensor.from([0.9, 0.3, 0.05, 0.6], [1, 4]), 40, { tau: 5 });
    for (let i = 0; i < 4; i++) expect(Array.from({ length: 40 }, (_, k) => s.data[k * 4 + i]).reduce((a, b) => a + b, 0)).toBe(1);
  });
  it('rejects out-of-range data and spike times beyond the window', () => {
    expect(() => latencyEncode(Tensor.from([1.2]), 10)).toThrow(/input value 0 is 1\.2\d*, expected a number in \[0, 1\]/);
    expect(() => latencyEncode(Tensor.from([0.011]), 10, { tau: 5 })).toThrow(/beyond the last step 9/);
  });
});
