import { checkBool, checkInt, checkRange, checkRng, describe, ValueError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { cloneEvents, type Events, eventsOf, filterEvents, selectEvents } from './events.js';
import { flipLR, flipPolarity, flipUD, refractoryPeriod } from './transforms.js';

/*
 * Tonic's random augmentations, every draw from the explicit Rng. Same Rng state, same result; the draws
 * cannot match numpy's random stream, only its distributions.
 */

function checkEvents(what: string, ev: Events): void {
  if (!ev || !(ev.t instanceof Float64Array))
    throw new ValueError(`${what}: expected Events ({x, y, p, t, sensorSize}), found ${describe(ev)}`);
}

/** A fixed value, or a uniform draw in [lo, hi) for a range (Tonic's get_params). */
function drawIn(name: string, v: number | readonly [number, number], rng: Rng, lo: number, hi: number): number {
  if (typeof v === 'number') {
    checkRange(name, v, lo, hi);
    return v;
  }
  if (!Array.isArray(v) || v.length !== 2) throw new ValueError(`${name}: expected a number or [min, max], found ${describe(v)}`);
  checkRange(`${name}[0]`, v[0], lo, hi);
  checkRange(`${name}[1]`, v[1], v[0], hi);
  return (v[1] - v[0]) * rng.uniform() + v[0];
}

/**
 * Tonic's DropEvent: drops exactly round(p * N) events (int(p * N + 0.5)), chosen uniformly without
 * replacement; p may be a [min, max] range drawn per call. The kept events stay in order.
 */
export function dropEvent(ev: Events, p: number | readonly [number, number], rng: Rng): Events {
  checkEvents('dropEvent', ev);
  checkRng('dropEvent rng', rng);
  const prob = drawIn('dropEvent p', p, rng, 0, 1);
  const n = ev.t.length;
  const k = Math.floor(prob * n + 0.5);
  // partial Fisher-Yates: the first k of a random permutation are dropped
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const drop = new Uint8Array(n);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const tmp = perm[i];
    perm[i] = perm[j];
    perm[j] = tmp;
    drop[perm[i]] = 1;
  }
  return filterEvents(ev, (i) => drop[i] === 0);
}

/** Tonic's RandomFlipPolarity: with probability p (a draw u <= p) every polarity is inverted. */
export function randomFlipPolarity(ev: Events, rng: Rng, p = 0.5): Events {
  checkRng('randomFlipPolarity rng', rng);
  checkRange('randomFlipPolarity p', p, 0, 1);
  return rng.uniform() <= p ? flipPolarity(ev) : cloneEvents(ev);
}

/** Tonic's RandomFlipLR: with probability p, x = W - 1 - x. */
export function randomFlipLR(ev: Events, rng: Rng, p = 0.5): Events {
  checkRng('randomFlipLR rng', rng);
  checkRange('randomFlipLR p', p, 0, 1);
  return rng.uniform() <= p ? flipLR(ev) : cloneEvents(ev);
}

/** Tonic's RandomFlipUD: with probability p, y = H - 1 - y. */
export function randomFlipUD(ev: Events, rng: Rng, p = 0.5): Events {
  checkRng('randomFlipUD rng', rng);
  checkRange('randomFlipUD p', p, 0, 1);
  return rng.uniform() <= p ? flipUD(ev) : cloneEvents(ev);
}

/**
 * Tonic's RandomCrop: a targetSize box at x0 = floor(u * (W - w)), y0 = floor(u * (H - h)); the events in
 * it, moved to the origin, on a [w, h, P] sensor.
 */
export function randomCrop(ev: Events, targetSize: readonly [number, number], rng: Rng): Events {
  checkEvents('randomCrop', ev);
  checkRng('randomCrop rng', rng);
  const [w, h, np] = ev.sensorSize;
  const [tw, th] = targetSize;
  checkInt('randomCrop targetSize[0]', tw, 1, w);
  checkInt('randomCrop targetSize[1]', th, 1, h);
  const x0 = Math.floor(rng.uniform() * (w - tw));
  const y0 = Math.floor(rng.uniform() * (h - th));
  const out = filterEvents(ev, (i) => ev.x[i] >= x0 && ev.x[i] < x0 + tw && ev.y[i] >= y0 && ev.y[i] < y0 + th, [tw, th, np]);
  for (let i = 0; i < out.t.length; i++) {
    (out.x as Uint16Array)[i] -= x0;
    (out.y as Uint16Array)[i] -= y0;
  }
  return out;
}

export interface SpatialJitterOptions {
  /** Variance of the x shift (default 1). */
  varX?: number;
  /** Variance of the y shift (default 1). */
  varY?: number;
  /** Covariance of the x and y shifts (default 0); the covariance matrix must be positive semi-definite. */
  sigmaXY?: number;
  /**
   * true: events shifted off the sensor are dropped (Tonic's clip_outliers). false (default): they are
   * clamped to its edge (Tonic keeps them off the sensor, which Events cannot hold).
   */
  clipOutliers?: boolean;
}

/**
 * Tonic's SpatialJitter: each event moved by a draw from a 2-D normal with covariance [[varX, sigmaXY],
 * [sigmaXY, varY]]; the new coordinates truncated toward zero (numpy's cast into the integer fields).
 */
export function spatialJitter(ev: Events, rng: Rng, opts: SpatialJitterOptions = {}): Events {
  checkEvents('spatialJitter', ev);
  checkRng('spatialJitter rng', rng);
  const vx = opts.varX ?? 1;
  const vy = opts.varY ?? 1;
  const sxy = opts.sigmaXY ?? 0;
  checkRange('spatialJitter varX', vx, 0, Number.MAX_VALUE);
  checkRange('spatialJitter varY', vy, 0, Number.MAX_VALUE);
  checkRange('spatialJitter sigmaXY', sxy, -Number.MAX_VALUE, Number.MAX_VALUE);
  checkBool('spatialJitter clipOutliers', opts.clipOutliers);
  if (sxy * sxy > vx * vy)
    throw new ValueError(`spatialJitter: covariance ${sxy} makes [[${vx}, ${sxy}], [${sxy}, ${vy}]] not positive semi-definite`);
  // Cholesky factor of the covariance: (dx, dy) = L (z1, z2)
  const l11 = Math.sqrt(vx);
  const l21 = vx > 0 ? sxy / l11 : 0;
  const l22 = Math.sqrt(Math.max(0, vy - l21 * l21));
  const [w, h] = ev.sensorSize;
  const n = ev.t.length;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const z1 = rng.normal();
    const z2 = rng.normal();
    xs[i] = Math.trunc(ev.x[i] + l11 * z1);
    ys[i] = Math.trunc(ev.y[i] + l21 * z1 + l22 * z2);
  }
  const inside = (i: number) => xs[i] >= 0 && xs[i] < w && ys[i] >= 0 && ys[i] < h;
  const out = opts.clipOutliers
    ? filterEvents(ev, inside)
    : selectEvents(
        ev,
        Array.from({ length: n }, (_, i) => i),
      );
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (opts.clipOutliers && !inside(i)) continue;
    (out.x as Uint16Array)[k] = Math.min(w - 1, Math.max(0, xs[i]));
    (out.y as Uint16Array)[k] = Math.min(h - 1, Math.max(0, ys[i]));
    k++;
  }
  return out;
}

export interface TimeJitterOptions {
  /** Drop events whose new timestamp is negative (default true, Tonic's TimeJitter default). */
  clipNegative?: boolean;
  /** Sort by the new timestamps (stable; default false). */
  sortTimestamps?: boolean;
}

/** Tonic's TimeJitter: t = trunc(t + std * z), z standard normal, per event. */
export function timeJitter(ev: Events, std: number, rng: Rng, opts: TimeJitterOptions = {}): Events {
  checkEvents('timeJitter', ev);
  checkRng('timeJitter rng', rng);
  checkRange('timeJitter std', std, 0, Number.MAX_VALUE);
  checkBool('timeJitter clipNegative', opts.clipNegative);
  checkBool('timeJitter sortTimestamps', opts.sortTimestamps);
  const n = ev.t.length;
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) t[i] = Math.trunc(ev.t[i] + std * rng.normal());
  const keep: number[] = [];
  for (let i = 0; i < n; i++) if (!(opts.clipNegative ?? true) || t[i] >= 0) keep.push(i);
  if (opts.sortTimestamps) keep.sort((a, b) => t[a] - t[b] || a - b);
  const out = selectEvents(ev, keep);
  keep.forEach((i, k) => {
    (out.t as Float64Array)[k] = t[i];
  });
  return eventsOf(out.x, out.y, out.p, out.t, ev.sensorSize);
}

/** Tonic's RefractoryPeriod with a [min, max] range: the period int(u * (max - min) + min) drawn per call. */
export function randomRefractoryPeriod(ev: Events, range: readonly [number, number], rng: Rng): Events {
  checkRng('randomRefractoryPeriod rng', rng);
  return refractoryPeriod(ev, Math.trunc(drawIn('randomRefractoryPeriod range', range, rng, 0, Number.MAX_VALUE)));
}
