import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { backward } from '../../src/core/autograd.js';
import { ValueError } from '../../src/core/errors.js';
import { createWasmKernels, createWasmKernelsSync, wasmInternals } from '../../src/kernels/wasm.js';
import { referenceKernels as ref } from '../../src/kernels/reference.js';
import { KernelThreadError, parseThreads } from '../../src/kernels/pool.js';
import { KERNELS } from '../../src/kernels/wasm-exports.js';
import { ranges } from '../../src/kernels/splits.js';
import { SplitBalance } from '../../src/kernels/balance.js';
import {
  ResetCode,
  SurrogateCode,
  kernelThreads,
  setKernelThreads,
  type ConvShape,
  type Kernels,
  type LeakyBackwardArgs,
} from '../../src/kernels/types.js';
import { lifSpec } from '../../src/neurons/scan.js';
import { alifSpec } from '../../src/neurons/alif.js';
import { specSequence } from '../../src/neurons/spec.js';
import { sigmoid } from '../../src/surrogate/index.js';
import { enableRelaxedSimd } from '../../src/kernels/relaxed-node.js';

// The kernel thread pool (src/kernels/pool.ts, splits.ts): every split kernel gives the same bits for
// 1, 2, 3 and 4 threads (each output element is computed by one thread in the one-thread order), on
// sizes whose rows, columns, tiles and features do not divide by the thread count. Each case checks
// that the call was really split (the pool's dispatch count), and the one-thread result against the
// TypeScript reference (to rounding), so equal-but-wrong results cannot pass.

const relaxed = enableRelaxedSimd();
const COUNTS = [1, 2, 3, 4];
const pools = COUNTS.map((t) => createWasmKernelsSync({ threads: t, relaxed: false }));
const fused = relaxed ? COUNTS.map((t) => createWasmKernelsSync({ threads: t, relaxed: true })) : [];

const dispatches = (k: Kernels) => wasmInternals(k)?.pool?.dispatches ?? 0;

/** The index of the first element whose bits differ (floats compared by their bit patterns), or -1. */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const as = a instanceof Float32Array ? new Uint32Array(a.buffer, a.byteOffset, a.length) : a;
  const bs = b instanceof Float32Array ? new Uint32Array(b.buffer, b.byteOffset, b.length) : b;
  for (let i = 0; i < as.length; i++) if (as[i] !== bs[i]) return i;
  return -1;
}
const expectSame = (got: ArrayLike<number>, want: ArrayLike<number>, what = '') => {
  const i = firstDiff(got, want);
  expect(i, `${what}: element ${i}: ${got[i]} vs ${want[i]}`).toBe(-1);
};

/**
 * Runs `f` on every thread count of each build; expects one-thread's outputs again, bit for bit, and a
 * split call for each count > 1. Returns the one-thread outputs.
 */
function sameForAllThreads<R extends Record<string, ArrayLike<number> | number>>(f: (k: Kernels) => R): R {
  let first: R | null = null;
  for (const build of [pools, fused]) {
    if (!build.length) continue;
    const one = f(build[0]);
    first ??= one;
    for (let i = 1; i < build.length; i++) {
      const k = build[i];
      const before = dispatches(k);
      const r = f(k);
      expect(dispatches(k), `threads ${COUNTS[i]} split the call`).toBeGreaterThan(before);
      for (const key of Object.keys(one)) {
        const [a, b] = [one[key], r[key]];
        if (typeof a === 'number') expect(b, `${key}, threads ${COUNTS[i]}`).toBe(a);
        else expectSame(b as ArrayLike<number>, a, `${key}, threads ${COUNTS[i]}`);
      }
    }
    // two threads with their boundaries far from the middle (the shares the balance may learn): the same bits
    const two = build[1];
    const balance = wasmInternals(two)!.balance;
    for (const shares of SKEWED) {
      balance.forced = shares;
      try {
        const before = dispatches(two);
        const r = f(two);
        expect(dispatches(two), `shares ${shares} split the call`).toBeGreaterThan(before);
        for (const key of Object.keys(one)) {
          const [a, b] = [one[key], r[key]];
          if (typeof a === 'number') expect(b, `${key}, shares ${shares}`).toBe(a);
          else expectSame(b as ArrayLike<number>, a, `${key}, shares ${shares}`);
        }
      } finally {
        balance.forced = null;
      }
    }
  }
  return first!;
}

/** Forced shares of a two-thread split: the caller's part a quarter bigger or smaller than the worker's, and far more. */
const SKEWED = [
  [0.8, 0.2],
  [0.3, 0.7],
];

const closeTo = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  expect(worst).toBeLessThan(tol);
};

const uniform = (n: number, rng: Rng, lo = -1, hi = 1) => new Float32Array(n).map(() => lo + (hi - lo) * rng.uniform());
const spikes = (n: number, rng: Rng, p: number) => new Uint8Array(n).map(() => (rng.uniform() < p ? 1 : 0));

describe('kernel threads: the same bits for 1, 2, 3 and 4 threads', () => {
  it('kernelThreads says how many threads the kernels run; close() leaves one', () => {
    expect(pools.map(kernelThreads)).toEqual(COUNTS);
    expect(kernelThreads(ref)).toBe(1);
  });

  // column blocks (n large), row blocks (n small), every transpose, with and without accumulate
  const shapes: Array<[number, number, number]> = [
    [301, 257, 203],
    [13, 411, 1001],
    [1003, 129, 9],
  ];
  for (const [m, kk, n] of shapes) {
    for (const [tA, tB] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      it(`matmul ${m}x${kk}x${n}, transA ${tA}, transB ${tB}`, () => {
        const rng = new Rng(m + kk + n);
        const a = uniform(m * kk, rng);
        const b = uniform(kk * n, rng);
        const c0 = uniform(m * n, rng);
        const out = sameForAllThreads((k) => {
          const c = new Float32Array(m * n);
          k.matmul(a, b, c, m, kk, n, tA, tB, false);
          const acc = c0.slice();
          k.matmul(a, b, acc, m, kk, n, tA, tB, true);
          return { c, acc };
        });
        const want = new Float32Array(m * n);
        ref.matmul(a, b, want, m, kk, n, tA, tB, false);
        closeTo(out.c, want, 1e-4);
      });
    }
  }

  for (const transA of [false, true]) {
    it(`matmul of a mostly-zero input (the sparse kernel), transA ${transA}, rows not divisible by the threads`, () => {
      const [m, kk, n] = [997, 300, 123];
      const rng = new Rng(4);
      const a = uniform(m * kk, rng).map((v) => (rng.uniform() < 0.8 ? 0 : v));
      const b = uniform(kk * n, rng);
      const c0 = uniform(m * n, rng);
      const out = sameForAllThreads((k) => {
        const c = new Float32Array(m * n);
        k.matmul(a, b, c, m, kk, n, transA, false, false);
        const acc = c0.slice();
        k.matmul(a, b, acc, m, kk, n, transA, false, true);
        return { c, acc };
      });
      const want = new Float32Array(m * n);
      ref.matmul(a, b, want, m, kk, n, transA, false, false);
      closeTo(out.c, want, 1e-4);
    });
  }

  for (const n of [77, 9]) {
    it(`spikeMatmul, ${n} outputs`, () => {
      const [m, kk] = [1037, 301];
      const rng = new Rng(n);
      const s = spikes(m * kk, rng, 0.2);
      const w = uniform(kk * n, rng);
      const c0 = uniform(m * n, rng);
      const out = sameForAllThreads((k) => {
        const c = c0.slice();
        k.spikeMatmul(s, w, c, m, kk, n, true);
        return { c };
      });
      const want = c0.slice();
      ref.spikeMatmul(s, w, want, m, kk, n, true);
      expectSame(out.c, want); // spike kernels match the reference bit for bit
    });
  }

  for (const n of [10, 3, 77]) {
    it(`spikeSeqMatmul and spikeSeqGradW, ${n} outputs: time runs (narrow) or sample runs (wide), dW row runs (bias gradient once)`, () => {
      // K not a multiple of 16 nor of the threads; T not divisible by 3 or 4; every 5th input spikes at
      // most steps (the wide kernels' complement coding)
      const [t, b, kk] = [41, 61, 1001];
      const rng = new Rng(100 + n);
      const s = new Uint8Array(t * b * kk).map((_, i) => (rng.uniform() < ((i % kk) % 5 === 0 ? 0.9 : 0.15) ? 1 : 0));
      const w = uniform(kk * n, rng);
      const bias = uniform(n, rng);
      const g = uniform(t * b * n, rng);
      const c0 = uniform(t * b * n, rng);
      const dw0 = uniform(kk * n, rng);
      const gb0 = uniform(n, rng);
      const out = sameForAllThreads((k) => {
        const c = c0.slice();
        const dw = dw0.slice();
        const gb = gb0.slice();
        k.spikeSeqMatmul(s, w, c, t, b, kk, n, true, bias);
        k.spikeSeqGradW(s, g, dw, t, b, kk, n, gb);
        return { c, dw, gb };
      });
      const [c, dw, gb] = [c0.slice(), dw0.slice(), gb0.slice()];
      ref.spikeSeqMatmul(s, w, c, t, b, kk, n, true, bias);
      ref.spikeSeqGradW(s, g, dw, t, b, kk, n, gb);
      closeTo(out.c, c, 1e-5);
      closeTo(out.dw, dw, 1e-5);
      closeTo(out.gb, gb, 1e-5);
    });
  }

  it('adamUpdate: runs of elements, the same bits as one thread and the reference (n not divisible by 4 or the threads)', () => {
    const n = 250_003;
    const rng = new Rng(77);
    const [w0, g, m0, v0] = [uniform(n, rng), uniform(n, rng), uniform(n, rng, -0.1, 0.1), uniform(n, rng, 0, 0.01)];
    const c = { b1: 0.9, b2: 0.999, eps: 1e-8, stepSize: 1e-3 / (1 - 0.9 ** 3), c2: Math.sqrt(1 - 0.999 ** 3) };
    const out = sameForAllThreads((k) => {
      const [w, m, v] = [w0.slice(), m0.slice(), v0.slice()];
      k.adamUpdate(w, g, m, v, c);
      return { w, m, v };
    });
    const [w, m, v] = [w0.slice(), m0.slice(), v0.slice()];
    ref.adamUpdate(w, g, m, v, c);
    closeTo(out.w, w, 1e-6);
    closeTo(out.m, m, 1e-6);
    closeTo(out.v, v, 1e-6);
  });

  // column sums (bias gradients: column blocks) and the bias add (row blocks), sizes not divisible by the threads
  for (const [m, n] of [
    [5001, 77],
    [1500, 531],
  ]) {
    it(`sumRows and addBias, ${m}x${n}`, () => {
      const rng = new Rng(m + n);
      const x = uniform(m * n, rng);
      const out0 = uniform(n, rng);
      const bias = uniform(n, rng);
      const out = sameForAllThreads((k) => {
        const acc = out0.slice();
        const fresh = new Float32Array(n).fill(7);
        k.sumRows(x, acc, m, n, true);
        k.sumRows(x, fresh, m, n, false);
        const c = x.slice();
        k.addBias(c, bias, m, n);
        return { acc, fresh, c };
      });
      const [acc, fresh, c] = [out0.slice(), new Float32Array(n), x.slice()];
      ref.sumRows(x, acc, m, n, true);
      ref.sumRows(x, fresh, m, n, false);
      ref.addBias(c, bias, m, n);
      closeTo(out.acc, acc, 1e-4);
      closeTo(out.fresh, fresh, 1e-4);
      expectSame(out.c, c); // one add per element: the reference's bits
    });
  }

  // H small (tiles of whole samples), H > the 1024-neuron tile (tiles of one sample's features), in between
  const scans: Array<[number, number, number]> = [
    [25, 2999, 5],
    [21, 9, 1500],
    [23, 21, 700],
  ];
  for (const [T, B, H] of scans) {
    for (const reset of [ResetCode.Subtract, ResetCode.Zero]) {
      it(`leakyForward and leakyBackward, T ${T}, B ${B}, H ${H}, reset ${reset}`, () => {
        const N = B * H;
        const rng = new Rng(T * H + reset);
        const input = uniform(T * N, rng, -0.5, 1.5);
        const beta = uniform(H, rng, 0.7, 0.95);
        const gradSpk = uniform(T * N, rng);
        const gradMem = uniform(T * N, rng, -0.1, 0.1);
        const o = 7;
        const dg = uniform(T * B * o, rng);
        const w = uniform(H * o, rng);
        const scan = { T, N, H, input, constInput: false, beta, threshold: 1, reset };
        const out = sameForAllThreads((k) => {
          const f = k.leakyForward(scan, true);
          const f2 = k.leakyForward(scan, false);
          const args: LeakyBackwardArgs = {
            ...scan,
            spk: f.spk,
            mem: f.mem,
            gradSpk,
            gradMem,
            surrogate: SurrogateCode.Sigmoid,
            surrogateParam: 5,
          };
          const b1 = k.leakyBackward(args);
          // membrane recomputed in the kernel, spike gradient through the next Linear, truncated BPTT
          const b2 = k.leakyBackward({
            ...args,
            mem: null,
            gradSpkFrom: { g: dg, w, o },
            truncate: 4,
            surrogate: SurrogateCode.Atan,
            surrogateParam: 2,
          });
          return {
            spk: f.spk,
            mem: f.mem!,
            count: f.count,
            spk2: f2.spk,
            count2: f2.count,
            gi1: b1.gradInput,
            gb1: b1.gradBeta,
            gi2: b2.gradInput,
            gb2: b2.gradBeta,
          };
        });
        const want = ref.leakyForward(scan, true);
        expectSame(out.spk, want.spk);
        expect(out.count).toBe(want.count);
        const wb = ref.leakyBackward({
          ...scan,
          spk: want.spk,
          mem: want.mem,
          gradSpk,
          gradMem,
          surrogate: SurrogateCode.Sigmoid,
          surrogateParam: 5,
        });
        closeTo(out.gi1, wb.gradInput, 1e-4);
        closeTo(out.gb1, wb.gradBeta, 1e-3);
      });
    }
  }

  it('leakyBackward with a constant input (gradient summed over time)', () => {
    const [T, B, H] = [30, 701, 13];
    const N = B * H;
    const rng = new Rng(12);
    const scan = {
      T,
      N,
      H,
      input: uniform(N, rng, 0, 0.6),
      constInput: true,
      beta: uniform(H, rng, 0.8, 0.9),
      threshold: 1,
      reset: ResetCode.Subtract,
    };
    const gradSpk = uniform(T * N, rng);
    sameForAllThreads((k) => {
      const f = k.leakyForward(scan, true);
      const b = k.leakyBackward({
        ...scan,
        spk: f.spk,
        mem: f.mem,
        gradSpk,
        gradMem: null,
        surrogate: SurrogateCode.FastSigmoid,
        surrogateParam: 25,
      });
      return { spk: f.spk, gi: b.gradInput, gb: b.gradBeta };
    });
  });

  for (const reset of [ResetCode.Subtract, ResetCode.Zero]) {
    it(`leakyBackward without dL/dbeta (betaGrad false, reset ${reset}): the same input gradient, no beta gradient`, () => {
      const [T, B, H] = [12, 301, 37];
      const N = B * H;
      const rng = new Rng(21 + reset);
      const scan = {
        T,
        N,
        H,
        input: uniform(T * N, rng, 0, 0.7),
        constInput: false,
        beta: uniform(H, rng, 0.7, 0.95),
        threshold: 1,
        reset,
      };
      const gradSpk = uniform(T * N, rng);
      const sur = { surrogate: SurrogateCode.Atan, surrogateParam: 2 };
      const out = sameForAllThreads((k) => {
        const f = k.leakyForward(scan, true);
        const base = { ...scan, spk: f.spk, mem: null, gradSpk, gradMem: null, ...sur };
        const withBeta = k.leakyBackward(base);
        const without = k.leakyBackward({ ...base, betaGrad: false });
        expect(without.gradBeta.length).toBe(0);
        expect(withBeta.gradBeta.length).toBe(H);
        expectSame(without.gradInput, withBeta.gradInput, 'gradInput with and without dL/dbeta');
        return { gi: without.gradInput, gb: withBeta.gradBeta };
      });
      // the reference kernels: the same contract, and the WASM result to rounding
      const f = ref.leakyForward(scan, true);
      const base = { ...scan, spk: f.spk, mem: f.mem, gradSpk, gradMem: null, ...sur };
      const r = ref.leakyBackward({ ...base, betaGrad: false });
      expect(r.gradBeta.length).toBe(0);
      closeTo(out.gi, r.gradInput, 1e-4);
      closeTo(out.gb, ref.leakyBackward(base).gradBeta, 1e-3);
      expect(() => ref.leakyBackward({ ...base, betaGrad: 1 as unknown as boolean })).toThrow(/betaGrad must be a boolean/);
    });
  }

  for (const [name, spec, params] of [
    ['synaptic', lifSpec(true, 'subtract', 'all'), { alpha: 0.8, beta: 0.9, threshold: 1 }],
    ['alif', alifSpec('zero'), { beta: 0.9, threshold: 0.8, rho: 0.9, betaA: 0.5 }],
  ] as const) {
    it(`neuron scan (${name}): states, spikes and gradients, features not divisible by the threads`, () => {
      const [T, B, H] = [21, 9, 211];
      const rng = new Rng(8);
      const x = uniform(T * B * H, rng, -0.3, 1.2);
      const seed = uniform(T * B * H, rng);
      const out = sameForAllThreads((k) => {
        const prng = new Rng(3);
        const ps: Record<string, Tensor> = {};
        for (const [p, v] of Object.entries(params)) {
          ps[p] = Tensor.from(
            new Float32Array(H).map(() => v * (1 + 0.05 * (prng.uniform() - 0.5))),
            [H],
            { requiresGrad: true },
          );
        }
        const input = Tensor.from(x, [T, B, H], { requiresGrad: true });
        const r = specSequence(spec, input, { steps: T, constInput: false, params: ps, surrogate: sigmoid(5), kernels: k });
        backward(r.spk, seed);
        const res: Record<string, Float32Array | number> = { spk: r.spk.data, spikes: r.spikes, gx: input.grad! };
        for (const p of Object.keys(params)) res[`g${p}`] = ps[p].grad!;
        for (const [s, t] of Object.entries(r.state)) res[s] = t.data;
        return res;
      });
      expect(out.spikes as number).toBeGreaterThan(0);
    });
  }

  const conv: ConvShape = { n: 37, H: 15, W: 13, C: 4, O: 8, kH: 3, kW: 3, stride: 1, pad: 1, outH: 15, outW: 13 };
  it('convolutions over images: forward, fused pooling, input gradients', () => {
    const rng = new Rng(21);
    const g = conv;
    const s = spikes(g.n * g.H * g.W * g.C, rng, 0.3);
    const w = uniform(g.kH * g.kW * g.C * g.O, rng);
    const bias = uniform(g.O, rng);
    const gOut = uniform(g.n * g.outH * g.outW * g.O, rng).map((v) => (v > 0.3 ? 0 : v));
    const pool = { k: 2, stride: 2, outH: 7, outW: 6 };
    const gy = uniform(g.n * pool.outH * pool.outW * g.O, rng);
    const gIn0 = uniform(g.n * g.H * g.W * g.C, rng);
    const out = sameForAllThreads((k) => {
      const o = new Float32Array(g.n * g.outH * g.outW * g.O);
      k.convSpikeForward(s, w, bias, o, g);
      const y = new Float32Array(gy.length);
      const arg = new Uint8Array(gy.length);
      k.convPoolSpikeForward(s, w, bias, y, arg, g, pool);
      const gIn = gIn0.slice();
      k.convGradInput(gOut, w, gIn, g);
      const gIn2 = gIn0.slice();
      k.convPoolSpikeBackward(s, gy, arg, w, null, gIn2, g, pool);
      return { o, y, arg, gIn, gIn2 };
    });
    const want = new Float32Array(out.o.length);
    ref.convSpikeForward(s, w, bias, want, g);
    closeTo(out.o, want, 1e-5);
    const gWant = gIn0.slice();
    ref.convGradInput(gOut, w, gWant, g);
    closeTo(out.gIn, gWant, 1e-5);
  });
  it('conv weight gradients (fused with pooling or not): dW summed in whole image groups, gIn added or overwritten', () => {
    const rng = new Rng(22);
    // 100 images: four weight-gradient groups (of 32), so 2, 3 and 4 threads each take whole groups
    const g: ConvShape = { n: 100, H: 12, W: 12, C: 6, O: 16, kH: 5, kW: 5, stride: 1, pad: 0, outH: 8, outW: 8 };
    const pool = { k: 2, stride: 2, outH: 4, outW: 4 };
    const s = spikes(g.n * g.H * g.W * g.C, rng, 0.15);
    // one image in ten nearly silent: those take the scatter form of the weight gradient, and break the runs of
    // dense image pairs that share one gather-form call in the fused backward (a pair never spans two groups)
    for (let i = 0; i < g.n; i += 10) s.fill(0, i * g.H * g.W * g.C + 3, (i + 1) * g.H * g.W * g.C);
    const w = uniform(g.kH * g.kW * g.C * g.O, rng);
    const gy = uniform(g.n * pool.outH * pool.outW * g.O, rng);
    const dw0 = uniform(w.length, rng);
    const gIn0 = uniform(s.length, rng);
    const gOut = uniform(g.n * g.outH * g.outW * g.O, rng);
    const out = sameForAllThreads((k) => {
      const dwConv = dw0.slice();
      k.convSpikeGradW(s, gOut, dwConv, g);
      const y = new Float32Array(gy.length);
      const arg = new Uint8Array(gy.length);
      k.convPoolSpikeForward(s, w, null, y, arg, g, pool);
      const dw = dw0.slice();
      const gAdd = gIn0.slice();
      k.convPoolSpikeBackward(s, gy, arg, w, dw, gAdd, g, pool);
      const dwSet = new Float32Array(w.length);
      const gSet = gIn0.slice(); // overwritten: its values must not show
      k.convPoolSpikeBackward(s, gy, arg, w, dwSet, gSet, g, pool, false);
      return { dwConv, arg, dw, gAdd, dwSet, gSet };
    });
    const dwConvWant = dw0.slice();
    ref.convSpikeGradW(s, gOut, dwConvWant, g);
    closeTo(out.dwConv, dwConvWant, 1e-4); // sums of 6,400 dense terms per weight
    const dwWant = dw0.slice();
    const gAddWant = gIn0.slice();
    ref.convPoolSpikeBackward(s, gy, out.arg, w, dwWant, gAddWant, g, pool);
    closeTo(out.dw, dwWant, 1e-5);
    closeTo(out.gAdd, gAddWant, 1e-5);
    const dwSetWant = new Float32Array(w.length);
    const gSetWant = new Float32Array(s.length);
    ref.convPoolSpikeBackward(s, gy, out.arg, w, dwSetWant, gSetWant, g, pool);
    closeTo(out.dwSet, dwSetWant, 1e-5);
    closeTo(out.gSet, gSetWant, 1e-5);
  });
});

describe('kernel threads: the pool', () => {
  it('grows the shared memory for a threaded call, and every thread sees it', () => {
    const k = createWasmKernelsSync({ threads: 3, relaxed: false });
    const k1 = pools[0];
    const memory = wasmInternals(k)!.memory;
    const rng = new Rng(2);
    const small = uniform(64 * 64, rng);
    const c = new Float32Array(64 * 64);
    k.matmul(small, small, c, 64, 64, 64, false, false, false);
    const before = memory.buffer.byteLength;
    // ~30 MB of operands and per-thread scratch: far past the memory the small call left
    const [m, kk, n] = [1201, 1500, 1603];
    const a = uniform(m * kk, rng);
    const b = uniform(kk * n, rng);
    const got = new Float32Array(m * n);
    const d = dispatches(k);
    k.matmul(a, b, got, m, kk, n, false, true, false);
    expect(dispatches(k)).toBe(d + 1);
    expect(memory.buffer.byteLength).toBeGreaterThan(before + 20e6);
    const want = new Float32Array(m * n);
    k1.matmul(a, b, want, m, kk, n, false, true, false);
    expectSame(got, want);
    k.close!();
  });

  it('closes: no workers, one thread, the same results; idempotent', () => {
    const k = createWasmKernelsSync({ threads: 2, relaxed: false });
    const pool = wasmInternals(k)!.pool!;
    const rng = new Rng(5);
    const [m, kk, n] = [200, 300, 400];
    const a = uniform(m * kk, rng);
    const b = uniform(kk * n, rng);
    const c1 = new Float32Array(m * n);
    k.matmul(a, b, c1, m, kk, n, false, false, false);
    expect(pool.dispatches).toBe(1);
    k.close!();
    k.close!();
    expect(pool.isClosed).toBe(true);
    expect(kernelThreads(k)).toBe(1);
    const c2 = new Float32Array(m * n);
    k.matmul(a, b, c2, m, kk, n, false, false, false);
    expect(pool.dispatches).toBe(1);
    expectSame(c2, c1);
  });

  it('setKernelThreads adds and removes threads on live kernels; the results stay the same', () => {
    const k = createWasmKernelsSync({ threads: 1, relaxed: false });
    const rng = new Rng(6);
    const [m, kk, n] = [333, 222, 111];
    const a = uniform(m * kk, rng);
    const b = uniform(kk * n, rng);
    const run = () => {
      const c = new Float32Array(m * n);
      k.matmul(a, b, c, m, kk, n, true, false, false);
      return c;
    };
    const one = run();
    expect(wasmInternals(k)!.pool!.dispatches).toBe(0);
    expect(setKernelThreads(k, 3)).toBe(3);
    expect(kernelThreads(k)).toBe(3);
    expectSame(run(), one);
    expect(wasmInternals(k)!.pool!.dispatches).toBe(1);
    expect(setKernelThreads(k, 1)).toBe(1);
    expectSame(run(), one);
    expect(wasmInternals(k)!.pool!.dispatches).toBe(1);
    expect(setKernelThreads(k, 2)).toBe(2);
    expectSame(run(), one);
    expect(wasmInternals(k)!.pool!.dispatches).toBe(2);
    expect(setKernelThreads(ref, 4)).toBe(1);
    expect(() => setKernelThreads(k, 0)).toThrow(ValueError);
    k.close!();
    expect(setKernelThreads(k, 2)).toBe(1);
  });

  it('an error inside a worker surfaces on the caller as a KernelThreadError; the pool still works', () => {
    const k = createWasmKernelsSync({ threads: 2, relaxed: false });
    const { pool } = wasmInternals(k)!;
    const gemm = Object.keys(KERNELS).indexOf('gemm');
    // an argument block far past the end of memory: the worker's kernel traps
    const bad = { fn: gemm, args: [0xfffffff0] };
    let ran = false;
    const err = (() => {
      try {
        pool!.run([{ fn: gemm, args: [] }, bad], () => {
          // the caller's part waits for the worker to take its part (else the caller would run it itself)
          const sleep = new Int32Array(new SharedArrayBuffer(4));
          while (!pool!.taken(1)) Atomics.wait(sleep, 0, 0, 1);
          ran = true;
          return 0;
        });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(ran).toBe(true);
    expect(err).toBeInstanceOf(KernelThreadError);
    expect((err as KernelThreadError).thread).toBe(1);
    expect((err as KernelThreadError).kernel).toBe('gemm');
    expect((err as Error).message).toMatch(/gemm failed in kernel thread 1: .*out of bounds/);
    const rng = new Rng(1);
    const a = uniform(300 * 300, rng);
    const c = new Float32Array(300 * 300);
    const want = new Float32Array(300 * 300);
    k.matmul(a, a, c, 300, 300, 300, false, false, false);
    pools[0].matmul(a, a, want, 300, 300, 300, false, false, false);
    expectSame(c, want);
    k.close!();
  });

  it('async creation waits for its workers', async () => {
    const k = await createWasmKernels({ threads: 3, relaxed: false });
    expect(kernelThreads(k)).toBe(3);
    expect(wasmInternals(k)!.pool!.readyCount()).toBe(2);
    k.close!();
  });

  it('rejects a bad thread count with a typed error naming it', () => {
    expect(() => createWasmKernelsSync({ threads: 0 })).toThrow(ValueError);
    expect(() => createWasmKernelsSync({ threads: 1.5 })).toThrow(/threads/);
    expect(() => parseThreads('two', 'SPIKEFLOW_THREADS')).toThrow(
      /SPIKEFLOW_THREADS: expected a whole number of threads from 1 to 256, found "two"/,
    );
  });

  it('splits into near-equal aligned runs that cover everything once', () => {
    expect(ranges(10, 3)).toEqual([
      [0, 3],
      [3, 6],
      [6, 10],
    ]);
    expect(ranges(203, 2, 8)).toEqual([
      [0, 104],
      [104, 203],
    ]);
    expect(ranges(2, 4)).toEqual([
      [0, 1],
      [1, 2],
    ]);
  });

  it('splits by shares: aligned runs that cover everything once, each near its share', () => {
    // 203 items in 26 units of 8: 0.7 of them is 18.2 units -> 18
    expect(ranges(203, 2, 8, [0.7, 0.3])).toEqual([
      [0, 144],
      [144, 203],
    ]);
    const rng = new Rng(5);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(rng.uniform() * 5000);
      const parts = 2 + Math.floor(rng.uniform() * 3);
      const align = [1, 4, 8, 16][Math.floor(rng.uniform() * 4)];
      const raw = Array.from({ length: parts }, () => 0.2 + rng.uniform());
      const shares = raw.map((v) => v / raw.reduce((a, b) => a + b, 0));
      const r = ranges(n, parts, align, shares);
      expect(r[0][0]).toBe(0);
      expect(r[r.length - 1][1]).toBe(n);
      for (let i = 0; i < r.length; i++) {
        expect(r[i][1]).toBeGreaterThan(r[i][0]);
        if (i > 0) expect(r[i][0]).toBe(r[i - 1][1]);
        if (r[i][1] < n) expect(r[i][1] % align).toBe(0);
      }
      if (r.length === parts) {
        // each cut within 1.5 alignment units of its share (the rounding to a unit, and n not a whole number of units)
        let from = 0;
        for (let i = 0; i < parts; i++) {
          from += shares[i] * n;
          if (i < parts - 1) expect(Math.abs(r[i][1] - from)).toBeLessThanOrEqual(1.5 * align);
        }
      }
    }
  });

  it('the balance learns shares from the finish times: towards each part speed, within its bounds', () => {
    const b = new SplitBalance();
    expect(b.get('k', 2)).toBeNull(); // nothing learnt: equal runs
    // the worker takes 1.5x as long per element: the caller's share goes towards 0.6 (speeds 1 : 2/3)
    for (let i = 0; i < 200; i++) {
      const s = b.get('k', 2) ?? [0.5, 0.5];
      b.learn('k', [1000 * s[0], 1000 * s[1]], [1000 * s[0], 1500 * s[1]]);
    }
    const s = b.get('k', 2)!;
    expect(s[0]).toBeCloseTo(0.6, 3);
    expect(s[0] + s[1]).toBeCloseTo(1, 12);
    // another kind of call is untouched; a part without a time (NaN) or a zero time teaches nothing
    expect(b.get('other', 2)).toBeNull();
    b.learn('k', [500, 500], [Number.NaN, 1]);
    b.learn('k', [500, 500], [0, 1]);
    expect(b.get('k', 2)).toEqual(s);
    // a worker ten times slower: its share stops at half the equal one
    const slow = new SplitBalance();
    for (let i = 0; i < 300; i++) slow.learn('k', [500, 500], [1, 10]);
    expect(slow.get('k', 2)![1]).toBeCloseTo(0.25, 12);
    // forced shares override what was learnt, for splits of as many parts; off: equal runs again
    b.forced = [0.9, 0.1];
    expect(b.get('k', 2)).toEqual([0.9, 0.1]);
    expect(b.get('k', 3)).toBeNull();
    b.forced = null;
    b.enabled = false;
    expect(b.get('k', 2)).toBeNull();
    b.enabled = true;
    b.reset();
    expect(b.get('k', 2)).toBeNull();
    // shares of another length than the parts asked for are never handed out, nor mixed into
    b.learn('k3', [1, 1], [1, 1]);
    expect(b.get('k3', 3)).toBeNull();
    b.learn('k3', [1, 1, 1], [1, 1, 2]);
    expect(b.get('k3', 3)!.length).toBe(3);
    expect(b.get('k3', 3)!.every(Number.isFinite)).toBe(true);
    // calls on ever new shapes: at most 4096 kinds are remembered
    for (let i = 0; i < 5000; i++) b.learn(`shape ${i}`, [1, 1], [1, 2]);
    expect(b.learnt().size).toBeLessThanOrEqual(4096);
    expect(b.get('shape 4999', 2)).not.toBeNull();
  });

  it('a split call of a two-thread pool learns its shares from when the threads finished', async () => {
    const k = await createWasmKernels({ threads: 2, relaxed: false }); // its worker started
    const { pool, balance } = wasmInternals(k)!;
    const rng = new Rng(8);
    const a = uniform(400 * 300, rng);
    const bm = uniform(300 * 256, rng);
    const c = new Float32Array(400 * 256);
    // (a call whose worker part the caller ran, for a worker not yet scheduled, teaches nothing: on a busy
    // machine some may; calls until one has taught, at most 200)
    for (let i = 0; i < 200 && balance.learnt().size === 0; i++) k.matmul(a, bm, c, 400, 300, 256, false, false, false);
    // every part got a finish time (NaN only when the caller ran a late worker's part), and the matmul's kind has shares
    expect(pool!.finished.length).toBe(2);
    expect(pool!.finished[0]).toBeGreaterThan(0);
    expect(Number.isNaN(pool!.finished[1]) || pool!.finished[1] > 0).toBe(true);
    const learnt = [...balance.learnt().values()];
    expect(learnt.length).toBe(1);
    expect(learnt[0][0] + learnt[0][1]).toBeCloseTo(1, 12);
    k.close?.();
  });

  // the built package (npm test builds first), as a plain Node process would load it
  it("a Node process with threaded kernels exits without close() (workers are unref'd); SPIKEFLOW_THREADS sets the default", () => {
    const script = `
      import { createWasmKernelsSync, kernelThreads } from './dist/index.js';
      const k = createWasmKernelsSync();
      const a = new Float32Array(256 * 256).fill(1), c = new Float32Array(256 * 256);
      k.matmul(a, a, c, 256, 256, 256, false, false, false);
      console.log(kernelThreads(k), c[0]);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env, SPIKEFLOW_THREADS: '3' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('3 256');
  });
});
