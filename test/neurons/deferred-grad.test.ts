import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { Rng } from '../../src/core/rng.js';
import { backward } from '../../src/core/autograd.js';
import { linear } from '../../src/core/ops.js';
import { leakySequence } from '../../src/neurons/leaky.js';
import { atan } from '../../src/surrogate/index.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { ResetCode, SurrogateCode } from '../../src/kernels/types.js';
import { bothKernels, wasmBuilds } from '../helpers/kernels.js';

const rng = new Rng(21);
const randf = (n: number) => Float32Array.from({ length: n }, () => rng.normal());

describe('Leaky -> Linear: the spike gradient g W^T is formed inside the Leaky backward kernel', () => {
  for (const [name, k] of [['reference', referenceKernels] as const, ...wasmBuilds()]) {
    it(`leakyBackward with gradSpkFrom equals leakyBackward with gradSpk (+)= g W^T formed first, bit for bit (${name})`, () => {
      const T = 5, B = 3, H = 7, o = 4, N = B * H;
      const input = randf(T * N).map((v) => v + 0.6);
      const args = { T, N, H, input, constInput: false, beta: Float32Array.from({ length: H }, () => 0.8), threshold: 1, reset: ResetCode.Subtract };
      const { spk } = k.leakyForward(args, false);
      const g = randf(T * B * o), w = randf(H * o);
      for (const extra of [null, randf(T * N)]) {
        const gs = extra ? extra.slice() : new Float32Array(T * N);
        k.matmul(g, w, gs, T * B, o, H, false, true, extra !== null);
        const sur = { surrogate: SurrogateCode.Atan, surrogateParam: 2, gradMem: null, mem: null, spk };
        const a = k.leakyBackward({ ...args, ...sur, gradSpk: gs });
        const before = extra ? Array.from(extra) : null;
        const b = k.leakyBackward({ ...args, ...sur, gradSpk: extra, gradSpkFrom: { g, w, o } });
        expect(Array.from(b.gradInput)).toEqual(Array.from(a.gradInput));
        expect(Array.from(b.gradBeta)).toEqual(Array.from(a.gradBeta));
        if (extra) expect(Array.from(extra)).toEqual(before); // the caller's gradSpk is not written
      }
      expect(() => k.leakyBackward({ ...args, spk, mem: null, gradSpk: null, gradMem: null, surrogate: SurrogateCode.Atan, surrogateParam: 2, gradSpkFrom: { g: g.subarray(1), w, o } })).toThrow(/gradSpkFrom.g/);
    });
  }

  for (const [name, k] of bothKernels) {
    it(`through autograd: the spikes' gradient is taken by the Leaky node, and the input, beta and weight gradients equal the explicit path (${name})`, () => {
      const T = 4, B = 2, H = 6, o = 3;
      const w = new Tensor(randf(H * o), [H, o], { requiresGrad: true });
      const seed = randf(T * B * o);
      const run = (defer: boolean) => {
        const x = new Tensor(Float32Array.from(xData), [T, B, H], { requiresGrad: true });
        const beta = new Tensor(Float32Array.from({ length: H }, () => 0.7), [H], { requiresGrad: true });
        w.grad = null;
        const { spk } = leakySequence(x, { steps: T, constInput: false, beta, threshold: 1, reset: 'subtract', surrogate: atan(), kernels: k, keepMem: false });
        if (!defer) spk.deferGrad = null;
        backward(linear(spk, w, null, k), seed);
        return { spkGrad: spk.grad, gx: Array.from(x.grad!), gb: Array.from(beta.grad!), gw: Array.from(w.grad!) };
      };
      const xData = randf(T * B * H).map((v) => v + 0.7);
      const a = run(true);
      const b = run(false);
      expect(a.spkGrad).toBeNull(); // taken by the Leaky node: no [T, B, H] spike gradient in JavaScript
      expect(b.spkGrad).not.toBeNull();
      expect(a.gx).toEqual(b.gx);
      expect(a.gb).toEqual(b.gb);
      expect(a.gw).toEqual(b.gw);
    });
  }
});
