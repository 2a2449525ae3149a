import { checkInt, checkKeys, checkRange, ValueError } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import { type Events, requireSorted, type SensorSize, searchSorted } from './events.js';

/** Slices as [start, end) index pairs into the events. */
export type Slices = [number, number][];

function checkEvents(what: string, ev: Events): void {
  if (!ev || !(ev.t instanceof Float64Array))
    throw new ValueError(`${what}: expected Events ({x, y, p, t, sensorSize}), found ${typeof ev}`);
}

/**
 * Tonic's SliceByTime: windows of `timeWindow` starting every timeWindow - overlap from startTime (the
 * first timestamp by default) while they fit before endTime (the last timestamp by default); with
 * includeIncomplete also the last, partial one; at least one window. Each window is half-open
 * [start, start + timeWindow). Timestamps must be sorted.
 */
export function sliceByTime(
  ev: Events,
  timeWindow: number,
  opts: { overlap?: number; includeIncomplete?: boolean; startTime?: number; endTime?: number } = {},
): Slices {
  checkEvents('sliceByTime', ev);
  checkRange('sliceByTime timeWindow', timeWindow, Number.MIN_VALUE, Number.MAX_VALUE);
  const overlap = opts.overlap ?? 0;
  const stride = timeWindow - overlap;
  if (!(stride > 0)) throw new ValueError(`sliceByTime: overlap ${overlap} must be less than timeWindow ${timeWindow}`);
  requireSorted(ev, 'sliceByTime');
  const t = ev.t;
  if (t.length === 0) return [[0, 0]];
  const start = opts.startTime ?? t[0];
  const end = opts.endTime ?? t[t.length - 1];
  const q = (end - start - timeWindow) / stride;
  const n = Math.max(1, (opts.includeIncomplete ? Math.ceil(q) : Math.floor(q)) + 1);
  const out: Slices = [];
  for (let i = 0; i < n; i++) {
    const s = i * stride + start;
    out.push([searchSorted(t, s), searchSorted(t, s + timeWindow)]);
  }
  return out;
}

/**
 * Tonic's SliceByEventCount: slices of min(eventCount, N) events starting every eventCount - overlap
 * events; the last, shorter slice only with includeIncomplete.
 */
export function sliceByEventCount(ev: Events, eventCount: number, opts: { overlap?: number; includeIncomplete?: boolean } = {}): Slices {
  checkEvents('sliceByEventCount', ev);
  checkInt('sliceByEventCount eventCount', eventCount, 1);
  const overlap = opts.overlap ?? 0;
  const stride = eventCount - overlap;
  if (!(stride > 0)) throw new ValueError(`sliceByEventCount: overlap ${overlap} must be less than eventCount ${eventCount}`);
  const total = ev.t.length;
  const count = Math.min(eventCount, total);
  const q = (total - count) / stride;
  const n = (opts.includeIncomplete ? Math.ceil(q) : Math.floor(q)) + 1;
  const out: Slices = [];
  for (let i = 0; i < n; i++) {
    const s = Math.trunc(i * stride);
    out.push([Math.min(s, total), Math.min(s + count, total)]);
  }
  return out;
}

/**
 * Tonic's SliceByTimeBins: `bins` windows of floor((t_last - t_first) / bins) * (1 + overlap) time,
 * starting every window * (1 - overlap) from the first timestamp (half-open; with this floor, the last
 * events can fall after the last window, as in Tonic). overlap in [0, 1).
 */
export function sliceByTimeBins(ev: Events, bins: number, overlap = 0): Slices {
  checkEvents('sliceByTimeBins', ev);
  checkInt('sliceByTimeBins bins', bins, 1);
  checkRange('sliceByTimeBins overlap', overlap, 0, 1);
  if (overlap >= 1) throw new ValueError('sliceByTimeBins overlap: expected a number in [0, 1), found 1');
  requireSorted(ev, 'sliceByTimeBins');
  const t = ev.t;
  if (t.length === 0) return Array.from({ length: bins }, () => [0, 0]);
  const window = Math.floor((t[t.length - 1] - t[0]) / bins) * (1 + overlap);
  const stride = window * (1 - overlap);
  const out: Slices = [];
  for (let i = 0; i < bins; i++) {
    const s = i * stride + t[0];
    out.push([searchSorted(t, s), searchSorted(t, s + window)]);
  }
  return out;
}

/** Tonic's SliceByEventBins: `bins` slices of trunc(N // bins * (1 + overlap)) events, every trunc(that * (1 - overlap)). */
export function sliceByEventBins(ev: Events, bins: number, overlap = 0): Slices {
  checkEvents('sliceByEventBins', ev);
  checkInt('sliceByEventBins bins', bins, 1);
  checkRange('sliceByEventBins overlap', overlap, 0, 1);
  const total = ev.t.length;
  const count = Math.trunc(Math.floor(total / bins) * (1 + overlap));
  const stride = Math.trunc(count * (1 - overlap));
  const out: Slices = [];
  for (let i = 0; i < bins; i++) out.push([Math.min(i * stride, total), Math.min(i * stride + count, total)]);
  return out;
}

export interface ToFrameOptions {
  /** Window length (us); windows every timeWindow - overlap. */
  timeWindow?: number;
  /** Events per frame; frames every eventCount - overlap events. */
  eventCount?: number;
  /** Number of frames of equal time. */
  nTimeBins?: number;
  /** Number of frames of equal event count. */
  nEventBins?: number;
  /** Overlap: time (timeWindow), events (eventCount) or a fraction of a bin in [0, 1) (nTimeBins, nEventBins). */
  overlap?: number;
  /** Keep the last, incomplete window (timeWindow, eventCount). */
  includeIncomplete?: boolean;
  /** Start and end of the time windows (timeWindow only); first and last timestamp by default. */
  startTime?: number;
  endTime?: number;
}

const FRAME_KEYS = ['timeWindow', 'eventCount', 'nTimeBins', 'nEventBins', 'overlap', 'includeIncomplete', 'startTime', 'endTime'];

/**
 * Tonic's ToFrame: event counts per frame, polarity, row and column, a Tensor of shape [T, P, H, W]
 * (float32 counts). Exactly one of timeWindow, eventCount, nTimeBins, nEventBins. On a one-polarity
 * sensor all events count as polarity 0 (a ValueError if they have more than one polarity value). No
 * events give one empty frame (timeWindow, eventCount) or the bin count of empty frames, in the same
 * [T, P, H, W] layout (Tonic's empty output swaps H and W).
 */
export function toFrame(ev: Events, opts: ToFrameOptions): Tensor {
  checkEvents('toFrame', ev);
  checkKeys('toFrame options', opts, FRAME_KEYS);
  const modes = (['timeWindow', 'eventCount', 'nTimeBins', 'nEventBins'] as const).filter((k) => opts[k] !== undefined);
  if (modes.length !== 1)
    throw new ValueError(
      `toFrame: give exactly one of timeWindow, eventCount, nTimeBins, nEventBins (found ${modes.join(', ') || 'none'})`,
    );
  const [w, h, np] = ev.sensorSize;
  const overlap = opts.overlap ?? 0;
  let slices: Slices;
  if (opts.timeWindow !== undefined)
    slices = sliceByTime(ev, opts.timeWindow, {
      overlap,
      includeIncomplete: opts.includeIncomplete,
      startTime: opts.startTime,
      endTime: opts.endTime,
    });
  else if (opts.eventCount !== undefined)
    slices = sliceByEventCount(ev, opts.eventCount, { overlap, includeIncomplete: opts.includeIncomplete });
  else if (opts.nTimeBins !== undefined) slices = sliceByTimeBins(ev, opts.nTimeBins, overlap);
  else slices = sliceByEventBins(ev, opts.nEventBins!, overlap);
  if (ev.t.length === 0 && (opts.timeWindow !== undefined || opts.eventCount !== undefined)) slices = [[0, 0]];
  const single = np === 1;
  if (single) {
    for (let i = 1; i < ev.p.length; i++)
      if (ev.p[i] !== ev.p[0])
        throw new ValueError(`toFrame: one-polarity sensor, but the events have polarities ${ev.p[0]} and ${ev.p[i]}`);
  }
  const plane = h * w;
  const frame = np * plane;
  const data = new Float32Array(slices.length * frame);
  const xs = ev.x;
  const ys = ev.y;
  const ps = ev.p;
  for (let k = 0; k < slices.length; k++) {
    const [a, b] = slices[k];
    const base = k * frame;
    for (let i = a; i < b; i++) {
      const x = xs[i];
      const y = ys[i];
      const p = single ? 0 : ps[i];
      if (x >= w || y >= h || p >= np)
        throw new ValueError(`toFrame: event ${i} (x ${x}, y ${y}, p ${p}) is outside the sensor [${ev.sensorSize.join(', ')}]`);
      data[base + p * plane + y * w + x]++;
    }
  }
  return new Tensor(data, [slices.length, np, h, w]);
}

/**
 * Tonic's ToVoxelGrid (Zhu et al. 2019): timestamps scaled to [0, nTimeBins], each event's polarity
 * (+1 ON, -1 OFF) split between its bin and the next by linear interpolation; an event at the last
 * timestamp falls outside and is dropped, as in Tonic. A Tensor [nTimeBins, 1, H, W]. The sensor must
 * have 2 polarities and the timestamps must be sorted and span more than one instant.
 */
export function toVoxelGrid(ev: Events, nTimeBins: number): Tensor {
  checkEvents('toVoxelGrid', ev);
  checkInt('toVoxelGrid nTimeBins', nTimeBins, 1);
  const [w, h, np]: SensorSize = ev.sensorSize;
  if (np !== 2) throw new ValueError(`toVoxelGrid: expected a sensor with 2 polarities, found ${np}`);
  requireSorted(ev, 'toVoxelGrid');
  const grid = new Float64Array(nTimeBins * h * w);
  const n = ev.t.length;
  if (n > 0) {
    const t0 = ev.t[0];
    const span = ev.t[n - 1] - t0;
    if (!(span > 0)) throw new ValueError(`toVoxelGrid: all ${n} events have the same timestamp ${t0}; the time axis cannot be normalised`);
    // all left contributions, then all right ones: Tonic's two np.add.at calls, same summation order
    for (const right of [false, true]) {
      for (let i = 0; i < n; i++) {
        if (ev.x[i] >= w || ev.y[i] >= h)
          throw new ValueError(`toVoxelGrid: event ${i} (x ${ev.x[i]}, y ${ev.y[i]}) is outside the sensor`);
        const ts = (nTimeBins * (ev.t[i] - t0)) / span;
        const ti = Math.trunc(ts);
        const dt = ts - ti;
        const pol = ev.p[i] === 0 ? -1 : ev.p[i];
        const bin = right ? ti + 1 : ti;
        if (bin < nTimeBins) grid[bin * h * w + ev.y[i] * w + ev.x[i]] += pol * (right ? dt : 1 - dt);
      }
    }
  }
  return new Tensor(Float32Array.from(grid), [nTimeBins, 1, h, w]);
}
