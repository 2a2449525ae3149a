import { describe, expect, it } from 'vitest';
import { referenceKernels as ref } from '../../src/kernels/reference.js';
import { createWasmKernelsSync } from '../../src/kernels/wasm.js';
import { ResetCode, SurrogateCode } from '../../src/kernels/types.js';
import { Rng } from '../../src/core/rng.js';
import { ShapeError } from '../../src/core/errors.js';

const wasm = createWasmKernelsSync();
const rng = new Rng(42);
const randf = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
const spikes = (n: number, p: number) => Uint8Array.from({ length: n }, () => (rng.uniform() < p ? 1 : 0));

function expectClose(a: Float32Array, b: Float32Array, rel = 1e-5): void {
  expect(a.length).toBe(b.length);
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < a.length; i++) {
    if (Math.abs(a[i] - b[i]) > rel * scale) expect.fail(`element ${i}: ${a[i]} vs ${b[i]}`);
  }
}

const sizes = [[1, 1, 1], [3, 5, 7], [4, 8, 8], [5, 17, 9], [7, 3, 33], [17, 33, 130], [130, 7, 17], [64, 96, 40], [2, 130, 1]];

describe('WASM kernels equal the TypeScript reference', () => {
  for (const [m, k, n] of sizes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const acc of [false, true]) {
          it(`matmul ${m}x${k}x${n} transA=${transA} transB=${transB} accumulate=${acc}`, () => {
            const a = randf(m * k), b = randf(k * n), c0 = randf(m * n);
            const c1 = c0.slice(), c2 = c0.slice();
            ref.matmul(a, b, c1, m, k, n, transA, transB, acc);
            wasm.matmul(a, b, c2, m, k, n, transA, transB, acc);
            expectClose(c2, c1);
          });
        }
      }
    }
    for (const p of [0, 0.13, 0.5, 1]) {
      it(`spikeMatmul and its weight gradient ${m}x${k}x${n}, density ${p}`, () => {
        const s = spikes(m * k, p), w = randf(k * n), c0 = randf(m * n);
        for (const acc of [false, true]) {
          const c1 = c0.slice(), c2 = c0.slice();
          ref.spikeMatmul(s, w, c1, m, k, n, acc);
          wasm.spikeMatmul(s, w, c2, m, k, n, acc);
          expectClose(c2, c1);
        }
        const g = randf(m * n), dw0 = randf(k * n);
        const d1 = dw0.slice(), d2 = dw0.slice();
        ref.spikeMatmulGradW(s, g, d1, m, k, n);
        wasm.spikeMatmulGradW(s, g, d2, m, k, n);
        expectClose(d2, d1);
        // and the spike-driven product equals the dense product of the same 0/1 matrix
        const dense = new Float32Array(m * n);
        ref.matmul(Float32Array.from(s), w, dense, m, k, n, false, false, false);
        const sp = new Float32Array(m * n);
        wasm.spikeMatmul(s, w, sp, m, k, n, false);
        expectClose(sp, dense);
      });
    }
    it(`sumRows and addBias ${m}x${n}`, () => {
      const x = randf(m * n), b = randf(n);
      for (const acc of [false, true]) {
        const o1 = randf(n), o2 = o1.slice();
        ref.sumRows(x, o1, m, n, acc);
        wasm.sumRows(x, o2, m, n, acc);
        expectClose(o2, o1);
      }
      const c1 = x.slice(), c2 = x.slice();
      ref.addBias(c1, b, m, n);
      wasm.addBias(c2, b, m, n);
      expectClose(c2, c1);
    });
  }

  for (const reset of [ResetCode.Subtract, ResetCode.Zero, ResetCode.None]) {
    for (const surrogate of [SurrogateCode.Atan, SurrogateCode.FastSigmoid, SurrogateCode.Sigmoid]) {
      for (const constInput of [false, true]) {
        it(`leaky forward/backward reset=${reset} surrogate=${surrogate} constInput=${constInput}`, () => {
          const T = 9, B = 3, H = 7, N = B * H;
          const input = Float32Array.from({ length: constInput ? N : T * N }, () => rng.normal() * 0.8 + 0.3);
          const beta = Float32Array.from({ length: H }, () => 0.5 + 0.5 * rng.uniform());
          const args = { T, N, H, input, constInput, beta, threshold: 0.9, reset };
          const f1 = ref.leakyForward(args), f2 = wasm.leakyForward(args);
          expect(Array.from(f2.spk)).toEqual(Array.from(f1.spk));
          expectClose(f2.mem!, f1.mem!);
          expect(f1.spk.some((v) => v === 1)).toBe(true);
          const total = f1.spk.reduce((s, v) => s + v, 0);
          expect(f1.count).toBe(total);
          expect(f2.count).toBe(total);
          expect(wasm.leakyForward(args, false).mem).toBeNull();
          for (const [gs, gm] of [[randf(T * N), randf(T * N)], [null, randf(T * N)], [randf(T * N), null], [null, null]] as const) {
            const bargs = { ...args, ...f1, gradSpk: gs, gradMem: gm, surrogate, surrogateParam: surrogate === SurrogateCode.Atan ? 2 : 5 };
            const b1 = ref.leakyBackward(bargs), b2 = wasm.leakyBackward(bargs);
            expectClose(b2.gradInput, b1.gradInput, 1e-5);
            expectClose(b2.gradBeta, b1.gradBeta, 1e-5);
            // without the stored membrane both recompute it from the input and agree
            for (const k of [ref, wasm]) {
              const b3 = k.leakyBackward({ ...bargs, mem: null });
              expectClose(b3.gradInput, b1.gradInput, 1e-5);
              expectClose(b3.gradBeta, b1.gradBeta, 1e-5);
            }
          }
        });
      }
    }
  }
});

describe('leaky kernel from hand-computed cases (beta 0.5, threshold 1, inputs 0.8, 0.9, 0.2)', () => {
  // step 1: V = 0.8 (no spike). step 2: V = 0.4 + 0.9 = 1.3 -> spike. step 3 (reset from step 2's spike):
  //   subtract: 0.65 + 0.2 - 1 = -0.15;  zero: 0 + 0.2 = 0.2;  none: 0.65 + 0.2 = 0.85
  const expected: Array<[ResetCode, number]> = [[ResetCode.Subtract, -0.15], [ResetCode.Zero, 0.2], [ResetCode.None, 0.85]];
  for (const [reset, v3] of expected) {
    for (const k of [ref, wasm]) {
      it(`reset ${reset} (${k.name})`, () => {
        const r = k.leakyForward({ T: 3, N: 1, H: 1, input: Float32Array.of(0.8, 0.9, 0.2), constInput: false, beta: Float32Array.of(0.5), threshold: 1, reset });
        expect(Array.from(r.spk)).toEqual([0, 1, 0]);
        const mem = r.mem!;
        expect(mem[0]).toBeCloseTo(0.8, 6);
        expect(mem[1]).toBeCloseTo(1.3, 6);
        expect(mem[2]).toBeCloseTo(v3, 6);
        // dV3/dI1 through the membrane only: subtract/none 0.25; zero: the reset cuts the path -> 0
        const b = k.leakyBackward({ T: 3, N: 1, H: 1, input: Float32Array.of(0.8, 0.9, 0.2), constInput: false, beta: Float32Array.of(0.5), threshold: 1, reset, spk: r.spk, mem: r.mem, gradSpk: null, gradMem: Float32Array.of(0, 0, 1), surrogate: SurrogateCode.Atan, surrogateParam: 2 });
        expect(b.gradInput[0]).toBeCloseTo(reset === ResetCode.Zero ? 0 : 0.25, 6);
        expect(b.gradInput[2]).toBeCloseTo(1, 6);
      });
    }
  }
});

describe('kernel argument checks', () => {
  for (const k of [ref, wasm]) {
    it(`${k.name}: wrong lengths are ShapeErrors naming the operand`, () => {
      expect(() => k.matmul(new Float32Array(5), new Float32Array(6), new Float32Array(4), 2, 3, 2, false, false, false)).toThrow(ShapeError);
      expect(() => k.matmul(new Float32Array(5), new Float32Array(6), new Float32Array(4), 2, 3, 2, false, false, false)).toThrow(/A has 5 elements, expected 6/);
      expect(() => k.leakyForward({ T: 2, N: 4, H: 3, input: new Float32Array(8), constInput: false, beta: new Float32Array(3), threshold: 1, reset: ResetCode.Zero })).toThrow(/not a multiple/);
    });
  }
});
