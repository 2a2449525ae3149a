import { decompress as zstdDecompress } from 'fzstd';
import { checkInt, checkObject } from '../core/errors.js';
import { ChunkDecoder, dataError, decodeAll, EventBuffer, latin1, type ReadOptions, view } from './decoder.js';
import { checkSensorSize, type EventMeta, type Events, type SensorSize } from './events.js';
import { FlatTable } from './flatbuf.js';
import { type Fail, lz4DecompressFrames } from './lz4.js';

export interface Aedat4Options extends ReadOptions {
  /** The stream to decode; by default the polarity-event stream (type "EVTS") with the lowest id. */
  streamId?: number;
  /** Sensor size; by default the stream's sizeX/sizeY from the header with 2 polarities. */
  sensorSize?: SensorSize;
}

/** One stream that the file's header describes. */
export interface Aedat4Stream {
  id: number;
  /** The type identifier: "EVTS" polarity events, "FRME" frames, "IMUS" IMU samples, "TRIG" triggers, ... */
  type: string;
  /** The output's name in the recording module ("events", "frames", "imu", ...). */
  name: string;
  sizeX?: number;
  sizeY?: number;
  /** Packets of this stream read so far. */
  packets: number;
}

const MAGIC = '#!AER-DAT4.0\r\n';
const COMPRESSION = ['NONE', 'LZ4', 'LZ4_HIGH', 'ZSTD', 'ZSTD_HIGH'] as const;
/** Largest packet (compressed or not) and largest decompressed packet accepted. */
const MAX_PACKET = 1 << 28;

/** The streams that the header's infoNode XML describes (nodes outInfo/<id>/ and outInfo/<id>/info/). */
export function parseInfoNode(xml: string): Aedat4Stream[] {
  const streams = new Map<number, Aedat4Stream>();
  const stack: string[] = [];
  const re = /<node\s+name="([^"]*)"[^>]*?(\/?)>|<\/node\s*>|<attr\s+key="([^"]*)"[^>]*>([^<]*)<\/attr>/g;
  for (let m = re.exec(xml); m; m = re.exec(xml)) {
    if (m[1] !== undefined) {
      if (m[2] !== '/') stack.push(m[1]);
    } else if (m[3] === undefined) stack.pop();
    else if (stack[0] === 'outInfo' && stack.length >= 2 && /^\d+$/.test(stack[1])) {
      const id = Number(stack[1]);
      const s = streams.get(id) ?? { id, type: '', name: '', packets: 0 };
      streams.set(id, s);
      const value = m[4]
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&apos;/g, "'")
        .replace(/&amp;/g, '&');
      if (stack.length === 2 && m[3] === 'typeIdentifier') s.type = value;
      if (stack.length === 2 && m[3] === 'originalOutputName') s.name = value;
      if (stack.length === 3 && stack[2] === 'info' && (m[3] === 'sizeX' || m[3] === 'sizeY')) s[m[3]] = Number(value);
    }
  }
  return [...streams.values()].sort((a, b) => a.id - b.id);
}

/**
 * Decoder of AEDAT 4.0 (iniVation DV): the magic line, a size-prefixed flatbuffer IOHeader (compression,
 * dataTablePosition, infoNode XML describing the streams), then packets: i32 stream id, i32 size, and that
 * many bytes of a (LZ4-, Zstd- or un-) compressed size-prefixed flatbuffer. Packets of the polarity stream
 * are EventPackets of 16-byte events (i64 timestamp in us, i16 x, i16 y, bool on); packets of other
 * streams are skipped (counted per stream in meta.streams). The data table at dataTablePosition (an index
 * of the packets) is not needed and not read. Timestamps stay as the file gives them (absolute us).
 */
export class Aedat4Decoder extends ChunkDecoder {
  private state: 'magic' | 'header' | 'packets' | 'table' = 'magic';
  private compression = 'NONE';
  private dataTable = -1;
  private streams: Aedat4Stream[] = [];
  private target: Aedat4Stream | undefined;
  sensorSize: SensorSize | undefined;

  constructor(private readonly opts: Aedat4Options = {}) {
    checkObject('readAedat4 options', opts);
    if (opts.streamId !== undefined) checkInt('readAedat4 streamId', opts.streamId, 0, 2 ** 31 - 1);
    super(opts.file);
    if (opts.sensorSize) this.sensorSize = checkSensorSize('readAedat4 sensorSize', opts.sensorSize);
  }

  get meta(): EventMeta {
    return {
      format: 'aedat4',
      compression: this.compression,
      dataTablePosition: this.dataTable,
      eventStream: this.target?.id,
      streams: this.streams.map((s) => ({ ...s })),
    };
  }

  protected parse(buf: Uint8Array, base: number, final: boolean): number {
    let pos = 0;
    const dv = view(buf);
    if (this.state === 'magic') {
      if (buf.length < MAGIC.length) return final ? fail(this.file, base, `expected "#!AER-DAT4.0", found ${buf.length} bytes`) : 0;
      const found = latin1(buf, 0, MAGIC.length);
      if (found !== MAGIC)
        throw dataError(this.file, base, `expected the AEDAT 4 magic "#!AER-DAT4.0\\r\\n", found ${JSON.stringify(found)}`);
      pos = MAGIC.length;
      this.state = 'header';
    }
    if (this.state === 'header') {
      if (buf.length - pos < 4) return pos;
      const size = dv.getUint32(pos, true);
      if (size > MAX_PACKET) throw dataError(this.file, base + pos, `header size ${size} is implausible`);
      if (buf.length - pos - 4 < size) {
        if (final) throw dataError(this.file, base + pos, `header of ${size} bytes is cut short: ${buf.length - pos - 4} bytes left`);
        return pos;
      }
      this.readHeader(buf.subarray(pos + 4, pos + 4 + size), base + pos + 4);
      pos += 4 + size;
      this.state = 'packets';
    }
    while (this.state === 'packets') {
      if (this.dataTable >= 0 && base + pos >= this.dataTable) {
        if (base + pos > this.dataTable) throw dataError(this.file, this.dataTable, 'a packet overlaps the data table');
        this.state = 'table';
        break;
      }
      if (buf.length - pos < 8) return pos;
      const at = base + pos;
      const id = dv.getInt32(pos, true);
      const size = dv.getInt32(pos + 4, true);
      const stream = this.streams.find((s) => s.id === id);
      if (!stream)
        throw dataError(
          this.file,
          at,
          `packet of stream ${id}, which the header does not describe (streams ${this.streams.map((s) => s.id).join(', ')})`,
        );
      if (size <= 0 || size > MAX_PACKET) throw dataError(this.file, at + 4, `expected a packet size in 1..${MAX_PACKET}, found ${size}`);
      if (buf.length - pos - 8 < size) {
        if (final) throw dataError(this.file, at, `packet of ${size} bytes is cut short: ${buf.length - pos - 8} bytes left`);
        return pos;
      }
      stream.packets++;
      if (stream === this.target) this.readPacket(buf.subarray(pos + 8, pos + 8 + size), at + 8);
      pos += 8 + size;
    }
    return buf.length; // the data table (or nothing) is left: not needed
  }

  private readHeader(hdr: Uint8Array, base: number): void {
    const fl: Fail = (o, m) => fail(this.file, base + o, `IOHeader: ${m}`);
    const root = FlatTable.root(hdr, fl);
    const c = root.int32(0, 0);
    if (c < 0 || c >= COMPRESSION.length) fl(root.pos, `expected compression type 0..4, found ${c}`);
    this.compression = COMPRESSION[c];
    this.dataTable = root.int64(1, -1);
    this.streams = parseInfoNode(root.string(2) ?? '');
    if (this.streams.length === 0) fl(0, 'the infoNode describes no streams');
    const want = this.opts.streamId;
    this.target = want !== undefined ? this.streams.find((s) => s.id === want) : this.streams.find((s) => s.type === 'EVTS');
    if (!this.target)
      fl(
        0,
        want !== undefined ? `no stream ${want} (streams: ${this.streams.map((s) => s.id).join(', ')})` : 'no polarity-event (EVTS) stream',
      );
    const t = this.target!;
    if (t.type !== 'EVTS') fl(0, `stream ${t.id} holds ${JSON.stringify(t.type)}, not polarity events (EVTS)`);
    if (!this.sensorSize) {
      if (!t.sizeX || !t.sizeY || t.sizeX > 65536 || t.sizeY > 65536) fl(0, `stream ${t.id} gives no valid sizeX/sizeY; pass sensorSize`);
      this.sensorSize = [t.sizeX!, t.sizeY!, 2];
    }
  }

  private readPacket(raw: Uint8Array, base: number): void {
    const fl: Fail = (o, m) => fail(this.file, base + o, `packet: ${m}`);
    let data = raw;
    if (this.compression === 'LZ4' || this.compression === 'LZ4_HIGH') data = lz4DecompressFrames(raw, fl, MAX_PACKET);
    else if (this.compression === 'ZSTD' || this.compression === 'ZSTD_HIGH') data = zstd(raw, fl);
    // the decompressed bytes: u32 size, then the EventPacket flatbuffer
    const where = data === raw ? base : -1;
    const dfl: Fail = (o, m) =>
      fail(this.file, where >= 0 ? where + o : base, where >= 0 ? `packet: ${m}` : `packet (at ${o} of its decompressed bytes): ${m}`);
    if (data.length < 4) dfl(0, `expected a size-prefixed flatbuffer, found ${data.length} bytes`);
    const size = view(data).getUint32(0, true);
    if (size > data.length - 4) dfl(0, `flatbuffer size ${size} is larger than the ${data.length - 4} bytes that follow`);
    const fb = data.subarray(4, 4 + size);
    const table = FlatTable.root(fb, (o, m) => dfl(o + 4, m), 'EVTS');
    const vec = table.vector(0, 16);
    if (!vec) return;
    const dv = view(fb);
    const out = new EventBuffer(vec.length);
    const sz = this.sensorSize!;
    for (let i = 0; i < vec.length; i++) {
      const o = vec.start + i * 16;
      const t = dv.getBigInt64(o, true);
      if (t < 0n || t > BigInt(Number.MAX_SAFE_INTEGER)) dfl(o + 4, `event ${i}: timestamp ${t} outside 0..2^53`);
      const x = dv.getInt16(o + 8, true);
      const y = dv.getInt16(o + 10, true);
      const p = fb[o + 12];
      if (p > 1 || x < 0 || y < 0 || x >= sz[0] || y >= sz[1])
        dfl(o + 4, `event ${i} (x ${x}, y ${y}, on ${p}) is outside the sensor: expected x < ${sz[0]}, y < ${sz[1]}, on 0 or 1`);
      out.add(x, y, p, Number(t));
    }
    this.emit(out.finish(sz));
  }
}

function fail(file: string | undefined, offset: number, message: string): never {
  throw dataError(file, offset, message);
}

/** Zstandard frames through fzstd, after checking the declared content size against the packet limit. */
function zstd(src: Uint8Array, fl: Fail): Uint8Array {
  if (src.length < 6 || view(src).getUint32(0, true) !== 0xfd2fb528) fl(0, 'expected a Zstandard frame (magic 0xFD2FB528)');
  const fhd = src[4];
  const single = (fhd >>> 5) & 1;
  const fcsCode = fhd >>> 6;
  const fcsBytes = [single, 2, 4, 8][fcsCode];
  const at = 5 + (single ? 0 : 1) + [0, 1, 2, 4][fhd & 3];
  if (fcsBytes > 0 && at + fcsBytes <= src.length) {
    let fcs = 0;
    for (let k = fcsBytes - 1; k >= 0; k--) fcs = fcs * 256 + src[at + k];
    if (fcsBytes === 2) fcs += 256;
    if (fcs > MAX_PACKET) fl(at, `Zstandard frame declares ${fcs} bytes, more than ${MAX_PACKET}`);
  }
  try {
    return zstdDecompress(src);
  } catch (e) {
    return fl(0, `Zstandard: ${(e as Error).message}`);
  }
}

/** Reads a whole AEDAT 4 file from its bytes (the polarity events of one stream). */
export function readAedat4(bytes: Uint8Array, opts: Aedat4Options = {}): Events {
  return decodeAll(new Aedat4Decoder(opts), bytes);
}
