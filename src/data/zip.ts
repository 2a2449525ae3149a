import { mkdir, open, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import { DataError } from '../core/errors.js';

/** One file of a zip archive, from its central directory. */
export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  /** Offset of the entry's local header. */
  offset: number;
}

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** The largest entry this reader inflates (one sample file; a zip bomb is refused). */
const MAX_ENTRY = 1 << 30;

type Handle = Awaited<ReturnType<typeof open>>;

async function readAt(fh: Handle, offset: number, length: number, file: string): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
    if (bytesRead === 0) throw new DataError(`truncated zip: wanted ${length} bytes at offset ${offset}, the file ends first`, file);
    got += bytesRead;
  }
  return buf;
}

const u64 = (v: DataView, o: number) => v.getUint32(o, true) + v.getUint32(o + 4, true) * 2 ** 32;

/**
 * A zip archive read through a file handle (never held in memory whole): the central directory at
 * open, an entry's bytes on demand. Stored and deflated entries, Zip64 sizes and offsets; CRC-32
 * checked. Encrypted entries, multi-disk archives and other methods are DataErrors naming the file.
 */
export class ZipReader {
  private constructor(
    private readonly fh: Handle,
    readonly file: string,
    readonly entries: ZipEntry[],
  ) {}

  static async open(file: string): Promise<ZipReader> {
    let fh: Handle;
    try {
      fh = await open(file, 'r');
    } catch (e) {
      throw new DataError(`cannot open: ${(e as Error).message}`, file);
    }
    try {
      return new ZipReader(fh, file, await readDirectory(fh, file));
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** The entry's content, inflated and CRC-checked. */
  async read(e: ZipEntry): Promise<Uint8Array> {
    const f = this.file;
    const head = new DataView((await readAt(this.fh, e.offset, 30, f)).buffer);
    if (head.getUint32(0, true) !== LOCAL) throw new DataError(`${e.name}: no local header at offset ${e.offset}`, f);
    const start = e.offset + 30 + head.getUint16(26, true) + head.getUint16(28, true);
    const raw = await readAt(this.fh, start, e.compressedSize, f);
    let out: Uint8Array;
    if (e.method === 0) out = raw;
    else {
      try {
        out = inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
      } catch (err) {
        throw new DataError(`${e.name}: corrupt deflate data at offset ${start} (${(err as Error).message})`, f);
      }
    }
    if (out.length !== e.size) throw new DataError(`${e.name}: ${out.length} bytes, the directory says ${e.size}`, f);
    if (crc32(out) >>> 0 !== e.crc) throw new DataError(`${e.name}: CRC-32 mismatch (damaged archive)`, f);
    return out;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

async function readDirectory(fh: Handle, file: string): Promise<ZipEntry[]> {
  const size = (await fh.stat()).size;
  const tailLen = Math.min(size, 22 + 65535);
  if (size < 22) throw new DataError(`not a zip archive (${size} bytes)`, file);
  const tail = await readAt(fh, size - tailLen, tailLen, file);
  const tv = new DataView(tail.buffer);
  let at = -1;
  for (let i = tailLen - 22; i >= 0; i--)
    if (tv.getUint32(i, true) === EOCD) {
      at = i;
      break;
    }
  if (at < 0) throw new DataError('not a zip archive (no end-of-central-directory record)', file);
  if (tv.getUint16(at + 4, true) !== 0 || tv.getUint16(at + 6, true) !== 0)
    throw new DataError('multi-disk zip archives are not read', file);
  let count = tv.getUint16(at + 10, true);
  let cdSize = tv.getUint32(at + 12, true);
  let cdOffset = tv.getUint32(at + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = at - 20;
    if (loc < 0 || tv.getUint32(loc, true) !== EOCD64_LOCATOR) throw new DataError('Zip64 archive without its locator', file);
    const recOff = u64(tv, loc + 8);
    const rec = new DataView((await readAt(fh, recOff, 56, file)).buffer);
    if (rec.getUint32(0, true) !== EOCD64) throw new DataError(`no Zip64 end-of-central-directory record at offset ${recOff}`, file);
    count = u64(rec, 32);
    cdSize = u64(rec, 40);
    cdOffset = u64(rec, 48);
  }
  if (cdOffset + cdSize > size)
    throw new DataError(`central directory at ${cdOffset} (+${cdSize} bytes) is past the end (${size} bytes)`, file);
  const cd = await readAt(fh, cdOffset, cdSize, file);
  const v = new DataView(cd.buffer);
  const dec = new TextDecoder();
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || v.getUint32(p, true) !== CENTRAL)
      throw new DataError(`central directory entry ${i} at offset ${cdOffset + p} is damaged`, file);
    const flags = v.getUint16(p + 8, true);
    const method = v.getUint16(p + 10, true);
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    if (p + 46 + nameLen + extraLen > cd.length) throw new DataError(`central directory entry ${i} runs past the directory`, file);
    const name = dec.decode(cd.subarray(p + 46, p + 46 + nameLen));
    let compressedSize = v.getUint32(p + 20, true);
    let usize = v.getUint32(p + 24, true);
    let offset = v.getUint32(p + 42, true);
    // Zip64 extra field: the 8-byte values of the fields that hold 0xffffffff, in this order
    for (let x = p + 46 + nameLen; x + 4 <= p + 46 + nameLen + extraLen; ) {
      const id = v.getUint16(x, true);
      const len = v.getUint16(x + 2, true);
      if (id === 1) {
        let q = x + 4;
        if (usize === 0xffffffff && q + 8 <= x + 4 + len) (usize = u64(v, q)), (q += 8);
        if (compressedSize === 0xffffffff && q + 8 <= x + 4 + len) (compressedSize = u64(v, q)), (q += 8);
        if (offset === 0xffffffff && q + 8 <= x + 4 + len) offset = u64(v, q);
      }
      x += 4 + len;
    }
    if (flags & 1) throw new DataError(`${name}: encrypted entries are not read`, file);
    if (method !== 0 && method !== 8)
      throw new DataError(`${name}: compression method ${method}, expected stored (0) or deflate (8)`, file);
    if (usize > MAX_ENTRY) throw new DataError(`${name}: ${usize} bytes, more than this reader inflates (${MAX_ENTRY})`, file);
    if (offset + compressedSize > size) throw new DataError(`${name}: data at ${offset} (+${compressedSize} bytes) is past the end`, file);
    entries.push({ name, method, flags, crc: v.getUint32(p + 16, true), compressedSize, size: usize, offset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/**
 * Extracts the files of a zip archive (those `keep` accepts) under `dest`. Names that would land
 * outside `dest` (absolute, or with ..) are DataErrors. Returns the number of files written.
 */
export async function extractZip(
  zipPath: string,
  dest: string,
  o: { keep?: (name: string) => boolean; onProgress?: (done: number, total: number) => void } = {},
): Promise<number> {
  const zip = await ZipReader.open(zipPath);
  try {
    const files = zip.entries.filter((e) => !e.name.endsWith('/') && (o.keep?.(e.name) ?? true));
    const made = new Set<string>();
    let done = 0;
    for (const e of files) {
      const parts = e.name.split(/[\\/]/);
      if (e.name.startsWith('/') || /^[A-Za-z]:/.test(e.name) || parts.some((s) => s === '..'))
        throw new DataError(`entry "${e.name}" would be written outside the destination folder`, zipPath);
      const target = join(dest, ...parts.filter((s) => s !== '' && s !== '.'));
      const dir = dirname(target);
      if (!made.has(dir)) {
        await mkdir(dir, { recursive: true });
        made.add(dir);
      }
      await writeFile(target, await zip.read(e));
      o.onProgress?.(++done, files.length);
    }
    return files.length;
  } finally {
    await zip.close();
  }
}
