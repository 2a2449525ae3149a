// Rate (Bernoulli) encoding with a counter-based generator (src/core/rng.ts, rateDraw): the draw for
// step t and value i of a sample is a keyed hash of the counter t * f + i under the sample's two key
// words, so any sample, step or value can be drawn on its own: each thread encodes its own shard of a
// batch, inference encodes a sample right before using it, and only the values strictly inside (0, 1)
// are drawn, four at a time in SIMD lanes. Integer arithmetic only, so the TypeScript reference gives
// the same spikes bit for bit.

import { appendLanes4, appendSetBits4 } from './compact';
import { addRows, stepListBytes, stepRows } from './spike-seq';

/** One round of the 32-bit mixer (xor-shift, multiply; a bijection with full avalanche). */
@inline function mix(h: u32): u32 {
  h ^= h >> 16;
  h *= 0x21f0aaad;
  h ^= h >> 15;
  h *= 0x735a2d97;
  return h ^ (h >> 15);
}

@inline function mix4(h: v128): v128 {
  h = v128.xor(h, i32x4.shr_u(h, 16));
  h = i32x4.mul(h, i32x4.splat(0x21f0aaad));
  h = v128.xor(h, i32x4.shr_u(h, 15));
  h = i32x4.mul(h, i32x4.splat(0x735a2d97));
  return v128.xor(h, i32x4.shr_u(h, 15));
}

/** The draw for counter c under key (k0, k1): mix(mix(c ^ k0) ^ k1). */
@inline function draw(c: u32, k0: u32, k1: u32): u32 {
  return mix(mix(c ^ k0) ^ k1);
}

/** Lanes 0-1 of four float32 values, times gain, in float64 (as the scalar path and the reference compute p). */
@inline function scaledLow(v: v128, g2: v128): v128 {
  return f64x2.mul(f64x2.promote_low_f32x4(v), g2);
}

/** Lanes 2-3 of four float32 values, times gain, in float64. */
@inline function scaledHigh(v: v128, g2: v128): v128 {
  return f64x2.mul(f64x2.promote_low_f32x4(i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7)), g2);
}

/** The 4-bit mask of two float64x2 comparison results (lanes 0-1, then 2-3). */
@inline function laneBits(lo: v128, hi: v128): i32 {
  return i64x2.bitmask(lo) | (i64x2.bitmask(hi) << 2);
}

/**
 * Lists the values that can fire, p = x[i] * gain > 0, ascending, into candI (i32) with their draw
 * thresholds in candM (u32): draw < p * 2^32 (exact: a power-of-two scaling) <=> draw <= ceil(p * 2^32)
 * - 1, and 0xffffffff (always) from p = 1. The list is padded to whole groups of four with index 0 and
 * threshold 0 (callers mask those lanes); both arrays need f + 8 entries. Returns the count, or -1 - i
 * for a NaN at value i (nothing listed).
 */
function listFiring(x: usize, f: i32, gain: f64, candI: usize, candM: usize): i32 {
  // branch-free, four values at a time (whether a pixel is 0, in between or 1 is unpredictable); p in
  // float64 as the scalar path and the reference compute it
  const g2 = f64x2.splat(gain), zero = f64x2.splat(0);
  let nc = 0;
  let i = 0;
  for (; i + 4 <= f; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const lo = scaledLow(v, g2), hi = scaledHigh(v, g2);
    const nan = laneBits(f64x2.ne(lo, lo), f64x2.ne(hi, hi));
    if (nan) return -1 - (i + ctz(nan));
    nc = appendSetBits4(laneBits(f64x2.gt(lo, zero), f64x2.gt(hi, zero)), i, candI, nc);
  }
  for (; i < f; i++) {
    const p = <f64>load<f32>(x + (<usize>i << 2)) * gain;
    if (isNaN(p)) return -1 - i;
    store<i32>(candI + (<usize>nc << 2), i);
    nc += <i32>(p > 0);
  }
  for (let j = 0; j < ((nc + 3) & ~3); j++) {
    const a = <usize>j << 2;
    if (j >= nc) {
      store<i32>(candI + a, 0);
      store<u32>(candM + a, 0);
      continue;
    }
    const p = <f64>load<f32>(x + (<usize>load<i32>(candI + a) << 2)) * gain;
    store<u32>(candM + a, p >= 1 ? 0xffffffff : <u32><i64>(Math.ceil(p * 4294967296.0) - 1)); // via i64: above 2^31 as well
  }
  return nc;
}

/** Scratch bytes of sampleSpikes: per value that can fire an index and a threshold (listFiring). */
export function rateSampleScratchBytes(f: i32): usize {
  return (<usize>(f + 8) << 2) * 2;
}

/**
 * One sample's spikes: out + t * outStride + i (bytes, zero on entry) = 1 at the steps where value i
 * fires, t < steps. p = x[i] * gain: never at or below 0, always from 1, else when the draw for
 * counter t * f + i is <= ceil(p * 2^32) - 1 (that is, below p * 2^32). Returns -1, or the index of
 * the first NaN value (then nothing is written).
 */
export function sampleSpikes(x: usize, f: i32, steps: i32, gain: f64, k0: u32, k1: u32, out: usize, outStride: usize, scratch: usize): i32 {
  const candI = scratch;
  const candM = candI + (<usize>(f + 8) << 2);
  const nc = listFiring(x, f, gain, candI, candM);
  if (nc < 0) return -1 - nc;
  const k0v = i32x4.splat(k0), k1v = i32x4.splat(k1);
  for (let t = 0; t < steps; t++) {
    const row = out + <usize>t * outStride;
    const c0 = t * f;
    const c0v = i32x4.splat(c0);
    let j = 0;
    for (; j + 4 <= nc; j += 4) {
      const a = <usize>j << 2;
      const d = mix4(v128.xor(mix4(v128.xor(i32x4.add(v128.load(candI + a), c0v), k0v)), k1v));
      const bits = i32x4.bitmask(i32x4.le_u(d, v128.load(candM + a)));
      store<u8>(row + <usize>load<i32>(candI + a), <u8>(bits & 1));
      store<u8>(row + <usize>load<i32>(candI + a, 4), <u8>((bits >> 1) & 1));
      store<u8>(row + <usize>load<i32>(candI + a, 8), <u8>((bits >> 2) & 1));
      store<u8>(row + <usize>load<i32>(candI + a, 12), <u8>(bits >> 3));
    }
    for (; j < nc; j++) {
      const i = load<i32>(candI + (<usize>j << 2));
      store<u8>(row + <usize>i, <u8>(draw(<u32>(c0 + i), k0, k1) <= load<u32>(candM + (<usize>j << 2))));
    }
  }
  return -1;
}

/**
 * Spikes of `samples` samples of f values (x [samples, f]; keys: two u32 words per sample) for
 * `steps` steps into out [steps, samples, f] (time-major). Returns -1, or the index into x of the
 * first NaN value (out is then incomplete). scratch: rateSampleScratchBytes(f).
 */
export function rateSpikes(x: usize, keys: usize, samples: i32, f: i32, steps: i32, gain: f64, out: usize, scratch: usize): i32 {
  memory.fill(out, 0, <usize>steps * <usize>samples * <usize>f);
  const stride = <usize>samples * <usize>f;
  for (let s = 0; s < samples; s++) {
    const o = <usize>s * <usize>f;
    const bad = sampleSpikes(x + (o << 2), f, steps, gain, load<u32>(keys + (<usize>s << 3)), load<u32>(keys + (<usize>s << 3), 4), out + o, stride, scratch);
    if (bad >= 0) return <i32>o + bad;
  }
  return -1;
}

@inline function align16(x: usize): usize {
  return (x + 15) & ~15;
}

/** Scratch bytes of rateSampleRows (f values per sample, T steps, rows of n floats). */
export function rateRowsScratchBytes(f: i32, t: i32, n: i32): usize {
  const list = align16(<usize>(f + 8) << 2);
  const ng = <usize>((f + 3) >> 2);
  return 4 * list + align16(ng << 4) + 2 * align16(ng << 2) + align16(<usize>t * ng) + align16(<usize>n << 2) + stepListBytes(t, f);
}

/**
 * One sample's T current rows, out + t * outStride (n floats) = bias + S[t] W for the rate spikes S that
 * sampleSpikes would draw (x: its f values, key (k0, k1)), without writing S: the spikes are drawn as
 * 4-bit masks per group of four inputs with p > 0, counted per input, and turned straight into the
 * row lists of the complement-coded sum (seqSampleRows: an input firing at more than (T + 1) / 2
 * steps is flipped; base = bias + the flipped rows; per step + the plain inputs that fire - the
 * flipped ones that are silent, ascending). Same lists and order as seqSampleRows on those spikes, so
 * the same sums bit for bit. Returns -1, or the index of the first NaN value.
 */
export function rateSampleRows(
  x: usize, f: i32, t: i32, gain: f64, k0: u32, k1: u32, w: usize, bias: usize, n: i32, out: usize, outStride: usize, scratch: usize,
): i32 {
  const nb = <usize>n << 2;
  const listB = align16(<usize>(f + 8) << 2);
  const candI = scratch; // inputs with p > 0, ascending (padded to whole groups of four)
  const candM = candI + listB; // draw threshold (0xffffffff: always)
  const candR = candM + listB; // W row address
  const baseL = candR + listB; // the flipped rows
  const ngMax = <usize>((f + 3) >> 2);
  const cnt = baseL + listB; // per group: i32x4 spike counts
  const valid = cnt + align16(ngMax << 4); // per group: 4-bit mask of real lanes, then of flipped lanes
  const flip = valid + align16(ngMax << 2);
  const masks = flip + align16(ngMax << 2); // [t][group] 4-bit spike masks
  const base = masks + align16(<usize>t * ngMax);
  const ev = base + align16(nb);
  const st = ev + align16((<usize>t * <usize>(f + 8) + 8) << 2);
  const nc = listFiring(x, f, gain, candI, candM);
  if (nc < 0) return -1 - nc;
  const ng = (nc + 3) >> 2;
  for (let j = 0; j < (ng << 2); j++) store<u32>(candR + (<usize>j << 2), <u32>(w + <usize>load<i32>(candI + (<usize>j << 2)) * nb));
  for (let g = 0; g < ng; g++) {
    store<i32>(valid + (<usize>g << 2), g < (nc >> 2) ? 15 : (1 << (nc & 3)) - 1);
    v128.store(cnt + (<usize>g << 4), i32x4.splat(0));
  }
  const k0v = i32x4.splat(k0), k1v = i32x4.splat(k1);
  for (let ti = 0; ti < t; ti++) {
    const c0v = i32x4.splat(ti * f);
    const mrow = masks + <usize>ti * <usize>ng;
    for (let g = 0; g < ng; g++) {
      const a = <usize>g << 4;
      const d = mix4(v128.xor(mix4(v128.xor(i32x4.add(v128.load(candI + a), c0v), k0v)), k1v));
      const vm = load<i32>(valid + (<usize>g << 2));
      const on = i32x4.le_u(d, v128.load(candM + a));
      const bits = i32x4.bitmask(on) & vm;
      store<u8>(mrow + <usize>g, <u8>bits);
      // lane counts: subtracting the all-ones lanes adds one (padding lanes are never counted: see valid)
      v128.store(cnt + a, i32x4.sub(v128.load(cnt + a), on));
    }
  }
  // flipped: more than (T + 1) / 2 spikes; the base row = bias + the flipped rows, ascending
  const half = i32x4.splat(t + 1);
  let nf = 0;
  for (let g = 0; g < ng; g++) {
    const a = <usize>g << 4;
    const fb = i32x4.bitmask(i32x4.gt_s(i32x4.shl(v128.load(cnt + a), 1), half)) & load<i32>(valid + (<usize>g << 2));
    store<i32>(flip + (<usize>g << 2), fb);
    nf = appendLanes4(fb, v128.load(candR + a), baseL, nf);
  }
  if (bias) memory.copy(base, bias, nb);
  else memory.fill(base, 0, nb);
  addRows(baseL, nf, baseL, 0, base, base, nb); // no negative terms
  // every step's terms: the plain inputs that fire, then the flipped ones that are silent
  let e = 0;
  for (let ti = 0; ti < t; ti++) {
    const mrow = masks + <usize>ti * <usize>ng;
    store<i32>(st + (<usize>ti << 3), e);
    for (let g = 0; g < ng; g++) {
      const m = <i32>load<u8>(mrow + <usize>g);
      e = appendLanes4(m & ~load<i32>(flip + (<usize>g << 2)), v128.load(candR + (<usize>g << 4)), ev, e);
    }
    store<i32>(st + (<usize>ti << 3), e, 4);
    for (let g = 0; g < ng; g++) {
      const m = <i32>load<u8>(mrow + <usize>g);
      e = appendLanes4(load<i32>(flip + (<usize>g << 2)) & ~m, v128.load(candR + (<usize>g << 4)), ev, e);
    }
  }
  store<i32>(st + (<usize>t << 3), e);
  stepRows(ev, st, t, base, out, outStride, 0, nb);
  return -1;
}
