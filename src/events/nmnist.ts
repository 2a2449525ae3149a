import { checkObject, ValueError } from '../core/errors.js';
import { ChunkDecoder, checkEvent, decodeAll, EventBuffer, type ReadOptions } from './decoder.js';
import { checkSensorSize, type EventMeta, type Events, type SensorSize } from './events.js';

export interface NmnistOptions extends ReadOptions {
  /** Sensor size; N-MNIST's [34, 34, 2] by default (N-Caltech101 files use the same format on a larger sensor). */
  sensorSize?: SensorSize;
}

/** The y value that marks a timestamp-overflow record (Tonic's read_mnist_file rule). */
const OVERFLOW_Y = 240;
const OVERFLOW_STEP = 2 ** 13;

/**
 * Decoder of the N-MNIST / N-Caltech101 binary format (also SLAYER's `.bs2`): 5 bytes per event, byte 0
 * x, byte 1 y, bit 7 of byte 2 the polarity, and a 23-bit big-endian timestamp in microseconds in the
 * rest of bytes 2-4. As in Tonic's read_mnist_file, a record with y = 240 is a timestamp-overflow marker:
 * it is dropped and 2^13 us is added to the timestamps of every later record.
 */
export class NmnistDecoder extends ChunkDecoder {
  private overflows = 0;
  private markers = 0;
  readonly sensorSize: SensorSize;

  constructor(opts: NmnistOptions = {}) {
    checkObject('readNmnist options', opts);
    super(opts.file);
    this.sensorSize = opts.sensorSize ? checkSensorSize('readNmnist sensorSize', opts.sensorSize) : [34, 34, 2];
  }

  get meta(): EventMeta {
    return { format: 'nmnist', overflowMarkers: this.markers };
  }

  protected parse(buf: Uint8Array, base: number, _final: boolean): number {
    const n = Math.floor(buf.length / 5);
    const out = new EventBuffer(n);
    const size = this.sensorSize;
    const [w, h, np] = size;
    // the columns filled in place (the hot loop of reading N-MNIST)
    const xs = out.x;
    const ys = out.y;
    const ps = out.p;
    const ts = out.t;
    let k = 0;
    let shift = this.overflows * OVERFLOW_STEP;
    for (let i = 0; i < n; i++) {
      const o = i * 5;
      const y = buf[o + 1];
      if (y === OVERFLOW_Y) {
        this.overflows++;
        this.markers++;
        shift += OVERFLOW_STEP;
        continue;
      }
      const x = buf[o];
      const b2 = buf[o + 2];
      const p = b2 >> 7;
      if (x >= w || y >= h || p >= np) checkEvent(this.file, base + o, size, x, y, p);
      xs[k] = x;
      ys[k] = y;
      ps[k] = p;
      ts[k] = (((b2 & 0x7f) << 16) | (buf[o + 3] << 8) | buf[o + 4]) + shift;
      k++;
    }
    out.n = k;
    this.emit(out.finish(size));
    return n * 5;
  }
}

/** Reads a whole N-MNIST `.bin` / SLAYER `.bs2` file from its bytes. */
export function readNmnist(bytes: Uint8Array, opts: NmnistOptions = {}): Events {
  return decodeAll(new NmnistDecoder(opts), bytes);
}

/**
 * Writes events in the N-MNIST `.bin` / `.bs2` layout readNmnist reads: 5 bytes per event, timestamps as
 * 23-bit microseconds (so up to 8,388,607 us; no overflow markers), x and y below 256 and y not 240 (the
 * marker value), polarity 0 or 1.
 */
export function writeNmnist(ev: Events): Uint8Array {
  const n = ev.t.length;
  const out = new Uint8Array(n * 5);
  for (let i = 0; i < n; i++) {
    const x = ev.x[i];
    const y = ev.y[i];
    const p = ev.p[i];
    const t = ev.t[i];
    if (x > 255 || y > 255 || y === OVERFLOW_Y)
      throw new ValueError(
        `writeNmnist: event ${i} at (${x}, ${y}); expected x and y in 0..255, y not ${OVERFLOW_Y} (the overflow marker)`,
      );
    if (p > 1) throw new ValueError(`writeNmnist: event ${i} has polarity ${p}; expected 0 or 1`);
    if (!Number.isInteger(t) || t < 0 || t >= 2 ** 23)
      throw new ValueError(`writeNmnist: event ${i} has timestamp ${t}; expected an integer in 0..${2 ** 23 - 1} microseconds`);
    const o = i * 5;
    out[o] = x;
    out[o + 1] = y;
    out[o + 2] = (p << 7) | (t >> 16);
    out[o + 3] = (t >> 8) & 0xff;
    out[o + 4] = t & 0xff;
  }
  return out;
}
