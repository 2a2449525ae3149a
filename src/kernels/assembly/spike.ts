// Spike-driven kernels: S is u8 0/1 (any nonzero byte counts as a spike, as in the reference).
// A Linear layer fed by spikes needs no multiplies: each spike adds one weight row.
//
// Both kernels first turn a block of S rows into index lists (16 spikes tested per v128 and
// i8x16.bitmask + ctz to enumerate them), then sweep the output in column chunks of 32 floats held in
// eight v128 registers, so the chunk of W (or G) being read stays in L1/L2 across all rows of the
// block. Rows are added in ascending index order, exactly like the reference, so results match it
// bit for bit.

const ROWS = 256; // spikeMatmul: S rows per block
const GROWS = 512; // spikeMatmulGradW: S rows per block

/** Scratch bytes for spikeMatmul: row starts (ROWS+1 i32) and a worst-case index list. */
export function spikeMatmulScratchBytes(m: i32, k: i32): usize {
  const r = <usize>min(m, ROWS);
  return (r + 1 + r * <usize>k) << 2;
}

/** Scratch bytes for spikeMatmulGradW: column starts (k+1), fill cursors (k) and an index list. */
export function spikeGradWScratchBytes(m: i32, k: i32): usize {
  const r = <usize>min(m, GROWS);
  return (<usize>k * 2 + 1 + r * <usize>k) << 2;
}

/** Appends `p * unit` for every nonzero s[p], p < k, to list at position cnt; returns the new count. */
@inline function appendActive(s: usize, k: i32, list: usize, cnt: i32, unit: usize): i32 {
  const zero = i8x16.splat(0);
  let p = 0;
  for (; p + 16 <= k; p += 16) {
    let mask = i8x16.bitmask(i8x16.ne(v128.load(s + <usize>p), zero));
    while (mask) {
      const q = p + ctz(mask);
      store<u32>(list + (<usize>cnt << 2), <u32>(<usize>q * unit));
      cnt++;
      mask &= mask - 1;
    }
  }
  for (; p < k; p++) {
    if (load<u8>(s + <usize>p)) {
      store<u32>(list + (<usize>cnt << 2), <u32>(<usize>p * unit));
      cnt++;
    }
  }
  return cnt;
}

/** out[0..n) = (accumulate ? out : 0) + sum over q in [q0, q1) of src[list[q] + 0..n) (byte offsets). */
@inline function sumListed(src: usize, list: usize, q0: i32, q1: i32, out: usize, jo: usize, accumulate: bool): void {
  let x0 = f32x4.splat(0), x1 = f32x4.splat(0), x2 = f32x4.splat(0), x3 = f32x4.splat(0);
  let x4 = f32x4.splat(0), x5 = f32x4.splat(0), x6 = f32x4.splat(0), x7 = f32x4.splat(0);
  if (accumulate) {
    x0 = v128.load(out); x1 = v128.load(out, 16); x2 = v128.load(out, 32); x3 = v128.load(out, 48);
    x4 = v128.load(out, 64); x5 = v128.load(out, 80); x6 = v128.load(out, 96); x7 = v128.load(out, 112);
  }
  const base = src + jo;
  for (let q = q0; q < q1; q++) {
    const r = base + <usize>load<u32>(list + (<usize>q << 2));
    x0 = f32x4.add(x0, v128.load(r)); x1 = f32x4.add(x1, v128.load(r, 16));
    x2 = f32x4.add(x2, v128.load(r, 32)); x3 = f32x4.add(x3, v128.load(r, 48));
    x4 = f32x4.add(x4, v128.load(r, 64)); x5 = f32x4.add(x5, v128.load(r, 80));
    x6 = f32x4.add(x6, v128.load(r, 96)); x7 = f32x4.add(x7, v128.load(r, 112));
  }
  v128.store(out, x0); v128.store(out, x1, 16); v128.store(out, x2, 32); v128.store(out, x3, 48);
  v128.store(out, x4, 64); v128.store(out, x5, 80); v128.store(out, x6, 96); v128.store(out, x7, 112);
}

/** As sumListed for 4 floats. */
@inline function sumListed4(src: usize, list: usize, q0: i32, q1: i32, out: usize, jo: usize, accumulate: bool): void {
  let x = accumulate ? v128.load(out) : f32x4.splat(0);
  const base = src + jo;
  for (let q = q0; q < q1; q++) x = f32x4.add(x, v128.load(base + <usize>load<u32>(list + (<usize>q << 2))));
  v128.store(out, x);
}

/** As sumListed for 1 float. */
@inline function sumListed1(src: usize, list: usize, q0: i32, q1: i32, out: usize, jo: usize, accumulate: bool): void {
  let x: f32 = accumulate ? load<f32>(out) : 0;
  const base = src + jo;
  for (let q = q0; q < q1; q++) x += load<f32>(base + <usize>load<u32>(list + (<usize>q << 2)));
  store<f32>(out, x);
}

/** C[M,N] (+)= S[M,K] W[K,N]. scratch: spikeMatmulScratchBytes(m, k) bytes. */
export function spikeMatmul(s: usize, w: usize, c: usize, m: i32, k: i32, n: i32, accumulate: i32, scratch: usize): void {
  const rowB = <usize>n << 2;
  const starts = scratch;
  const list = scratch + ((<usize>min(m, ROWS) + 1) << 2);
  const acc = accumulate != 0;
  for (let r0 = 0; r0 < m; r0 += ROWS) {
    const rows = min(ROWS, m - r0);
    let cnt = 0;
    for (let r = 0; r < rows; r++) {
      store<i32>(starts + (<usize>r << 2), cnt);
      cnt = appendActive(s + <usize>(r0 + r) * <usize>k, k, list, cnt, rowB);
    }
    store<i32>(starts + (<usize>rows << 2), cnt);
    const c0 = c + <usize>r0 * rowB;
    let j = 0;
    for (; j + 32 <= n; j += 32) {
      const jo = <usize>j << 2;
      for (let r = 0; r < rows; r++) {
        const st = starts + (<usize>r << 2);
        sumListed(w, list, load<i32>(st), load<i32>(st, 4), c0 + <usize>r * rowB + jo, jo, acc);
      }
    }
    for (; j + 4 <= n; j += 4) {
      const jo = <usize>j << 2;
      for (let r = 0; r < rows; r++) {
        const st = starts + (<usize>r << 2);
        sumListed4(w, list, load<i32>(st), load<i32>(st, 4), c0 + <usize>r * rowB + jo, jo, acc);
      }
    }
    for (; j < n; j++) {
      const jo = <usize>j << 2;
      for (let r = 0; r < rows; r++) {
        const st = starts + (<usize>r << 2);
        sumListed1(w, list, load<i32>(st), load<i32>(st, 4), c0 + <usize>r * rowB + jo, jo, acc);
      }
    }
  }
}

/** dW[K,N] += S[M,K]^T G[M,N]. scratch: spikeGradWScratchBytes(m, k) bytes. */
export function spikeMatmulGradW(s: usize, g: usize, dw: usize, m: i32, k: i32, n: i32, scratch: usize): void {
  const rowB = <usize>n << 2;
  const starts = scratch; // k+1 i32: list range of column p is [starts[p], starts[p+1])
  const cursor = starts + ((<usize>k + 1) << 2); // k i32
  const list = cursor + (<usize>k << 2);
  const zero = i8x16.splat(0);
  for (let r0 = 0; r0 < m; r0 += GROWS) {
    const rows = min(GROWS, m - r0);
    // Count the spikes of each column of this row block, then bucket the rows by column (in row order).
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
    for (let p = 0; p < k; p++) {
      const a = starts + (<usize>p << 2);
      store<i32>(a, load<i32>(a, 4) + load<i32>(a), 4);
    }
    memory.copy(cursor, starts, <usize>k << 2);
    for (let r = 0; r < rows; r++) {
      const sr = s + <usize>(r0 + r) * <usize>k;
      const off = <u32>(<usize>(r0 + r) * rowB);
      let p = 0;
      for (; p + 16 <= k; p += 16) {
        let mask = i8x16.bitmask(i8x16.ne(v128.load(sr + <usize>p), zero));
        while (mask) {
          const a = cursor + (<usize>(p + ctz(mask)) << 2);
          const q = load<i32>(a);
          store<u32>(list + (<usize>q << 2), off);
          store<i32>(a, q + 1);
          mask &= mask - 1;
        }
      }
      for (; p < k; p++) {
        if (load<u8>(sr + <usize>p)) {
          const a = cursor + (<usize>p << 2);
          const q = load<i32>(a);
          store<u32>(list + (<usize>q << 2), off);
          store<i32>(a, q + 1);
        }
      }
    }
    // Sweep column chunks; within a chunk, every dW row that has spikes gets its G rows added.
    let j = 0;
    for (; j + 32 <= n; j += 32) {
      const jo = <usize>j << 2;
      for (let p = 0; p < k; p++) {
        const st = starts + (<usize>p << 2);
        const q0 = load<i32>(st), q1 = load<i32>(st, 4);
        if (q0 < q1) sumListed(g, list, q0, q1, dw + <usize>p * rowB + jo, jo, true);
      }
    }
    for (; j + 4 <= n; j += 4) {
      const jo = <usize>j << 2;
      for (let p = 0; p < k; p++) {
        const st = starts + (<usize>p << 2);
        const q0 = load<i32>(st), q1 = load<i32>(st, 4);
        if (q0 < q1) sumListed4(g, list, q0, q1, dw + <usize>p * rowB + jo, jo, true);
      }
    }
    for (; j < n; j++) {
      const jo = <usize>j << 2;
      for (let p = 0; p < k; p++) {
        const st = starts + (<usize>p << 2);
        const q0 = load<i32>(st), q1 = load<i32>(st, 4);
        if (q0 < q1) sumListed1(g, list, q0, q1, dw + <usize>p * rowB + jo, jo, true);
      }
    }
  }
}
