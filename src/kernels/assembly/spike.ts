// Spike-driven kernels: S is u8 0/1 (any nonzero byte counts as a spike, as in the reference).
// A Linear layer fed by spikes needs no multiplies: each spike adds one weight row.
//
// The matrix whose rows are added (W forward, G for dW) is first packed into column panels of 16
// floats ([panel][row][16] = one 64-byte cache line per row, plus one zero-padded tail panel of 4, 8
// or 16 floats). Output is produced 16 columns at a time in four v128 registers while the listed panel
// rows stream in, and the blocking keeps the panel rows being read in L1: forward sweeps K in blocks
// of KB rows (KB x 64 B = 16 KiB), dW sweeps M in blocks of GROWS rows. (On the row-major matrix
// every spike touched a different 4 KiB page; eight accumulators spill on V8's x64 register
// allocator, four do not.) S rows become index lists first (16 bytes tested per v128, i8x16.bitmask +
// ctz to enumerate the spikes). Rows are added in ascending index order onto the existing output,
// exactly as the reference does, so results match it bit for bit. Narrow outputs (n <= 16, e.g. a
// 10-class readout) take a simpler path that keeps the whole output row in registers.

import { narrowScratchBytes, spikeGradWNarrow, spikeMatmulNarrow } from './spike-narrow';
import { appendSetBits16 } from './compact';

export const PW = 16; // panel width in floats
export const PB = 64; // panel row in bytes
const ROWS = 256; // spikeMatmul: S rows per block
const KB = 256; // spikeMatmul: K rows per block (multiple of 16)
const GROWS = 256; // spikeMatmulGradW: S rows (and packed G rows) per block

/** Width in floats of the tail panel for the n % 16 leftover columns (0 when there are none). */
@inline export function tailWidth(n: i32): i32 {
  const t = n & (PW - 1);
  return t == 0 ? 0 : t <= 4 ? 4 : t <= 8 ? 8 : 16;
}

/** Floats per packed row: 16 per full panel plus the tail panel. */
@inline export function packedWidth(n: i32): i32 {
  return (n & ~(PW - 1)) + tailWidth(n);
}

@inline export function ceilDiv(a: i32, b: i32): i32 {
  return (a + b - 1) / b;
}

/** Scratch bytes for spikeMatmul: packed W, per-row k-block list starts, index list, one tail row. */
export function spikeMatmulScratchBytes(m: i32, k: i32, n: i32): usize {
  if (n <= PW) return narrowScratchBytes(k, n);
  const r = <usize>min(m, ROWS);
  return ((<usize>k * <usize>packedWidth(n)) + r * <usize>(ceilDiv(k, KB) + 1) + r * <usize>k + PW) << 2;
}

/** Scratch bytes for spikeMatmulGradW: packed G block, column starts and cursors, index list, one tail row. */
export function spikeGradWScratchBytes(m: i32, k: i32, n: i32): usize {
  if (n <= PW) return narrowScratchBytes(k, n);
  const r = <usize>min(m, GROWS);
  return ((r * <usize>packedWidth(n)) + <usize>k * 2 + 1 + r * <usize>k + PW) << 2;
}

/**
 * Packs rows [0, rows) of X (row-major, n columns) into panels: dst[c][r][0..16) = X[r, 16c .. 16c+16)
 * for the full panels, then the tail panel dst[nc][r][0..t) zero-padded to its width.
 */
export function packPanels(x: usize, rows: i32, n: i32, dst: usize): void {
  const nc = n >> 4;
  const rowB = <usize>n << 2;
  const panelB = <usize>rows * PB;
  for (let r = 0; r < rows; r++) {
    const src = x + <usize>r * rowB;
    let d = dst + <usize>r * PB;
    for (let c = 0; c < nc; c++) {
      const sc = src + <usize>c * PB;
      v128.store(d, v128.load(sc)); v128.store(d, v128.load(sc, 16), 16);
      v128.store(d, v128.load(sc, 32), 32); v128.store(d, v128.load(sc, 48), 48);
      d += panelB;
    }
  }
  const tw = tailWidth(n);
  if (tw) {
    const t = n & (PW - 1);
    const base = dst + <usize>nc * panelB;
    for (let r = 0; r < rows; r++) {
      const src = x + <usize>r * rowB + <usize>nc * PB;
      const d = base + <usize>r * (<usize>tw << 2);
      for (let j = 0; j < tw; j++) store<f32>(d + (<usize>j << 2), j < t ? load<f32>(src + (<usize>j << 2)) : 0);
    }
  }
}

/** Appends (p * 64) for every nonzero s[p], p in [p0, p1), to list at position cnt; returns the new count. */
@inline function appendActive(s: usize, p0: i32, p1: i32, list: usize, cnt: i32): i32 {
  const zero = i8x16.splat(0);
  let p = p0;
  for (; p + 16 <= p1; p += 16) {
    cnt = appendSetBits16(i8x16.bitmask(i8x16.ne(v128.load(s + <usize>p), zero)), p, PB, list, cnt);
  }
  for (; p < p1; p++) {
    if (load<u8>(s + <usize>p)) {
      store<i32>(list + (<usize>cnt << 2), p * PB);
      cnt++;
    }
  }
  return cnt;
}

/**
 * out[0 .. 4V) (+)= sum over q in [q0, q1) of panel[(list[q] >> shift) ...] for V = 4, 2, 1 vectors:
 * list entries are row * 64; the tail panels of 8 and 4 floats have rows of 32 and 16 bytes.
 */
@inline export function sum4(panel: usize, list: usize, q0: i32, q1: i32, out: usize, accumulate: bool): void {
  let x0 = f32x4.splat(0), x1 = f32x4.splat(0), x2 = f32x4.splat(0), x3 = f32x4.splat(0);
  if (accumulate) {
    x0 = v128.load(out); x1 = v128.load(out, 16); x2 = v128.load(out, 32); x3 = v128.load(out, 48);
  }
  let lp = list + (<usize>q0 << 2);
  const le = list + (<usize>q1 << 2);
  while (lp < le) {
    const r = panel + <usize>load<i32>(lp);
    x0 = f32x4.add(x0, v128.load(r)); x1 = f32x4.add(x1, v128.load(r, 16));
    x2 = f32x4.add(x2, v128.load(r, 32)); x3 = f32x4.add(x3, v128.load(r, 48));
    lp += 4;
  }
  v128.store(out, x0); v128.store(out, x1, 16); v128.store(out, x2, 32); v128.store(out, x3, 48);
}

@inline export function sum2(panel: usize, list: usize, q0: i32, q1: i32, out: usize): void {
  let x0 = v128.load(out), x1 = v128.load(out, 16);
  for (let q = q0; q < q1; q++) {
    const r = panel + <usize>(load<i32>(list + (<usize>q << 2)) >> 1);
    x0 = f32x4.add(x0, v128.load(r)); x1 = f32x4.add(x1, v128.load(r, 16));
  }
  v128.store(out, x0); v128.store(out, x1, 16);
}

@inline export function sum1(panel: usize, list: usize, q0: i32, q1: i32, out: usize): void {
  let x0 = v128.load(out);
  for (let q = q0; q < q1; q++) x0 = f32x4.add(x0, v128.load(panel + <usize>(load<i32>(list + (<usize>q << 2)) >> 2)));
  v128.store(out, x0);
}

/**
 * Tail columns [16*nc, n) of one output row: copied into a padded temporary, summed there with the
 * tail panel, copied back (so the additions happen in the same order as everywhere else).
 */
export function sumTail(panel: usize, tw: i32, list: usize, q0: i32, q1: i32, out: usize, t: i32, tmp: usize, accumulate: bool): void {
  for (let j = 0; j < tw; j++) store<f32>(tmp + (<usize>j << 2), accumulate && j < t ? load<f32>(out + (<usize>j << 2)) : 0);
  if (tw == 16) sum4(panel, list, q0, q1, tmp, true);
  else if (tw == 8) sum2(panel, list, q0, q1, tmp);
  else sum1(panel, list, q0, q1, tmp);
  for (let j = 0; j < t; j++) store<f32>(out + (<usize>j << 2), load<f32>(tmp + (<usize>j << 2)));
}

/** Counts per column (starts[p + 1]) -> start of each column's bucket (prefix sums); cursor = a copy of the starts. */
export function bucketStarts(starts: usize, cursor: usize, k: i32): void {
  for (let p = 0; p < k; p++) {
    const a = starts + (<usize>p << 2);
    store<i32>(a, load<i32>(a, 4) + load<i32>(a), 4);
  }
  memory.copy(cursor, starts, <usize>k << 2);
}

/** C[M,N] (+)= S[M,K] W[K,N]. scratch: spikeMatmulScratchBytes(m, k, n) bytes. */
export function spikeMatmul(s: usize, w: usize, c: usize, m: i32, k: i32, n: i32, accumulate: i32, scratch: usize): void {
  if (n <= PW) {
    spikeMatmulNarrow(s, w, c, m, k, n, accumulate, scratch);
    return;
  }
  const rowB = <usize>n << 2;
  const nc = n >> 4;
  const tw = tailWidth(n);
  const nkb = ceilDiv(k, KB);
  const wp = scratch;
  const starts = wp + ((<usize>k * <usize>packedWidth(n)) << 2); // [row][kblock] list starts, nkb+1 per row
  const list = starts + ((<usize>min(m, ROWS) * <usize>(nkb + 1)) << 2);
  const tmp = list + ((<usize>min(m, ROWS) * <usize>k) << 2);
  const panelB = <usize>k * PB;
  const tailPanel = wp + <usize>nc * panelB;
  const stride = <usize>(nkb + 1) << 2;
  packPanels(w, k, n, wp);
  for (let r0 = 0; r0 < m; r0 += ROWS) {
    const rows = min(ROWS, m - r0);
    // Index lists of the block's rows, with where each k block starts in them.
    let cnt = 0;
    for (let r = 0; r < rows; r++) {
      const sr = s + <usize>(r0 + r) * <usize>k;
      const st = starts + <usize>r * stride;
      for (let b = 0; b < nkb; b++) {
        store<i32>(st + (<usize>b << 2), cnt);
        cnt = appendActive(sr, b * KB, min(k, (b + 1) * KB), list, cnt);
      }
      store<i32>(st + (<usize>nkb << 2), cnt);
    }
    const c0 = c + <usize>r0 * rowB;
    // Panel by panel; within a panel, k block by k block, so the panel slice (KB x 64 bytes) and the
    // block's output columns (rows x 64 bytes) stay in L1 while all rows use them.
    for (let pc = 0; pc < nc; pc++) {
      const panel = wp + <usize>pc * panelB;
      const jo = <usize>pc * PB;
      for (let b = 0; b < nkb; b++) {
        const acc = accumulate != 0 || b > 0;
        const bo = <usize>b << 2;
        for (let r = 0; r < rows; r++) {
          const st = starts + <usize>r * stride + bo;
          sum4(panel, list, load<i32>(st), load<i32>(st, 4), c0 + <usize>r * rowB + jo, acc);
        }
      }
    }
    // the tail panel (columns past the last full one): the loop above again around sumTail, kept
    // apart so sum4's full-panel loop has no tail test
    if (tw) {
      const jo = <usize>nc * PB;
      for (let b = 0; b < nkb; b++) {
        const acc = accumulate != 0 || b > 0;
        const bo = <usize>b << 2;
        for (let r = 0; r < rows; r++) {
          const st = starts + <usize>r * stride + bo;
          sumTail(tailPanel, tw, list, load<i32>(st), load<i32>(st, 4), c0 + <usize>r * rowB + jo, n & (PW - 1), tmp, acc);
        }
      }
    }
  }
}

/** dW[K,N] += S[M,K]^T G[M,N]. scratch: spikeGradWScratchBytes(m, k, n) bytes. */
export function spikeMatmulGradW(s: usize, g: usize, dw: usize, m: i32, k: i32, n: i32, scratch: usize): void {
  if (n <= PW) {
    spikeGradWNarrow(s, <usize>k, g, dw, m, k, n, scratch);
    return;
  }
  const rowB = <usize>n << 2;
  const nc = n >> 4;
  const tw = tailWidth(n);
  const gp = scratch;
  const starts = gp + ((<usize>min(m, GROWS) * <usize>packedWidth(n)) << 2); // k+1: rows of column p are list[starts[p] .. starts[p+1])
  const cursor = starts + ((<usize>k + 1) << 2); // k
  const list = cursor + (<usize>k << 2);
  const tmp = list + ((<usize>min(m, GROWS) * <usize>k) << 2);
  const zero = i8x16.splat(0);
  for (let r0 = 0; r0 < m; r0 += GROWS) {
    const rows = min(GROWS, m - r0);
    packPanels(g + <usize>r0 * rowB, rows, n, gp);
    // Count the spikes of each column in this row block, then bucket the rows by column (in row order).
    memory.fill(starts, 0, (<usize>k + 1) << 2);
    for (let r = 0; r < rows; r++) {
      const sr = s + <usize>(r0 + r) * <usize>k;
      let p = 0;
      for (; p + 16 <= k; p += 16) {
        let mask = i8x16.bitmask(i8x16.ne(v128.load(sr + <usize>p), zero));
        while (mask) {
          const a = starts + (<usize>(p + ctz(mask) + 1) << 2);
          store<i32>(a, load<i32>(a) + 1);
          mask &= mask - 1;
        }
      }
      for (; p < k; p++) {
        if (load<u8>(sr + <usize>p)) {
          const a = starts + (<usize>(p + 1) << 2);
          store<i32>(a, load<i32>(a) + 1);
        }
      }
    }
    bucketStarts(starts, cursor, k);
    for (let r = 0; r < rows; r++) {
      const sr = s + <usize>(r0 + r) * <usize>k;
      const off = r * PB;
      let p = 0;
      for (; p + 16 <= k; p += 16) {
        let mask = i8x16.bitmask(i8x16.ne(v128.load(sr + <usize>p), zero));
        while (mask) {
          const a = cursor + (<usize>(p + ctz(mask)) << 2);
          const q = load<i32>(a);
          store<i32>(list + (<usize>q << 2), off);
          store<i32>(a, q + 1);
          mask &= mask - 1;
        }
      }
      for (; p < k; p++) {
        if (load<u8>(sr + <usize>p)) {
          const a = cursor + (<usize>p << 2);
          const q = load<i32>(a);
          store<i32>(list + (<usize>q << 2), off);
          store<i32>(a, q + 1);
        }
      }
    }
    // Sweep the panels (GROWS x 64 bytes each, in L1); every dW row with spikes gets its G rows added.
    const panelB = <usize>rows * PB;
    for (let pc = 0; pc < nc; pc++) {
      const panel = gp + <usize>pc * panelB;
      const jo = <usize>pc * PB;
      for (let p = 0; p < k; p++) {
        const st = starts + (<usize>p << 2);
        const q0 = load<i32>(st), q1 = load<i32>(st, 4);
        if (q0 < q1) sum4(panel, list, q0, q1, dw + <usize>p * rowB + jo, true);
      }
    }
    if (tw) {
      const panel = gp + <usize>nc * panelB;
      const jo = <usize>nc * PB;
      for (let p = 0; p < k; p++) {
        const st = starts + (<usize>p << 2);
        const q0 = load<i32>(st), q1 = load<i32>(st, 4);
        if (q0 < q1) sumTail(panel, tw, list, q0, q1, dw + <usize>p * rowB + jo, n & (PW - 1), tmp, true);
      }
    }
  }
}
