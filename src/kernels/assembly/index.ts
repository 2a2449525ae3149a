// spikeflow compute kernels (AssemblyScript -> one WASM SIMD module, built by scripts/build-wasm.mjs).
// All pointers are byte offsets into linear memory laid out by the JS wrapper (src/kernels/wasm.ts);
// matrices are row-major f32 unless noted. Kernels allocate nothing: each takes the scratch it needs,
// sized by its *ScratchBytes export.

/** First free byte after the module's static data (16-aligned): the wrapper's arena starts here. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}

/** Zeroes `bytes` bytes from `ptr` (a native fill: TypedArray.fill on a shared memory is several times slower). */
export function zeroBytes(ptr: usize, bytes: usize): void {
  memory.fill(ptr, 0, bytes);
}

export { gemm, gemmScratchBytes } from './gemm';
export { spikeMatmul, spikeMatmulGradW, spikeMatmulScratchBytes, spikeGradWScratchBytes } from './spike';
export { sumRows, addBias } from './rows';
export { leakyForward, leakyBackward, leakyScratchBytes, leakyBackwardScratchBytes, leakyTiles } from './leaky';
export { sparseGemm, sparseScratchBytes } from './sparse';
export { leakyProject, leakyProjectScratchBytes, seqLeakyProject, seqLeakyProjectScratchBytes, rateLeakyProject, rateLeakyProjectScratchBytes } from './project';
export {
  convSpikeForward, convSpikeScratchBytes, convSpikeGradW, convGradWScratchBytes, convGradWGroupsScratchBytes, convGradInput, convGradInputScratchBytes, maxPoolForward,
  convPoolSpikeForward, convPoolSpikeBackward, convPoolScratchBytes, convPoolBackwardScratchBytes, convGradGroup, convSumParts,
} from './conv';
export { spikeSeqMatmul, spikeSeqMatmulScratchBytes, spikeSeqGradW, spikeSeqGradWScratchBytes } from './spike-seq';
export { adamUpdate } from './optim';
export { softmaxRows, softmaxRowsBackward } from './loss';
export { rateSpikes, rateSampleScratchBytes } from './encode';
export { neuronForward, neuronBackward, neuronScratchBytes } from './neuron-scan';
