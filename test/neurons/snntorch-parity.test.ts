import { describe, expect, it } from 'vitest';
import { loadFixture, flat, maxAbsDiff, transposeTorch } from '../helpers/fixtures.js';
import { Tensor } from '../../src/core/tensor.js';
import { atan } from '../../src/surrogate/index.js';
import { synapticStep, synapticInitState, synapticSequence } from '../../src/neurons/synaptic.js';
import { lapicqueStep, lapicqueInitState, lapicqueSequence } from '../../src/neurons/lapicque.js';
import { alphaStep, alphaInitState, alphaSequence } from '../../src/neurons/alpha.js';
import { rleakyStep, rleakyInitState, rleakySequence } from '../../src/neurons/rleaky.js';
import { rsynapticSequence } from '../../src/neurons/rsynaptic.js';

const all = loadFixture('neurons').cases;
const of = (m: string) => all.filter((c: any) => c.model === m);
const dims = (c: any) => [c.input.length, c.input[0].length, c.input[0][0].length] as const;

/** Checks mem (and spikes) of every step against snnTorch's. */
function expectTrace(mem: ArrayLike<number>, spk: ArrayLike<number>, c: any): void {
  expect(maxAbsDiff(mem, flat(c.mem))).toBeLessThan(1e-5);
  expect(Array.from(spk)).toEqual(flat(c.spk));
}

describe('new neurons match snnTorch 0.9.4 (neurons.json)', () => {
  it('has the Synaptic, Lapicque, Alpha and RLeaky cases', () => {
    expect(of('Synaptic').length).toBe(2);
    expect(of('Lapicque').length).toBe(1);
    expect(of('Alpha').length).toBe(1);
    expect(of('RLeaky').length).toBe(1);
  });

  for (const c of of('Synaptic')) {
    const [T, B, H] = dims(c);
    it(`Synaptic (${c.reset_mechanism}): step function and fused sequence, syn and mem`, () => {
      let s = synapticInitState(B * H);
      const mems: number[] = [];
      const syns: number[] = [];
      const spks: number[] = [];
      for (let t = 0; t < T; t++) {
        const r = synapticStep(Float32Array.from(flat(c.input[t])), s, {
          alpha: c.alpha,
          beta: c.beta,
          threshold: c.threshold,
          reset: c.reset_mechanism,
        });
        s = r.state;
        mems.push(...s.mem);
        syns.push(...s.syn);
        spks.push(...r.spk);
      }
      expectTrace(mems, spks, c);
      expect(maxAbsDiff(syns, flat(c.syn))).toBeLessThan(1e-5);
      const q = synapticSequence(Tensor.from(flat(c.input), [T, B, H]), {
        steps: T,
        constInput: false,
        alpha: c.alpha,
        beta: c.beta,
        threshold: c.threshold,
        reset: c.reset_mechanism,
        surrogate: atan(),
      });
      expectTrace(q.mem.data, q.spk.data, c);
      expect(maxAbsDiff(q.syn.data, flat(c.syn))).toBeLessThan(1e-5);
      expect(q.spikes).toBe(flat(c.spk).reduce((a, b) => a + b, 0));
      expect(q.spikes).toBeGreaterThan(0);
    });
  }

  for (const c of of('Lapicque')) {
    const [T, B, H] = dims(c);
    it('Lapicque (R, C, time step): step function and fused sequence', () => {
      const p = { R: c.R, C: c.C, timeStep: c.time_step, threshold: c.threshold, reset: c.reset_mechanism };
      let s = lapicqueInitState(B * H);
      const mems: number[] = [];
      const spks: number[] = [];
      for (let t = 0; t < T; t++) {
        const r = lapicqueStep(Float32Array.from(flat(c.input[t])), s, p);
        s = r.state;
        mems.push(...s.mem);
        spks.push(...r.spk);
      }
      expectTrace(mems, spks, c);
      const q = lapicqueSequence(Tensor.from(flat(c.input), [T, B, H]), { ...p, steps: T, constInput: false, surrogate: atan() });
      expectTrace(q.mem.data, q.spk.data, c);
    });
  }

  for (const c of of('Alpha')) {
    const [T, B, H] = dims(c);
    it(`Alpha (${c.reset_mechanism}): step function and fused sequence`, () => {
      let s = alphaInitState(B * H);
      const mems: number[] = [];
      const spks: number[] = [];
      for (let t = 0; t < T; t++) {
        const r = alphaStep(Float32Array.from(flat(c.input[t])), s, {
          alpha: c.alpha,
          beta: c.beta,
          threshold: c.threshold,
          reset: c.reset_mechanism,
        });
        s = r.state;
        mems.push(...s.mem);
        spks.push(...r.spk);
      }
      expectTrace(mems, spks, c);
      const q = alphaSequence(Tensor.from(flat(c.input), [T, B, H]), {
        steps: T,
        constInput: false,
        alpha: c.alpha,
        beta: c.beta,
        threshold: c.threshold,
        reset: c.reset_mechanism,
        surrogate: atan(),
      });
      expectTrace(q.mem.data, q.spk.data, c);
      expect(q.spikes).toBeGreaterThan(0);
    });
  }

  for (const c of of('RLeaky')) {
    const [T, B, H] = dims(c);
    const weight = transposeTorch(c.recurrent_weight);
    const bias = Float32Array.from(c.recurrent_bias);
    it('RLeaky (all-to-all, with bias): step function and fused sequence', () => {
      let s = rleakyInitState(B * H);
      const mems: number[] = [];
      const spks: number[] = [];
      for (let t = 0; t < T; t++) {
        const r = rleakyStep(Float32Array.from(flat(c.input[t])), s, {
          beta: c.beta,
          threshold: c.threshold,
          reset: c.reset_mechanism,
          weight,
          bias,
        });
        s = r.state;
        mems.push(...s.mem);
        spks.push(...r.spk);
      }
      expectTrace(mems, spks, c);
      const q = rleakySequence(Tensor.from(flat(c.input), [T, B, H]), {
        steps: T,
        constInput: false,
        beta: c.beta,
        threshold: c.threshold,
        reset: c.reset_mechanism,
        surrogate: atan(),
        weight: new Tensor(weight, [H, H]),
        bias: new Tensor(bias, [H]),
      });
      expectTrace(q.mem.data, q.spk.data, c);
      expect(q.spikes).toBeGreaterThan(0);
    });
    it('RSynaptic with alpha = 0 reduces to RLeaky (syn[t] = I[t] + S[t-1] V + b)', () => {
      const q = rsynapticSequence(Tensor.from(flat(c.input), [T, B, H]), {
        steps: T,
        constInput: false,
        alpha: 0,
        beta: c.beta,
        threshold: c.threshold,
        reset: c.reset_mechanism,
        surrogate: atan(),
        weight: new Tensor(weight, [H, H]),
        bias: new Tensor(bias, [H]),
      });
      expectTrace(q.mem.data, q.spk.data, c);
    });
  }
});
