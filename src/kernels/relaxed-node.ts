import { setFlagsFromString } from 'node:v8';
import { relaxedSimdSupported } from './wasm.js';

/**
 * Turns on WebAssembly relaxed SIMD in this Node process where the engine has it behind a flag (Node 20:
 * --experimental-wasm-relaxed-simd; Node >= 22 has it on by default), so the kernels compiled after
 * this call (and in worker threads started after it) use the fused multiply-add build. Call it before
 * the first kernels are created; returns whether the relaxed build is now available. The CLI and the
 * benchmarks call it at start.
 */
export function enableRelaxedSimd(): boolean {
  if (relaxedSimdSupported()) return true;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return relaxedSimdSupported(true);
}
