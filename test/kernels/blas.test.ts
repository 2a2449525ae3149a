import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GEMM_FORMS } from '../helpers/kernels.js';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { backward } from '../../src/core/autograd.js';
import { ShapeError } from '../../src/core/errors.js';
import { atan } from '../../src/surrogate/index.js';
import { Linear, Leaky, Sequential } from '../../src/index.js';
import { Adam } from '../../src/train/optim.js';
import { createWasmKernelsSync } from '../../src/kernels/wasm.js';
import { enableRelaxedSimd } from '../../src/kernels/relaxed-node.js';
import {
  BlasError,
  type BlasLibrary,
  type Sgemm,
  blasKernels,
  blasInfoOf,
  kernelTier,
  DEFAULT_BLAS_MIN_MACS,
  BLAS_GRAD_SPK_MIN_O,
} from '../../src/kernels/blas.js';
import { blasSetting, loadBlas, withBlas } from '../../src/kernels/node-blas.js';
import { defaultKernels, setDefaultKernels } from '../../src/kernels/default.js';
import { type Kernels, type LeakyBackwardArgs, kernelThreads, setKernelThreads } from '../../src/kernels/types.js';

// The native BLAS tier (src/kernels/blas.ts, node-blas.ts) against the WASM kernels and against float64
// truth. Tolerance: a BLAS adds in its own order and blocks, so results agree with WASM to float32
// rounding, |x - y| <= 2e-5 * max(1, max |y|) elementwise for k up to ~600 standard-normal terms.
//
// Where this machine has no optimized BLAS (or koffi), the tier is the WASM kernels themselves (the
// fallback) and these tests check that; with SPIKEFLOW_REQUIRE_BLAS=1 (CI, after installing libopenblas0)
// a missing BLAS fails the first test instead.

const required = process.env.SPIKEFLOW_REQUIRE_BLAS === '1';
enableRelaxedSimd();
const wasm = createWasmKernelsSync();
const { kernels: tier, report } = await withBlas(wasm, { blas: 'auto', env: false, threads: 2 });
const lib = report.probe.library;
const rng = new Rng(2024);
const randf = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
const TOL = 2e-5;

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, rel = TOL, what = ''): void {
  expect(a.length).toBe(b.length);
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < a.length; i++)
    if (!(Math.abs(a[i] - b[i]) <= rel * scale)) expect.fail(`${what} element ${i}: ${a[i]} vs ${b[i]} (scale ${scale})`);
}

/** op(A) op(B) (+ C0) in float64 from the stored float32 operands: the truth. */
function truth(
  a: Float32Array,
  b: Float32Array,
  c0: Float32Array | null,
  m: number,
  k: number,
  n: number,
  tA: boolean,
  tB: boolean,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = c0 ? c0[i * n + j] : 0;
      for (let p = 0; p < k; p++) s += (tA ? a[p * m + i] : a[i * k + p]) * (tB ? b[j * k + p] : b[p * n + j]);
      out[i * n + j] = s;
    }
  return out;
}

/** A BLAS in JavaScript (float64 sums, row-major, honouring lda/ldb/ldc and beta): checks the wrapper's argument mapping anywhere. */
function jsSgemm(calls: string[]): Sgemm {
  return (tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) => {
    calls.push(`${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} ${m}x${n}x${k} lda=${lda} ldb=${ldb} beta=${beta}`);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += (tA ? a[p * lda + i] : a[i * lda + p]) * (tB ? b[j * ldb + p] : b[p * ldb + j]);
        c[i * ldc + j] = alpha * s + (beta === 0 ? 0 : beta * c[i * ldc + j]);
      }
  };
}
const fakeLib = (calls: string[]): BlasLibrary => ({
  info: { path: 'js', vendor: 'unknown', config: 'test', threads: 1, reference: false, ilp64: false },
  sgemm: jsSgemm(calls),
});

/** Counts the sgemm calls of a real library (the tier used it, not WASM). */
function counting(l: BlasLibrary): { lib: BlasLibrary; calls: () => number } {
  let n = 0;
  return {
    lib: {
      info: l.info,
      sgemm: (...args: Parameters<Sgemm>) => {
        n++;
        l.sgemm(...args);
      },
    },
    calls: () => n,
  };
}

const SIZES: Array<[number, number, number]> = [
  [1, 1, 1],
  [3, 5, 7],
  [17, 33, 9],
  [65, 130, 31],
  [129, 257, 67],
  [300, 600, 45],
];

describe('BLAS tier: what was found', () => {
  it(`an optimized BLAS is bound${required ? ' (required: SPIKEFLOW_REQUIRE_BLAS=1)' : ', or the tier is the WASM kernels with the reason'}`, () => {
    if (required) expect(lib, `no BLAS: ${report.reason}; tried ${report.probe.tried.join('; ')}`).not.toBeNull();
    if (lib) {
      expect(report.tier).toMatch(/^wasm-(relaxed-)?simd\+blas$/);
      expect(lib.info.reference).toBe(false);
      expect(['OpenBLAS', 'MKL', 'Accelerate', 'BLIS']).toContain(lib.info.vendor);
      expect(blasInfoOf(tier)).toBe(lib.info);
      expect(lib.info.threads === null || lib.info.threads === 2).toBe(true);
    } else {
      expect(tier).toBe(wasm);
      expect(report.tier).toBe(kernelTier(wasm));
      expect(report.tier).not.toContain('blas');
      expect(report.reason.length).toBeGreaterThan(0);
    }
  });
});

describe(`matmul on the ${report.tier} tier against the WASM tier and float64 truth`, () => {
  for (const [m, k, n] of SIZES)
    for (const [tA, tB] of GEMM_FORMS)
      for (const accumulate of [false, true]) {
        it(`${m}x${k}x${n} ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}${accumulate ? ' accumulate' : ''}`, () => {
          const a = randf(m * k);
          const b = randf(k * n);
          const c0 = randf(m * n);
          const cb = c0.slice();
          const cw = c0.slice();
          tier.matmul(a, b, cb, m, k, n, tA, tB, accumulate);
          wasm.matmul(a, b, cw, m, k, n, tA, tB, accumulate);
          const want = truth(a, b, accumulate ? c0 : null, m, k, n, tA, tB);
          expectClose(cb, want, TOL, 'tier vs truth');
          expectClose(cb, cw, TOL, 'tier vs wasm');
        });
      }

  it('reads and writes views into larger buffers (subarrays with an offset) where they lie', () => {
    const [m, k, n] = [40, 50, 30];
    const bufA = randf(m * k + 7);
    const bufB = randf(k * n + 3);
    const bufC = new Float32Array(m * n + 10).fill(5);
    const a = bufA.subarray(7);
    const b = bufB.subarray(3, 3 + k * n);
    const c = bufC.subarray(4, 4 + m * n);
    tier.matmul(a, b, c, m, k, n, false, false, false);
    expectClose(c, truth(a, b, null, m, k, n, false, false));
    expect(Array.from(bufC.subarray(0, 4))).toEqual([5, 5, 5, 5]);
    expect(Array.from(bufC.subarray(4 + m * n))).toEqual([5, 5, 5, 5, 5, 5]);
  });

  it('sends every GEMM at or above the threshold to the BLAS and the smaller ones to WASM', () => {
    if (!lib) {
      expect(required).toBe(false);
      return;
    }
    const c = counting(lib);
    const k = blasKernels(wasm, c.lib);
    const run = (m: number, kk: number, n: number) =>
      k.matmul(randf(m * kk), randf(kk * n), new Float32Array(m * n), m, kk, n, false, false, false);
    run(7, 8, 9); // 504 < 512
    expect(c.calls()).toBe(0);
    run(8, 8, 8);
    expect(c.calls()).toBe(1);
    run(64, 64, 64);
    expect(c.calls()).toBe(2);
    expect(DEFAULT_BLAS_MIN_MACS).toBe(512);
  });
});

describe('the wrapper over a JavaScript sgemm (argument mapping, checks before any native call)', () => {
  it('maps every transpose form, leading dimension and accumulate onto row-major sgemm', () => {
    const calls: string[] = [];
    const k = blasKernels(wasm, fakeLib(calls), { minMacs: 0 });
    const [m, kk, n] = [5, 7, 3];
    for (const [tA, tB] of GEMM_FORMS)
      for (const accumulate of [false, true]) {
        const a = randf(m * kk);
        const b = randf(kk * n);
        const c0 = randf(m * n);
        const c = c0.slice();
        k.matmul(a, b, c, m, kk, n, tA, tB, accumulate);
        expectClose(c, truth(a, b, accumulate ? c0 : null, m, kk, n, tA, tB), 1e-6);
      }
    expect(calls).toEqual([
      'NN 5x3x7 lda=7 ldb=3 beta=0',
      'NN 5x3x7 lda=7 ldb=3 beta=1',
      'TN 5x3x7 lda=5 ldb=3 beta=0',
      'TN 5x3x7 lda=5 ldb=3 beta=1',
      'NT 5x3x7 lda=7 ldb=7 beta=0',
      'NT 5x3x7 lda=7 ldb=7 beta=1',
      'TT 5x3x7 lda=5 ldb=7 beta=0',
      'TT 5x3x7 lda=5 ldb=7 beta=1',
    ]);
  });

  it('leaves a mostly-zero A (the WASM sparse GEMM visits only its nonzeros) to WASM, with the same product', () => {
    const calls: string[] = [];
    const k = blasKernels(wasm, fakeLib(calls), { minMacs: 0 });
    const [m, kk, n] = [6, 40, 20];
    const rng = new Rng(5);
    const sparse = Float32Array.from({ length: m * kk }, () => (rng.uniform() < 0.8 ? 0 : rng.uniform()));
    const dense = randf(m * kk);
    const b = randf(kk * n);
    for (const [a, tB, routed] of [
      [sparse, false, 0], // sparse GEMM: stays in WASM
      [sparse, true, 1], // op(B) transposed: no sparse path, the BLAS
      [dense, false, 1],
    ] as const) {
      const before = calls.length;
      const c = new Float32Array(m * n);
      k.matmul(a, b, c, m, kk, n, false, tB, false);
      expectClose(c, truth(a, b, null, m, kk, n, false, tB), 1e-5);
      expect(calls.length - before).toBe(routed);
    }
  });

  it('checks lengths before calling the BLAS, and leaves plain arrays and empty sizes to WASM', () => {
    const calls: string[] = [];
    const k = blasKernels(wasm, fakeLib(calls), { minMacs: 0 });
    expect(() => k.matmul(new Float32Array(11), new Float32Array(12), new Float32Array(9), 3, 4, 3, false, false, false)).toThrow(
      ShapeError,
    );
    expect(() => k.matmul(new Float32Array(12), new Float32Array(12), new Float32Array(8), 3, 4, 3, false, false, false)).toThrow(
      /C has 8 elements, expected 9/,
    );
    const c = new Float32Array(4).fill(3);
    k.matmul(new Float32Array(0), new Float32Array(0), c, 2, 0, 2, false, false, false);
    expect(Array.from(c)).toEqual([0, 0, 0, 0]);
    // a plain array is no pointer: the call is the wrapped kernels' (whatever they make of it)
    const plain = new Float32Array(4);
    const viaWasm = new Float32Array(4);
    k.matmul([1, 2, 3, 4] as unknown as Float32Array, Float32Array.of(1, 0, 0, 1), plain, 2, 2, 2, false, false, false);
    wasm.matmul([1, 2, 3, 4] as unknown as Float32Array, Float32Array.of(1, 0, 0, 1), viaWasm, 2, 2, 2, false, false, false);
    expect(Array.from(plain)).toEqual(Array.from(viaWasm));
    expect(calls).toEqual([]);
    expect(() => blasKernels(k, fakeLib(calls))).toThrow(BlasError);
  });

  it('setKernelThreads sets the kernel threads and the BLAS threads alike', () => {
    const set: number[] = [];
    const lib: BlasLibrary = { ...fakeLib([]), setThreads: (n: number) => void set.push(n) };
    const k = blasKernels(wasm, lib);
    const got = setKernelThreads(k, 2);
    expect(set).toEqual([2]);
    expect(got).toBe(kernelThreads(wasm));
    expect(kernelThreads(k)).toBe(kernelThreads(wasm));
    setKernelThreads(k, 1);
    expect(set).toEqual([2, 1]);
    expect(kernelThreads(wasm)).toBe(1);
  });

  it('keeps the wrapped kernels for everything else, and says its tier', () => {
    const k = blasKernels(wasm, fakeLib([]));
    expect(k.spikeMatmul).toBe(wasm.spikeMatmul);
    expect(k.leakyForward).toBe(wasm.leakyForward);
    expect(k.name).toBe('wasm');
    expect(k.fusedMultiplyAdd).toBe(wasm.fusedMultiplyAdd);
    expect(kernelTier(k)).toBe(`${kernelTier(wasm)}+blas`);
    expect(kernelTier(wasm)).toBe(wasm.fusedMultiplyAdd ? 'wasm-relaxed-simd' : 'wasm-simd');
  });
});

describe(`leakyBackward with a gradient through the next Linear (gradSpkFrom) on the ${report.tier} tier`, () => {
  // o >= BLAS_GRAD_SPK_MIN_O goes to the BLAS, smaller o stays in the fused WASM kernel
  for (const [T, B, H, o] of [
    [6, 4, 40, 33],
    [5, 3, 17, 1],
  ]) {
    it(`T=${T} B=${B} H=${H} o=${o}, with and without a spike gradient of its own`, () => {
      const N = B * H;
      const input = randf(T * N).map((v) => v * 0.8 + 0.4);
      const beta = Float32Array.from({ length: H }, () => 0.6 + 0.3 * rng.uniform());
      const scan = { T, N, H, input, constInput: false, beta, threshold: 1, reset: 0 as const };
      const { spk } = wasm.leakyForward(scan, false);
      const g = randf(T * B * o);
      const w = randf(H * o);
      for (const own of [null, randf(T * N)]) {
        const args: LeakyBackwardArgs = {
          ...scan,
          spk,
          mem: null,
          gradSpk: own,
          gradMem: null,
          gradSpkFrom: { g, w, o },
          surrogate: 0,
          surrogateParam: 2,
        };
        const ownBefore = own?.slice();
        const got = tier.leakyBackward(args);
        const want = wasm.leakyBackward(args);
        expectClose(got.gradInput, want.gradInput, TOL, 'gradInput');
        expectClose(got.gradBeta, want.gradBeta, 1e-4, 'gradBeta');
        if (own) expect(Array.from(own)).toEqual(Array.from(ownBefore!));
      }
    });
  }
});

describe('leakyBackward routing of gradSpkFrom', () => {
  it(`sends g w^T to the BLAS from o = ${BLAS_GRAD_SPK_MIN_O} and keeps the fused WASM kernel below`, () => {
    const calls: string[] = [];
    const k = blasKernels(wasm, fakeLib(calls));
    const [T, B, H] = [4, 3, 20];
    const scan = {
      T,
      N: B * H,
      H,
      input: randf(T * B * H),
      constInput: false,
      beta: new Float32Array(H).fill(0.9),
      threshold: 1,
      reset: 0 as const,
    };
    const { spk } = wasm.leakyForward(scan, false);
    for (const o of [BLAS_GRAD_SPK_MIN_O - 1, BLAS_GRAD_SPK_MIN_O]) {
      const args: LeakyBackwardArgs = {
        ...scan,
        spk,
        mem: null,
        gradSpk: null,
        gradMem: null,
        gradSpkFrom: { g: randf(T * B * o), w: randf(H * o), o },
        surrogate: 0,
        surrogateParam: 2,
      };
      expectClose(k.leakyBackward(args).gradInput, wasm.leakyBackward(args).gradInput);
    }
    expect(calls).toEqual([`NT 12x20x${BLAS_GRAD_SPK_MIN_O} lda=${BLAS_GRAD_SPK_MIN_O} ldb=${BLAS_GRAD_SPK_MIN_O} beta=0`]);
  });
});

describe('spikeSeqLeakyForward over a dense source on the BLAS', () => {
  it("runs the currents and dW as sgemm calls on the kernels' memory, equal to the WASM tier", () => {
    const calls: string[] = [];
    const k = blasKernels(wasm, fakeLib(calls));
    const [T, B, K, H] = [6, 4, 24, 20];
    const dense = randf(T * B * K);
    const w = randf(K * H);
    const bias = randf(H);
    const lif = { T, N: B * H, H, beta: new Float32Array(H).fill(0.9), threshold: 1, reset: 0 as const };
    const gradSpk = randf(T * B * H);
    const run = (kk: Kernels) => {
      const f = kk.spikeSeqLeakyForward({ dense }, w, bias, K, lif, true);
      const dw = new Float32Array(K * H);
      const db = new Float32Array(H);
      kk.leakyBackward({
        ...lif,
        input: new Float32Array(0),
        constInput: false,
        spk: f.spk,
        mem: null,
        gradSpk,
        gradMem: null,
        gradWeightInto: { k: K, dw, gradBias: db },
        saved: f.saved,
        surrogate: 0,
        surrogateParam: 2,
      });
      return { mem: f.mem!, dw, db };
    };
    const a = run(k);
    const b = run(wasm);
    expect(calls).toEqual([`NN 24x20x24 lda=24 ldb=20 beta=0`, `TN 24x20x24 lda=24 ldb=20 beta=1`]);
    expectClose(a.mem, b.mem);
    expectClose(a.dw, b.dw);
    expectClose(a.db, b.db);
    // a mostly-zero dense input stays on the WASM sparse GEMM (as matmul leaves it)
    calls.length = 0;
    const sparse = dense.map((v, i) => (i % 5 ? 0 : v));
    k.spikeSeqLeakyForward({ dense: sparse }, w, bias, K, lif, false);
    expect(calls).toEqual([]);
  });
});

describe(`a Linear -> Leaky training step on the ${report.tier} tier equals the WASM tier's`, () => {
  it('spikes, gradients and the Adam step', () => {
    const [T, B, nIn, H] = [12, 8, 48, 40];
    const r = new Rng(5);
    const x = new Tensor(
      Float32Array.from({ length: T * B * nIn }, () => r.normal()),
      [T, B, nIn],
    );
    const seed = Float32Array.from({ length: T * B * H }, () => r.normal());
    const step = (k: Kernels) => {
      const rr = new Rng(0);
      const model = new Sequential([
        new Linear(nIn, H, { rng: rr }),
        new Leaky({ size: H, beta: 0.9, surrogate: atan() }),
        new Linear(H, H, { rng: rr }),
        new Leaky({ size: H, beta: 0.8, surrogate: atan() }),
      ]);
      const out = model.forward({ x, steps: T, constant: false }, k);
      const rec = out.records[out.records.length - 1];
      // loss = sum(seed * spikes of the last layer)
      backward(rec.spk!, seed);
      const grads = model.trainable().map((p) => Float32Array.from(p.grad!));
      new Adam(model.trainable(), { lr: 1e-2, kernels: k }).step();
      return { spk: Array.from(rec.spk!.data), grads, params: model.trainable().map((p) => Float32Array.from(p.data)) };
    };
    const counted = lib ? counting(lib) : null;
    const a = step(counted ? blasKernels(wasm, counted.lib) : tier);
    const b = step(wasm);
    // the BLAS ran the dense GEMMs: the first Linear forward, its weight gradient, the spike gradient through the second (o = H = 40)
    if (counted) expect(counted.calls()).toBe(3);
    expect(a.spk).toEqual(b.spk);
    expect(a.spk.some((v) => v !== 0)).toBe(true);
    a.grads.forEach((g, i) => expectClose(g, b.grads[i], 1e-4, `grad ${i}`));
    expect(b.grads[0].some((v) => v !== 0)).toBe(true);
    a.params.forEach((p, i) => expectClose(p, b.params[i], 1e-5, `param ${i}`));
  });
});

describe('fallback and choice of library', () => {
  it("SPIKEFLOW_BLAS=off (or the blas option 'off' / false) leaves the WASM kernels", async () => {
    const saved = process.env.SPIKEFLOW_BLAS;
    process.env.SPIKEFLOW_BLAS = 'off';
    try {
      expect(blasSetting()).toEqual({ setting: 'off', path: '' });
      const r = await withBlas(wasm);
      expect(r.kernels).toBe(wasm);
      expect(r.report.blas).toBeNull();
      expect(r.report.reason).toMatch(/turned off/);
      expect(r.report.tier).toBe(kernelTier(wasm));
    } finally {
      if (saved === undefined) delete process.env.SPIKEFLOW_BLAS;
      else process.env.SPIKEFLOW_BLAS = saved;
    }
    expect((await withBlas(wasm, { blas: false })).kernels).toBe(wasm);
    expect(blasSetting({ blas: 'OFF' }).setting).toBe('off');
    expect(blasSetting({ blas: '/x/libopenblas.so.0' })).toEqual({ setting: 'path', path: '/x/libopenblas.so.0' });
    expect(blasSetting({ env: false }).setting).toBe('auto');
  });

  it('a library path that does not exist, or is no library, is a BlasError naming it', async () => {
    await expect(loadBlas({ blas: '/nonexistent/libopenblas.so.0' })).rejects.toThrow(BlasError);
    await expect(loadBlas({ blas: '/nonexistent/libopenblas.so.0' })).rejects.toThrow(
      /BLAS library \/nonexistent\/libopenblas\.so\.0 \(SPIKEFLOW_BLAS or the blas option\): no such file/,
    );
    const notLib = new URL('../../package.json', import.meta.url).pathname;
    expect(readFileSync(notLib, 'utf8').length).toBeGreaterThan(0);
    await expect(loadBlas({ blas: notLib })).rejects.toThrow(BlasError);
  });

  it('enableBlas-style install: setDefaultKernels swaps what defaultKernels() returns, and null restores WASM', () => {
    const before = defaultKernels();
    const k = blasKernels(wasm, fakeLib([]));
    try {
      setDefaultKernels(k);
      expect(defaultKernels()).toBe(k);
    } finally {
      setDefaultKernels(null);
    }
    expect(blasInfoOf(defaultKernels())).toBeNull();
    setDefaultKernels(before);
  });

  // Debian's netlib reference BLAS, where installed next to OpenBLAS: never the tier by discovery; given
  // explicitly it binds and says it is a reference BLAS.
  const netlib = '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3';
  it('a reference BLAS is reported as one, and discovery never picks it', async () => {
    const auto = await loadBlas({ blas: 'auto', env: false });
    if (auto.library) expect(auto.library.info.reference).toBe(false);
    let exists = false;
    try {
      readFileSync(netlib);
      exists = true;
    } catch {}
    if (!exists || !lib) {
      // no netlib library or no koffi here: discovery's answer above is the whole check
      expect(auto.library === null || auto.library.info.reference === false).toBe(true);
      return;
    }
    const p = await loadBlas({ blas: netlib });
    expect(p.library!.info.reference).toBe(true);
    expect(p.library!.info.vendor).toBe('unknown');
    expect(p.library!.info.config).toMatch(/not a known optimized BLAS/);
    // and it computes the right product (slowly)
    const k = blasKernels(wasm, p.library!, { minMacs: 0 });
    const a = randf(6 * 5);
    const b = randf(5 * 4);
    const c = new Float32Array(24);
    k.matmul(a, b, c, 6, 5, 4, false, false, false);
    expectClose(c, truth(a, b, null, 6, 5, 4, false, false));
  });
});
