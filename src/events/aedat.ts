import { checkObject, ValueError } from '../core/errors.js';
import { ChunkDecoder, checkEvent, dataError, decodeAll, EventBuffer, headerLines, type ReadOptions, view } from './decoder.js';
import { checkSensorSize, type EventMeta, type Events, type SensorSize } from './events.js';

/**
 * How a 32-bit AEDAT 2.0 address maps to (x, y, polarity):
 * - 'dvs128' (default), jAER's DVS128 extractor: x = 127 - ((a >> 1) & 0x7f) (mirrored), y = (a >> 8) & 0x7f,
 *   p = 1 - (a & 1) (raw 0 is ON, read as 1); addresses with bit 15 set are special events, skipped.
 * - 'dvs128-tonic', Tonic's read_dvs_128 bit for bit: x = (a >> 8) & 0x7f, y = (a >> 1) & 0x7f, p = a & 1
 *   (x and y swapped with respect to jAER, nothing mirrored, nothing skipped).
 * - 'davis346', Tonic's read_davis_346 (after jAER): x = 345 - ((a >> 12) & 0x3ff), y = 259 - ((a >> 22) & 0x1ff),
 *   p = (a >> 11) & 1; addresses with bit 31 set (APS samples, IMU) are skipped.
 */
export type Aedat2Layout = 'dvs128' | 'dvs128-tonic' | 'davis346';

export interface Aedat2Options extends ReadOptions {
  layout?: Aedat2Layout;
  /** Sensor size; by default the layout's: [128, 128, 2] or [346, 260, 2]. */
  sensorSize?: SensorSize;
}

export interface Aedat3Options extends ReadOptions {
  /** Sensor size; DVS Gesture's DVS128, [128, 128, 2], by default. */
  sensorSize?: SensorSize;
}

/** The '#' header of AEDAT 2.0/3.x files: its lines, the version and the offset where the data starts. */
function aedatHeader(file: string | undefined, buf: Uint8Array, base: number, final: boolean) {
  const h = headerLines(buf, 0x23, final, (line) => line.startsWith('!END-HEADER'));
  if (!h) return null;
  const m = h.lines.length > 0 ? /^!AER-DAT(\d+)\.(\d+)/.exec(h.lines[0]) : null;
  if (!m)
    throw dataError(
      file,
      base,
      `expected an AEDAT header starting "#!AER-DAT", found ${JSON.stringify(String.fromCharCode(...buf.subarray(0, 12)))}`,
    );
  return { lines: h.lines, end: h.end, major: Number(m[1]), minor: Number(m[2]) };
}

/** Creation time in ms from a jAER header ("# Creation time: System.currentTimeMillis() 1695355587880"). */
function creationTime(lines: string[]): number | undefined {
  for (const l of lines) {
    const m = /Creation time:.*?(\d+)\s*$/.exec(l);
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** Decoder of jAER's AEDAT 2.0: '#' header lines, then big-endian 8-byte events (u32 address, u32 timestamp in us). */
export class Aedat2Decoder extends ChunkDecoder {
  private header: string[] | null = null;
  private skipped = 0;
  readonly sensorSize: SensorSize;
  private readonly layout: Aedat2Layout;

  constructor(opts: Aedat2Options = {}) {
    checkObject('readAedat2 options', opts);
    super(opts.file);
    const layout = opts.layout ?? 'dvs128';
    if (!['dvs128', 'dvs128-tonic', 'davis346'].includes(layout))
      throw new ValueError(`readAedat2 layout: expected 'dvs128', 'dvs128-tonic' or 'davis346', found ${JSON.stringify(layout)}`);
    this.layout = layout;
    this.sensorSize = opts.sensorSize
      ? checkSensorSize('readAedat2 sensorSize', opts.sensorSize)
      : layout === 'davis346'
        ? [346, 260, 2]
        : [128, 128, 2];
  }

  get meta(): EventMeta {
    const header = this.header ?? [];
    return { format: 'aedat2', header, layout: this.layout, creationTimeMs: creationTime(header), skippedAddresses: this.skipped };
  }

  protected parse(buf: Uint8Array, base: number, final: boolean): number {
    let pos = 0;
    if (this.header === null) {
      const h = aedatHeader(this.file, buf, base, final);
      if (!h) return 0;
      if (h.major !== 2)
        throw dataError(this.file, base, `expected AEDAT version 2.x, found ${h.major}.${h.minor} (use readAedat3 / readAedat4)`);
      this.header = h.lines;
      pos = h.end;
    }
    const n = Math.floor((buf.length - pos) / 8);
    const dv = view(buf);
    const out = new EventBuffer(n);
    const size = this.sensorSize;
    for (let i = 0; i < n; i++) {
      const o = pos + i * 8;
      const a = dv.getUint32(o, false);
      const t = dv.getUint32(o + 4, false);
      let x: number;
      let y: number;
      let p: number;
      if (this.layout === 'dvs128') {
        if (a & 0x8000) {
          this.skipped++;
          continue;
        }
        x = 127 - ((a >>> 1) & 0x7f);
        y = (a >>> 8) & 0x7f;
        p = 1 - (a & 1);
      } else if (this.layout === 'dvs128-tonic') {
        x = (a >>> 8) & 0x7f;
        y = (a >>> 1) & 0x7f;
        p = a & 1;
      } else {
        if (a >>> 31) {
          this.skipped++;
          continue;
        }
        x = 345 - ((a >>> 12) & 0x3ff);
        y = 259 - ((a >>> 22) & 0x1ff);
        p = (a >>> 11) & 1;
      }
      checkEvent(this.file, base + o, size, x, y, p);
      out.add(x, y, p, t);
    }
    this.emit(out.finish(size));
    return pos + n * 8;
  }
}

/** Reads a whole AEDAT 2.0 file from its bytes. */
export function readAedat2(bytes: Uint8Array, opts: Aedat2Options = {}): Events {
  return decodeAll(new Aedat2Decoder(opts), bytes);
}

const PACKET_HEADER = 28;
const POLARITY_EVENT = 1;

/**
 * Decoder of AEDAT 3.1 (cAER; DVS Gesture's raw recordings): '#' header lines up to "#!END-HEADER", then
 * packets, each a 28-byte little-endian header (eventType i16, eventSource i16, eventSize i32,
 * eventTSOffset i32, eventTSOverflow i32, eventCapacity i32, eventNumber i32, eventValid i32) and
 * eventCapacity * eventSize bytes of events. Polarity packets (type 1, 8-byte events: u32 data with the
 * valid bit 0, polarity bit 1, y bits 2-16, x bits 17-31; i32 timestamp) are decoded, with timestamp
 * (eventTSOverflow << 31) + ts; events whose valid bit is clear are dropped, other packet types skipped
 * (both counted in meta). Tonic's get_aer_events_from_file instead reads eventCapacity 8-byte records from
 * every packet, whatever its type and valid bits; on a file of valid polarity packets the two agree.
 */
// Every reader is a ChunkDecoder of this shape (its options checked, its sensor size, its meta: NmnistDecoder
// in nmnist.ts, the Prophesee decoders in prophesee.ts); what differs is each format's header and records.
export class Aedat3Decoder extends ChunkDecoder {
  private header: string[] | null = null;
  private invalid = 0;
  private skippedPackets: Record<number, number> = {};
  private packets = 0;
  readonly sensorSize: SensorSize;

  constructor(opts: Aedat3Options = {}) {
    checkObject('readAedat3 options', opts);
    super(opts.file);
    this.sensorSize = opts.sensorSize ? checkSensorSize('readAedat3 sensorSize', opts.sensorSize) : [128, 128, 2];
  }

  get meta(): EventMeta {
    return {
      format: 'aedat3',
      header: this.header ?? [],
      polarityPackets: this.packets,
      invalidEvents: this.invalid,
      skippedPackets: { ...this.skippedPackets },
    };
  }

  protected parse(buf: Uint8Array, base: number, final: boolean): number {
    let pos = 0;
    if (this.header === null) {
      const h = aedatHeader(this.file, buf, base, final);
      if (!h) return 0;
      if (h.major !== 3) throw dataError(this.file, base, `expected AEDAT version 3.x, found ${h.major}.${h.minor}`);
      this.header = h.lines;
      pos = h.end;
    }
    const dv = view(buf);
    while (buf.length - pos >= PACKET_HEADER) {
      const type = dv.getInt16(pos, true);
      const evSize = dv.getInt32(pos + 4, true);
      const tsOffset = dv.getInt32(pos + 8, true);
      const overflow = dv.getInt32(pos + 12, true);
      const capacity = dv.getInt32(pos + 16, true);
      const number = dv.getInt32(pos + 20, true);
      const at = base + pos;
      if (evSize <= 0 || capacity < 0 || number < 0 || number > capacity || overflow < 0 || capacity * evSize > 2 ** 31)
        throw dataError(
          this.file,
          at,
          `bad packet header: eventSize ${evSize}, eventCapacity ${capacity}, eventNumber ${number}, eventTSOverflow ${overflow}`,
        );
      const body = capacity * evSize;
      if (buf.length - pos - PACKET_HEADER < body) {
        if (final)
          throw dataError(this.file, at, `packet of ${body} bytes of events is cut short: ${buf.length - pos - PACKET_HEADER} bytes left`);
        break;
      }
      const start = pos + PACKET_HEADER;
      if (type === POLARITY_EVENT) {
        if (evSize !== 8) throw dataError(this.file, at + 4, `polarity packet: expected eventSize 8, found ${evSize}`);
        if (tsOffset !== 4) throw dataError(this.file, at + 8, `polarity packet: expected eventTSOffset 4, found ${tsOffset}`);
        this.packets++;
        const out = new EventBuffer(number);
        for (let i = 0; i < number; i++) {
          const o = start + i * 8;
          const d = dv.getUint32(o, true);
          if (!(d & 1)) {
            this.invalid++;
            continue;
          }
          const ts = dv.getInt32(o + 4, true);
          if (ts < 0) throw dataError(this.file, base + o + 4, `expected a non-negative timestamp, found ${ts}`);
          const x = d >>> 17;
          const y = (d >>> 2) & 0x7fff;
          const p = (d >>> 1) & 1;
          checkEvent(this.file, base + o, this.sensorSize, x, y, p);
          out.add(x, y, p, overflow * 2 ** 31 + ts);
        }
        this.emit(out.finish(this.sensorSize));
      } else {
        this.skippedPackets[type] = (this.skippedPackets[type] ?? 0) + 1;
      }
      pos = start + body;
    }
    return pos;
  }
}

/** Reads a whole AEDAT 3.1 file from its bytes. */
export function readAedat3(bytes: Uint8Array, opts: Aedat3Options = {}): Events {
  return decodeAll(new Aedat3Decoder(opts), bytes);
}
