/** spikeflow/nir/node: everything of spikeflow/nir, plus reading and writing `.nir` files in Node. */
export * from './index.js';
export { readNirFile, writeNirFile } from './fs.js';
