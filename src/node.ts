// Node-only parts of spikeflow: files, downloads, checkpoints, worker threads.
export { loadMnist } from './data/mnist.js';
export { loadIris } from './data/iris.js';
export { writeFileAtomic } from './io/atomic.js';
export { saveCheckpoint, loadCheckpoint } from './train/checkpoint.js';
export type { SaveCheckpointOptions } from './train/checkpoint.js';
export { cleanupPendingWrites } from './io/atomic.js';
export { DataParallel } from './train/parallel.js';
export { svgToPng, writePlot } from './viz/png.js';
export { enableRelaxedSimd } from './kernels/relaxed-node.js';
export { enableBlas, withBlas, loadBlas, blasSetting } from './kernels/node-blas.js';
export type { BlasOptions, BlasProbe, TierReport } from './kernels/node-blas.js';
export { blasKernels, kernelTier, blasInfoOf, BlasError, DEFAULT_BLAS_MIN_MACS, BLAS_GRAD_SPK_MIN_O } from './kernels/blas.js';
export type { BlasInfo, BlasLibrary, BlasKernels, BlasKernelOptions, BlasVendor, Sgemm } from './kernels/blas.js';
