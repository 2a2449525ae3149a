import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedDir } from '../helpers/fixtures.js';
import { ValueError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { loadMnist } from '../../src/data/mnist.js';
import { DvsEmulator, type DvsOptions, emulateSaccades, emulateVideo } from '../../src/events/emulator.js';
import { type Events, isSorted, validateEvents } from '../../src/events/events.js';
import { readNmnist, writeNmnist } from '../../src/events/nmnist.js';

const quiet = (seed = 1, o: Partial<DvsOptions> = {}): DvsOptions => ({ rng: new Rng(seed), thresholdSigma: 0, logOffset: 0.05, ...o });
const uniform = (n: number, v: number) => new Float64Array(n).fill(v);
/** The intensity whose log level is `c` thresholds above that of `i0`. */
const stepUp = (i0: number, thresholds: number, c = 0.2, eps = 0.05) => (i0 + eps) * Math.exp(thresholds * c) - eps;

function perPixel(ev: Events, w: number): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (let i = 0; i < ev.t.length; i++) {
    const k = ev.y[i] * w + ev.x[i];
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(i);
  }
  return m;
}

describe('DVS model', () => {
  it('a static image without noise gives no events', () => {
    const img = Float64Array.from({ length: 64 }, (_, i) => (i * 37) % 11);
    const frames = Array.from({ length: 20 }, () => img);
    const ev = emulateVideo(
      frames,
      frames.map((_, k) => k * 1000),
      8,
      8,
      quiet(1, { thresholdSigma: 0.05 }),
    );
    expect(ev.t.length).toBe(0);
  });

  it('a brightness step of k thresholds gives k events per pixel of its polarity, at the linearly interpolated times', () => {
    for (const k of [1, 3, 7]) {
      const lo = uniform(12, 0.3);
      const hi = uniform(12, stepUp(0.3, k + 0.5));
      const up = emulateVideo([lo, hi], [0, 1000], 4, 3, quiet());
      const down = emulateVideo([hi, lo], [0, 1000], 4, 3, quiet());
      expect(up.t.length).toBe(12 * k);
      expect(down.t.length).toBe(12 * k);
      expect([...up.p].every((p) => p === 1)).toBe(true);
      expect([...down.p].every((p) => p === 0)).toBe(true);
      for (const idx of perPixel(up, 4).values()) {
        expect(idx.length).toBe(k);
        // level j is crossed at j / (k + 0.5) of the way, reported at the next whole microsecond
        idx.forEach((i, j) => expect(up.t[i]).toBe(Math.ceil(((j + 1) / (k + 0.5)) * 1000)));
      }
      validateEvents(up);
    }
  });

  it('mismatch: per-pixel thresholds differ (seeded); each pixel gives floor(change / its threshold) events', () => {
    const lo = uniform(400, 0.3);
    const hi = uniform(400, stepUp(0.3, 5.5));
    const run = (seed: number) => {
      const d = new DvsEmulator(20, 20, quiet(seed, { thresholdSigma: 0.04 }));
      d.start(lo, 0);
      return { ev: d.advance(hi, 1000), th: d.thresholds() };
    };
    const a = run(7);
    expect([...a.ev.t]).toEqual([...run(7).ev.t]);
    expect([...a.ev.t]).not.toEqual([...run(8).ev.t]);
    const counts = perPixel(a.ev, 20);
    const seen = new Set<number>();
    for (let i = 0; i < 400; i++) {
      const n = Math.floor((5.5 * 0.2) / a.th.on[i]);
      expect(counts.get(i)?.length ?? 0).toBe(n);
      seen.add(n);
    }
    expect(seen.size).toBeGreaterThan(1);
    const mean = a.th.on.reduce((s, v) => s + v, 0) / 400;
    const sd = Math.sqrt(a.th.on.reduce((s, v) => s + (v - mean) ** 2, 0) / 399);
    expect(Math.abs(mean - 0.2)).toBeLessThan(0.01);
    expect(Math.abs(sd - 0.04)).toBeLessThan(0.01);
  });

  it('the refractory period is respected, and a crossing inside it fires when it ends', () => {
    const lo = uniform(6, 0.2);
    const hi = uniform(6, stepUp(0.2, 6.5));
    const ev = emulateVideo([lo, hi, hi, hi], [0, 1000, 5000, 9000], 3, 2, quiet(1, { refractory: 2500 }));
    for (const idx of perPixel(ev, 3).values()) {
      for (let j = 1; j < idx.length; j++) expect(ev.t[idx[j]] - ev.t[idx[j - 1]]).toBeGreaterThanOrEqual(2500);
      // without the period: 6 events inside the first millisecond; with it, one per 2.5 ms until caught up
      expect(idx.map((i) => ev.t[i])).toEqual([154, 2654, 5154, 7654]);
    }
  });

  it('a moving edge gives events along the edge, in time order', () => {
    const w = 16;
    const h = 4;
    const frames: Float64Array[] = [];
    for (let k = 0; k <= 10; k++) {
      // bright left of the edge at x = 2 + k (with a one-pixel ramp), dark right of it
      const f = new Float64Array(w * h);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) f[y * w + x] = x < 2 + k ? 1 : x === 2 + k ? 0.5 : 0;
      frames.push(f);
    }
    const ev = emulateVideo(
      frames,
      frames.map((_, k) => k * 1000),
      w,
      h,
      quiet(),
    );
    expect(ev.t.length).toBeGreaterThan(0);
    expect(isSorted(ev)).toBe(true);
    expect([...ev.p].every((p) => p === 1)).toBe(true);
    for (let i = 0; i < ev.t.length; i++) {
      // in frame interval k the edge moves from column 2 + k to 3 + k
      const k = Math.ceil(ev.t[i] / 1000) - 1;
      expect(ev.x[i] === 2 + k || ev.x[i] === 3 + k).toBe(true);
    }
    const cols = new Set(ev.x);
    expect(cols.size).toBe(11);
  });

  it('leak events come at about leakRate per pixel, all ON; shot noise at about its rate, half ON', () => {
    const img = uniform(100, 0.5);
    const frames = Array.from({ length: 11 }, () => img);
    const times = frames.map((_, k) => k * 100_000);
    const leak = emulateVideo(frames, times, 10, 10, quiet(3, { leakRate: 10, thresholdSigma: 0.02 }));
    // 100 pixels x 1 s x 10 Hz, each pixel's rate mismatched by 10% (0.02 / 0.2)
    expect(leak.t.length).toBeGreaterThan(900);
    expect(leak.t.length).toBeLessThan(1100);
    expect([...leak.p].every((p) => p === 1)).toBe(true);
    const noise = emulateVideo(frames, times, 10, 10, quiet(4, { shotNoiseRate: 5 }));
    // Poisson with mean 500: 4 standard deviations either side
    expect(Math.abs(noise.t.length - 500)).toBeLessThan(90);
    const on = noise.p.reduce((a, b) => a + b, 0) / noise.t.length;
    expect(Math.abs(on - 0.5)).toBeLessThan(0.1);
    expect(isSorted(noise)).toBe(true);
    const withRefr = emulateVideo(frames, times, 10, 10, quiet(4, { shotNoiseRate: 50, refractory: 50_000 }));
    for (const idx of perPixel(withRefr, 10).values())
      for (let j = 1; j < idx.length; j++) expect(withRefr.t[idx[j]] - withRefr.t[idx[j - 1]]).toBeGreaterThanOrEqual(50_000);
  });

  it('refuses bad input with typed errors naming the field', () => {
    expect(() => new DvsEmulator(4, 4, { rng: new Rng(1), thresholdOn: -1 })).toThrow(/thresholdOn/);
    expect(() => new DvsEmulator(4, 4, { rng: new Rng(1), refractory: 0.5 })).toThrow(/refractory/);
    expect(() => new DvsEmulator(4, 4, { rng: new Rng(1), bogus: 1 } as DvsOptions)).toThrow(/bogus/);
    expect(() => new DvsEmulator(4, 4, {} as DvsOptions)).toThrow(ValueError);
    const d = new DvsEmulator(2, 2, quiet());
    expect(() => d.advance([1, 1, 1, 1], 10)).toThrow(/start/);
    d.start([1, 1, 1, 1], 0);
    expect(() => d.advance([1, 1, 1], 10)).toThrow(/expected 4 intensities/);
    expect(() => d.advance([1, 1, -1, 1], 10)).toThrow(/intensity 2 is -1/);
    expect(() => d.advance([1, 1, 1, 1], 0)).toThrow(/frame time/);
  });
});

/** A synthetic handwritten-like "0": a ring of radius 8, stroke 2.5 px, on 28 x 28. */
function ringDigit(): Uint8Array {
  const img = new Uint8Array(784);
  for (let y = 0; y < 28; y++)
    for (let x = 0; x < 28; x++) {
      const r = Math.hypot((x - 13.5) / 0.75, y - 13.5);
      img[y * 28 + x] = Math.round(255 * Math.max(0, Math.min(1, 1.5 - Math.abs(r - 8) / 1.5)));
    }
  return img;
}

describe("N-MNIST's saccades", () => {
  it("three saccades over ~300 ms on 34 x 34, with N-MNIST's event counts and polarity balance", () => {
    const ev = emulateSaccades(ringDigit(), 28, 28, { rng: new Rng(5) });
    validateEvents(ev);
    expect(ev.sensorSize).toEqual([34, 34, 2]);
    // real N-MNIST samples: 1,100 to 7,200 events over 290 to 315 ms, about half ON
    expect(ev.t.length).toBeGreaterThan(1100);
    expect(ev.t.length).toBeLessThan(7200);
    expect(ev.t[ev.t.length - 1]).toBeGreaterThan(270_000);
    expect(ev.t[ev.t.length - 1]).toBeLessThanOrEqual(300_000);
    const on = ev.p.reduce((a, b) => a + b, 0) / ev.t.length;
    expect(Math.abs(on - 0.5)).toBeLessThan(0.1);
    // each saccade starts and stops at rest: more events in its middle third than in its first 10 ms
    for (let s = 0; s < 3; s++) {
      const inside = (a: number, b: number) => ev.t.filter((t) => t > s * 1e5 + a && t <= s * 1e5 + b).length;
      expect(inside(33_000, 66_000) / 33).toBeGreaterThan(2 * (inside(0, 10_000) / 10));
    }
    // same seed, same events
    const again = emulateSaccades(ringDigit(), 28, 28, { rng: new Rng(5) });
    expect([...again.t]).toEqual([...ev.t]);
  });

  const shared = join(sharedDir, 'datasets');
  const real = join(shared, 'nmnist-small');
  it.runIf(existsSync(join(real, 'train1K.txt')) && existsSync(join(shared, 'mnist')))(
    'on the same 100 digits, emulated counts are in the real nmnist-small samples range (paired)',
    async () => {
      const mnist = await loadMnist({ dataset: 'mnist', dataDir: join(shared, 'mnist') });
      const rng = new Rng(11);
      const emu: number[] = [];
      const rec: number[] = [];
      for (let id = 1; id <= 100; id++) {
        const img = mnist.train.images.subarray((id - 1) * 784, id * 784);
        emu.push(emulateSaccades(img, 28, 28, { rng }).t.length);
        rec.push(readNmnist(new Uint8Array(readFileSync(join(real, `${id}.bs2`)))).t.length);
      }
      const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
      // medians within 20%, and digits with more ink give more events in both (rank correlation)
      expect(Math.abs(median(emu) / median(rec) - 1)).toBeLessThan(0.2);
      const rank = (a: number[]) => {
        const r = new Array<number>(a.length);
        a.map((v, i) => [v, i])
          .sort((p, q) => p[0] - q[0])
          .forEach(([, i], k) => {
            r[i] = k;
          });
        return r;
      };
      const ra = rank(emu);
      const rb = rank(rec);
      const n = ra.length;
      const d2 = ra.reduce((s, v, i) => s + (v - rb[i]) ** 2, 0);
      const spearman = 1 - (6 * d2) / (n * (n * n - 1));
      expect(spearman).toBeGreaterThan(0.5);
    },
  );
});

describe('writeNmnist', () => {
  it('round-trips through readNmnist and refuses what the layout cannot hold', () => {
    const ev = emulateSaccades(ringDigit(), 28, 28, { rng: new Rng(2) });
    const back = readNmnist(writeNmnist(ev));
    expect([...back.x]).toEqual([...ev.x]);
    expect([...back.y]).toEqual([...ev.y]);
    expect([...back.p]).toEqual([...ev.p]);
    expect([...back.t]).toEqual([...ev.t]);
    const one = (x: number, y: number, p: number, t: number) =>
      writeNmnist({ x: Uint16Array.of(x), y: Uint16Array.of(y), p: Uint8Array.of(p), t: Float64Array.of(t), sensorSize: [300, 300, 2] });
    expect(() => one(256, 0, 0, 0)).toThrow(/event 0 at \(256, 0\)/);
    expect(() => one(0, 240, 0, 0)).toThrow(/overflow marker/);
    expect(() => one(0, 0, 2, 0)).toThrow(/polarity 2/);
    expect(() => one(0, 0, 0, 2 ** 23)).toThrow(/timestamp 8388608/);
    expect(() => one(0, 0, 0, 1.5)).toThrow(/timestamp 1.5/);
  });
});
