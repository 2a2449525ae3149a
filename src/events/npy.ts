import { checkObject, ValueError } from '../core/errors.js';
import { ChunkDecoder, checkEvent, dataError, decodeAll, EventBuffer, latin1, type ReadOptions, view } from './decoder.js';
import { checkSensorSize, type EventMeta, type Events, type SensorSize } from './events.js';

export interface NpyOptions extends ReadOptions {
  /** Sensor size; by default [max x + 1, max y + 1, max(2, max p + 1)] of the file's events (read whole first). */
  sensorSize?: SensorSize;
  /** Column order of a plain (N, 4) array; Tonic's DVS Gesture order ['x', 'y', 'p', 't'] by default. */
  columns?: readonly ('x' | 'y' | 'p' | 't')[];
  /**
   * Factor applied to the timestamps (1000 for Tonic's DVS Gesture files, whose t is in ms). Default 1.
   * A float t column is truncated to an integer after scaling, as Tonic's cast into its int64 t field.
   */
  timeScale?: number;
}

type Py = string | number | boolean | null | Py[] | { [k: string]: Py };

/** Parses the Python literal of an .npy header (dict, tuple, list, str, int, True/False/None). */
function pyLiteral(s: string, fail: (msg: string) => never): Py {
  let i = 0;
  const ws = () => {
    while (i < s.length && /\s/.test(s[i])) i++;
  };
  const value = (): Py => {
    ws();
    const c = s[i];
    if (c === '{' || c === '(' || c === '[') {
      const close = c === '{' ? '}' : c === '(' ? ')' : ']';
      i++;
      const items: Py[] = [];
      const dict: Record<string, Py> = {};
      for (;;) {
        ws();
        if (s[i] === close) break;
        const v = value();
        ws();
        if (c === '{') {
          if (s[i] !== ':' || typeof v !== 'string') fail(`expected "key: value" at ${i}`);
          i++;
          dict[v as string] = value();
          ws();
        } else items.push(v);
        if (s[i] === ',') i++;
        else if (s[i] !== close) fail(`expected "," or "${close}" at character ${i}, found ${JSON.stringify(s[i] ?? 'the end')}`);
      }
      i++;
      return c === '{' ? dict : items;
    }
    if (c === "'" || c === '"') {
      const j = s.indexOf(c, i + 1);
      if (j < 0) fail('unterminated string');
      const str = s.slice(i + 1, j);
      i = j + 1;
      return str;
    }
    const m = /^(True|False|None|-?\d+L?)/.exec(s.slice(i));
    if (!m) fail(`unexpected ${JSON.stringify(s.slice(i, i + 10))} at character ${i}`);
    i += m![0].length;
    return m![0] === 'True' ? true : m![0] === 'False' ? false : m![0] === 'None' ? null : Number.parseInt(m![0], 10);
  };
  const v = value();
  ws();
  if (i !== s.length) fail(`unexpected text after the header dict at character ${i}`);
  return v;
}

interface Field {
  name: string;
  offset: number;
  read: (dv: DataView, at: number) => number;
  size: number;
  float: boolean;
}

/** A reader for one numpy scalar type string ('<i8', '|b1', '>f4', ...). */
function scalar(descr: string, fail: (msg: string) => never): { size: number; float: boolean; read: (dv: DataView, at: number) => number } {
  const m = /^([<>|=]?)([biuf])(\d+)$/.exec(descr);
  if (!m) return fail(`unsupported dtype ${JSON.stringify(descr)} (expected bool, int, uint or float)`);
  const le = m[1] !== '>';
  const size = Number(m[3]);
  const kind = m[2];
  const key = `${kind}${size}`;
  const big = (v: bigint) => {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) return Number.NaN;
    return Number(v);
  };
  const table: Record<string, (dv: DataView, at: number) => number> = {
    b1: (dv, at) => (dv.getUint8(at) ? 1 : 0),
    i1: (dv, at) => dv.getInt8(at),
    u1: (dv, at) => dv.getUint8(at),
    i2: (dv, at) => dv.getInt16(at, le),
    u2: (dv, at) => dv.getUint16(at, le),
    i4: (dv, at) => dv.getInt32(at, le),
    u4: (dv, at) => dv.getUint32(at, le),
    i8: (dv, at) => big(dv.getBigInt64(at, le)),
    u8: (dv, at) => big(dv.getBigUint64(at, le)),
    f4: (dv, at) => dv.getFloat32(at, le),
    f8: (dv, at) => dv.getFloat64(at, le),
  };
  const read = table[key];
  if (!read) return fail(`unsupported dtype ${JSON.stringify(descr)}`);
  return { size, read, float: kind === 'f' };
}

const MAGIC = '\x93NUMPY';

/**
 * Decoder of NumPy `.npy` event arrays (format versions 1-3): a structured array with fields x, y, p, t
 * (any order and integer/float/bool types, other fields ignored), or a plain 2-D (N, 4) numeric array whose
 * columns are given by `columns`. Fortran-ordered arrays and reads without a sensorSize are decoded once
 * the whole file is in.
 */
export class NpyDecoder extends ChunkDecoder {
  private fields: Field[] | null = null;
  private itemSize = 0;
  private rows = 0;
  private done = 0;
  private fortran = false;
  private headerText = '';
  private readonly scale: number;
  private readonly columns: readonly string[];
  sensorSize: SensorSize | undefined;

  constructor(opts: NpyOptions = {}) {
    checkObject('readNpy options', opts);
    super(opts.file);
    if (opts.sensorSize) this.sensorSize = checkSensorSize('readNpy sensorSize', opts.sensorSize);
    this.scale = opts.timeScale ?? 1;
    if (!Number.isFinite(this.scale) || this.scale <= 0)
      throw new ValueError(`readNpy timeScale: expected a positive number, found ${opts.timeScale}`);
    this.columns = opts.columns ?? ['x', 'y', 'p', 't'];
    if (this.columns.length !== 4 || ['x', 'y', 'p', 't'].some((c) => !this.columns.includes(c)))
      throw new ValueError(`readNpy columns: expected x, y, p and t in some order, found ${JSON.stringify(this.columns)}`);
  }

  get meta(): EventMeta {
    return { format: 'npy', header: [this.headerText], rows: this.rows };
  }

  protected parse(buf: Uint8Array, base: number, final: boolean): number {
    let pos = 0;
    const dv = view(buf);
    if (!this.fields) {
      if (buf.length < 10) return final ? this.fail(base, `expected an .npy header, found ${buf.length} bytes`) : 0;
      const magic = latin1(buf, 0, 6);
      if (magic !== MAGIC) this.fail(base, `expected the .npy magic "\\x93NUMPY", found ${JSON.stringify(magic)}`);
      const major = buf[6];
      if (major < 1 || major > 3) this.fail(base + 6, `expected .npy format version 1, 2 or 3, found ${major}`);
      const lenBytes = major === 1 ? 2 : 4;
      if (buf.length < 8 + lenBytes) return final ? this.fail(base + 8, 'header length cut short') : 0;
      const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
      if (hlen > 1 << 20) this.fail(base + 8, `header length ${hlen} is implausible`);
      const start = 8 + lenBytes;
      if (buf.length < start + hlen) return final ? this.fail(base + start, `header of ${hlen} bytes is cut short`) : 0;
      this.headerText = latin1(buf, start, start + hlen).trim();
      this.readHeader(base + start);
      pos = start + hlen;
    }
    const whole = this.fortran || !this.sensorSize;
    if (whole && !final) return pos;
    const left = this.rows - this.done;
    const have = Math.floor((buf.length - pos) / this.itemSize);
    if ((whole || final) && have < left)
      this.fail(base + pos, `expected ${left} rows of ${this.itemSize} bytes, found ${buf.length - pos} bytes`);
    const n = Math.min(have, left);
    if (!this.sensorSize) this.sensorSize = this.infer(dv, pos, n, base);
    const out = new EventBuffer(n);
    const f = this.fields!;
    for (let i = 0; i < n; i++) {
      const v = [0, 0, 0, 0];
      for (let k = 0; k < 4; k++) {
        const at = this.fortran ? pos + ((f[k].offset / f[k].size) * this.rows + i) * f[k].size : pos + i * this.itemSize + f[k].offset;
        v[k] = f[k].read(dv, at);
      }
      const at = base + pos + i * this.itemSize;
      for (let k = 0; k < 3; k++)
        if (!Number.isInteger(v[k])) this.fail(at, `row ${this.done + i}: ${f[k].name} = ${v[k]} is not a non-negative integer`);
      const t = f[3].float ? Math.trunc(v[3] * this.scale) : v[3] * this.scale;
      if (!Number.isFinite(t)) this.fail(at, `row ${this.done + i}: t = ${v[3]} is not a finite number`);
      checkEvent(this.file, at, this.sensorSize, v[0], v[1], v[2]);
      out.add(v[0], v[1], v[2], t);
    }
    this.done += n;
    this.emit(out.finish(this.sensorSize));
    const used = pos + n * this.itemSize;
    if (this.done === this.rows && used < buf.length) this.fail(base + used, `${buf.length - used} bytes after the ${this.rows} rows`);
    return used;
  }

  private fail(offset: number, msg: string): never {
    throw dataError(this.file, offset, msg);
  }

  private readHeader(at: number): void {
    const h = pyLiteral(this.headerText, (m) => this.fail(at, `header: ${m}`));
    if (typeof h !== 'object' || h === null || Array.isArray(h)) this.fail(at, 'header: expected a dict');
    const { descr, fortran_order: fortran, shape } = h as Record<string, Py>;
    if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || d < 0))
      this.fail(at, `header: bad shape ${JSON.stringify(shape)}`);
    const dims = shape as number[];
    this.fortran = fortran === true;
    const bad = (m: string) => this.fail(at, `header: ${m}`);
    const byName = new Map<string, Field>();
    if (typeof descr === 'string') {
      const s = scalar(descr, bad);
      if (dims.length !== 2 || dims[1] !== 4)
        this.fail(at, `expected a structured array or shape (N, 4), found shape (${dims.join(', ')})`);
      this.columns.forEach((name, k) => {
        byName.set(name, { name, offset: k * s.size, read: s.read, size: s.size, float: s.float });
      });
      this.itemSize = 4 * s.size;
    } else if (Array.isArray(descr)) {
      if (dims.length !== 1) this.fail(at, `expected a 1-D structured array, found shape (${dims.join(', ')})`);
      if (this.fortran) this.fail(at, 'structured arrays in Fortran order are not supported');
      let off = 0;
      for (const d of descr) {
        if (!Array.isArray(d) || d.length !== 2 || typeof d[0] !== 'string' || typeof d[1] !== 'string')
          this.fail(at, `header: unsupported field ${JSON.stringify(d)} (expected ('name', 'type'))`);
        const [name, type] = d as [string, string];
        const pad = /^\|V(\d+)$/.exec(type);
        if (pad) {
          off += Number(pad[1]);
          continue;
        }
        const s = scalar(type, bad);
        byName.set(name, { name, offset: off, read: s.read, size: s.size, float: s.float });
        off += s.size;
      }
      this.itemSize = off;
    } else this.fail(at, `header: bad descr ${JSON.stringify(descr)}`);
    const f = (['x', 'y', 'p', 't'] as const).map((n) => byName.get(n));
    if (f.some((x) => !x)) this.fail(at, `expected fields x, y, p and t, found ${[...byName.keys()].join(', ')}`);
    this.fields = f as Field[];
    this.rows = dims[0];
    if (this.itemSize <= 0) this.fail(at, 'header: zero-size rows');
  }

  private infer(dv: DataView, pos: number, n: number, base: number): SensorSize {
    const max = [0, 0, 1];
    const f = this.fields!;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < 3; k++) {
        const at = this.fortran ? pos + ((f[k].offset / f[k].size) * this.rows + i) * f[k].size : pos + i * this.itemSize + f[k].offset;
        const v = f[k].read(dv, at);
        if (!Number.isInteger(v) || v < 0 || v > 65535)
          this.fail(base + pos + i * this.itemSize, `row ${i}: ${f[k].name} = ${v} is not an integer in 0..65535`);
        max[k] = Math.max(max[k], v);
      }
    }
    if (max[2] > 255) this.fail(base + pos, `polarity ${max[2]} is above 255`);
    return [max[0] + 1, max[1] + 1, Math.max(2, max[2] + 1)];
  }
}

/** Reads a whole `.npy` event array from its bytes. */
export function readNpy(bytes: Uint8Array, opts: NpyOptions = {}): Events {
  return decodeAll(new NpyDecoder(opts), bytes);
}
