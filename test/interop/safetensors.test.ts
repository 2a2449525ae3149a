import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { encodeSafetensors, decodeSafetensors, type SafeTensorInput } from '../../src/interop/safetensors.js';
import { DataError, ShapeError, ValueError } from '../../src/core/errors.js';

const FILE = 'm.safetensors';

/** Builds a file from the format's definition: u64 LE header length, the header text as given, then the data bytes. */
function handMade(header: string, data: ArrayLike<number> = []): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** Little-endian bytes of float32 / int32 values. */
function f32le(...xs: number[]): number[] {
  const v = new DataView(new ArrayBuffer(4 * xs.length));
  xs.forEach((x, i) => v.setFloat32(4 * i, x, true));
  return Array.from(new Uint8Array(v.buffer));
}
function i32le(...xs: number[]): number[] {
  const v = new DataView(new ArrayBuffer(4 * xs.length));
  xs.forEach((x, i) => v.setInt32(4 * i, x, true));
  return Array.from(new Uint8Array(v.buffer));
}

function headerOf(bytes: Uint8Array): { len: number; text: string } {
  const len = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { len, text: new TextDecoder().decode(bytes.subarray(8, 8 + len)) };
}

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('safetensors decoding', () => {
  it('decodes a hand-built file of every dtype, with metadata, to the known values', () => {
    const header =
      '{"__metadata__":{"format":"pt","note":"hand made"},' +
      '"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},' +
      '"idx":{"dtype":"I32","shape":[3],"data_offsets":[16,28]},' +
      '"mask":{"dtype":"U8","shape":[1,3],"data_offsets":[28,31]}}';
    const f = handMade(header, [...f32le(1.5, -2, 0.25, 1e30), ...i32le(-1, 0, 2147483647), 0, 7, 255]);
    const { tensors, metadata } = decodeSafetensors(f, FILE);
    expect(metadata).toEqual({ format: 'pt', note: 'hand made' });
    expect(Object.keys(tensors).sort()).toEqual(['idx', 'mask', 'w']);
    expect(tensors.w.dtype).toBe('F32');
    expect(tensors.w.shape).toEqual([2, 2]);
    expect(tensors.w.data).toBeInstanceOf(Float32Array);
    expect(Array.from(tensors.w.data)).toEqual([1.5, -2, 0.25, Math.fround(1e30)]);
    expect(tensors.idx.data).toBeInstanceOf(Int32Array);
    expect(Array.from(tensors.idx.data)).toEqual([-1, 0, 2147483647]);
    expect(tensors.mask.data).toBeInstanceOf(Uint8Array);
    expect(tensors.mask.shape).toEqual([1, 3]);
    expect(Array.from(tensors.mask.data)).toEqual([0, 7, 255]);
  });

  it('returns aligned copies, even from an unaligned view or a Node Buffer', () => {
    const inner = handMade('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', f32le(3, 4)); // data at an odd offset
    const backing = new Uint8Array(inner.length + 3);
    backing.set(inner, 3);
    const view = backing.subarray(3); // byteOffset 3
    const { tensors } = decodeSafetensors(view);
    expect(Array.from(tensors.a.data)).toEqual([3, 4]);
    expect(tensors.a.data.byteOffset).toBe(0);
    expect(tensors.a.data.buffer).not.toBe(backing.buffer);
    backing.fill(0); // a copy: later changes to the input do not show through
    expect(Array.from(tensors.a.data)).toEqual([3, 4]);

    const buf = Buffer.concat([Buffer.alloc(5, 9), Buffer.from(inner)]).subarray(5); // pooled, shared memory
    expect(Array.from(decodeSafetensors(buf).tensors.a.data)).toEqual([3, 4]);
  });

  it('accepts an empty file ({}), scalars, zero-size tensors, null metadata and awkward names', () => {
    expect(decodeSafetensors(handMade('{}        '))).toEqual({ tensors: {}, metadata: {} });
    const f = handMade(
      '{"__metadata__":null,"s":{"dtype":"I32","shape":[],"data_offsets":[0,4]},"z":{"dtype":"F32","shape":[0,5],"data_offsets":[4,4]},' +
        '"__proto__":{"dtype":"U8","shape":[1],"data_offsets":[4,5]}}',
      [...i32le(-9), 42],
    );
    const { tensors, metadata } = decodeSafetensors(f);
    expect(metadata).toEqual({});
    expect(Array.from(tensors.s.data)).toEqual([-9]);
    expect(tensors.s.shape).toEqual([]);
    expect(tensors.z.data.length).toBe(0);
    expect(Object.keys(tensors).sort()).toEqual(['__proto__', 's', 'z']);
    expect(Object.getPrototypeOf(tensors)).toBe(Object.prototype); // not replaced by the "__proto__" tensor
    expect(Array.from(Object.getOwnPropertyDescriptor(tensors, '__proto__')!.value.data)).toEqual([42]);
  });

  it('every corruption is a DataError naming the file, the tensor, and expected vs found', () => {
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['too short', Uint8Array.of(1, 2, 3), /^m\.safetensors: too short for a safetensors file \(3 bytes/],
      [
        'header length beyond the file',
        (() => {
          const f = handMade('{}');
          new DataView(f.buffer).setBigUint64(0, 1000n, true);
          return f;
        })(),
        /header length 1000 exceeds the file \(2 bytes after the length field\)/,
      ],
      [
        'header length near 2^64',
        (() => {
          const f = handMade('{}');
          new DataView(f.buffer).setBigUint64(0, 0xffffffffffffffffn, true);
          return f;
        })(),
        /header length 18446744073709551615 exceeds the file/,
      ],
      [
        'invalid UTF-8',
        (() => {
          const f = handMade('{"a"}');
          f[10] = 0xff;
          return f;
        })(),
        /header \(5 bytes\) is not valid UTF-8/,
      ],
      ['not starting with {', handMade(' {}'), /header must start with "\{", found " \{\}"/],
      ['bad JSON', handMade('{"a":'), /header is not valid JSON/],
      ['entry not an object', handMade('{"a":5}'), /tensor "a": expected an object \{dtype, shape, data_offsets\}, found number 5/],
      ['entry null', handMade('{"a":null}'), /tensor "a": expected an object .*found null/],
      [
        'unsupported dtype',
        handMade('{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}', new Array(8).fill(0)),
        /tensor "a": unsupported dtype "F64" \(expected F32, I32 or U8\)/,
      ],
      ['unknown dtype', handMade('{"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}}', [0]), /tensor "a": unknown dtype "Q7"/],
      ['missing dtype', handMade('{"a":{"shape":[1],"data_offsets":[0,1]}}', [0]), /tensor "a": unknown dtype \(missing\)/],
      [
        'shape not a list',
        handMade('{"a":{"dtype":"U8","shape":3,"data_offsets":[0,3]}}', [0, 0, 0]),
        /tensor "a": shape: expected a list of non-negative integers, found number 3/,
      ],
      [
        'non-integer dim',
        handMade('{"a":{"dtype":"U8","shape":[2,1.5],"data_offsets":[0,3]}}', [0, 0, 0]),
        /tensor "a": shape \[2, 1\.5\]: dimension 1 must be a non-negative integer, found 1\.5/,
      ],
      [
        'negative dim',
        handMade('{"a":{"dtype":"U8","shape":[-3],"data_offsets":[0,3]}}', [0, 0, 0]),
        /dimension 0 must be a non-negative integer, found -3/,
      ],
      [
        'string dim',
        handMade('{"a":{"dtype":"U8","shape":["3"],"data_offsets":[0,3]}}', [0, 0, 0]),
        /dimension 0 must be a non-negative integer, found "3"/,
      ],
      [
        'offsets missing',
        handMade('{"a":{"dtype":"U8","shape":[1]}}', [0]),
        /tensor "a": data_offsets: expected \[begin, end\] of non-negative integers, found nothing/,
      ],
      [
        'offsets wrong length',
        handMade('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0]}}', [0]),
        /tensor "a": data_offsets: expected \[begin, end\].*found \[0\]/,
      ],
      [
        'negative offset',
        handMade('{"a":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}}', [0]),
        /tensor "a": data_offsets: expected .*found \[-1,0\]/,
      ],
      [
        'end before begin',
        handMade('{"a":{"dtype":"U8","shape":[0],"data_offsets":[1,0]}}', [0]),
        /tensor "a": data_offsets \[1, 0\]: end is before begin/,
      ],
      [
        'beyond the data',
        handMade('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', new Array(8).fill(0)),
        /tensor "a": data_offsets \[0, 16\] go beyond the data \(8 bytes\)/,
      ],
      [
        'size disagrees with shape',
        handMade('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', new Array(8).fill(0)),
        /tensor "a": data_offsets \[0, 8\] hold 8 bytes, but F32 \[3\] needs 12/,
      ],
      [
        'overlap',
        handMade(
          '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}',
          new Array(8).fill(0),
        ),
        /tensors "a" and "b" overlap/,
      ],
      [
        'gap',
        handMade('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[3,4]}}', [0, 0, 0, 0]),
        /gap of 2 bytes before tensor "b" \(data_offsets begin 3, expected 1\)/,
      ],
      [
        'trailing bytes',
        handMade('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', [0, 0, 0]),
        /the tensors cover 1 bytes of data, but the file holds 3 after the header/,
      ],
      ['metadata not an object', handMade('{"__metadata__":["x"]}'), /__metadata__: expected an object of strings, found an array/],
      [
        'metadata value not a string',
        handMade('{"__metadata__":{"epochs":3}}'),
        /__metadata__\."epochs": expected a string, found number 3/,
      ],
    ];
    for (const [what, bytes, pattern] of cases) {
      const e = thrown(() => decodeSafetensors(bytes, FILE));
      expect(e, what).toBeInstanceOf(DataError);
      expect((e as DataError).file, what).toBe(FILE);
      expect(e.message, what).toMatch(/^m\.safetensors: /);
      expect(e.message, what).toMatch(pattern);
    }
  });

  it('names a default source when no file is given, and rejects a non-Uint8Array', () => {
    expect(() => decodeSafetensors(Uint8Array.of(1))).toThrow(/^safetensors data: too short/);
    expect(() => decodeSafetensors([1, 2, 3] as unknown as Uint8Array)).toThrow(ValueError);
  });
});

describe('safetensors encoding', () => {
  const sample = (): Record<string, SafeTensorInput> => ({
    'layer.0.weight': { dtype: 'F32', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, -6.5) },
    b: { dtype: 'I32', shape: [2], data: Int32Array.of(-7, 2 ** 31 - 1) },
    a: { dtype: 'U8', shape: [3], data: Uint8Array.of(0, 1, 255) },
  });

  it('round-trips tensors of each dtype and metadata', () => {
    const bytes = encodeSafetensors(sample(), { format: 'pt', 'ünïcode ✓': 'värde' });
    const { tensors, metadata } = decodeSafetensors(bytes, FILE);
    expect(metadata).toEqual({ format: 'pt', 'ünïcode ✓': 'värde' });
    for (const [name, t] of Object.entries(sample())) {
      expect(tensors[name].dtype).toBe(t.dtype);
      expect(tensors[name].shape).toEqual(t.shape);
      expect(tensors[name].data).toEqual(t.data); // same values and same typed-array class
    }
  });

  it('lays out a standard file: 8-aligned header padded with spaces, tensors contiguous in name order', () => {
    const bytes = encodeSafetensors(sample(), { format: 'pt' });
    const { len, text } = headerOf(bytes);
    expect((8 + len) % 8).toBe(0);
    expect(text).toMatch(/^\{.*\} *$/);
    expect(text.length - text.trimEnd().length).toBeLessThan(8);
    const header = JSON.parse(text);
    expect(header.__metadata__).toEqual({ format: 'pt' });
    expect(header.a).toEqual({ dtype: 'U8', shape: [3], data_offsets: [0, 3] });
    expect(header.b).toEqual({ dtype: 'I32', shape: [2], data_offsets: [3, 11] });
    expect(header['layer.0.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [11, 35] });
    expect(bytes.length).toBe(8 + len + 35);
    // the data region is exactly the little-endian values, in that order
    expect(Array.from(bytes.subarray(8 + len))).toEqual([0, 1, 255, ...i32le(-7, 2 ** 31 - 1), ...f32le(1, 2, 3, 4, 5, -6.5)]);
  });

  it('writes byte-for-byte what the format prescribes for a tiny file', () => {
    const bytes = encodeSafetensors({ x: { dtype: 'F32', shape: [1], data: Float32Array.of(1) } });
    const json = '{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'; // 54 bytes, padded to 56
    expect(bytes).toEqual(handMade(json + '  ', f32le(1)));
    for (let extra = 0; extra < 16; extra++) {
      const b = encodeSafetensors({ ['n'.repeat(extra + 1)]: { dtype: 'U8', shape: [1], data: Uint8Array.of(extra) } });
      expect(headerOf(b).len % 8).toBe(0);
    }
  });

  it('encodes views (subarrays) by their own bytes only, and no metadata means no __metadata__ key', () => {
    const big = Float32Array.of(9, 9, 1, 2, 9);
    const bytes = encodeSafetensors({ v: { dtype: 'F32', shape: [2], data: big.subarray(2, 4) } });
    expect(headerOf(bytes).text).not.toContain('__metadata__');
    expect(Array.from(decodeSafetensors(bytes).tensors.v.data)).toEqual([1, 2]);
    expect(encodeSafetensors({})).toEqual(handMade('{}      '));
  });

  it('round-trips awkward names (__proto__, integers, unicode) and zero-size tensors', () => {
    const input: Record<string, SafeTensorInput> = {};
    Object.defineProperty(input, '__proto__', { value: { dtype: 'U8', shape: [1], data: Uint8Array.of(5) }, enumerable: true });
    input['7'] = { dtype: 'I32', shape: [], data: Int32Array.of(3) };
    input.権重 = { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) };
    const { tensors } = decodeSafetensors(encodeSafetensors(input));
    expect(Object.keys(tensors).sort()).toEqual(['7', '__proto__', '権重']);
    expect(Array.from(Object.getOwnPropertyDescriptor(tensors, '__proto__')!.value.data)).toEqual([5]);
    expect(tensors['7'].shape).toEqual([]);
    expect(tensors.権重.shape).toEqual([0, 4]);
  });

  it('refuses input it cannot encode, naming the tensor and expected vs found', () => {
    const enc = (t: unknown, meta?: unknown) => () =>
      encodeSafetensors(t as Record<string, SafeTensorInput>, meta as Record<string, string>);
    expect(enc({ w: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } })).toThrow(ShapeError);
    expect(enc({ w: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } })).toThrow(
      'tensor "w": shape [2, 2] needs 4 values, found 3',
    );
    expect(enc({ w: { dtype: 'F32', shape: [2], data: Int32Array.of(1, 2) } })).toThrow(ValueError);
    expect(enc({ w: { dtype: 'F32', shape: [2], data: Int32Array.of(1, 2) } })).toThrow(
      'tensor "w": dtype F32 needs a Float32Array, found Int32Array',
    );
    expect(enc({ w: { dtype: 'F32', shape: [2], data: [1, 2] } })).toThrow('tensor "w": dtype F32 needs a Float32Array, found an array');
    expect(enc({ w: { dtype: 'F16', shape: [1], data: new Uint8Array(2) } })).toThrow(
      'tensor "w": dtype must be F32, I32 or U8, found "F16"',
    );
    expect(enc({ w: { dtype: 'U8', shape: [1.5], data: new Uint8Array(1) } })).toThrow(
      /tensor "w": shape must be a list of non-negative integers, found \[1\.5\]/,
    );
    expect(enc({ __metadata__: { dtype: 'U8', shape: [1], data: new Uint8Array(1) } })).toThrow(/"__metadata__" is reserved/);
    expect(enc({}, { epochs: 3 })).toThrow('safetensors metadata "epochs": expected a string, found number 3');
    // Node Buffers are Uint8Arrays
    expect(decodeSafetensors(encodeSafetensors({ u: { dtype: 'U8', shape: [2], data: Buffer.from([4, 5]) } })).tensors.u.data).toEqual(
      Uint8Array.of(4, 5),
    );
  });
});

/**
 * Cross-check with Python: the `safetensors` package when it is installed; otherwise an independent
 * reader written from the format definition with the standard library (struct, json, array), which
 * also applies the reference implementation's rules (8-aligned data start, tensors tiling the data).
 */
const PY = '/usr/bin/python3';
const havePython = existsSync(PY) && spawnSync(PY, ['-c', 'import json, struct, array, sys'], { stdio: 'ignore' }).status === 0;
const PY_READER = `
import json, struct, sys, array
raw = sys.stdin.buffer.read()
try:
    from safetensors.numpy import load
    ts = load(raw)
    out = {k: {"dtype": str(v.dtype), "shape": list(v.shape), "values": v.reshape(-1).tolist()} for k, v in ts.items()}
    print(json.dumps({"reader": "safetensors", "tensors": out}))
    sys.exit(0)
except ImportError:
    pass
(n,) = struct.unpack("<Q", raw[:8])
assert (8 + n) % 8 == 0, "data start not 8-aligned"
header = json.loads(raw[8:8 + n].decode("utf-8"))
meta = header.pop("__metadata__", None)
data = raw[8 + n:]
codes = {"F32": ("f", 4, "float32"), "I32": ("i", 4, "int32"), "U8": ("B", 1, "uint8")}
pos = 0
out = {}
for name, t in sorted(header.items(), key=lambda kv: tuple(kv[1]["data_offsets"])):
    b, e = t["data_offsets"]
    assert b == pos, "tensors must tile the data"
    code, size, npname = codes[t["dtype"]]
    count = 1
    for d in t["shape"]:
        count *= d
    assert e - b == count * size
    a = array.array(code)
    a.frombytes(data[b:e])
    if sys.byteorder != "little":
        a.byteswap()
    out[name] = {"dtype": npname, "shape": t["shape"], "values": a.tolist()}
    pos = e
assert pos == len(data), "trailing bytes"
print(json.dumps({"reader": "stdlib", "metadata": meta, "tensors": out}))
`;

describe.skipIf(!havePython)('safetensors read by Python', () => {
  it('Python reads what encodeSafetensors writes', () => {
    const bytes = encodeSafetensors(
      {
        'fc.weight': { dtype: 'F32', shape: [2, 3], data: Float32Array.of(0.5, -1, 2.25, 1e-3, 3, -0) },
        labels: { dtype: 'I32', shape: [4], data: Int32Array.of(-2147483648, -1, 0, 9) },
        mask: { dtype: 'U8', shape: [2, 1], data: Uint8Array.of(1, 0) },
      },
      { format: 'pt' },
    );
    const r = spawnSync(PY, ['-c', PY_READER], { input: bytes, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout);
    if (got.reader === 'stdlib') expect(got.metadata).toEqual({ format: 'pt' });
    expect(got.tensors['fc.weight'].dtype).toBe('float32');
    expect(got.tensors['fc.weight'].shape).toEqual([2, 3]);
    expect(got.tensors['fc.weight'].values).toEqual(Array.from(Float32Array.of(0.5, -1, 2.25, 1e-3, 3, -0)));
    expect(got.tensors.labels).toEqual({ dtype: 'int32', shape: [4], values: [-2147483648, -1, 0, 9] });
    expect(got.tensors.mask).toEqual({ dtype: 'uint8', shape: [2, 1], values: [1, 0] });
  });
});
