import { describe, expect, it } from 'vitest';
import { browserBundle } from '../helpers/bundle.js';
import { resolve } from 'node:path';

// The public entry point must bundle for browsers (no Node built-ins) and run from the bundle alone.
const entry = resolve(__dirname, '..', '..', 'dist', 'index.js');

describe('browser bundle of the public API', () => {
  it('bundles for the browser platform without Node built-ins, within a size budget', async () => {
    const { code, load } = await browserBundle(entry);
    expect(code).not.toMatch(/from\s*"node:/);
    // The whole public API (neurons, layers, encoders, losses, simulator, STDP, SVG plots, checkpoint
    // validation) is ~356 KB minified, ~150 KB of it the two base64 WASM builds (plain and relaxed SIMD,
    // ~56 KB each, of which ~10 KB the shared neuron scan compiled once per neuron model); the checkpoint
    // validation of every layer kind and the typed checks of the public entry points added ~20 KB. A jump
    // past the budget means something heavy leaked in (HDF5 for NIR lives in the spikeflow/nir entry).
    // Measured (npm run build, then this bundle): 381,228 bytes at 72957ce (already past the old 365,000
    // budget); the NIR neurons' WASM model (assembly/nir-neurons.ts: ~2.4 KB per build, ~6.5 KB base64 for
    // the two) brought it to 387,732.
    expect(code.length).toBeLessThan(392_000);
    const sf = await load();
    const k = await sf.createWasmKernels();
    const { spk } = sf.leakySequence(sf.Tensor.from([0.6, 0.6, 0.6], [3, 1, 1]), {
      steps: 3,
      constInput: false,
      beta: sf.Tensor.from([0.5]),
      threshold: 1,
      reset: 'subtract',
      surrogate: sf.atan(),
      kernels: k,
    });
    // V = 0.6, 0.9, 1.05 -> spikes only at the third step
    expect(Array.from(spk.data)).toEqual([0, 0, 1]);
  });
});
