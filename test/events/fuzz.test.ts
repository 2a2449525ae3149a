import { describe, expect, it } from 'vitest';
import { SpikeflowError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { readEvents, validateEvents } from '../../src/events/index.js';
import { fixtureBytes, READER_CASES } from './helpers.js';

/**
 * Seeded hostile bytes: per reader, 200 damaged copies of its fixture (flipped bytes, truncations, runs
 * of 0x00 / 0xFF, a header byte changed). A reader either returns Events that are valid for its sensor
 * or throws a SpikeflowError; any other exception (RangeError, TypeError, ...) fails.
 */
function damage(src: Uint8Array, r: Rng): Uint8Array {
  const kind = r.int(5);
  const b = src.slice();
  if (kind === 0) return b.subarray(0, r.int(b.length));
  if (kind === 1) {
    for (let k = 1 + r.int(4); k > 0; k--) b[r.int(b.length)] ^= 1 << r.int(8);
    return b;
  }
  if (kind === 2) {
    const at = r.int(b.length);
    b.fill(r.int(2) ? 0xff : 0, at, at + 1 + r.int(16));
    return b;
  }
  if (kind === 3) {
    b[r.int(Math.min(b.length, 160))] = r.int(256);
    return b;
  }
  return b.subarray(0, r.int(b.length)).map((v, i) => (i === 0 ? v : v ^ (r.int(64) === 0 ? 0x80 : 0)));
}

describe('hostile bytes give only typed errors', () => {
  for (const [name, format, opts] of READER_CASES) {
    it(`${name}: 200 seeded damaged copies`, () => {
      const src = fixtureBytes(name);
      const r = new Rng(1234);
      let errors = 0;
      for (let k = 0; k < 200; k++) {
        const bytes = damage(src, r);
        try {
          const ev = readEvents(bytes, { ...opts, format, file: name });
          validateEvents(ev, { sorted: false });
        } catch (e) {
          if (!(e instanceof SpikeflowError)) throw new Error(`case ${k}: ${(e as Error).name}: ${(e as Error).message}`);
          expect((e as Error).message.startsWith(`${name}: `)).toBe(true);
          errors++;
        }
      }
      expect(errors).toBeGreaterThan(20);
    });
  }
});
