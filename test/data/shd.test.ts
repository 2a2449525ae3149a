import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, DownloadError } from '../../src/core/errors.js';
import { gatherBatch } from '../../src/train/trainer.js';
import { writeH5 } from '../../src/nir/h5.js';
import { halfToFloat, loadShd, readShd, SHD_CHANNELS, shdFrames } from '../../src/data/shd.js';

const dir = resolve(__dirname, '..', 'fixtures', 'shd');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<
  string,
  { count: number; timesSum: number; unitsSum: number; firstTimes: number[]; labels: number[] }
>;
const tmp = () => mkdtempSync(join(tmpdir(), 'sf-shd-'));
const read = (name: string) => readShd(new Uint8Array(readFileSync(join(dir, name))), name);

describe('half floats', () => {
  it('decodes normal, subnormal, zero, infinite and NaN half-precision values', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x3555)).toBeCloseTo(0.333251953125, 12);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x0000)).toBe(0);
    expect(halfToFloat(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(halfToFloat(0x7e00)).toBeNaN();
  });
});

describe('SHD HDF5 reader (files from tools/shd-fixtures.py, h5py, SHD layout)', () => {
  for (const name of ['shd_train.h5', 'shd_test.h5', 'shd_f32.h5']) {
    it(`${name}: every spike, time (float16 read from raw bytes) and label as h5py wrote them`, async () => {
      const d = await read(name);
      const e = expected[name];
      expect(d.times.length).toBe(e.count);
      expect(Array.from(d.labels)).toEqual(e.labels);
      expect(d.offsets.length).toBe(e.labels.length + 1);
      let ts = 0;
      let us = 0;
      for (let i = 0; i < d.times.length; i++) (ts += d.times[i]), (us += d.units[i]);
      expect(ts).toBeCloseTo(e.timesSum, 6);
      expect(us).toBe(e.unitsSum);
      expect(Array.from(d.times.subarray(0, 5))).toEqual(e.firstTimes.map((x) => Math.fround(x)));
      expect(d.keys?.length).toBe(20);
      expect(d.speaker?.length).toBe(e.labels.length);
    });
  }

  it('a unit beyond 699, a file that is not HDF5 or lacks the spikes is a DataError naming it', async () => {
    await expect(read('shd_bad_units.h5')).rejects.toThrow(/shd_bad_units\.h5: spikes\/units: spike 3 is on unit 700, expected 0\.\.699/);
    await expect(readShd(new Uint8Array(100), 'zeros.h5')).rejects.toThrow(DataError);
    const noSpikes = await writeH5([['labels', { kind: 'int', data: [1, 2], shape: [2] }]]);
    await expect(readShd(noSpikes, 'other.h5')).rejects.toThrow(/other\.h5: spikes\/times: missing/);
    const flat = await writeH5([
      ['spikes', { kind: 'group', children: [['times', { kind: 'float', data: new Float32Array(3), shape: [3] }]] }],
    ]);
    await expect(readShd(flat, 'flat.h5')).rejects.toThrow(/flat\.h5: spikes\/times: expected a 1-d dataset of variable-length arrays/);
  });

  it('bins spikes into [T, 700] counts from t = 0 (later spikes dropped)', async () => {
    const d = await read('shd_test.h5');
    const set = shdFrames(d, { steps: 4, frameWindow: 250_000 });
    expect(set.frameFeatures).toBe(SHD_CHANNELS);
    const { x } = gatherBatch(set, [0], 0, 1);
    const t = d.times.subarray(0, d.offsets[1]);
    const u = d.units.subarray(0, d.offsets[1]);
    const k = 7;
    const bin = Math.floor(Math.round(t[k] * 1e6) / 250_000);
    let want = 0;
    for (let i = 0; i < t.length; i++) if (Math.floor(Math.round(t[i] * 1e6) / 250_000) === bin && u[i] === u[k]) want++;
    expect(x.data[bin * SHD_CHANNELS + u[k]]).toBe(want);
    const inSpan = Array.from(t).filter((v) => Math.round(v * 1e6) < 1_000_000).length;
    expect(x.data.reduce((a, v) => a + v, 0)).toBe(inSpan);
  });
});

describe('SHD download (a local HTTP server, never the internet)', () => {
  let server: Server;
  let base = '';
  const gz = {
    'shd_train.h5.gz': gzipSync(readFileSync(join(dir, 'shd_train.h5'))),
    'shd_test.h5.gz': gzipSync(readFileSync(join(dir, 'shd_test.h5'))),
  };
  const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
  let sums = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      const name = (req.url ?? '').split('/').pop() ?? '';
      const body = name === 'md5sums.txt' ? Buffer.from(sums) : (gz as Record<string, Uint8Array>)[name];
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/datasets/`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('checks each .gz against md5sums.txt, unpacks it into the cache; then reads the cache', async () => {
    sums = Object.entries(gz)
      .map(([n, b]) => `${md5(b)}  ${n}`)
      .join('\n');
    const cacheDir = tmp();
    const seen: string[] = [];
    const d = await loadShd({ cacheDir, baseUrl: base, steps: 5, onProgress: (e) => seen.push(e.file) });
    expect(d.source).toBe('download');
    expect([d.train.n, d.test.n]).toEqual([16, 8]);
    expect(seen).toContain('shd_test.h5.gz');
    expect(readdirSync(join(cacheDir, 'shd')).sort()).toEqual(['shd_test.h5', 'shd_train.h5']);
    expect((await loadShd({ cacheDir, steps: 5, download: false })).source).toBe('cache');
  });

  it('a checksum mismatch is a DownloadError and leaves no file behind', async () => {
    sums = `${'f'.repeat(32)}  shd_train.h5.gz\n${md5(gz['shd_test.h5.gz'])}  shd_test.h5.gz\n`;
    const cacheDir = tmp();
    const err = await loadShd({ cacheDir, baseUrl: base, steps: 5 }).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toMatch(/shd_train\.h5\.gz: md5 mismatch for shd_train\.h5\.gz: expected f{32}, found [0-9a-f]{32}/);
    expect(readdirSync(join(cacheDir, 'shd'))).toEqual([]);
  });

  it('reads a --data-dir with the .gz files as they are published', async () => {
    const d = tmp();
    for (const [n, b] of Object.entries(gz)) writeFileSync(join(d, n), b);
    const r = await loadShd({ dataDir: d, steps: 3, trainLimit: 5 });
    expect([r.train.n, r.test.n]).toEqual([5, 8]);
    await expect(loadShd({ dataDir: tmp(), steps: 3 })).rejects.toThrow(/missing shd_test\.h5 \(or shd_test\.h5\.gz\)/);
  });
});
