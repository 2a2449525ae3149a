import { referenceKernels } from '../../src/kernels/reference.js';
import { createWasmKernelsSync } from '../../src/kernels/wasm.js';
import { enableRelaxedSimd } from '../../src/kernels/relaxed-node.js';
import type { Kernels } from '../../src/kernels/types.js';

/** Every test that runs a model runs it on both implementations. */
export const bothKernels: Array<[string, Kernels]> = [
  ['reference', referenceKernels],
  ['wasm', createWasmKernelsSync()],
];

/**
 * Both WASM builds, for the kernel-against-reference tests: plain SIMD, and relaxed SIMD (fused
 * multiply-add), which this Node runs (Node 20 behind a flag that enableRelaxedSimd sets; a test checks).
 */
export function wasmBuilds(): Array<[string, Kernels]> {
  const builds: Array<[string, Kernels]> = [['simd', createWasmKernelsSync({ relaxed: false })]];
  if (enableRelaxedSimd()) builds.push(['relaxed', createWasmKernelsSync({ relaxed: true })]);
  return builds;
}

/** The four transpose forms of a GEMM, [transA, transB]: NN, TN, NT, TT. */
export const GEMM_FORMS: ReadonlyArray<[boolean, boolean]> = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];
