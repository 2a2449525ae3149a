import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/core/errors.js';
import { concatEvents, eventDecoder, type Events, readEvents } from '../../src/events/index.js';
import { readEventFile, streamEventFile } from '../../src/events/node.js';
import { EVENTS_DIR, fixtureBytes, plain, READER_CASES } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-events-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('streaming equals reading the whole file', () => {
  for (const [name, format, opts] of READER_CASES) {
    it(`${name}: pushed in chunks of 1, 7, 333 bytes; streamed from disk in 64-byte and 1 MiB reads`, async () => {
      const bytes = fixtureBytes(name);
      const whole = readEvents(bytes, { ...opts, format });
      for (const size of [1, 7, 333]) {
        const dec = eventDecoder(format, opts);
        const parts: Events[] = [];
        for (let o = 0; o < bytes.length; o += size) parts.push(...dec.push(bytes.subarray(o, o + size)));
        parts.push(...dec.end());
        const joined = parts.length ? concatEvents(parts, { sorted: false }) : null;
        expect(joined ? plain(joined) : { x: [], y: [], p: [], t: [] }).toEqual(plain(whole));
        expect(dec.meta).toEqual(whole.meta);
      }
      const path = join(EVENTS_DIR, name);
      const chunks: Events[] = [];
      for await (const ev of streamEventFile(path, { ...opts, chunkBytes: 64 })) chunks.push(ev);
      if (bytes.length > 4096) expect(chunks.length).toBeGreaterThanOrEqual(2);
      expect(plain(concatEvents(chunks, { sorted: false }))).toEqual(plain(whole));
      const read = await readEventFile(path, opts);
      expect(plain(read)).toEqual(plain(whole));
      expect(read.meta).toEqual(whole.meta);
      expect(read.sensorSize).toEqual(whole.sensorSize);
    });
  }

  it('a truncated file streamed is a DataError naming the file and the offset', async () => {
    const bytes = fixtureBytes('aedat4_lz4_cut.aedat4');
    const path = join(tmp, 'cut.aedat4');
    writeFileSync(path, bytes.subarray(0, bytes.length - 100));
    const run = async () => {
      for await (const _ of streamEventFile(path, { chunkBytes: 1000 })) {
        /* drain */
      }
    };
    await expect(run()).rejects.toThrow(DataError);
    await expect(run()).rejects.toThrow(/cut\.aedat4: at byte \d+: packet of \d+ bytes is cut short/);
    await expect(readEventFile(join(tmp, 'missing.bin'))).rejects.toThrow(/missing\.bin: cannot open/);
    writeFileSync(join(tmp, 'x.unknown'), new Uint8Array(10));
    await expect(readEventFile(join(tmp, 'x.unknown'))).rejects.toThrow(/cannot tell the event format/);
  });

  it('an empty-but-valid file reads as no events with the header sensor size', async () => {
    const path = join(tmp, 'header.aedat');
    writeFileSync(path, '#!AER-DAT2.0\r\n# nothing else\r\n');
    const ev = await readEventFile(path);
    expect(ev.t.length).toBe(0);
    expect(ev.sensorSize).toEqual([128, 128, 2]);
  });
});
