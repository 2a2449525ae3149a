import { ShapeError, SpikeflowError, ValueError, checkInt } from '../core/errors.js';
import { newF32, newU8, type ArraySpace } from '../core/buffers.js';
import { compileKernels, compileKernelsSync, type CompiledKernels, type WasmKernelOptions } from './wasm-module.js';
import { KernelPool, canRunPool, defaultThreads, MAX_THREADS } from './pool.js';
import type { SplitBalance } from './balance.js';
import { SPLITS } from './splits.js';
import { At, Room, align16, arena, binder } from './binding.js';
import { KERNELS, type Exports } from './wasm-exports.js';
import type {
  AdamCoefficients,
  AdamState,
  GradientSum,
  Kernels,
  LeakyBackwardOut,
  LeakyForwardOut,
  LeakyScanArgs,
  SavedCurrents,
  SpikeSource,
} from './types.js';
// The argument checks reference.ts imports too (the two Kernels implementations reject the same calls alike).
import {
  checkAdam,
  checkLeaky,
  checkLeakyBackward,
  checkLeakyProject,
  checkMatmul,
  checkRows,
  checkSoftmax,
  checkSoftmaxBackward,
  checkSpikeGradW,
  checkSpikeSeq,
  checkSeqLeakyProject,
  checkConv,
  checkPool,
  checkConvPool,
  checkBias,
  checkRateSpikes,
  checkRateLeakyProject,
  checkSpikeSeqLeaky,
  need,
} from './validate.js';
import { checkNeuronBlock, neuronBackwardTS, neuronForwardTS } from './neuron-block.js';

/**
 * The Kernels contract on the AssemblyScript WASM SIMD kernels (src/kernels/assembly; the module and
 * its two builds, SIMD and relaxed SIMD, are found and compiled by wasm-module.ts).
 *
 * WASM sees only its own linear memory, so every call lays its operands out in one scratch arena,
 * copies the inputs in, runs the kernel and copies the outputs out: binding.ts does that for every
 * kernel from its declaration in wasm-exports.ts. What remains here is what really is special: data
 * kept in WASM memory between calls (Adam moments, the currents a training forward saves), the choice
 * of the sparse GEMM, the chaining of kernels whose intermediate never leaves WASM memory.
 */

/** Adam moments in WASM memory: m at ptr, v after it; m and v are the arrays they came from (and go back to). */
class WasmAdamState implements AdamState {
  readonly kernels = 'wasm';
  freed = false;
  constructor(
    readonly owner: object,
    readonly ptr: number,
    readonly m: Float32Array,
    readonly v: Float32Array,
  ) {}
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

/**
 * Whether matmul runs op(A) op(B) as the sparse GEMM (A mostly exact zeros, B not transposed, n >= 16): then it
 * visits only A's nonzeros. The BLAS tier (blas.ts) leaves such products here too.
 */
export function sparseGemmApplies(a: Float32Array, transB: boolean, n: number): boolean {
  return !transB && n >= 16 && zeroFraction(a) >= SPARSE_MIN_ZEROS;
}

type ScanIn = Omit<LeakyScanArgs, 'input'> & { input: Float32Array | At };

function wrap(ex: Exports, relaxed: boolean, pool: KernelPool | null): { kernels: Kernels; balance: SplitBalance } {
  const mem = arena(ex);
  const { call, placed, put, get, ensureBlocks, resident, unresident, balance } = binder(ex, KERNELS, mem, pool, SPLITS);
  const owner = {};

  /** The forward scan into fresh spike and (wantMem) membrane arrays. */
  const forward = (a: ScanIn, wantMem: boolean, spkAt?: number): LeakyForwardOut => {
    const TN = a.T * a.N;
    // without wantMem the kernel keeps each tile's membrane in one scratch row (no [T, N] trace written)
    const spk = newU8(TN, true);
    const m = wantMem ? newF32(TN, true) : null;
    // spkAt: the spikes are written there (kept for the backward) and copied out from there
    const count = call('leakyForward', { ...a, spk: spkAt === undefined ? spk : new At(spkAt), mem: m });
    if (spkAt !== undefined) get('u8', spkAt, spk);
    return { spk, mem: m, count };
  };

  /**
   * The spikes of sv's source into pS (drawn there for a rate source) and their currents spikeSeqMatmul(S, w)
   * + bias into pCur, both outside this call's scratch (a reservation). Returns -1, or the index of a NaN value.
   */
  const currentsInto = ({ src, w, bias, k, T, N }: WasmSaved, H: number, pS: number, pCur: number): number => {
    if ('dense' in src) {
      // the unfused layers' order (matmul, then addBias), the product written where the scan reads it
      const rows = (T * N) / H;
      if (k === 0) view(pCur, T * N).fill(0);
      else if (src.gemm) src.gemm(src.dense, w, view(pCur, T * N), rows, k, H, false, false, false);
      else denseGemm({ a: src.dense, b: w, c: new At(pCur), m: rows, k, n: H, transA: false, transB: false, accumulate: false });
      if (bias) call('addBias', { c: new At(pCur), bias, m: rows, n: H });
      return -1;
    }
    if ('spikes' in src) put('u8', pS, src.spikes);
    else {
      const bad = call('rateSpikes', { x: src.values, keys: src.keys, samples: N / H, f: k, steps: T, gain: src.gain, out: new At(pS) });
      if (bad >= 0) return bad;
    }
    call('spikeSeqMatmul', { s: new At(pS), w, bias, c: new At(pCur), t: T, b: N / H, k, n: H });
    return -1;
  };

  /** A Float32Array on the module's memory: n floats at ptr (valid until the memory grows). */
  const view = (ptr: number, n: number) => new Float32Array(ex.memory.buffer, ptr, n);
  /** matmul's kernel choice (the sparse GEMM for a mostly-zero A) on operands that may lie in the module's memory. */
  const denseGemm = (
    v: {
      a: Float32Array;
      b: Float32Array | At;
      c: Float32Array | At;
      m: number;
      k: number;
      n: number;
      transA: boolean;
      transB: boolean;
      accumulate: boolean;
    },
    above = 0,
  ) => call(sparseGemmApplies(v.a, v.transB, v.n) ? 'sparseGemm' : 'gemm', v, above);

  /** The Adam kernel over w and the gradient(s), with the moments held in WASM memory (At) or copied in and out. */
  const adam = (w: Float32Array, g: Float32Array | GradientSum, c: AdamCoefficients, m: Float32Array | At, v: Float32Array | At): void => {
    const [grads, wts] = 'grads' in g ? [g.grads, Float32Array.from(g.weights)] : [g, null];
    call('adamUpdate', { ...c, w, g: grads, m, v, wts, P: wts?.length ?? 0, n: w.length, invC2: 1 / c.c2 });
    // a weighted sum was written into the first gradient buffer
    if (wts) get('f32', placed('g').ptr, (grads as Float32Array[])[0]);
  };
  const wasmAdamState = (s: AdamState): WasmAdamState => {
    if (!(s instanceof WasmAdamState) || s.owner !== owner)
      throw new ValueError(`Adam state comes from the ${s.kernels} kernels, not these WASM kernels`);
    if (s.freed) throw new ValueError('Adam state was freed');
    return s;
  };
  // a state dropped without adamStateFree gives its memory back when it is collected
  const adamStates = new FinalizationRegistry<{ ptr: number; bytes: number }>((r) => mem.unhold(r.ptr, r.bytes));

  // a step's arrays in the shared memory's held zone, used in place (views of a plain memory would not survive its growth)
  const arraySpace: ArraySpace | undefined = pool ? { alloc: resident, free: unresident } : undefined;

  const kernels: Kernels = {
    name: 'wasm',
    fusedMultiplyAdd: relaxed,
    arraySpace,
    get threads() {
      return pool && !pool.isClosed ? pool.threads : 1;
    },
    setThreads(n: number) {
      checkInt('threads', n, 1, MAX_THREADS);
      if (!pool) return 1;
      ensureBlocks(Math.min(n, pool.capacity));
      return pool.resize(n);
    },
    close() {
      pool?.close();
    },
    matmul(a, b, c, m, k, n, transA, transB, accumulate) {
      checkMatmul(a, b, c, m, k, n);
      if (m === 0 || n === 0) return;
      if (k === 0) {
        if (!accumulate) c.fill(0);
        return;
      }
      // Analog inputs with mostly exact zeros (e.g. MNIST pixels) take the sparse path: only nonzeros are visited.
      const v = { a, b, c, m, k, n, transA, transB, accumulate };
      if (sparseGemmApplies(a, transB, n)) call('sparseGemm', v);
      else call('gemm', v);
    },
    spikeMatmul(s, w, c, m, k, n, accumulate) {
      checkMatmul(s, w, c, m, k, n, 'spikeMatmul');
      if (m === 0 || n === 0) return;
      call('spikeMatmul', { s, w, c, m, k, n, accumulate });
    },
    spikeMatmulGradW(s, g, dw, m, k, n) {
      checkSpikeGradW(s, g, dw, m, k, n);
      if (m === 0 || k === 0 || n === 0) return;
      call('spikeMatmulGradW', { s, g, dw, m, k, n });
    },
    spikeSeqMatmul(s, w, c, t, b, k, n, accumulate, bias = null) {
      checkSpikeSeq('spikeSeqMatmul', s, w, c, t, b, k, n);
      checkBias('spikeSeqMatmul', bias, n);
      if (t === 0 || b === 0 || n === 0) return;
      call('spikeSeqMatmul', { s, w, bias, c, t, b, k, n, accumulate });
    },
    spikeSeqGradW(s, g, dw, t, b, k, n, gradBias = null) {
      checkSpikeSeq('spikeSeqGradW', s, g, dw, t, b, k, n);
      checkBias('spikeSeqGradW', gradBias, n);
      if (t === 0 || b === 0 || n === 0) return;
      call('spikeSeqGradW', { s, g, dw, gradBias, t, b, k, n });
    },
    softmaxRows(x, probs, stat, rows, C) {
      checkSoftmax(x, probs, stat, rows, C);
      if (rows * C > 0) call('softmaxRows', { x, probs, stat, rows, C });
    },
    softmaxRowsBackward(gx, probs, targets, rows, B, C, g) {
      checkSoftmaxBackward(gx, probs, targets, rows, B, C);
      if (rows * C > 0) call('softmaxRowsBackward', { gx, probs, targets, rows, B, C, g });
    },
    sumRows(x, out, m, n, accumulate) {
      checkRows('sumRows', x, out, m, n);
      if (n === 0) return;
      call('sumRows', { x, out, m, n, accumulate });
    },
    addBias(c, bias, m, n) {
      checkRows('addBias', c, bias, m, n);
      if (m === 0 || n === 0) return;
      call('addBias', { c, bias, m, n });
    },
    leakyForward(a, wantMem = true) {
      checkLeaky('leakyForward', a);
      return forward(a, wantMem);
    },
    neuronForward(a) {
      checkNeuronBlock('neuronForward', a);
      const w = a.spec.wasm;
      if (!w) return neuronForwardTS(a);
      if (a.T * a.N === 0) return 0;
      const r = call('neuronForward', { ...a, ...w });
      if (r === -2)
        throw new ValueError(`WASM kernels: the module has no neuron model ${w.model} (${a.spec.name}); rebuild it (npm run build:wasm)`);
      return r;
    },
    neuronBackward(a) {
      checkNeuronBlock('neuronBackward', a);
      const w = a.spec.wasm;
      const sur = a.surrogate;
      if (!w || sur.code === null) return neuronBackwardTS(a);
      if (a.T * a.N === 0) return;
      const args = { ...a, ...w, surrogate: sur.code, surrogateParam: sur.param, surrogateParam2: sur.param2 ?? 0 };
      if (call('neuronBackward', args) === -2)
        throw new ValueError(`WASM kernels: the module has no neuron model ${w.model} (${a.spec.name}); rebuild it (npm run build:wasm)`);
    },
    spikeSeqLeakyForward(src, w, bias, k, lif, wantMem) {
      checkSpikeSeqLeaky(src, w, bias, k, lif);
      const { T, N, H } = lif;
      const B = N / H;
      const TN = T * N;
      // the currents and spikes stay in WASM memory for the backward (reserved below every call's scratch)
      // (a dense source stays in JavaScript memory: its currents are kept, and the output spikes where the input spikes would be)
      const { ptr, gen } = mem.keep(align16(TN * 4) + ('dense' in src ? TN : T * B * k));
      const saved = new WasmSaved(owner, gen, T, N, k, ptr, ptr + align16(TN * 4), src, w, bias);
      if (TN === 0) return { spk: new Uint8Array(0), mem: wantMem ? new Float32Array(0) : null, count: 0, saved };
      const bad = currentsInto(saved, H, saved.pS, saved.pCur);
      if (bad >= 0) {
        mem.release(gen);
        return { spk: new Uint8Array(0), mem: null, count: -1 - bad, saved };
      }
      const spkAt = 'dense' in src ? saved.pS : undefined;
      return { ...forward({ ...lif, input: new At(saved.pCur), constInput: false }, wantMem, spkAt), saved };
    },
    leakyProject(a, w, o, out, accumulate) {
      checkLeakyProject(a, w, o, out);
      return call('leakyProject', { ...a, w, o, out, accumulate });
    },
    seqLeakyProject(s, w, bias, k, lif, w2, o, out, accumulate) {
      checkSeqLeakyProject(s, w, bias, k, lif, w2, o, out, accumulate);
      if (lif.T * lif.N === 0) {
        if (!accumulate) out.fill(0);
        return 0;
      }
      // one sample's currents at a time, inside the kernel: the [T, B, H] currents are never stored
      return call('seqLeakyProject', { ...lif, input: null, constInput: false, s, w, bias, k, w2, o, out, accumulate });
    },
    rateLeakyProject(x, keys, gain, w, bias, k, lif, w2, o, out, accumulate) {
      checkRateLeakyProject(x, keys, gain, w, bias, k, lif, w2, o, out, accumulate);
      if (lif.T * lif.N === 0) {
        if (!accumulate) out.fill(0);
        return 0;
      }
      return call('rateLeakyProject', { ...lif, input: null, constInput: false, x, keys, gain, w, bias, k, w2, o, out, accumulate });
    },
    convSpikeForward(s, w, bias, out, g) {
      checkConv('convSpikeForward', g, s, w, out);
      checkBias('convSpikeForward', bias, g.O);
      if (out.length) call('convSpikeForward', { ...g, s, w, bias, out });
    },
    convPoolSpikeForward(s, w, bias, y, arg, g, p) {
      checkConvPool('convPoolSpikeForward', g, p, s, w, y, arg);
      checkBias('convPoolSpikeForward', bias, g.O);
      if (y.length) call('convPoolSpikeForward', { ...g, s, w, bias, y, arg, pk: p.k, ps: p.stride, pH: p.outH, pW: p.outW });
    },
    convPoolSpikeBackward(s, gy, arg, w, dw, gIn, g, p, accumulate = true) {
      checkConvPool('convPoolSpikeBackward', g, p, s, w, gy, arg);
      if (dw) need('convPoolSpikeBackward', 'dW', dw, w.length);
      if (gIn) need('convPoolSpikeBackward', 'gIn', gIn, s.length);
      if (!gy.length || (!dw && !gIn)) return;
      call('convPoolSpikeBackward', { ...g, s, gy, arg, w, dw, gIn, pk: p.k, ps: p.stride, pH: p.outH, pW: p.outW, accumulate });
    },
    convSpikeGradW(s, g, dw, shape) {
      checkConv('convSpikeGradW', shape, s, dw, g);
      if (g.length && dw.length) call('convSpikeGradW', { ...shape, s, g, dw });
    },
    convGradInput(g, w, gIn, shape) {
      checkConv('convGradInput', shape, gIn, w, g);
      if (g.length && gIn.length) call('convGradInput', { ...shape, g, w, gIn });
    },
    maxPoolForward(x, y, arg, g) {
      checkPool('maxPoolForward', g, x, y, arg);
      if (y.length) call('maxPoolForward', { ...g, x, y, arg });
    },
    rateSpikes(x, keys, samples, steps, gain, out) {
      const f = checkRateSpikes('rateSpikes', x, keys, samples, steps, gain);
      need('rateSpikes', 'out', out, steps * x.length);
      return out.length ? call('rateSpikes', { x, keys, samples, f, steps, gain, out }) : -1;
    },
    adamUpdate(w, g, m, v, c) {
      checkAdam(w, g, m, v);
      if (w.length) adam(w, g, c, m, v);
    },
    adamState(m, v) {
      if (m.length !== v.length) throw new ShapeError(`adamState: first moment has ${m.length} elements, second ${v.length}`);
      const bytes = align16(m.length * 4) * 2;
      const s = new WasmAdamState(owner, mem.hold(bytes), m, v);
      put('f32', s.ptr, m);
      put('f32', s.ptr + bytes / 2, v);
      adamStates.register(s, { ptr: s.ptr, bytes }, s);
      return s;
    },
    adamStep(w, g, state, c) {
      const s = wasmAdamState(state);
      checkAdam(w, g, s.m, s.v);
      if (w.length) adam(w, g, c, new At(s.ptr), new At(s.ptr + align16(w.length * 4)));
    },
    adamStateRead(state) {
      const s = wasmAdamState(state);
      get('f32', s.ptr, s.m);
      get('f32', s.ptr + align16(s.m.length * 4), s.v);
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
    leakyBackward(a): LeakyBackwardOut {
      checkLeakyBackward(a);
      const TN = a.T * a.N;
      const from = a.gradSpkFrom ?? null;
      const into = a.gradWeightInto ?? null;
      const B = a.N / a.H;
      // saved currents: where the forward left them, or recomputed into a new reservation when a later
      // forward took that memory (the same spikes, weights and sums, so the same values)
      let saved: { pCur: number; pS: number; gen: number } | null = null;
      if (a.saved) {
        if (!(a.saved instanceof WasmSaved))
          throw new ValueError(`leakyBackward: saved currents come from the ${a.saved.kernels} kernels, not these WASM kernels`);
        const sv = a.saved;
        if (sv.owner === owner && mem.holds(sv.gen)) saved = sv;
        else {
          const { ptr, gen } = mem.keep(align16(TN * 4) + ('dense' in sv.src ? 0 : a.T * B * sv.k));
          saved = { pCur: ptr, pS: ptr + align16(TN * 4), gen };
          if (TN > 0 && currentsInto(sv, a.H, saved.pS, saved.pCur) >= 0) {
            throw new ValueError('leakyBackward: the saved rate-coded values now hold a NaN');
          }
        }
      }
      // with gradWeightInto the input gradient stays in WASM memory for the producing Linear's gradients
      const giLen = a.constInput ? a.N : TN;
      const gradInput = into ? new Room(giLen) : newF32(giLen, true);
      const gradBeta = new Float32Array(a.betaGrad === false ? 0 : a.H);
      // membrane not kept: the kernel recomputes it tile by tile from the input; dL/dspk (+)= g w^T (gradSpkFrom),
      // the product the next Linear's backward would have formed, made tile by tile in the kernel
      const input = a.mem ? null : saved ? new At(saved.pCur) : a.input;
      // a dense source's forward left its output spikes by the currents (while its reservation holds): not copied in again
      const spk = saved && saved === a.saved && 'dense' in (saved as WasmSaved).src ? new At(saved.pS) : a.spk;
      call('leakyBackward', {
        ...a,
        input,
        spk,
        gradInput,
        gradBeta: gradBeta.length ? gradBeta : null,
        dg: from?.g,
        dw: from?.w,
        o: from?.o ?? 0,
      });
      if (into && TN > 0) {
        // the producing Linear's parameter gradients from the input gradient where it lies (spikeSeqGradW's steps)
        const g = placed('gradInput');
        const src = (a.saved as WasmSaved | null)?.src;
        if (src && 'dense' in src) {
          // the unfused Linear's backward: dw += x^T g (matmul), then the bias gradient's column sums (sumRows)
          const rows = TN / a.H;
          if (into.k > 0) {
            if (src.gemm) src.gemm(src.dense, view(g.ptr, TN), into.dw, into.k, rows, a.H, true, false, true);
            else
              denseGemm(
                { a: src.dense, b: g, c: into.dw, m: into.k, k: rows, n: a.H, transA: true, transB: false, accumulate: true },
                mem.top,
              );
          }
          if (into.gradBias) call('sumRows', { x: g, out: into.gradBias, m: rows, n: a.H, accumulate: true }, mem.top);
        } else {
          const s = saved ? new At(saved.pS) : into.s;
          call('spikeSeqGradW', { s, g, dw: into.dw, gradBias: into.gradBias, t: a.T, b: B, k: into.k, n: a.H }, mem.top);
        }
      }
      // the saved currents are used up: their memory goes back to the scratch arena (a second backward recomputes them)
      if (saved) mem.release(saved.gen);
      return { gradInput: into ? new Float32Array(0) : (gradInput as Float32Array), gradBeta };
    },
  };
  return { kernels, balance };
}

export { relaxedSimdSupported, type WasmKernelOptions } from './wasm-module.js';

/** Stops a pool whose kernels were collected without close(). */
const pools = new FinalizationRegistry<KernelPool>((p) => p.close());

/** The threads asked for (options.threads, checked, else the default). */
function threadsWanted(options: WasmKernelOptions): number {
  if (options.threads === undefined) return defaultThreads();
  checkInt('threads', options.threads, 1, MAX_THREADS);
  return options.threads;
}

function finish(c: CompiledKernels, threads: number): Kernels {
  const pool = c.shared ? KernelPool.start(c.module, c.memory, Object.keys(KERNELS), threads) : null;
  if (c.shared && !pool) throw new SpikeflowError('WASM kernels: no thread pool could start on their shared memory');
  const { kernels: k, balance } = wrap(c.exports as unknown as Exports, c.relaxed, pool);
  if (pool) pools.register(k, pool);
  internals.set(k, { pool, memory: c.memory, balance });
  return k;
}

/**
 * Compiles the kernels synchronously (Node, workers). Throws SpikeflowError if WASM SIMD is unsupported.
 * With options.threads > 1 (default: see WasmKernelOptions.threads), one call runs on that many threads
 * (pool.ts); until a worker has started, the caller runs its parts itself, so a browser worker that
 * blocks while its own workers start never waits for them.
 */
export function createWasmKernelsSync(options: WasmKernelOptions = {}): Kernels {
  const threads = threadsWanted(options);
  // shared memory wherever a pool can run, even for one thread: setThreads can then add threads
  return finish(compileKernelsSync(options, canRunPool()), threads);
}

/**
 * Compiles the kernels asynchronously (required for large modules on browsers' main thread); with
 * threads, resolves once every worker has started.
 */
export async function createWasmKernels(options: WasmKernelOptions = {}): Promise<Kernels> {
  const threads = threadsWanted(options);
  const k = finish(await compileKernels(options, canRunPool()), threads);
  await ready(k);
  return k;
}

/** Waits for the workers of k's pool (at most 30 s; those not started by then leave the pool to one thread). */
async function ready(k: Kernels): Promise<void> {
  const pool = internals.get(k)?.pool;
  if (pool && !(await pool.ready())) pool.close();
}
interface WasmInternals {
  pool: KernelPool | null;
  memory: WebAssembly.Memory;
  /** How split calls share their work between the threads (balance.ts). */
  balance: SplitBalance;
}
const internals = new WeakMap<Kernels, WasmInternals>();

/** The thread pool (null: one thread), memory and split balance of WASM kernels made here; for tests and diagnostics. */
export function wasmInternals(k: Kernels): WasmInternals | undefined {
  return internals.get(k);
}
