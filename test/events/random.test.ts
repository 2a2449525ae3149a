import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import {
  dropEvent,
  type Events,
  makeEvents,
  randomCrop,
  randomFlipLR,
  randomRefractoryPeriod,
  refractoryPeriod,
  spatialJitter,
  timeJitter,
} from '../../src/events/index.js';
import { plain } from './helpers.js';

/** n events on a W x H sensor, t = 0, 10, 20, ..., coordinates from a seeded Rng. */
function grid(n: number, w = 64, h = 48, seed = 3): Events {
  const r = new Rng(seed);
  const a = { x: [] as number[], y: [] as number[], p: [] as number[], t: [] as number[] };
  for (let i = 0; i < n; i++) {
    a.x.push(r.int(w));
    a.y.push(r.int(h));
    a.p.push(r.int(2));
    a.t.push(i * 10);
  }
  return makeEvents(a, [w, h, 2]);
}

const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;

describe('random transforms (properties; same seed, same result)', () => {
  const ev = grid(20000);
  it('dropEvent removes exactly int(p * N + 0.5) events, keeps order, and is uniform over the events', () => {
    for (const p of [0, 0.1, 0.25, 0.5, 0.999, 1]) {
      const out = dropEvent(ev, p, new Rng(5));
      expect(out.t.length).toBe(ev.t.length - Math.floor(p * ev.t.length + 0.5));
      for (let i = 1; i < out.t.length; i++) expect(out.t[i]).toBeGreaterThan(out.t[i - 1]);
    }
    const out = dropEvent(ev, 0.5, new Rng(5));
    // kept events spread over the recording: mean index near the middle
    expect(Math.abs(mean(out.t) / 10 - 10000)).toBeLessThan(200);
    expect(plain(dropEvent(ev, 0.3, new Rng(9)))).toEqual(plain(dropEvent(ev, 0.3, new Rng(9))));
    expect(plain(dropEvent(ev, 0.3, new Rng(9)))).not.toEqual(plain(dropEvent(ev, 0.3, new Rng(10))));
    const ranged = dropEvent(ev, [0.2, 0.4], new Rng(1));
    expect(ranged.t.length).toBeGreaterThanOrEqual(ev.t.length * 0.6 - 1);
    expect(ranged.t.length).toBeLessThanOrEqual(ev.t.length * 0.8 + 1);
    expect(() => dropEvent(ev, 1.5, new Rng(1))).toThrow(/dropEvent p: expected a number in \[0, 1\]/);
    expect(() => dropEvent(ev, 0.5, {} as Rng)).toThrow(/dropEvent rng: expected an Rng/);
  });

  it('timeJitter: shifts have mean ~0 and standard deviation ~std; truncated to integers; clipNegative, sortTimestamps', () => {
    const std = 50;
    const out = timeJitter(ev, std, new Rng(2), { clipNegative: false });
    const d = Array.from(out.t, (v, i) => v - ev.t[i]);
    expect(Math.abs(mean(d))).toBeLessThan(1.5);
    const sd = Math.sqrt(mean(d.map((v) => v * v)));
    expect(Math.abs(sd - std)).toBeLessThan(2);
    expect(out.t.every((v) => Number.isInteger(v))).toBe(true);
    const clipped = timeJitter(ev, 1000, new Rng(2));
    expect(clipped.t.every((v) => v >= 0)).toBe(true);
    expect(clipped.t.length).toBeLessThan(ev.t.length);
    const sorted = timeJitter(ev, 1000, new Rng(2), { sortTimestamps: true });
    for (let i = 1; i < sorted.t.length; i++) expect(sorted.t[i]).toBeGreaterThanOrEqual(sorted.t[i - 1]);
    expect(sorted.t.length).toBe(clipped.t.length);
  });

  it('spatialJitter: moments of the shifts match the covariance; clipOutliers drops, otherwise clamps', () => {
    const mid = makeEvents(
      { x: Array(20000).fill(500), y: Array(20000).fill(500), p: Array(20000).fill(0), t: Array.from({ length: 20000 }, (_, i) => i) },
      [1000, 1000, 2],
    );
    const out = spatialJitter(mid, new Rng(4), { varX: 16, varY: 4, sigmaXY: 6 });
    // truncation toward zero around 500 is floor: the shift of the truncated value has mean about -0.5
    const dx = Array.from(out.x, (v) => v - 500 + 0.5);
    const dy = Array.from(out.y, (v) => v - 500 + 0.5);
    expect(Math.abs(mean(dx))).toBeLessThan(0.1);
    expect(Math.abs(mean(dx.map((v) => v * v)) - (16 + 1 / 12))).toBeLessThan(0.6);
    expect(Math.abs(mean(dy.map((v) => v * v)) - (4 + 1 / 12))).toBeLessThan(0.25);
    expect(Math.abs(mean(dx.map((v, i) => v * dy[i])) - 6)).toBeLessThan(0.4);
    const clipped = spatialJitter(ev, new Rng(4), { varX: 25, varY: 25, clipOutliers: true });
    expect(clipped.t.length).toBeLessThan(ev.t.length);
    expect(clipped.x.every((v) => v < 64)).toBe(true);
    const clamped = spatialJitter(ev, new Rng(4), { varX: 25, varY: 25 });
    expect(clamped.t.length).toBe(ev.t.length);
    expect(Math.max(...clamped.x)).toBe(63);
    expect(Math.max(...clamped.y)).toBe(47);
    expect(() => spatialJitter(ev, new Rng(1), { varX: 1, varY: 1, sigmaXY: 2 })).toThrow(/not positive semi-definite/);
  });

  it('randomCrop: a box inside the sensor, events shifted to the origin, offsets spread over [0, W - w)', () => {
    const seen = new Set<number>();
    const r = new Rng(8);
    for (let k = 0; k < 200; k++) {
      const out = randomCrop(ev, [40, 30], r);
      expect(out.sensorSize).toEqual([40, 30, 2]);
      expect(out.x.every((v) => v < 40) && out.y.every((v) => v < 30)).toBe(true);
      // recover the x offset from one kept event
      const i = ev.t.indexOf(out.t[0]);
      seen.add(ev.x[i] - out.x[0]);
    }
    expect(Math.min(...seen)).toBe(0);
    expect(Math.max(...seen)).toBe(23);
    expect(plain(randomCrop(ev, [64, 48], new Rng(1)))).toEqual(plain(ev));
  });

  it('randomFlipLR flips about half the time; randomRefractoryPeriod draws its period in range', () => {
    const r = new Rng(11);
    let flips = 0;
    for (let k = 0; k < 1000; k++) if (randomFlipLR(ev, r).x[0] !== ev.x[0]) flips++;
    expect(flips).toBeGreaterThan(440);
    expect(flips).toBeLessThan(560);
    const lens = new Set<number>();
    for (let k = 0; k < 50; k++) lens.add(randomRefractoryPeriod(ev, [100, 5000], new Rng(k)).t.length);
    expect(lens.size).toBeGreaterThan(5);
    const lo = refractoryPeriod(ev, 5000).t.length;
    const hi = refractoryPeriod(ev, 99).t.length;
    for (const n of lens) expect(n >= lo && n <= hi).toBe(true);
  });
});
