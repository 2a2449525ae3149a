import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { Rng } from '../../src/core/rng.js';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import { populationCode, populationResponses, populationEncode, populationDecode } from '../../src/encode/population.js';
import { firstSpikeTimes, predictByFirstSpike, populationCounts, predictByPopulation } from '../../src/decode/index.js';
import { predictByCount } from '../../src/train/losses.js';

describe('population coding (Gaussian receptive fields)', () => {
  it('spaces the centres evenly over each feature range with the Bohte et al. width', () => {
    const code = populationCode(2, { neurons: 5, min: [0, -1], max: [4, 1] });
    expect(Array.from(code.centres)).toEqual([0, 1, 2, 3, 4, -1, -0.5, 0, 0.5, 1]);
    // sigma = range / (1.5 (N - 2))
    expect(code.sigma[0]).toBeCloseTo(4 / 4.5, 6);
    expect(code.sigma[1]).toBeCloseTo(2 / 4.5, 6);
  });

  it('responses follow exp(-(x - mu)^2 / (2 sigma^2)): 1 at the centre, symmetric, hand-computed off-centre', () => {
    const code = populationCode(1, { neurons: 5, min: 0, max: 4 });
    const r = populationResponses(Tensor.from([1, 2.5], [2, 1]), code).data;
    expect(r[1]).toBeCloseTo(1, 6); // x = 1 at centre 1
    expect(r[0]).toBeCloseTo(r[2], 6); // symmetric around the centre
    const s = 4 / 4.5;
    expect(r[5 + 3]).toBeCloseTo(Math.exp(-(0.5 * 0.5) / (2 * s * s)), 6); // x = 2.5 vs centre 3
    expect(r[5 + 0]).toBeCloseTo(Math.exp(-(2.5 * 2.5) / (2 * s * s)), 6);
  });

  it('decoding the responses recovers the value (activity-weighted mean of the centres) inside the range', () => {
    const code = populationCode(1, { neurons: 12, min: 0, max: 10 });
    const xs = [2, 3.3, 5, 6.7, 8];
    const dec = populationDecode(populationResponses(Tensor.from(xs, [5, 1]), code).data, code);
    xs.forEach((x, i) => expect(dec[i]).toBeCloseTo(x, 1));
    expect(Number.isNaN(populationDecode(new Float32Array(12), code)[0])).toBe(true);
  });

  it('latency mode fires each neuron once, best-tuned first; rate mode fires at the response rate', () => {
    const code = populationCode(1, { neurons: 5, min: 0, max: 4 });
    const lat = populationEncode(Tensor.from([1], [1, 1]), code, 11, 'latency');
    expect(lat.x.shape).toEqual([11, 1, 5]);
    const times = firstSpikeTimes(lat.x);
    expect(times[1]).toBe(0); // the neuron centred on the value fires at step 0
    expect(times[0]).toBe(times[2]); // equal distance, equal latency
    expect(times[0]).toBeGreaterThan(0);
    // sigma = 4/4.5: neuron 3 (distance 2) responds exp(-2.53) = 0.08 < 0.1 and neuron 4 less: both silent
    expect(times[3]).toBe(11);
    expect(times[4]).toBe(11);
    let count = 0;
    for (const v of lat.x.data) count += v;
    expect(count).toBe(3);
    const rng = new Rng(3);
    const steps = 4000;
    const rate = populationEncode(Tensor.from([2.5], [1, 1]), code, steps, 'rate', rng);
    const resp = populationResponses(Tensor.from([2.5], [1, 1]), code).data;
    for (let i = 0; i < 5; i++) {
      let k = 0;
      for (let t = 0; t < steps; t++) k += rate.x.data[t * 5 + i];
      const sd = Math.sqrt(steps * resp[i] * (1 - resp[i]));
      expect(Math.abs(k - steps * resp[i])).toBeLessThanOrEqual(5 * sd + 1);
    }
    const cur = populationEncode(Tensor.from([2.5], [1, 1]), code, 7);
    expect(cur.constant).toBe(true);
    expect(Array.from(cur.x.data)).toEqual(Array.from(resp));
  });

  it('rejects bad ranges, shapes and NaN with clear errors', () => {
    expect(() => populationCode(2, { neurons: 3, min: 1, max: 1 })).toThrow(/min < max/);
    expect(() => populationCode(2, { neurons: 3, min: [0], max: 1 })).toThrow(ShapeError);
    expect(() => populationCode(2, { neurons: 0, min: 0, max: 1 })).toThrow(ValueError);
    const code = populationCode(2, { neurons: 3, min: 0, max: 1 });
    expect(() => populationResponses(Tensor.from([1, 2, 3], [1, 3]), code)).toThrow(/3 features/);
    expect(() => populationResponses(Tensor.from([NaN, 0], [1, 2]), code)).toThrow(/NaN/);
    expect(() => populationEncode(Tensor.from([0, 0], [1, 2]), code, 5, 'rate')).toThrow(/Rng/);
  });
});

describe('decoders', () => {
  // T = 4, B = 2, C = 4
  const spk = new Tensor(
    Uint8Array.from([0, 0, 1, 0, /**/ 0, 0, 0, 0, 0, 1, 1, 0, /**/ 1, 0, 0, 1, 0, 1, 0, 0, /**/ 0, 0, 0, 1, 0, 1, 1, 0, /**/ 0, 0, 0, 0]),
    [4, 2, 4],
  );

  it('first-spike times and the first-spike prediction (ties broken by count)', () => {
    expect(Array.from(firstSpikeTimes(spk))).toEqual([4, 1, 0, 4, 1, 4, 4, 1]);
    // sample 0: neuron 2 fires first; sample 1: neurons 0 and 3 both at t=1, neuron 3 has more spikes
    expect(Array.from(predictByFirstSpike(spk))).toEqual([2, 3]);
    expect(Array.from(predictByCount(spk))).toEqual([1, 3]);
  });

  it('population vote sums contiguous groups of outputs per class', () => {
    // 2 classes x 2 neurons: sample 0 counts [0,3,3,0] -> [3, 3] -> class 0 (first on ties); sample 1 [1,0,0,2] -> [1, 2] -> 1
    expect(Array.from(populationCounts(spk, 2))).toEqual([3, 3, 1, 2]);
    expect(Array.from(predictByPopulation(spk, 2))).toEqual([0, 1]);
    expect(() => populationCounts(spk, 3)).toThrow(/equal groups/);
  });
});
