export * from './types.js';
export { referenceKernels } from './reference.js';
export { createWasmKernels, createWasmKernelsSync } from './wasm.js';
export { defaultKernels, initKernels } from './default.js';
