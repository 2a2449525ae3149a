import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DownloadError } from '../core/errors.js';
import { markPending, settlePending } from '../io/atomic.js';

export interface DownloadOptions {
  /** Hash algorithm of `expected` ('sha256', 'md5'). */
  algorithm: 'sha256' | 'md5';
  /** The expected digest, lowercase hex. */
  expected: string;
  /** No bytes for this long: give up (default 60 s). */
  timeoutMs?: number;
  onProgress?: (e: { file: string; loaded: number; total: number | null }) => void;
}

/**
 * Downloads `url` to `target`, streaming to a temporary file beside it while hashing; the file is
 * renamed into place only when its digest is `expected`. A mismatch, an HTTP error or a broken
 * connection is a DownloadError and leaves no file behind (neither the target nor the temporary).
 */
export async function downloadVerified(url: string, target: string, o: DownloadOptions): Promise<void> {
  const name = basename(target);
  const tmp = join(dirname(target), `.${name}.${process.pid}.${Date.now().toString(36)}.tmp`);
  const ctrl = new AbortController();
  const idle = o.timeoutMs ?? 60_000;
  let timer = setTimeout(() => ctrl.abort(), idle);
  let fd = -1;
  try {
    const res = await fetch(url, { signal: ctrl.signal });
    if (!res.ok || !res.body) throw new DownloadError(`${url}: HTTP ${res.status}`);
    const total = Number(res.headers.get('content-length')) || null;
    const hash = createHash(o.algorithm);
    markPending(tmp);
    fd = openSync(tmp, 'w');
    let loaded = 0;
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      clearTimeout(timer);
      timer = setTimeout(() => ctrl.abort(), idle);
      if (done) break;
      hash.update(value);
      for (let off = 0; off < value.length; ) off += writeSync(fd, value, off, value.length - off);
      loaded += value.length;
      o.onProgress?.({ file: name, loaded, total });
    }
    if (total !== null && loaded !== total) throw new DownloadError(`${url}: the connection closed after ${loaded} of ${total} bytes`);
    const got = hash.digest('hex');
    if (got !== o.expected)
      throw new DownloadError(`${url}: ${o.algorithm} mismatch for ${name}: expected ${o.expected}, found ${got}; the file was not kept`);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, target);
    settlePending(tmp);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* never created */
    }
    settlePending(tmp);
    if (e instanceof DownloadError) throw e;
    throw new DownloadError(`${url}: ${(e as Error).name === 'AbortError' ? `no data for ${idle / 1000} s` : (e as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads `<digest>  <name>` lines (md5sum's output) into a map name -> digest. */
export function parseChecksumList(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^([0-9a-fA-F]{32,128})\s+\*?(\S+)\s*$/.exec(line);
    if (m) out.set(m[2], m[1].toLowerCase());
  }
  return out;
}

/** True for the DownloadError a checksum mismatch raises (not worth trying another source). */
export function isChecksumMismatch(e: unknown): boolean {
  return e instanceof DownloadError && / mismatch for /.test(e.message);
}
