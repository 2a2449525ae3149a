import { checkInt, DataError, describe, ValueError } from '../core/errors.js';

/** Sensor size as Tonic writes it: [width, height, number of polarities]. */
export type SensorSize = readonly [number, number, number];

/** What a reader found besides the events (header text, streams it skipped, counts it dropped). */
export interface EventMeta {
  /** The file format ('nmnist', 'prophesee-dat', 'evt2-raw', 'aedat4', 'aedat2', 'aedat3', 'npy'). */
  format: string;
  /** Header lines (text formats), without the comment character and line end. */
  header?: string[];
  /** Anything else the format carries (streams, versions, dropped-event counts, ...). */
  [key: string]: unknown;
}

/**
 * A set of events, structure of arrays: event i is (x[i], y[i], p[i], t[i]). Timestamps are
 * microseconds held in a Float64Array (exact integers up to 2^53, about 285 years), sorted unless a
 * transform that may unsort them says otherwise. Polarity is 0 (OFF) or 1 (ON), 0..P-1 in general.
 */
export interface Events {
  readonly x: Uint16Array;
  readonly y: Uint16Array;
  readonly p: Uint8Array;
  readonly t: Float64Array;
  readonly sensorSize: SensorSize;
  readonly meta?: EventMeta;
}

export interface EventArrays {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  p: ArrayLike<number>;
  t: ArrayLike<number>;
}

/** Checks a sensor size: three integers, W and H in [1, 65536], P in [1, 256]. */
export function checkSensorSize(name: string, s: unknown): SensorSize {
  if (!Array.isArray(s) || s.length !== 3) throw new ValueError(`${name}: expected [width, height, polarities], found ${describe(s)}`);
  checkInt(`${name}[0] (width)`, s[0], 1, 65536);
  checkInt(`${name}[1] (height)`, s[1], 1, 65536);
  checkInt(`${name}[2] (polarities)`, s[2], 1, 256);
  return [s[0], s[1], s[2]];
}

/**
 * Makes Events from plain arrays (copied into typed arrays) and validates them: equal lengths, integer
 * coordinates inside the sensor, finite timestamps, sorted timestamps unless `sorted: false`.
 */
export function makeEvents(a: EventArrays, sensorSize: SensorSize, opts: { sorted?: boolean } = {}): Events {
  const n = a.x.length;
  for (const k of ['y', 'p', 't'] as const) {
    if (a[k].length !== n) throw new ValueError(`events: ${k} has ${a[k].length} values but x has ${n}`);
  }
  for (const k of ['x', 'y', 'p'] as const) {
    const arr = a[k];
    for (let i = 0; i < n; i++) {
      const v = arr[i];
      if (!Number.isInteger(v) || v < 0) throw new ValueError(`events: ${k}[${i}]: expected a non-negative integer, found ${describe(v)}`);
    }
  }
  const ev: Events = {
    x: Uint16Array.from(a.x),
    y: Uint16Array.from(a.y),
    p: Uint8Array.from(a.p),
    t: Float64Array.from(a.t),
    sensorSize: checkSensorSize('events sensorSize', sensorSize),
  };
  validateEvents(ev, { sorted: opts.sorted ?? true });
  return ev;
}

/** No events on a sensor of the given size. */
export function emptyEvents(sensorSize: SensorSize): Events {
  return { x: new Uint16Array(0), y: new Uint16Array(0), p: new Uint8Array(0), t: new Float64Array(0), sensorSize };
}

/** Events sharing storage with the given arrays (no copy, no check: for code that built them itself). */
export function eventsOf(x: Uint16Array, y: Uint16Array, p: Uint8Array, t: Float64Array, sensorSize: SensorSize, meta?: EventMeta): Events {
  return meta ? { x, y, p, t, sensorSize, meta } : { x, y, p, t, sensorSize };
}

/**
 * Throws (ValueError, or DataError naming `file` when given) unless the arrays have one length, every
 * event lies inside the sensor, timestamps are finite and, with `sorted` (the default), non-decreasing.
 */
export function validateEvents(ev: Events, opts: { sorted?: boolean; file?: string } = {}): void {
  const fail = (msg: string): never => {
    throw opts.file !== undefined ? new DataError(msg, opts.file) : new ValueError(msg);
  };
  const n = ev.x.length;
  if (ev.y.length !== n || ev.p.length !== n || ev.t.length !== n)
    fail(`events: arrays differ in length (x ${n}, y ${ev.y.length}, p ${ev.p.length}, t ${ev.t.length})`);
  const [w, h, np] = ev.sensorSize;
  const sorted = opts.sorted ?? true;
  for (let i = 0; i < n; i++) {
    if (ev.x[i] >= w) fail(`event ${i}: x = ${ev.x[i]} is outside the sensor width ${w} (expected 0..${w - 1})`);
    if (ev.y[i] >= h) fail(`event ${i}: y = ${ev.y[i]} is outside the sensor height ${h} (expected 0..${h - 1})`);
    if (ev.p[i] >= np) fail(`event ${i}: polarity ${ev.p[i]} is outside 0..${np - 1}`);
    const t = ev.t[i];
    if (!Number.isFinite(t)) fail(`event ${i}: timestamp ${t} is not finite`);
    if (sorted && i > 0 && t < ev.t[i - 1])
      fail(`event ${i}: timestamp ${t} is before the previous one (${ev.t[i - 1]}); expected non-decreasing`);
  }
}

/** True when the timestamps never decrease. */
export function isSorted(ev: Events): boolean {
  for (let i = 1; i < ev.t.length; i++) if (ev.t[i] < ev.t[i - 1]) return false;
  return true;
}

/** First index i with t[i] >= v (t sorted), as numpy's searchsorted(side='left'). */
export function searchSorted(t: Float64Array, v: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Events i0..i1-1 (views on the same storage, no copy). */
export function sliceIndex(ev: Events, i0: number, i1: number): Events {
  const n = ev.t.length;
  const a = Math.max(0, Math.min(n, i0));
  const b = Math.max(a, Math.min(n, i1));
  return eventsOf(ev.x.subarray(a, b), ev.y.subarray(a, b), ev.p.subarray(a, b), ev.t.subarray(a, b), ev.sensorSize);
}

/**
 * Events with t0 <= t < t1 (half-open), found by binary search (timestamps must be sorted: a ValueError
 * names the first out-of-order event otherwise). Views, no copy.
 */
export function sliceTime(ev: Events, t0: number, t1: number): Events {
  if (Number.isNaN(t0) || Number.isNaN(t1)) throw new ValueError(`sliceTime: expected numbers, found ${t0}, ${t1}`);
  requireSorted(ev, 'sliceTime');
  return sliceIndex(ev, searchSorted(ev.t, t0), searchSorted(ev.t, t1));
}

/** Throws ValueError naming `what` unless the timestamps are sorted. */
export function requireSorted(ev: Events, what: string): void {
  for (let i = 1; i < ev.t.length; i++) {
    if (ev.t[i] < ev.t[i - 1])
      throw new ValueError(`${what}: timestamps must be sorted; event ${i} (t = ${ev.t[i]}) is before event ${i - 1} (t = ${ev.t[i - 1]})`);
  }
}

/**
 * The events of all parts one after another (copied). All parts must have the same sensor size; with
 * `sorted` (the default) the result must be time-sorted too (each part starting no earlier than the
 * previous one ended).
 */
export function concatEvents(parts: readonly Events[], opts: { sensorSize?: SensorSize; sorted?: boolean } = {}): Events {
  const size = opts.sensorSize ?? parts[0]?.sensorSize;
  if (!size) throw new ValueError('concatEvents: no parts and no sensorSize');
  let n = 0;
  for (const [k, part] of parts.entries()) {
    if (part.sensorSize.some((v, j) => v !== size[j]))
      throw new ValueError(`concatEvents: part ${k} has sensor size [${part.sensorSize.join(', ')}], expected [${size.join(', ')}]`);
    n += part.t.length;
  }
  const out = eventsOf(new Uint16Array(n), new Uint16Array(n), new Uint8Array(n), new Float64Array(n), size);
  let o = 0;
  for (const part of parts) {
    (out.x as Uint16Array).set(part.x, o);
    (out.y as Uint16Array).set(part.y, o);
    (out.p as Uint8Array).set(part.p, o);
    (out.t as Float64Array).set(part.t, o);
    o += part.t.length;
  }
  if (opts.sorted ?? true) requireSorted(out, 'concatEvents');
  return out;
}

/** The events at the given indices, in that order (a copy). */
export function selectEvents(ev: Events, idx: ArrayLike<number>, sensorSize: SensorSize = ev.sensorSize): Events {
  const n = idx.length;
  const x = new Uint16Array(n);
  const y = new Uint16Array(n);
  const p = new Uint8Array(n);
  const t = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const i = idx[k];
    x[k] = ev.x[i];
    y[k] = ev.y[i];
    p[k] = ev.p[i];
    t[k] = ev.t[i];
  }
  return eventsOf(x, y, p, t, sensorSize);
}

/** The events for which keep(i) is true, in order (a copy). */
export function filterEvents(ev: Events, keep: (i: number) => boolean, sensorSize: SensorSize = ev.sensorSize): Events {
  const idx: number[] = [];
  for (let i = 0; i < ev.t.length; i++) if (keep(i)) idx.push(i);
  return selectEvents(ev, idx, sensorSize);
}

/** A copy with its own storage (without meta). */
export function cloneEvents(ev: Events): Events {
  return eventsOf(ev.x.slice(), ev.y.slice(), ev.p.slice(), ev.t.slice(), ev.sensorSize);
}
