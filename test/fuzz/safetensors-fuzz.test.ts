import { describe, expect, it } from 'vitest';
import type { Rng } from '../../src/core/rng.js';
import { decodeSafetensors, encodeSafetensors, readSafetensorsHeader, type SafeTensorInput } from '../../src/interop/safetensors.js';
import { HOSTILE, TIMEOUT, cases, contractBreach, fuzz, mutateBytes, pick, report } from './harness.js';

const FILE = 'weights/model.safetensors';

/** A valid file of a few tensors of every dtype and shape kind (scalar, empty, matrix), with or without metadata. */
function seed(rng: Rng): Uint8Array {
  const tensors: Record<string, SafeTensorInput> = {};
  const n = 1 + rng.int(4);
  for (let k = 0; k < n; k++) {
    const shape = pick(rng, [[], [0], [3], [2, 3], [1, 2, 2], [4, 0, 2]]);
    const count = shape.reduce((a, b) => a * b, 1);
    const dtype = pick(rng, ['F32', 'I32', 'U8'] as const);
    const data =
      dtype === 'F32'
        ? Float32Array.from({ length: count }, () => rng.normal())
        : dtype === 'I32'
          ? Int32Array.from({ length: count }, () => rng.nextU32() | 0)
          : Uint8Array.from({ length: count }, () => rng.int(256));
    tensors[pick(rng, [`${k}.weight`, `layer${k}`, `t${k}`])] = { dtype, shape, data } as SafeTensorInput;
  }
  return encodeSafetensors(tensors, rng.uniform() < 0.5 ? { format: 'pt', note: 'x' } : undefined);
}

/** Rewrites the header: a field of one entry set to a hostile value, an entry removed, renamed or added, or the whole header replaced. */
function mutateHeader(rng: Rng, b: Uint8Array): Uint8Array {
  const hlen = b.length >= 8 ? Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true)) : Infinity;
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + hlen))) as Record<string, unknown>;
    if (typeof header !== 'object' || header === null) throw new Error('not an object');
  } catch {
    return mutateBytes(rng, b); // an earlier mutation broke the header
  }
  const names = Object.keys(header);
  const name = names.length ? pick(rng, names) : 'x';
  const entry = header[name] as Record<string, unknown> | undefined;
  let replaced: unknown = header;
  switch (rng.int(7)) {
    case 0:
    case 1:
    case 2:
      if (entry && typeof entry === 'object') {
        const field = pick(rng, ['dtype', 'shape', 'data_offsets', 'extra']);
        entry[field] = pick(rng, [
          ...HOSTILE,
          'F16',
          'BF16',
          'f32',
          'I64',
          [2 ** 53],
          [-1],
          [1.5],
          ['2'],
          [1e308, 1e308],
          [0, 2 ** 53],
          [5, 3],
          [0, 1e308],
          [-1, 0],
          [0],
        ]);
      }
      break;
    case 3:
      delete header[name];
      break;
    case 4:
      Object.defineProperty(header, pick(rng, ['__proto__', '__metadata__', 'constructor', 'toString', '']), {
        value: entry ?? pick(rng, HOSTILE),
        enumerable: true,
      });
      break;
    case 5:
      header.__metadata__ = pick(rng, [null, {}, { a: 1 }, { a: null }, ['x'], 'meta', { format: 'pt' }]);
      break;
    default:
      replaced = pick(rng, [[], 5, 'text', null, true]);
  }
  const text = new TextEncoder().encode(JSON.stringify(replaced) + ' '.repeat(rng.int(9)));
  const data = b.subarray(8 + hlen);
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

function mutateLength(rng: Rng, b: Uint8Array): Uint8Array {
  if (b.length < 8) return mutateBytes(rng, b);
  const out = b.slice();
  const hlen = Number(new DataView(out.buffer).getBigUint64(0, true));
  const v = pick(rng, [
    0n,
    1n,
    2n,
    BigInt(hlen - 1),
    BigInt(hlen + 1),
    BigInt(out.length),
    BigInt(out.length - 8),
    100_000_001n,
    2n ** 32n,
    2n ** 53n,
    2n ** 63n,
    2n ** 64n - 1n,
  ]);
  new DataView(out.buffer).setBigUint64(0, v < 0n ? 0n : v, true);
  return out;
}

describe('fuzz: safetensors', () => {
  it(
    `${cases(2000)} mutated files: DataErrors naming the file, or tensors that agree with their shapes and encode back to the same file`,
    async () => {
      const s = await fuzz(
        5,
        cases(2000),
        (rng) => {
          let data = seed(rng);
          const what: string[] = [];
          for (let k = 1 + rng.int(2); k > 0; k--) {
            const roll = rng.uniform();
            if (roll < 0.45) [data, what[what.length]] = [mutateHeader(rng, data), 'header'];
            else if (roll < 0.6) [data, what[what.length]] = [mutateLength(rng, data), 'length field'];
            else [data, what[what.length]] = [mutateBytes(rng, data), 'bytes'];
          }
          return { label: what.join(', '), data };
        },
        (c) => {
          const header = readSafetensorsHeader(c.data, FILE);
          const { tensors, metadata } = decodeSafetensors(c.data, FILE);
          for (const [name, t] of Object.entries(tensors)) {
            if (t.data.length !== t.shape.reduce((a, b) => a * b, 1) || header.entries[name]?.dtype !== t.dtype)
              throw new Error(`tensor ${name}: shape and data disagree`);
          }
          // what decodes re-encodes (names in order, the header packed) and decodes to the same tensors
          const again = decodeSafetensors(encodeSafetensors(tensors, Object.keys(metadata).length ? metadata : undefined), FILE);
          for (const [name, t] of Object.entries(tensors)) {
            const u = again.tensors[name];
            if (!u || u.dtype !== t.dtype || u.shape.join() !== t.shape.join() || !u.data.every((x, i) => Object.is(x, t.data[i])))
              throw new Error(`tensor ${name} does not round-trip`);
          }
        },
        (_c, o) => contractBreach(o, [FILE]),
      );
      console.log(report('safetensors', s));
      expect(s.failures).toEqual([]);
      expect(s.ok).toBeGreaterThan(s.cases / 50);
      expect(s.maxMs).toBeLessThan(2000);
    },
    TIMEOUT,
  );
});
