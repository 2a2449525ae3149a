import type { Dataset as H5Dataset, Group as H5GroupObj, h5wasm as H5wasmApi } from 'h5wasm';
import { DataError } from '../core/errors.js';

/**
 * The HDF5 side of NIR input/output, through h5wasm (the HDF5 C library compiled to WebAssembly),
 * loaded on first use with a dynamic import so the core entry point never pulls it in. Files live
 * only in h5wasm's in-memory file system, under a name of their own, for the duration of one call:
 * the same code runs in Node and in browsers.
 */

type H5 = typeof H5wasmApi;
type H5Module = Awaited<H5['ready']>;

let loading: Promise<{ h5: H5; mod: H5Module }> | undefined;

/** h5wasm, loaded once. */
export function loadH5(): Promise<{ h5: H5; mod: H5Module }> {
  loading ??= import('h5wasm').then(async (m) => {
    const h5 = m.default as H5;
    const mod = await h5.ready;
    return { h5, mod };
  });
  return loading;
}

let serial = 0;
function tempName(): string {
  serial += 1;
  return `/spikeflow-nir-${serial}.h5`;
}

type H5FileObj = InstanceType<H5['File']>;

/**
 * Runs `work` on an HDF5 file in h5wasm's in-memory file system: `bytes` is the file to read, or null for a
 * new file to write (`finish` closes it and returns its bytes). Whatever happens, the file is closed,
 * h5wasm's throwing error handler switched off and the file removed; a failure that is not already a
 * DataError becomes one, `failure` saying what could not be done. The NIR reader and writer and the SHD
 * reader (data/shd.ts) all open their files here.
 */
export async function withH5File<T>(
  bytes: Uint8Array | null,
  failure: string,
  file: string | undefined,
  work: (f: H5FileObj, h5: H5, mod: H5Module, finish: () => Uint8Array) => T,
): Promise<T> {
  const { h5, mod } = await loadH5();
  const name = tempName();
  if (bytes) mod.FS.writeFile(name, bytes);
  mod.activate_throwing_error_handler();
  let f: H5FileObj | undefined;
  try {
    f = new h5.File(name, bytes ? 'r' : 'w');
    if (bytes && (typeof f.file_id !== 'bigint' || f.file_id < 0n))
      throw new DataError('not an HDF5 file, or a damaged one (HDF5 could not open it)', file);
    const opened = f;
    return work(opened, h5, mod, () => {
      opened.close();
      f = undefined;
      return mod.FS.readFile(name);
    });
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`${failure}: ${messageOf(e)}`, file);
  } finally {
    try {
      f?.close();
    } catch {
      /* a file that failed to open or to be written has nothing to close */
    }
    mod.deactivate_throwing_error_handler();
    try {
      mod.FS.unlink(name);
    } catch {
      /* never created, or already gone */
    }
  }
}

/** One dataset, copied out of the file: numbers as arrays, strings as strings. */
export interface H5Data {
  kind: 'dataset';
  /** Path inside the file, e.g. "/node/nodes/lif1/tau". */
  path: string;
  /** 'float32' | 'float64' | 'int' | 'string' | 'bool', or a description of an unsupported type. */
  dtype: string;
  shape: number[];
  data: Float32Array | Float64Array | number[] | string[] | boolean[] | null;
}
export interface H5Tree {
  kind: 'group';
  path: string;
  children: Map<string, H5Tree | H5Data>;
}
export type H5Entry = H5Tree | H5Data;

/** Bounds on what one file may make us allocate (a hostile header can declare any size). */
const MAX_OBJECTS = 100_000;
const MAX_DEPTH = 64;
const MAX_BYTES = 512 * 1024 * 1024;

const TYPE_INTEGER = 0;
const TYPE_FLOAT = 1;
const TYPE_STRING = 3;
const TYPE_ENUM = 8;

/** Reads every group and dataset of an HDF5 file held in memory; `file` names it in errors. */
export async function readH5Tree(bytes: Uint8Array, file: string): Promise<H5Tree> {
  return withH5File(bytes, 'HDF5 could not read the file (damaged or not HDF5)', file, (f, h5) =>
    readGroup(h5, f, '/', 0, { objects: 0, bytes: 0 }, file),
  );
}

export function messageOf(e: unknown): string {
  const s = e instanceof Error ? e.message : String(e);
  return s.length > 200 ? `${s.slice(0, 200)}...` : s;
}

function readGroup(h5: H5, g: H5GroupObj, path: string, depth: number, budget: { objects: number; bytes: number }, file: string): H5Tree {
  if (depth > MAX_DEPTH) throw new DataError(`${path}: groups nested deeper than ${MAX_DEPTH} levels`, file);
  const children = new Map<string, H5Entry>();
  for (const key of g.keys()) {
    if (++budget.objects > MAX_OBJECTS) throw new DataError(`more than ${MAX_OBJECTS} groups and datasets`, file);
    const childPath = path === '/' ? `/${key}` : `${path}/${key}`;
    const obj = g.get(key);
    // instanceof, not constructor names: a minifying bundler renames h5wasm's classes
    if (obj instanceof h5.Group) children.set(key, readGroup(h5, obj, childPath, depth + 1, budget, file));
    else if (obj instanceof h5.Dataset) children.set(key, readDataset(obj, childPath, budget, file));
    else
      throw new DataError(
        `${childPath}: expected a group or a dataset, found ${obj === null ? 'nothing (a broken link)' : 'another kind of HDF5 object'}`,
        file,
      );
  }
  return { kind: 'group', path, children };
}

function readDataset(d: H5Dataset, path: string, budget: { objects: number; bytes: number }, file: string): H5Data {
  const m = d.metadata;
  const shape = m.shape;
  if (!Array.isArray(shape)) return { kind: 'dataset', path, dtype: 'empty (null dataspace)', shape: [], data: null };
  const n = shape.reduce((a, b) => a * b, 1);
  const bytes = n * Math.max(1, m.size) * (m.vlen || m.type === TYPE_STRING ? 16 : 1);
  if (!Number.isSafeInteger(n) || n < 0 || (budget.bytes += bytes) > MAX_BYTES)
    throw new DataError(
      `${path}: dataset of shape [${shape.join(', ')}] is larger than this reader's limit (${MAX_BYTES} bytes in all)`,
      file,
    );
  const dtype = dtypeOf(m);
  if (dtype === null) return { kind: 'dataset', path, dtype: describeType(m), shape, data: null };
  const v = d.value as unknown;
  const out: H5Data = { kind: 'dataset', path, dtype, shape, data: null };
  if (dtype === 'string') {
    const arr = Array.isArray(v) ? v : [v];
    if (arr.length !== n || !arr.every((s) => typeof s === 'string')) throw new DataError(`${path}: unreadable string data`, file);
    out.data = arr as string[];
  } else if (dtype === 'float32' || dtype === 'float64') {
    const T = dtype === 'float32' ? Float32Array : Float64Array;
    out.data = v instanceof T ? v : T.from(typeof v === 'number' ? [v] : (v as ArrayLike<number>));
  } else if (dtype === 'bool') {
    out.data = toNumbers(v).map((x) => x !== 0);
  } else {
    out.data = toNumbers(v);
  }
  if (out.data.length !== n)
    throw new DataError(`${path}: expected ${n} values for shape [${shape.join(', ')}], read ${out.data.length}`, file);
  return out;
}

function toNumbers(v: unknown): number[] {
  if (typeof v === 'number' || typeof v === 'bigint') return [bigToNumber(v)];
  if (ArrayBuffer.isView(v) || Array.isArray(v)) return Array.from(v as ArrayLike<number | bigint>, bigToNumber);
  return [];
}

/** An integer beyond 2^53 cannot be a shape or an index: NaN makes the field check reject it. */
function bigToNumber(x: number | bigint): number {
  if (typeof x === 'number') return x;
  return x <= BigInt(Number.MAX_SAFE_INTEGER) && x >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(x) : Number.NaN;
}

function dtypeOf(m: H5Dataset['metadata']): string | null {
  if (m.type === TYPE_STRING) return 'string';
  if (!m.littleEndian && m.size > 1) return null;
  if (m.type === TYPE_FLOAT) return m.size === 4 ? 'float32' : m.size === 8 ? 'float64' : null;
  if (m.type === TYPE_INTEGER) return m.size <= 8 ? 'int' : null;
  if (m.type === TYPE_ENUM && m.size === 1) {
    const members = Object.keys(m.enum_type?.members ?? {}).sort();
    if (members.join() === 'FALSE,TRUE') return 'bool'; // numpy's bool, as h5py stores it
  }
  return null;
}

function describeType(m: H5Dataset['metadata']): string {
  const names: Record<number, string> = {
    0: 'integer',
    1: 'float',
    2: 'time',
    3: 'string',
    4: 'bitfield',
    5: 'opaque',
    6: 'compound',
    7: 'reference',
    8: 'enum',
    9: 'vlen',
    10: 'array',
  };
  const endian = m.littleEndian ? '' : ' big-endian';
  return `${m.size * 8}-bit${endian} ${names[m.type] ?? `type ${m.type}`}`;
}

/** What writeH5 stores: a tree of groups and datasets with their HDF5 types. */
export type H5WriteEntry =
  | { kind: 'group'; children: [string, H5WriteEntry][] }
  | { kind: 'float'; data: Float32Array | Float64Array; shape: number[] }
  | { kind: 'int'; data: number[]; shape: number[] }
  | { kind: 'string'; data: string[]; shape: number[] }
  | { kind: 'bool'; value: boolean };

/**
 * Writes a tree to a new HDF5 file in memory and returns its bytes. Arrays with at least one
 * element and one dimension are stored gzip-compressed in one chunk (as Python nir's current
 * writer does); scalars cannot carry filters in HDF5 and are stored plain.
 */
export async function writeH5(root: [string, H5WriteEntry][]): Promise<Uint8Array> {
  return withH5File(null, 'HDF5 could not write the file', undefined, (f, _h5, _mod, finish) => {
    writeChildren(f, root);
    return finish();
  });
}

function writeChildren(g: H5GroupObj, children: [string, H5WriteEntry][]): void {
  for (const [key, e] of children) {
    if (e.kind === 'group') {
      writeChildren(g.create_group(key), e.children);
      continue;
    }
    if (e.kind === 'bool') {
      // h5wasm has no enum writer: a bool is stored as a one-byte integer 0/1 (and reads back as a number)
      g.create_dataset({ name: key, data: new Uint8Array([e.value ? 1 : 0]), shape: [], dtype: '<B' });
      continue;
    }
    const n = e.shape.reduce((a, b) => a * b, 1);
    const chunked = e.kind !== 'string' && e.shape.length > 0 && n > 0;
    const opts = chunked ? { chunks: e.shape, compression: 'gzip' as const, compression_opts: 4 } : {};
    if (e.kind === 'float') {
      g.create_dataset({ name: key, data: e.data, shape: e.shape, dtype: e.data instanceof Float32Array ? '<f' : '<d', ...opts });
    } else if (e.kind === 'int') {
      g.create_dataset({ name: key, data: BigInt64Array.from(e.data, (x) => BigInt(x)), shape: e.shape, dtype: '<q', ...opts });
    } else {
      g.create_dataset({ name: key, data: e.shape.length === 0 ? e.data[0] : e.data, shape: e.shape });
    }
  }
}
