import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { DataError } from '../core/errors.js';
import type { ChunkDecoder } from './decoder.js';
import { concatEvents, emptyEvents, type Events, eventsOf } from './events.js';
import { detectEventFormat, EVENT_FORMATS, type EventFileOptions, type EventFormat, eventDecoder } from './formats.js';

export interface StreamOptions extends EventFileOptions {
  format?: EventFormat;
  /** Bytes read from the file at a time (default 1 MiB). */
  chunkBytes?: number;
}

/** Reads the file chunk by chunk through its decoder, yielding the events each chunk completes; returns the decoder. */
async function* decodeFile(path: string, opts: StreamOptions): AsyncGenerator<Events, ChunkDecoder | undefined, undefined> {
  const chunk = opts.chunkBytes ?? 1 << 20;
  if (!Number.isInteger(chunk) || chunk < 1) throw new DataError(`chunkBytes: expected a positive integer, found ${chunk}`, path);
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new DataError(`cannot open: ${(e as Error).message}`, path);
  }
  try {
    const buf = new Uint8Array(chunk);
    let dec: ChunkDecoder | undefined;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, chunk, null);
      if (!dec) {
        const format = opts.format ?? detectEventFormat(buf.subarray(0, bytesRead), path);
        if (!format) throw new DataError(`cannot tell the event format; pass format (${EVENT_FORMATS.join(', ')})`, path);
        const { format: _f, chunkBytes: _c, ...rest } = opts;
        dec = eventDecoder(format, { ...rest, file: opts.file ?? path });
      }
      const parts = bytesRead === 0 ? dec.end() : dec.push(buf.slice(0, bytesRead));
      for (const ev of parts) yield eventsOf(ev.x, ev.y, ev.p, ev.t, ev.sensorSize, dec.meta);
      if (bytesRead === 0) return dec;
    }
  } finally {
    await fh.close();
  }
}

/**
 * Streams an event file (any format readEvents reads; the format from `opts.format`, else detected from
 * the first bytes and the name): yields the events in chunks, about one per `chunkBytes` read, without
 * holding the file in memory. The chunks joined are the events of reading the whole file. Errors are
 * DataErrors naming the file and the byte offset.
 */
export async function* streamEventFile(path: string, opts: StreamOptions = {}): AsyncGenerator<Events, void, undefined> {
  yield* decodeFile(path, opts);
}

/** Reads a whole event file from disk (in chunks, then joined); `meta` is the reader's. */
export async function readEventFile(path: string, opts: StreamOptions = {}): Promise<Events> {
  const parts: Events[] = [];
  const gen = decodeFile(path, opts);
  let r = await gen.next();
  while (!r.done) {
    parts.push(r.value);
    r = await gen.next();
  }
  const dec = r.value!;
  const size = dec.sensorSize;
  if (!size) throw new DataError('no header found', path);
  const all =
    parts.length === 0 ? emptyEvents(size) : parts.length === 1 ? parts[0] : concatEvents(parts, { sensorSize: size, sorted: false });
  return eventsOf(all.x, all.y, all.p, all.t, size, dec.meta);
}

/**
 * Reads whole files into one buffer it keeps and grows: read(path) returns the file's bytes as a view
 * that stays valid until the next read. For loops over many small files (N-MNIST's 70,000 samples):
 * no new buffer, and no size query, per file. Errors are DataErrors naming the file.
 */
export class FileReader {
  private buf: Uint8Array;

  constructor(initialBytes = 1 << 16) {
    this.buf = new Uint8Array(Math.max(1, initialBytes));
  }

  read(path: string): Uint8Array {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw new DataError(`cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, path);
    }
    try {
      let n = 0;
      for (;;) {
        if (n === this.buf.length) {
          const bigger = new Uint8Array(this.buf.length * 2);
          bigger.set(this.buf);
          this.buf = bigger;
        }
        const r = readSync(fd, this.buf, n, this.buf.length - n, null);
        if (r === 0) return this.buf.subarray(0, n);
        n += r;
      }
    } catch (e) {
      throw new DataError(`cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, path);
    } finally {
      closeSync(fd);
    }
  }
}
