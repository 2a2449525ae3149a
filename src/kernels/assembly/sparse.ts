// Sparse-input GEMM for analog inputs with many exact zeros (MNIST pixels: ~81% zeros): only the
// nonzero entries of A are visited, each adding value * (a row of B) into a row of C.
// A's nonzeros are listed first (CSR: ptr i32, idx i32, val f32), then C is produced in column panels
// of 16 floats (four v128 accumulators) while the panel slice of B being read stays in cache.
// Sums run in ascending k order like the dense kernel's, so results agree to rounding.

const PW = 16;

/** Scratch bytes: ptr (rows+1) + idx + val for up to m*k nonzeros. */
export function sparseScratchBytes(m: i32, k: i32): usize {
  return (<usize>(m + 1) + (<usize>m * <usize>k) * 2) << 2;
}

/**
 * CSR of op(A)'s rows: op(A)[i, p] = A[i*k + p] (transA = 0, A stored [m, k]) or A[p*m + i]
 * (transA = 1, A stored [k, m]). Returns the number of nonzeros.
 */
function csr(a: usize, m: i32, k: i32, transA: i32, ptr: usize, idx: usize, val: usize): i32 {
  let nnz = 0;
  store<i32>(ptr, 0);
  if (!transA) {
    for (let i = 0; i < m; i++) {
      const row = a + (<usize>(i * k) << 2);
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
    const row = a + (<usize>(p * m) << 2);
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
    const row = a + (<usize>(p * m) << 2);
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

/** C[m, n] (+)= op(A)[m, k] @ B[k, n] visiting only A's nonzeros. B is row-major [k, n]. */
export function sparseGemm(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, transA: i32, accumulate: i32, scratch: usize): void {
  const ptr = scratch;
  const idx = ptr + (<usize>(m + 1) << 2);
  const val = idx + ((<usize>m * <usize>k) << 2);
  csr(a, m, k, transA, ptr, idx, val);
  const rowB = <usize>n << 2;
  const n16 = n & ~(PW - 1);
  for (let j = 0; j < n16; j += PW) {
    const jo = <usize>j << 2;
    for (let i = 0; i < m; i++) {
      const o = c + <usize>i * rowB + jo;
      let x0 = f32x4.splat(0), x1 = f32x4.splat(0), x2 = f32x4.splat(0), x3 = f32x4.splat(0);
      const q1 = load<i32>(ptr + (<usize>(i + 1) << 2));
      for (let q = load<i32>(ptr + (<usize>i << 2)); q < q1; q++) {
        const v = f32x4.splat(load<f32>(val + (<usize>q << 2)));
        const r = b + <usize>load<i32>(idx + (<usize>q << 2)) * rowB + jo;
        x0 = f32x4.add(x0, f32x4.mul(v, v128.load(r)));
        x1 = f32x4.add(x1, f32x4.mul(v, v128.load(r, 16)));
        x2 = f32x4.add(x2, f32x4.mul(v, v128.load(r, 32)));
        x3 = f32x4.add(x3, f32x4.mul(v, v128.load(r, 48)));
      }
      if (accumulate) {
        x0 = f32x4.add(v128.load(o), x0); x1 = f32x4.add(v128.load(o, 16), x1);
        x2 = f32x4.add(v128.load(o, 32), x2); x3 = f32x4.add(v128.load(o, 48), x3);
      }
      v128.store(o, x0); v128.store(o, x1, 16); v128.store(o, x2, 32); v128.store(o, x3, 48);
    }
  }
  if (n16 == n) return;
  for (let i = 0; i < m; i++) {
    const q0 = load<i32>(ptr + (<usize>i << 2));
    const q1 = load<i32>(ptr + (<usize>(i + 1) << 2));
    const o = c + <usize>i * rowB;
    for (let j = n16; j < n; j++) {
      const jo = <usize>j << 2;
      let x: f32 = 0;
      for (let q = q0; q < q1; q++) x += load<f32>(val + (<usize>q << 2)) * load<f32>(b + <usize>load<i32>(idx + (<usize>q << 2)) * rowB + jo);
      store<f32>(o + jo, accumulate ? load<f32>(o + jo) + x : x);
    }
  }
}
