import { checkInt, checkKeys, checkObject, checkRange, checkRng, describe, ValueError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { concatEvents, type Events, eventsOf, type SensorSize, selectEvents } from './events.js';

/*
 * A DVS (event camera) emulator in the spirit of ESIM (Rebecq et al. 2018) and v2e (Hu et al. 2021),
 * written from their model descriptions:
 *
 * - each pixel sees log intensity L = ln(I + logOffset); between two frames L moves linearly in time;
 * - each pixel remembers a reference level R (L at its last event); when L - R reaches the pixel's ON
 *   threshold it emits an ON event and R rises by that threshold, when it falls to minus the OFF
 *   threshold an OFF event and R drops by it (so a change of k thresholds gives k events, their times
 *   where the interpolated L crosses each level);
 * - the thresholds differ from pixel to pixel: each pixel's ON and OFF threshold are drawn once from a
 *   normal around the nominal value (mismatch);
 * - after an event the pixel is blind for the refractory period; a crossing inside it is not lost, it
 *   fires when the period ends if L - R still exceeds the threshold then;
 * - leak: R drifts down at leakRate ON-thresholds per second (each pixel's rate with the same relative
 *   mismatch, a random starting phase), so a static pixel emits ON events at about leakRate Hz;
 * - shot noise: each pixel emits random events as a Poisson process of shotNoiseRate Hz, ON or OFF
 *   with equal odds; such an event resets the pixel like a real one (R becomes the level L then) and
 *   respects the refractory period.
 *
 * Time is whole microseconds: a crossing is reported at the first microsecond at which it has happened.
 * Every random choice comes from the Rng given.
 */

export interface DvsOptions {
  /** The Rng of every random choice (mismatch, leak phase, noise). */
  rng: Rng;
  /** Nominal ON threshold in log-intensity units (default 0.2). */
  thresholdOn?: number;
  /** Nominal OFF threshold (default 0.2). */
  thresholdOff?: number;
  /** Standard deviation of each pixel's thresholds around the nominal ones (default 0.03; 0: all equal). */
  thresholdSigma?: number;
  /** Smallest threshold a pixel may draw (default 0.01). */
  minThreshold?: number;
  /** Refractory period in microseconds (default 0). */
  refractory?: number;
  /** Leak events per pixel per second (default 0). */
  leakRate?: number;
  /** Shot-noise events per pixel per second (default 0). */
  shotNoiseRate?: number;
  /** Offset inside the log, L = ln(I + logOffset), in the units of the intensities given (default 0.05). */
  logOffset?: number;
}

const DVS_KEYS = [
  'rng',
  'thresholdOn',
  'thresholdOff',
  'thresholdSigma',
  'minThreshold',
  'refractory',
  'leakRate',
  'shotNoiseRate',
  'logOffset',
] as const;

/** Growable event columns. */
class Columns {
  x = new Uint16Array(256);
  y = new Uint16Array(256);
  p = new Uint8Array(256);
  t = new Float64Array(256);
  n = 0;

  push(x: number, y: number, p: number, t: number): void {
    if (this.n === this.t.length) {
      const grow = <A extends Uint16Array | Uint8Array | Float64Array>(a: A): A => {
        const b = new (a.constructor as new (n: number) => A)(a.length * 2);
        b.set(a);
        return b;
      };
      this.x = grow(this.x);
      this.y = grow(this.y);
      this.p = grow(this.p);
      this.t = grow(this.t);
    }
    const i = this.n++;
    this.x[i] = x;
    this.y[i] = y;
    this.p[i] = p;
    this.t[i] = t;
  }
}

/** A Poisson draw with mean `mean` (inversion; the means here are small). */
function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
  const l = Math.exp(-mean);
  let k = 0;
  let prod = rng.uniform();
  while (prod > l) {
    k++;
    prod *= rng.uniform();
  }
  return k;
}

/**
 * The emulated sensor: give it the first frame with start(), then every later frame with advance(),
 * each returning the events of the interval since the previous frame, sorted by time (ties by pixel,
 * row-major). Frames are `width * height` non-negative intensities, row-major.
 */
export class DvsEmulator {
  readonly width: number;
  readonly height: number;
  readonly sensorSize: SensorSize;
  private readonly rng: Rng;
  private readonly cOn: Float64Array;
  private readonly cOff: Float64Array;
  private readonly leak: Float64Array;
  private readonly refractory: number;
  private readonly noiseRate: number;
  private readonly logOffset: number;
  /** Reference level at time refT. */
  private readonly ref: Float64Array;
  private readonly refT: Float64Array;
  /** Time of the last event (-Infinity: none). */
  private readonly last: Float64Array;
  private logPrev: Float64Array;
  private tPrev = Number.NaN;

  constructor(width: number, height: number, opts: DvsOptions) {
    checkInt('DvsEmulator width', width, 1, 65536);
    checkInt('DvsEmulator height', height, 1, 65536);
    checkObject('DvsEmulator options', opts);
    checkKeys('DvsEmulator options', opts, DVS_KEYS);
    checkRng('DvsEmulator rng', opts.rng);
    const on = opts.thresholdOn ?? 0.2;
    const off = opts.thresholdOff ?? 0.2;
    const sigma = opts.thresholdSigma ?? 0.03;
    const minC = opts.minThreshold ?? 0.01;
    checkRange('DvsEmulator minThreshold', minC, 1e-6, 100);
    checkRange('DvsEmulator thresholdOn', on, minC, 100);
    checkRange('DvsEmulator thresholdOff', off, minC, 100);
    checkRange('DvsEmulator thresholdSigma', sigma, 0, 100);
    checkInt('DvsEmulator refractory (microseconds)', opts.refractory ?? 0, 0);
    checkRange('DvsEmulator leakRate (Hz)', opts.leakRate ?? 0, 0, 1e6);
    checkRange('DvsEmulator shotNoiseRate (Hz)', opts.shotNoiseRate ?? 0, 0, 1e6);
    checkRange('DvsEmulator logOffset', opts.logOffset ?? 0.05, 1e-12, 1e12);
    this.width = width;
    this.height = height;
    this.sensorSize = [width, height, 2];
    this.rng = opts.rng;
    this.refractory = opts.refractory ?? 0;
    this.noiseRate = opts.shotNoiseRate ?? 0;
    this.logOffset = opts.logOffset ?? 0.05;
    const n = width * height;
    this.cOn = new Float64Array(n);
    this.cOff = new Float64Array(n);
    this.leak = new Float64Array(n);
    const leakRate = opts.leakRate ?? 0;
    for (let i = 0; i < n; i++) {
      const dOn = sigma > 0 ? sigma * this.rng.normal() : 0;
      const dOff = sigma > 0 ? sigma * this.rng.normal() : 0;
      this.cOn[i] = Math.max(minC, on + dOn);
      this.cOff[i] = Math.max(minC, off + dOff);
      // leak in log units per microsecond: leakRate ON thresholds per second, mismatched like the threshold
      if (leakRate > 0) this.leak[i] = (leakRate * on * Math.max(0, 1 + dOn / on)) / 1e6;
    }
    this.ref = new Float64Array(n);
    this.refT = new Float64Array(n);
    this.last = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
    this.logPrev = new Float64Array(n);
  }

  /** Each pixel's ON and OFF threshold (copies; row-major), as drawn with the mismatch. */
  thresholds(): { on: Float64Array; off: Float64Array } {
    return { on: this.cOn.slice(), off: this.cOff.slice() };
  }

  private logFrame(frame: ArrayLike<number>, what: string): Float64Array {
    const n = this.width * this.height;
    if (!frame || typeof frame.length !== 'number' || frame.length !== n)
      throw new ValueError(
        `${what}: expected ${n} intensities (${this.width} x ${this.height}), found ${frame && typeof frame.length === 'number' ? frame.length : describe(frame)}`,
      );
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = frame[i];
      if (!(v >= 0) || !Number.isFinite(v)) throw new ValueError(`${what}: intensity ${i} is ${v}; expected a finite number >= 0`);
      out[i] = Math.log(v + this.logOffset);
    }
    return out;
  }

  /** Sets the first frame at time t (microseconds): every pixel's reference is its level then; no events. */
  start(frame: ArrayLike<number>, t = 0): void {
    checkInt('DvsEmulator start time (microseconds)', t, 0);
    this.logPrev = this.logFrame(frame, 'DvsEmulator start frame');
    this.tPrev = t;
    const n = this.width * this.height;
    for (let i = 0; i < n; i++) {
      // a random leak phase: the reference starts below the level by a uniform part of the ON threshold
      this.ref[i] = this.logPrev[i] - (this.leak[i] > 0 ? this.rng.uniform() * 0.999 * this.cOn[i] : 0);
      this.refT[i] = t;
      this.last[i] = Number.NEGATIVE_INFINITY;
    }
  }

  /**
   * Shot noise of one interval (ta, ta + dt]: a Poisson number of events over the whole sensor (the sum of
   * the pixels' Poisson processes), each at a uniform pixel and time, ON or OFF with equal odds; sorted
   * by pixel, then time.
   */
  private drawNoise(ta: number, dt: number, n: number): { n: number; pix: Uint32Array; t: Float64Array; p: Uint8Array } {
    const k = this.noiseRate > 0 ? poisson(this.rng, (this.noiseRate * dt * n) / 1e6) : 0;
    const pix = new Uint32Array(k);
    const t = new Float64Array(k);
    const p = new Uint8Array(k);
    const raw = Array.from({ length: k }, () => ({
      i: this.rng.int(n),
      t: ta + 1 + Math.floor(this.rng.uniform() * dt),
      p: this.rng.uniform() < 0.5 ? 1 : 0,
    }));
    raw.sort((a, b) => a.i - b.i || a.t - b.t);
    raw.forEach((e, j) => {
      pix[j] = e.i;
      t[j] = e.t;
      p[j] = e.p;
    });
    return { n: k, pix, t, p };
  }

  /** The events between the previous frame and this one, shown at time t (microseconds, after the previous). */
  advance(frame: ArrayLike<number>, t: number): Events {
    if (Number.isNaN(this.tPrev)) throw new ValueError('DvsEmulator advance: call start(firstFrame, t0) first');
    checkInt('DvsEmulator frame time (microseconds)', t, this.tPrev + 1);
    const next = this.logFrame(frame, `DvsEmulator frame at t = ${t}`);
    const ta = this.tPrev;
    const tb = t;
    const dt = tb - ta;
    const out = new Columns();
    const noise = this.drawNoise(ta, dt, next.length);
    let nk = 0;
    const w = this.width;
    const refr = this.refractory;
    const ref = this.ref;
    const refT = this.refT;
    const last = this.last;
    for (let i = 0; i < next.length; i++) {
      const la = this.logPrev[i];
      const slope = (next[i] - la) / dt;
      const leak = this.leak[i];
      const cOn = this.cOn[i];
      const cOff = this.cOff[i];
      // the noise events of this pixel: noise.pix[nk..nEnd)
      while (nk < noise.n && noise.pix[nk] < i) nk++;
      let nEnd = nk;
      while (nEnd < noise.n && noise.pix[nEnd] === i) nEnd++;
      // fast path: no noise here, and D(t) = L(t) - R(t) (linear in t) stays inside both thresholds
      if (nk === nEnd) {
        const r0 = ref[i] - leak * (ta - refT[i]);
        const d0 = la - r0;
        const d1 = d0 + (slope + leak) * dt;
        if (d0 < cOn && d0 > -cOff && d1 < cOn && d1 > -cOff) continue;
      }
      let cur = ta;
      const x = i % w;
      const y = (i - x) / w;
      for (;;) {
        const ready = Math.max(cur, last[i] + refr);
        let ts = Number.POSITIVE_INFINITY;
        let pol = 0;
        if (ready <= tb) {
          const g = slope + leak;
          const d = la + slope * (ready - ta) - (ref[i] - leak * (ready - refT[i]));
          if (d >= cOn) {
            ts = ready;
            pol = 1;
          } else if (d <= -cOff) {
            ts = ready;
            pol = 0;
          } else if (g > 0) {
            ts = Math.max(ready, Math.ceil(ready + (cOn - d) / g));
            pol = 1;
          } else if (g < 0) {
            ts = Math.max(ready, Math.ceil(ready + (-cOff - d) / g));
            pol = 0;
          }
          // rounding up may land a hair before the level in floating point: step on until it is reached
          while (ts <= tb) {
            const dd = la + slope * (ts - ta) - (ref[i] - leak * (ts - refT[i]));
            if (pol === 1 ? dd >= cOn : dd <= -cOff) break;
            ts++;
          }
          if (ts > tb) ts = Number.POSITIVE_INFINITY;
        }
        // a noise event first if it comes before the signal one (none inside the refractory period)
        while (nk < nEnd && noise.t[nk] < ts && noise.t[nk] < last[i] + refr) nk++;
        let isNoise = false;
        if (nk < nEnd && noise.t[nk] < ts) {
          ts = noise.t[nk];
          pol = noise.p[nk];
          isNoise = true;
          nk++;
        }
        if (ts === Number.POSITIVE_INFINITY) break;
        if (isNoise) ref[i] = la + slope * (ts - ta);
        else {
          const r = ref[i] - leak * (ts - refT[i]);
          ref[i] = pol === 1 ? r + cOn : r - cOff;
        }
        refT[i] = ts;
        last[i] = ts;
        cur = ts;
        out.push(x, y, pol, ts);
      }
      nk = nEnd;
    }
    this.logPrev = next;
    this.tPrev = tb;
    return sortedEvents(out, this.sensorSize);
  }
}

/** The columns sorted by time (stable: ties keep pixel order). */
function sortedEvents(c: Columns, size: SensorSize): Events {
  const n = c.n;
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const t = c.t;
  idx.sort((a, b) => t[a] - t[b] || a - b);
  return selectEvents(eventsOf(c.x.subarray(0, n), c.y.subarray(0, n), c.p.subarray(0, n), t.subarray(0, n), size), idx);
}

/** Joins the events of consecutive intervals (each sorted, each after the previous). */
function joinParts(parts: Events[], size: SensorSize): Events {
  const all = concatEvents(parts, { sensorSize: size });
  return eventsOf(all.x, all.y, all.p, all.t, size, { format: 'emulated' });
}

/**
 * Events of a video: frames[k] (width * height intensities, row-major) shown at times[k] microseconds
 * (integers, increasing). The first frame sets the references; the events come from the changes after it.
 */
export function emulateVideo(
  frames: readonly ArrayLike<number>[],
  times: readonly number[],
  width: number,
  height: number,
  opts: DvsOptions,
): Events {
  if (!Array.isArray(frames) || frames.length < 1)
    throw new ValueError(`emulateVideo: expected a non-empty array of frames, found ${describe(frames)}`);
  if (!Array.isArray(times) || times.length !== frames.length)
    throw new ValueError(
      `emulateVideo: expected ${frames.length} frame times, found ${Array.isArray(times) ? times.length : describe(times)}`,
    );
  const dvs = new DvsEmulator(width, height, opts);
  dvs.start(frames[0], times[0]);
  const parts: Events[] = [];
  for (let k = 1; k < frames.length; k++) parts.push(dvs.advance(frames[k], times[k]));
  return joinParts(parts, dvs.sensorSize);
}

export interface SaccadeOptions extends Partial<DvsOptions> {
  /** Sensor side (default 34: N-MNIST's 34 x 34). */
  sensor?: number;
  /** Duration of each of the three saccades in microseconds (default 100,000; ~300 ms in all). */
  saccadeDuration?: number;
  /** Time between rendered frames in microseconds (default 2000). */
  frameStep?: number;
  /** Intensity of image value 0 and of the image's largest value on the screen (default 0 and 1). */
  black?: number;
  white?: number;
  /** Largest value of the image (default 255: MNIST bytes). */
  maxValue?: number;
}

/**
 * The three saccades of N-MNIST's recording (Orchard et al. 2015) as image offsets in pixels: an
 * isosceles triangle, down-right, up-right, then back left to the start, so the digit sweeps a 6 x 6 pixel
 * square. A 28 x 28 digit starting at (3, 3) - 3 = (0, 0) thus stays centred on the 34 x 34 sensor.
 */
export const NMNIST_SACCADES: ReadonlyArray<readonly [number, number]> = [
  [0, 0],
  [3, 6],
  [6, 0],
  [0, 0],
];

/** Bilinear sample of an image at fractional pixel (u, v); 0 outside. */
function sample(img: ArrayLike<number>, rows: number, cols: number, u: number, v: number): number {
  const x0 = Math.floor(u);
  const y0 = Math.floor(v);
  const fx = u - x0;
  const fy = v - y0;
  const at = (xx: number, yy: number) => (xx >= 0 && xx < cols && yy >= 0 && yy < rows ? img[yy * cols + xx] : 0);
  return (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
}

/** Default DVS settings of the saccade protocol, chosen so that emulated MNIST digits give N-MNIST's event counts. */
export const NMNIST_DVS_DEFAULTS = {
  thresholdOn: 0.5,
  thresholdOff: 0.5,
  thresholdSigma: 0.03,
  refractory: 1000,
  leakRate: 0.1,
  shotNoiseRate: 0.5,
  logOffset: 0.1,
} as const;

/**
 * N-MNIST's recording protocol emulated: the image (rows x cols values, row-major, 0..maxValue) is
 * shown on a screen that the sensor sweeps in three saccades (NMNIST_SACCADES, smooth start and stop:
 * the offset follows a half cosine in time), rendered every frameStep microseconds with bilinear
 * sampling, centred on a `sensor` x `sensor` sensor; the DVS model turns the frames into events.
 */
export function emulateSaccades(image: ArrayLike<number>, rows: number, cols: number, opts: SaccadeOptions & { rng: Rng }): Events {
  checkObject('emulateSaccades options', opts);
  const { sensor = 34, saccadeDuration = 100_000, frameStep = 2000, black = 0, white = 1, maxValue = 255, ...dvsGiven } = opts;
  checkInt('emulateSaccades rows', rows, 1, 4096);
  checkInt('emulateSaccades cols', cols, 1, 4096);
  if (!image || image.length !== rows * cols)
    throw new ValueError(
      `emulateSaccades: expected ${rows * cols} pixel values (${rows} x ${cols}), found ${image?.length ?? describe(image)}`,
    );
  checkInt('emulateSaccades sensor', sensor, 1, 4096);
  checkInt('emulateSaccades saccadeDuration (microseconds)', saccadeDuration, 1);
  checkInt('emulateSaccades frameStep (microseconds)', frameStep, 1, saccadeDuration);
  checkRange('emulateSaccades black', black, 0, 1e12);
  checkRange('emulateSaccades white', white, black, 1e12);
  checkRange('emulateSaccades maxValue', maxValue, Number.MIN_VALUE, 1e12);
  const dvs = new DvsEmulator(sensor, sensor, { ...NMNIST_DVS_DEFAULTS, ...dvsGiven } as DvsOptions);
  // the digit's top-left corner so that the middle of the sweep is the sensor's centre
  const ox = (sensor - cols - 6) / 2;
  const oy = (sensor - rows - 6) / 2;
  const frame = new Float64Array(sensor * sensor);
  const render = (dx: number, dy: number) => {
    for (let yy = 0; yy < sensor; yy++)
      for (let xx = 0; xx < sensor; xx++) {
        const v = sample(image, rows, cols, xx - ox - dx, yy - oy - dy) / maxValue;
        frame[yy * sensor + xx] = black + (white - black) * Math.min(1, Math.max(0, v));
      }
    return frame;
  };
  dvs.start(render(0, 0), 0);
  const parts: Events[] = [];
  const steps = Math.ceil(saccadeDuration / frameStep);
  for (let s = 0; s < 3; s++) {
    const [ax, ay] = NMNIST_SACCADES[s];
    const [bx, by] = NMNIST_SACCADES[s + 1];
    for (let k = 1; k <= steps; k++) {
      const tk = Math.min(saccadeDuration, k * frameStep);
      const f = (1 - Math.cos((Math.PI * tk) / saccadeDuration)) / 2;
      parts.push(dvs.advance(render(ax + (bx - ax) * f, ay + (by - ay) * f), s * saccadeDuration + tk));
    }
  }
  return joinParts(parts, dvs.sensorSize);
}
