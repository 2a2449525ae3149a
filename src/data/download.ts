import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { DataError, DownloadError } from '../core/errors.js';
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

/** A dataset's download cache: `cacheDir`, else $SPIKEFLOW_CACHE, else ~/.cache/spikeflow; then the dataset's folder. */
export function datasetCache(o: { cacheDir?: string }, dataset: string): string {
  return join(o.cacheDir ?? process.env.SPIKEFLOW_CACHE ?? join(homedir(), '.cache', 'spikeflow'), dataset);
}

/** One archive of a dataset: where it is, its MD5, its file name in the cache and the folder it holds. */
export interface DatasetArchive {
  url: string;
  md5: string;
  file: string;
  folder: string;
}

export interface FetchArchivesOptions {
  /** Replacement sources (url and MD5) per archive (tests use a local server). */
  sources?: Readonly<Record<string, { url: string; md5: string }>>;
  timeoutMs?: number;
  onProgress?: DownloadOptions['onProgress'];
  onSource?: (message: string) => void;
  /** Extracts the archive into a folder, keeping only the entries the dataset reads; returns how many. */
  extract: (archive: string, into: string) => Promise<number>;
  /** What the archive's folder should hold, for the error when it does not (e.g. "<digit>/<id>.bin"). */
  entries: string;
}

/**
 * Downloads (MD5-checked) and extracts each named archive whose folder the cache lacks: extracted into a
 * temporary folder beside it and renamed into place only when the archive held its folder, so an interrupted
 * or damaged extraction never leaves a partial dataset; the archive is removed afterwards.
 */
export async function fetchArchives(
  cache: string,
  archives: Readonly<Record<string, DatasetArchive>>,
  names: readonly string[],
  o: FetchArchivesOptions,
): Promise<void> {
  await mkdir(cache, { recursive: true });
  for (const name of names) {
    const a = archives[name];
    const final = join(cache, a.folder);
    if (existsSync(final)) continue;
    const src = o.sources?.[name] ?? a;
    const archive = join(cache, a.file);
    await downloadVerified(src.url, archive, { algorithm: 'md5', expected: src.md5, timeoutMs: o.timeoutMs, onProgress: o.onProgress });
    o.onSource?.(`extracting ${a.file} into ${final}`);
    const tmp = join(cache, `.${a.folder}.${process.pid}.extract`);
    await rm(tmp, { recursive: true, force: true });
    try {
      const n = await o.extract(archive, tmp);
      const inner = join(tmp, a.folder);
      if (n === 0 || !existsSync(inner) || !statSync(inner).isDirectory())
        throw new DataError(
          `expected ${a.folder}/${o.entries} entries, found ${n} ${o.entries.slice(o.entries.lastIndexOf('.'))} files elsewhere`,
          archive,
        );
      await rename(inner, final);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    await rm(archive, { force: true });
  }
}

export interface CachedDatasetOptions {
  /** Download cache; default $SPIKEFLOW_CACHE or ~/.cache/spikeflow. */
  cacheDir?: string;
  /** Try the network when the cache lacks the data (default true; SPIKEFLOW_OFFLINE=1 disables). */
  download?: boolean;
  /** Where each archive comes from, and its MD5 (tests use a local server). */
  archives?: Readonly<Record<string, { url: string; md5: string }>>;
  timeoutMs?: number;
  onProgress?: DownloadOptions['onProgress'];
  onSource?: (message: string) => void;
}

/**
 * A dataset's folder in the cache, downloaded (fetchArchives) when it lacks a named archive's folder and
 * downloads are allowed; otherwise a DataError that says what was tried and, in `hint`, what --data-dir takes.
 */
/** A dataset that is not here: no --data-dir, nothing in the cache, and no download (disabled or failed). */
export class DatasetMissingError extends DataError {}

export async function cachedDataset(
  dataset: string,
  archives: Readonly<Record<string, DatasetArchive>>,
  names: readonly string[],
  o: CachedDatasetOptions,
  how: Pick<FetchArchivesOptions, 'extract' | 'entries'> & { hint: string },
): Promise<{ dir: string; source: 'cache' | 'download' }> {
  const dir = datasetCache(o, dataset);
  if (names.every((s) => existsSync(join(dir, archives[s].folder)))) return { dir, source: 'cache' };
  if (!((o.download ?? true) && process.env.SPIKEFLOW_OFFLINE !== '1'))
    throw new DatasetMissingError(
      `${dataset} not found: no --data-dir given, nothing in the cache ${dir}, downloads disabled. ${how.hint}`,
    );
  o.onSource?.(`downloading ${dataset} into ${dir}`);
  try {
    await fetchArchives(dir, archives, names, { ...o, sources: o.archives, extract: how.extract, entries: how.entries });
  } catch (e) {
    if (isChecksumMismatch(e) || !(e instanceof DownloadError)) throw e;
    throw new DatasetMissingError(`${dataset} not found: nothing in the cache ${dir}, and the download failed (${e.message})`);
  }
  return { dir, source: 'download' };
}
