import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { browserBundle, bundleInputs } from '../helpers/bundle.js';
import { fixtureBytes } from './helpers.js';

const src = (p: string) => fileURLToPath(new URL(`../../src/${p}`, import.meta.url));

describe('the spikeflow/nir entry point in a browser bundle', () => {
  it('the core entry point does not pull in h5wasm or src/nir', async () => {
    const inputs = await bundleInputs(src('index.ts'));
    expect(inputs.length).toBeGreaterThan(10);
    expect(inputs.filter((p) => p.includes('h5wasm') || p.includes('src/nir/'))).toEqual([]);
  });

  it('bundles minified for browsers without Node built-ins and reads, writes and re-reads a file from the bundle', async () => {
    const { code, load } = await browserBundle(src('nir/index.ts'));
    expect(code).not.toMatch(/from\s*"node:/);
    const nir = await load();
    // minification renames h5wasm's classes: the reader must not depend on their names
    const g = await nir.readNir(fixtureBytes('1.0.7', 'network'));
    const back = await nir.readNir(await nir.writeNir(g));
    expect([...back.nodes.keys()]).toEqual(['fb', 'fc1', 'fc2', 'input', 'lif_out', 'output', 'rnn']);
    expect(nir.nirTopologicalOrder(back).backEdges).toEqual([['fb', 'fc1']]);
  }, 60_000);
});
