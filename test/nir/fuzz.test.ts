import { describe, expect, it } from 'vitest';
import { SpikeflowError } from '../../src/core/errors.js';
import { readNir, writeNir } from '../../src/nir/index.js';
import { fixtureBytes } from './helpers.js';

/** xorshift32: a fixed sequence, so every run tries the same damaged files. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** Reads damaged bytes: a graph, or a SpikeflowError; anything else fails the test. */
async function outcome(bytes: Uint8Array, what: string): Promise<'ok' | 'typed'> {
  try {
    await readNir(bytes);
    return 'ok';
  } catch (e) {
    if (!(e instanceof SpikeflowError)) throw new Error(`${what}: untyped ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    return 'typed';
  }
}

describe('readNir on damaged files (seeded fuzz): only graphs or typed errors come out', () => {
  it('200 files with 1-4 bytes changed, in the Python-written 1.0.7 network and in spikeflow-written gzip files', async () => {
    const written = await writeNir(await readNir(fixtureBytes('1.0.7', 'network')));
    const sources = [fixtureBytes('1.0.7', 'network'), written];
    const r = rng(20240607);
    const seen = { ok: 0, typed: 0 };
    for (let i = 0; i < 200; i++) {
      const src = sources[i % 2];
      const b = src.slice();
      const flips = 1 + Math.floor(r() * 4);
      const where: number[] = [];
      for (let k = 0; k < flips; k++) {
        // half the changes in the first 2 kB (superblock, root group, object headers), half anywhere
        const pos = Math.floor(r() * (r() < 0.5 ? Math.min(2048, b.length) : b.length));
        b[pos] ^= 1 + Math.floor(r() * 255);
        where.push(pos);
      }
      seen[await outcome(b, `case ${i} (bytes ${where.join(', ')})`)]++;
    }
    expect(seen.ok + seen.typed).toBe(200);
    expect(seen.typed).toBeGreaterThan(0);
    // the reader still works after all that damage
    expect((await readNir(fixtureBytes('1.0.7', 'network'))).nodes.size).toBe(7);
  }, 120_000);

  it('50 truncations and 20 random byte strings with an HDF5 signature', async () => {
    const good = fixtureBytes('0.2', 'primitives');
    const r = rng(99);
    for (let i = 0; i < 50; i++) {
      const n = Math.floor(r() * good.length);
      expect(await outcome(good.slice(0, n), `truncated to ${n}`)).toBe('typed');
    }
    for (let i = 0; i < 20; i++) {
      const b = new Uint8Array(64 + Math.floor(r() * 4000)).map(() => Math.floor(r() * 256));
      b.set([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(await outcome(b, `random ${i}`)).toBe('typed');
    }
  }, 120_000);
});
