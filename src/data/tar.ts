import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { DataError } from '../core/errors.js';

const BLOCK = 512;

/** A header field: the bytes up to the first NUL, as latin-1 text. */
function field(b: Uint8Array, at: number, len: number): string {
  let end = at;
  while (end < at + len && b[end] !== 0) end++;
  let s = '';
  for (let i = at; i < end; i++) s += String.fromCharCode(b[i]);
  return s;
}

/** An octal number field (or GNU's base-256 form, high bit set). NaN when neither. */
function number(b: Uint8Array, at: number, len: number): number {
  if (b[at] & 0x80) {
    let v = b[at] & 0x7f;
    for (let i = at + 1; i < at + len; i++) v = v * 256 + b[i];
    return v;
  }
  const s = field(b, at, len).trim();
  return s === '' ? 0 : /^[0-7]+$/.test(s) ? Number.parseInt(s, 8) : Number.NaN;
}

/** The `path` record of a pax extended header, if it has one. */
function paxPath(data: Uint8Array): string | undefined {
  const text = new TextDecoder().decode(data);
  let pos = 0;
  while (pos < text.length) {
    const sp = text.indexOf(' ', pos);
    const len = Number.parseInt(text.slice(pos, sp), 10);
    if (!(sp > pos) || !(len > 0)) return undefined;
    const rec = text.slice(sp + 1, pos + len - 1);
    if (rec.startsWith('path=')) return rec.slice(5);
    pos += len;
  }
  return undefined;
}

/**
 * Extracts the regular files of a gzip-compressed tar archive (ustar, GNU long names, pax paths) that
 * `keep` accepts under `dest`, streaming (the archive is never held whole; each kept file is). Names that
 * would land outside `dest` (absolute, or with ..), a bad header checksum, a truncated archive or corrupt
 * gzip data are DataErrors naming the archive and the byte offset in the tar stream. Returns the number of
 * files written.
 */
export async function extractTarGz(
  archive: string,
  dest: string,
  o: { keep?: (name: string) => boolean; onFile?: (name: string, done: number) => void } = {},
): Promise<number> {
  const made = new Set<string>();
  // unconsumed bytes: buf[start, end), in a buffer that grows by doubling (entries can span many chunks)
  let buf = new Uint8Array(1 << 16);
  let start = 0;
  let end = 0;
  let offset = 0; // tar-stream offset of buf[start]
  let pending = buf.subarray(0, 0);
  let ended = false;
  let written = 0;
  // the entry being read
  let header: { name: string; type: string; size: number; at: number } | null = null;
  let longName: string | undefined;
  let skip = 0; // bytes of a skipped entry still to pass over
  const fail = (at: number, msg: string): never => {
    throw new DataError(`at tar byte ${at}: ${msg}`, archive);
  };

  const write = async (name: string, data: Uint8Array, at: number) => {
    const parts = name.split(/[\\/]/);
    if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || parts.some((s) => s === '..'))
      fail(at, `entry "${name}" would be written outside the destination folder`);
    const target = join(dest, ...parts.filter((s) => s !== '' && s !== '.'));
    const dir = dirname(target);
    if (!made.has(dir)) {
      await mkdir(dir, { recursive: true });
      made.add(dir);
    }
    await writeFile(target, data);
    written++;
    o.onFile?.(name, written);
  };

  /** Consumes what it can of pending. */
  const step = async (): Promise<void> => {
    pending = buf.subarray(start, end);
    let pos = 0;
    if (skip > 0) {
      const n = Math.min(skip, pending.length);
      skip -= n;
      pos += n;
    }
    for (;;) {
      if (ended || skip > 0) break;
      if (!header) {
        if (pending.length - pos < BLOCK) break;
        const b = pending.subarray(pos, pos + BLOCK);
        const at = offset + pos;
        if (b.every((v) => v === 0)) {
          ended = true; // the end-of-archive blocks
          break;
        }
        let sum = 0;
        for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : b[i];
        const stored = number(b, 148, 8);
        if (stored !== sum) fail(at, `bad header checksum (stored ${stored}, computed ${sum}): not a tar archive, or damaged`);
        const size = number(b, 124, 12);
        if (!Number.isSafeInteger(size) || size < 0) fail(at, `bad entry size field "${field(b, 124, 12)}"`);
        const magic = field(b, 257, 6);
        const prefix = magic.startsWith('ustar') ? field(b, 345, 155) : '';
        const name = prefix ? `${prefix}/${field(b, 0, 100)}` : field(b, 0, 100);
        header = { name, type: String.fromCharCode(b[156] || 0x30), size, at };
        pos += BLOCK;
      }
      const h = header;
      const padded = Math.ceil(h.size / BLOCK) * BLOCK;
      if (h.type === '0' || h.type === '7' || h.type === 'L' || h.type === 'x') {
        if (pending.length - pos < padded) break; // the whole entry first (kept files are small)
        const data = pending.slice(pos, pos + h.size);
        if (h.type === 'L') longName = field(data, 0, data.length);
        else if (h.type === 'x') longName = paxPath(data) ?? longName;
        else {
          const name = longName ?? h.name;
          longName = undefined;
          if (o.keep?.(name) ?? true) await write(name, data, h.at);
        }
      } else {
        // directories, links and the rest: skipped, their data (if any) too
        if (h.type !== '5') longName = undefined;
        skip = padded;
      }
      pos += h.type === '0' || h.type === '7' || h.type === 'L' || h.type === 'x' ? padded : 0;
      header = null;
      if (skip > 0) {
        const n = Math.min(skip, pending.length - pos);
        skip -= n;
        pos += n;
        if (skip > 0) break;
      }
    }
    start += pos;
    offset += pos;
  };

  const gunzip = createGunzip();
  const input = createReadStream(archive);
  input.on('error', (e) => gunzip.destroy(e));
  try {
    for await (const chunk of input.pipe(gunzip)) {
      if (ended) continue;
      const c = chunk as Buffer;
      if (end + c.length > buf.length) {
        const live = end - start;
        const bigger = live + c.length > buf.length / 2 ? new Uint8Array(Math.max(buf.length * 2, live + c.length)) : buf;
        if (bigger === buf) buf.copyWithin(0, start, end);
        else bigger.set(buf.subarray(start, end));
        buf = bigger;
        start = 0;
        end = live;
      }
      buf.set(c, end);
      end += c.length;
      await step();
    }
  } catch (e) {
    if (e instanceof DataError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new DataError(
      err.code?.startsWith('Z_') ? `corrupt gzip data (${err.message})` : `cannot be read (${err.code ?? err.message})`,
      archive,
    );
  } finally {
    input.destroy();
  }
  if (!ended && (header || skip > 0 || end > start)) fail(offset, 'the archive ends inside an entry');
  return written;
}
