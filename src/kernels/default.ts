import type { Kernels } from './types.js';
import { createWasmKernels, createWasmKernelsSync } from './wasm.js';

// One compiled WASM instance per JS realm, created on first use. It holds no user-visible state:
// every call copies its inputs in and its outputs out, so sharing it cannot change any result.
let instance: Kernels | null = null;

/** The WASM SIMD kernels (compiled synchronously on first use; fine in Node and workers). */
export function defaultKernels(): Kernels {
  instance ??= createWasmKernelsSync();
  return instance;
}

/**
 * Replaces what defaultKernels() returns in this realm (null: back to the plain WASM kernels, created on
 * next use). Node's enableBlas() (spikeflow/node) installs the native BLAS tier with it.
 */
export function setDefaultKernels(k: Kernels | null): void {
  instance = k;
}

/** Compiles the kernels asynchronously: call once before training on a browser's main thread. */
export async function initKernels(): Promise<Kernels> {
  instance ??= await createWasmKernels();
  return instance;
}

/**
 * The default kernels when they can be had without waiting (Node, workers, or after initKernels()), else
 * null: a browser's main thread may refuse to compile the module synchronously; callers then run their
 * TypeScript path, which computes the same results.
 */
export function availableKernels(): Kernels | null {
  if (instance) return instance;
  try {
    instance = createWasmKernelsSync();
  } catch {
    return null;
  }
  return instance;
}
