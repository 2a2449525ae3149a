import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { fixtureBytes } from './helpers.js';

const src = (p: string) => fileURLToPath(new URL(`../../src/${p}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sf-nir-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the spikeflow/nir entry point in a browser bundle', () => {
  it('the core entry point does not pull in h5wasm or src/nir', async () => {
    const r = await build({
      entryPoints: [src('index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs.length).toBeGreaterThan(10);
    expect(inputs.filter((p) => p.includes('h5wasm') || p.includes('src/nir/'))).toEqual([]);
  });

  it('bundles minified for browsers without Node built-ins and reads, writes and re-reads a file from the bundle', async () => {
    const r = await build({
      entryPoints: [src('nir/index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      minify: true,
      write: false,
      logLevel: 'silent',
    });
    const code = r.outputFiles[0].text;
    expect(code).not.toMatch(/from\s*"node:/);
    const file = join(dir, 'nir.mjs');
    writeFileSync(file, code);
    const nir = await import(pathToFileURL(file).href);
    // minification renames h5wasm's classes: the reader must not depend on their names
    const g = await nir.readNir(fixtureBytes('1.0.7', 'network'));
    const back = await nir.readNir(await nir.writeNir(g));
    expect([...back.nodes.keys()]).toEqual(['fb', 'fc1', 'fc2', 'input', 'lif_out', 'output', 'rnn']);
    expect(nir.nirTopologicalOrder(back).backEdges).toEqual([['fb', 'fc1']]);
  }, 60_000);
});
