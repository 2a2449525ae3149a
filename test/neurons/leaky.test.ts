import { describe, expect, it } from 'vitest';
import { loadFixture, flat, maxAbsDiff } from '../helpers/fixtures.js';
import { bothKernels } from '../helpers/kernels.js';
import { leakyStep, leakyInitState, leakySequence, type ResetMechanism } from '../../src/neurons/leaky.js';
import { Tensor } from '../../src/core/tensor.js';
import { atan } from '../../src/surrogate/index.js';

const cases = loadFixture('neurons').cases.filter((c: any) => c.model === 'Leaky');

describe('Leaky matches snnTorch 0.9.4 (neurons.json)', () => {
  it('has the six Leaky cases', () => expect(cases.length).toBe(6));
  for (const c of cases) {
    const [T, B, H] = [c.input.length, c.input[0].length, c.input[0][0].length];
    const beta = typeof c.beta === 'number' ? c.beta : Float32Array.from(c.beta);
    const name = `${c.reset_mechanism}, ${typeof c.beta === 'number' ? 'scalar' : 'per-neuron'} beta`;
    it(`leakyStep: ${name}`, () => {
      let state = leakyInitState(B * H);
      for (let t = 0; t < T; t++) {
        const r = leakyStep(Float32Array.from(flat(c.input[t])), state, {
          beta,
          threshold: c.threshold,
          reset: c.reset_mechanism as ResetMechanism,
        });
        state = r.state;
        expect(maxAbsDiff(r.state.mem, flat(c.mem[t]))).toBeLessThan(1e-5);
        expect(Array.from(r.spk)).toEqual(flat(c.spk[t]));
      }
    });
    for (const [kname, kernels] of bothKernels) {
      it(`fused leakySequence (${kname}): ${name}`, () => {
        const betaT = new Tensor(typeof beta === 'number' ? new Float32Array(H).fill(beta) : beta, [H]);
        const { spk, mem } = leakySequence(Tensor.from(flat(c.input), [T, B, H]), {
          steps: T,
          constInput: false,
          beta: betaT,
          threshold: c.threshold,
          reset: c.reset_mechanism,
          surrogate: atan(),
          kernels,
        });
        expect(maxAbsDiff(mem.data, flat(c.mem))).toBeLessThan(1e-5);
        expect(Array.from(spk.data)).toEqual(flat(c.spk));
      });
    }
  }
});

describe('Leaky from the theory', () => {
  it('constant input is integrated geometrically and fires at the analytic step', () => {
    // V[t] = sum_{k<t} beta^k * I = I (1 - beta^t) / (1 - beta); first crossing of threshold 1 with I = 0.2, beta = 0.9:
    // 0.2 (1 - 0.9^t)/0.1 > 1  <=>  0.9^t < 0.5  <=>  t > 6.58  -> first spike at step index 6 (t = 7).
    let s = leakyInitState(1);
    const spikes: number[] = [];
    for (let t = 0; t < 10; t++) {
      const r = leakyStep(Float32Array.of(0.2), s, { beta: 0.9, threshold: 1, reset: 'subtract' });
      spikes.push(r.spk[0]);
      s = r.state;
    }
    expect(spikes.indexOf(1)).toBe(6);
  });

  it('constant-input mode equals repeating the input at every step', () => {
    for (const [, kernels] of bothKernels) {
      const x = Float32Array.from({ length: 12 }, (_, i) => 0.1 + 0.07 * i);
      const rep = new Float32Array(5 * 12);
      for (let t = 0; t < 5; t++) rep.set(x, t * 12);
      const o = {
        steps: 5,
        beta: new Tensor(new Float32Array(4).fill(0.8), [4]),
        threshold: 1,
        reset: 'zero' as const,
        surrogate: atan(),
        kernels,
      };
      const a = leakySequence(new Tensor(x, [3, 4]), { ...o, constInput: true });
      const b = leakySequence(new Tensor(rep, [5, 3, 4]), { ...o, constInput: false });
      expect(Array.from(a.mem.data)).toEqual(Array.from(b.mem.data));
      expect(Array.from(a.spk.data)).toEqual(Array.from(b.spk.data));
    }
  });

  it('rejects beta outside [0, 1] and mismatched sizes with clear errors', () => {
    const k = bothKernels[0][1];
    const x = Tensor.zeros([2, 1, 3]);
    expect(() =>
      leakySequence(x, {
        steps: 2,
        constInput: false,
        beta: Tensor.from([0.5, 1.5, 0.5]),
        threshold: 1,
        reset: 'subtract',
        surrogate: atan(),
        kernels: k,
      }),
    ).toThrow(/beta\[1\] = 1.5/);
    expect(() =>
      leakySequence(x, {
        steps: 2,
        constInput: false,
        beta: Tensor.from([0.5]),
        threshold: 1,
        reset: 'subtract',
        surrogate: atan(),
        kernels: k,
      }),
    ).toThrow(/beta has 1 values/);
  });
});
