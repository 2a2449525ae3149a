import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError, DownloadError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { readNmnist } from '../../src/events/nmnist.js';
import { toFrame } from '../../src/events/frame.js';
import { denoise } from '../../src/events/transforms.js';
import { FrameSetBuilder, frameEncoder } from '../../src/data/frames.js';
import { loadNmnist, NMNIST_FRAME, nmnistFrames, parseLabelList } from '../../src/data/nmnist.js';
import { extractZip, ZipReader } from '../../src/data/zip.js';
import { defaultKernels } from '../../src/kernels/default.js';
import { csnnClassifier } from '../../src/nn/models.js';
import { Adam } from '../../src/train/optim.js';
import { spikingTask } from '../../src/train/task.js';
import { evaluate, gatherBatch, trainEpoch } from '../../src/train/trainer.js';
import { sharedDir } from '../helpers/fixtures.js';
import { makeZip } from './zip-helper.js';

const synth = resolve(__dirname, '..', 'fixtures', 'nmnist-synth');
const tmp = () => mkdtempSync(join(tmpdir(), 'sf-nmnist-'));
const lists = (name: string) => parseLabelList(readFileSync(join(synth, name), 'utf8'), name);

/** The synthetic samples in the official layout: Train/<digit>/<id>.bin, Test/<digit>/<id>.bin. */
function officialFiles(): Array<{ name: string; data: Uint8Array }> {
  const out: Array<{ name: string; data: Uint8Array }> = [];
  for (const [list, folder] of [
    ['train1K.txt', 'Train'],
    ['test100.txt', 'Test'],
  ]) {
    for (const { id, label } of lists(list))
      out.push({ name: `${folder}/${label}/${id.padStart(5, '0')}.bin`, data: readFileSync(join(synth, `${id}.bs2`)) });
  }
  return out;
}

describe('N-MNIST frames', () => {
  const ev = readNmnist(readFileSync(join(synth, '1.bs2')));

  it("lays Tonic's ToFrame [T, P, H, W] out channels-last [T, H, W, P] (what Conv2d reads)", () => {
    const f = nmnistFrames(ev, { steps: 5 });
    const ref = toFrame(ev, { nTimeBins: 5 }).data;
    expect(f.length).toBe(5 * NMNIST_FRAME);
    for (const [t, p, y, x] of [
      [0, 0, 3, 7],
      [2, 1, 10, 20],
      [4, 1, 33, 33],
    ])
      expect(f[t * NMNIST_FRAME + (y * 34 + x) * 2 + p]).toBe(ref[t * NMNIST_FRAME + p * 34 * 34 + y * 34 + x]);
    let a = 0;
    let b = 0;
    for (let i = 0; i < f.length; i++) (a += f[i]), (b += ref[i]);
    expect(a).toBe(b);
    expect(a).toBeGreaterThan(100);
  });

  it('--frame-window: steps frames of W us from t = 0, later events dropped; denoise before framing', () => {
    const f = nmnistFrames(ev, { steps: 4, frameWindow: 20_000 });
    const inWindow = Array.from(ev.t).filter((t) => t < 80_000).length;
    expect(f.reduce((s, v) => s + v, 0)).toBe(inWindow);
    const d = nmnistFrames(ev, { steps: 4, denoise: 5000 });
    expect(d.reduce((s, v) => s + v, 0)).toBe(toFrame(denoise(ev, 5000), { nTimeBins: 4 }).data.reduce((s, v) => s + v, 0));
  });

  it('a FrameSet gives back each dense row; the encoder makes the time-major sequence', () => {
    const b = new FrameSetBuilder(3, 4);
    b.add([0, 1, 0, 2, 0, 0, 0, 0, 5, 0, 0, 7], 1);
    b.add([9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 0);
    const set = b.finish();
    expect(set.stored).toBe(6);
    const { x, y } = gatherBatch(set, [1, 0], 0, 2);
    expect(Array.from(y)).toEqual([0, 1]);
    expect(Array.from(x.data)).toEqual([9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 2, 0, 0, 0, 0, 5, 0, 0, 7]);
    const seq = frameEncoder(3)(x, new Rng(0));
    expect(seq.x.shape).toEqual([3, 2, 4]);
    expect(Array.from(seq.x.data.subarray(0, 8))).toEqual([9, 0, 0, 0, 0, 1, 0, 2]);
    expect(Array.from(seq.x.data.subarray(16))).toEqual([0, 0, 0, 1, 5, 0, 0, 7]);
  });
});

describe('N-MNIST folders', () => {
  it('reads the nmnist-small layout and the official one (same samples, ordered by id, same frames)', async () => {
    const small = await loadNmnist({ dataDir: synth, steps: 6 });
    expect(small.layout).toBe('nmnist-small');
    expect([small.train.n, small.test.n]).toEqual([24, 12]);
    const dir = tmp();
    for (const f of officialFiles()) {
      mkdirSync(join(dir, f.name, '..'), { recursive: true });
      writeFileSync(join(dir, f.name), f.data);
    }
    const off = await loadNmnist({ dataDir: dir, steps: 6, trainLimit: 10 });
    expect(off.layout).toBe('official');
    expect(off.train.n).toBe(10);
    expect(Array.from(off.train.labels)).toEqual(Array.from(small.train.labels.subarray(0, 10)));
    const a = gatherBatch(small.test, [0, 5, 11], 0, 3).x.data;
    const b = gatherBatch(off.test, [0, 5, 11], 0, 3).x.data;
    expect(Array.from(b)).toEqual(Array.from(a));
    // into a reused array (the trainer's): rows made on demand land on zeros, as in a fresh one
    const reused = new Float32Array(4 * small.test.features).fill(7);
    const c = gatherBatch(small.test, [0, 5, 11], 0, 3, reused).x.data;
    expect(c.buffer).toBe(reused.buffer);
    expect(Array.from(c)).toEqual(Array.from(a));
  });

  it('a missing file, a bad label list or an unknown folder is a DataError naming the file', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'train1K.txt'), '#sample #class\r\n1\t5\r\n');
    writeFileSync(join(dir, 'test100.txt'), '#sample #class\n60001\t7\n');
    await expect(loadNmnist({ dataDir: dir, steps: 4 })).rejects.toThrow(
      /60001\.bs2: sample 60001 is listed in test100\.txt but its file is missing/,
    );
    writeFileSync(join(dir, 'test100.txt'), '#sample #class\n60001 seven\n');
    await expect(loadNmnist({ dataDir: dir, steps: 4 })).rejects.toThrow(/test100\.txt: line 2: expected "<sample id> <class>"/);
    const empty = tmp();
    await expect(loadNmnist({ dataDir: empty, steps: 4 })).rejects.toThrow(DataError);
    await expect(loadNmnist({ dataDir: empty, steps: 4 })).rejects.toThrow(/train1K\.txt and test100\.txt .* or Train\/<digit>/);
    const trunc = tmp();
    writeFileSync(join(trunc, 'train1K.txt'), '1 0\n');
    writeFileSync(join(trunc, 'test100.txt'), '2 1\n');
    writeFileSync(join(trunc, '1.bs2'), readFileSync(join(synth, '1.bs2')));
    writeFileSync(join(trunc, '2.bs2'), readFileSync(join(synth, '2.bs2')).subarray(0, 7));
    await expect(loadNmnist({ dataDir: trunc, steps: 4 })).rejects.toThrow(/2\.bs2/);
  });
});

describe('zip reader', () => {
  it('extracts stored and deflated entries; a damaged entry or a path outside the folder is a DataError', async () => {
    const dir = tmp();
    const data = new Uint8Array(3000).map((_, i) => (i * 7) % 13);
    const zip = join(dir, 'a.zip');
    writeFileSync(
      zip,
      makeZip([
        { name: 'x/a.bin', data },
        { name: 'x/b.bin', data: data.subarray(0, 10), store: true },
      ]),
    );
    expect(await extractZip(zip, join(dir, 'out'))).toBe(2);
    expect(Array.from(readFileSync(join(dir, 'out', 'x', 'a.bin')))).toEqual(Array.from(data));
    const bytes = readFileSync(zip);
    bytes[30 + 'x/a.bin'.length + 3] ^= 0xff; // inside the first entry's deflate stream
    writeFileSync(zip, bytes);
    const r = await ZipReader.open(zip);
    await expect(r.read(r.entries[0])).rejects.toThrow(
      /a\.zip: x\/a\.bin: (corrupt deflate data|CRC-32 mismatch|\d+ bytes, the directory)/,
    );
    await r.close();
    writeFileSync(zip, makeZip([{ name: '../evil.bin', data }]));
    await expect(extractZip(zip, join(dir, 'out2'))).rejects.toThrow(/would be written outside the destination folder/);
    writeFileSync(zip, bytes.subarray(0, 100));
    await expect(ZipReader.open(zip)).rejects.toThrow(/not a zip archive/);
  });
});

describe('N-MNIST download (a local HTTP server, never the internet)', () => {
  let server: Server;
  let base = '';
  const files = officialFiles();
  const zips = {
    train: makeZip(files.filter((f) => f.name.startsWith('Train/'))),
    test: makeZip(files.filter((f) => f.name.startsWith('Test/'))),
  };
  const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
  const archives = (bad = false) => ({
    train: { url: `${base}/train.zip`, md5: md5(zips.train) },
    test: { url: `${base}/test.zip`, md5: bad ? '0'.repeat(32) : md5(zips.test) },
  });

  beforeAll(async () => {
    server = createServer((req, res) => {
      const body = req.url === '/train.zip' ? zips.train : req.url === '/test.zip' ? zips.test : null;
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
    const d = await loadNmnist({
      cacheDir,
      archives: archives(),
      steps: 5,
      onProgress: (e) => seen.push(`${e.file}:${e.loaded}/${e.total}`),
    });
    expect(d.source).toBe('download');
    expect([d.train.n, d.test.n]).toEqual([24, 12]);
    expect(seen).toContain(`train.zip:${zips.train.length}/${zips.train.length}`);
    expect(readdirSync(join(cacheDir, 'nmnist')).sort()).toEqual(['Test', 'Train']);
    const again = await loadNmnist({ cacheDir, steps: 5, download: false });
    expect(again.source).toBe('cache');
    expect(Array.from(again.test.labels)).toEqual(Array.from(d.test.labels));
  });

  it('a checksum mismatch is a DownloadError naming both digests, and leaves no file behind', async () => {
    const cacheDir = tmp();
    const err = await loadNmnist({ cacheDir, archives: archives(true), steps: 5 }).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toMatch(/test\.zip: md5 mismatch for test\.zip: expected 0{32}, found [0-9a-f]{32}; the file was not kept/);
    // the train archive (good) is extracted; of the test one nothing stays: no zip, no temporary, no folder
    expect(readdirSync(join(cacheDir, 'nmnist'))).toEqual(['Train']);
  });

  it('offline with an empty cache says where the data can come from', async () => {
    await expect(loadNmnist({ cacheDir: tmp(), steps: 5, download: false })).rejects.toThrow(/nmnist not found: .*downloads disabled/);
    await expect(
      loadNmnist({ cacheDir: tmp(), steps: 5, archives: { train: { url: `${base}/nope`, md5: '' }, test: archives().test } }),
    ).rejects.toThrow(/download failed .*HTTP 404/);
  });
});

describe('training on event frames', () => {
  it('a tiny CSNN learns the synthetic moving bars (2 classes) clearly above chance', async () => {
    const t0 = performance.now();
    const { train, test } = await loadNmnist({ dataDir: synth, steps: 8 });
    const rng = new Rng(3);
    const model = csnnClassifier({ input: [2, 34, 34], channels: [4, 8], outputs: 2 }, rng.fork());
    const kernels = defaultKernels();
    const task = spikingTask('membrane');
    const optimizer = new Adam(model.trainable(), { lr: 5e-3 });
    const encoder = frameEncoder(8);
    const before = await evaluate(test, { model, task, encoder, rng, kernels });
    for (let e = 1; e <= 6; e++) await trainEpoch(train, { model, task, optimizer, encoder, rng, kernels, batchSize: 8, epoch: e });
    const after = await evaluate(test, { model, task, encoder, rng, kernels });
    expect(after.accuracy).toBeGreaterThanOrEqual(10 / 12);
    expect(after.accuracy).toBeGreaterThan(before.accuracy);
    expect(performance.now() - t0).toBeLessThan(20_000);
  }, 30_000);
});

const small = join(sharedDir, 'datasets', 'nmnist-small');
describe.runIf(existsSync(join(small, 'train1K.txt')))('nmnist-small (../shared, when present)', () => {
  it('loads 1000 + 100 samples with the labels of the lists', async () => {
    const d = await loadNmnist({ dataDir: small, steps: 10, trainLimit: 50 });
    expect([d.train.n, d.test.n]).toEqual([50, 100]);
    expect(d.train.labels[0]).toBe(5);
    expect(d.test.stored).toBeGreaterThan(100 * 1000);
  });
});
