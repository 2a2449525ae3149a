// Dense GEMM, C[M,N] (+)= op(A)[M,K] op(B)[K,N], f32 row-major, WASM SIMD (f32x4).
//
// GotoBLAS-style blocking: B is packed once into column panels of NR = 8 ([panel][p][8], zero-padded),
// so the micro-kernel streams it contiguously from L1 whatever the transpose; A is packed per
// (MC x KC) block into row panels of MR = 4 ([panel][p][4]) that stay in L2 while all B panels pass.
// The micro-kernel keeps a 4x8 tile of C in eight v128 accumulators and broadcasts one A value per
// row and k step (v128.load32_splat): 8 accumulators + 2 B + 4 A values fit x64's 15 usable xmm
// registers in V8 without spills (checked with node --print-wasm-code). It multiplies then adds
// (f32x4.mul, f32x4.add) in both builds, not the relaxed build's fused madd: on this CPU (AMD Zen 5) the
// products do not wait on the accumulators and the adds have their own pipes, and the whole GEMM ran 0-3.5%
// faster than with the madd on each of the 12 shapes of bench/gemm.mjs (alternated in one process); it
// also makes the GEMM's bits the same in both builds and on every CPU (relaxed_madd may or may not fuse).
// Edge tiles run the same kernel into a scratch tile, then copy the valid part, so every size uses one code path and one summation order.
//
// Block sizes: k up to KC = 1024 is one k block, so each C tile is loaded and stored once per call;
// MC = 256 rows of A per block (1 MiB packed at KC: this CPU's L2) halve the passes over packed B; and
// the k blocks of one row block run one after another (row blocks outermost), so the C rows they add
// into are still in cache when k > KC. The order of each element's sum depends on k alone (blocks of
// ceil(k / ceil(k / KC)) in increasing p), whatever rows or columns a thread is given. Against the
// earlier MC = 128, KC = 512, p blocks outermost, timed alternately in one process (GEMM alone, relaxed
// build, on-CPU time, loaded 2-core machine): 2000x4096x4096 NN 42.0-42.9 -> 44.9-46.4 GFLOP/s, 1024^3
// NN 44.0-44.2 -> 46.2-47.5; 8000x512x512 (one k block of 512 either way) 46-47 both, within the noise.

const MR = 4;
const NR = 8;
const MC = 256;
const KC = 1024;

@inline function ceilDiv(a: i32, b: i32): i32 {
  return (a + b - 1) / b;
}

/** Scratch bytes that gemm needs: packed B, one packed A block and one edge tile. */
export function gemmScratchBytes(m: i32, k: i32, n: i32): usize {
  const packedB = <usize>k * <usize>(ceilDiv(n, NR) * NR);
  const packedA = <usize>min(ceilDiv(m, MR) * MR, MC) * <usize>min(k, KC);
  return (packedB + packedA + MR * NR) << 2;
}

/** out rows (a0[p], a1[p], a2[p], a3[p]) for p = 0..3 of the four 4-float vectors r0..r3. */
@inline function transpose4(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, stride: usize): void {
  const t0 = v128.shuffle<i32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<i32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<i32>(r0, r1, 2, 6, 3, 7);
  const t3 = v128.shuffle<i32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<i32>(t0, t1, 0, 1, 4, 5));
  v128.store(dst + stride, v128.shuffle<i32>(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, v128.shuffle<i32>(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, v128.shuffle<i32>(t2, t3, 2, 3, 6, 7));
}

/** B panels (8 columns each) packed together per pass over B's rows when B is not transposed (see packB). */
const PACK_GROUP = 8;

/** A row panels (4 rows each) packed together per pass over a transposed A's rows (see packA). */
const A_GROUP = 8;

/** Packs op(B) into panels: bp[jp][p][0..8) = op(B)[p, jp*8 + 0..8), zero beyond column n (ldb: b's row stride). */
function packB(b: usize, bp: usize, k: i32, n: i32, transB: i32, ldb: i32): void {
  const panels = ceilDiv(n, NR);
  const full = n / NR; // panels with eight columns inside B
  const panelB = (<usize>k * NR) << 2;
  if (!transB) {
    // op(B)[p, j] = b[p*ldb + j]: each row of b feeds PACK_GROUP panels in one go (256 contiguous bytes).
    // One panel per pass down the k rows (32 bytes of each row, rows 8-16 KiB apart at n = 2048-4096)
    // packed a 2048x2048 B at 2.6 GB/s; eight per pass were 2.5-3x faster at k = n = 1024-4096 (packing
    // timed alone, on-CPU); the whole GEMM gained 0-2% on 2048^3 and 2000x4096x4096 in alternated runs, within
    // the noise of the loaded machine they ran on (packing B is 1-3% of those GEMMs). 32 per pass were 6x
    // slower than 8 at k = 1024: their write streams lie k * 32 bytes apart, the same L1 sets when k is a
    // power of two.
    for (let g0 = 0; g0 < full; g0 += PACK_GROUP) {
      const g1 = min(g0 + PACK_GROUP, full);
      const d0 = bp + <usize>g0 * panelB;
      for (let p = 0; p < k; p++) {
        let src = b + ((<usize>p * <usize>ldb + <usize>(g0 * NR)) << 2);
        let d = d0 + (<usize>p << 5);
        for (let g = g0; g < g1; g++) {
          v128.store(d, v128.load(src));
          v128.store(d, v128.load(src, 16), 16);
          src += NR << 2;
          d += panelB;
        }
      }
    }
  } else {
    // op(B)[p, j] = b[j*ldb + p]: eight source rows, transposed 4x4 at a time.
    const rowB = <usize>ldb << 2;
    for (let jp = 0; jp < full; jp++) {
      const dst = bp + <usize>jp * panelB;
      const s0 = b + ((<usize>(jp * NR) * <usize>ldb) << 2);
      const s4 = s0 + 4 * rowB;
      let p = 0;
      for (; p + 4 <= k; p += 4) {
        const po = <usize>p << 2;
        const d = dst + (<usize>p << 5);
        transpose4(v128.load(s0 + po), v128.load(s0 + rowB + po), v128.load(s0 + 2 * rowB + po), v128.load(s0 + 3 * rowB + po), d, 32);
        transpose4(v128.load(s4 + po), v128.load(s4 + rowB + po), v128.load(s4 + 2 * rowB + po), v128.load(s4 + 3 * rowB + po), d + 16, 32);
      }
      for (; p < k; p++) {
        for (let jj = 0; jj < NR; jj++) {
          store<f32>(dst + (<usize>(p * NR + jj) << 2), load<f32>(b + ((<usize>(jp * NR + jj) * <usize>ldb + <usize>p) << 2)));
        }
      }
    }
  }
  // a partial last panel (zero columns beyond n)
  for (let jp = full; jp < panels; jp++) {
    const j0 = jp * NR;
    const dst = bp + <usize>jp * panelB;
    for (let p = 0; p < k; p++) {
      for (let jj = 0; jj < NR; jj++) {
        const j = j0 + jj;
        let v: f32 = 0;
        if (j < n) v = load<f32>(b + ((transB ? <usize>j * <usize>ldb + <usize>p : <usize>p * <usize>ldb + <usize>j) << 2));
        store<f32>(dst + (<usize>(p * NR + jj) << 2), v);
      }
    }
  }
}

/** Packs op(A)[i0 .. i0+mc, p0 .. p0+kc) into row panels ap[ib][pp][0..4), zero beyond row m (lda: a's row stride). */
function packA(a: usize, ap: usize, m: i32, lda: i32, transA: i32, i0: i32, mc: i32, p0: i32, kc: i32): void {
  const panels = ceilDiv(mc, MR);
  const full = min(panels, (m - i0) / MR); // panels with four rows inside A
  const rowB = <usize>lda << 2;
  const panelB = <usize>kc << 4;
  if (!transA) {
    // op(A)[i, p] = a[i*lda + p]: four source rows per panel, transposed 4x4 at a time
    for (let ib = 0; ib < full; ib++) {
      const s0 = a + ((<usize>(i0 + ib * MR) * <usize>lda + <usize>p0) << 2);
      const dst = ap + <usize>ib * panelB;
      for (let q = 0; q + 4 <= kc; q += 4) {
        const po = <usize>q << 2;
        transpose4(v128.load(s0 + po), v128.load(s0 + rowB + po), v128.load(s0 + 2 * rowB + po), v128.load(s0 + 3 * rowB + po), dst + (<usize>q << 4), 16);
      }
    }
  } else {
    // op(A)[i, p] = a[p*lda + i]: each panel's four values of a k step are contiguous in a's row p; four rows
    // of a at a time, read along the rows, give each panel 64 contiguous bytes. A_GROUP panels per pass
    // down the kc rows (128 contiguous bytes of each row): the whole block's width per pass (1 KiB of
    // each row) wrote 64 streams kc * 16 bytes apart at once, 1.6-2.8x slower to pack (8000x512x512,
    // 1024^3, 2000x4096x4096 TN, packing timed alone, on-CPU); 32 panels per pass were slower than 8 too
    for (let g0 = 0; g0 < full; g0 += A_GROUP) {
      const g1 = min(g0 + A_GROUP, full);
      for (let q = 0; q + 4 <= kc; q += 4) {
        const s0 = a + ((<usize>(p0 + q) * <usize>lda + <usize>i0) << 2);
        const d0 = ap + (<usize>q << 4);
        for (let ib = g0; ib < g1; ib++) {
          const s = s0 + (<usize>ib << 4);
          const d = d0 + <usize>ib * panelB;
          v128.store(d, v128.load(s));
          v128.store(d, v128.load(s + rowB), 16);
          v128.store(d, v128.load(s + 2 * rowB), 32);
          v128.store(d, v128.load(s + 3 * rowB), 48);
        }
      }
    }
  }
  // what is left: the last kc mod 4 k steps of the full panels, and a partial last panel (zero rows beyond m)
  for (let ib = 0; ib < panels; ib++) {
    const r0 = i0 + ib * MR;
    const dst = ap + <usize>ib * panelB;
    let q = ib < full ? kc - (kc & 3) : 0;
    for (; q < kc; q++) {
      const p = p0 + q;
      for (let r = 0; r < MR; r++) {
        const i = r0 + r;
        let v: f32 = 0;
        if (i < m) v = load<f32>(a + ((transA ? <usize>p * <usize>lda + <usize>i : <usize>i * <usize>lda + <usize>p) << 2));
        store<f32>(dst + (<usize>(q * MR + r) << 2), v);
      }
    }
  }
}

/** C[4, 8] at c (row stride ldc bytes) (+)= Apanel[kc][4] Bpanel[kc][8]. */
@inline function micro4x8(ap: usize, bp: usize, kc: i32, c: usize, ldc: usize, accumulate: bool): void {
  let x00 = f32x4.splat(0), x01 = f32x4.splat(0);
  let x10 = f32x4.splat(0), x11 = f32x4.splat(0);
  let x20 = f32x4.splat(0), x21 = f32x4.splat(0);
  let x30 = f32x4.splat(0), x31 = f32x4.splat(0);
  const end = ap + (<usize>kc << 4);
  while (ap < end) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    x00 = f32x4.add(f32x4.mul(a, b0), x00);
    x01 = f32x4.add(f32x4.mul(a, b1), x01);
    a = v128.load32_splat(ap, 4);
    x10 = f32x4.add(f32x4.mul(a, b0), x10);
    x11 = f32x4.add(f32x4.mul(a, b1), x11);
    a = v128.load32_splat(ap, 8);
    x20 = f32x4.add(f32x4.mul(a, b0), x20);
    x21 = f32x4.add(f32x4.mul(a, b1), x21);
    a = v128.load32_splat(ap, 12);
    x30 = f32x4.add(f32x4.mul(a, b0), x30);
    x31 = f32x4.add(f32x4.mul(a, b1), x31);
    ap += 16;
    bp += 32;
  }
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  if (accumulate) {
    x00 = f32x4.add(v128.load(c), x00); x01 = f32x4.add(v128.load(c, 16), x01);
    x10 = f32x4.add(v128.load(c1), x10); x11 = f32x4.add(v128.load(c1, 16), x11);
    x20 = f32x4.add(v128.load(c2), x20); x21 = f32x4.add(v128.load(c2, 16), x21);
    x30 = f32x4.add(v128.load(c3), x30); x31 = f32x4.add(v128.load(c3, 16), x31);
  }
  v128.store(c, x00); v128.store(c, x01, 16);
  v128.store(c1, x10); v128.store(c1, x11, 16);
  v128.store(c2, x20); v128.store(c2, x21, 16);
  v128.store(c3, x30); v128.store(c3, x31, 16);
}

/** Argument block of gemm and sparseGemm (the fields of their declaration in src/kernels/wasm-exports.ts). */
@unmanaged export class GemmArgs {
  a: usize; b: usize; c: usize; m: i32; k: i32; n: i32; transA: i32; transB: i32; accumulate: i32; scratch: usize;
  lda: i32; ldb: i32; ldc: i32;
}

/**
 * C[M,N] (+)= op(A) op(B). op(A)[i,p] = transA ? a[p*lda + i] : a[i*lda + p];
 * op(B)[p,j] = transB ? b[j*ldb + p] : b[p*ldb + j]; C[i,j] at c[i*ldc + j]. A leading dimension of 0 is
 * the dense one (lda: transA ? m : k; ldb: transB ? k : n; ldc: n): the thread pool (src/kernels/pool.ts)
 * gives each thread a block of C's rows or columns as a GEMM of its own. Each element of C is the same
 * sum in the same order whatever the block: k is blocked by k alone, and edge tiles add their sum onto
 * C as full tiles do. scratch: gemmScratchBytes(m, k, n) bytes, 16-aligned. Requires m, n, k >= 1.
 */
export function gemm(p: GemmArgs): void {
  const a = p.a, b = p.b, c = p.c, m = p.m, k = p.k, n = p.n, transA = p.transA, transB = p.transB, accumulate = p.accumulate, scratch = p.scratch;
  const lda = p.lda ? p.lda : transA ? m : k;
  const ldb = p.ldb ? p.ldb : transB ? k : n;
  const bp = scratch;
  const ap = bp + ((<usize>k * <usize>(ceilDiv(n, NR) * NR)) << 2);
  const tile = ap + ((<usize>min(ceilDiv(m, MR) * MR, MC) * <usize>min(k, KC)) << 2);
  packB(b, bp, k, n, transB, ldb);
  const ldc = <usize>(p.ldc ? p.ldc : n) << 2;
  const panels = ceilDiv(n, NR);
  const kcMax = ceilDiv(k, ceilDiv(k, KC)); // equal k blocks of at most KC
  for (let i0 = 0; i0 < m; i0 += MC) {
    const mc = min(MC, m - i0);
    for (let p0 = 0; p0 < k; p0 += kcMax) {
      const kc = min(kcMax, k - p0);
      const acc = accumulate != 0 || p0 > 0;
      packA(a, ap, m, lda, transA, i0, mc, p0, kc);
      const rowPanels = ceilDiv(mc, MR);
      for (let jp = 0; jp < panels; jp++) {
        const j0 = jp * NR;
        const nr = min(NR, n - j0);
        const bpp = bp + ((<usize>jp * <usize>k * NR + <usize>p0 * NR) << 2);
        for (let ib = 0; ib < rowPanels; ib++) {
          const i = i0 + ib * MR;
          const mr = min(MR, m - i);
          const app = ap + ((<usize>ib * <usize>kc * MR) << 2);
          const cp = c + <usize>i * ldc + (<usize>j0 << 2);
          if (mr == MR && nr == NR) {
            micro4x8(app, bpp, kc, cp, ldc, acc);
          } else {
            micro4x8(app, bpp, kc, tile, NR << 2, false);
            for (let r = 0; r < mr; r++) {
              for (let jj = 0; jj < nr; jj++) {
                const d = cp + (<usize>r * ldc) + (<usize>jj << 2);
                const t = load<f32>(tile + (<usize>(r * NR + jj) << 2));
                store<f32>(d, acc ? load<f32>(d) + t : t);
              }
            }
          }
        }
      }
    }
  }
}
