// Spike-driven kernels for narrow outputs (n <= 16 columns, e.g. a 10-class readout), called by
// spike.ts: no panels. The matrix that is read (W) or updated (dW) is padded to nw = 4, 8, 12 or 16
// floats per row (small: L1/L2 resident); each S row is scanned once, 16 bytes per v128, into a list of
// its spikes' row offsets (branch-free: a loop over the set bits of each 16-byte mask mispredicted its
// exit about once per mask, which cost more than the additions), and the output row (forward) or the
// G row (dW) stays in registers while the listed rows are added. Additions happen in the reference's
// order, so results match it bit for bit.

import { appendSetBits16 } from './compact';

/** Padded row width in floats for n <= 16 columns. */
@inline export function narrowWidth(n: i32): i32 {
  return n <= 4 ? 4 : n <= 8 ? 8 : n <= 12 ? 12 : 16;
}

/** Scratch bytes of the narrow kernels: the padded matrix, one padded row, one row's spike list. */
@inline export function narrowScratchBytes(k: i32, n: i32): usize {
  return (<usize>k * <usize>narrowWidth(n) + 16 + <usize>k + 20) << 2;
}

/** Lists the spikes of S row sr (k bytes) as byte offsets p * rowB, ascending; returns their number. */
@inline function listRow(sr: usize, k: i32, rowB: i32, list: usize): i32 {
  let cnt = 0;
  for (let p = 0; p < k; p += 16) cnt = appendSetBits16(spikeMask16(sr, p, k), p, rowB, list, cnt);
  return cnt;
}

/** dst[r][0..nw) = src[r][0..n), zero-padded. */
function padRows(src: usize, rows: i32, n: i32, nw: i32, dst: usize): void {
  for (let r = 0; r < rows; r++) {
    const sr = src + <usize>r * (<usize>n << 2);
    const d = dst + <usize>r * (<usize>nw << 2);
    for (let j = 0; j < nw; j++) store<f32>(d + (<usize>j << 2), j < n ? load<f32>(sr + (<usize>j << 2)) : 0);
  }
}

/** dst[r][0..n) = src[r][0..n) of rows padded to nw floats. */
function unpadRows(src: usize, rows: i32, n: i32, nw: i32, dst: usize): void {
  for (let r = 0; r < rows; r++) {
    const sr = src + <usize>r * (<usize>nw << 2);
    const d = dst + <usize>r * (<usize>n << 2);
    for (let j = 0; j < n; j++) store<f32>(d + (<usize>j << 2), load<f32>(sr + (<usize>j << 2)));
  }
}

/** C row (nw floats at out) (+)= sum of padded W rows p for the spikes of S row sr, p ascending. */
@inline function narrowRow(sr: usize, k: i32, wp: usize, nw: i32, out: usize, accumulate: bool, list: usize): void {
  let x0 = f32x4.splat(0), x1 = f32x4.splat(0), x2 = f32x4.splat(0), x3 = f32x4.splat(0);
  if (accumulate) {
    x0 = v128.load(out);
    if (nw >= 8) x1 = v128.load(out, 16);
    if (nw >= 12) x2 = v128.load(out, 32);
    if (nw == 16) x3 = v128.load(out, 48);
  }
  const cnt = listRow(sr, k, nw << 2, list);
  for (let q = 0; q < cnt; q++) {
    const r = wp + <usize>load<i32>(list + (<usize>q << 2));
    x0 = f32x4.add(x0, v128.load(r));
    if (nw >= 8) x1 = f32x4.add(x1, v128.load(r, 16));
    if (nw >= 12) x2 = f32x4.add(x2, v128.load(r, 32));
    if (nw == 16) x3 = f32x4.add(x3, v128.load(r, 48));
  }
  v128.store(out, x0);
  if (nw >= 8) v128.store(out, x1, 16);
  if (nw >= 12) v128.store(out, x2, 32);
  if (nw == 16) v128.store(out, x3, 48);
}

/** Bit q set when spike byte sr[p + q] is nonzero, for the (up to) 16 bytes from p below k. */
@inline function spikeMask16(sr: usize, p: i32, k: i32): i32 {
  if (p + 16 <= k) return i8x16.bitmask(i8x16.ne(v128.load(sr + <usize>p), i8x16.splat(0)));
  let mask = 0;
  for (let q = p; q < k; q++) if (load<u8>(sr + <usize>q)) mask |= 1 << (q - p);
  return mask;
}

/** C[M,N] (+)= S[M,K] W[K,N] for n <= 16. scratch: narrowScratchBytes(k, n). */
export function spikeMatmulNarrow(s: usize, w: usize, c: usize, m: i32, k: i32, n: i32, accumulate: i32, scratch: usize): void {
  const nw = narrowWidth(n);
  const wp = scratch;
  const tmp = wp + ((<usize>k * <usize>nw) << 2);
  const list = tmp + 64;
  padRows(w, k, n, nw, wp);
  const acc = accumulate != 0;
  for (let r = 0; r < m; r++) {
    const cr = c + <usize>r * (<usize>n << 2);
    if (acc) padRows(cr, 1, n, nw, tmp);
    const sr = s + <usize>r * <usize>k;
    if (nw == 4) narrowRow(sr, k, wp, 4, tmp, acc, list);
    else if (nw == 8) narrowRow(sr, k, wp, 8, tmp, acc, list);
    else if (nw == 12) narrowRow(sr, k, wp, 12, tmp, acc, list);
    else narrowRow(sr, k, wp, 16, tmp, acc, list);
    unpadRows(tmp, 1, n, nw, cr);
  }
}

/**
 * dW[K,N] += S[M,K]^T G[M,N] for n <= 16, S's rows `ls` bytes apart (ls >= k: the columns of a wider S,
 * as a thread's share of the rows of dW takes them). scratch: narrowScratchBytes(k, n).
 */
export function spikeGradWNarrow(s: usize, ls: usize, g: usize, dw: usize, m: i32, k: i32, n: i32, scratch: usize): void {
  const nw = narrowWidth(n);
  const dwp = scratch;
  const tmp = dwp + ((<usize>k * <usize>nw) << 2);
  const list = tmp + 64;
  padRows(dw, k, n, nw, dwp);
  for (let r = 0; r < m; r++) {
    padRows(g + <usize>r * (<usize>n << 2), 1, n, nw, tmp);
    const sr = s + <usize>r * ls;
    if (nw == 4) gradWRow(sr, k, dwp, 4, tmp, list);
    else if (nw == 8) gradWRow(sr, k, dwp, 8, tmp, list);
    else if (nw == 12) gradWRow(sr, k, dwp, 12, tmp, list);
    else gradWRow(sr, k, dwp, 16, tmp, list);
  }
  unpadRows(dwp, k, n, nw, dw);
}

/** Padded dW rows p += the padded G row at gRow, for the spikes p of S row sr. */
@inline function gradWRow(sr: usize, k: i32, dwp: usize, nw: i32, gRow: usize, list: usize): void {
  const g0 = v128.load(gRow), g1 = v128.load(gRow, 16), g2 = v128.load(gRow, 32), g3 = v128.load(gRow, 48);
  const cnt = listRow(sr, k, nw << 2, list);
  for (let q = 0; q < cnt; q++) {
    const d = dwp + <usize>load<i32>(list + (<usize>q << 2));
    v128.store(d, f32x4.add(v128.load(d), g0));
    if (nw >= 8) v128.store(d, f32x4.add(v128.load(d, 16), g1), 16);
    if (nw >= 12) v128.store(d, f32x4.add(v128.load(d, 32), g2), 32);
    if (nw == 16) v128.store(d, f32x4.add(v128.load(d, 48), g3), 48);
  }
}
