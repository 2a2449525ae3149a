/**
 * spikeflow/nir: NIR (Neuromorphic Intermediate Representation) graphs and their `.nir` files.
 * A separate entry point: it loads h5wasm (HDF5 in WebAssembly, ~4 MB) on first use, and the
 * core entry point never imports it. readNir/writeNir work on bytes, in Node and in browsers;
 * spikeflow/nir/node adds readNirFile/writeNirFile (Node files). fromNir runs a graph as a trainable
 * model on spikeflow's kernels; toNir exports a Sequential model.
 */
export { NirError } from './check.js';
export {
  type NirAffine,
  type NirArray,
  type NirAvgPool2d,
  type NirConv1d,
  type NirConv2d,
  type NirCubaLI,
  type NirCubaLIF,
  type NirDelay,
  type NirFlatten,
  type NirGraph,
  type NirI,
  type NirIF,
  type NirInput,
  type NirInts,
  type NirLI,
  type NirLIF,
  type NirLinear,
  type NirMetadata,
  type NirMetaValue,
  type NirNode,
  type NirNodeType,
  type NirOrder,
  type NirOutput,
  type NirPadding,
  type NirScale,
  type NirSumPool2d,
  type NirThreshold,
  type NirUnknown,
  nirArray,
  nirTopologicalOrder,
} from './graph.js';
export { NIR_NODE_TYPES, type ReadNirOptions, readNir } from './read.js';
export { NIR_WRITE_VERSION, type WriteNirOptions, writeNir } from './write.js';
export { type FromNirOptions, fromNir, NirModel, type NirForwardResult, type NirNodeRecord } from './execute.js';
export { type ToNirOptions, toNir } from './export.js';
export { NIR_NEURON_FIELDS, type NirNeuronType, type NirReset, nirNeuronSpec } from './neurons.js';
