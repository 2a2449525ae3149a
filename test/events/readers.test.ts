import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/core/errors.js';
import {
  detectEventFormat,
  readAedat2,
  readAedat3,
  readAedat4,
  readEvents,
  readEvt2Raw,
  readNmnist,
  readNpy,
  readPropheseeDat,
} from '../../src/events/index.js';
import { EVENTS_DIR, type EventsJson, fixtureBytes, plain, READER_CASES, readJson } from './helpers.js';

type Expected = EventsJson & {
  sensor_size: [number, number, number];
  tonic?: EventsJson;
  invalid?: number;
  skipped?: Record<string, number>;
};
const expected = readJson<Record<string, Expected>>(join(EVENTS_DIR, 'expected.json'));

describe('readers against the fixtures (expected values from Tonic or the generator)', () => {
  for (const [name, format, opts] of READER_CASES) {
    it(`${name} (${format})`, () => {
      const bytes = fixtureBytes(name);
      expect(detectEventFormat(bytes, name)).toBe(format);
      const ev = readEvents(bytes, { ...opts, file: name });
      const want = expected[name];
      expect(plain(ev)).toEqual({ x: want.x, y: want.y, p: want.p, t: want.t });
      expect(ev.sensorSize).toEqual(want.sensor_size);
      expect(ev.meta?.format).toBe(format);
    });
  }

  it('every fixture file has a case', () => {
    const files = readdirSync(EVENTS_DIR).filter((f) => f !== 'expected.json');
    expect(files.sort()).toEqual(READER_CASES.map((c) => c[0]).sort());
  });

  it('N-MNIST overflow markers add 2^13 us to every later event and are dropped', () => {
    const ev = readNmnist(fixtureBytes('nmnist_overflow.bs2'));
    expect(ev.t.length).toBe(200);
    expect(ev.meta?.overflowMarkers).toBe(2);
    expect(ev.t[60] - ev.t[59]).toBeGreaterThanOrEqual(8192 - 1000);
  });

  it('AEDAT 2.0: the dvs128-tonic layout is Tonic read_dvs_128 bit for bit; the default jAER layout skips special events', () => {
    const bytes = fixtureBytes('dvs128.aedat');
    const tonic = readAedat2(bytes, { layout: 'dvs128-tonic' });
    const want = expected['dvs128.aedat'].tonic!;
    expect(plain(tonic)).toEqual(want);
    const jaer = readAedat2(bytes);
    expect(jaer.t.length).toBe(want.t.length - 3);
    expect(jaer.meta?.skippedAddresses).toBe(3);
    expect(jaer.meta?.creationTimeMs).toBe(1695355587880);
  });

  it('AEDAT 3.1: invalid events dropped, other packet types skipped, overflow << 31 added', () => {
    const ev = readAedat3(fixtureBytes('gesture_mixed.aedat'));
    expect(ev.meta?.invalidEvents).toBe(2);
    expect(ev.meta?.skippedPackets).toEqual({ 0: 1 });
    expect(ev.t[ev.t.length - 1]).toBeGreaterThan(2 ** 31);
  });

  it('AEDAT 4: streams listed in meta, other streams skipped, data table not read', () => {
    const ev = readAedat4(fixtureBytes('aedat4_zstd.aedat4'));
    expect(ev.meta?.compression).toBe('ZSTD');
    expect(ev.meta?.streams).toEqual([
      { id: 0, type: 'EVTS', name: 'events', sizeX: 320, sizeY: 240, packets: 3 },
      { id: 1, type: 'FRME', name: 'frames', packets: 1 },
      { id: 2, type: 'IMUS', name: 'imu', packets: 1 },
    ]);
    expect(() => readAedat4(fixtureBytes('aedat4_none.aedat4'), { streamId: 2 })).toThrow(/IMUS.*not polarity events/);
    expect(() => readAedat4(fixtureBytes('aedat4_none.aedat4'), { streamId: 9 })).toThrow(/no stream 9/);
  });

  it('npy: the t column in ms scaled and truncated to integer us as Tonic does; sensor inferred without sensorSize', () => {
    const ev = readNpy(fixtureBytes('gesture_plain.npy'), { timeScale: 1000 });
    expect(ev.t.every((v) => Number.isInteger(v))).toBe(true);
    expect(ev.sensorSize).toEqual([34, 34, 2]);
  });

  it('named readers read their formats; a wrong format is a DataError naming the file and offset', () => {
    expect(readPropheseeDat(fixtureBytes('ncars_cut.dat')).t.length).toBe(300);
    expect(readEvt2Raw(fixtureBytes('ncars.raw')).meta?.skipped).toEqual({ trigger: 1, others: 1, continued: 0 });
    expect(() => readAedat4(fixtureBytes('dvs128.aedat'), { file: 'x.aedat4' })).toThrow(DataError);
    expect(() => readAedat4(fixtureBytes('dvs128.aedat'), { file: 'x.aedat4' })).toThrow(
      /x\.aedat4: at byte 0: expected the AEDAT 4 magic/,
    );
    expect(() => readAedat3(fixtureBytes('dvs128.aedat'), { file: 'g.aedat' })).toThrow(/g\.aedat: at byte 0: expected AEDAT version 3/);
    expect(() => readNpy(fixtureBytes('ncars.raw'))).toThrow(/expected the \.npy magic/);
  });

  it('an event outside the sensor is a DataError with its byte offset', () => {
    expect(() => readNmnist(fixtureBytes('nmnist_cut.bin'), { sensorSize: [20, 34, 2], file: 'a.bin' })).toThrow(
      /a\.bin: at byte \d+: event \(x 2\d/,
    );
  });
});

const SHARED = join(import.meta.dirname ?? '', '..', '..', '..', 'shared', 'datasets');
const SAMPLES = join(SHARED, 'tonic-samples');
if (existsSync(SAMPLES)) {
  describe('full Tonic samples (../shared/datasets/tonic-samples, counts from its PROVENANCE.txt)', () => {
    const count = (ev: { p: Uint8Array; x: Uint16Array; y: Uint16Array }) => {
      let on = 0;
      let xmax = 0;
      let ymax = 0;
      for (let i = 0; i < ev.p.length; i++) {
        on += ev.p[i];
        xmax = Math.max(xmax, ev.x[i]);
        ymax = Math.max(ymax, ev.y[i]);
      }
      return { n: ev.p.length, on, off: ev.p.length - on, xmax, ymax };
    };
    const bytes = (f: string) => new Uint8Array(readFileSync(join(SAMPLES, f)));
    it('sample.aedat4: 111954 events, x 0..319, y 0..239, on 55023 / off 56931, span 589917 us', () => {
      const ev = readAedat4(bytes('sample.aedat4'));
      expect(count(ev)).toEqual({ n: 111954, on: 55023, off: 56931, xmax: 319, ymax: 239 });
      expect(ev.t[ev.t.length - 1] - ev.t[0]).toBe(589917);
      expect((ev.meta!.streams as { packets: number }[])[0].packets).toBe(59);
    });
    it('sample_nmnist.bin: 4325 events, off 2180 / on 2145, t 654..311175', () => {
      const ev = readNmnist(bytes('sample_nmnist.bin'));
      expect(count(ev)).toEqual({ n: 4325, on: 2145, off: 2180, xmax: 33, ymax: 33 });
      expect([ev.t[0], ev.t[ev.t.length - 1]]).toEqual([654, 311175]);
    });
    it('sample_ncars.dat: 2009 events, x 0..77, y 0..41, p 659 / 1350, t 0..99952', () => {
      const ev = readPropheseeDat(bytes('sample_ncars.dat'));
      expect(count(ev)).toEqual({ n: 2009, on: 1350, off: 659, xmax: 77, ymax: 41 });
      expect([ev.t[0], ev.t[ev.t.length - 1]]).toEqual([0, 99952]);
    });
    it('sample_aedat_header.aedat: header only, creation time 1695355587880', () => {
      const ev = readAedat2(bytes('sample_aedat_header.aedat'));
      expect(ev.t.length).toBe(0);
      expect(ev.meta?.creationTimeMs).toBe(1695355587880);
    });
  });
}

const NMNIST = join(SHARED, 'nmnist-small');
if (existsSync(NMNIST)) {
  it('nmnist-small: all 1100 .bs2 files read, 4,518,827 events, x and y in 0..33, max t 336040', () => {
    let total = 0;
    let tmax = 0;
    for (const f of readdirSync(NMNIST).filter((n) => n.endsWith('.bs2'))) {
      const ev = readNmnist(new Uint8Array(readFileSync(join(NMNIST, f))), { file: f });
      total += ev.t.length;
      for (const v of ev.t) tmax = Math.max(tmax, v);
    }
    expect(total).toBe(4518827);
    expect(tmax).toBe(336040);
  });
}
