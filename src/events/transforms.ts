import { checkInt, checkRange, describe, ValueError } from '../core/errors.js';
import { type Events, eventsOf, filterEvents, type SensorSize } from './events.js';

/*
 * Tonic's deterministic transforms (tonic/transforms.py, tonic/functional/*.py), on Events. Each returns
 * new Events; the input is left as it was. Where Tonic writes a float into its integer event fields
 * (Downsample, TimeSkew), the value is truncated toward zero as numpy's cast does.
 */

function checkEvents(what: string, ev: Events): void {
  if (!ev || !(ev.t instanceof Float64Array))
    throw new ValueError(`${what}: expected Events ({x, y, p, t, sensorSize}), found ${describe(ev)}`);
}

/** A copy with some arrays replaced. */
function withArrays(ev: Events, a: Partial<Pick<Events, 'x' | 'y' | 'p' | 't'>>, sensorSize: SensorSize = ev.sensorSize): Events {
  return eventsOf(a.x ?? ev.x.slice(), a.y ?? ev.y.slice(), a.p ?? ev.p.slice(), a.t ?? ev.t.slice(), sensorSize);
}

/** The grid Tonic's Denoise and RefractoryPeriod keep per-pixel memory on: 0..max x by 0..max y of the events. */
function gridOf(ev: Events): [number, number] {
  let w = 0;
  let h = 0;
  for (let i = 0; i < ev.t.length; i++) {
    w = Math.max(w, ev.x[i] + 1);
    h = Math.max(h, ev.y[i] + 1);
  }
  return [w, h];
}

/**
 * Tonic's Denoise: keeps an event when one of its 4 neighbours (left, right, up, down) had an event less
 * than filterTime before it (strictly: neighbour time + filterTime > t). As in Tonic, the neighbourhood
 * grid spans 0..max x and 0..max y of these events (not the sensor), and every cell starts at filterTime,
 * so an event at t < filterTime with a neighbour inside that grid is always kept. Events are taken in the
 * order given.
 */
export function denoise(ev: Events, filterTime: number): Events {
  checkEvents('denoise', ev);
  checkRange('denoise filterTime', filterTime, 0, Number.MAX_VALUE);
  const n = ev.t.length;
  if (n === 0) return withArrays(ev, {});
  const [w, h] = gridOf(ev);
  const memory = new Float64Array(w * h).fill(filterTime);
  return filterEvents(ev, (i) => {
    const x = ev.x[i];
    const y = ev.y[i];
    const t = ev.t[i];
    memory[x * h + y] = t + filterTime;
    return (
      (x > 0 && memory[(x - 1) * h + y] > t) ||
      (x < w - 1 && memory[(x + 1) * h + y] > t) ||
      (y > 0 && memory[x * h + y - 1] > t) ||
      (y < h - 1 && memory[x * h + y + 1] > t)
    );
  });
}

/**
 * (Opens like denoise above: a per-pixel time memory over gridOf's grid; the rule for keeping an event differs.)
 * Tonic's RefractoryPeriod with a fixed period: keeps an event when more than `period` has passed since
 * the previous event at its pixel, kept or not (every pixel starts at -period, so an event at t = 0 is
 * dropped, as in Tonic).
 */
export function refractoryPeriod(ev: Events, period: number): Events {
  checkEvents('refractoryPeriod', ev);
  checkRange('refractoryPeriod period', period, 0, Number.MAX_VALUE);
  const n = ev.t.length;
  if (n === 0) return withArrays(ev, {});
  const [w, h] = gridOf(ev);
  const memory = new Float64Array(w * h).fill(-period);
  return filterEvents(ev, (i) => {
    const cell = ev.x[i] * h + ev.y[i];
    const keep = ev.t[i] - memory[cell] > period;
    memory[cell] = ev.t[i];
    return keep;
  });
}

export interface DownsampleOptions {
  /** Factor on timestamps (t * timeFactor, truncated). Default 1. */
  timeFactor?: number;
  /** Factor on x and y, or [fx, fy] (x * fx, truncated). Default 1. */
  spatialFactor?: number | readonly [number, number];
  /** With targetSize, the factors are targetSize / the events' sensor width and height. */
  targetSize?: readonly [number, number];
}

/**
 * Tonic's Downsample: x = trunc(x * fx), y = trunc(y * fy), t = trunc(t * timeFactor). The result's sensor
 * is targetSize when given, else [floor((W - 1) * fx) + 1, floor((H - 1) * fy) + 1, P].
 */
export function downsample(ev: Events, opts: DownsampleOptions): Events {
  checkEvents('downsample', ev);
  const [w, h, np] = ev.sensorSize;
  const tf = opts.timeFactor ?? 1;
  checkRange('downsample timeFactor', tf, 0, Number.MAX_VALUE);
  let fx: number;
  let fy: number;
  let size: SensorSize;
  if (opts.targetSize) {
    const [tw, th] = opts.targetSize;
    checkInt('downsample targetSize[0]', tw, 1, 65536);
    checkInt('downsample targetSize[1]', th, 1, 65536);
    fx = tw / w;
    fy = th / h;
    size = [tw, th, np];
  } else {
    const f = opts.spatialFactor ?? 1;
    [fx, fy] = typeof f === 'number' ? [f, f] : [f[0], f[1]];
    checkRange('downsample spatialFactor x', fx, Number.MIN_VALUE, 65536);
    checkRange('downsample spatialFactor y', fy, Number.MIN_VALUE, 65536);
    size = [Math.floor((w - 1) * fx) + 1, Math.floor((h - 1) * fy) + 1, np];
    if (size[0] > 65536 || size[1] > 65536)
      throw new ValueError(`downsample: the result's sensor [${size.join(', ')}] is larger than 65536`);
  }
  const n = ev.t.length;
  const x = new Uint16Array(n);
  const y = new Uint16Array(n);
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = Math.trunc(ev.x[i] * fx);
    y[i] = Math.trunc(ev.y[i] * fy);
    t[i] = Math.trunc(ev.t[i] * tf);
  }
  return withArrays(ev, { x, y, t }, size);
}

/** Tonic's TimeSkew with fixed values: t = trunc(t * coefficient + offset). */
export function timeSkew(ev: Events, coefficient: number, offset = 0): Events {
  checkEvents('timeSkew', ev);
  checkRange('timeSkew coefficient', coefficient, -Number.MAX_VALUE, Number.MAX_VALUE);
  checkRange('timeSkew offset', offset, -Number.MAX_VALUE, Number.MAX_VALUE);
  return withArrays(ev, { t: ev.t.map((v) => Math.trunc(v * coefficient + offset)) });
}

/** Tonic's CropTime: the events with min <= t <= max (both ends included); max defaults to the last timestamp. */
export function cropTime(ev: Events, min = 0, max?: number): Events {
  checkEvents('cropTime', ev);
  let hi = max;
  if (hi === undefined) {
    hi = -Infinity;
    for (const v of ev.t) hi = Math.max(hi, v);
  }
  const top = hi;
  return filterEvents(ev, (i) => ev.t[i] >= min && ev.t[i] <= top);
}

/**
 * Tonic's CenterCrop: keeps the size[0] x size[1] box centred on the sensor (offsets floor((W - w) / 2),
 * floor((H - h) / 2)) and moves it to the origin; the result's sensor is [w, h, P]. A box larger than the
 * sensor keeps every event and shifts it by the (negative) offset, as in Tonic.
 */
export function centerCrop(ev: Events, size: number | readonly [number, number]): Events {
  checkEvents('centerCrop', ev);
  const [cw, ch] = typeof size === 'number' ? [size, size] : size;
  checkInt('centerCrop width', cw, 1, 65536);
  checkInt('centerCrop height', ch, 1, 65536);
  const [w, h, np] = ev.sensorSize;
  const ox = Math.floor((w - cw) / 2);
  const oy = Math.floor((h - ch) / 2);
  const ix = Math.max(ox, 0);
  const iy = Math.max(oy, 0);
  const out = filterEvents(ev, (i) => ev.x[i] >= ix && ev.x[i] < ix + cw && ev.y[i] >= iy && ev.y[i] < iy + ch, [cw, ch, np]);
  for (let i = 0; i < out.t.length; i++) {
    (out.x as Uint16Array)[i] = out.x[i] - ox;
    (out.y as Uint16Array)[i] = out.y[i] - oy;
  }
  return out;
}

/** Tonic's MergePolarities: every polarity 0, on a one-polarity sensor. */
export function mergePolarities(ev: Events): Events {
  checkEvents('mergePolarities', ev);
  const [w, h] = ev.sensorSize;
  return withArrays(ev, { p: new Uint8Array(ev.t.length) }, [w, h, 1]);
}

/** Polarity inverted (Tonic's RandomFlipPolarity when it flips): 0 becomes 1, anything else 0. */
export function flipPolarity(ev: Events): Events {
  checkEvents('flipPolarity', ev);
  const [w, h, np] = ev.sensorSize;
  return withArrays(ev, { p: ev.p.map((v) => (v ? 0 : 1)) }, [w, h, Math.max(np, 2)]);
}

/** Mirrored left-right, x = W - 1 - x (Tonic's RandomFlipLR when it flips). */
export function flipLR(ev: Events): Events {
  checkEvents('flipLR', ev);
  const w = ev.sensorSize[0];
  return withArrays(ev, { x: ev.x.map((v) => w - 1 - v) });
}

/** Mirrored top-bottom, y = H - 1 - y (Tonic's RandomFlipUD when it flips). */
export function flipUD(ev: Events): Events {
  checkEvents('flipUD', ev);
  const h = ev.sensorSize[1];
  return withArrays(ev, { y: ev.y.map((v) => h - 1 - v) });
}
