import { SpikeflowError } from '../core/errors.js';
import { WASM_BASE64 } from './wasm-binary.generated.js';
import type { Kernels, LeakyBackwardArgs, LeakyScanArgs } from './types.js';
import { checkLeaky, checkMatmul, need } from './validate.js';

interface Exports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  gemm(a: number, b: number, c: number, m: number, k: number, n: number, sai: number, sap: number, acc: number): void;
  transpose(src: number, dst: number, r: number, c: number): void;
  spikeMatmul(s: number, w: number, c: number, m: number, k: number, n: number, acc: number, idx: number): void;
  spikeMatmulGradW(s: number, g: number, dw: number, m: number, k: number, n: number, st: number, idx: number): void;
  sumRows(x: number, out: number, m: number, n: number, acc: number): void;
  addBias(c: number, bias: number, m: number, n: number): void;
  leakyForward(input: number, constInput: number, beta: number, thr: number, reset: number, spk: number, mem: number, t: number, n: number, h: number): number;
  leakyBackward(
    beta: number, thr: number, reset: number, spk: number, mem: number, gradSpk: number, gradMem: number, code: number, sp: number,
    constInput: number, gradInput: number, gradBeta: number, carry: number, t: number, n: number, h: number,
  ): void;
}

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const imports = {
  env: {
    abort: (): never => {
      throw new SpikeflowError('WASM kernel aborted (an internal bounds check failed)');
    },
  },
};

/** Operands of one kernel call: byte sizes are reserved first, then views are made (growing memory detaches views). */
type Region = { bytes: number; ptr: number };

/**
 * Wraps the compiled module: each call lays its operands out in linear memory (a scratch area reused
 * between calls, grown when needed), copies inputs in, runs, and copies outputs out.
 */
function wrap(ex: Exports): Kernels {
  const base = ex.heapBase();
  const layout = (sizes: number[]): Region[] => {
    let off = base;
    const regions = sizes.map((bytes) => {
      const r = { bytes, ptr: off };
      off += (bytes + 15) & ~15;
      return r;
    });
    const have = ex.memory.buffer.byteLength;
    if (off > have) {
      try {
        ex.memory.grow(Math.ceil((off - have) / 65536));
      } catch {
        throw new SpikeflowError(`WASM kernels: cannot grow memory to ${(off / 2 ** 20).toFixed(0)} MiB`);
      }
    }
    return regions;
  };
  const f32 = (r: Region) => new Float32Array(ex.memory.buffer, r.ptr, r.bytes / 4);
  const u8 = (r: Region) => new Uint8Array(ex.memory.buffer, r.ptr, r.bytes);

  const kernels: Kernels = {
    name: 'wasm',
    matmul(a, b, c, m, k, n, transA, transB, accumulate) {
      checkMatmul(a, b, c, m, k, n);
      if (m === 0 || n === 0) return;
      if (k === 0) {
        if (!accumulate) c.fill(0);
        return;
      }
      const [ra, rb, rc, rt] = layout([a.length * 4, b.length * 4, c.length * 4, transB ? b.length * 4 : 0]);
      f32(ra).set(a);
      f32(rb).set(b);
      if (accumulate) f32(rc).set(c);
      let bp = rb.ptr;
      if (transB) {
        ex.transpose(rb.ptr, rt.ptr, n, k); // B stored [N, K] -> [K, N]
        bp = rt.ptr;
      }
      ex.gemm(ra.ptr, bp, rc.ptr, m, k, n, transA ? 1 : k, transA ? m : 1, accumulate ? 1 : 0);
      c.set(f32(rc));
    },
    spikeMatmul(s, w, c, m, k, n, accumulate) {
      checkMatmul(s, w, c, m, k, n, 'spikeMatmul');
      const [rs, rw, rc, ri] = layout([s.length, w.length * 4, c.length * 4, k * 4]);
      u8(rs).set(s);
      f32(rw).set(w);
      if (accumulate) f32(rc).set(c);
      ex.spikeMatmul(rs.ptr, rw.ptr, rc.ptr, m, k, n, accumulate ? 1 : 0, ri.ptr);
      c.set(f32(rc));
    },
    spikeMatmulGradW(s, g, dw, m, k, n) {
      need('spikeMatmulGradW', 'S', s, m * k);
      need('spikeMatmulGradW', 'G', g, m * n);
      need('spikeMatmulGradW', 'dW', dw, k * n);
      const [rs, rg, rd, rt, ri] = layout([s.length, g.length * 4, dw.length * 4, n < 32 ? 0 : s.length, Math.max(m, k) * 4]);
      u8(rs).set(s);
      f32(rg).set(g);
      f32(rd).set(dw);
      ex.spikeMatmulGradW(rs.ptr, rg.ptr, rd.ptr, m, k, n, rt.ptr, ri.ptr);
      dw.set(f32(rd));
    },
    sumRows(x, out, m, n, accumulate) {
      need('sumRows', 'X', x, m * n);
      need('sumRows', 'out', out, n);
      const [rx, ro] = layout([x.length * 4, n * 4]);
      f32(rx).set(x);
      if (accumulate) f32(ro).set(out);
      ex.sumRows(rx.ptr, ro.ptr, m, n, accumulate ? 1 : 0);
      out.set(f32(ro));
    },
    addBias(c, bias, m, n) {
      need('addBias', 'C', c, m * n);
      need('addBias', 'bias', bias, n);
      const [rc, rb] = layout([c.length * 4, n * 4]);
      f32(rc).set(c);
      f32(rb).set(bias);
      ex.addBias(rc.ptr, rb.ptr, m, n);
      c.set(f32(rc));
    },
    leakyForward(a: LeakyScanArgs, wantMem = true) {
      checkLeaky('leakyForward', a);
      const TN = a.T * a.N;
      const [ri, rb, rs, rm] = layout([a.input.length * 4, a.H * 4, TN, TN * 4]);
      f32(ri).set(a.input);
      f32(rb).set(a.beta);
      const count = ex.leakyForward(ri.ptr, a.constInput ? 1 : 0, rb.ptr, a.threshold, a.reset, rs.ptr, rm.ptr, a.T, a.N, a.H);
      return { spk: u8(rs).slice(), mem: wantMem ? f32(rm).slice() : null, count };
    },
    leakyBackward(a: LeakyBackwardArgs) {
      checkLeaky('leakyBackward', a);
      const TN = a.T * a.N;
      need('leakyBackward', 'spk', a.spk, TN);
      if (a.mem) need('leakyBackward', 'mem', a.mem, TN);
      if (a.gradSpk) need('leakyBackward', 'gradSpk', a.gradSpk, TN);
      if (a.gradMem) need('leakyBackward', 'gradMem', a.gradMem, TN);
      const giLen = a.constInput ? a.N : TN;
      const [rb, rs, rm, rgs, rgm, rgi, rgb, rc, ri] = layout([
        a.H * 4, TN, TN * 4, a.gradSpk ? TN * 4 : 0, a.gradMem ? TN * 4 : 0, giLen * 4, a.H * 4, a.N * 4, a.mem ? 0 : a.input.length * 4,
      ]);
      f32(rb).set(a.beta);
      u8(rs).set(a.spk);
      if (a.mem) f32(rm).set(a.mem);
      else {
        // recompute the membrane from the input: one fused pass, cheaper than storing and copying it
        f32(ri).set(a.input);
        ex.leakyForward(ri.ptr, a.constInput ? 1 : 0, rb.ptr, a.threshold, a.reset, rs.ptr, rm.ptr, a.T, a.N, a.H);
      }
      if (a.gradSpk) f32(rgs).set(a.gradSpk);
      if (a.gradMem) f32(rgm).set(a.gradMem);
      ex.leakyBackward(
        rb.ptr, a.threshold, a.reset, rs.ptr, rm.ptr, a.gradSpk ? rgs.ptr : 0, a.gradMem ? rgm.ptr : 0,
        a.surrogate, a.surrogateParam, a.constInput ? 1 : 0, rgi.ptr, rgb.ptr, rc.ptr, a.T, a.N, a.H,
      );
      return { gradInput: f32(rgi).slice(), gradBeta: f32(rgb).slice() };
    },
  };
  return kernels;
}

function checkSimd(): void {
  if (typeof WebAssembly === 'undefined') throw new SpikeflowError('WebAssembly is not available in this environment');
}

function instantiate(module: WebAssembly.Module): Kernels {
  const inst = new WebAssembly.Instance(module, imports);
  return wrap(inst.exports as unknown as Exports);
}

/** Compiles the kernels synchronously (Node, workers). Throws if WASM SIMD is unsupported. */
export function createWasmKernelsSync(): Kernels {
  checkSimd();
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(decodeBase64(WASM_BASE64));
  } catch (e) {
    throw new SpikeflowError(`cannot compile the WASM SIMD kernels (this engine may lack WebAssembly SIMD): ${(e as Error).message}`);
  }
  return instantiate(module);
}

/** Compiles the kernels asynchronously (required on browsers' main thread). */
export async function createWasmKernels(): Promise<Kernels> {
  checkSimd();
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(decodeBase64(WASM_BASE64));
  } catch (e) {
    throw new SpikeflowError(`cannot compile the WASM SIMD kernels (this engine may lack WebAssembly SIMD): ${(e as Error).message}`);
  }
  return instantiate(module);
}
