// Spike-driven kernels for a time-major spike sequence S[T, B, K] (row t*B + b), with complement coding.
//
// Rate-coded data fires a bright input at most steps: an MNIST pixel of intensity 0.98 spikes at 98%
// of the steps, so it costs one weight-row addition per step although its train carries almost no
// information beyond its constant part. Where input i of sample b spikes at more than (T + 1) / 2 of
// the T steps ("flipped"), these kernels write its train as 1 - (the steps where it is silent):
//   x[t,b,i] = 1 - xbar[t,b,i]   so   sum_i x[t,b,i] W[i] = C[b] + sum_{i plain} x W[i] - sum_{i flipped} xbar W[i]
// with C[b] = sum of the flipped rows, computed once per sample. On MNIST at T = 25 this cuts the
// first layer's additions by 4x (13.1% of the inputs active per step, 2.7% after flipping). The weight
// gradient follows the same identity: dW[i] += sum_t G[t,b] once for each flipped (b, i), then the
// events with their sign. An event is one i32 list entry: the byte offset of its row (a multiple of 4)
// with the sign in bit 0; the inner loops add the row with its sign bit flipped by that bit (x + (-y)
// is exactly x - y), so positive and negative events share one list in ascending order.
//
// Results are exact sums taken in a fixed order (see the reference, src/kernels/reference.ts), so they
// match it bit for bit; they equal the plain spike kernels up to float rounding. Without any flipped
// input the plain kernels run unchanged.

import { appendFromTable16 } from './compact';
import {
  PB, PW, bucketStarts, packPanels, packedWidth, tailWidth,
  spikeGradWScratchBytes, spikeMatmul, spikeMatmulGradW, spikeMatmulScratchBytes,
} from './spike';

// Forward: rows per block. Unlike spikeMatmul, K is not blocked: one event list per row (the pairwise
// order below is defined over the whole row). With a quarter of the plain kernel's events the per-call
// overhead of short k blocks outweighed keeping the panel slice in L1; a whole panel (K x 64 B) stays in L2.
const ROWS = 256;
// Weight gradient: rows of G per block; each block sweeps dW once. G is read in place (row-major):
// packing it cost more than the few events per column it would speed up.
const GROWS = 512;
const MAX_T = 32766; // counts are i16

@inline function align16(x: usize): usize {
  return (x + 15) & ~15;
}

/** Bytes of the flip mask (B*K u8, 0/1) and the per-sample i16 counts used to build it. */
@inline function flipBytes(b: i32, k: i32): usize {
  return align16(<usize>b * <usize>k + 16) + align16((<usize>k + 16) << 1);
}

/**
 * flip[b*K + i] = 1 where input i of sample b is nonzero at more than (T + 1) / 2 of the T steps
 * (flipping it then needs fewer events, even counting the base row), else 0. Returns the number of flips.
 */
function buildFlips(s: usize, t: i32, b: i32, k: i32, flip: usize, counts: usize): i32 {
  if (t > MAX_T) {
    memory.fill(flip, 0, <usize>b * <usize>k);
    return 0;
  }
  const zero = i8x16.splat(0);
  const one = i8x16.splat(1);
  const rowStride = <usize>b * <usize>k;
  let total = 0;
  for (let bi = 0; bi < b; bi++) {
    memory.fill(counts, 0, <usize>k << 1);
    let sr = s + <usize>bi * <usize>k;
    for (let ti = 0; ti < t; ti++) {
      let p = 0;
      for (; p + 16 <= k; p += 16) {
        const v = v128.and(i8x16.ne(v128.load(sr + <usize>p), zero), one);
        const c = counts + (<usize>p << 1);
        v128.store(c, i16x8.add(v128.load(c), i16x8.extend_low_i8x16_u(v)));
        v128.store(c, i16x8.add(v128.load(c, 16), i16x8.extend_high_i8x16_u(v)), 16);
      }
      for (; p < k; p++) {
        if (load<u8>(sr + <usize>p)) {
          const c = counts + (<usize>p << 1);
          store<i16>(c, load<i16>(c) + 1);
        }
      }
      sr += rowStride;
    }
    const fr = flip + <usize>bi * <usize>k;
    for (let p = 0; p < k; p++) {
      const f = 2 * <i32>load<i16>(counts + (<usize>p << 1)) > t + 1 ? 1 : 0;
      store<u8>(fr + <usize>p, <u8>f);
      total += f;
    }
  }
  return total;
}

/** 16-bit masks of the flips: fm[b][chunk] for the full 16-input chunks of each sample's row. */
function flipMasks(flip: usize, b: i32, k: i32, fm: usize): void {
  const nch = k >> 4;
  const zero = i8x16.splat(0);
  for (let bi = 0; bi < b; bi++) {
    const fr = flip + <usize>bi * <usize>k;
    for (let c = 0; c < nch; c++) {
      store<i32>(fm + ((<usize>bi * <usize>nch + <usize>c) << 2), i8x16.bitmask(i8x16.ne(v128.load(fr + (<usize>c << 4)), zero)));
    }
  }
}

/** The sign bit of every lane when bit 0 of the entry is set (negative event), else zero. */
@inline function signOf(e: i32): v128 {
  return i32x4.splat(e << 31);
}

/** out[0..16) += sum over q in [q0, q1) of +/- row (base + (list[q] & ~1)), 16 floats; sign in bit 0. */
@inline function sumSigned4(base: usize, list: usize, q0: i32, q1: i32, out: usize): void {
  let x0 = v128.load(out), x1 = v128.load(out, 16), x2 = v128.load(out, 32), x3 = v128.load(out, 48);
  let lp = list + (<usize>q0 << 2);
  const le = list + (<usize>q1 << 2);
  while (lp < le) {
    const e = load<i32>(lp);
    const r = base + <usize>(e & ~1);
    const sg = signOf(e);
    x0 = f32x4.add(x0, v128.xor(v128.load(r), sg)); x1 = f32x4.add(x1, v128.xor(v128.load(r, 16), sg));
    x2 = f32x4.add(x2, v128.xor(v128.load(r, 32), sg)); x3 = f32x4.add(x3, v128.xor(v128.load(r, 48), sg));
    lp += 4;
  }
  v128.store(out, x0); v128.store(out, x1, 16); v128.store(out, x2, 32); v128.store(out, x3, 48);
}

/**
 * Like sumSigned4, taking the rows in pairs: out += (row a + row b) for consecutive entries a, b, then
 * the odd last row alone. Halves the length of the add chains through the four accumulators (the
 * additions' latency, not their throughput, bounded the single-row loop).
 */
@inline function sumSignedPairs4(base: usize, list: usize, q0: i32, q1: i32, out: usize): void {
  let x0 = v128.load(out), x1 = v128.load(out, 16), x2 = v128.load(out, 32), x3 = v128.load(out, 48);
  let lp = list + (<usize>q0 << 2);
  const le = list + (<usize>q1 << 2);
  while (lp + 8 <= le) {
    const e = load<i32>(lp), f = load<i32>(lp, 4);
    const r = base + <usize>(e & ~1), u = base + <usize>(f & ~1);
    const se = signOf(e), sf = signOf(f);
    x0 = f32x4.add(x0, f32x4.add(v128.xor(v128.load(r), se), v128.xor(v128.load(u), sf)));
    x1 = f32x4.add(x1, f32x4.add(v128.xor(v128.load(r, 16), se), v128.xor(v128.load(u, 16), sf)));
    x2 = f32x4.add(x2, f32x4.add(v128.xor(v128.load(r, 32), se), v128.xor(v128.load(u, 32), sf)));
    x3 = f32x4.add(x3, f32x4.add(v128.xor(v128.load(r, 48), se), v128.xor(v128.load(u, 48), sf)));
    lp += 8;
  }
  v128.store(out, x0); v128.store(out, x1, 16); v128.store(out, x2, 32); v128.store(out, x3, 48);
  if (lp < le) sumSigned4(base, lp, 0, 1, out); // the odd last row
}

/** The same for a tail panel of 8 or 4 floats per row (entries are row * 64: rows of 32 or 16 bytes). */
@inline function sumSignedTail(panel: usize, tw: i32, list: usize, q0: i32, q1: i32, out: usize): void {
  if (tw == 16) {
    sumSignedPairs4(panel, list, q0, q1, out);
    return;
  }
  const shift = tw == 8 ? 1 : 2;
  let x0 = v128.load(out), x1 = v128.load(out, 16);
  let q = q0;
  for (; q + 1 < q1; q += 2) {
    const e = load<i32>(list + (<usize>q << 2)), f = load<i32>(list + (<usize>q << 2), 4);
    const r = panel + <usize>((e & ~1) >> shift), u = panel + <usize>((f & ~1) >> shift);
    const se = signOf(e), sf = signOf(f);
    x0 = f32x4.add(x0, f32x4.add(v128.xor(v128.load(r), se), v128.xor(v128.load(u), sf)));
    if (tw == 8) x1 = f32x4.add(x1, f32x4.add(v128.xor(v128.load(r, 16), se), v128.xor(v128.load(u, 16), sf)));
  }
  if (q < q1) {
    const e = load<i32>(list + (<usize>q << 2));
    const r = panel + <usize>((e & ~1) >> shift);
    const se = signOf(e);
    x0 = f32x4.add(x0, v128.xor(v128.load(r), se));
    if (tw == 8) x1 = f32x4.add(x1, v128.xor(v128.load(r, 16), se));
  }
  v128.store(out, x0);
  if (tw == 8) v128.store(out, x1, 16);
}

/**
 * The row sums shared by the base rows and the event rows: for each row r of a block and each panel,
 * out[r] (16 columns) = init + the row's listed panel rows (list[starts[r] .. starts[r + 1])), where
 * init = load(a[r]) (+ load(b[r]) when b[r] != 0). a and b hold one pointer per row to the row's first
 * column; the panel offset is added here.
 */
function blockSums(
  wp: usize, panelB: usize, n: i32, rows: i32, starts: usize, list: usize,
  out: usize, rowB: usize, a: usize, b: usize, tmp: usize,
): void {
  const nc = n >> 4;
  for (let pc = 0; pc < nc; pc++) {
    const panel = wp + <usize>pc * panelB;
    const jo = <usize>pc * PB;
    for (let r = 0; r < rows; r++) {
      const o = out + <usize>r * rowB + jo;
      const ra = <usize>load<i32>(a + (<usize>r << 2)) + jo;
      const rb = <usize>load<i32>(b + (<usize>r << 2));
      let x0 = v128.load(ra), x1 = v128.load(ra, 16), x2 = v128.load(ra, 32), x3 = v128.load(ra, 48);
      if (rb) {
        const q = rb + jo;
        x0 = f32x4.add(x0, v128.load(q)); x1 = f32x4.add(x1, v128.load(q, 16));
        x2 = f32x4.add(x2, v128.load(q, 32)); x3 = f32x4.add(x3, v128.load(q, 48));
      }
      v128.store(o, x0); v128.store(o, x1, 16); v128.store(o, x2, 32); v128.store(o, x3, 48);
      const st = starts + (<usize>r << 2);
      sumSignedPairs4(panel, list, load<i32>(st), load<i32>(st, 4), o);
    }
  }
  const tw = tailWidth(n);
  if (!tw) return;
  const t = n & (PW - 1);
  const panel = wp + <usize>nc * panelB;
  const jo = <usize>nc * PB;
  for (let r = 0; r < rows; r++) {
    const ra = <usize>load<i32>(a + (<usize>r << 2)) + jo;
    const rb = <usize>load<i32>(b + (<usize>r << 2));
    for (let j = 0; j < tw; j++) {
      let v: f32 = 0;
      if (j < t) {
        v = load<f32>(ra + (<usize>j << 2));
        if (rb) v += load<f32>(rb + jo + (<usize>j << 2));
      }
      store<f32>(tmp + (<usize>j << 2), v);
    }
    const st = starts + (<usize>r << 2);
    sumSignedTail(panel, tw, list, load<i32>(st), load<i32>(st, 4), tmp);
    const o = out + <usize>r * rowB + jo;
    for (let j = 0; j < t; j++) store<f32>(o + (<usize>j << 2), load<f32>(tmp + (<usize>j << 2)));
  }
}

/** Scratch bytes of spikeSeqMatmul. */
export function spikeSeqMatmulScratchBytes(t: i32, b: i32, k: i32, n: i32): usize {
  const m = t * b;
  const plain = spikeMatmulScratchBytes(m, k, n);
  if (n <= PW) return plain;
  const r = <usize>max(min(m, ROWS), b);
  const own = flipBytes(b, k)
    + align16((<usize>k * <usize>packedWidth(n)) << 2) // panels
    + align16((<usize>b * <usize>n) << 2) // base rows C
    + align16((<usize>b * <usize>k) << 2) // offset table
    + align16((<usize>b * <usize>((k >> 4) + 1)) << 2) // flip masks
    + align16((r + 1) << 2) // list starts
    + align16((r * <usize>k + 16) << 2) // index list
    + align16(r << 3) // init pointers a, b
    + 64; // tmp row
  return max(own, plain);
}

/**
 * C[T*B, N] (+)= S[T*B, K] W[K, N] for a time-major spike sequence, complement-coding the inputs that
 * spike at most steps (see the top of this file). scratch: spikeSeqMatmulScratchBytes(t, b, k, n).
 */
export function spikeSeqMatmul(s: usize, w: usize, c: usize, t: i32, b: i32, k: i32, n: i32, accumulate: i32, scratch: usize): void {
  const m = t * b;
  if (n <= PW) {
    spikeMatmul(s, w, c, m, k, n, accumulate, scratch);
    return;
  }
  const flip = scratch;
  const counts = flip + align16(<usize>b * <usize>k + 16);
  if (buildFlips(s, t, b, k, flip, counts) == 0) {
    spikeMatmul(s, w, c, m, k, n, accumulate, scratch);
    return;
  }
  const rowB = <usize>n << 2;
  const nch = k >> 4;
  const wp = scratch + flipBytes(b, k);
  const cb = wp + align16((<usize>k * <usize>packedWidth(n)) << 2);
  const offs = cb + align16((<usize>b * <usize>n) << 2);
  const fm = offs + align16((<usize>b * <usize>k) << 2);
  const r = <usize>max(min(m, ROWS), b);
  const starts = fm + align16((<usize>b * <usize>(nch + 1)) << 2);
  const list = starts + align16((r + 1) << 2);
  const pa = list + align16((r * <usize>k + 16) << 2);
  const pb = pa + (r << 2);
  const tmp = pb + (r << 2);
  const panelB = <usize>k * PB;
  packPanels(w, k, n, wp);
  flipMasks(flip, b, k, fm);
  // Offset table: the list entry of input i of sample b: its panel row in bytes, i * 64, + 1 if flipped.
  for (let bi = 0; bi < b; bi++) {
    const fr = flip + <usize>bi * <usize>k;
    const ot = offs + ((<usize>bi * <usize>k) << 2);
    for (let p = 0; p < k; p++) store<i32>(ot + (<usize>p << 2), p * PB + <i32>load<u8>(fr + <usize>p));
  }
  // Base rows C[b] = sum of W's flipped rows (positive entries i * 64), from zero.
  let cnt = 0;
  for (let bi = 0; bi < b; bi++) {
    const fr = flip + <usize>bi * <usize>k;
    store<i32>(starts + (<usize>bi << 2), cnt);
    for (let p = 0; p < k; p++) {
      if (load<u8>(fr + <usize>p)) {
        store<i32>(list + (<usize>cnt << 2), p * PB);
        cnt++;
      }
    }
    store<i32>(pa + (<usize>bi << 2), <i32>(cb + <usize>bi * rowB)); // init: the row itself, zeroed below
    store<i32>(pb + (<usize>bi << 2), 0);
  }
  store<i32>(starts + (<usize>b << 2), cnt);
  memory.fill(cb, 0, <usize>b * rowB);
  blockSums(wp, panelB, n, b, starts, list, cb, rowB, pa, pb, tmp);
  // Event rows: init = C[b] (+ the existing output when accumulating), then the signed events.
  const zero = i8x16.splat(0);
  for (let r0 = 0; r0 < m; r0 += ROWS) {
    const rows = min(ROWS, m - r0);
    cnt = 0;
    for (let ri = 0; ri < rows; ri++) {
      const gr = r0 + ri;
      const bi = gr % b;
      const sr = s + <usize>gr * <usize>k;
      const fr = flip + <usize>bi * <usize>k;
      const ot = offs + ((<usize>bi * <usize>k) << 2);
      const fmr = fm + ((<usize>bi * <usize>nch) << 2);
      store<i32>(starts + (<usize>ri << 2), cnt);
      let p = 0;
      for (; p + 16 <= k; p += 16) {
        const bits = i8x16.bitmask(i8x16.ne(v128.load(sr + <usize>p), zero)) ^ load<i32>(fmr + (<usize>(p >> 4) << 2));
        cnt = appendFromTable16(bits, ot + (<usize>p << 2), list, cnt);
      }
      for (; p < k; p++) {
        if ((load<u8>(sr + <usize>p) != 0) != (load<u8>(fr + <usize>p) != 0)) {
          store<i32>(list + (<usize>cnt << 2), load<i32>(ot + (<usize>p << 2)));
          cnt++;
        }
      }
      const crow = cb + <usize>bi * rowB;
      if (accumulate) {
        store<i32>(pa + (<usize>ri << 2), <i32>(c + <usize>gr * rowB));
        store<i32>(pb + (<usize>ri << 2), <i32>crow);
      } else {
        store<i32>(pa + (<usize>ri << 2), <i32>crow);
        store<i32>(pb + (<usize>ri << 2), 0);
      }
    }
    store<i32>(starts + (<usize>rows << 2), cnt);
    blockSums(wp, panelB, n, rows, starts, list, c + <usize>r0 * rowB, rowB, pa, pb, tmp);
  }
}

/**
 * The events of S row gr (sample gr % b), column by column: without `fill`, counts them per column
 * (at[p + 1] += 1); with `fill`, appends off | sign to column p's bucket at its cursor at[p].
 */
@inline function bucketRow(fill: bool, s: usize, flip: usize, fm: usize, gr: i32, b: i32, k: i32, off: i32, at: usize, list: usize): void {
  const bi = gr % b;
  const sr = s + <usize>gr * <usize>k;
  const fr = flip + <usize>bi * <usize>k;
  const fmr = fm + ((<usize>bi * <usize>(k >> 4)) << 2);
  const zero = i8x16.splat(0);
  let p = 0;
  for (; p + 16 <= k; p += 16) {
    const fbits = load<i32>(fmr + (<usize>(p >> 4) << 2));
    let mask = i8x16.bitmask(i8x16.ne(v128.load(sr + <usize>p), zero)) ^ fbits;
    while (mask) {
      const j = ctz(mask);
      bucketEvent(fill, at, list, p + j, off | ((fbits >> j) & 1));
      mask &= mask - 1;
    }
  }
  for (; p < k; p++) {
    const f = <i32>(load<u8>(fr + <usize>p) != 0);
    if (<i32>(load<u8>(sr + <usize>p) != 0) != f) bucketEvent(fill, at, list, p, off | f);
  }
}

@inline function bucketEvent(fill: bool, at: usize, list: usize, p: i32, entry: i32): void {
  if (fill) {
    const a = at + (<usize>p << 2);
    const q = load<i32>(a);
    store<i32>(list + (<usize>q << 2), entry);
    store<i32>(a, q + 1);
  } else {
    const a = at + (<usize>(p + 1) << 2);
    store<i32>(a, load<i32>(a) + 1);
  }
}

/** Scratch bytes of spikeSeqGradW. */
export function spikeSeqGradWScratchBytes(t: i32, b: i32, k: i32, n: i32): usize {
  const m = t * b;
  const plain = spikeGradWScratchBytes(m, k, n);
  if (n <= PW) return plain;
  const r = <usize>min(m, GROWS);
  const own = flipBytes(b, k)
    + align16((<usize>b * <usize>((k >> 4) + 1)) << 2) // flip masks
    + align16((<usize>b * <usize>n) << 2) // per-sample sums of G over time
    + align16(((<usize>k << 1) + 1) << 2) // starts, cursors
    + align16((r * <usize>k + 16) << 2) // list
    + spikeGradWScratchBytes(b, k, n); // the base term's plain kernel
  return max(own, plain);
}

/**
 * dW[K, N] += S[T*B, K]^T G[T*B, N] for a time-major spike sequence, with the complement coding of
 * spikeSeqMatmul: first the signed events in row order, then for every flipped (b, i) the sum over t
 * of G[t*B + b] (samples in order). scratch: spikeSeqGradWScratchBytes(t, b, k, n).
 */
export function spikeSeqGradW(s: usize, g: usize, dw: usize, t: i32, b: i32, k: i32, n: i32, scratch: usize): void {
  const m = t * b;
  if (n <= PW) {
    spikeMatmulGradW(s, g, dw, m, k, n, scratch);
    return;
  }
  const flip = scratch;
  const counts = flip + align16(<usize>b * <usize>k + 16);
  if (buildFlips(s, t, b, k, flip, counts) == 0) {
    spikeMatmulGradW(s, g, dw, m, k, n, scratch);
    return;
  }
  const rowB = <usize>n << 2;
  const nch = k >> 4;
  const r = <usize>min(m, GROWS);
  const fm = scratch + flipBytes(b, k);
  const gsum = fm + align16((<usize>b * <usize>(nch + 1)) << 2);
  const starts = gsum + align16((<usize>b * <usize>n) << 2);
  const cursor = starts + ((<usize>k + 1) << 2);
  const list = starts + align16(((<usize>k << 1) + 1) << 2);
  const inner = list + align16((r * <usize>k + 16) << 2);
  flipMasks(flip, b, k, fm);
  const nc = n >> 4;
  for (let r0 = 0; r0 < m; r0 += GROWS) {
    const rows = min(GROWS, m - r0);
    const gb = g + <usize>r0 * rowB;
    // Count the events of each column, then bucket the rows by column (in row order), signed.
    memory.fill(starts, 0, (<usize>k + 1) << 2);
    for (let ri = 0; ri < rows; ri++) bucketRow(false, s, flip, fm, r0 + ri, b, k, ri * <i32>rowB, starts, list);
    bucketStarts(starts, cursor, k);
    for (let ri = 0; ri < rows; ri++) bucketRow(true, s, flip, fm, r0 + ri, b, k, ri * <i32>rowB, cursor, list);
    // Every dW row with events gets its signed G rows added, 16 columns at a time, G read in place.
    for (let p = 0; p < k; p++) {
      const st = starts + (<usize>p << 2);
      const q0 = load<i32>(st), q1 = load<i32>(st, 4);
      if (q0 >= q1) continue;
      const drow = dw + <usize>p * rowB;
      for (let pc = 0; pc < nc; pc++) sumSigned4(gb + <usize>pc * PB, list, q0, q1, drow + <usize>pc * PB);
      for (let j = nc << 4; j < n; j++) {
        const o = drow + (<usize>j << 2);
        let v = load<f32>(o);
        for (let q = q0; q < q1; q++) {
          const e = load<i32>(list + (<usize>q << 2));
          const x = load<f32>(gb + <usize>(e & ~1) + (<usize>j << 2));
          v = e & 1 ? v - x : v + x;
        }
        store<f32>(o, v);
      }
    }
  }
  // Base term: Gsum[b] = sum over t of G[t*B + b] (t in order, from zero), added into the flipped rows.
  memory.fill(gsum, 0, <usize>b * rowB);
  for (let ti = 0; ti < t; ti++) {
    for (let bi = 0; bi < b; bi++) {
      const src = g + <usize>(ti * b + bi) * rowB;
      const dst = gsum + <usize>bi * rowB;
      let j = 0;
      for (; j + 4 <= n; j += 4) {
        const o = <usize>j << 2;
        v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
      }
      for (; j < n; j++) {
        const o = <usize>j << 2;
        store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
      }
    }
  }
  spikeMatmulGradW(flip, gsum, dw, b, k, n, inner);
}
