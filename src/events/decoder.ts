import { DataError } from '../core/errors.js';
import { concatEvents, emptyEvents, type EventMeta, type Events, eventsOf, type SensorSize } from './events.js';

/** A DataError that names the file (when known) and the byte offset where the problem was found. */
export function dataError(file: string | undefined, offset: number, message: string): DataError {
  return new DataError(`at byte ${offset}: ${message}`, file);
}

/** Options every reader takes. */
export interface ReadOptions {
  /** The file's name, for error messages. */
  file?: string;
}

/**
 * An incremental decoder: bytes go in by push() in chunks of any size (a whole file, or what a stream
 * yields), decoded events come out. end() says the input is complete: a record cut short there is a
 * DataError naming the offset and the bytes missing. Every reader is one of these, so reading a whole
 * buffer and streaming a file give the same events.
 */
export abstract class ChunkDecoder {
  protected pending: Uint8Array = new Uint8Array(0);
  /** File offset of pending[0]. */
  protected offset = 0;
  private out: Events[] = [];
  private ended = false;

  constructor(readonly file: string | undefined) {}

  /** What the decoder has learnt about the file so far (header, streams, counts). */
  abstract readonly meta: EventMeta;

  /** The sensor size, once the header is known (undefined before). */
  abstract readonly sensorSize: SensorSize | undefined;

  /**
   * Decodes what it can of buf (file offset `base`); returns the number of bytes consumed. Called again
   * with the rest plus the next chunk. With `final`, no more bytes will come.
   */
  protected abstract parse(buf: Uint8Array, base: number, final: boolean): number;

  /** Decoded events are handed out through this (from parse). */
  protected emit(ev: Events): void {
    if (ev.t.length > 0) this.out.push(ev);
  }

  /** Feeds the next bytes; returns the events they completed (possibly none). */
  push(chunk: Uint8Array): Events[] {
    if (this.ended) throw new DataError('push() after end()', this.file);
    const buf = this.pending.length === 0 ? chunk : joinBytes(this.pending, chunk);
    const used = this.parse(buf, this.offset, false);
    this.pending = used === buf.length ? new Uint8Array(0) : buf.slice(used);
    this.offset += used;
    return this.take();
  }

  /** Marks the end of the input; returns the last events. Throws DataError on a truncated record. */
  end(): Events[] {
    if (!this.ended) {
      this.ended = true;
      const used = this.parse(this.pending, this.offset, true);
      if (used !== this.pending.length) {
        throw dataError(this.file, this.offset + used, `file ends inside a record (${this.pending.length - used} bytes left over)`);
      }
      this.offset += used;
      this.pending = new Uint8Array(0);
    }
    return this.take();
  }

  private take(): Events[] {
    const out = this.out;
    this.out = [];
    return out;
  }
}

/** Runs a decoder over a whole buffer: all its events, with the decoder's meta. */
export function decodeAll(dec: ChunkDecoder, bytes: Uint8Array): Events {
  if (!(bytes instanceof Uint8Array)) throw new DataError(`expected a Uint8Array of file bytes, found ${typeof bytes}`, dec.file);
  const parts = [...dec.push(bytes), ...dec.end()];
  const size = dec.sensorSize;
  if (!size) throw dataError(dec.file, 0, 'no header found');
  const all =
    parts.length === 1 ? parts[0] : parts.length === 0 ? emptyEvents(size) : concatEvents(parts, { sensorSize: size, sorted: false });
  return eventsOf(all.x, all.y, all.p, all.t, size, dec.meta);
}

export function joinBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Growable-free event storage of a known maximum size; finish() returns the filled part. */
export class EventBuffer {
  readonly x: Uint16Array;
  readonly y: Uint16Array;
  readonly p: Uint8Array;
  readonly t: Float64Array;
  n = 0;
  constructor(capacity: number) {
    this.x = new Uint16Array(capacity);
    this.y = new Uint16Array(capacity);
    this.p = new Uint8Array(capacity);
    this.t = new Float64Array(capacity);
  }
  add(x: number, y: number, p: number, t: number): void {
    const i = this.n++;
    this.x[i] = x;
    this.y[i] = y;
    this.p[i] = p;
    this.t[i] = t;
  }
  finish(sensorSize: SensorSize): Events {
    const n = this.n;
    return eventsOf(this.x.subarray(0, n), this.y.subarray(0, n), this.p.subarray(0, n), this.t.subarray(0, n), sensorSize);
  }
}

/**
 * Checks one decoded event against the sensor; a DataError names the event's byte offset otherwise.
 * Returns nothing: the caller adds the event after this.
 */
export function checkEvent(file: string | undefined, offset: number, size: SensorSize, x: number, y: number, p: number): void {
  if (x >= size[0] || y >= size[1] || p >= size[2] || x < 0 || y < 0 || p < 0) {
    throw dataError(
      file,
      offset,
      `event (x ${x}, y ${y}, p ${p}) is outside the sensor: expected x < ${size[0]}, y < ${size[1]}, p < ${size[2]}`,
    );
  }
}

/**
 * Header lines that start with `mark` ('#' or '%'): returns the lines (without the mark and line end) and
 * the offset after the last, or null when buf may end inside the header (more bytes needed). The header
 * ends at the first line that does not start with `mark`. `stop` ends it after a matching line too.
 */
export function headerLines(
  buf: Uint8Array,
  mark: number,
  final: boolean,
  stop?: (line: string) => boolean,
): { lines: string[]; end: number } | null {
  const lines: string[] = [];
  let pos = 0;
  while (pos < buf.length && buf[pos] === mark) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) {
      if (!final) return null;
      lines.push(latin1(buf, pos + 1, buf.length));
      return { lines, end: buf.length };
    }
    const line = latin1(buf, pos + 1, nl).replace(/\r$/, '');
    lines.push(line);
    pos = nl + 1;
    if (stop?.(line)) return { lines, end: pos };
  }
  if (pos === buf.length && !final) return null;
  return { lines, end: pos };
}

export function latin1(buf: Uint8Array, a: number, b: number): string {
  let s = '';
  for (let i = a; i < b; i += 4096) s += String.fromCharCode(...buf.subarray(i, Math.min(b, i + 4096)));
  return s;
}

export function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}
