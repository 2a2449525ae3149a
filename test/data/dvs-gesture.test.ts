// DVS Gesture: Tonic's layout (test/fixtures/dvs-gesture, made by tools/dvs-gesture-fixture.mjs), frames
// checked against a direct count from the .npy rows, the tar.gz extractor, and the download path against
// a local HTTP server (never the internet).
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, DownloadError } from '../../src/core/errors.js';
import { DVS_GESTURE_FRAME, loadDvsGesture, parseGestureLabels } from '../../src/data/dvs-gesture.js';
import { readAedat3 } from '../../src/events/aedat.js';
import { extractTarGz } from '../../src/data/tar.js';
import { cases, contractBreach, fuzz, LONG, mutateBytes, report, TIMEOUT } from '../fuzz/harness.js';

const FIXTURE = resolve(__dirname, '..', 'fixtures', 'dvs-gesture');
const tmp = () => mkdtempSync(join(tmpdir(), 'sf-gesture-'));

/** The rows of an (N, 4) little-endian int32 .npy (the fixture's files), read directly. */
function npyRows(path: string): number[][] {
  const b = readFileSync(path);
  const hl = b.readUInt16LE(8);
  const rows: number[][] = [];
  for (let o = 10 + hl; o < b.length; o += 16) rows.push([0, 4, 8, 12].map((k) => b.readInt32LE(o + k)));
  return rows;
}

/** A ustar archive (names under 100 bytes as is; longer ones by a GNU 'L' entry or a pax 'x' header). */
function tar(entries: { name: string; data?: Uint8Array; type?: string; long?: 'gnu' | 'pax' }[]): Uint8Array {
  const blocks: Uint8Array[] = [];
  const header = (name: string, size: number, type: string) => {
    const h = new Uint8Array(512);
    const put = (s: string, at: number) => {
      for (let i = 0; i < s.length; i++) h[at + i] = s.charCodeAt(i);
    };
    put(name.slice(0, 99), 0);
    put('0000644\0', 100);
    put('0000000\0', 108);
    put('0000000\0', 116);
    put(`${size.toString(8).padStart(11, '0')}\0`, 124);
    put('00000000000\0', 136);
    put('        ', 148);
    put(type, 156);
    put('ustar\0', 257);
    put('00', 263);
    let sum = 0;
    for (const v of h) sum += v;
    put(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    return h;
  };
  const add = (name: string, data: Uint8Array, type: string) => {
    blocks.push(header(name, data.length, type), data, new Uint8Array((512 - (data.length % 512)) % 512));
  };
  for (const e of entries) {
    const data = e.data ?? new Uint8Array(0);
    if (e.long === 'gnu') add('././@LongLink', new TextEncoder().encode(`${e.name}\0`), 'L');
    if (e.long === 'pax') {
      const rec = (len: number) => `${len} path=${e.name}\n`;
      let len = rec(0).length;
      while (rec(len).length !== len) len = rec(len).length;
      add('PaxHeader', new TextEncoder().encode(rec(len)), 'x');
    }
    add(e.long ? 'x'.repeat(99) : e.name, data, e.type ?? '0');
  }
  blocks.push(new Uint8Array(1024));
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of blocks) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** The fixture's folder as a tar.gz of `folder`/... entries. */
function fixtureArchive(folder: string): Uint8Array {
  const entries: { name: string; data?: Uint8Array; type?: string }[] = [{ name: `${folder}/`, type: '5' }];
  for (const u of readdirSync(join(FIXTURE, folder)).sort())
    for (const f of readdirSync(join(FIXTURE, folder, u)).sort())
      entries.push({ name: `${folder}/${u}/${f}`, data: readFileSync(join(FIXTURE, folder, u, f)) });
  return gzipSync(tar(entries));
}

describe("DVS Gesture in Tonic's layout", () => {
  it('reads every sample with its class (folder, then class order), 32x32x2 frames counted as Downsample(0.25) + ToFrame', async () => {
    const steps = 4;
    const d = await loadDvsGesture({ dataDir: FIXTURE, steps });
    expect([d.train.n, d.test.n]).toEqual([22, 11]);
    expect(Array.from(d.train.labels)).toEqual([...Array(11).keys(), ...Array(11).keys()]);
    expect(d.train.frameFeatures).toBe(DVS_GESTURE_FRAME);
    // test sample 5 (user24_natural/5.npy), counted from its rows: x >> 2, y >> 2, n_time_bins over its span
    const rows = npyRows(join(FIXTURE, 'ibmGestureTest', 'user24_natural', '5.npy'));
    const t0 = rows[0][3] * 1000;
    const window = Math.floor((rows[rows.length - 1][3] * 1000 - t0) / steps);
    const want = new Float32Array(steps * DVS_GESTURE_FRAME);
    for (const [x, y, p, tms] of rows) {
      const bin = Math.floor((tms * 1000 - t0) / window);
      if (bin < steps) want[bin * DVS_GESTURE_FRAME + ((y >> 2) * 32 + (x >> 2)) * 2 + p]++;
    }
    const got = new Float32Array(steps * DVS_GESTURE_FRAME);
    d.test.row(5, got, 0);
    expect(Array.from(got)).toEqual(Array.from(want));
    expect(got.reduce((a, b) => a + b, 0)).toBeGreaterThan(150);
  });

  it("--frame-window frames start at each sample's first event; a bad folder is a DataError", async () => {
    const d = await loadDvsGesture({ dataDir: FIXTURE, steps: 3, frameWindow: 100_000, testOnly: true });
    const rows = npyRows(join(FIXTURE, 'ibmGestureTest', 'user24_natural', '0.npy'));
    const got = new Float32Array(3 * DVS_GESTURE_FRAME);
    d.test.row(0, got, 0);
    const t0 = rows[0][3];
    const inWindows = rows.filter((r) => r[3] - t0 < 300).length;
    expect(got.reduce((a, b) => a + b, 0)).toBe(inWindows);
    expect(d.train.n).toBe(0);
    await expect(loadDvsGesture({ dataDir: tmp(), steps: 3 })).rejects.toThrow(/expected ibmGestureTrain\/<user>_<lighting>\/<class>\.npy/);
    const bad = tmp();
    writeFileSync(join(bad, 'x'), '');
    const dir = join(bad, 'ibmGestureTest', 'user01_led');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '12.npy'), '');
    await expect(loadDvsGesture({ dataDir: bad, steps: 3, testOnly: true })).rejects.toThrow(DataError);
    await expect(loadDvsGesture({ dataDir: bad, steps: 3, testOnly: true })).rejects.toThrow(/class 0\.\.10, found 12\.npy/);
  });
});

describe("DVS Gesture in IBM's release layout (AEDAT 3.1 recordings cut by their label files)", () => {
  const OFFICIAL = resolve(__dirname, '..', 'fixtures', 'dvs-gesture-official');
  it('cuts each listed recording into its gestures (start <= t < end), classes 1..11 as 0..10, frames by a direct count', async () => {
    const steps = 3;
    const d = await loadDvsGesture({ dataDir: OFFICIAL, steps });
    expect(d.layout).toBe('official');
    expect(Array.from(d.train.labels)).toEqual([0, 4, 10]);
    expect(Array.from(d.test.labels)).toEqual([2, 7]);
    const ev = readAedat3(new Uint8Array(readFileSync(join(OFFICIAL, 'DvsGesture', 'user01_fluorescent.aedat'))));
    const cuts = [
      [202, 8000],
      [8000, 15000],
      [15000, 22733],
    ];
    cuts.forEach(([a, b], k) => {
      const idx = [...ev.t.keys()].filter((i) => ev.t[i] >= a && ev.t[i] < b);
      const t0 = ev.t[idx[0]];
      const window = Math.floor((ev.t[idx[idx.length - 1]] - t0) / steps);
      const want = new Float32Array(steps * DVS_GESTURE_FRAME);
      for (const i of idx) {
        const bin = Math.floor((ev.t[i] - t0) / window);
        if (bin < steps) want[bin * DVS_GESTURE_FRAME + ((ev.y[i] >> 2) * 32 + (ev.x[i] >> 2)) * 2 + ev.p[i]]++;
      }
      const got = new Float32Array(steps * DVS_GESTURE_FRAME);
      d.train.row(k, got, 0);
      expect(Array.from(got)).toEqual(Array.from(want));
      expect(idx.length).toBeGreaterThan(10);
    });
  });

  it('label files: a header, CRLF; bad rows are DataErrors naming the file and line', () => {
    expect(parseGestureLabels('class,startTime_usec,endTime_usec\r\n3,10,20\r\n11,20,30\r\n', 'a.csv')).toEqual([
      { label: 2, start: 10, end: 20 },
      { label: 10, start: 20, end: 30 },
    ]);
    expect(() => parseGestureLabels('class,s,e\n12,1,2\n', 'a.csv')).toThrow(/a\.csv: line 2: class 12, expected 1\.\.11/);
    expect(() => parseGestureLabels('class,s,e\n1,5,2\n', 'a.csv')).toThrow(/line 2: the gesture ends \(2\) before it starts \(5\)/);
    expect(() => parseGestureLabels('1;2;3\n', 'a.csv')).toThrow(DataError);
    expect(() => parseGestureLabels('class,s,e\n', 'a.csv')).toThrow(/no gestures listed/);
  });
});

describe('tar.gz extraction', () => {
  it('extracts files (long GNU and pax names, one spanning many gzip chunks), skips directories, keeps what keep accepts', async () => {
    const big = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251);
    const longName = `top/${'d'.repeat(120)}/deep.npy`;
    const paxName = `top/${'p'.repeat(110)}/pax.npy`;
    const archive = join(tmp(), 'a.tar.gz');
    writeFileSync(
      archive,
      gzipSync(
        tar([
          { name: 'top/', type: '5' },
          { name: 'top/a.npy', data: Uint8Array.of(1, 2, 3) },
          { name: 'top/skip.txt', data: Uint8Array.of(9) },
          { name: 'top/big.npy', data: big },
          { name: longName, data: Uint8Array.of(4), long: 'gnu' },
          { name: paxName, data: Uint8Array.of(5, 6), long: 'pax' },
        ]),
      ),
    );
    const dest = tmp();
    const n = await extractTarGz(archive, dest, { keep: (s) => s.endsWith('.npy') });
    expect(n).toBe(4);
    expect(Array.from(readFileSync(join(dest, 'top', 'a.npy')))).toEqual([1, 2, 3]);
    expect(readFileSync(join(dest, 'top', 'big.npy')).equals(Buffer.from(big))).toBe(true);
    expect(Array.from(readFileSync(join(dest, longName)))).toEqual([4]);
    expect(Array.from(readFileSync(join(dest, paxName)))).toEqual([5, 6]);
    const files = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(d, e.name)) : [relative(dest, join(d, e.name))],
      );
    expect(files(dest).length).toBe(4);
  });

  it('a path outside the folder, a damaged header, a cut archive and corrupt gzip are DataErrors naming the archive', async () => {
    const dir = tmp();
    const write = (name: string, bytes: Uint8Array) => {
      writeFileSync(join(dir, name), bytes);
      return join(dir, name);
    };
    const evil = write('evil.tar.gz', gzipSync(tar([{ name: '../evil.npy', data: Uint8Array.of(1) }])));
    await expect(extractTarGz(evil, tmp())).rejects.toThrow(
      /evil\.tar\.gz: at tar byte 0: entry "\.\.\/evil\.npy" would be written outside/,
    );
    const raw = tar([
      { name: 'a.npy', data: Uint8Array.of(1) },
      { name: 'b.npy', data: Uint8Array.of(2) },
    ]);
    const damaged = raw.slice();
    damaged[1024 + 3] ^= 0xff; // the second header's name
    await expect(extractTarGz(write('bad.tar.gz', gzipSync(damaged)), tmp())).rejects.toThrow(/at tar byte 1024: bad header checksum/);
    await expect(extractTarGz(write('cut.tar.gz', gzipSync(raw.slice(0, 1100))), tmp())).rejects.toThrow(/ends inside an entry/);
    const gz = gzipSync(raw);
    gz[20] ^= 0xff;
    await expect(extractTarGz(write('corrupt.tar.gz', gz), tmp())).rejects.toThrow(DataError);
  });
});

describe('tar.gz extraction on hostile bytes', () => {
  const N = cases(200);
  it(
    `${N} seeded damaged archives (the tar damaged before gzip, or the gzip bytes): files or a DataError naming the archive${LONG ? ' (long)' : ''}`,
    async () => {
      const dir = tmp();
      const raw = tar([
        { name: 'g/', type: '5' },
        { name: 'g/u1/0.npy', data: readFileSync(join(FIXTURE, 'ibmGestureTest', 'user24_natural', '0.npy')) },
        { name: `g/${'l'.repeat(120)}.npy`, data: Uint8Array.of(1, 2), long: 'gnu' },
        { name: `g/${'p'.repeat(120)}.npy`, data: Uint8Array.of(3), long: 'pax' },
        { name: 'g/u1/1.npy', data: Uint8Array.of(4, 5, 6) },
      ]);
      const s = await fuzz(
        9300,
        N,
        (rng, i) => {
          const bytes = i % 2 ? gzipSync(mutateBytes(rng, raw.slice())) : mutateBytes(rng, gzipSync(raw));
          const path = join(dir, `case${i}.tar.gz`);
          writeFileSync(path, bytes);
          return { label: `case${i}.tar.gz`, path, dest: join(dir, `out${i}`) };
        },
        (c) => extractTarGz(c.path, c.dest),
        (c, o) => contractBreach(o, [c.label]),
      );
      console.log(report('tar.gz', s));
      expect(s.failures).toEqual([]);
      expect(s.cases - s.ok).toBeGreaterThan(N / 10);
    },
    TIMEOUT,
  );
});

describe('DVS Gesture download (a local HTTP server, never the internet)', () => {
  let server: Server;
  let base = '';
  const bodies: Record<string, Uint8Array> = {
    '/train': fixtureArchive('ibmGestureTrain'),
    '/test': fixtureArchive('ibmGestureTest'),
  };
  const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
  const archives = (bad = false) => ({
    train: { url: `${base}/train`, md5: md5(bodies['/train']) },
    test: { url: `${base}/test`, md5: bad ? 'f'.repeat(32) : md5(bodies['/test']) },
  });
  beforeAll(async () => {
    server = createServer((req, res) => {
      const body = bodies[req.url ?? ''];
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('downloads both archives with progress, checks their MD5, extracts them; the next load reads the cache', async () => {
    const cacheDir = tmp();
    const seen: string[] = [];
    const d = await loadDvsGesture({
      cacheDir,
      archives: archives(),
      steps: 4,
      onProgress: (e) => seen.push(`${e.file}:${e.loaded}/${e.total}`),
    });
    expect(d.source).toBe('download');
    expect([d.train.n, d.test.n]).toEqual([22, 11]);
    const n = bodies['/train'].length;
    expect(seen).toContain(`ibmGestureTrain.tar.gz:${n}/${n}`);
    expect(readdirSync(join(cacheDir, 'dvs-gesture')).sort()).toEqual(['ibmGestureTest', 'ibmGestureTrain']);
    const again = await loadDvsGesture({ cacheDir, steps: 4, download: false });
    expect(again.source).toBe('cache');
    const local = await loadDvsGesture({ dataDir: FIXTURE, steps: 4 });
    const a = new Float32Array(4 * DVS_GESTURE_FRAME);
    const b = new Float32Array(4 * DVS_GESTURE_FRAME);
    again.train.row(13, a, 0);
    local.train.row(13, b, 0);
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('a checksum mismatch is a DownloadError and keeps no file; offline with an empty cache says what to do', async () => {
    const cacheDir = tmp();
    const err = await loadDvsGesture({ cacheDir, archives: archives(true), steps: 4 }).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toMatch(/md5 mismatch for ibmGestureTest\.tar\.gz: expected f{32}/);
    expect(readdirSync(join(cacheDir, 'dvs-gesture'))).toEqual(['ibmGestureTrain']);
    await expect(loadDvsGesture({ cacheDir: tmp(), steps: 4, download: false })).rejects.toThrow(
      /dvs-gesture not found: .*downloads disabled/,
    );
  });
});
