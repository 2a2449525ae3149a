import { describe, expect, it } from 'vitest';
import type { SpikeflowError } from '../../src/core/errors.js';
import type { Rng } from '../../src/core/rng.js';
import { decodeAll } from '../../src/events/decoder.js';
import { concatEvents, eventDecoder, readEvents, readNmnist, readNmnistFrames, toFrame, validateEvents } from '../../src/events/index.js';
import { cases, contractBreach, fuzz, LONG, mutateBytes, report, TIMEOUT } from '../fuzz/harness.js';
import { fixtureBytes, READER_CASES } from './helpers.js';

/**
 * Seeded hostile bytes: per reader fixture, cases(200) damaged copies (2,000 in the long mode,
 * SPIKEFLOW_FUZZ=long; every reader has at least one fixture): flipped bytes, truncations, runs of 0x00 /
 * 0xFF, a header byte changed, bytes inserted or deleted (test/fuzz/harness.ts's mutations). A reader
 * either returns Events valid for its sensor or throws a SpikeflowError naming the file; anything else
 * (RangeError, TypeError, ...) fails, and so does a case over 2 s (a hang). Every fourth case goes
 * through the streaming decoder in small chunks (1 to 64 bytes), held to the same contract.
 */
function damage(src: Uint8Array, r: Rng): Uint8Array {
  const kind = r.int(6);
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
  if (kind === 4) return b.subarray(0, r.int(b.length)).map((v, i) => (i === 0 ? v : v ^ (r.int(64) === 0 ? 0x80 : 0)));
  return mutateBytes(r, b);
}

type Opts = (typeof READER_CASES)[number][2];
const PER_FIXTURE = cases(200);

/** The whole buffer through the streaming decoder, `chunk` bytes at a time. */
function streamed(bytes: Uint8Array, format: (typeof READER_CASES)[number][1], opts: Opts, file: string, chunk: number) {
  const dec = eventDecoder(format, { ...opts, file });
  const parts = [];
  for (let o = 0; o < bytes.length; o += chunk) parts.push(...dec.push(bytes.subarray(o, o + chunk)));
  parts.push(...dec.end());
  // no header seen: the whole-buffer path raises its 'no header found' DataError
  if (!dec.sensorSize) return decodeAll(eventDecoder(format, { ...opts, file }), bytes);
  return parts.length ? concatEvents(parts, { sensorSize: dec.sensorSize, sorted: false }) : null;
}

describe('hostile bytes give only typed errors', () => {
  READER_CASES.forEach(([name, format, opts], suite) => {
    it(
      `${name}: ${PER_FIXTURE} seeded damaged copies${LONG ? ' (long)' : ''}`,
      async () => {
        const src = fixtureBytes(name);
        const s = await fuzz(
          9100 + suite,
          PER_FIXTURE,
          (rng, i) => ({ label: `${name} damaged`, bytes: damage(src, rng), chunk: i % 4 === 3 ? 1 + rng.int(64) : 0 }),
          (c) => {
            const ev = c.chunk ? streamed(c.bytes, format, opts, name, c.chunk) : readEvents(c.bytes, { ...opts, format, file: name });
            if (ev) validateEvents(ev, { sorted: false });
          },
          (_c, o) => {
            const why = contractBreach(o, [name]);
            if (why) return why;
            if (!o.ok && !(o.error as SpikeflowError).message.startsWith(`${name}: `))
              return `message does not start with the file name: ${(o.error as Error).message}`;
            return null;
          },
        );
        console.log(report(name, s));
        expect(s.failures).toEqual([]);
        expect(s.cases).toBe(PER_FIXTURE);
        expect(s.cases - s.ok).toBeGreaterThan(PER_FIXTURE / 10);
      },
      TIMEOUT,
    );
  });
});

describe('readNmnistFrames (the fused N-MNIST decode-and-frame) on hostile bytes', () => {
  // either the frames of readNmnist + toFrame, or the same typed error (same message, naming the file)
  (['nmnist_cut.bin', 'nmnist_overflow.bs2'] as const).forEach((name, suite) => {
    it(
      `${name}: ${PER_FIXTURE} seeded damaged copies${LONG ? ' (long)' : ''}`,
      async () => {
        const src = fixtureBytes(name);
        const s = await fuzz(
          9200 + suite,
          PER_FIXTURE,
          (rng) => ({
            label: `${name} damaged, fused`,
            bytes: damage(src, rng),
            opts: rng.int(2)
              ? { nTimeBins: 1 + rng.int(12) }
              : { timeWindow: 1000 + rng.int(50_000), startTime: 0, endTime: rng.int(400_000) },
          }),
          (c) => {
            const f = readNmnistFrames(c.bytes, { ...c.opts, file: name });
            let want: Float32Array | undefined;
            try {
              want = toFrame(readNmnist(c.bytes, { file: name }), c.opts).data as Float32Array;
            } catch (e) {
              throw new Error(`the fused path returned frames where the two-step path threw ${(e as Error).message}`);
            }
            if (f.data.length !== want.length || f.data.some((v, i) => v !== want[i]))
              throw new Error('frames differ from readNmnist + toFrame');
          },
          (c, o) => {
            const why = contractBreach(o, [name]);
            if (why) return why;
            if (o.ok) return null;
            try {
              toFrame(readNmnist(c.bytes, { file: name }), c.opts);
              return `the fused path threw where the two-step path did not: ${(o.error as Error).message}`;
            } catch (e) {
              const a = (o.error as Error).message;
              const b = (e as Error).message;
              if (a === b) return null;
              // toFrame's ValueError on unsorted times is, from the fused reader, a DataError naming the file
              if (/must be sorted/.test(b) && /is before the previous event's/.test(a)) return null;
              return `different errors: ${a} vs ${b}`;
            }
          },
        );
        console.log(report(`${name} (readNmnistFrames)`, s));
        expect(s.failures).toEqual([]);
        expect(s.cases).toBe(PER_FIXTURE);
        expect(s.ok).toBeGreaterThan(PER_FIXTURE / 10);
        expect(s.cases - s.ok).toBeGreaterThan(PER_FIXTURE / 20);
      },
      TIMEOUT,
    );
  });
});
