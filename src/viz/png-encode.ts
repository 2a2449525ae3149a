// A PNG encoder for palette images in plain TypeScript (no zlib, no DOM, no Buffer): the plots embed
// large pixel grids as one raster in Node and in browsers alike. The deflate stream uses the fixed
// Huffman code with runs of a repeated byte as matches at distance 1, which is what palette images of
// plots have to spare (white gaps, saturated regions); other bytes cost 8 or 9 bits each.
import { ValueError } from '../core/errors.js';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array, from: number, to: number): number {
  let c = 0xffffffff;
  for (let i = from; i < to; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < bytes.length; ) {
    const end = Math.min(bytes.length, i + 5552); // the most bytes before the sums must be reduced
    for (; i < end; i++) b += a += bytes[i];
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** Writes bits least significant first, as deflate packs them. */
class BitWriter {
  private buf = new Uint8Array(1 << 16);
  private n = 0;
  private acc = 0;
  private bits = 0;

  write(value: number, count: number): void {
    this.acc |= value << this.bits;
    this.bits += count;
    while (this.bits >= 8) {
      if (this.n === this.buf.length) {
        const b = new Uint8Array(this.buf.length * 2);
        b.set(this.buf);
        this.buf = b;
      }
      this.buf[this.n++] = this.acc & 0xff;
      this.acc >>>= 8;
      this.bits -= 8;
    }
  }

  /** A Huffman code: its bits go most significant first. */
  code(code: number, length: number): void {
    let r = 0;
    for (let i = 0; i < length; i++) r |= ((code >>> i) & 1) << (length - 1 - i);
    this.write(r, length);
  }

  finish(): Uint8Array {
    if (this.bits > 0) this.write(0, 8 - this.bits);
    return this.buf.subarray(0, this.n);
  }
}

// Match lengths 3..258 as deflate's length symbols 257..285: base length and extra bits.
const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];

/** A symbol of the fixed literal/length code (RFC 1951, 3.2.6). */
function fixedSymbol(w: BitWriter, sym: number): void {
  if (sym < 144) w.code(0x30 + sym, 8);
  else if (sym < 256) w.code(0x190 + sym - 144, 9);
  else if (sym < 280) w.code(sym - 256, 7);
  else w.code(0xc0 + sym - 280, 8);
}

/** A zlib stream (RFC 1950) of one fixed-Huffman deflate block. */
export function zlibFixed(data: Uint8Array): Uint8Array {
  const w = new BitWriter();
  w.write(0x78, 8);
  w.write(0x01, 8);
  w.write(1, 1); // last block
  w.write(1, 2); // fixed Huffman codes
  for (let i = 0; i < data.length; ) {
    let run = 0;
    if (i > 0) while (run < 258 && i + run < data.length && data[i + run] === data[i - 1]) run++;
    if (run >= 3) {
      let s = LEN_BASE.length - 1;
      while (LEN_BASE[s] > run) s--;
      fixedSymbol(w, 257 + s);
      if (LEN_EXTRA[s]) w.write(run - LEN_BASE[s], LEN_EXTRA[s]);
      w.code(0, 5); // distance code 0: distance 1
      i += run;
    } else fixedSymbol(w, data[i++]);
  }
  fixedSymbol(w, 256);
  const body = w.finish();
  const out = new Uint8Array(body.length + 4);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, adler32(data));
  return out;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + 12);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

/**
 * PNG bytes of a `width` x `height` image of palette indices (row-major, one byte each) with `palette`
 * holding the colours as r, g, b bytes (at most 256 colours; every index must name one).
 */
export function encodeIndexedPng(width: number, height: number, indices: Uint8Array, palette: Uint8Array): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new ValueError(`PNG: size must be positive integers, found ${width} x ${height}`);
  if (indices.length !== width * height) throw new ValueError(`PNG: ${indices.length} indices for ${width} x ${height} pixels`);
  const colours = palette.length / 3;
  if (!Number.isInteger(colours) || colours < 1 || colours > 256)
    throw new ValueError(`PNG: the palette must hold 1 to 256 r, g, b triples, found ${palette.length} bytes`);
  const raw = new Uint8Array(height * (width + 1)); // each row: filter type 0, then its indices
  for (let y = 0; y < height; y++) {
    const row = indices.subarray(y * width, (y + 1) * width);
    for (let x = 0; x < width; x++)
      if (row[x] >= colours) throw new ValueError(`PNG: pixel (${x}, ${y}) has index ${row[x]}, the palette ${colours} colours`);
    raw.set(row, y * (width + 1) + 1);
  }
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 3, 0, 0, 0], 8); // 8 bits per index, palette colour, deflate, adaptive filters, no interlace
  const parts = [
    Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10),
    chunk('IHDR', ihdr),
    chunk('PLTE', palette),
    chunk('IDAT', zlibFixed(raw)),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, o), (o += p.length);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 with padding (no Buffer or btoa needed). */
export function base64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let line = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    line +=
      B64[n >>> 18] +
      B64[(n >>> 12) & 63] +
      (i + 1 < bytes.length ? B64[(n >>> 6) & 63] : '=') +
      (i + 2 < bytes.length ? B64[n & 63] : '=');
    if (line.length >= 4096) parts.push(line), (line = '');
  }
  parts.push(line);
  return parts.join('');
}
