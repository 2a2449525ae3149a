// readNmnistFrames (the fused decode-and-frame of N-MNIST files) against Tonic's ToFrame output and
// against the two steps it replaces (readNmnist, then toFrame), on Tonic's fixture, on random files with
// overflow markers and edge cases, and on every nmnist-small file when ../shared is there; FileReader.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError, ValueError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import type { Tensor } from '../../src/core/tensor.js';
import {
  makeEvents,
  type NmnistFrameOptions,
  readNmnist,
  readNmnistFrames,
  type SensorSize,
  type ToFrameOptions,
  toFrame,
  writeNmnist,
} from '../../src/events/index.js';
import { FileReader } from '../../src/events/node.js';
import { type EventsJson, FIXTURES, readJson } from './helpers.js';

interface Case {
  input: string;
  transform: string;
  params: Record<string, number | boolean>;
  tensor?: { shape: number[]; index: number[]; value: number[] };
}
const doc = readJson<{ inputs: Record<string, EventsJson & { sensor_size: SensorSize }>; cases: Case[] }>(
  join(FIXTURES, 'tonic', 'transforms.json'),
);
const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** The two-step result, or the error it throws. */
function twoStep(bytes: Uint8Array, o: NmnistFrameOptions): Tensor | Error {
  const { channelsLast, file, sensorSize, ...f } = o;
  try {
    const t = toFrame(readNmnist(bytes, { file, sensorSize }), f as ToFrameOptions);
    if (!channelsLast) return t;
    const [T, P, H, W] = t.shape;
    const data = new Float32Array(t.size);
    for (let a = 0; a < T; a++)
      for (let p = 0; p < P; p++)
        for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[((a * H + y) * W + x) * P + p] = t.data[((a * P + p) * H + y) * W + x];
    return { shape: [T, H, W, P], data } as unknown as Tensor;
  } catch (e) {
    return e as Error;
  }
}

function fused(bytes: Uint8Array, o: NmnistFrameOptions, out?: Float32Array, offset?: number): Tensor | Error {
  try {
    return readNmnistFrames(bytes, o, out, offset);
  } catch (e) {
    return e as Error;
  }
}

function expectSame(got: Tensor | Error, want: Tensor | Error): void {
  if (want instanceof Error && /must be sorted/.test(want.message)) {
    // toFrame's ValueError on unsorted times is, from the fused reader, a DataError naming the file and offset
    expect(got instanceof DataError ? got.message : String(got)).toMatch(/at byte \d+: timestamp \d+ us is before the previous event's/);
    return;
  }
  if (want instanceof Error) {
    expect(got instanceof Error ? got.constructor.name : `frames [${(got as Tensor).shape}]`).toBe(want.constructor.name);
    expect((got as Error).message).toBe(want.message);
    return;
  }
  if (got instanceof Error) throw got;
  expect([...got.shape]).toEqual([...want.shape]);
  expect(firstDifference(got.data, want.data)).toBe(-1);
}

/** The first index where the arrays differ (or their lengths do), -1 if none. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe("readNmnistFrames against Tonic's ToFrame (test/fixtures/tonic/transforms.json)", () => {
  // the fixture's N-MNIST excerpt (200 events of sample_nmnist.bin) written back in the .bin layout
  const i = doc.inputs.nmnist;
  const bytes = writeNmnist(makeEvents(i, i.sensor_size));
  const cases = doc.cases.filter((c) => c.input === 'nmnist' && c.transform === 'ToFrame');
  it('covers the fused modes (nTimeBins, timeWindow with and without start/end) and the others', () => {
    expect(cases.length).toBe(14);
  });
  for (const c of cases) {
    it(`${JSON.stringify(c.params)}`, () => {
      const o = Object.fromEntries(Object.entries(c.params).map(([k, v]) => [camel(k), v])) as NmnistFrameOptions;
      const got = readNmnistFrames(bytes, o);
      const want = c.tensor!;
      expect([...got.shape]).toEqual(want.shape);
      const dense = new Float32Array(got.size);
      want.index.forEach((k, j) => {
        dense[k] = want.value[j];
      });
      expect(firstDifference(got.data, dense)).toBe(-1);
    });
  }
});

/** A random N-MNIST file: sorted times (with ties), overflow markers anywhere, x/y mostly on the sensor. */
function randomFile(rng: Rng, opts: { n: number; markers: number; offSensor?: boolean; unsorted?: boolean }): Uint8Array {
  const recs: number[][] = [];
  let t = rng.int(3000);
  for (let i = 0; i < opts.n; i++) {
    t += rng.uniform() < 0.3 ? 0 : rng.int(400);
    const x = rng.int(34);
    const y = rng.int(34);
    const p = rng.int(2);
    const tt = t % 2 ** 23;
    recs.push([x, y, (p << 7) | (tt >> 16), (tt >> 8) & 0xff, tt & 0xff]);
  }
  for (let m = 0; m < opts.markers; m++)
    recs.splice(rng.int(recs.length + 1), 0, [rng.int(256), 240, rng.int(256), rng.int(256), rng.int(256)]);
  if (opts.offSensor && recs.length) recs[rng.int(recs.length)][rng.uniform() < 0.5 ? 0 : 1] = 34 + rng.int(200);
  if (opts.unsorted && opts.n > 2) {
    const j = rng.int(recs.length);
    if (recs[j][1] !== 240) recs[j][2] = (recs[j][2] & 0x80) | 0x7f; // a time far later than its neighbours
  }
  return Uint8Array.from(recs.flat());
}

describe('readNmnistFrames equals readNmnist + toFrame', () => {
  it('on 600 random files and options (markers, ties, channelsLast, out buffers, bad files)', () => {
    const rng = new Rng(18);
    let fusedModes = 0;
    for (let k = 0; k < 600; k++) {
      const n = [0, 1, 2, 5, 50, 400][rng.int(6)];
      const bytes = randomFile(rng, {
        n,
        markers: rng.int(4),
        offSensor: rng.uniform() < 0.08,
        unsorted: rng.uniform() < 0.08,
      });
      let o: NmnistFrameOptions;
      const mode = rng.int(5);
      if (mode === 0) o = { nTimeBins: 1 + rng.int(12) };
      else if (mode === 1)
        o = { timeWindow: 2000 + rng.int(20000) }; // files span up to 160 ms: <= 80 frames
      else if (mode === 2) o = { timeWindow: 500 + rng.int(3000), startTime: rng.int(20000), endTime: rng.int(60000) };
      else if (mode === 3) o = { nTimeBins: 1 + rng.int(6), overlap: 0.25 };
      else o = { eventCount: 1 + rng.int(40) };
      if (mode <= 2) fusedModes++;
      if (rng.uniform() < 0.5) o.channelsLast = true;
      if (rng.uniform() < 0.3) o.file = 'r.bin';
      const want = twoStep(bytes, o);
      expectSame(fused(bytes, o), want);
      // into a buffer at an offset, over old contents: the same frames there, the rest untouched
      if (!(want instanceof Error)) {
        const out = new Float32Array(want.data.length + 9).fill(7);
        const got = fused(bytes, o, out, 4);
        expectSame(got, want);
        expect(Array.from(out.subarray(0, 4))).toEqual([7, 7, 7, 7]);
        expect(Array.from(out.subarray(4 + want.data.length))).toEqual([7, 7, 7, 7, 7]);
        expect(firstDifference(out.subarray(4, 4 + want.data.length), want.data)).toBe(-1);
      }
    }
    expect(fusedModes).toBeGreaterThan(300);
  });

  it('edge cases: one timestamp (zero-length bins), markers first and last, a truncated file, the sensor option', () => {
    const rec = (x: number, y: number, p: number, t: number) => [x, y, (p << 7) | (t >> 16), (t >> 8) & 0xff, t & 0xff];
    const marker = [0, 240, 0, 0, 0];
    const files = [
      Uint8Array.from([...rec(1, 2, 1, 500), ...rec(3, 4, 0, 500), ...rec(3, 4, 0, 500)]),
      Uint8Array.from([...marker, ...rec(1, 2, 1, 10), ...marker, ...rec(5, 6, 0, 4), ...rec(7, 8, 1, 9000), ...marker, ...marker]),
      Uint8Array.from([...marker, ...marker]),
      Uint8Array.from([...rec(1, 2, 1, 10), 1, 2]),
    ];
    for (const bytes of files)
      for (const o of [
        { nTimeBins: 3 },
        { nTimeBins: 1 },
        { timeWindow: 100 },
        { timeWindow: 7, startTime: 0, endTime: 9000 },
      ] as NmnistFrameOptions[]) {
        expectSame(fused(bytes, o), twoStep(bytes, o));
        expectSame(fused(bytes, { ...o, sensorSize: [8, 9, 2] }), twoStep(bytes, { ...o, sensorSize: [8, 9, 2] }));
        expectSame(fused(bytes, { ...o, sensorSize: [8, 9, 1] }), twoStep(bytes, { ...o, sensorSize: [8, 9, 1] }));
      }
    // hand-computed: 8192 us added per marker before a record: t = 10 + 8192, 4 + 16384, 9000 + 16384 =
    // 8202, 16388, 25384; 3 bins of floor(17182 / 3) = 5727 us from 8202: [8202, 13929), [13929, 19656),
    // [19656, 25383), so (1,2,ON) in bin 0, (5,6,OFF) in bin 1, and 25384 past the last bin
    const f = readNmnistFrames(files[1], { nTimeBins: 3, sensorSize: [8, 9, 2] });
    expect(f.shape).toEqual([3, 2, 9, 8]);
    const ones = [...f.data.entries()].filter(([, v]) => v).map(([i]) => i);
    expect(ones).toEqual([0 * 144 + 1 * 72 + 2 * 8 + 1, 1 * 144 + 0 * 72 + 6 * 8 + 5]);
  });

  it('refuses unknown options, a wrong out buffer and one too small, with ValueErrors', () => {
    const bytes = writeNmnist(makeEvents({ x: [1], y: [1], p: [0], t: [5] }, [34, 34, 2]));
    expect(() => readNmnistFrames(bytes, { nTimeBins: 2, bins: 3 } as NmnistFrameOptions)).toThrow(ValueError);
    expect(() => readNmnistFrames(bytes, { nTimeBins: 2 }, new Float64Array(5000) as unknown as Float32Array)).toThrow(ValueError);
    expect(() => readNmnistFrames(bytes, { nTimeBins: 2 }, new Float32Array(100))).toThrow(/need 4624 values at offset 0/);
    expect(() => readNmnistFrames(bytes, { nTimeBins: 2 }, new Float32Array(4624), 1)).toThrow(ValueError);
  });
});

const NMNIST = join(import.meta.dirname ?? '', '..', '..', '..', 'shared', 'datasets', 'nmnist-small');
if (existsSync(NMNIST)) {
  it('nmnist-small (../shared): every file gives the two-step frames, nTimeBins 10 and 1 ms windows', () => {
    const reader = new FileReader(16);
    let n = 0;
    for (const f of readdirSync(NMNIST).filter((s) => s.endsWith('.bs2'))) {
      const bytes = reader.read(join(NMNIST, f));
      for (const o of [
        { nTimeBins: 10 },
        { timeWindow: 1000, startTime: 0, endTime: 300000, channelsLast: true },
      ] as NmnistFrameOptions[]) {
        const want = twoStep(bytes, o) as Tensor;
        const got = readNmnistFrames(bytes, o);
        expect(got.shape).toEqual(want.shape);
        expect(firstDifference(got.data, want.data)).toBe(-1);
      }
      n++;
    }
    expect(n).toBe(1100);
  });
}

describe('FileReader', () => {
  it('reads files as readFileSync does, growing its buffer; a missing file is a DataError naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sf-reader-'));
    const rng = new Rng(3);
    const reader = new FileReader(8);
    for (const size of [0, 3, 8, 9, 1000, 70000, 5]) {
      const path = join(dir, `f${size}`);
      writeFileSync(
        path,
        Uint8Array.from({ length: size }, () => rng.int(256)),
      );
      expect(Array.from(reader.read(path))).toEqual(Array.from(readFileSync(path)));
    }
    const missing = join(dir, 'nope.bin');
    expect(() => reader.read(missing)).toThrow(DataError);
    expect(() => reader.read(missing)).toThrow(missing);
  });
});
