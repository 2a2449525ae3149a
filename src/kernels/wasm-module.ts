import { SpikeflowError } from '../core/errors.js';
import { WASM_BASE64, WASM_RELAXED_LENGTH, WASM_RELAXED_PATCH_BASE64 } from './wasm-binary.generated.js';

/**
 * Finding and compiling the kernels' WASM module (src/kernels/assembly, built by scripts/build-wasm.mjs
 * into wasm-binary.generated.ts as base64, so Node and browsers load it the same way without fetch or
 * fs). The module comes in two builds of one source: WASM SIMD, and WASM SIMD with relaxed SIMD, whose
 * multiply-adds (dense GEMM, the convolution input gradient) are fused (one instruction, one rounding).
 * The relaxed build is used where the engine validates it, unless the caller asks otherwise; both equal
 * the TypeScript reference within float rounding. wasm.ts wraps the instance's exports.
 */

/** Base64 -> bytes without Buffer (works in browsers, workers and Node). */
function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * The relaxed build from the plain one and its patch (scripts/build-wasm.mjs's makePatch): LEB128 ops,
 * h odd: copy h >> 1 bytes of `base` from the offset that follows; h even: insert the h >> 1 bytes that follow.
 */
export function applyPatch(base: Uint8Array, patch: Uint8Array, length: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  let o = 0;
  let p = 0;
  const leb = () => {
    let x = 0;
    let s = 0;
    let c: number;
    do {
      c = patch[p++];
      x += (c & 127) * 2 ** s;
      s += 7;
    } while (c & 128);
    return x;
  };
  while (p < patch.length) {
    const h = leb();
    const n = Math.floor(h / 2);
    if (h & 1) {
      const from = leb();
      out.set(base.subarray(from, from + n), o);
    } else {
      out.set(patch.subarray(p, p + n), o);
      p += n;
    }
    o += n;
  }
  return out;
}

/** (module (func (result v128) (v128.const i32x4 0 0 0 0))): validates only where WASM SIMD is supported. */
const SIMD_PROBE = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00, // magic, version 1
  0x01,
  0x05,
  0x01,
  0x60,
  0x00,
  0x01,
  0x7b, // type section: () -> v128
  0x03,
  0x02,
  0x01,
  0x00, // function section: one function of type 0
  0x0a,
  0x16,
  0x01,
  0x14,
  0x00,
  0xfd,
  0x0c,
  ...new Array<number>(16).fill(0),
  0x0b, // code: v128.const 0, end
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

function compileError(e: unknown): SpikeflowError {
  return new SpikeflowError(`cannot compile the spikeflow WASM kernels: ${(e as Error).message}`);
}

/** The abort the module imports in case a build adds asserts (today's has none). */
const abort = (): never => {
  throw new SpikeflowError('WASM kernel aborted (an internal check failed): please report this as a bug');
};

/** An instance's exports, which build it is, its module and its memory (shared when `shared`). */
export interface CompiledKernels {
  exports: WebAssembly.Exports;
  relaxed: boolean;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  shared: boolean;
}

export interface WasmKernelOptions {
  /**
   * true: the relaxed-SIMD build (fused multiply-add), a SpikeflowError where the engine lacks relaxed
   * SIMD; false: the plain WASM SIMD build; default: relaxed where supported.
   */
  relaxed?: boolean;
  /**
   * Threads one kernel call may use, the caller's included (a thread pool on shared memory, pool.ts).
   * Default: SPIKEFLOW_THREADS, else the cores (os.availableParallelism()) in Node; in a browser,
   * navigator.hardwareConcurrency inside a Worker of a crossOriginIsolated page, else 1. Where threads cannot run (no shared memory, a browser's main thread), the kernels run on one
   * thread: kernelThreads(kernels) says how many they use.
   */
  threads?: number;
}

let relaxedBytes: Uint8Array<ArrayBuffer> | null = null;
let relaxedOk: boolean | null = null;

/**
 * Whether this engine runs the relaxed-SIMD build (checked once per realm; `recheck` checks again, after
 * an engine flag was changed).
 */
export function relaxedSimdSupported(recheck = false): boolean {
  if (relaxedOk === null || recheck) {
    relaxedBytes ??= applyPatch(decodeBase64(WASM_BASE64), decodeBase64(WASM_RELAXED_PATCH_BASE64), WASM_RELAXED_LENGTH);
    relaxedOk = typeof WebAssembly === 'object' && WebAssembly.validate(relaxedBytes);
  }
  return relaxedOk;
}

/** Reads an unsigned LEB128 at `at`: [value, the position after it]. */
function leb(b: Uint8Array, at: number): [number, number] {
  let v = 0;
  let shift = 0;
  for (;;) {
    const x = b[at++];
    v += (x & 0x7f) * 2 ** shift;
    if (!(x & 0x80)) return [v, at];
    shift += 7;
  }
}

/**
 * The module's memory import (env.memory, from scripts/build-wasm.mjs): where its limits flag byte lies,
 * and its minimum pages. The build declares it (min, max): flag 0x01 (0x03 once made shared).
 */
export function memoryImport(b: Uint8Array): { flagAt: number; initial: number } {
  let at = 8; // magic, version
  while (at < b.length) {
    const id = b[at];
    const [size, body] = leb(b, at + 1);
    if (id === 2) {
      let [count, p] = leb(b, body);
      for (; count > 0; count--) {
        let len: number;
        [len, p] = leb(b, p);
        p += len; // module name
        [len, p] = leb(b, p);
        p += len; // field name
        const kind = b[p++];
        if (kind === 2) {
          const flagAt = p;
          const [initial] = leb(b, p + 1);
          if (b[flagAt] !== 0x01 && b[flagAt] !== 0x03) break; // (min, max), or made shared
          return { flagAt, initial };
        }
        if (kind === 0) [, p] = leb(b, p);
        else if (kind === 1) {
          const flag = b[p + 1];
          [, p] = leb(b, p + 2);
          if (flag & 1) [, p] = leb(b, p);
        } else if (kind === 3) p += 2;
        else [, p] = leb(b, p + 1);
      }
      break;
    }
    at = body + size;
  }
  throw new SpikeflowError(
    'the spikeflow WASM kernels do not import a memory with a maximum (env.memory): rebuild them (npm run build:wasm)',
  );
}

/** The bytes with their memory import made shared (limits flag 0x03: min, max, shared). */
function sharedVariant(bytes: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const out = bytes.slice();
  out[memoryImport(bytes).flagAt] = 0x03;
  return out;
}

/** The largest memory the module declares: 4 GiB (65536 pages of 64 KiB). */
const MAX_PAGES = 65536;

function moduleBytes(options: WasmKernelOptions, shared: boolean): { bytes: Uint8Array<ArrayBuffer>; relaxed: boolean } {
  checkSupport();
  const want = options.relaxed ?? relaxedSimdSupported();
  if (want && !relaxedSimdSupported()) {
    throw new SpikeflowError(
      'the relaxed-SIMD spikeflow kernels need WebAssembly relaxed SIMD, which this engine does not enable ' +
        '(Node 20: run node with --experimental-wasm-relaxed-simd, or call enableRelaxedSimd() from spikeflow/node first)',
    );
  }
  const bytes = want ? relaxedBytes! : decodeBase64(WASM_BASE64);
  return { bytes: shared ? sharedVariant(bytes) : bytes, relaxed: want };
}

/** A shared memory for the module where the engine allows one (else null: one thread). */
function sharedMemory(initial: number): WebAssembly.Memory | null {
  try {
    return new WebAssembly.Memory({ initial, maximum: MAX_PAGES, shared: true } as WebAssembly.MemoryDescriptor);
  } catch {
    return null;
  }
}

function instantiate(module: WebAssembly.Module, relaxed: boolean, memory: WebAssembly.Memory, shared: boolean): CompiledKernels {
  const exports = new WebAssembly.Instance(module, { env: { memory, abort } }).exports;
  return { exports, relaxed, module, memory, shared };
}

/** The module's bytes and memory: shared when `shared` and the engine allows it (validated), else plain. */
function prepare(options: WasmKernelOptions, shared: boolean) {
  if (shared) {
    const s = moduleBytes(options, true);
    const memory = WebAssembly.validate(s.bytes) ? sharedMemory(memoryImport(s.bytes).initial) : null;
    if (memory) return { ...s, memory, shared: true };
  }
  const p = moduleBytes(options, false);
  const memory = new WebAssembly.Memory({ initial: memoryImport(p.bytes).initial, maximum: MAX_PAGES });
  return { ...p, memory, shared: false };
}

/**
 * Compiles and instantiates the module synchronously, on a shared memory when `shared` (and the engine
 * allows it). Throws SpikeflowError if WASM SIMD is unsupported.
 */
export function compileKernelsSync(options: WasmKernelOptions, shared = false): CompiledKernels {
  const { bytes, relaxed, memory, shared: sh } = prepare(options, shared);
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes);
  } catch (e) {
    throw compileError(e);
  }
  return instantiate(module, relaxed, memory, sh);
}

/** Compiles the module asynchronously (required for large modules on browsers' main thread). */
export async function compileKernels(options: WasmKernelOptions, shared = false): Promise<CompiledKernels> {
  const { bytes, relaxed, memory, shared: sh } = prepare(options, shared);
  const module = await WebAssembly.compile(bytes).catch((e: unknown) => {
    throw compileError(e);
  });
  return instantiate(module, relaxed, memory, sh);
}
