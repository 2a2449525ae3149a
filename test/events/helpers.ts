import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EventFileOptions, EventFormat, Events } from '../../src/events/index.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
export const EVENTS_DIR = join(FIXTURES, 'events');

export interface EventsJson {
  x: number[];
  y: number[];
  p: number[];
  t: number[];
  sensor_size?: [number, number, number];
}

export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(EVENTS_DIR, name)));
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** The events as plain arrays, for toEqual against fixture JSON. */
export function plain(ev: Events): EventsJson {
  return { x: [...ev.x], y: [...ev.y], p: [...ev.p], t: [...ev.t] };
}

/** Each fixture, the reader and options that decode it, and its format as detected from its bytes and name. */
export const READER_CASES: [string, EventFormat, EventFileOptions][] = [
  ['nmnist_cut.bin', 'nmnist', {}],
  ['nmnist_overflow.bs2', 'nmnist', {}],
  ['ncars_cut.dat', 'prophesee-dat', {}],
  ['ncars.raw', 'evt2-raw', {}],
  ['aedat4_lz4_cut.aedat4', 'aedat4', {}],
  ['aedat4_none.aedat4', 'aedat4', {}],
  ['aedat4_lz4.aedat4', 'aedat4', {}],
  ['aedat4_zstd.aedat4', 'aedat4', {}],
  ['dvs128.aedat', 'aedat2', {}],
  ['davis346.aedat', 'aedat2', { layout: 'davis346' }],
  ['gesture.aedat', 'aedat3', {}],
  ['gesture_mixed.aedat', 'aedat3', {}],
  ['gesture_plain.npy', 'npy', { timeScale: 1000, sensorSize: [34, 34, 2] }],
  ['events_struct.npy', 'npy', { sensorSize: [34, 34, 2] }],
  ['fortran_txyp.npy', 'npy', { columns: ['t', 'x', 'y', 'p'], sensorSize: [34, 34, 2] }],
];
