// Spike-driven kernels for a time-major spike sequence S[T, B, K] (row t*B + b), with complement coding.
//
// Rate-coded data fires a bright input at most steps: an MNIST pixel of intensity 0.98 spikes at 98%
// of the steps, so it costs one weight-row addition per step although its train carries almost no
// information beyond its constant part. Where input i of sample b spikes at more than (T + 1) / 2 of
// the T steps ("flipped"), these kernels write its train as 1 - (the steps where it is silent):
//   x[t,b,i] = 1 - xbar[t,b,i]   so   sum_i x[t,b,i] W[i] = C[b] + sum_{i plain} x W[i] - sum_{i flipped} xbar W[i]
// with C[b] = sum of the flipped rows, computed once per sample. On MNIST at T = 25 this cuts the
// first layer's additions by 4x (13.1% of the inputs active per step, 2.7% after flipping).
//
// Both kernels go sample by sample (the rows one sample touches, about a quarter of W on MNIST, stay
// in L2 over its T steps). The forward lists each step's terms first, then builds the T current rows
// 24 columns at a time (stepRows: the rows' slices stay in L1 over the steps), one term at a time per
// element: out = base + p0 + p1 ... - n0 - n1 ... . The per-sample base row and the weight gradient
// add whole rows, four at a time, into a row that stays in L1:
//   out = src + ((a + b) + (c + d)),   then a pair  out + (a + b),  then a single row,
// first every positive term, then (subtracting) every negative one. Listing positive and negative
// terms apart keeps the inner loops to loads and additions. Per step only the inputs that make an
// event at some step are examined. Results are exact float sums in these orders, mirrored by the
// reference (src/kernels/reference.ts), so the two agree bit for bit.

import { spikeMatmul, spikeMatmulScratchBytes, spikeGradWScratchBytes, PW } from './spike';
import { spikeGradWNarrow } from './spike-narrow';
import { addBias } from './rows';

@inline function align16(x: usize): usize {
  return (x + 15) & ~15;
}

/**
 * Samples per block of the weight gradient: a block's terms are bucketed by input, so each dW row is
 * read and written once per block. At most 8 (their G rows, 8 x T x N floats, stay in L2), fewer when
 * T x K is large so the block's term list stays under ~1 MiB. The reference uses the same rule.
 */
export function seqGradBlock(t: i32, k: i32): i32 {
  return max(1, min(8, 262144 / max(1, (t + 1) * k)));
}

/** counts[p] (i32) = the steps at which input p < k of sample bi is nonzero; S's rows are ks bytes long. */
function sampleCounts(s: usize, ks: usize, t: i32, b: i32, k: i32, bi: i32, counts: usize): void {
  const zero = i8x16.splat(0);
  const one = i8x16.splat(1);
  const rowStride = <usize>b * ks;
  memory.fill(counts, 0, <usize>k << 2);
  let sr = s + <usize>bi * ks;
  for (let ti = 0; ti < t; ti++) {
    let p = 0;
    for (; p + 16 <= k; p += 16) {
      const v = v128.and(i8x16.ne(v128.load(sr + <usize>p), zero), one);
      const lo = i16x8.extend_low_i8x16_u(v), hi = i16x8.extend_high_i8x16_u(v);
      const c = counts + (<usize>p << 2);
      v128.store(c, i32x4.add(v128.load(c), i32x4.extend_low_i16x8_u(lo)));
      v128.store(c, i32x4.add(v128.load(c, 16), i32x4.extend_high_i16x8_u(lo)), 16);
      v128.store(c, i32x4.add(v128.load(c, 32), i32x4.extend_low_i16x8_u(hi)), 32);
      v128.store(c, i32x4.add(v128.load(c, 48), i32x4.extend_high_i16x8_u(hi)), 48);
    }
    for (; p < k; p++) {
      const c = counts + (<usize>p << 2);
      store<i32>(c, load<i32>(c) + <i32>(load<u8>(sr + <usize>p) != 0));
    }
    sr += rowStride;
  }
}

/** Input p, nonzero at c of the T steps, is flipped (complement coded): more than (T + 1) / 2. */
@inline function flipped(c: i32, t: i32): i32 {
  return <i32>(2 * c > t + 1);
}

/** An input nonzero at c of the T steps makes an event at some step: a plain one spikes, a flipped one is silent. */
@inline function hasEvents(c: i32, t: i32, f: i32): i32 {
  return f ? <i32>(c < t) : <i32>(c > 0);
}

@inline function addOrSub(neg: bool, a: v128, b: v128): v128 {
  return neg ? f32x4.sub(a, b) : f32x4.add(a, b);
}

@inline function addOrSubF(neg: bool, a: f32, b: f32): f32 {
  return neg ? a - b : a + b;
}

@inline function quad(r0: usize, r1: usize, r2: usize, r3: usize, j: usize, o: usize): v128 {
  return f32x4.add(
    f32x4.add(v128.load(r0 + j + o), v128.load(r1 + j + o)),
    f32x4.add(v128.load(r2 + j + o), v128.load(r3 + j + o)),
  );
}

/** out[0..nb bytes) = src +/- ((r0 + r1) + (r2 + r3)); 64 bytes per iteration (one line of each row). */
@inline function group4(neg: bool, r0: usize, r1: usize, r2: usize, r3: usize, src: usize, out: usize, nb: usize): void {
  let j: usize = 0;
  // each vector is stored before the next one's loads (stores may alias the rows, so V8 keeps this
  // order): five live registers instead of sixteen loads hoisted and spilled
  for (; j + 64 <= nb; j += 64) {
    v128.store(out + j, addOrSub(neg, v128.load(src + j), quad(r0, r1, r2, r3, j, 0)));
    v128.store(out + j, addOrSub(neg, v128.load(src + j, 16), quad(r0, r1, r2, r3, j, 16)), 16);
    v128.store(out + j, addOrSub(neg, v128.load(src + j, 32), quad(r0, r1, r2, r3, j, 32)), 32);
    v128.store(out + j, addOrSub(neg, v128.load(src + j, 48), quad(r0, r1, r2, r3, j, 48)), 48);
  }
  for (; j + 16 <= nb; j += 16) v128.store(out + j, addOrSub(neg, v128.load(src + j), quad(r0, r1, r2, r3, j, 0)));
  for (; j < nb; j += 4) {
    const x = (load<f32>(r0 + j) + load<f32>(r1 + j)) + (load<f32>(r2 + j) + load<f32>(r3 + j));
    store<f32>(out + j, addOrSubF(neg, load<f32>(src + j), x));
  }
}

/** out = src +/- (r0 + r1). */
@inline function group2(neg: bool, r0: usize, r1: usize, src: usize, out: usize, nb: usize): void {
  let j: usize = 0;
  for (; j + 32 <= nb; j += 32) {
    const a = f32x4.add(v128.load(r0 + j), v128.load(r1 + j));
    const b = f32x4.add(v128.load(r0 + j, 16), v128.load(r1 + j, 16));
    v128.store(out + j, addOrSub(neg, v128.load(src + j), a));
    v128.store(out + j, addOrSub(neg, v128.load(src + j, 16), b), 16);
  }
  for (; j + 16 <= nb; j += 16) v128.store(out + j, addOrSub(neg, v128.load(src + j), f32x4.add(v128.load(r0 + j), v128.load(r1 + j))));
  for (; j < nb; j += 4) store<f32>(out + j, addOrSubF(neg, load<f32>(src + j), load<f32>(r0 + j) + load<f32>(r1 + j)));
}

/** out = src +/- r0. */
@inline function group1(neg: bool, r0: usize, src: usize, out: usize, nb: usize): void {
  let j: usize = 0;
  for (; j + 32 <= nb; j += 32) {
    v128.store(out + j, addOrSub(neg, v128.load(src + j), v128.load(r0 + j)));
    v128.store(out + j, addOrSub(neg, v128.load(src + j, 16), v128.load(r0 + j, 16)), 16);
  }
  for (; j + 16 <= nb; j += 16) v128.store(out + j, addOrSub(neg, v128.load(src + j), v128.load(r0 + j)));
  for (; j < nb; j += 4) store<f32>(out + j, addOrSubF(neg, load<f32>(src + j), load<f32>(r0 + j)));
}

/** The row address of list entry q. */
@inline function rowAt(list: usize, q: i32): usize {
  return <usize>load<u32>(list + (<usize>q << 2));
}

/**
 * out = src +/- the rows (addresses) list[q0 .. q1): groups of four, then a pair, then a single row;
 * each group reads the previous one's result. Returns out when a row was added, else src.
 */
@inline function addRowsSigned(neg: bool, list: usize, q0: i32, q1: i32, src: usize, out: usize, nb: usize): usize {
  let q = q0;
  let from = src;
  for (; q + 4 <= q1; q += 4) {
    group4(neg, rowAt(list, q), rowAt(list, q + 1), rowAt(list, q + 2), rowAt(list, q + 3), from, out, nb);
    from = out;
  }
  if (q + 2 <= q1) {
    group2(neg, rowAt(list, q), rowAt(list, q + 1), from, out, nb);
    from = out;
    q += 2;
  }
  if (q < q1) {
    group1(neg, rowAt(list, q), from, out, nb);
    from = out;
  }
  return from;
}

/** out = src + the rows of pos[0 .. np) - the rows of neg[0 .. nn) (see addRowsSigned). */
export function addRows(pos: usize, np: i32, neg: usize, nn: i32, src: usize, out: usize, nb: usize): void {
  let from = addRowsSigned(false, pos, 0, np, src, out, nb);
  from = addRowsSigned(true, neg, 0, nn, from, out, nb);
  if (from != out) memory.copy(out, from, nb);
}

/** Scratch bytes of the per-sample forward (spikeSeqMatmul and the fused seqLeakyProject). */
export function seqRowsScratchBytes(t: i32, k: i32, n: i32): usize {
  const kk = <usize>k;
  return align16((kk << 2) + 16) + 6 * align16((kk + 4) << 2) + align16(<usize>n << 2) + stepListBytes(t, k);
}

/** Bytes of the per-step term lists of one sample (stepRows): row addresses, then 2T + 1 offsets. */
export function stepListBytes(t: i32, k: i32): usize {
  return align16((<usize>t * <usize>(k + 8) + 8) << 2) + align16((<usize>(2 * t + 1)) << 2);
}

/**
 * Row ti < t of out (out + ti * outStride, n floats) = (that row, when accumulating, +) base + the rows
 * listed for step ti (ev[st[2ti] .. st[2ti+1]]: added, ev[.. st[2ti+2]]: subtracted), each element
 * summed one row at a time in list order. Column blocks are the outer loop: a block's slices of the
 * rows a sample uses (~200 rows of W on MNIST, 96 bytes each) stay in L1 over all T steps, where whole
 * rows had to come from L2 again at every step (rate inference: -11% per batch). Six accumulators per
 * block: V8 keeps six in registers, not eight.
 */
export function stepRows(ev: usize, st: usize, t: i32, base: usize, out: usize, outStride: usize, accumulate: i32, nb: usize): void {
  let j: usize = 0;
  for (; j + 96 <= nb; j += 96) {
    for (let ti = 0; ti < t; ti++) {
      const o = out + <usize>ti * outStride + j;
      const bj = base + j;
      let a0 = v128.load(bj), a1 = v128.load(bj, 16), a2 = v128.load(bj, 32), a3 = v128.load(bj, 48), a4 = v128.load(bj, 64), a5 = v128.load(bj, 80);
      if (accumulate) {
        a0 = f32x4.add(v128.load(o), a0); a1 = f32x4.add(v128.load(o, 16), a1); a2 = f32x4.add(v128.load(o, 32), a2);
        a3 = f32x4.add(v128.load(o, 48), a3); a4 = f32x4.add(v128.load(o, 64), a4); a5 = f32x4.add(v128.load(o, 80), a5);
      }
      const sa = st + (<usize>ti << 3);
      const p0 = ev + (<usize>load<i32>(sa) << 2), p1 = ev + (<usize>load<i32>(sa, 4) << 2), p2 = ev + (<usize>load<i32>(sa, 8) << 2);
      for (let q = p0; q < p1; q += 4) {
        const r = <usize>load<u32>(q) + j;
        a0 = f32x4.add(a0, v128.load(r)); a1 = f32x4.add(a1, v128.load(r, 16)); a2 = f32x4.add(a2, v128.load(r, 32));
        a3 = f32x4.add(a3, v128.load(r, 48)); a4 = f32x4.add(a4, v128.load(r, 64)); a5 = f32x4.add(a5, v128.load(r, 80));
      }
      for (let q = p1; q < p2; q += 4) {
        const r = <usize>load<u32>(q) + j;
        a0 = f32x4.sub(a0, v128.load(r)); a1 = f32x4.sub(a1, v128.load(r, 16)); a2 = f32x4.sub(a2, v128.load(r, 32));
        a3 = f32x4.sub(a3, v128.load(r, 48)); a4 = f32x4.sub(a4, v128.load(r, 64)); a5 = f32x4.sub(a5, v128.load(r, 80));
      }
      v128.store(o, a0); v128.store(o, a1, 16); v128.store(o, a2, 32); v128.store(o, a3, 48); v128.store(o, a4, 64); v128.store(o, a5, 80);
    }
  }
  for (; j + 16 <= nb; j += 16) {
    for (let ti = 0; ti < t; ti++) {
      const o = out + <usize>ti * outStride + j;
      let a = v128.load(base + j);
      if (accumulate) a = f32x4.add(v128.load(o), a);
      const sa = st + (<usize>ti << 3);
      const p0 = ev + (<usize>load<i32>(sa) << 2), p1 = ev + (<usize>load<i32>(sa, 4) << 2), p2 = ev + (<usize>load<i32>(sa, 8) << 2);
      for (let q = p0; q < p1; q += 4) a = f32x4.add(a, v128.load(<usize>load<u32>(q) + j));
      for (let q = p1; q < p2; q += 4) a = f32x4.sub(a, v128.load(<usize>load<u32>(q) + j));
      v128.store(o, a);
    }
  }
  for (; j < nb; j += 4) {
    for (let ti = 0; ti < t; ti++) {
      const o = out + <usize>ti * outStride + j;
      let a = load<f32>(base + j);
      if (accumulate) a = load<f32>(o) + a;
      const sa = st + (<usize>ti << 3);
      const p0 = ev + (<usize>load<i32>(sa) << 2), p1 = ev + (<usize>load<i32>(sa, 4) << 2), p2 = ev + (<usize>load<i32>(sa, 8) << 2);
      for (let q = p0; q < p1; q += 4) a += load<f32>(<usize>load<u32>(q) + j);
      for (let q = p1; q < p2; q += 4) a -= load<f32>(<usize>load<u32>(q) + j);
      store<f32>(o, a);
    }
  }
}

/**
 * The T current rows of sample bi: out + t * outStride (n floats) (+)= bias + S[t*B + bi] W, complement
 * coded. Per sample: base = bias (or 0) + the flipped rows; per row: init = base (or out + base when
 * accumulating), + the plain inputs that spike, - the flipped inputs that are silent. Only the inputs
 * that make an event at some step are looked at per step (on MNIST about one in eight).
 */
export function seqSampleRows(
  s: usize, w: usize, bias: usize, t: i32, b: i32, k: i32, n: i32, bi: i32, out: usize, outStride: usize, accumulate: i32, scratch: usize,
): void {
  const kk = <usize>k;
  const nb = <usize>n << 2;
  const listB = align16((kk + 4) << 2);
  const counts = scratch;
  const plainP = counts + align16((kk << 2) + 16); // varying, not flipped: input index and row address
  const plainR = plainP + listB;
  const flipP = plainR + listB; // varying, flipped
  const flipR = flipP + listB;
  const pos = flipR + listB;
  const neg = pos + listB;
  const base = neg + listB;
  const ev = base + align16(nb);
  const st = ev + align16((<usize>t * <usize>(k + 8) + 8) << 2);
  sampleCounts(s, kk, t, b, k, bi, counts);
  let nf = 0, npc = 0, nfc = 0;
  for (let p = 0; p < k; p++) {
    const c = <i32>load<i32>(counts + (<usize>p << 2));
    const f = flipped(c, t);
    const v = hasEvents(c, t, f);
    const row = <u32>(w + <usize>p * nb);
    store<u32>(pos + (<usize>nf << 2), row);
    nf += f;
    store<i32>(plainP + (<usize>npc << 2), p);
    store<u32>(plainR + (<usize>npc << 2), row);
    npc += v & (f ^ 1);
    store<i32>(flipP + (<usize>nfc << 2), p);
    store<u32>(flipR + (<usize>nfc << 2), row);
    nfc += v & f;
  }
  if (bias) memory.copy(base, bias, nb);
  else memory.fill(base, 0, nb);
  addRows(pos, nf, neg, 0, base, base, nb);
  // every step's terms listed first (the plain inputs that spike, then the flipped ones that are silent)
  let e = 0;
  for (let ti = 0; ti < t; ti++) {
    const sr = s + <usize>(ti * b + bi) * kk;
    store<i32>(st + (<usize>ti << 3), e);
    for (let j = 0; j < npc; j++) {
      store<u32>(ev + (<usize>e << 2), load<u32>(plainR + (<usize>j << 2)));
      e += <i32>(load<u8>(sr + <usize>load<i32>(plainP + (<usize>j << 2))) != 0);
    }
    store<i32>(st + (<usize>ti << 3), e, 4);
    for (let j = 0; j < nfc; j++) {
      store<u32>(ev + (<usize>e << 2), load<u32>(flipR + (<usize>j << 2)));
      e += <i32>(load<u8>(sr + <usize>load<i32>(flipP + (<usize>j << 2))) == 0);
    }
  }
  store<i32>(st + (<usize>t << 3), e);
  stepRows(ev, st, t, base, out, outStride, accumulate, nb);
}

/** Scratch bytes of spikeSeqMatmul. */
export function spikeSeqMatmulScratchBytes(t: i32, b: i32, k: i32, n: i32): usize {
  return n <= PW ? spikeMatmulScratchBytes(t * b, k, n) : seqRowsScratchBytes(t, k, n);
}

@unmanaged class SeqMatmulArgs {
  s: usize; w: usize; bias: usize; c: usize; t: i32; b: i32; k: i32; n: i32; accumulate: i32; from: i32; to: i32; scratch: usize;
}

/**
 * C[T*B, N] (+)= bias + S[T*B, K] W[K, N] for a time-major spike sequence, complement-coding the inputs
 * that spike at most steps (see the top of this file); bias: N floats or 0. For N <= 16 the narrow
 * spike kernel runs instead, the bias added after it. Only samples from..to of the wide kernel when
 * to > 0 (a thread's share). scratch: spikeSeqMatmulScratchBytes.
 */
export function spikeSeqMatmul(a: SeqMatmulArgs): void {
  const s = a.s, w = a.w, bias = a.bias, c = a.c, t = a.t, b = a.b, k = a.k, n = a.n, accumulate = a.accumulate, scratch = a.scratch;
  if (n <= PW) {
    spikeMatmul(s, w, c, t * b, k, n, accumulate, scratch);
    if (bias) addBias(c, bias, t * b, n);
    return;
  }
  const nb = <usize>n << 2;
  // samples from..to (to = 0: all): a thread's share (splits.ts); each sample's rows are its own
  const last = a.to > 0 ? a.to : b;
  for (let bi = a.from; bi < last; bi++) seqSampleRows(s, w, bias, t, b, k, n, bi, c + <usize>bi * nb, <usize>b * nb, accumulate, scratch);
}

/** gs[0..nb bytes) = the sum over t ascending, from zero, of row t*B + bi of g. */
@inline function sampleSum(g: usize, gs: usize, t: i32, b: i32, bi: i32, nb: usize): void {
  memory.fill(gs, 0, nb);
  for (let ti = 0; ti < t; ti++) {
    const src = g + <usize>(ti * b + bi) * nb;
    let j: usize = 0;
    for (; j + 16 <= nb; j += 16) v128.store(gs + j, f32x4.add(v128.load(gs + j), v128.load(src + j)));
    for (; j < nb; j += 4) store<f32>(gs + j, load<f32>(gs + j) + load<f32>(src + j));
  }
}

/** dst[0..nb bytes) += src. */
@inline function addRowInto(dst: usize, src: usize, nb: usize): void {
  let j: usize = 0;
  for (; j + 16 <= nb; j += 16) v128.store(dst + j, f32x4.add(v128.load(dst + j), v128.load(src + j)));
  for (; j < nb; j += 4) store<f32>(dst + j, load<f32>(dst + j) + load<f32>(src + j));
}

/**
 * out[0..n) += the column sums of G [T*B, n] in the order of spikeSeqGradW's bias gradient: for each
 * sample b ascending, (the sum over t ascending, from zero, of row t*B + b). scratch: n floats.
 */
export function seqSumRows(g: usize, out: usize, t: i32, b: i32, n: i32, scratch: usize): void {
  const nb = <usize>n << 2;
  for (let bi = 0; bi < b; bi++) {
    sampleSum(g, scratch, t, b, bi, nb);
    addRowInto(out, scratch, nb);
  }
}

/** Scratch bytes of spikeSeqGradW. */
export function spikeSeqGradWScratchBytes(t: i32, b: i32, k: i32, n: i32): usize {
  if (n <= PW || k == 0) return (n <= PW ? spikeGradWScratchBytes(t * b, k, n) : 0) + align16(<usize>n << 2);
  const sb = <usize>seqGradBlock(t, k);
  const kk = <usize>k;
  return sb * align16((kk << 2) + 16) + align16((kk + 4) << 2) + 2 * align16(((kk << 1) + 1) << 2)
    + sb * align16(<usize>n << 2) + align16((<usize>t + 1) << 2) + align16((sb * (<usize>t + 1) * kk + 4) << 2);
}

@unmanaged class SeqGradWArgs {
  s: usize; g: usize; dw: usize; gradBias: usize; t: i32; b: i32; k: i32; n: i32; ks: i32; scratch: usize;
}

/**
 * dW[K, N] += S[T*B, K]^T G[T*B, N] with the complement coding of spikeSeqMatmul. Samples go in blocks
 * (seqGradBlock); in a block, the terms of input p are, sample by sample: Gsum[b] = the sum over t of
 * G[t*B + b] (t in order, from zero) when p is flipped in b, then G[t*B + b] for each step where p
 * spikes (not flipped) or is silent (flipped). dW[p] += the positive terms (Gsum and the plain spikes)
 * in their order, then -= the negative ones (silent steps of flipped inputs), grouped as in addRows.
 * S's rows are ks bytes apart when ks > 0 (dW rows [0, k) of a wider S). For N <= 16 the narrow kernel runs instead. gradBias (N floats, or 0: none) += seqSumRows(G), formed
 * from the same per-sample sums (one pass over G fewer). scratch: spikeSeqGradWScratchBytes(t, b, k, n).
 */
export function spikeSeqGradW(a: SeqGradWArgs): void {
  const s = a.s, g = a.g, dw = a.dw, gradBias = a.gradBias, t = a.t, b = a.b, k = a.k, n = a.n, scratch = a.scratch;
  if (n <= PW || k == 0) {
    // ks: S's row length when it is wider than k (a thread's share of dW's rows, splits.ts; narrow only)
    if (k > 0) spikeGradWNarrow(s, <usize>(a.ks > 0 ? a.ks : k), g, dw, t * b, k, n, scratch);
    if (gradBias) seqSumRows(g, gradBias, t, b, n, scratch + (n <= PW ? spikeGradWScratchBytes(t * b, k, n) : 0));
    return;
  }
  // S's rows are ks bytes long when a thread takes dW rows [0, k) of a wider S (splits.ts); the
  // sample blocks follow the full width, so each dW row gets the same terms in the same order
  const ks = <usize>(a.ks > 0 ? a.ks : k);
  const sb = seqGradBlock(t, <i32>ks);
  const kk = <usize>k;
  const nb = <usize>n << 2;
  const countB = align16((kk << 2) + 16);
  const counts = scratch; // sb x K i32
  const cand = counts + <usize>sb * countB; // varying inputs of one sample
  const starts = cand + align16((kk + 4) << 2); // 2K + 1: bucket 2p (positive), 2p + 1 (negative)
  const cursor = starts + align16(((kk << 1) + 1) << 2);
  const gsum = cursor + align16(((kk << 1) + 1) << 2);
  const gsumB = align16(nb);
  const steps = gsum + <usize>sb * gsumB; // T + 1 entries
  const list = steps + align16((<usize>t + 1) << 2);
  const rowStride = <usize>b * ks;
  for (let b0 = 0; b0 < b; b0 += sb) {
    const nbk = min(sb, b - b0);
    // Each bucket's number of terms, from the counts: a flipped input has its Gsum term and T - c
    // silent steps, a plain one its c spikes.
    memory.fill(starts, 0, ((kk << 1) + 1) << 2);
    for (let u = 0; u < nbk; u++) {
      const cu = counts + <usize>u * countB;
      sampleCounts(s, ks, t, b, k, b0 + u, cu);
      for (let p = 0; p < k; p++) {
        const c = <i32>load<i32>(cu + (<usize>p << 2));
        const f = flipped(c, t);
        const a = starts + (<usize>(p << 1) << 2);
        store<i32>(a, load<i32>(a, 4) + (f ? 1 : c), 4);
        store<i32>(a, load<i32>(a, 8) + (f ? t - c : 0), 8);
      }
    }
    let run = 0;
    for (let q = 0; q < (k << 1); q++) {
      const a = starts + (<usize>(q + 1) << 2);
      store<i32>(cursor + (<usize>q << 2), run);
      run += load<i32>(a);
      store<i32>(a, run);
    }
    // Fill the buckets, sample by sample: the Gsum terms, then each varying input's steps in order.
    for (let u = 0; u < nbk; u++) {
      const bi = b0 + u;
      const cu = counts + <usize>u * countB;
      const gs = gsum + <usize>u * gsumB;
      // one pass over the inputs: the flipped ones get their Gsum term, the ones with events are listed
      let nf = 0, nc = 0;
      for (let p = 0; p < k; p++) {
        const c = <i32>load<i32>(cu + (<usize>p << 2));
        const f = flipped(c, t);
        if (f) {
          const a = cursor + (<usize>(p << 1) << 2);
          const q = load<i32>(a);
          store<u32>(list + (<usize>q << 2), <u32>gs);
          store<i32>(a, q + 1);
        }
        nf += f;
        store<i32>(cand + (<usize>nc << 2), p);
        nc += hasEvents(c, t, f);
      }
      // Gsum[b]: the flipped inputs' term, and this sample's share of the bias gradient
      if (nf || gradBias) {
        sampleSum(g, gs, t, b, bi, nb);
        if (gradBias) addRowInto(gradBias, gs, nb);
      }
      const s0 = s + <usize>bi * ks;
      const g0 = g + <usize>bi * nb;
      const gStride = <usize>b * nb;
      for (let j = 0; j < nc; j++) {
        const p = load<i32>(cand + (<usize>j << 2));
        const f = flipped(<i32>load<i32>(cu + (<usize>p << 2)), t);
        // branch-free into a step buffer (a store past the last event would land in the next bucket)
        let e = 0;
        let sp = s0 + <usize>p;
        let row = g0;
        for (let ti = 0; ti < t; ti++) {
          store<u32>(steps + (<usize>e << 2), <u32>row);
          e += <i32>(load<u8>(sp) != 0) ^ f;
          sp += rowStride;
          row += gStride;
        }
        const a = cursor + (<usize>((p << 1) + f) << 2);
        const q = load<i32>(a);
        memory.copy(list + (<usize>q << 2), steps, <usize>e << 2);
        store<i32>(a, q + e);
      }
    }
    // Every dW row with terms: + its positive bucket, - its negative bucket (grouped as addRows; the
    // column-blocked order of stepRows measured ~3% slower here: each G row is a term of few dW rows,
    // so its slices are not reused from L1 the way W's rows are over a sample's steps).
    for (let p = 0; p < k; p++) {
      const st = starts + (<usize>(p << 1) << 2);
      const q0 = load<i32>(st), q1 = load<i32>(st, 4), q2 = load<i32>(st, 8);
      if (q0 == q2) continue;
      const d = dw + <usize>p * nb;
      addRows(list + (<usize>q0 << 2), q1 - q0, list + (<usize>q1 << 2), q2 - q1, d, d, nb);
    }
  }
}
