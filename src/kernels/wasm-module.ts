import { SpikeflowError } from '../core/errors.js';
import { WASM_BASE64, WASM_RELAXED_BASE64 } from './wasm-binary.generated.js';

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

/** The module imports nothing today (stub runtime, no asserts); abort is provided in case a build adds it. */
const imports = {
  env: {
    abort: (): never => {
      throw new SpikeflowError('WASM kernel aborted (an internal check failed): please report this as a bug');
    },
  },
};

/** An instance's exports and which build it is. */
export interface CompiledKernels {
  exports: WebAssembly.Exports;
  relaxed: boolean;
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

/** Compiles and instantiates the module synchronously. Throws SpikeflowError if WASM SIMD is unsupported. */
export function compileKernelsSync(options: WasmKernelOptions): CompiledKernels {
  const { bytes, relaxed } = moduleBytes(options);
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes);
  } catch (e) {
    throw compileError(e);
  }
  return instantiate(module, relaxed);
}

function instantiate(module: WebAssembly.Module, relaxed: boolean): CompiledKernels {
  return { exports: new WebAssembly.Instance(module, imports).exports, relaxed };
}

/** Compiles the module asynchronously (required for large modules on browsers' main thread). */
export async function compileKernels(options: WasmKernelOptions): Promise<CompiledKernels> {
  const { bytes, relaxed } = moduleBytes(options);
  const module = await WebAssembly.compile(bytes).catch((e: unknown) => {
    throw compileError(e);
  });
  return instantiate(module, relaxed);
}
