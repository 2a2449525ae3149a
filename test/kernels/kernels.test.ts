import { describe, expect, it } from 'vitest';
import { referenceKernels as ref } from '../../src/kernels/reference.js';
import { createWasmKernels, createWasmKernelsSync } from '../../src/kernels/wasm.js';
import { ResetCode, SurrogateCode, type LeakyBackwardArgs, type LeakyScanArgs } from '../../src/kernels/types.js';
import { Rng } from '../../src/core/rng.js';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import { wasmBuilds } from '../helpers/kernels.js';
import { relaxedSimdSupported } from '../../src/kernels/wasm.js';

const wasm = createWasmKernelsSync();
/** the plain-SIMD and the relaxed-SIMD (fused multiply-add) builds: they differ in the multiply-add kernels */
const builds = wasmBuilds();
const rng = new Rng(42);
const randf = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
const spikes = (n: number, p: number) => Uint8Array.from({ length: n }, () => (rng.uniform() < p ? 1 : 0));

/** |a - b| <= rel * max(1, max |b|) elementwise. */
function expectClose(a: Float32Array, b: Float32Array, rel = 1e-5): void {
  expect(a.length).toBe(b.length);
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i] - b[i]) <= rel * scale)) expect.fail(`element ${i}: ${a[i]} vs ${b[i]} (scale ${scale})`);
  }
}

/** Bit-for-bit equality (the spike, row and LIF-forward kernels add in the reference's order). */
function expectSame(a: ArrayLike<number>, b: ArrayLike<number>): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i] + 0, b[i] + 0)) expect.fail(`element ${i}: ${a[i]} vs ${b[i]}`);
  }
}

// [m, k, n]: small odd sizes for every tail path, and sizes past the WASM blocking (GEMM: 128 rows,
// 512 k; spikeMatmul: 256 rows, 256 k; spikeMatmulGradW: 256 rows; panels of 16 columns).
const small = [
  [1, 1, 1],
  [3, 5, 7],
  [4, 8, 8],
  [5, 17, 9],
  [7, 3, 33],
  [17, 33, 130],
  [130, 7, 17],
  [2, 130, 1],
  [33, 1, 5],
];
const large = [
  [131, 530, 37],
  [260, 20, 64],
  [9, 1030, 19],
];
const spikeLarge = [
  [300, 300, 47],
  [520, 70, 10],
  [260, 513, 33],
  [3, 600, 16],
  [130, 40, 64],
  [20, 50, 24],
];

describe('WASM matmul equals the reference', () => {
  for (const [m, k, n] of [...small, ...large]) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`${m}x${k}x${n} transA=${transA} transB=${transB}`, () => {
          const a = randf(m * k),
            b = randf(k * n),
            c0 = randf(m * n);
          for (const acc of [false, true]) {
            const c1 = c0.slice();
            ref.matmul(a, b, c1, m, k, n, transA, transB, acc);
            for (const [, build] of builds) {
              const c2 = c0.slice();
              build.matmul(a, b, c2, m, k, n, transA, transB, acc);
              expectClose(c2, c1);
            }
          }
        });
      }
    }
  }
  it('k = 0 gives zeros (or leaves C when accumulating); m = 0 and n = 0 are no-ops', () => {
    for (const k of [wasm, ref]) {
      const c = Float32Array.of(1, 2, 3, 4);
      k.matmul(new Float32Array(0), new Float32Array(0), c, 2, 0, 2, false, false, true);
      expectSame(c, [1, 2, 3, 4]);
      k.matmul(new Float32Array(0), new Float32Array(0), c, 2, 0, 2, false, false, false);
      expectSame(c, [0, 0, 0, 0]);
      k.matmul(new Float32Array(0), new Float32Array(6), new Float32Array(0), 0, 3, 2, true, true, false);
    }
  });
});

describe('WASM matmul on mostly-zero analog input (the sparse path) equals the reference', () => {
  // inputs with 60-95% exact zeros, like image pixels, take the sparse-input kernel inside matmul
  for (const [m, k, n] of [
    [5, 17, 16],
    [33, 64, 40],
    [128, 96, 35],
    [7, 130, 17],
    [64, 50, 1000],
  ]) {
    for (const zeros of [0.65, 0.8, 0.95]) {
      for (const transA of [false, true]) {
        for (const acc of [false, true]) {
          it(`${m}x${k}x${n}, ${zeros * 100}% zeros, transA=${transA}, accumulate=${acc}`, () => {
            const a = Float32Array.from({ length: m * k }, () => (rng.uniform() < zeros ? 0 : rng.uniform()));
            const b = randf(k * n),
              c0 = randf(m * n);
            const c1 = c0.slice(),
              c2 = c0.slice();
            ref.matmul(a, b, c1, m, k, n, transA, false, acc);
            wasm.matmul(a, b, c2, m, k, n, transA, false, acc);
            expectClose(c2, c1);
          });
        }
      }
    }
  }
});

describe('WASM spike kernels equal the reference bit for bit', () => {
  for (const [m, k, n] of [...small, ...spikeLarge]) {
    for (const p of [0, 0.05, 0.13, 0.5, 1]) {
      it(`spikeMatmul and spikeMatmulGradW ${m}x${k}x${n}, density ${p}`, () => {
        const s = spikes(m * k, p),
          w = randf(k * n),
          c0 = randf(m * n);
        for (const acc of [false, true]) {
          const c1 = c0.slice(),
            c2 = c0.slice();
          ref.spikeMatmul(s, w, c1, m, k, n, acc);
          wasm.spikeMatmul(s, w, c2, m, k, n, acc);
          expectSame(c2, c1);
        }
        const g = randf(m * n),
          dw0 = randf(k * n);
        const d1 = dw0.slice(),
          d2 = dw0.slice();
        ref.spikeMatmulGradW(s, g, d1, m, k, n);
        wasm.spikeMatmulGradW(s, g, d2, m, k, n);
        expectSame(d2, d1);
        // and they equal the dense products with the same 0/1 matrix
        const dense = new Float32Array(m * n);
        wasm.matmul(Float32Array.from(s), w, dense, m, k, n, false, false, false);
        const sp = new Float32Array(m * n);
        wasm.spikeMatmul(s, w, sp, m, k, n, false);
        expectClose(sp, dense);
        const dwDense = dw0.slice();
        wasm.matmul(Float32Array.from(s), g, dwDense, k, m, n, true, false, true);
        expectClose(d2, dwDense);
      });
    }
  }
  it('any nonzero byte counts as one spike (as in the reference)', () => {
    const s = Uint8Array.of(0, 2, 255, 1),
      w = randf(4 * 3);
    const c1 = new Float32Array(3),
      c2 = new Float32Array(3);
    ref.spikeMatmul(s, w, c1, 1, 4, 3, false);
    wasm.spikeMatmul(s, w, c2, 1, 4, 3, false);
    expectSame(c2, c1);
  });
});

describe('WASM sumRows and addBias equal the reference bit for bit', () => {
  for (const [m, , n] of [...small, [300, 0, 1000], [5, 0, 16], [0, 0, 7]]) {
    it(`${m}x${n}`, () => {
      const x = randf(m * n),
        b = randf(n);
      for (const acc of [false, true]) {
        const o1 = randf(n),
          o2 = o1.slice();
        ref.sumRows(x, o1, m, n, acc);
        wasm.sumRows(x, o2, m, n, acc);
        expectSame(o2, o1);
      }
      const c1 = x.slice(),
        c2 = x.slice();
      ref.addBias(c1, b, m, n);
      wasm.addBias(c2, b, m, n);
      expectSame(c2, c1);
    });
  }
});

const SURROGATE_PARAM = { [SurrogateCode.Atan]: 2, [SurrogateCode.FastSigmoid]: 25, [SurrogateCode.Sigmoid]: 5 };
const gradCases = (TN: number) =>
  [
    [randf(TN), randf(TN)],
    [null, randf(TN)],
    [randf(TN), null],
    [null, null],
  ] as const;

describe('WASM leaky scan equals the reference', () => {
  // H = 7: not a multiple of 4, tiles of whole samples; H = 1030: tiles inside a sample; H = 5 with
  // 300 samples: several tiles of whole samples.
  const shapes = [
    [9, 3, 7],
    [4, 2, 1030],
    [3, 300, 5],
    [1, 1, 1],
  ];
  for (const [T, B, H] of shapes) {
    for (const reset of [ResetCode.Subtract, ResetCode.Zero, ResetCode.None]) {
      for (const constInput of [false, true]) {
        it(`T=${T} B=${B} H=${H} reset=${reset} constInput=${constInput}`, () => {
          const N = B * H;
          const input = Float32Array.from({ length: constInput ? N : T * N }, () => rng.normal() * 0.8 + 0.3);
          const beta = Float32Array.from({ length: H }, () => rng.uniform());
          const args: LeakyScanArgs = { T, N, H, input, constInput, beta, threshold: 0.9, reset };
          const f1 = ref.leakyForward(args),
            f2 = wasm.leakyForward(args);
          expectSame(f2.spk, f1.spk);
          expectSame(f2.mem!, f1.mem!); // same float32 operations in the same order
          const total = f1.spk.reduce((s, v) => s + v, 0);
          if (T * N > 20) expect(total).toBeGreaterThan(0);
          expect(f1.count).toBe(total);
          expect(f2.count).toBe(total);
          for (const k of [ref, wasm]) {
            const noMem = k.leakyForward(args, false);
            expect(noMem.mem).toBeNull();
            expectSame(noMem.spk, f1.spk);
          }
          for (const surrogate of [SurrogateCode.Atan, SurrogateCode.FastSigmoid, SurrogateCode.Sigmoid]) {
            for (const [gradSpk, gradMem] of gradCases(T * N)) {
              const bargs: LeakyBackwardArgs = {
                ...args,
                spk: f1.spk,
                mem: f1.mem,
                gradSpk,
                gradMem,
                surrogate,
                surrogateParam: SURROGATE_PARAM[surrogate],
              };
              const b1 = ref.leakyBackward(bargs),
                b2 = wasm.leakyBackward(bargs);
              expect(b1.gradInput.length).toBe(constInput ? N : T * N);
              expectClose(b2.gradInput, b1.gradInput);
              expectClose(b2.gradBeta, b1.gradBeta);
              if (!gradSpk && !gradMem) expectSame(b2.gradInput, new Float32Array(b2.gradInput.length));
              // without the stored membrane both recompute it from the input and agree; the WASM kernel
              // recomputes it tile by tile into scratch, with the forward's operations: bit for bit
              for (const k of [ref, wasm]) {
                const b3 = k.leakyBackward({ ...bargs, mem: null });
                expectClose(b3.gradInput, b1.gradInput);
                expectClose(b3.gradBeta, b1.gradBeta);
                if (k === wasm) {
                  expectSame(b3.gradInput, b2.gradInput);
                  expectSame(b3.gradBeta, b2.gradBeta);
                }
              }
            }
          }
        });
      }
    }
  }
});

describe('reference leakyBackward matches finite differences (membrane path, gradSpk = null)', () => {
  // With gradSpk null, L = sum(gradMem * mem) is piecewise linear in the inputs (polynomial in beta)
  // between spike flips: central differences whose perturbed runs flip no spike must match.
  for (const reset of [ResetCode.Subtract, ResetCode.Zero, ResetCode.None]) {
    for (const constInput of [false, true]) {
      it(`reset=${reset} constInput=${constInput}`, () => {
        const T = 6,
          B = 2,
          H = 3,
          N = B * H;
        const beta = Float32Array.of(0.3, 0.8, 0.95);
        const input = Float32Array.from({ length: constInput ? N : T * N }, () => 0.2 + 0.5 * rng.uniform());
        const gradMem = randf(T * N);
        const base: LeakyScanArgs = { T, N, H, input, constInput, beta, threshold: 1, reset };
        const f = ref.leakyForward(base);
        expect(f.count).toBeGreaterThan(0); // the reset path is exercised
        const g = ref.leakyBackward({
          ...base,
          spk: f.spk,
          mem: f.mem,
          gradSpk: null,
          gradMem,
          surrogate: SurrogateCode.Atan,
          surrogateParam: 2,
        });
        const loss = (a: LeakyScanArgs): { l: number; spk: Uint8Array } => {
          const r = ref.leakyForward(a);
          let l = 0;
          for (let i = 0; i < T * N; i++) l += gradMem[i] * r.mem![i];
          return { l, spk: r.spk };
        };
        const fd = (perturb: (a: LeakyScanArgs, d: number) => LeakyScanArgs, eps: number): number | null => {
          const p = loss(perturb(base, eps)),
            m = loss(perturb(base, -eps));
          for (let i = 0; i < T * N; i++) if (p.spk[i] !== f.spk[i] || m.spk[i] !== f.spk[i]) return null;
          return (p.l - m.l) / (2 * eps);
        };
        let checked = 0;
        for (let i = 0; i < input.length; i++) {
          const d = fd((a, e) => ({ ...a, input: a.input.map((v, j) => (j === i ? v + e : v)) }), 2e-3);
          if (d === null) continue;
          checked++;
          expect(Math.abs(d - g.gradInput[i])).toBeLessThan(2e-3 * Math.max(1, Math.abs(d)));
        }
        expect(checked).toBeGreaterThan(input.length * 0.7);
        for (let h = 0; h < H; h++) {
          const d = fd((a, e) => ({ ...a, beta: a.beta.map((v, j) => (j === h ? v + e : v)) }), 2e-3);
          if (d === null) continue;
          expect(Math.abs(d - g.gradBeta[h])).toBeLessThan(2e-3 * Math.max(1, Math.abs(d)));
        }
      });
    }
  }
});

describe('leaky kernel from hand-computed cases (beta 0.5, threshold 1, inputs 0.8, 0.9, 0.2)', () => {
  // step 1: V = 0.8 (no spike). step 2: V = 0.4 + 0.9 = 1.3 -> spike. step 3 (reset from step 2's spike):
  //   subtract: 0.65 + 0.2 - 1 = -0.15;  zero: 0 + 0.2 = 0.2;  none: 0.65 + 0.2 = 0.85 (no spike at 3)
  // Backward with gradMem = (0, 0, 1): g3 = 1, g2 = a3 g3, g1 = a2 g2, a = beta (zero: beta (1 - spk_{t-1})).
  //   subtract/none: gradInput = (0.25, 0.5, 1), gradBeta = g3 V2 + g2 V1 = 1.3 + 0.4 = 1.7
  //   zero: a3 = 0 -> gradInput = (0, 0, 1), gradBeta = 0
  // Backward with gradSpk = (0, 1, 0), atan alpha = 2: g2 = s'(0.3) = 1 / (1 + (0.3 pi)^2), g1 = 0.5 g2
  // (a2 = beta in every mode: no spike at step 1), g3 = 0; gradBeta = g2 V1 = 0.8 g2.
  const sp = 1 / (1 + (0.3 * Math.PI) ** 2);
  const cases: Array<[ResetCode, number, number[], number]> = [
    [ResetCode.Subtract, -0.15, [0.25, 0.5, 1], 1.7],
    [ResetCode.Zero, 0.2, [0, 0, 1], 0],
    [ResetCode.None, 0.85, [0.25, 0.5, 1], 1.7],
  ];
  for (const [reset, v3, gi, gb] of cases) {
    for (const k of [ref, wasm]) {
      it(`reset ${reset} (${k.name})`, () => {
        const args: LeakyScanArgs = {
          T: 3,
          N: 1,
          H: 1,
          input: Float32Array.of(0.8, 0.9, 0.2),
          constInput: false,
          beta: Float32Array.of(0.5),
          threshold: 1,
          reset,
        };
        const r = k.leakyForward(args);
        expect(Array.from(r.spk)).toEqual([0, 1, 0]);
        expect(r.count).toBe(1);
        const mem = r.mem!;
        expect(mem[0]).toBeCloseTo(0.8, 6);
        expect(mem[1]).toBeCloseTo(1.3, 6);
        expect(mem[2]).toBeCloseTo(v3, 6);
        const common = { ...args, spk: r.spk, mem, surrogate: SurrogateCode.Atan, surrogateParam: 2 };
        const b = k.leakyBackward({ ...common, gradSpk: null, gradMem: Float32Array.of(0, 0, 1) });
        for (let t = 0; t < 3; t++) expect(b.gradInput[t]).toBeCloseTo(gi[t], 6);
        expect(b.gradBeta[0]).toBeCloseTo(gb, 5);
        const s = k.leakyBackward({ ...common, gradSpk: Float32Array.of(0, 1, 0), gradMem: null });
        expect(s.gradInput[0]).toBeCloseTo(0.5 * sp, 6);
        expect(s.gradInput[1]).toBeCloseTo(sp, 6);
        expect(s.gradInput[2]).toBeCloseTo(0, 6);
        expect(s.gradBeta[0]).toBeCloseTo(0.8 * sp, 5);
        // constant input: the gradient is the per-step gradient of the same currents, summed over time
        const cf = k.leakyForward({ ...args, input: Float32Array.of(0.8), constInput: true });
        const cb = k.leakyBackward({
          ...common,
          input: Float32Array.of(0.8, 0.8, 0.8),
          spk: cf.spk,
          mem: cf.mem,
          gradSpk: null,
          gradMem: Float32Array.of(0, 0, 1),
        });
        const cc = k.leakyBackward({
          ...common,
          input: Float32Array.of(0.8),
          constInput: true,
          spk: cf.spk,
          mem: cf.mem,
          gradSpk: null,
          gradMem: Float32Array.of(0, 0, 1),
        });
        expect(cc.gradInput.length).toBe(1);
        expect(cc.gradInput[0]).toBeCloseTo(cb.gradInput[0] + cb.gradInput[1] + cb.gradInput[2], 6);
      });
    }
  }
});

describe('fused leakyProject (inference) equals leakyForward followed by spikeMatmul', () => {
  for (const [T, B, H, O] of [
    [5, 3, 7, 10],
    [9, 2, 16, 3],
    [4, 5, 33, 17],
    [25, 2, 130, 1],
  ] as const) {
    for (const reset of [ResetCode.Subtract, ResetCode.Zero, ResetCode.None]) {
      for (const constInput of [false, true]) {
        it(`T=${T} B=${B} H=${H} O=${O} reset=${reset} constInput=${constInput}`, () => {
          const N = B * H;
          const input = Float32Array.from({ length: constInput ? N : T * N }, () => rng.normal() * 0.8 + 0.4);
          const beta = Float32Array.from({ length: H }, () => 0.5 + 0.5 * rng.uniform());
          const args = { T, N, H, input, constInput, beta, threshold: 0.9, reset };
          const w = randf(H * O);
          for (const acc of [false, true]) {
            const base = randf(T * B * O);
            const viaSpikes = base.slice();
            const f = wasm.leakyForward(args, false);
            wasm.spikeMatmul(f.spk, w, viaSpikes, T * B, H, O, acc);
            const fused = base.slice();
            expect(wasm.leakyProject(args, w, O, fused, acc)).toBe(f.count);
            expectSame(fused, viaSpikes);
            const r = base.slice();
            expect(ref.leakyProject(args, w, O, r, acc)).toBe(f.count);
            expectClose(fused, r);
          }
        });
      }
    }
  }
});

describe('kernel argument checks', () => {
  for (const k of [ref, wasm]) {
    it(`${k.name}: wrong lengths are ShapeErrors naming the operand, expected vs found`, () => {
      const f = (n: number) => new Float32Array(n);
      expect(() => k.matmul(f(5), f(6), f(4), 2, 3, 2, false, false, false)).toThrow(ShapeError);
      expect(() => k.matmul(f(5), f(6), f(4), 2, 3, 2, false, false, false)).toThrow(/matmul: A has 5 elements, expected 6/);
      expect(() => k.matmul(f(6), f(7), f(4), 2, 3, 2, true, true, false)).toThrow(/B has 7 elements, expected 6/);
      expect(() => k.matmul(f(6), f(6), f(5), 2, 3, 2, false, false, true)).toThrow(/C has 5 elements, expected 4/);
      expect(() => k.spikeMatmul(new Uint8Array(5), f(6), f(4), 2, 3, 2, false)).toThrow(/spikeMatmul: S has 5 elements, expected 6/);
      expect(() => k.spikeMatmul(new Uint8Array(6), f(5), f(4), 2, 3, 2, false)).toThrow(/W has 5 elements, expected 6/);
      expect(() => k.spikeMatmulGradW(new Uint8Array(6), f(3), f(6), 2, 3, 2)).toThrow(/spikeMatmulGradW: G has 3 elements, expected 4/);
      expect(() => k.spikeMatmulGradW(new Uint8Array(6), f(4), f(5), 2, 3, 2)).toThrow(/dW has 5 elements, expected 6/);
      expect(() => k.sumRows(f(6), f(2), 2, 3, false)).toThrow(/sumRows: out has 2 elements, expected 3/);
      expect(() => k.addBias(f(6), f(4), 2, 3)).toThrow(/addBias: bias has 4 elements, expected 3/);
      const lif: LeakyScanArgs = { T: 2, N: 6, H: 3, input: f(12), constInput: false, beta: f(3), threshold: 1, reset: ResetCode.Zero };
      expect(() => k.leakyForward({ ...lif, N: 4 })).toThrow(/N = 4 is not a multiple of H = 3/);
      expect(() => k.leakyForward({ ...lif, input: f(6) })).toThrow(/leakyForward: input has 6 elements, expected 12/);
      expect(() => k.leakyForward({ ...lif, constInput: true })).toThrow(/input has 12 elements, expected 6/);
      expect(() => k.leakyForward({ ...lif, beta: f(6) })).toThrow(/beta has 6 elements, expected 3/);
      const fw = k.leakyForward(lif);
      const bw: LeakyBackwardArgs = { ...lif, ...fw, gradSpk: null, gradMem: null, surrogate: SurrogateCode.Atan, surrogateParam: 2 };
      expect(() => k.leakyBackward({ ...bw, spk: new Uint8Array(11) })).toThrow(/leakyBackward: spk has 11 elements, expected 12/);
      expect(() => k.leakyBackward({ ...bw, mem: f(13) })).toThrow(/mem has 13 elements, expected 12/);
      expect(() => k.leakyBackward({ ...bw, gradSpk: f(1) })).toThrow(/gradSpk has 1 elements, expected 12/);
      expect(() => k.leakyBackward({ ...bw, gradMem: f(2) })).toThrow(ShapeError);
    });
    it(`${k.name}: invalid values are ValueErrors`, () => {
      const lif: LeakyScanArgs = {
        T: 2,
        N: 3,
        H: 3,
        input: new Float32Array(6),
        constInput: false,
        beta: Float32Array.of(0.5, 1.5, 0),
        threshold: 1,
        reset: ResetCode.Zero,
      };
      expect(() => k.leakyForward(lif)).toThrow(ValueError);
      expect(() => k.leakyForward(lif)).toThrow(/beta\[1\] = 1.5 is outside \[0, 1\]/);
      expect(() => k.leakyForward({ ...lif, beta: Float32Array.of(0.5, NaN, 0) })).toThrow(ValueError);
      const ok = { ...lif, beta: new Float32Array(3) };
      expect(() => k.leakyForward({ ...ok, reset: 7 as ResetCode })).toThrow(/unknown reset code 7/);
      expect(() => k.leakyForward({ ...ok, threshold: Infinity })).toThrow(/threshold must be finite/);
      const fw = k.leakyForward(ok);
      expect(() =>
        k.leakyBackward({ ...ok, ...fw, gradSpk: null, gradMem: null, surrogate: 9 as SurrogateCode, surrogateParam: 1 }),
      ).toThrow(/unknown surrogate code 9/);
      expect(() => k.matmul(new Float32Array(0), new Float32Array(0), new Float32Array(0), -1, 0, 0, false, false, false)).toThrow(
        /m must be a non-negative integer/,
      );
      expect(() => k.sumRows(new Float32Array(3), new Float32Array(3), 1.5, 2, false)).toThrow(ValueError);
    });
  }
});

describe('WASM builds', () => {
  it('this Node runs the relaxed-SIMD build (on Node 20 once enableRelaxedSimd set its flag), and defaults to it', () => {
    expect(builds.map(([name]) => name)).toEqual(['simd', 'relaxed']);
    expect(relaxedSimdSupported()).toBe(true);
    expect(createWasmKernelsSync().fusedMultiplyAdd).toBe(true);
    expect(createWasmKernelsSync({ relaxed: false }).fusedMultiplyAdd).toBe(false);
  });
  it('the relaxed build fuses the multiply-add: it keeps a product bit that the plain build rounds away', () => {
    // rows of A = [1, 1 + e, 0, 0, 0], columns of B = [-(1 + 2e), 1 + e, ...], e = 2^-12: the dot product is
    // -(1 + 2e) + (1 + 2e + e^2) = e^2 = 2^-24 exactly. Rounded first, (1 + e)^2 loses its e^2 below float32
    // precision near 1 and the sum is 0; fused onto the running sum -(1 + 2e), it is exact. A is 60% exact
    // zeros, so matmul takes the sparse GEMM, which adds each nonzero's row of B with a madd (the dense
    // GEMM multiplies then adds in both builds: the next test).
    const e = 2 ** -12;
    const a = Float32Array.from({ length: 20 }, (_, i) => [1, 1 + e, 0, 0, 0][i % 5]); // 4 x 5
    const b = Float32Array.from({ length: 80 }, (_, i) => (i < 16 ? -(1 + 2 * e) : i < 32 ? 1 + e : 3)); // 5 x 16
    const results = builds.map(([, k]) => {
      const c = new Float32Array(64);
      k.matmul(a, b, c, 4, 5, 16, false, false, false);
      return Array.from(c);
    });
    expect(results[0]).toEqual(new Array(64).fill(0));
    expect(results[1]).toEqual(new Array(64).fill(2 ** -24));
  });
  it('the dense GEMM multiplies then adds in both builds: the same bits from each', () => {
    // the same product as above with A dense (no zeros: the dense GEMM), and a random one with edge tiles
    const e = 2 ** -12;
    const a = Float32Array.from({ length: 8 }, (_, i) => (i % 2 ? 1 + e : 1)); // 4 x 2
    const b = Float32Array.from({ length: 8 }, (_, i) => (i < 4 ? -(1 + 2 * e) : 1 + e)); // 2 x 4
    for (const [, k] of builds) {
      const c = new Float32Array(16);
      k.matmul(a, b, c, 4, 2, 4, false, false, false);
      expect(Array.from(c)).toEqual(new Array(16).fill(0));
    }
    const [m, kk, n] = [37, 300, 45];
    const x = randf(m * kk),
      y = randf(kk * n);
    const [plain, fused] = builds.map(([, k]) => {
      const c = new Float32Array(m * n);
      k.matmul(x, y, c, m, kk, n, false, true, false);
      return c;
    });
    expectSame(fused, plain);
  });
});

describe('WASM memory management', () => {
  it('grows its memory for large calls and stays correct before and after (views re-created)', () => {
    const k = createWasmKernelsSync(); // a fresh instance with its initial memory
    const run = (m: number, kk: number, n: number) => {
      const s = spikes(m * kk, 0.2),
        w = randf(kk * n),
        c1 = new Float32Array(m * n),
        c2 = new Float32Array(m * n);
      ref.spikeMatmul(s, w, c1, m, kk, n, false);
      k.spikeMatmul(s, w, c2, m, kk, n, false);
      expectSame(c2, c1);
    };
    run(3, 4, 5);
    run(1200, 800, 40); // ~4 MiB of S, 4 MiB of scratch lists: forces memory.grow
    run(3, 4, 5);
    const a = randf(4 * 3),
      b = randf(3 * 2),
      c1 = new Float32Array(8),
      c2 = new Float32Array(8);
    ref.matmul(a, b, c1, 4, 3, 2, false, false, false);
    k.matmul(a, b, c2, 4, 3, 2, false, false, false);
    expectClose(c2, c1);
  });
  it('async creation gives the same kernels', async () => {
    const k = await createWasmKernels();
    expect(k.name).toBe('wasm');
    const a = randf(6),
      b = randf(6),
      c = new Float32Array(4),
      d = new Float32Array(4);
    k.matmul(a, b, c, 2, 3, 2, false, false, false);
    ref.matmul(a, b, d, 2, 3, 2, false, false, false);
    expectClose(c, d);
  });
});
