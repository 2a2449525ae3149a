import { DataError } from '../core/errors.js';

/**
 * The safetensors format (Hugging Face): u64 little-endian header length, a JSON header
 * {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}, padded with
 * spaces to a multiple of 8, then the raw little-endian tensor bytes. Pure: works in browsers too.
 */
export type SafeDtype = 'F32' | 'I32' | 'U8';
export type SafeData = Float32Array | Int32Array | Uint8Array;
export interface SafeTensor {
  dtype: SafeDtype;
  shape: number[];
  data: SafeData;
}

const SIZES: Record<SafeDtype, number> = { F32: 4, I32: 4, U8: 1 };
const CTORS = { F32: Float32Array, I32: Int32Array, U8: Uint8Array } as const;

export function encodeSafetensors(tensors: Record<string, SafeTensor>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new DataError(`tensor "${name}": shape [${t.shape.join(', ')}] needs ${count} values, found ${t.data.length}`);
    const bytes = t.data.length * SIZES[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  while (enc.encode(json).length % 8 !== 0) json += ' ';
  const hbytes = enc.encode(json);
  const out = new Uint8Array(8 + hbytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(hbytes.length), true);
  out.set(hbytes, 8);
  let pos = 8 + hbytes.length;
  for (const name of names) {
    const d = tensors[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    pos += d.byteLength;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array, file = 'safetensors data'): { tensors: Record<string, SafeTensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new DataError(`too short for a safetensors file (${bytes.length} bytes)`, file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = Number(view.getBigUint64(0, true));
  if (hlen > bytes.length - 8) throw new DataError(`header length ${hlen} exceeds the file (${bytes.length - 8} bytes after the length field)`, file);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + hlen)));
  } catch (e) {
    throw new DataError(`header is not valid JSON (${(e as Error).message})`, file);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new DataError('header is not a JSON object', file);
  const dataStart = 8 + hlen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors: Record<string, SafeTensor> = {};
  const spans: Array<[number, number, string]> = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null) throw new DataError('__metadata__ must be an object of strings', file);
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string') throw new DataError(`__metadata__.${k} must be a string`, file);
        metadata[k] = v;
      }
      continue;
    }
    const t = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof t.dtype !== 'string' || !(t.dtype in SIZES)) throw new DataError(`tensor "${name}": unsupported dtype ${JSON.stringify(t.dtype)} (expected F32, I32 or U8)`, file);
    const dtype = t.dtype as SafeDtype;
    if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isInteger(d) || d < 0)) throw new DataError(`tensor "${name}": shape must be a list of non-negative integers`, file);
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isInteger(x)) || off[0] < 0 || off[1] < off[0]) {
      throw new DataError(`tensor "${name}": data_offsets must be [begin, end] with 0 <= begin <= end`, file);
    }
    const [begin, end] = off as [number, number];
    if (end > dataLen) throw new DataError(`tensor "${name}": data_offsets end ${end} is beyond the data (${dataLen} bytes)`, file);
    const shape = t.shape as number[];
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * SIZES[dtype]) {
      throw new DataError(`tensor "${name}": ${end - begin} bytes, but ${dtype} [${shape.join(', ')}] needs ${count * SIZES[dtype]}`, file);
    }
    spans.push([begin, end, name]);
    const copy = bytes.slice(dataStart + begin, dataStart + end); // aligned copy
    tensors[name] = { dtype, shape, data: new CTORS[dtype](copy.buffer, 0, count) };
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i][0] < spans[i - 1][1]) throw new DataError(`tensors "${spans[i - 1][2]}" and "${spans[i][2]}" overlap`, file);
  }
  return { tensors, metadata };
}
