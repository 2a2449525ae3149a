import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Rng } from '../../src/core/rng.js';
import { parseIdx } from '../../src/data/idx.js';
import { loadMnist } from '../../src/data/mnist.js';
import { TIMEOUT, cases, contractBreach, fuzz, mutateBytes, pick, report } from './harness.js';

/** An IDX file: magic 00 00 <type> <ndims>, big-endian u32 dimensions, then the data. */
function idx(dims: number[], data: ArrayLike<number>, type = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out.set([0, 0, type, dims.length]);
  dims.forEach((d, i) => new DataView(out.buffer).setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

const bytes = (rng: Rng, n: number, hi = 256) => Uint8Array.from({ length: n }, () => rng.int(hi));
const U32: readonly number[] = [0, 1, 2, 3, 27, 28, 29, 255, 256, 65535, 65536, 2 ** 24, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1];

/** A header field set to a hostile value: a dimension, the type byte or the dimension count. */
function mutateHeader(rng: Rng, b: Uint8Array): Uint8Array {
  const out = b.slice();
  const ndims = out.length > 3 ? out[3] : 0;
  const roll = rng.int(3);
  if (roll === 0 && ndims > 0 && out.length >= 8) {
    const d = rng.int(Math.min(ndims, Math.floor((out.length - 4) / 4)));
    new DataView(out.buffer).setUint32(4 + 4 * d, pick(rng, U32), false);
  } else if (roll === 1 && out.length > 2) out[2] = pick(rng, [0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e, 0x00, 0x07, 0xff, rng.int(256)]);
  else if (out.length > 3) out[3] = pick(rng, [0, 1, 2, 3, 4, 5, 8, 255]);
  return out;
}

function idxCase(rng: Rng): { label: string; data: Uint8Array } {
  const seeds = [
    () => idx([3, 28, 28], bytes(rng, 3 * 784)),
    () => idx([5], bytes(rng, 5, 10)),
    () => idx([2, 3, 4, 5], bytes(rng, 120)),
    () => idx([0], []),
    () => idx([4, 2], bytes(rng, 8), 0x0d),
  ];
  let data = pick(rng, seeds)();
  const what: string[] = [];
  for (let k = 1 + rng.int(2); k > 0; k--) {
    if (rng.uniform() < 0.5) {
      data = mutateHeader(rng, data);
      what.push('header field');
    } else {
      data = mutateBytes(rng, data, rng.uniform() < 0.6 ? [0, Math.min(data.length, 24)] : [0, data.length]);
      what.push('bytes');
    }
  }
  if (rng.uniform() < 0.05) {
    data = gzipSync(data);
    what.push('still gzipped');
  }
  return { label: what.join(', '), data };
}

const FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

describe('fuzz: IDX', () => {
  it(
    `parseIdx: ${cases(2000)} mutated files: DataErrors naming the file, or dimensions that match the data`,
    async () => {
      const FILE = 'data/train-images-idx3-ubyte';
      const s = await fuzz(
        3,
        cases(2000),
        (rng) => idxCase(rng),
        (c) => {
          const { dims, data } = parseIdx(c.data, FILE);
          if (data.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`dims [${dims}] but ${data.length} bytes`);
        },
        (_c, o) => contractBreach(o, [FILE]),
      );
      console.log(report('parseIdx', s));
      expect(s.failures).toEqual([]);
      expect(s.ok).toBeGreaterThan(s.cases / 50);
      expect(s.maxMs).toBeLessThan(2000);
    },
    TIMEOUT,
  );

  it(
    `loadMnist from a folder: ${cases(2000)} cases of raw and gzip files, one mutated (or a folder in its place)`,
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sf-fuzz-idx-'));
      try {
        const s = await fuzz(
          4,
          cases(2000),
          (rng) => {
            rmSync(dir, { recursive: true, force: true });
            mkdirSync(dir);
            const n = 1 + rng.int(3);
            const good = [
              idx([n, 28, 28], bytes(rng, n * 784)),
              idx([n], bytes(rng, n, 10)),
              idx([n, 28, 28], bytes(rng, n * 784)),
              idx([n], bytes(rng, n, 10)),
            ];
            const target = rng.int(4);
            const gz = FILES.map(() => rng.uniform() < 0.5);
            let label = `${FILES[target]}${gz[target] ? '.gz' : ''}: `;
            const roll = rng.uniform();
            FILES.forEach((f, i) => {
              let b = good[i];
              const path = join(dir, gz[i] ? `${f}.gz` : f);
              if (i === target && roll < 0.03) {
                mkdirSync(path);
                return;
              }
              if (i === target && roll < 0.65) b = rng.uniform() < 0.5 ? mutateHeader(rng, b) : mutateBytes(rng, b, [0, 24]);
              if (gz[i]) b = gzipSync(b);
              if (i === target && roll >= 0.65 && roll < 0.9) b = mutateBytes(rng, b, gz[i] ? [0, b.length] : [0, b.length]);
              writeFileSync(path, b);
            });
            label += roll < 0.03 ? 'a folder' : roll < 0.65 ? 'IDX mutated' : roll < 0.9 ? 'file bytes mutated' : 'unchanged';
            return { label };
          },
          async () => {
            const { train, test } = await loadMnist({ dataset: 'mnist', dataDir: dir, download: false });
            for (const sp of [train, test]) {
              if (sp.images.length !== sp.n * 784 || sp.labels.length !== sp.n || sp.labels.some((y) => y > 9))
                throw new Error('inconsistent split');
            }
          },
          (_c, o) => contractBreach(o, [dir]),
        );
        console.log(report('loadMnist', s));
        expect(s.failures).toEqual([]);
        expect(s.ok).toBeGreaterThan(s.cases / 20);
        expect(s.maxMs).toBeLessThan(2000);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    TIMEOUT,
  );
});
