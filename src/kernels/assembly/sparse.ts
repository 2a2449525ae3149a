// Sparse-input GEMM for analog inputs with many exact zeros (MNIST pixels: ~81% zeros): only the
// nonzero entries of A are visited, each adding value * (a row of B) into a row of C.
// A's nonzeros are listed first (CSR: ptr i32, idx i32, val f32), then each row of C is built from whole
// rows of B (streamed, four per pass), the C row staying in L1. Results agree with the dense kernel's to
// rounding.

import { madd } from './simd';
import { GemmArgs } from './gemm';

/** Scratch bytes: ptr (rows+1) + idx + val for up to m*k nonzeros. */
export function sparseScratchBytes(m: i32, k: i32): usize {
  return (<usize>(m + 1) + (<usize>m * <usize>k) * 2) << 2;
}

/**
 * CSR of op(A)'s rows: op(A)[i, p] = A[i*lda + p] (transA = 0, A stored [m, k]) or A[p*lda + i]
 * (transA = 1, A stored [k, m]). Returns the number of nonzeros.
 */
function csr(a: usize, m: i32, k: i32, transA: i32, lda: i32, ptr: usize, idx: usize, val: usize): i32 {
  let nnz = 0;
  store<i32>(ptr, 0);
  if (!transA) {
    for (let i = 0; i < m; i++) {
      const row = a + ((<usize>i * <usize>lda) << 2);
      for (let p = 0; p < k; p++) {
        const v = load<f32>(row + (<usize>p << 2));
        if (v != 0) {
          store<i32>(idx + (<usize>nnz << 2), p);
          store<f32>(val + (<usize>nnz << 2), v);
          nnz++;
        }
      }
      store<i32>(ptr + (<usize>(i + 1) << 2), nnz);
    }
    return nnz;
  }
  // A stored [k, m]: count per column i, prefix sums, then fill in ascending p.
  const cnt = ptr + 4; // reuse ptr[1..m] as counters
  memory.fill(cnt, 0, <usize>m << 2);
  for (let p = 0; p < k; p++) {
    const row = a + ((<usize>p * <usize>lda) << 2);
    for (let i = 0; i < m; i++) {
      if (load<f32>(row + (<usize>i << 2)) != 0) {
        const c = cnt + (<usize>i << 2);
        store<i32>(c, load<i32>(c) + 1);
      }
    }
  }
  let acc = 0;
  for (let i = 0; i < m; i++) {
    const c = cnt + (<usize>i << 2);
    const n = load<i32>(c);
    store<i32>(c, acc); // becomes the fill cursor of row i (ptr[i+1] slot holds row i's cursor)
    acc += n;
  }
  for (let p = 0; p < k; p++) {
    const row = a + ((<usize>p * <usize>lda) << 2);
    for (let i = 0; i < m; i++) {
      const v = load<f32>(row + (<usize>i << 2));
      if (v != 0) {
        const c = cnt + (<usize>i << 2);
        const at = load<i32>(c);
        store<i32>(idx + (<usize>at << 2), p);
        store<f32>(val + (<usize>at << 2), v);
        store<i32>(c, at + 1);
      }
    }
  }
  // cursors now hold each row's end = ptr[i+1]; ptr[0] = 0 already
  return acc;
}

@inline function pair(v0: v128, r0: usize, v1: v128, r1: usize, j: usize, o: usize): v128 {
  return madd(v1, v128.load(r1 + j + o), f32x4.mul(v0, v128.load(r0 + j + o)));
}

/** out = src + ((v0 r0 + v1 r1) + (v2 r2 + v3 r3)) over nb bytes; each vector stored before the next one's loads. */
function scaled4(v0: f32, r0: usize, v1: f32, r1: usize, v2: f32, r2: usize, v3: f32, r3: usize, src: usize, out: usize, nb: usize): void {
  const s0 = f32x4.splat(v0), s1 = f32x4.splat(v1), s2 = f32x4.splat(v2), s3 = f32x4.splat(v3);
  let j: usize = 0;
  for (; j + 32 <= nb; j += 32) {
    v128.store(out + j, f32x4.add(v128.load(src + j), f32x4.add(pair(s0, r0, s1, r1, j, 0), pair(s2, r2, s3, r3, j, 0))));
    v128.store(out + j, f32x4.add(v128.load(src + j, 16), f32x4.add(pair(s0, r0, s1, r1, j, 16), pair(s2, r2, s3, r3, j, 16))), 16);
  }
  for (; j + 16 <= nb; j += 16) {
    v128.store(out + j, f32x4.add(v128.load(src + j), f32x4.add(pair(s0, r0, s1, r1, j, 0), pair(s2, r2, s3, r3, j, 0))));
  }
  for (; j < nb; j += 4) {
    const x = (v0 * load<f32>(r0 + j) + v1 * load<f32>(r1 + j)) + (v2 * load<f32>(r2 + j) + v3 * load<f32>(r3 + j));
    store<f32>(out + j, load<f32>(src + j) + x);
  }
}

/** out = src + v0 r0 over nb bytes. */
function scaled1(v0: f32, r0: usize, src: usize, out: usize, nb: usize): void {
  const s0 = f32x4.splat(v0);
  let j: usize = 0;
  for (; j + 16 <= nb; j += 16) v128.store(out + j, madd(s0, v128.load(r0 + j), v128.load(src + j)));
  for (; j < nb; j += 4) store<f32>(out + j, load<f32>(src + j) + v0 * load<f32>(r0 + j));
}

/**
 * C[m, n] (+)= op(A)[m, k] @ B[k, n] visiting only A's nonzeros. B is row-major [k, n]. Row by row:
 * the row of C stays in L1 while whole rows of B stream through, four per pass (their products summed
 * pairwise, then added to the row), then the remaining rows one at a time; nonzeros in ascending k.
 */
export function sparseGemm(p: GemmArgs): void {
  const a = p.a, b = p.b, c = p.c, m = p.m, k = p.k, n = p.n, transA = p.transA, accumulate = p.accumulate, scratch = p.scratch;
  const ptr = scratch;
  const idx = ptr + (<usize>(m + 1) << 2);
  const val = idx + ((<usize>m * <usize>k) << 2);
  // lda: A's row stride (0: the dense one), set when the thread pool gives each thread a block of C's rows
  csr(a, m, k, transA, p.lda ? p.lda : transA ? m : k, ptr, idx, val);
  const nb = <usize>n << 2;
  for (let i = 0; i < m; i++) {
    const o = c + <usize>i * nb;
    if (!accumulate) memory.fill(o, 0, nb);
    let q = load<i32>(ptr + (<usize>i << 2));
    const q1 = load<i32>(ptr + (<usize>(i + 1) << 2));
    for (; q + 4 <= q1; q += 4) {
      const iq = idx + (<usize>q << 2), vq = val + (<usize>q << 2);
      scaled4(
        load<f32>(vq), b + <usize>load<i32>(iq) * nb, load<f32>(vq, 4), b + <usize>load<i32>(iq, 4) * nb,
        load<f32>(vq, 8), b + <usize>load<i32>(iq, 8) * nb, load<f32>(vq, 12), b + <usize>load<i32>(iq, 12) * nb, o, o, nb,
      );
    }
    for (; q < q1; q++) scaled1(load<f32>(val + (<usize>q << 2)), b + <usize>load<i32>(idx + (<usize>q << 2)) * nb, o, o, nb);
  }
}
