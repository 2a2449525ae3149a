import { DataError, ShapeError, ValueError } from '../core/errors.js';

/**
 * The safetensors format (Hugging Face), pure TypeScript: no Node APIs, so it runs in browsers too.
 *
 * Layout: an unsigned 64-bit little-endian header length N, then N bytes of UTF-8 JSON
 *   {"<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
 *    "__metadata__": {"<key>": "<string>"}}
 * padded with spaces so that 8 + N is a multiple of 8, then the tensor bytes (little-endian,
 * row-major). Offsets are relative to the start of the byte buffer; the tensors cover it
 * contiguously, in offset order, with no gaps and nothing after the last one.
 *
 * The decoder accepts exactly what the reference implementation (Python/Rust `safetensors`) accepts
 * for the three dtypes supported here, and turns every defect into a DataError naming the file and
 * the tensor. Decoded arrays are copies (own, aligned buffers), never views into the input.
 */
export type SafeDtype = 'F32' | 'I32' | 'U8';
export type SafeData = Float32Array | Int32Array | Uint8Array;

export interface SafeTensor<D extends SafeDtype = SafeDtype> {
  dtype: D;
  shape: number[];
  data: D extends 'F32' ? Float32Array : D extends 'I32' ? Int32Array : D extends 'U8' ? Uint8Array : SafeData;
}

/** A tensor passed to encodeSafetensors; `shape` may be readonly. */
export type SafeTensorInput = { [D in SafeDtype]: { dtype: D; shape: readonly number[]; data: SafeTensor<D>['data'] } }[SafeDtype];

export interface DecodedSafetensors {
  tensors: Record<string, SafeTensor>;
  metadata: Record<string, string>;
}

/** The reference implementation refuses headers larger than this (100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';
const BYTES: Record<SafeDtype, number> = { F32: 4, I32: 4, U8: 1 };
const CTOR = { F32: Float32Array, I32: Int32Array, U8: Uint8Array } as const;
/** dtypes the format defines that this module does not read (a clearer message than "unknown"). */
const OTHER_DTYPES = new Set([
  'BOOL',
  'F4',
  'F6_E2M3',
  'F6_E3M2',
  'F8_E5M2',
  'F8_E4M3',
  'F8_E8M0',
  'I8',
  'I16',
  'U16',
  'F16',
  'BF16',
  'U32',
  'I64',
  'U64',
  'F64',
  'C64',
]);
const SUPPORTED = 'F32, I32 or U8';

/** True on (all common) little-endian hosts; typed arrays use the host's byte order. */
const HOST_LE = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function isDtype(x: unknown): x is SafeDtype {
  return typeof x === 'string' && Object.hasOwn(BYTES, x);
}

/** Sets an own, enumerable property even for names such as "__proto__". */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Reverses the byte order of each `size`-byte element in place (big-endian hosts only). */
function swapBytes(b: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i + size <= b.length; i += size) b.subarray(i, i + size).reverse();
}

function fmtShape(shape: readonly unknown[]): string {
  return `[${shape.map((d) => JSON.stringify(d)).join(', ')}]`;
}

function describe(x: unknown): string {
  if (Array.isArray(x)) return 'an array';
  if (x === null) return 'null';
  if (typeof x === 'object') return 'an object';
  return `${typeof x} ${JSON.stringify(x)}`;
}

/** The number of elements of a validated shape, or null when it is not a safe integer. */
function elementCount(shape: readonly number[]): number | null {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) return null;
  }
  return n;
}

/**
 * Encodes tensors (and optional string metadata) as a safetensors file. Tensors are written in name
 * order, contiguously; the header is padded with spaces so the data starts at a multiple of 8.
 * Throws ValueError / ShapeError for inputs that cannot be encoded (wrong dtype for the array, shape
 * and length disagree, a non-string metadata value, a tensor named "__metadata__").
 */
export function encodeSafetensors(tensors: Record<string, SafeTensorInput>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      throw new ValueError(`safetensors metadata: expected an object of strings, found ${describe(metadata)}`);
    }
    const meta: Record<string, string> = {};
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new ValueError(`safetensors metadata "${k}": expected a string, found ${describe(v)}`);
      setOwn(meta, k, v);
    }
    setOwn(header, METADATA_KEY, meta);
  }
  let offset = 0;
  const spans: Array<{ name: string; t: SafeTensorInput; bytes: number }> = [];
  for (const name of names) {
    const t = tensors[name];
    if (name === METADATA_KEY) throw new ValueError(`safetensors: "${METADATA_KEY}" is reserved and cannot name a tensor`);
    if (typeof t !== 'object' || t === null) throw new ValueError(`tensor "${name}": expected {dtype, shape, data}, found ${describe(t)}`);
    if (!isDtype(t.dtype)) throw new ValueError(`tensor "${name}": dtype must be ${SUPPORTED}, found ${JSON.stringify(t.dtype)}`);
    // By tag rather than instanceof, so arrays from another realm (worker, iframe) and Buffers pass.
    const want = CTOR[t.dtype].name;
    const tag = ArrayBuffer.isView(t.data) ? Object.prototype.toString.call(t.data).slice(8, -1) : undefined;
    if (tag !== want) throw new ValueError(`tensor "${name}": dtype ${t.dtype} needs a ${want}, found ${tag ?? describe(t.data)}`);
    if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw new ShapeError(
        `tensor "${name}": shape must be a list of non-negative integers, found ${Array.isArray(t.shape) ? fmtShape(t.shape) : describe(t.shape)}`,
      );
    }
    const count = elementCount(t.shape);
    if (count !== t.data.length) {
      throw new ShapeError(`tensor "${name}": shape ${fmtShape(t.shape)} needs ${count ?? 'too many'} values, found ${t.data.length}`);
    }
    const bytes = t.data.byteLength;
    setOwn(header, name, { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes] });
    spans.push({ name, t, bytes });
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + headerLen + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen); // spaces: still valid JSON, and the data is 8-aligned
  let pos = 8 + headerLen;
  for (const { t, bytes } of spans) {
    const d = t.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, bytes), pos);
    if (!HOST_LE) swapBytes(out.subarray(pos, pos + bytes), BYTES[t.dtype]);
    pos += bytes;
  }
  return out;
}

/** One tensor's entry in a safetensors header: offsets relative to the start of the data region. */
export interface SafeTensorEntry {
  dtype: SafeDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** A validated safetensors header: tensor entries by name, metadata, and where the data region starts. */
export interface SafetensorsHeader {
  entries: Record<string, SafeTensorEntry>;
  metadata: Record<string, string>;
  /** Byte offset of the data region in the file (8 + header length). */
  dataStart: number;
}

/**
 * Reads and validates a safetensors header without copying any tensor data: every check of
 * decodeSafetensors (dtypes, shapes, offsets tiling the data region exactly, metadata) is made here, so
 * a caller can compare names, dtypes and shapes with what it expects before allocating anything.
 */
export function readSafetensorsHeader(bytes: Uint8Array, file = 'safetensors data'): SafetensorsHeader {
  if (!(bytes instanceof Uint8Array)) throw new ValueError(`safetensors: expected a Uint8Array, found ${describe(bytes)}`);
  if (bytes.length < 8)
    throw new DataError(`too short for a safetensors file (${bytes.length} bytes; the header length alone takes 8)`, file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen64 = view.getBigUint64(0, true);
  if (hlen64 > BigInt(bytes.length - 8)) {
    throw new DataError(
      `header length ${hlen64} exceeds the file (${bytes.length - 8} bytes after the length field); truncated or not a safetensors file`,
      file,
    );
  }
  const hlen = Number(hlen64);
  if (hlen > MAX_HEADER_BYTES) throw new DataError(`header length ${hlen} exceeds the ${MAX_HEADER_BYTES}-byte limit`, file);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + hlen));
  } catch {
    throw new DataError(`header (${hlen} bytes) is not valid UTF-8`, file);
  }
  if (!text.startsWith('{')) throw new DataError(`header must start with "{", found ${JSON.stringify(text.slice(0, 16))}`, file);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new DataError(`header is not valid JSON (${(e as Error).message})`, file);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new DataError(`header: expected a JSON object, found ${describe(header)}`, file);
  }

  const dataStart = 8 + hlen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const spans: Array<{ name: string; dtype: SafeDtype; shape: number[]; begin: number; end: number }> = [];

  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (raw === null) continue; // the reference implementation reads null as "no metadata"
      if (typeof raw !== 'object' || Array.isArray(raw))
        throw new DataError(`${METADATA_KEY}: expected an object of strings, found ${describe(raw)}`, file);
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new DataError(`${METADATA_KEY}."${k}": expected a string, found ${describe(v)}`, file);
        setOwn(metadata, k, v);
      }
      continue;
    }
    const where = `tensor "${name}"`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new DataError(`${where}: expected an object {dtype, shape, data_offsets}, found ${describe(raw)}`, file);
    }
    const t = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!isDtype(t.dtype)) {
      const kind = typeof t.dtype === 'string' && OTHER_DTYPES.has(t.dtype) ? 'unsupported' : 'unknown';
      throw new DataError(
        `${where}: ${kind} dtype ${t.dtype === undefined ? '(missing)' : JSON.stringify(t.dtype)} (expected ${SUPPORTED})`,
        file,
      );
    }
    const dtype = t.dtype;
    if (!Array.isArray(t.shape))
      throw new DataError(
        `${where}: shape: expected a list of non-negative integers, found ${t.shape === undefined ? 'nothing' : describe(t.shape)}`,
        file,
      );
    const badDim = t.shape.findIndex((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0);
    if (badDim >= 0) {
      throw new DataError(
        `${where}: shape ${fmtShape(t.shape)}: dimension ${badDim} must be a non-negative integer, found ${JSON.stringify(t.shape[badDim])}`,
        file,
      );
    }
    const shape = t.shape as number[];
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0)) {
      throw new DataError(
        `${where}: data_offsets: expected [begin, end] of non-negative integers, found ${off === undefined ? 'nothing' : JSON.stringify(off)}`,
        file,
      );
    }
    const [begin, end] = off as [number, number];
    if (end < begin) throw new DataError(`${where}: data_offsets [${begin}, ${end}]: end is before begin`, file);
    if (end > dataLen) throw new DataError(`${where}: data_offsets [${begin}, ${end}] go beyond the data (${dataLen} bytes)`, file);
    const count = elementCount(shape);
    const need = count === null ? null : count * BYTES[dtype];
    if (need !== end - begin) {
      throw new DataError(
        `${where}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but ${dtype} ${fmtShape(shape)} needs ${need ?? 'more than 2^53'}`,
        file,
      );
    }
    spans.push({ name, dtype, shape: [...shape], begin, end });
  }

  // The tensors must tile the data region exactly: sorted by offset, each starts where the last ended.
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: string | undefined;
  for (const s of spans) {
    if (s.begin < pos) throw new DataError(`tensors "${prev}" and "${s.name}" overlap (bytes ${s.begin} to ${pos})`, file);
    if (s.begin > pos) {
      throw new DataError(`gap of ${s.begin - pos} bytes before tensor "${s.name}" (data_offsets begin ${s.begin}, expected ${pos})`, file);
    }
    pos = s.end;
    prev = s.name;
  }
  if (pos !== dataLen) {
    throw new DataError(
      `the tensors cover ${pos} bytes of data, but the file holds ${dataLen} after the header (${dataLen - pos} unexplained trailing bytes)`,
      file,
    );
  }

  const entries: Record<string, SafeTensorEntry> = {};
  for (const { name, ...entry } of spans) setOwn(entries, name, entry);
  return { entries, metadata, dataStart };
}

/**
 * Decodes and validates a safetensors file. `file` names the source in error messages.
 * Every defect (truncation, a header length beyond the file, invalid UTF-8 or JSON, an unknown or
 * unsupported dtype, a bad shape, offsets out of range, overlapping, leaving gaps or disagreeing
 * with shape x dtype size, trailing bytes, non-string metadata) is a DataError naming the file and,
 * where there is one, the tensor.
 */
export function decodeSafetensors(bytes: Uint8Array, file = 'safetensors data'): DecodedSafetensors {
  const { entries, metadata, dataStart } = readSafetensorsHeader(bytes, file);
  const tensors: Record<string, SafeTensor> = {};
  for (const [name, { dtype, shape, begin, end }] of Object.entries(entries)) {
    // A copy in its own buffer at offset 0, so aligned. Uint8Array's slice, not the subclass's: a Node
    // Buffer's slice() is a view into its (shared, unaligned) pool.
    const copy = Uint8Array.prototype.slice.call(bytes, dataStart + begin, dataStart + end);
    if (!HOST_LE) swapBytes(copy, BYTES[dtype]);
    const data = new CTOR[dtype](copy.buffer, 0, (end - begin) / BYTES[dtype]);
    setOwn(tensors, name, { dtype, shape, data } as SafeTensor);
  }
  return { tensors, metadata };
}
