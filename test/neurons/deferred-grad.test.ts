import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { Rng } from '../../src/core/rng.js';
import { backward } from '../../src/core/autograd.js';
import { linear } from '../../src/ops/index.js';
import { leakySequence } from '../../src/neurons/leaky.js';
import { atan } from '../../src/surrogate/index.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { ResetCode, SurrogateCode } from '../../src/kernels/types.js';
import { bothKernels, wasmBuilds } from '../helpers/kernels.js';

const rng = new Rng(21);
const randf = (n: number) => Float32Array.from({ length: n }, () => rng.normal());

/** Equal up to float32 rounding of sums of a few dozen terms (relative to the array's scale). */
function expectClose(a: Float32Array, b: Float32Array, rel = 1e-5): void {
  expect(a.length).toBe(b.length);
  let scale = 1e-6;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i] - b[i]) <= rel * scale)) expect.fail(`element ${i}: ${a[i]} vs ${b[i]}`);
}

describe('Leaky -> Linear: the spike gradient g W^T is formed inside the Leaky backward kernel', () => {
  for (const [name, k] of [['reference', referenceKernels] as const, ...wasmBuilds()]) {
    // H = 7: tiles of many samples (segments of 7: 4-wide and scalar lanes); H = 37 with 10 outputs;
    // H = 1030: tiles inside one sample (16-wide passes)
    for (const [T, B, H, o] of [
      [5, 3, 7, 4],
      [3, 2, 37, 10],
      [2, 2, 1030, 3],
    ]) {
      it(`T=${T} B=${B} H=${H} o=${o}: leakyBackward with gradSpkFrom equals leakyBackward with gradSpk (+)= g W^T formed first (${name})`, () => {
        const N = B * H;
        const input = randf(T * N).map((v) => v + 0.6);
        const args = {
          T,
          N,
          H,
          input,
          constInput: false,
          beta: Float32Array.from({ length: H }, () => 0.8),
          threshold: 1,
          reset: ResetCode.Subtract,
        };
        const { spk } = k.leakyForward(args, false);
        const g = randf(T * B * o),
          w = randf(H * o);
        for (const extra of [null, randf(T * N)]) {
          // the product in float64, rounded once: the kernel's float32 sums differ from it by rounding only
          const gs = extra ? extra.slice() : new Float32Array(T * N);
          for (let r = 0; r < T * B; r++) {
            for (let h = 0; h < H; h++) {
              let acc = gs[r * H + h];
              for (let q = 0; q < o; q++) acc += g[r * o + q] * w[h * o + q];
              gs[r * H + h] = acc;
            }
          }
          const sur = { surrogate: SurrogateCode.Atan, surrogateParam: 2, gradMem: null, mem: null, spk };
          const a = k.leakyBackward({ ...args, ...sur, gradSpk: gs });
          const before = extra ? Array.from(extra) : null;
          const b = k.leakyBackward({ ...args, ...sur, gradSpk: extra, gradSpkFrom: { g, w, o } });
          expectClose(b.gradInput, a.gradInput);
          expectClose(b.gradBeta, a.gradBeta);
          if (extra) expect(Array.from(extra)).toEqual(before); // the caller's gradSpk is not written
        }
        expect(() =>
          k.leakyBackward({
            ...args,
            spk,
            mem: null,
            gradSpk: null,
            gradMem: null,
            surrogate: SurrogateCode.Atan,
            surrogateParam: 2,
            gradSpkFrom: { g: g.subarray(1), w, o },
          }),
        ).toThrow(/gradSpkFrom.g/);
      });
    }
  }

  for (const [name, k] of bothKernels) {
    it(`through autograd: the spikes' gradient is taken by the Leaky node, and the input, beta and weight gradients equal the explicit path (${name})`, () => {
      const T = 4,
        B = 2,
        H = 6,
        o = 3;
      const w = new Tensor(randf(H * o), [H, o], { requiresGrad: true });
      const seed = randf(T * B * o);
      const run = (defer: boolean) => {
        const x = new Tensor(Float32Array.from(xData), [T, B, H], { requiresGrad: true });
        const beta = new Tensor(
          Float32Array.from({ length: H }, () => 0.7),
          [H],
          { requiresGrad: true },
        );
        w.grad = null;
        const { spk, offer } = leakySequence(x, {
          steps: T,
          constInput: false,
          beta,
          threshold: 1,
          reset: 'subtract',
          surrogate: atan(),
          kernels: k,
          keepMem: false,
        });
        expect(offer).toBeTypeOf('function');
        backward(linear(spk, w, null, k, { inputGrad: defer ? offer : undefined }), seed);
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
