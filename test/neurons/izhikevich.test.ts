import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { atan } from '../../src/surrogate/index.js';
import {
  IZHIKEVICH_PRESETS,
  izhikevichInitState,
  izhikevichStep,
  izhikevichSequence,
  type IzhikevichParams,
} from '../../src/neurons/izhikevich.js';
import { ValueError } from '../../src/core/errors.js';

const dt = 0.25;

/** Spike times (ms) of one neuron driven by a current step to I at 10 ms, over `ms` milliseconds. */
function spikeTimes(p: IzhikevichParams, I: number, ms = 1000): { times: number[]; v: number } {
  let s = izhikevichInitState(1, p, { dt });
  const times: number[] = [];
  for (let t = 0; t < ms / dt; t++) {
    const r = izhikevichStep(Float32Array.of(t * dt < 10 ? 0 : I), s, p, { dt });
    s = r.state;
    if (r.spk[0]) times.push(t * dt);
  }
  return { times, v: s.v[0] };
}
const isis = (t: number[]) => t.slice(1).map((x, i) => x - t[i]);
const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
const cv = (x: number[]) => Math.sqrt(mean(x.map((v) => (v - mean(x)) ** 2))) / mean(x);

describe('Izhikevich presets reproduce their firing classes (Izhikevich 2003, Fig. 2; I = 10 step)', () => {
  const P = IZHIKEVICH_PRESETS;
  it('regular spiking: tonic single spikes with frequency adaptation', () => {
    const isi = isis(spikeTimes(P.regularSpiking, 10).times);
    expect(isi.length).toBeGreaterThan(10);
    expect(Math.min(...isi)).toBeGreaterThan(15); // no bursts
    expect(isi[isi.length - 1] / isi[0]).toBeGreaterThan(1.5); // adapting
    expect(cv(isi.slice(5))).toBeLessThan(0.05); // then regular
  });
  it('fast spiking: high frequency, little adaptation', () => {
    const rs = spikeTimes(P.regularSpiking, 10).times.length;
    const isi = isis(spikeTimes(P.fastSpiking, 10).times);
    expect(isi.length + 1).toBeGreaterThan(3 * rs);
    expect(mean(isi.slice(3))).toBeLessThan(15); // > 65 Hz
    expect(cv(isi.slice(3))).toBeLessThan(0.1);
    expect(isi[isi.length - 1] / isi[1]).toBeLessThan(1.3);
  });
  it('intrinsically bursting: an initial burst, then regular single spikes', () => {
    const isi = isis(spikeTimes(P.intrinsicallyBursting, 10).times);
    expect(isi[0]).toBeLessThan(8);
    expect(isi[1]).toBeLessThan(8); // a burst of 3 spikes
    const rest = isi.slice(2);
    expect(Math.min(...rest)).toBeGreaterThan(25); // then single spikes
    expect(cv(rest.slice(1))).toBeLessThan(0.05);
  });
  it('chattering: repeated high-frequency bursts', () => {
    const isi = isis(spikeTimes(P.chattering, 10).times);
    const long = isi.filter((v) => v > 30);
    const short = isi.filter((v) => v < 8);
    expect(long.length).toBeGreaterThanOrEqual(10); // >= 11 bursts
    expect(short.length + long.length).toBe(isi.length); // bimodal: nothing in between
    expect(short.length / long.length).toBeGreaterThanOrEqual(2); // >= 3 spikes per burst
  });
  it('low-threshold spiking: high frequency with strong adaptation', () => {
    const isi = isis(spikeTimes(P.lowThresholdSpiking, 10).times);
    expect(isi.length + 1).toBeGreaterThan(2 * spikeTimes(P.regularSpiking, 10).times.length);
    expect(isi[isi.length - 1] / isi[0]).toBeGreaterThan(2.5);
  });
});

describe('Izhikevich from the theory', () => {
  // Fixed points of 0.04 v^2 + 5 v + 140 - u + I with u = b v: 0.04 v^2 + (5 - b) v + 140 + I = 0.
  it('rests at the stable fixed point: v* = -70 mV for b = 0.2, I = 0', () => {
    const { times, v } = spikeTimes(IZHIKEVICH_PRESETS.regularSpiking, 0, 2000);
    expect(times).toEqual([]);
    expect(Math.abs(v + 70)).toBeLessThan(0.05);
  });
  it('rheobase: the saddle-node at I = (5 - b)^2 / 0.16 - 140 = 4 for b = 0.2', () => {
    const p = IZHIKEVICH_PRESETS.regularSpiking;
    const run = (I: number, v0: number) => {
      let s = { v: Float32Array.of(v0), u: Float32Array.of(p.b * v0), spk: new Uint8Array(1) };
      let n = 0;
      for (let t = 0; t < 3000 / dt; t++) {
        const r = izhikevichStep(Float32Array.of(I), s, p, { dt });
        s = r.state;
        n += r.spk[0];
      }
      return { n, v: s.v[0] };
    };
    // below rheobase the stable node v* = (-(5 - b) - sqrt((5 - b)^2 - 0.16 (140 + I))) / 0.08 holds the neuron
    const I = 3.8;
    const vStar = (-(5 - p.b) - Math.sqrt((5 - p.b) ** 2 - 0.16 * (140 + I))) / 0.08;
    const below = run(I, vStar);
    expect(below.n).toBe(0);
    expect(Math.abs(below.v - vStar)).toBeLessThan(0.05);
    // above it there is no fixed point: the neuron fires tonically from the same start
    expect(run(4.3, vStar).n).toBeGreaterThan(2);
  });
  it('the fused sequence equals the step function, per-neuron presets in one batch', () => {
    const steps = 400;
    const presets = [IZHIKEVICH_PRESETS.regularSpiking, IZHIKEVICH_PRESETS.fastSpiking, IZHIKEVICH_PRESETS.chattering];
    const H = presets.length;
    const x = new Float32Array(steps * H).map((_, i) => 8 + (i % 7));
    const col = (k: keyof IzhikevichParams) => new Tensor(Float32Array.from(presets.map((p) => p[k])), [H]);
    const q = izhikevichSequence(new Tensor(x, [steps, 1, H]), {
      steps,
      constInput: false,
      a: col('a'),
      b: col('b'),
      c: col('c'),
      d: col('d'),
      dt,
      surrogate: atan(),
    });
    for (let h = 0; h < H; h++) {
      // the parameters as the Tensors hold them (float32): then both paths agree bit for bit
      const pf = { a: Math.fround(presets[h].a), b: Math.fround(presets[h].b), c: Math.fround(presets[h].c), d: Math.fround(presets[h].d) };
      let s = izhikevichInitState(1, pf, { dt });
      for (let t = 0; t < steps; t++) {
        const r = izhikevichStep(Float32Array.of(x[t * H + h]), s, pf, { dt });
        s = r.state;
        expect(q.v.data[t * H + h]).toBe(s.v[0]);
        expect(q.spk.data[t * H + h]).toBe(r.spk[0]);
      }
    }
    expect(q.spikes).toBeGreaterThan(20);
  });
  it('rejects bad options with typed errors', () => {
    const p = IZHIKEVICH_PRESETS.regularSpiking;
    expect(() => izhikevichInitState(1, p, { dt: -1 })).toThrow(ValueError);
    expect(() => izhikevichInitState(1, p, { v0: 40 })).toThrow(/below vPeak/);
    expect(() => izhikevichSequence(Tensor.zeros([3, 1, 2]), { steps: 4, constInput: false, ...p, surrogate: atan() })).toThrow(
      /3 time steps, expected 4/,
    );
  });
});
