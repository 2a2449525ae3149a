import { ShapeError, SpikeflowError, ValueError } from '../core/errors.js';
import { copyF32, copyU8 } from '../core/buffers.js';
import { WASM_BASE64, WASM_RELAXED_BASE64 } from './wasm-binary.generated.js';
import type { AdamCoefficients, AdamState, ConvShape, GradientSum, Kernels, LeakyBackwardArgs, LeakyBackwardOut, LeakyForwardOut, LeakyScanArgs, SavedCurrents, SpikeSource } from './types.js';
import { checkAdam, checkLeaky, checkLeakyBackward, checkLeakyProject, checkMatmul, checkRows, checkSpikeGradW, checkSpikeSeq, checkSeqLeakyProject, checkConv, checkPool, checkConvPool, checkBias, checkRateSpikes, checkRateLeakyProject, checkSpikeSeqLeaky, need } from './validate.js';

/**
 * Loader and wrapper of the AssemblyScript WASM SIMD kernels (src/kernels/assembly, built by
 * scripts/build-wasm.mjs into wasm-binary.generated.ts as base64, so Node and browsers load it the
 * same way without fetch or fs). The module comes in two builds of one source: WASM SIMD, and WASM SIMD
 * with relaxed SIMD, whose multiply-adds (dense GEMM, the convolution input gradient) are fused (one
 * instruction, one rounding). The relaxed build is used where the engine validates it, unless the
 * caller asks otherwise; both equal the TypeScript reference within float rounding.
 *
 * WASM sees only its own linear memory, so every call lays its operands out in one scratch arena
 * (from the module's heap base up, grown when a call needs more), copies the inputs in, runs the
 * kernel and copies the outputs out. Output buffers are copied in only when the kernel accumulates
 * into them. Growing memory detaches every view of the old buffer, so views are made only after the
 * layout (and any grow) of the call is done; the kernels themselves never grow memory.
 */

interface Exports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  gemmScratchBytes(m: number, k: number, n: number): number;
  gemm(a: number, b: number, c: number, m: number, k: number, n: number, transA: number, transB: number, acc: number, scratch: number): void;
  spikeMatmulScratchBytes(m: number, k: number, n: number): number;
  spikeMatmul(s: number, w: number, c: number, m: number, k: number, n: number, acc: number, scratch: number): void;
  spikeGradWScratchBytes(m: number, k: number, n: number): number;
  spikeMatmulGradW(s: number, g: number, dw: number, m: number, k: number, n: number, scratch: number): void;
  spikeSeqMatmulScratchBytes(t: number, b: number, k: number, n: number): number;
  spikeSeqMatmul(s: number, w: number, bias: number, c: number, t: number, b: number, k: number, n: number, acc: number, scratch: number): void;
  spikeSeqGradWScratchBytes(t: number, b: number, k: number, n: number): number;
  spikeSeqGradW(s: number, g: number, dw: number, t: number, b: number, k: number, n: number, scratch: number, gradBias: number): void;
  sparseScratchBytes(m: number, k: number): number;
  sparseGemm(a: number, b: number, c: number, m: number, k: number, n: number, transA: number, acc: number, scratch: number): void;
  sumRows(x: number, out: number, m: number, n: number, acc: number): void;
  leakyProjectScratchBytes(h: number, o: number): number;
  leakyProject(
    input: number, constInput: number, beta: number, thr: number, reset: number, t: number, n: number, h: number,
    w: number, o: number, out: number, acc: number, scratch: number,
  ): number;
  seqLeakyProjectScratchBytes(t: number, k: number, h: number, o: number): number;
  seqLeakyProject(
    s: number, w: number, bias: number, k: number, beta: number, thr: number, reset: number, t: number, b: number, h: number,
    w2: number, o: number, out: number, acc: number, scratch: number,
  ): number;
  addBias(c: number, bias: number, m: number, n: number): void;
  convSpikeScratchBytes(h: number, w: number, c: number, k: number): number;
  convSpikeForward(s: number, w: number, bias: number, out: number, ...geomAndScratch: number[]): void;
  convPoolScratchBytes(h: number, w: number, c: number, o: number, outH: number, outW: number, k: number): number;
  convPoolSpikeForward(s: number, w: number, bias: number, y: number, arg: number, ...geomPoolScratch: number[]): void;
  convPoolSpikeBackward(s: number, gy: number, arg: number, w: number, dw: number, gIn: number, wantW: number, wantIn: number, ...geomPoolScratch: number[]): void;
  convGradWScratchBytes(h: number, w: number): number;
  convSpikeGradW(s: number, g: number, dw: number, ...geomAndScratch: number[]): void;
  convGradInputScratchBytes(k: number, o: number): number;
  convGradInput(g: number, w: number, gIn: number, ...geomAndScratch: number[]): void;
  maxPoolForward(x: number, y: number, arg: number, n: number, h: number, w: number, c: number, k: number, stride: number, outH: number, outW: number): void;
  rateSampleScratchBytes(f: number): number;
  rateSpikes(x: number, keys: number, samples: number, f: number, steps: number, gain: number, out: number, scratch: number): number;
  rateLeakyProjectScratchBytes(t: number, k: number, h: number, o: number): number;
  rateLeakyProject(
    x: number, keys: number, gain: number, w: number, bias: number, k: number, beta: number, thr: number, reset: number, t: number, b: number, h: number,
    w2: number, o: number, out: number, acc: number, scratch: number,
  ): number;
  adamUpdate(w: number, g: number, m: number, v: number, n: number, b1: number, b2: number, eps: number, stepSize: number, invC2: number, P: number, wts: number): void;
  leakyScratchBytes(): number;
  leakyForward(
    input: number, constInput: number, beta: number, thr: number, reset: number, spk: number, mem: number,
    t: number, n: number, h: number, scratch: number,
  ): number;
  leakyBackwardScratchBytes(t: number, h: number, o: number): number;
  leakyBackward(
    beta: number, thr: number, reset: number, spk: number, mem: number, input: number, gradSpk: number, gradMem: number, code: number, sp: number, sp2: number,
    constInput: number, gradInput: number, gradBeta: number, t: number, n: number, h: number, scratch: number, trunc: number, dg: number, dw: number, o: number,
  ): void;
}

/** Base64 -> bytes without Buffer (works in browsers, workers and Node). */
function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** (module (func (result v128) (v128.const i32x4 0 0 0 0))): validates only where WASM SIMD is supported. */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, ...new Array<number>(16).fill(0), 0x0b, // code: v128.const 0, end
]);

function checkSupport(): void {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function') {
    throw new SpikeflowError('spikeflow kernels need WebAssembly, which this JavaScript environment does not provide');
  }
  if (!WebAssembly.validate(SIMD_PROBE)) {
    throw new SpikeflowError(
      'spikeflow kernels need WebAssembly SIMD (128-bit), which this engine does not support: ' +
        'use Node >= 16.4, Chrome >= 91, Firefox >= 89 or Safari >= 16.4, or pass referenceKernels instead',
    );
  }
}

const PAGE = 65536;

const align16 = (bytes: number) => Math.ceil(bytes / 16) * 16;

/**
 * The module's memory from its heap base up: long-lived regions (`hold`: Adam moments kept between
 * steps; freed regions are reused by later holds of the same size), then an optional reservation
 * (`keep`: data that outlives the call, the currents a training forward saves for its backward), then
 * the scratch arena of each call (`layout`: operand sizes in bytes -> 16-aligned addresses, growing
 * memory when needed). A new reservation replaces the previous one (its generation number no longer
 * matches); so does a growth of the long-lived zone, which moves the reservation's place.
 */
function arena(ex: Exports) {
  const base = ex.heapBase();
  let held = 0;
  const freeHeld = new Map<number, number[]>();
  let kept = 0;
  let gen = 0;
  const ensure = (end: number) => {
    const have = ex.memory.buffer.byteLength;
    if (end > have) {
      try {
        ex.memory.grow(Math.ceil((end - have) / PAGE));
      } catch {
        throw new SpikeflowError(
          `WASM kernels: this call needs ${(end / 2 ** 20).toFixed(0)} MiB of WebAssembly memory, more than the engine allows (4 GiB at most); split it into smaller batches`,
        );
      }
    }
  };
  return {
    layout(sizes: number[]): number[] {
      let off = base + held + kept;
      const ptrs = sizes.map((bytes) => {
        const p = off;
        off += align16(bytes);
        return p;
      });
      ensure(off);
      return ptrs;
    },
    /** Reserves `bytes` at the bottom (replacing the previous reservation); returns its address and generation. */
    keep(bytes: number): { ptr: number; gen: number } {
      kept = 0; // no reservation while growing: a failed grow leaves none
      gen++;
      ensure(base + held + align16(bytes));
      kept = align16(bytes);
      return { ptr: base + held, gen };
    },
    /** A long-lived region of `bytes` (a freed one of that size, else new at the top of the zone). */
    hold(bytes: number): number {
      const size = align16(bytes);
      const reuse = freeHeld.get(size)?.pop();
      if (reuse !== undefined) return reuse;
      kept = 0; // the zone grows over the reservation's place
      gen++;
      ensure(base + held + size);
      const p = base + held;
      held += size;
      return p;
    },
    /** Returns a long-lived region for reuse. */
    unhold(ptr: number, bytes: number): void {
      const size = align16(bytes);
      const list = freeHeld.get(size);
      if (list) list.push(ptr);
      else freeHeld.set(size, [ptr]);
    },
    /** Whether reservation `g` is still the current one. */
    holds(g: number): boolean {
      return g === gen && kept > 0;
    },
    /** Frees reservation `g` if it is still the current one. */
    release(g: number): void {
      if (g === gen) {
        kept = 0;
        gen++;
      }
    },
  };
}

/** Adam moments in WASM memory: m at ptr, v after it; m and v are the arrays they came from (and go back to). */
class WasmAdamState implements AdamState {
  readonly kernels = 'wasm';
  freed = false;
  constructor(readonly owner: object, readonly ptr: number, readonly m: Float32Array, readonly v: Float32Array) {}
  get n(): number {
    return this.m.length;
  }
}

/** spikeSeqLeakyForward's saved currents in WASM memory: where they lie while their reservation holds, and how to recompute them. */
class WasmSaved implements SavedCurrents {
  readonly kernels = 'wasm';
  constructor(
    /** the wrap() that made it (a reservation is only meaningful there) */
    readonly owner: object,
    readonly gen: number,
    readonly T: number,
    readonly N: number,
    readonly k: number,
    readonly pCur: number,
    readonly pS: number,
    readonly src: SpikeSource,
    readonly w: Float32Array,
    readonly bias: Float32Array | null,
  ) {}
}

/** Above this fraction of exact zeros in A, the sparse GEMM beats the dense one (measured on MNIST-like data). */
const SPARSE_MIN_ZEROS = 0.6;

/** Fraction of exact zeros, estimated on a strided sample of at most ~4096 entries. */
function zeroFraction(a: Float32Array): number {
  const step = Math.max(1, Math.floor(a.length / 4096));
  let zeros = 0;
  let seen = 0;
  for (let i = 0; i < a.length; i += step, seen++) if (a[i] === 0) zeros++;
  return seen ? zeros / seen : 0;
}

/** Geometry arguments of the conv kernels, in their order. */
const convDims = (g: ConvShape): number[] => [g.n, g.H, g.W, g.C, g.O, g.kH, g.kW, g.stride, g.pad, g.outH, g.outW];

function wrap(ex: Exports, relaxed: boolean): Kernels {
  const mem = arena(ex);
  const layout = mem.layout;
  const owner = {};
  // Views are made after layout() so they never refer to a buffer detached by a grow.
  const f32 = (ptr: number, len: number) => new Float32Array(ex.memory.buffer, ptr, len);
  const u8 = (ptr: number, len: number) => new Uint8Array(ex.memory.buffer, ptr, len);
  const leakyScratch = ex.leakyScratchBytes();

  /** Runs the forward scan on operands already laid out; returns the spike count. */
  const runForward = (a: LeakyScanArgs, pIn: number, pBeta: number, pSpk: number, pMem: number, pScratch: number): number =>
    ex.leakyForward(pIn, a.constInput ? 1 : 0, pBeta, a.threshold, a.reset, pSpk, pMem, a.T, a.N, a.H, pScratch);

  /**
   * The spikes of src into pS (drawn there for a rate source) and their currents spikeSeqMatmul(S, w) +
   * bias into pCur, both outside this call's scratch (a reservation). Returns -1, or the index of a NaN value.
   */
  const currentsInto = (src: SpikeSource, w: Float32Array, bias: Float32Array | null, k: number, T: number, B: number, H: number, pS: number, pCur: number): number => {
    const rate = 'spikes' in src ? null : src;
    const scratch = Math.max(ex.spikeSeqMatmulScratchBytes(T, B, k, H), rate ? ex.rateSampleScratchBytes(k) : 0);
    const [pw, pb, pt, px, pk] = layout([w.length * 4, bias ? H * 4 : 0, scratch, rate ? rate.values.length * 4 : 0, rate ? rate.keys.length * 4 : 0]);
    if (rate) {
      f32(px, rate.values.length).set(rate.values);
      new Uint32Array(ex.memory.buffer, pk, rate.keys.length).set(rate.keys);
      const bad = ex.rateSpikes(px, pk, B, k, T, rate.gain, pS, pt);
      if (bad >= 0) return bad;
    } else u8(pS, T * B * k).set((src as { spikes: Uint8Array }).spikes);
    f32(pw, w.length).set(w);
    if (bias) f32(pb, H).set(bias);
    ex.spikeSeqMatmul(pS, pw, bias ? pb : 0, pCur, T, B, k, H, 0, pt);
    return -1;
  };

  /**
   * The Adam kernel over w and the gradient(s), with the moments either held (at `held`: m, then v) or
   * copied in from m, v and back out.
   */
  const adamRun = (w: Float32Array, g: Float32Array | GradientSum, c: AdamCoefficients, held: number | null, m: Float32Array, v: Float32Array): void => {
    const n = w.length;
    const grads = 'grads' in g ? g.grads : [g];
    const P = grads.length;
    const [pw, pm, pv, ptab, pwts, ...pg] = layout([n * 4, held === null ? n * 4 : 0, held === null ? n * 4 : 0, P * 4, P * 4, ...grads.map(() => n * 4)]);
    f32(pw, n).set(w);
    const mp = held === null ? pm : held;
    const vp = held === null ? pv : held + align16(n * 4);
    if (held === null) {
      f32(pm, n).set(m);
      f32(pv, n).set(v);
    }
    grads.forEach((b, r) => f32(pg[r], n).set(b));
    if ('grads' in g) {
      new Uint32Array(ex.memory.buffer, ptab, P).set(pg);
      f32(pwts, P).set(g.weights);
    }
    ex.adamUpdate(pw, 'grads' in g ? ptab : pg[0], mp, vp, n, c.b1, c.b2, c.eps, c.stepSize, 1 / c.c2, 'grads' in g ? P : 0, pwts);
    w.set(f32(pw, n));
    if (held === null) {
      m.set(f32(pm, n));
      v.set(f32(pv, n));
    }
    if ('grads' in g) grads[0].set(f32(pg[0], n));
  };
  const wasmAdamState = (s: AdamState): WasmAdamState => {
    if (!(s instanceof WasmAdamState) || s.owner !== owner) throw new ValueError(`Adam state comes from the ${s.kernels} kernels, not these WASM kernels`);
    if (s.freed) throw new ValueError('Adam state was freed');
    return s;
  };
  // a state dropped without adamStateFree gives its memory back when it is collected
  const adamStates = new FinalizationRegistry<{ ptr: number; bytes: number }>((r) => mem.unhold(r.ptr, r.bytes));

  return {
    name: 'wasm',
    fusedMultiplyAdd: relaxed,
    matmul(a, b, c, m, k, n, transA, transB, accumulate) {
      checkMatmul(a, b, c, m, k, n);
      if (m === 0 || n === 0) return;
      if (k === 0) {
        if (!accumulate) c.fill(0);
        return;
      }
      // Analog inputs with mostly exact zeros (e.g. MNIST pixels) take the sparse path: only nonzeros are visited.
      const sparse = !transB && n >= 16 && zeroFraction(a) >= SPARSE_MIN_ZEROS;
      const scratch = sparse ? ex.sparseScratchBytes(m, k) : ex.gemmScratchBytes(m, k, n);
      const [pa, pb, pc, ps] = layout([a.length * 4, b.length * 4, c.length * 4, scratch]);
      f32(pa, a.length).set(a);
      f32(pb, b.length).set(b);
      if (accumulate) f32(pc, c.length).set(c);
      if (sparse) ex.sparseGemm(pa, pb, pc, m, k, n, transA ? 1 : 0, accumulate ? 1 : 0, ps);
      else ex.gemm(pa, pb, pc, m, k, n, transA ? 1 : 0, transB ? 1 : 0, accumulate ? 1 : 0, ps);
      c.set(f32(pc, c.length));
    },
    spikeMatmul(s, w, c, m, k, n, accumulate) {
      checkMatmul(s, w, c, m, k, n, 'spikeMatmul');
      if (m === 0 || n === 0) return;
      const [ps, pw, pc, pt] = layout([s.length, w.length * 4, c.length * 4, ex.spikeMatmulScratchBytes(m, k, n)]);
      u8(ps, s.length).set(s);
      f32(pw, w.length).set(w);
      if (accumulate) f32(pc, c.length).set(c);
      ex.spikeMatmul(ps, pw, pc, m, k, n, accumulate ? 1 : 0, pt);
      c.set(f32(pc, c.length));
    },
    spikeMatmulGradW(s, g, dw, m, k, n) {
      checkSpikeGradW(s, g, dw, m, k, n);
      if (m === 0 || k === 0 || n === 0) return;
      const [ps, pg, pd, pt] = layout([s.length, g.length * 4, dw.length * 4, ex.spikeGradWScratchBytes(m, k, n)]);
      u8(ps, s.length).set(s);
      f32(pg, g.length).set(g);
      f32(pd, dw.length).set(dw);
      ex.spikeMatmulGradW(ps, pg, pd, m, k, n, pt);
      dw.set(f32(pd, dw.length));
    },
    spikeSeqMatmul(s, w, c, t, b, k, n, accumulate, bias = null) {
      checkSpikeSeq('spikeSeqMatmul', s, w, c, t, b, k, n);
      checkBias('spikeSeqMatmul', bias, n);
      if (t === 0 || b === 0 || n === 0) return;
      const [ps, pw, pc, pb, pt] = layout([s.length, w.length * 4, c.length * 4, bias ? n * 4 : 0, ex.spikeSeqMatmulScratchBytes(t, b, k, n)]);
      u8(ps, s.length).set(s);
      f32(pw, w.length).set(w);
      if (accumulate) f32(pc, c.length).set(c);
      if (bias) f32(pb, n).set(bias);
      ex.spikeSeqMatmul(ps, pw, bias ? pb : 0, pc, t, b, k, n, accumulate ? 1 : 0, pt);
      c.set(f32(pc, c.length));
    },
    spikeSeqGradW(s, g, dw, t, b, k, n, gradBias = null) {
      checkSpikeSeq('spikeSeqGradW', s, g, dw, t, b, k, n);
      checkBias('spikeSeqGradW', gradBias, n);
      if (t === 0 || b === 0 || n === 0) return;
      const [ps, pg, pd, pb, pt] = layout([s.length, g.length * 4, dw.length * 4, gradBias ? n * 4 : 0, ex.spikeSeqGradWScratchBytes(t, b, k, n)]);
      u8(ps, s.length).set(s);
      f32(pg, g.length).set(g);
      if (k > 0) f32(pd, dw.length).set(dw);
      if (gradBias) f32(pb, n).set(gradBias);
      ex.spikeSeqGradW(ps, pg, pd, t, b, k, n, pt, gradBias ? pb : 0);
      if (k > 0) dw.set(f32(pd, dw.length));
      if (gradBias) gradBias.set(f32(pb, n));
    },
    sumRows(x, out, m, n, accumulate) {
      checkRows('sumRows', x, out, m, n);
      if (n === 0) return;
      const [px, po] = layout([x.length * 4, n * 4]);
      f32(px, x.length).set(x);
      if (accumulate) f32(po, n).set(out);
      ex.sumRows(px, po, m, n, accumulate ? 1 : 0);
      out.set(f32(po, n));
    },
    addBias(c, bias, m, n) {
      checkRows('addBias', c, bias, m, n);
      if (m === 0 || n === 0) return;
      const [pc, pb] = layout([c.length * 4, n * 4]);
      f32(pc, c.length).set(c);
      f32(pb, n).set(bias);
      ex.addBias(pc, pb, m, n);
      c.set(f32(pc, c.length));
    },
    leakyForward(a: LeakyScanArgs, wantMem = true): LeakyForwardOut {
      checkLeaky('leakyForward', a);
      const TN = a.T * a.N;
      // without wantMem the kernel keeps each tile's membrane in one scratch row (no [T, N] trace written)
      const [pi, pb, ps, pm, pt] = layout([a.input.length * 4, a.H * 4, TN, wantMem ? TN * 4 : 0, leakyScratch]);
      f32(pi, a.input.length).set(a.input);
      f32(pb, a.H).set(a.beta);
      const count = runForward(a, pi, pb, ps, wantMem ? pm : 0, pt);
      return { spk: copyU8(u8(ps, TN)), mem: wantMem ? copyF32(f32(pm, TN)) : null, count };
    },
    spikeSeqLeakyForward(src, w, bias, k, lif, wantMem) {
      checkSpikeSeqLeaky(src, w, bias, k, lif);
      const { T, N, H } = lif;
      const B = N / H;
      const TN = T * N;
      const sLen = T * B * k;
      // the currents and spikes stay in WASM memory for the backward (reserved below every call's scratch)
      const { ptr, gen } = mem.keep(align16(TN * 4) + sLen);
      const pCur = ptr;
      const pS = ptr + align16(TN * 4);
      const saved = new WasmSaved(owner, gen, T, N, k, pCur, pS, src, w, bias);
      if (TN === 0) return { spk: new Uint8Array(0), mem: wantMem ? new Float32Array(0) : null, count: 0, saved };
      const bad = currentsInto(src, w, bias, k, T, B, H, pS, pCur);
      if (bad >= 0) {
        mem.release(gen);
        return { spk: new Uint8Array(0), mem: null, count: -1 - bad, saved };
      }
      const [pbeta, pspk, pm, pt] = layout([H * 4, TN, wantMem ? TN * 4 : 0, leakyScratch]);
      f32(pbeta, H).set(lif.beta);
      const count = ex.leakyForward(pCur, 0, pbeta, lif.threshold, lif.reset, pspk, wantMem ? pm : 0, T, N, H, pt);
      return { spk: copyU8(u8(pspk, TN)), mem: wantMem ? copyF32(f32(pm, TN)) : null, count, saved };
    },
    leakyProject(a: LeakyScanArgs, w: Float32Array, o: number, out: Float32Array, accumulate: boolean): number {
      checkLeakyProject(a, w, o, out);
      const [pi, pb, pw, po, pt] = layout([a.input.length * 4, a.H * 4, w.length * 4, out.length * 4, ex.leakyProjectScratchBytes(a.H, o)]);
      f32(pi, a.input.length).set(a.input);
      f32(pb, a.H).set(a.beta);
      f32(pw, w.length).set(w);
      if (accumulate) f32(po, out.length).set(out);
      const count = ex.leakyProject(pi, a.constInput ? 1 : 0, pb, a.threshold, a.reset, a.T, a.N, a.H, pw, o, po, accumulate ? 1 : 0, pt);
      out.set(f32(po, out.length));
      return count;
    },
    seqLeakyProject(s, w, bias, k, lif, w2, o, out, accumulate) {
      checkSeqLeakyProject(s, w, bias, k, lif, w2, o, out);
      const { T, N, H } = lif;
      const B = N / H;
      if (T * N === 0) {
        if (!accumulate) out.fill(0);
        return 0;
      }
      // one sample's currents at a time, inside the kernel: the [T, B, H] currents are never stored
      const [ps, pw, pbias, pbeta, pw2, po, pt] = layout([
        s.length, w.length * 4, bias ? H * 4 : 0, H * 4, w2.length * 4, out.length * 4, ex.seqLeakyProjectScratchBytes(T, k, H, o),
      ]);
      u8(ps, s.length).set(s);
      f32(pw, w.length).set(w);
      if (bias) f32(pbias, H).set(bias);
      f32(pbeta, H).set(lif.beta);
      f32(pw2, w2.length).set(w2);
      if (accumulate) f32(po, out.length).set(out);
      const count = ex.seqLeakyProject(ps, pw, bias ? pbias : 0, k, pbeta, lif.threshold, lif.reset, T, B, H, pw2, o, po, accumulate ? 1 : 0, pt);
      out.set(f32(po, out.length));
      return count;
    },
    rateLeakyProject(x, keys, gain, w, bias, k, lif, w2, o, out, accumulate) {
      checkRateLeakyProject(x, keys, gain, w, bias, k, lif, w2, o, out);
      const { T, N, H } = lif;
      const B = N / H;
      if (T * N === 0) {
        if (!accumulate) out.fill(0);
        return 0;
      }
      const [px, pk, pw, pbias, pbeta, pw2, po, pt] = layout([
        x.length * 4, keys.length * 4, w.length * 4, bias ? H * 4 : 0, H * 4, w2.length * 4, out.length * 4, ex.rateLeakyProjectScratchBytes(T, k, H, o),
      ]);
      f32(px, x.length).set(x);
      new Uint32Array(ex.memory.buffer, pk, keys.length).set(keys);
      f32(pw, w.length).set(w);
      if (bias) f32(pbias, H).set(bias);
      f32(pbeta, H).set(lif.beta);
      f32(pw2, w2.length).set(w2);
      if (accumulate) f32(po, out.length).set(out);
      const count = ex.rateLeakyProject(px, pk, gain, pw, bias ? pbias : 0, k, pbeta, lif.threshold, lif.reset, T, B, H, pw2, o, po, accumulate ? 1 : 0, pt);
      if (count < 0) return count;
      out.set(f32(po, out.length));
      return count;
    },
    convSpikeForward(s, w, bias, out, g) {
      checkConv('convSpikeForward', g, s, w, out);
      checkBias('convSpikeForward', bias, g.O);
      if (!out.length) return;
      const [ps, pw, pb, po, pt] = layout([s.length, w.length * 4, bias ? g.O * 4 : 0, out.length * 4, ex.convSpikeScratchBytes(g.H, g.W, g.C, g.kH * g.kW * g.C)]);
      u8(ps, s.length).set(s);
      f32(pw, w.length).set(w);
      if (bias) f32(pb, g.O).set(bias);
      ex.convSpikeForward(ps, pw, bias ? pb : 0, po, ...convDims(g), pt);
      out.set(f32(po, out.length));
    },
    convPoolSpikeForward(s, w, bias, y, arg, g, p) {
      checkConvPool('convPoolSpikeForward', g, p, s, w, y, arg);
      checkBias('convPoolSpikeForward', bias, g.O);
      if (!y.length) return;
      const scratch = ex.convPoolScratchBytes(g.H, g.W, g.C, g.O, g.outH, g.outW, g.kH * g.kW * g.C);
      const [ps, pw, pb, py, pa, pt] = layout([s.length, w.length * 4, bias ? g.O * 4 : 0, y.length * 4, arg.length * 4, scratch]);
      u8(ps, s.length).set(s);
      f32(pw, w.length).set(w);
      if (bias) f32(pb, g.O).set(bias);
      ex.convPoolSpikeForward(ps, pw, bias ? pb : 0, py, pa, ...convDims(g), p.k, p.stride, p.outH, p.outW, pt);
      y.set(f32(py, y.length));
      arg.set(new Int32Array(ex.memory.buffer, pa, arg.length));
    },
    convPoolSpikeBackward(s, gy, arg, w, dw, gIn, g, p) {
      checkConvPool('convPoolSpikeBackward', g, p, s, w, gy, arg);
      if (dw) need('convPoolSpikeBackward', 'dW', dw, w.length);
      if (gIn) need('convPoolSpikeBackward', 'gIn', gIn, s.length);
      if (!gy.length || (!dw && !gIn)) return;
      const scratch = ex.convPoolScratchBytes(g.H, g.W, g.C, g.O, g.outH, g.outW, g.kH * g.kW * g.C);
      const [ps, pg, pa, pw, pd, pi, pt] = layout([
        s.length, gy.length * 4, arg.length * 4, w.length * 4, dw ? dw.length * 4 : 0, gIn ? gIn.length * 4 : 0, scratch,
      ]);
      u8(ps, s.length).set(s);
      f32(pg, gy.length).set(gy);
      new Int32Array(ex.memory.buffer, pa, arg.length).set(arg);
      f32(pw, w.length).set(w);
      if (dw) f32(pd, dw.length).set(dw);
      if (gIn) f32(pi, gIn.length).set(gIn);
      ex.convPoolSpikeBackward(ps, pg, pa, pw, pd, pi, dw ? 1 : 0, gIn ? 1 : 0, ...convDims(g), p.outH, p.outW, pt);
      if (dw) dw.set(f32(pd, dw.length));
      if (gIn) gIn.set(f32(pi, gIn.length));
    },
    convSpikeGradW(s, gOut, dw, g) {
      checkConv('convSpikeGradW', g, s, dw, gOut);
      if (!gOut.length || !dw.length) return;
      const [ps, pg, pd, pt] = layout([s.length, gOut.length * 4, dw.length * 4, ex.convGradWScratchBytes(g.H, g.W)]);
      u8(ps, s.length).set(s);
      f32(pg, gOut.length).set(gOut);
      f32(pd, dw.length).set(dw);
      ex.convSpikeGradW(ps, pg, pd, ...convDims(g), pt);
      dw.set(f32(pd, dw.length));
    },
    convGradInput(gOut, w, gIn, g) {
      checkConv('convGradInput', g, gIn, w, gOut);
      if (!gOut.length || !gIn.length) return;
      const [pg, pw, pi, pt] = layout([gOut.length * 4, w.length * 4, gIn.length * 4, ex.convGradInputScratchBytes(g.kH * g.kW * g.C, g.O)]);
      f32(pg, gOut.length).set(gOut);
      f32(pw, w.length).set(w);
      f32(pi, gIn.length).set(gIn);
      ex.convGradInput(pg, pw, pi, ...convDims(g), pt);
      gIn.set(f32(pi, gIn.length));
    },
    maxPoolForward(x, y, arg, g) {
      checkPool('maxPoolForward', g, x, y, arg);
      if (!y.length) return;
      const [px, py, pa] = layout([x.length * 4, y.length * 4, arg.length * 4]);
      f32(px, x.length).set(x);
      ex.maxPoolForward(px, py, pa, g.n, g.H, g.W, g.C, g.k, g.stride, g.outH, g.outW);
      y.set(f32(py, y.length));
      arg.set(new Int32Array(ex.memory.buffer, pa, arg.length));
    },
    rateSpikes(x, keys, samples, steps, gain, out) {
      const f = checkRateSpikes('rateSpikes', x, keys, samples, steps, gain);
      need('rateSpikes', 'out', out, steps * x.length);
      if (!out.length) return -1;
      const [px, pk, po, pt] = layout([x.length * 4, keys.length * 4, out.length, ex.rateSampleScratchBytes(f)]);
      f32(px, x.length).set(x);
      new Uint32Array(ex.memory.buffer, pk, keys.length).set(keys);
      const bad = ex.rateSpikes(px, pk, samples, f, steps, gain, po, pt);
      if (bad >= 0) return bad;
      out.set(u8(po, out.length));
      return -1;
    },
    adamUpdate(w, g, m, v, c) {
      checkAdam(w, g, m, v);
      if (!w.length) return;
      adamRun(w, g, c, null, m, v);
    },
    adamState(m, v) {
      if (m.length !== v.length) throw new ShapeError(`adamState: first moment has ${m.length} elements, second ${v.length}`);
      const ptr = mem.hold(align16(m.length * 4) * 2);
      const s = new WasmAdamState(owner, ptr, m, v);
      f32(ptr, m.length).set(m);
      f32(ptr + align16(m.length * 4), v.length).set(v);
      adamStates.register(s, { ptr, bytes: align16(m.length * 4) * 2 }, s);
      return s;
    },
    adamStep(w, g, state, c) {
      const s = wasmAdamState(state);
      checkAdam(w, g, s.m, s.v);
      if (!w.length) return;
      adamRun(w, g, c, s.ptr, s.m, s.v);
    },
    adamStateRead(state) {
      const s = wasmAdamState(state);
      const n = s.m.length;
      s.m.set(f32(s.ptr, n));
      s.v.set(f32(s.ptr + align16(n * 4), n));
      return { m: s.m, v: s.v };
    },
    adamStateFree(state) {
      const out = this.adamStateRead(state);
      const s = state as WasmAdamState;
      s.freed = true;
      adamStates.unregister(s);
      mem.unhold(s.ptr, align16(s.m.length * 4) * 2);
      return out;
    },
    leakyBackward(a: LeakyBackwardArgs): LeakyBackwardOut {
      checkLeakyBackward(a);
      const TN = a.T * a.N;
      const giLen = a.constInput ? a.N : TN;
      const from = a.gradSpkFrom ?? null;
      const into = a.gradWeightInto ?? null;
      const B = a.N / a.H;
      // saved currents: where the forward left them, or recomputed into a new reservation when a later
      // forward took that memory (the same spikes, weights and sums, so the same values)
      let saved: { pCur: number; pS: number; gen: number } | null = null;
      if (a.saved) {
        if (!(a.saved instanceof WasmSaved)) throw new ValueError(`leakyBackward: saved currents come from the ${a.saved.kernels} kernels, not these WASM kernels`);
        const sv = a.saved;
        if (sv.owner === owner && mem.holds(sv.gen)) saved = sv;
        else {
          const { ptr, gen } = mem.keep(align16(TN * 4) + a.T * B * sv.k);
          saved = { pCur: ptr, pS: ptr + align16(TN * 4), gen };
          if (TN > 0 && currentsInto(sv.src, sv.w, sv.bias, sv.k, a.T, B, a.H, saved.pS, saved.pCur) >= 0) {
            throw new ValueError('leakyBackward: the saved rate-coded values now hold a NaN');
          }
        }
      }
      const sIn = !saved && into ? into.s! : null;
      const [pb, ps, pm, pgs, pgm, pgi, pgb, pt, pi, pfg, pfw, pws, pwd, pwb, pwt] = layout([
        a.H * 4, TN, a.mem ? TN * 4 : 0, a.gradSpk ? TN * 4 : 0, a.gradMem ? TN * 4 : 0, giLen * 4, a.H * 4,
        ex.leakyBackwardScratchBytes(a.T, a.H, from ? from.o : 0),
        a.mem || saved ? 0 : a.input.length * 4, from ? from.g.length * 4 : 0, from ? from.w.length * 4 : 0,
        sIn ? sIn.length : 0, into ? into.dw.length * 4 : 0, into?.gradBias ? a.H * 4 : 0,
        into ? ex.spikeSeqGradWScratchBytes(a.T, B, into.k, a.H) : 0,
      ]);
      f32(pb, a.H).set(a.beta);
      // membrane not kept: the kernel recomputes it tile by tile from the input
      if (a.mem) f32(pm, TN).set(a.mem);
      else if (!saved) f32(pi, a.input.length).set(a.input);
      u8(ps, TN).set(a.spk);
      if (a.gradSpk) f32(pgs, TN).set(a.gradSpk);
      if (from) {
        // dL/dspk (+)= g w^T, the product the next Linear's backward would have formed, made tile by tile in the kernel
        f32(pfg, from.g.length).set(from.g);
        f32(pfw, from.w.length).set(from.w);
      }
      if (a.gradMem) f32(pgm, TN).set(a.gradMem);
      const pIn = saved ? saved.pCur : pi;
      ex.leakyBackward(
        pb, a.threshold, a.reset, ps, a.mem ? pm : 0, a.mem ? 0 : pIn, a.gradSpk ? pgs : 0, a.gradMem ? pgm : 0, a.surrogate, a.surrogateParam, a.surrogateParam2 ?? 0,
        a.constInput ? 1 : 0, pgi, pgb, a.T, a.N, a.H, pt, a.truncate ?? 0, from ? pfg : 0, from ? pfw : 0, from ? from.o : 0,
      );
      let out: LeakyBackwardOut;
      if (into) {
        // the producing Linear's parameter gradients from the input gradient where it lies (spikeSeqGradW's steps)
        if (TN > 0) {
          const pSp = saved ? saved.pS : pws;
          if (sIn) u8(pws, sIn.length).set(sIn);
          if (into.k > 0) f32(pwd, into.dw.length).set(into.dw);
          if (into.gradBias) f32(pwb, a.H).set(into.gradBias);
          ex.spikeSeqGradW(pSp, pgi, pwd, a.T, B, into.k, a.H, pwt, into.gradBias ? pwb : 0);
          if (into.k > 0) into.dw.set(f32(pwd, into.dw.length));
          if (into.gradBias) into.gradBias.set(f32(pwb, a.H));
        }
        out = { gradInput: new Float32Array(0), gradBeta: f32(pgb, a.H).slice() };
      } else out = { gradInput: copyF32(f32(pgi, giLen)), gradBeta: f32(pgb, a.H).slice() };
      // the saved currents are used up: their memory goes back to the scratch arena (a second backward recomputes them)
      if (saved) mem.release(saved.gen);
      return out;
    },
  };
}

function compileError(e: unknown): SpikeflowError {
  return new SpikeflowError(`cannot compile the spikeflow WASM kernels: ${(e as Error).message}`);
}

/** The module imports nothing today (stub runtime, no asserts); abort is provided in case a build adds it. */
const imports = {
  env: {
    abort: (): never => {
      throw new SpikeflowError('WASM kernel aborted (an internal check failed): please report this as a bug');
    },
  },
};

function instantiate(module: WebAssembly.Module, relaxed: boolean): Kernels {
  const inst = new WebAssembly.Instance(module, imports);
  return wrap(inst.exports as unknown as Exports, relaxed);
}

export interface WasmKernelOptions {
  /**
   * true: the relaxed-SIMD build (fused multiply-add), a SpikeflowError where the engine lacks relaxed
   * SIMD; false: the plain WASM SIMD build; default: relaxed where supported.
   */
  relaxed?: boolean;
}

let relaxedBytes: Uint8Array<ArrayBuffer> | null = null;
let relaxedOk: boolean | null = null;

/**
 * Whether this engine runs the relaxed-SIMD build (checked once per realm; `recheck` checks again, after
 * an engine flag was changed).
 */
export function relaxedSimdSupported(recheck = false): boolean {
  if (relaxedOk === null || recheck) {
    relaxedBytes ??= decodeBase64(WASM_RELAXED_BASE64);
    relaxedOk = typeof WebAssembly === 'object' && WebAssembly.validate(relaxedBytes);
  }
  return relaxedOk;
}

function moduleBytes(options: WasmKernelOptions): { bytes: Uint8Array<ArrayBuffer>; relaxed: boolean } {
  checkSupport();
  const want = options.relaxed ?? relaxedSimdSupported();
  if (want && !relaxedSimdSupported()) {
    throw new SpikeflowError(
      'the relaxed-SIMD spikeflow kernels need WebAssembly relaxed SIMD, which this engine does not enable ' +
        '(Node 20: run node with --experimental-wasm-relaxed-simd, or call enableRelaxedSimd() from spikeflow/node first)',
    );
  }
  return want ? { bytes: relaxedBytes!, relaxed: true } : { bytes: decodeBase64(WASM_BASE64), relaxed: false };
}

/** Compiles the kernels synchronously (Node, workers). Throws SpikeflowError if WASM SIMD is unsupported. */
export function createWasmKernelsSync(options: WasmKernelOptions = {}): Kernels {
  const { bytes, relaxed } = moduleBytes(options);
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes);
  } catch (e) {
    throw compileError(e);
  }
  return instantiate(module, relaxed);
}

/** Compiles the kernels asynchronously (required for large modules on browsers' main thread). */
export async function createWasmKernels(options: WasmKernelOptions = {}): Promise<Kernels> {
  const { bytes, relaxed } = moduleBytes(options);
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes);
  } catch (e) {
    throw compileError(e);
  }
  return instantiate(module, relaxed);
}
