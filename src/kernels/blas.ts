import { SpikeflowError } from '../core/errors.js';
import type { Kernels, LeakyBackwardArgs, LeakyLayerArgs, SpikeSource } from './types.js';
import { checkMatmul } from './validate.js';
import { sparseGemmApplies } from './wasm.js';
import { expandRow } from './reference.js';

/**
 * The native BLAS tier: a Kernels whose dense GEMMs (matmul, which Linear, the conv im2col path and the
 * recurrent neurons run, and the dense spike gradient g w^T a Leaky layer receives from the Linear it
 * feeds) go to a system BLAS's sgemm, and whose other kernels (everything spike-driven, the scans, Adam)
 * are the WASM kernels it wraps. Nothing here loads a library: node-blas.ts finds one and binds it
 * (Node only); this file only needs an sgemm, so it also runs on a fake one in tests.
 */

/** A BLAS library could not be found, loaded or used as asked (e.g. SPIKEFLOW_BLAS names a file that is no BLAS). */
export class BlasError extends SpikeflowError {}

export type BlasVendor = 'OpenBLAS' | 'MKL' | 'Accelerate' | 'BLIS' | 'unknown';

/** What was loaded. */
export interface BlasInfo {
  /** The library file (resolved through symbolic links where it lies on disk), or the name the loader resolved. */
  path: string;
  vendor: BlasVendor;
  /** The library's own description (OpenBLAS's openblas_get_config and core, MKL's version string), or ''. */
  config: string;
  /** Threads one sgemm may use, where the library says; null where it cannot be asked (Accelerate, BLIS). */
  threads: number | null;
  /** Not a known optimized BLAS (e.g. the netlib reference, Debian's /usr/lib/x86_64-linux-gnu/blas/libblas.so.3): slower than the WASM kernels. */
  reference: boolean;
  /** 64-bit integer interface (OpenBLAS's ILP64 build, symbols suffixed 64_). */
  ilp64: boolean;
}

/**
 * Row-major single-precision GEMM: C = alpha op(A) op(B) + beta C, op(A) [m, k], op(B) [k, n] (BLAS's
 * cblas_sgemm with CblasRowMajor). With beta 0, C is only written.
 */
export type Sgemm = (
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  beta: number,
  c: Float32Array,
  ldc: number,
) => void;

/** A bound BLAS: its sgemm, and its thread setting where it has one. */
export interface BlasLibrary {
  readonly info: BlasInfo;
  readonly sgemm: Sgemm;
  /** Sets the threads of later calls (and info.threads); absent where the library has no such call. */
  setThreads?(n: number): void;
}

export interface BlasKernelOptions {
  /**
   * GEMMs with fewer multiply-adds than this (m * k * n) stay in WASM, where the call costs less than
   * the foreign call's ~1 us; default DEFAULT_BLAS_MIN_MACS.
   */
  minMacs?: number;
}

/**
 * Below this many multiply-adds a GEMM stays in WASM. Through Kernels.matmul the BLAS was the faster at
 * every size measured on this project's 2-core machine (Node 20, OpenBLAS 0.3.21 through koffi, one
 * BLAS thread; bench/gemm.mjs): 8^3 0.5 against 0.2 GFLOP/s (a koffi call costs ~1 us, a WASM call its
 * copies in and out), 32^3 32 against 7, 128^3 156 against 38. Below 8^3 both take about a microsecond;
 * the threshold only keeps such calls off the native path.
 */
export const DEFAULT_BLAS_MIN_MACS = 8 * 8 * 8;

/**
 * A Leaky layer's spike gradient through the next Linear (g w^T, inner dimension o = that Linear's outputs)
 * goes to the BLAS from o = 32: below, the WASM kernel that forms it tile by tile inside the backward scan
 * wins, as no [T, N] gradient is made (leakyBackward, T 25, B 128, H 1000, one thread, on-CPU: o = 10 WASM
 * 9.8 ms / BLAS 11.3; o = 32 19.4 / 17.0; o = 128 (H 512) 25.3 / 10.6; o = 1000 338 / 82).
 */
export const BLAS_GRAD_SPK_MIN_O = 32;

/** The BLAS tier's kernels: also says what it wraps and what BLAS it calls. */
export type BlasKernels = Kernels & {
  /** The BLAS the dense GEMMs go to. */
  readonly blas: BlasInfo;
  /** The kernels everything else runs on. */
  readonly inner: Kernels;
  /** The size threshold in use (multiply-adds). */
  readonly minMacs: number;
};

/** The BLAS tier's info when `k` is one, else null. */
export function blasInfoOf(k: Kernels): BlasInfo | null {
  const b = (k as Partial<BlasKernels>).blas;
  return b && typeof b === 'object' ? b : null;
}

/**
 * The kernel tier in words: 'reference', 'wasm-simd', 'wasm-relaxed-simd', with '+blas' when the dense
 * GEMMs go to a native BLAS.
 */
export function kernelTier(k: Kernels): string {
  const inner = blasInfoOf(k) ? (k as BlasKernels).inner : k;
  const base = inner.name === 'reference' ? 'reference' : inner.fusedMultiplyAdd ? 'wasm-relaxed-simd' : 'wasm-simd';
  return blasInfoOf(k) ? `${base}+blas` : base;
}

const isF32 = (x: unknown): x is Float32Array => x instanceof Float32Array;

/**
 * Kernels whose dense GEMMs run on `lib` (at or above opts.minMacs multiply-adds) and whose other kernels
 * are `inner`'s. Results equal inner's to float rounding (a BLAS sums in its own order and blocks):
 * test/kernels/blas.test.ts states the tolerance. Every BLAS call is preceded by the contract's own length
 * checks (a native call must never read past an array), and anything the checks or the types leave in
 * doubt (plain arrays, sizes past 2^31) goes to `inner`, which rejects it alike.
 */
export function blasKernels(inner: Kernels, lib: BlasLibrary, opts: BlasKernelOptions = {}): BlasKernels {
  if (blasInfoOf(inner)) throw new BlasError('blasKernels: these kernels already run on a BLAS; wrap the plain kernels');
  const minMacs = opts.minMacs ?? DEFAULT_BLAS_MIN_MACS;
  if (!(minMacs >= 0)) throw new BlasError(`blasKernels: minMacs must be a non-negative number, found ${String(minMacs)}`);
  const limit = lib.info.ilp64 ? Number.MAX_SAFE_INTEGER : 0x7fffffff;
  const big = (m: number, k: number, n: number) =>
    m > 0 && k > 0 && n > 0 && m * k * n >= minMacs && m <= limit && k <= limit && n <= limit;

  const k: BlasKernels = Object.create(inner);
  Object.defineProperties(k, {
    blas: { get: () => lib.info, enumerable: true },
    inner: { value: inner, enumerable: true },
    minMacs: { value: minMacs, enumerable: true },
    // the kernel threads and the BLAS's follow one setting (setKernelThreads); the BLAS can use them even where WASM cannot
    setThreads: {
      enumerable: true,
      value(n: number): number {
        const got = inner.setThreads ? inner.setThreads(n) : 1;
        lib.setThreads?.(n);
        return got;
      },
    },
    matmul: {
      enumerable: true,
      value(
        a: Float32Array,
        b: Float32Array,
        c: Float32Array,
        m: number,
        kk: number,
        n: number,
        transA: boolean,
        transB: boolean,
        accumulate: boolean,
      ) {
        // mostly-zero analog input (MNIST pixels) stays on the WASM sparse GEMM, which visits only the nonzeros:
        // tutorial 5's first layer trained 7% slower end to end with it on the BLAS (OpenBLAS as this machine pins it)
        if (!(isF32(a) && isF32(b) && isF32(c)) || !big(m, kk, n) || sparseGemmApplies(a, !!transB, n))
          return inner.matmul(a, b, c, m, kk, n, transA, transB, accumulate);
        checkMatmul(a, b, c, m, kk, n);
        lib.sgemm(!!transA, !!transB, m, n, kk, 1, a, transA ? m : kk, b, transB ? kk : n, accumulate ? 1 : 0, c, n);
      },
    },
    // a dense source's two GEMMs (its currents, and dw in the backward) on the BLAS, reading and writing the
    // currents and their gradient where the WASM scan keeps them (no copies between JavaScript and WASM memory)
    spikeSeqLeakyForward: {
      enumerable: true,
      value(src: SpikeSource, w: Float32Array, bias: Float32Array | null, kk: number, lif: LeakyLayerArgs, wantMem: boolean) {
        const dense = src && typeof src === 'object' && 'dense' in src && isF32(src.dense) && !src.gemm;
        const rows = lif && lif.H > 0 ? (lif.T * lif.N) / lif.H : 0;
        if (dense && Number.isInteger(rows) && big(rows, kk, lif.H) && big(kk, rows, lif.H) && !sparseGemmApplies(src.dense, false, lif.H))
          return inner.spikeSeqLeakyForward({ dense: src.dense, gemm: k.matmul }, w, bias, kk, lif, wantMem);
        return inner.spikeSeqLeakyForward(src, w, bias, kk, lif, wantMem);
      },
    },
    leakyBackward: {
      enumerable: true,
      value(args: LeakyBackwardArgs) {
        const from = args.gradSpkFrom;
        if (!from || !args.H || !(isF32(from.g) && isF32(from.w))) return inner.leakyBackward(args);
        const TN = args.T * args.N;
        const rows = TN / args.H;
        const { g, w, o } = from;
        // the contract's checks first (sizes, lengths, every other field), then g w^T through the BLAS
        if (
          !Number.isInteger(rows) ||
          !Number.isInteger(o) ||
          o < BLAS_GRAD_SPK_MIN_O ||
          !big(rows, o, args.H) ||
          g.length !== rows * o ||
          w.length !== args.H * o
        )
          return inner.leakyBackward(args);
        const row = args.gradSpkRow === true;
        if (args.gradSpk != null && (!isF32(args.gradSpk) || args.gradSpk.length !== (row ? args.N : TN))) return inner.leakyBackward(args);
        // dL/dspk (+)= g w^T: g [rows, o], w [H, o]; the caller's gradSpk is not written (a row is expanded over the steps)
        const gs = args.gradSpk ? (row ? expandRow(args.gradSpk, args.T) : Float32Array.from(args.gradSpk)) : new Float32Array(TN);
        lib.sgemm(false, true, rows, args.H, o, 1, g, o, w, o, args.gradSpk ? 1 : 0, gs, args.H);
        return inner.leakyBackward({ ...args, gradSpk: gs, gradSpkRow: false, gradSpkFrom: null });
      },
    },
  });
  return k;
}
