import type { Fail } from './lz4.js';

/**
 * Just enough of the FlatBuffers binary format to read AEDAT 4's tables: a root table found through the
 * leading u32 offset, tables found through their vtables, scalars, strings and vectors of structs.
 * Every offset is bounds-checked; `fail(offset, message)` (which throws) reports where it went wrong.
 */
export class FlatTable {
  private constructor(
    private readonly dv: DataView,
    readonly pos: number,
    private readonly vt: number,
    private readonly vtSize: number,
    private readonly fail: Fail,
  ) {}

  /** The root table of the buffer; with `ident`, the 4-byte file identifier must match. */
  static root(buf: Uint8Array, fail: Fail, ident?: string): FlatTable {
    if (buf.length < 8) fail(0, `flatbuffer of ${buf.length} bytes is too short`);
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    if (ident !== undefined) {
      const found = String.fromCharCode(buf[4], buf[5], buf[6], buf[7]);
      if (found !== ident) fail(4, `expected the flatbuffer identifier "${ident}", found ${JSON.stringify(found)}`);
    }
    return FlatTable.at(dv, dv.getUint32(0, true), fail);
  }

  private static at(dv: DataView, pos: number, fail: Fail): FlatTable {
    if (pos + 4 > dv.byteLength) fail(pos, `table offset ${pos} is outside the ${dv.byteLength}-byte buffer`);
    const vt = pos - dv.getInt32(pos, true);
    if (vt < 0 || vt + 4 > dv.byteLength) fail(pos, `vtable offset ${vt} is outside the buffer`);
    const vtSize = dv.getUint16(vt, true);
    if (vtSize < 4 || vtSize % 2 !== 0 || vt + vtSize > dv.byteLength) fail(vt, `bad vtable size ${vtSize}`);
    const tableSize = dv.getUint16(vt + 2, true);
    if (pos + tableSize > dv.byteLength) fail(pos, `table of ${tableSize} bytes passes the end of the buffer`);
    return new FlatTable(dv, pos, vt, vtSize, fail);
  }

  /** Offset of field `i` inside the buffer, or 0 when the field is absent. */
  field(i: number, width: number): number {
    const slot = 4 + 2 * i;
    if (slot + 2 > this.vtSize) return 0;
    const off = this.dv.getUint16(this.vt + slot, true);
    if (off === 0) return 0;
    const at = this.pos + off;
    if (at + width > this.dv.byteLength) this.fail(at, `field ${i} passes the end of the buffer`);
    return at;
  }

  int32(i: number, dflt: number): number {
    const at = this.field(i, 4);
    return at ? this.dv.getInt32(at, true) : dflt;
  }

  /** An int64 field as a number (exact below 2^53; larger magnitudes fail). */
  int64(i: number, dflt: number): number {
    const at = this.field(i, 8);
    if (!at) return dflt;
    const v = this.dv.getBigInt64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER))
      this.fail(at, `int64 field ${i} = ${v} is beyond 2^53`);
    return Number(v);
  }

  /** Position and length of the vector (or string) that field `i` points to; null when absent. */
  vector(i: number, elemSize: number): { start: number; length: number } | null {
    const at = this.field(i, 4);
    if (!at) return null;
    const vec = at + this.dv.getUint32(at, true);
    if (vec + 4 > this.dv.byteLength) this.fail(at, `vector offset of field ${i} is outside the buffer`);
    const length = this.dv.getUint32(vec, true);
    if (vec + 4 + length * elemSize > this.dv.byteLength)
      this.fail(vec, `vector of ${length} x ${elemSize} bytes passes the end of the ${this.dv.byteLength}-byte buffer`);
    return { start: vec + 4, length };
  }

  string(i: number): string | null {
    const v = this.vector(i, 1);
    if (!v) return null;
    return new TextDecoder('utf-8').decode(new Uint8Array(this.dv.buffer, this.dv.byteOffset + v.start, v.length));
  }
}
