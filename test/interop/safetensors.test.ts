import { describe, expect, it } from 'vitest';
import { encodeSafetensors, decodeSafetensors } from '../../src/interop/safetensors.js';
import { DataError } from '../../src/core/errors.js';

/** A file built by hand from the format's definition: one F32 tensor "a" of shape [2] = [1.5, -2]. */
function handMade(header: string, data: number[]): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length * 4);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  const v = new DataView(out.buffer);
  data.forEach((x, i) => v.setFloat32(8 + h.length + 4 * i, x, true));
  return out;
}

describe('safetensors', () => {
  it('decodes a hand-built file', () => {
    const f = handMade('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', [1.5, -2]);
    const { tensors } = decodeSafetensors(f);
    expect(tensors.a.shape).toEqual([2]);
    expect(Array.from(tensors.a.data)).toEqual([1.5, -2]);
  });
  it('round-trips tensors of each dtype and metadata; header is padded to 8 bytes', () => {
    const bytes = encodeSafetensors(
      {
        w: { dtype: 'F32', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) },
        i: { dtype: 'I32', shape: [2], data: Int32Array.of(-7, 9) },
        u: { dtype: 'U8', shape: [3], data: Uint8Array.of(0, 1, 255) },
      },
      { format: 'pt' },
    );
    const hlen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(hlen % 8).toBe(0);
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt' });
    expect(Array.from(tensors.w.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(tensors.w.shape).toEqual([2, 3]);
    expect(Array.from(tensors.i.data)).toEqual([-7, 9]);
    expect(Array.from(tensors.u.data)).toEqual([0, 1, 255]);
  });
  it('every corruption is a DataError naming the file and the tensor', () => {
    const bad = (header: string, n = 2) => () => decodeSafetensors(handMade(header, new Array(n).fill(0)), 'm.safetensors');
    expect(() => decodeSafetensors(Uint8Array.of(1, 2), 'm.safetensors')).toThrow(/m\.safetensors: too short/);
    expect(bad('{"a":')).toThrow(/not valid JSON/);
    expect(bad('{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}}')).toThrow(/tensor "a": unsupported dtype "F64"/);
    expect(bad('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}')).toThrow(/tensor "a": 8 bytes, but F32 \[3\] needs 12/);
    expect(bad('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}')).toThrow(/beyond the data/);
    expect(bad('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}')).toThrow(/overlap/);
    const huge = handMade('{}', []);
    new DataView(huge.buffer).setBigUint64(0, 1000n, true);
    expect(() => decodeSafetensors(huge, 'm.safetensors')).toThrow(DataError);
  });
});
