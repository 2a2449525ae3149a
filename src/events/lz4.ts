/**
 * LZ4 frame decoding (the frame format of lz4 1.x: magic 0x184D2204, frame descriptor, blocks, end mark),
 * written for AEDAT 4 packets. Checksums (header, block, content) are skipped, not verified. Any
 * inconsistency calls `fail(offset in src, message)`, which must throw.
 */

export type Fail = (offset: number, message: string) => never;

const MAGIC = 0x184d2204;
const BLOCK_MAX = [0, 0, 0, 0, 1 << 16, 1 << 18, 1 << 20, 1 << 22];

class Out {
  buf: Uint8Array;
  n = 0;
  constructor(
    size: number,
    private readonly limit: number,
    private readonly fail: Fail,
  ) {
    this.buf = new Uint8Array(Math.max(size, 256));
  }
  reserve(extra: number, at: number): void {
    const need = this.n + extra;
    if (need > this.limit) this.fail(at, `decompressed data would exceed ${this.limit} bytes`);
    if (need <= this.buf.length) return;
    const next = new Uint8Array(Math.min(this.limit, Math.max(need, this.buf.length * 2)));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }
}

/** Decompresses one LZ4 block (src[start, end)) onto out; matches may reach back into earlier output. */
function block(src: Uint8Array, start: number, end: number, out: Out, fail: Fail): void {
  let i = start;
  while (i < end) {
    const token = src[i++];
    let lit = token >>> 4;
    if (lit === 15) {
      let b = 255;
      while (b === 255) {
        if (i >= end) fail(i, 'LZ4 block ends inside a literal length');
        b = src[i++];
        lit += b;
      }
    }
    if (i + lit > end) fail(i, `LZ4 literal run of ${lit} bytes passes the block end (${end - i} bytes left)`);
    out.reserve(lit, i);
    out.buf.set(src.subarray(i, i + lit), out.n);
    out.n += lit;
    i += lit;
    if (i === end) return; // the last sequence has literals only
    if (i + 2 > end) fail(i, 'LZ4 block ends inside a match offset');
    const offset = src[i] | (src[i + 1] << 8);
    i += 2;
    if (offset === 0 || offset > out.n) fail(i - 2, `LZ4 match offset ${offset} is outside the ${out.n} bytes decoded so far`);
    let len = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b = 255;
      while (b === 255) {
        if (i >= end) fail(i, 'LZ4 block ends inside a match length');
        b = src[i++];
        len += b;
      }
    }
    out.reserve(len, i);
    const buf = out.buf;
    let d = out.n;
    let s = d - offset;
    if (offset >= len) buf.copyWithin(d, s, s + len);
    else for (let k = 0; k < len; k++) buf[d++] = buf[s++];
    out.n += len;
  }
}

/**
 * Decompresses a sequence of LZ4 frames (skippable frames are skipped). `limit` bounds the output size.
 */
export function lz4DecompressFrames(src: Uint8Array, fail: Fail, limit = 1 << 28): Uint8Array {
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const out = new Out(src.length * 4, limit, fail);
  let i = 0;
  if (src.length === 0) fail(0, 'expected an LZ4 frame, found no bytes');
  while (i < src.length) {
    if (src.length - i < 7) fail(i, `expected an LZ4 frame header (at least 7 bytes), found ${src.length - i} bytes`);
    const magic = dv.getUint32(i, true);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      if (src.length - i < 8) fail(i, 'skippable frame cut short');
      i += 8 + dv.getUint32(i + 4, true);
      if (i > src.length) fail(src.length, 'skippable frame passes the end of the data');
      continue;
    }
    if (magic !== MAGIC) fail(i, `expected the LZ4 frame magic 0x184D2204, found 0x${magic.toString(16).toUpperCase()}`);
    const flg = src[i + 4];
    const bd = src[i + 5];
    if (flg >>> 6 !== 1) fail(i + 4, `expected LZ4 frame version 01, found ${(flg >>> 6).toString(2).padStart(2, '0')}`);
    if (flg & 2 || bd & 0x8f) fail(i + 4, 'LZ4 frame descriptor has reserved bits set');
    const maxBlock = BLOCK_MAX[(bd >>> 4) & 7];
    if (!maxBlock) fail(i + 5, `LZ4 block maximum size code ${(bd >>> 4) & 7} is invalid (expected 4..7)`);
    const blockChecksum = (flg & 0x10) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    i += 6 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0) + 1;
    for (;;) {
      if (i + 4 > src.length) fail(i, 'LZ4 frame ends before its end mark');
      const word = dv.getUint32(i, true);
      i += 4;
      if (word === 0) break;
      const raw = (word & 0x80000000) !== 0;
      const size = word & 0x7fffffff;
      if (size > maxBlock) fail(i - 4, `LZ4 block of ${size} bytes is larger than the frame's maximum ${maxBlock}`);
      if (i + size > src.length) fail(i, `LZ4 block of ${size} bytes passes the end of the data (${src.length - i} bytes left)`);
      if (raw) {
        out.reserve(size, i);
        out.buf.set(src.subarray(i, i + size), out.n);
        out.n += size;
      } else {
        const before = out.n;
        block(src, i, i + size, out, fail);
        if (out.n - before > maxBlock)
          fail(i, `LZ4 block decompresses to ${out.n - before} bytes, more than the frame's maximum ${maxBlock}`);
      }
      i += size + (blockChecksum ? 4 : 0);
    }
    i += contentChecksum ? 4 : 0;
    if (i > src.length) fail(src.length, 'LZ4 content checksum cut short');
  }
  return out.buf.subarray(0, out.n);
}
