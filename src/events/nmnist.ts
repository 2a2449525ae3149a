import { checkKeys, checkObject, ValueError } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import { ChunkDecoder, checkEvent, dataError, decodeAll, EventBuffer, type ReadOptions } from './decoder.js';
import { checkSensorSize, type EventMeta, type Events, type SensorSize } from './events.js';
import { type ToFrameOptions, toFrame } from './frame.js';

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

export interface NmnistFrameOptions extends NmnistOptions, ToFrameOptions {
  /** Frames as [T, H, W, P] (the layout Conv2d reads) instead of Tonic's [T, P, H, W]. */
  channelsLast?: boolean;
}

const FRAME_KEYS = [
  'timeWindow',
  'eventCount',
  'nTimeBins',
  'nEventBins',
  'overlap',
  'includeIncomplete',
  'startTime',
  'endTime',
  'channelsLast',
  'file',
  'sensorSize',
];

const isInt = (v: number | undefined) => v === undefined || Number.isSafeInteger(v);

/**
 * toFrame(readNmnist(bytes), opts) in one go: the same frames (Tonic's read_mnist_file + ToFrame), as a
 * Tensor [T, P, H, W] ([T, H, W, P] with channelsLast). With `out`, the frames are written into
 * out[offset, offset + T P H W) (overwritten) and the Tensor views that part: many samples' frames in one
 * buffer, no allocation per sample.
 *
 * The common cases (nTimeBins, or an integer timeWindow with integer start/end times; no overlap; a
 * 2-polarity sensor) decode the 5-byte records straight into the frame counts with no event arrays in
 * between: a first pass over the y bytes counts the overflow markers, which with the first and last
 * records gives the first and last timestamps; a second decodes each record and adds it to its frame,
 * checking the sensor bounds (readNmnist's error, same offset) and the order. Anything else takes the
 * two-step path, so results and errors are the two-step path's, except that unsorted timestamps when
 * framing by time (toFrame's ValueError) are a DataError naming the file and the record's offset.
 */
export function readNmnistFrames(bytes: Uint8Array, opts: NmnistFrameOptions, out?: Float32Array, offset = 0): Tensor {
  checkObject('readNmnistFrames options', opts);
  checkKeys('readNmnistFrames options', opts, FRAME_KEYS);
  if (out !== undefined && !(out instanceof Float32Array))
    throw new ValueError(`readNmnistFrames out: expected a Float32Array, found ${typeof out}`);
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw new ValueError(`readNmnistFrames offset: expected a non-negative integer, found ${offset}`);
  const fused = fusedFrames(bytes, opts, out, offset);
  if (fused) return fused;
  const { channelsLast, file, sensorSize, ...frameOpts } = opts;
  const ev = readNmnist(bytes, { file, sensorSize });
  if (opts.timeWindow !== undefined || opts.nTimeBins !== undefined) {
    // framing by time needs sorted times: the record that breaks the order, as the fused path reports it
    const t = ev.t;
    for (let i = 1; i < t.length; i++) if (t[i] < t[i - 1]) throw unsorted(file, recordOffset(bytes, i), t[i], t[i - 1]);
  }
  let f = toFrame(ev, frameOpts);
  if (channelsLast) f = toChannelsLast(f);
  if (!out) return f;
  const dst = outView(out, offset, f.data.length);
  dst.set(f.data as Float32Array);
  return new Tensor(dst, f.shape);
}

function outView(out: Float32Array, offset: number, size: number): Float32Array {
  if (offset + size > out.length)
    throw new ValueError(`readNmnistFrames: the frames need ${size} values at offset ${offset}, but out holds ${out.length}`);
  return out.subarray(offset, offset + size);
}

function unsorted(file: string | undefined, offset: number, t: number, prev: number) {
  return dataError(file, offset, `timestamp ${t} us is before the previous event's (${prev} us); framing by time needs time-sorted events`);
}

/** The byte offset of event i (the i-th record that is not an overflow marker). */
function recordOffset(bytes: Uint8Array, i: number): number {
  let k = -1;
  for (let r = 0; r + 5 <= bytes.length; r += 5) if (bytes[r + 1] !== OVERFLOW_Y && ++k === i) return r;
  return -1;
}

/** [T, P, H, W] -> [T, H, W, P]. */
function toChannelsLast(f: Tensor): Tensor {
  const [T, P, H, W] = f.shape;
  const src = f.data as Float32Array;
  const out = new Float32Array(src.length);
  const plane = H * W;
  for (let t = 0; t < T; t++) {
    const o = t * P * plane;
    for (let p = 0; p < P; p++) for (let i = 0; i < plane; i++) out[o + i * P + p] = src[o + p * plane + i];
  }
  return new Tensor(out, [T, H, W, P]);
}

/** The fused decode-and-frame of readNmnistFrames; undefined where the two-step path must decide. */
function fusedFrames(bytes: Uint8Array, o: NmnistFrameOptions, into: Float32Array | undefined, offset: number): Tensor | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length % 5 !== 0) return undefined;
  const size = o.sensorSize ? checkSensorSize('readNmnist sensorSize', o.sensorSize) : NMNIST_SIZE;
  const [w, h, np] = size;
  const byBins = o.nTimeBins !== undefined;
  const byWindow = o.timeWindow !== undefined;
  if (np !== 2 || byBins === byWindow || o.eventCount !== undefined || o.nEventBins !== undefined) return undefined;
  if (o.overlap || o.includeIncomplete) return undefined;
  if (byBins && !(Number.isInteger(o.nTimeBins) && o.nTimeBins! >= 1)) return undefined;
  if (byWindow && !(Number.isSafeInteger(o.timeWindow) && o.timeWindow! >= 1 && isInt(o.startTime) && isInt(o.endTime))) return undefined;
  const len = bytes.length;
  const n = len / 5;
  // pass 1: the overflow markers (y = 240) give the first and last timestamps without decoding the rest
  let markers = 0;
  for (let r = 1; r < len; r += 5) if (bytes[r] === OVERFLOW_Y) markers++;
  if (markers === n) return undefined; // no events
  const raw = (r: number) => ((bytes[r + 2] & 0x7f) << 16) | (bytes[r + 3] << 8) | bytes[r + 4];
  let fi = 0;
  while (bytes[fi * 5 + 1] === OVERFLOW_Y) fi++;
  let li = n - 1;
  while (bytes[li * 5 + 1] === OVERFLOW_Y) li--;
  const first = raw(fi * 5) + fi * OVERFLOW_STEP;
  const last = raw(li * 5) + (markers - (n - 1 - li)) * OVERFLOW_STEP;
  // the frames: [start + k window, start + (k + 1) window), k < frames
  let frames: number;
  let start: number;
  let window: number;
  if (byBins) {
    frames = o.nTimeBins!;
    start = first;
    window = Math.floor((last - first) / frames); // Tonic's SliceByTimeBins
  } else {
    window = o.timeWindow!;
    start = o.startTime ?? first;
    const end = o.endTime ?? last;
    frames = Math.max(1, Math.floor((end - start - window) / window) + 1); // Tonic's SliceByTime
  }
  const plane = w * h;
  const frameSize = 2 * plane;
  let out: Float32Array;
  if (into) {
    out = outView(into, offset, frames * frameSize);
    out.fill(0);
  } else out = new Float32Array(frames * frameSize);
  const cl = o.channelsLast === true;
  // pass 2: decode each record (bytes 1-4 as one big-endian word: y, then p and the 23-bit time) and
  // count it in its frame. Sorted timestamps (checked here) move the frame only forward: walk its bounds.
  const dv = new DataView(bytes.buffer, bytes.byteOffset, len);
  const xs = cl ? 2 : 1; // channels-last: (y w + x) 2 + p; else p plane + y w + x
  const ps = cl ? 1 : plane;
  const ys = cl ? 2 * w : w;
  const stop = start + window * frames;
  let k = 0;
  let hi = start + window;
  let base = 0;
  let shift = 0;
  let prev = -1;
  for (let r = 0; r < len; r += 5) {
    const v = dv.getUint32(r + 1);
    const y = v >>> 24;
    if (y === OVERFLOW_Y) {
      shift += OVERFLOW_STEP;
      continue;
    }
    const x = bytes[r];
    if (x >= w || y >= h) checkEvent(o.file, r, size, x, y, (v >>> 23) & 1);
    const t = (v & 0x7fffff) + shift;
    if (t < prev) {
      readNmnist(bytes, { file: o.file, sensorSize: o.sensorSize }); // a record off the sensor later in the file: readNmnist's error first
      throw unsorted(o.file, r, t, prev);
    }
    prev = t;
    if (t < start || t >= stop) continue;
    if (t >= hi) {
      do {
        k++;
        hi += window;
      } while (t >= hi);
      base = k * frameSize;
    }
    out[base + ((v >>> 23) & 1) * ps + y * ys + x * xs]++;
  }
  return new Tensor(out, cl ? [frames, h, w, 2] : [frames, 2, h, w]);
}

const NMNIST_SIZE: SensorSize = [34, 34, 2];

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
