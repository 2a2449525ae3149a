import { referenceKernels } from '../../src/kernels/reference.js';
import { createWasmKernelsSync } from '../../src/kernels/wasm.js';
import type { Kernels } from '../../src/kernels/types.js';

/** Every test that runs a model runs it on both implementations. */
export const bothKernels: Array<[string, Kernels]> = [
  ['reference', referenceKernels],
  ['wasm', createWasmKernelsSync()],
];
