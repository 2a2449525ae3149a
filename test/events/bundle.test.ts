import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { browserBundle, bundleInputs } from '../helpers/bundle.js';

// spikeflow/events is its own entry point (its decoders, Zstd included, stay out of the core bundle); it
// bundles for browsers without Node built-ins and decodes a file from bytes there.
const src = (p: string) => fileURLToPath(new URL(`../../src/${p}`, import.meta.url));
const fixture = (p: string) => fileURLToPath(new URL(`../fixtures/events/${p}`, import.meta.url));

describe('the spikeflow/events entry point', () => {
  it('the core entry point does not pull in src/events or its Zstd decoder', async () => {
    const inputs = await bundleInputs(src('index.ts'));
    expect(inputs.filter((p) => p.includes('src/events/') || p.includes('fzstd'))).toEqual([]);
  });

  it('bundles minified for browsers and reads an AEDAT 4 (Zstd) file and frames it from the bundle', async () => {
    const { code, load } = await browserBundle(src('events/index.ts'));
    expect(code).not.toMatch(/from\s*"node:/);
    const ev = await load();
    const expected = JSON.parse(readFileSync(fixture('expected.json'), 'utf8'));
    const e = ev.readEvents(new Uint8Array(readFileSync(fixture('aedat4_zstd.aedat4'))), { file: 'aedat4_zstd.aedat4' });
    expect(e.t.length).toBeGreaterThan(0);
    expect(Array.from(e.x)).toEqual(expected['aedat4_zstd.aedat4'].x);
    const frames = ev.toFrame(e, { nEventBins: 3 }); // equal event counts: every event in one frame
    let total = 0;
    for (const v of frames.data) total += v;
    expect(total).toBe(e.t.length); // every event counted once
  });
});
