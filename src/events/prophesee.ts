import { checkObject } from '../core/errors.js';
import { ChunkDecoder, checkEvent, dataError, decodeAll, EventBuffer, headerLines, type ReadOptions, view } from './decoder.js';
import { checkSensorSize, type EventMeta, type Events, type SensorSize } from './events.js';

export interface PropheseeOptions extends ReadOptions {
  /**
   * Sensor size. By default the header's Width/Height (`% Width 304`, `% geometry 1280x720`, `% format
   * EVT2;width=..;height=..`) with 2 polarities, else the ATIS sensor of N-CARS, [304, 240, 2].
   */
  sensorSize?: SensorSize;
}

const ATIS: SensorSize = [304, 240, 2];

/** Width and height from Prophesee header lines, when they give them. */
function headerGeometry(lines: string[]): [number, number] | undefined {
  let w: number | undefined;
  let h: number | undefined;
  for (const line of lines) {
    const s = line.trim();
    let m = /^Width\s+(\d+)/i.exec(s);
    if (m) w = Number(m[1]);
    m = /^Height\s+(\d+)/i.exec(s);
    if (m) h = Number(m[1]);
    m = /^geometry\s+(\d+)x(\d+)/i.exec(s);
    if (m) [w, h] = [Number(m[1]), Number(m[2])];
    m = /^format\s+\S*?width=(\d+)/i.exec(s);
    if (m) w = Number(m[1]);
    m = /^format\s+\S*?height=(\d+)/i.exec(s);
    if (m) h = Number(m[1]);
  }
  return w && h && w <= 65536 && h <= 65536 ? [w, h] : undefined;
}

/**
 * Decoder of Prophesee's legacy `.dat` files (N-CARS, the Gen1 automotive set): '%' header lines, then
 * (when there is a header) one byte event type and one byte event size, then 8-byte little-endian
 * events: u32 timestamp (us), u32 with x in bits 0-13, y in bits 14-27 and the polarity in bits 28-31.
 * Event types 0 (Event2D) and 12 (EventCD) of size 8 are read; any other type or size is a DataError.
 */
// The .dat and the EVT 2.0 .raw decoders open alike (a '%' header, the sensor size from it or the options), as
// the readers of aedat.ts and nmnist.ts do; their records differ (8-byte events vs 32-bit words).
export class PropheseeDatDecoder extends ChunkDecoder {
  private header: string[] | null = null;
  sensorSize: SensorSize | undefined;

  constructor(opts: PropheseeOptions = {}) {
    checkObject('readPropheseeDat options', opts);
    super(opts.file);
    if (opts.sensorSize) this.sensorSize = checkSensorSize('readPropheseeDat sensorSize', opts.sensorSize);
  }

  get meta(): EventMeta {
    return { format: 'prophesee-dat', header: this.header ?? [] };
  }

  protected parse(buf: Uint8Array, base: number, final: boolean): number {
    let pos = 0;
    if (this.header === null) {
      const h = headerLines(buf, 0x25, final);
      if (!h) return 0;
      if (h.lines.length > 0) {
        if (buf.length < h.end + 2) {
          if (final)
            throw dataError(
              this.file,
              base + h.end,
              `expected the event type and size bytes after the header, found ${buf.length - h.end} bytes`,
            );
          return 0;
        }
        const type = buf[h.end];
        const size = buf[h.end + 1];
        if (size !== 8) throw dataError(this.file, base + h.end + 1, `expected event size 8, found ${size}`);
        if (type !== 0 && type !== 12)
          throw dataError(this.file, base + h.end, `expected event type 0 (Event2D) or 12 (EventCD), found ${type}`);
        pos = h.end + 2;
      }
      this.header = h.lines;
      if (!this.sensorSize) {
        const g = headerGeometry(h.lines);
        this.sensorSize = g ? [g[0], g[1], 2] : ATIS;
      }
    }
    const size = this.sensorSize!;
    const n = Math.floor((buf.length - pos) / 8);
    const dv = view(buf);
    const out = new EventBuffer(n);
    for (let i = 0; i < n; i++) {
      const o = pos + i * 8;
      const t = dv.getUint32(o, true);
      const w = dv.getUint32(o + 4, true);
      const x = w & 0x3fff;
      const y = (w >>> 14) & 0x3fff;
      const p = w >>> 28;
      checkEvent(this.file, base + o, size, x, y, p);
      out.add(x, y, p, t);
    }
    this.emit(out.finish(size));
    return pos + n * 8;
  }
}

/** Reads a whole Prophesee `.dat` file (N-CARS) from its bytes. */
export function readPropheseeDat(bytes: Uint8Array, opts: PropheseeOptions = {}): Events {
  return decodeAll(new PropheseeDatDecoder(opts), bytes);
}

/**
 * Decoder of Prophesee's EVT 2.0 `.raw` files: '%' header lines (ending with `% end`), then 32-bit
 * little-endian words whose top 4 bits give the type: 0 CD_OFF and 1 CD_ON (bits 22-27 the low 6 bits of
 * the timestamp, bits 11-21 x, bits 0-10 y), 8 EVT_TIME_HIGH (bits 0-27 the high 28 bits of the 34-bit
 * timestamp), 10 EXT_TRIGGER, 14 OTHERS and 15 CONTINUED (counted and skipped). Other types are a
 * DataError. Events before the first EVT_TIME_HIGH take time-high 0; a time-high that goes back by more
 * than half its range is taken as the 34-bit counter wrapping around (2^34 us added from there on).
 */
export class Evt2RawDecoder extends ChunkDecoder {
  private header: string[] | null = null;
  private timeHigh = 0;
  private wraps = 0;
  private skipped = { trigger: 0, others: 0, continued: 0 };
  sensorSize: SensorSize | undefined;

  constructor(opts: PropheseeOptions = {}) {
    checkObject('readEvt2Raw options', opts);
    super(opts.file);
    if (opts.sensorSize) this.sensorSize = checkSensorSize('readEvt2Raw sensorSize', opts.sensorSize);
  }

  get meta(): EventMeta {
    return { format: 'evt2-raw', header: this.header ?? [], skipped: { ...this.skipped } };
  }

  protected parse(buf: Uint8Array, base: number, final: boolean): number {
    let pos = 0;
    if (this.header === null) {
      const h = headerLines(buf, 0x25, final, (line) => line.trim() === 'end');
      if (!h) return 0;
      const fmt = h.lines.find((l) => /^\s*(evt|format)\s/i.test(l));
      if (fmt && !/evt\s*2(\.0)?\b|EVT2\b/i.test(fmt))
        throw dataError(this.file, base, `expected an EVT 2.0 file, the header says "${fmt.trim()}"`);
      this.header = h.lines;
      pos = h.end;
      if (!this.sensorSize) {
        const g = headerGeometry(h.lines);
        if (!g) throw dataError(this.file, base, 'the header gives no sensor geometry; pass sensorSize');
        this.sensorSize = [g[0], g[1], 2];
      }
    }
    const size = this.sensorSize!;
    const n = Math.floor((buf.length - pos) / 4);
    const dv = view(buf);
    const out = new EventBuffer(n);
    for (let i = 0; i < n; i++) {
      const o = pos + i * 4;
      const w = dv.getUint32(o, true);
      const type = w >>> 28;
      if (type <= 1) {
        const x = (w >>> 11) & 0x7ff;
        const y = w & 0x7ff;
        checkEvent(this.file, base + o, size, x, y, type);
        out.add(x, y, type, (this.wraps * 2 ** 28 + this.timeHigh) * 64 + ((w >>> 22) & 0x3f));
      } else if (type === 8) {
        const th = w & 0xfffffff;
        if (th + 2 ** 27 < this.timeHigh) this.wraps++;
        this.timeHigh = th;
      } else if (type === 10) this.skipped.trigger++;
      else if (type === 14) this.skipped.others++;
      else if (type === 15) this.skipped.continued++;
      else throw dataError(this.file, base + o, `expected an EVT 2.0 word of type 0, 1, 8, 10, 14 or 15, found type ${type}`);
    }
    this.emit(out.finish(size));
    return pos + n * 4;
  }
}

/** Reads a whole Prophesee EVT 2.0 `.raw` file from its bytes. */
export function readEvt2Raw(bytes: Uint8Array, opts: PropheseeOptions = {}): Events {
  return decodeAll(new Evt2RawDecoder(opts), bytes);
}
