// The compute kernels: the contract (types), the TypeScript reference (the truth in tests) and the
// WASM SIMD implementation (createWasmKernels for browsers' main thread, createWasmKernelsSync for
// Node and workers). defaultKernels/initKernels hold one lazily created WASM instance per realm.
export * from './types.js';
export { referenceKernels } from './reference.js';
export { createWasmKernels, createWasmKernelsSync, relaxedSimdSupported } from './wasm.js';
export type { WasmKernelOptions } from './wasm.js';
export { defaultKernels, initKernels } from './default.js';
