import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Dataset as H5Dataset, File as H5File } from 'h5wasm';
import { DataError, DownloadError, ValueError } from '../core/errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { type loadH5, withH5File } from '../nir/h5.js';
import { datasetCache, downloadVerified, isChecksumMismatch, parseChecksumList } from './download.js';
import { type FrameSet, FrameSetBuilder } from './frames.js';

/** SHD's input channels (cochlea model output units). */
export const SHD_CHANNELS = 700;
/** SHD's classes: digits 0-9 in English and German. */
export const SHD_CLASSES = 20;
/** The default span framed per sample, 1.4 s (SpyTorch's SHD tutorial: max_time = 1.4). */
export const SHD_SPAN_US = 1_400_000;

/** The official source (Cramer et al. 2020): gzip files and an md5sums.txt beside them. */
export const SHD_BASE_URL = 'https://zenkelab.org/datasets/';
const FILES = { train: 'shd_train.h5', test: 'shd_test.h5' } as const;
type Split = keyof typeof FILES;

/** An SHD file's content: per sample its spikes (times in seconds, units) back to back, with offsets. */
export interface ShdData {
  /** Sample i's spikes are [offsets[i], offsets[i + 1]). */
  offsets: Float64Array;
  /** Spike times in seconds (float16 or float32 in the file, widened). */
  times: Float32Array;
  /** Spike channels, 0..699. */
  units: Uint16Array;
  labels: Uint16Array;
  /** extra/speaker when the file has it. */
  speaker?: Uint16Array;
  /** extra/keys (the class names) when the file has it. */
  keys?: string[];
}

/** IEEE 754 half-precision bits to a number (h5wasm reads no float16, so SHD's times are decoded here). */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const TYPE_INTEGER = 0;
const TYPE_FLOAT = 1;
const TYPE_VLEN = 9;

type Module = Awaited<ReturnType<typeof loadH5>>['mod'];

/** A dataset of variable-length arrays as one buffer of raw element bytes and per-row offsets (in elements). */
function readVlen(
  mod: Module,
  f: H5File,
  ds: H5Dataset,
  path: string,
  file: string,
): { bytes: Uint8Array; offsets: Float64Array; base: H5Dataset['metadata'] } {
  const m = ds.metadata;
  const base = m.vlen_type;
  if (m.type !== TYPE_VLEN || !base || !m.shape || m.shape.length !== 1)
    throw new DataError(`${path}: expected a 1-d dataset of variable-length arrays (SHD's layout)`, file);
  if (m.size !== 8) throw new DataError(`${path}: unexpected variable-length descriptor size ${m.size}`, file);
  const n = m.shape[0];
  const ptr = mod._malloc(Math.max(8, n * 8));
  if (ptr === 0) throw new DataError(`${path}: out of memory for ${n} rows`, file);
  const offsets = new Float64Array(n + 1);
  const parts: Uint8Array[] = [];
  try {
    mod.get_dataset_data(f.file_id, path, null, null, null, BigInt(ptr));
    const pairs = new Uint32Array(mod.HEAPU8.buffer, ptr, 2 * n).slice();
    let total = 0;
    for (let i = 0; i < n; i++) {
      const len = pairs[2 * i];
      const p = pairs[2 * i + 1];
      parts.push(mod.HEAPU8.slice(p, p + len * base.size));
      total += len;
      offsets[i + 1] = total;
    }
  } finally {
    mod.reclaim_vlen_memory(f.file_id, path, '', BigInt(ptr));
    mod._free(ptr);
  }
  const bytes = new Uint8Array(offsets[n] * base.size);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { bytes, offsets, base };
}

function numbers(ds: H5Dataset, path: string, file: string): number[] {
  const m = ds.metadata;
  if (m.type !== TYPE_INTEGER || !m.shape || m.shape.length !== 1)
    throw new DataError(`${path}: expected a 1-d integer dataset, found ${m.shape ? `shape [${m.shape.join(', ')}]` : 'no data'}`, file);
  return Array.from(ds.value as ArrayLike<number | bigint>, Number);
}

/**
 * Reads an SHD (or SSC) HDF5 file from its bytes: spikes/times (variable-length float16 or float32
 * seconds per sample), spikes/units (variable-length uint16), labels, and extra/speaker and extra/keys
 * when present. Anything else is a DataError naming the file and the dataset.
 */
export async function readShd(bytes: Uint8Array, file = 'SHD file'): Promise<ShdData> {
  return withH5File(bytes, 'HDF5 could not read the file (damaged or not HDF5)', file, (f, h5, mod) => {
    const need = (path: string): H5Dataset => {
      const d = f!.get(path);
      if (!(d instanceof h5.Dataset)) throw new DataError(`${path}: missing (expected SHD's spikes/times, spikes/units, labels)`, file);
      return d;
    };
    const t = readVlen(mod, f, need('spikes/times'), 'spikes/times', file);
    const u = readVlen(mod, f, need('spikes/units'), 'spikes/units', file);
    const n = t.offsets.length - 1;
    if (u.offsets.length - 1 !== n) throw new DataError(`spikes/units has ${u.offsets.length - 1} rows, spikes/times ${n}`, file);
    for (let i = 0; i <= n; i++)
      if (t.offsets[i] !== u.offsets[i])
        throw new DataError(`sample ${i - 1}: ${t.offsets[i] - t.offsets[i - 1]} times but ${u.offsets[i] - u.offsets[i - 1]} units`, file);
    const total = t.offsets[n];
    const times = new Float32Array(total);
    const tb = t.base;
    const tv = new DataView(t.bytes.buffer);
    if (tb.type !== TYPE_FLOAT || !tb.littleEndian || (tb.size !== 2 && tb.size !== 4 && tb.size !== 8))
      throw new DataError(
        `spikes/times: expected little-endian float16, float32 or float64 elements, found a ${tb.size * 8}-bit type ${tb.type}`,
        file,
      );
    for (let i = 0; i < total; i++)
      times[i] =
        tb.size === 2 ? halfToFloat(tv.getUint16(2 * i, true)) : tb.size === 4 ? tv.getFloat32(4 * i, true) : tv.getFloat64(8 * i, true);
    const ub = u.base;
    if (ub.type !== TYPE_INTEGER || !ub.littleEndian || ub.size > 4)
      throw new DataError(`spikes/units: expected little-endian integer elements, found a ${ub.size * 8}-bit type ${ub.type}`, file);
    const uv = new DataView(u.bytes.buffer);
    const units = new Uint16Array(total);
    for (let i = 0; i < total; i++) {
      const x = ub.size === 1 ? u.bytes[i] : ub.size === 2 ? uv.getUint16(2 * i, true) : uv.getUint32(4 * i, true);
      if (x >= SHD_CHANNELS) throw new DataError(`spikes/units: spike ${i} is on unit ${x}, expected 0..${SHD_CHANNELS - 1}`, file);
      units[i] = x;
    }
    const bad = times.findIndex((x) => !(x >= 0) || !Number.isFinite(x));
    if (bad >= 0) throw new DataError(`spikes/times: spike ${bad} has time ${times[bad]}, expected a finite time >= 0`, file);
    const labels = numbers(need('labels'), 'labels', file);
    if (labels.length !== n) throw new DataError(`labels: ${labels.length} labels for ${n} samples`, file);
    const badLabel = labels.findIndex((y) => !(y >= 0 && y < SHD_CLASSES));
    if (badLabel >= 0) throw new DataError(`labels: label ${badLabel} is ${labels[badLabel]}, expected 0..${SHD_CLASSES - 1}`, file);
    const out: ShdData = { offsets: t.offsets, times, units, labels: Uint16Array.from(labels) };
    const sp = f.get('extra/speaker');
    if (sp instanceof h5.Dataset) out.speaker = Uint16Array.from(numbers(sp, 'extra/speaker', file));
    const keys = f.get('extra/keys');
    if (keys instanceof h5.Dataset) {
      const v = keys.value as unknown;
      if (Array.isArray(v) && v.every((s) => typeof s === 'string')) out.keys = v as string[];
    }
    return out;
  });
}

export interface ShdFrameOptions {
  steps: number;
  /** Bin length in microseconds: bins [k W, (k + 1) W) from t = 0 (default: 1.4 s / steps); later spikes are dropped. */
  frameWindow?: number;
}

/** Spike counts per time bin and channel, [T, 700] per sample. */
export function shdFrames(d: ShdData, o: ShdFrameOptions, limit?: number): FrameSet {
  if (!Number.isInteger(o.steps) || o.steps < 1) throw new ValueError(`steps: expected a positive integer, found ${o.steps}`);
  const w = o.frameWindow ?? SHD_SPAN_US / o.steps;
  if (!(w > 0)) throw new ValueError(`frameWindow: expected a positive number of microseconds, found ${o.frameWindow}`);
  const n = Math.min(d.labels.length, limit ?? d.labels.length);
  const b = new FrameSetBuilder(o.steps, SHD_CHANNELS);
  const frame = new Float32Array(o.steps * SHD_CHANNELS);
  for (let i = 0; i < n; i++) {
    frame.fill(0);
    for (let k = d.offsets[i]; k < d.offsets[i + 1]; k++) {
      // times in seconds to microseconds, rounded (float16 times are not exact microseconds)
      const bin = Math.floor(Math.round(d.times[k] * 1e6) / w);
      if (bin < o.steps) frame[bin * SHD_CHANNELS + d.units[k]]++;
    }
    b.add(frame, d.labels[i]);
  }
  return b.finish();
}

export interface LoadShdOptions extends ShdFrameOptions {
  /** A folder with shd_train.h5 and shd_test.h5 (or their .gz). When given, nothing else is tried. */
  dataDir?: string;
  cacheDir?: string;
  download?: boolean;
  /** Where shd_*.h5.gz and md5sums.txt are downloaded from (default SHD_BASE_URL; tests: a local server). */
  baseUrl?: string;
  timeoutMs?: number;
  trainLimit?: number;
  testLimit?: number;
  testOnly?: boolean;
  onProgress?: (e: { file: string; loaded: number; total: number | null }) => void;
  onSource?: (message: string) => void;
}

async function readSplitFile(dir: string, split: Split): Promise<ShdData> {
  const h5 = join(dir, FILES[split]);
  const gz = `${h5}.gz`;
  const path = existsSync(h5) ? h5 : existsSync(gz) ? gz : null;
  if (!path) throw new DataError(`missing ${FILES[split]} (or ${FILES[split]}.gz)`, dir);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new DataError(`cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, path);
  }
  if (path === gz) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new DataError(`corrupt gzip data (${(e as Error).message})`, path);
    }
  }
  return readShd(bytes, path);
}

/**
 * Downloads shd_<split>.h5.gz into the cache, checked against the MD5 listed in the source's
 * md5sums.txt (the list the dataset's authors publish beside the files), and unpacks it (atomically).
 */
async function downloadInto(cache: string, o: LoadShdOptions, splits: Split[]): Promise<void> {
  await mkdir(cache, { recursive: true });
  const base = o.baseUrl ?? SHD_BASE_URL;
  let sums: Map<string, string> | undefined;
  for (const split of splits) {
    const target = join(cache, FILES[split]);
    if (existsSync(target)) continue;
    if (!sums) {
      const url = `${base}md5sums.txt`;
      let text: string;
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(o.timeoutMs ?? 20_000) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        text = await res.text();
      } catch (e) {
        throw new DownloadError(`${url}: ${(e as Error).message}`);
      }
      sums = parseChecksumList(text);
    }
    const gzName = `${FILES[split]}.gz`;
    const md5 = sums.get(gzName);
    if (!md5) throw new DownloadError(`${base}md5sums.txt lists no checksum for ${gzName}`);
    const gz = join(cache, gzName);
    await downloadVerified(`${base}${gzName}`, gz, { algorithm: 'md5', expected: md5, timeoutMs: o.timeoutMs, onProgress: o.onProgress });
    let raw: Uint8Array;
    try {
      raw = gunzipSync(await readFile(gz));
    } catch (e) {
      await rm(gz, { force: true });
      throw new DataError(`corrupt gzip data (${(e as Error).message})`, gz);
    }
    await writeFileAtomic(target, raw);
    await rm(gz, { force: true });
  }
}

/** Loads SHD as [T, 700] spike-count frames: from `dataDir`, else the cache, else the official download. */
export async function loadShd(o: LoadShdOptions): Promise<{ train: FrameSet; test: FrameSet; source: string; location: string }> {
  const splits: Split[] = o.testOnly ? ['test'] : ['train', 'test'];
  let dir: string;
  let source: string;
  if (o.dataDir !== undefined) {
    dir = o.dataDir;
    source = 'data-dir';
  } else {
    dir = datasetCache(o, 'shd');
    // the same cache -> download -> error steps as loadNmnist (data/nmnist.ts), kept apart: the cache holds
    // two files here and two extracted folders there, and the not-found messages name each dataset's layouts
    if (splits.every((s) => existsSync(join(dir, FILES[s])))) source = 'cache';
    else {
      if (!((o.download ?? true) && process.env.SPIKEFLOW_OFFLINE !== '1'))
        throw new DataError(`shd not found: no --data-dir given, nothing in the cache ${dir}, downloads disabled`);
      o.onSource?.(`downloading shd into ${dir}`);
      try {
        await downloadInto(dir, o, splits);
      } catch (e) {
        if (isChecksumMismatch(e) || !(e instanceof DownloadError)) throw e;
        throw new DataError(`shd not found: nothing in the cache ${dir}, and the download failed (${e.message})`);
      }
      source = 'download';
    }
  }
  o.onSource?.(`using shd from ${dir}`);
  const test = shdFrames(await readSplitFile(dir, 'test'), o, o.testLimit);
  const train = o.testOnly
    ? new FrameSetBuilder(o.steps, SHD_CHANNELS).finish()
    : shdFrames(await readSplitFile(dir, 'train'), o, o.trainLimit);
  return { train, test, source, location: dir };
}
