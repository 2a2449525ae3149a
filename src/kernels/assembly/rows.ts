import { addRow } from './simd';

// Row/bias kernels: out[j] (+)= sum_i X[i, j] and C[i, j] += bias[j].

/** out[0..n) (+)= column sums of X[M, N], adding the rows in order (as the reference does). */
export function sumRows(x: usize, out: usize, m: i32, n: i32, accumulate: i32, ld: i32): void {
  if (!accumulate) memory.fill(out, 0, <usize>n << 2);
  // ld: x's row length (0: n), so that a thread can take a block of columns (src/kernels/splits.ts)
  const rowB = <usize>(ld ? ld : n) << 2;
  let j = 0;
  // 16 columns at a time in registers, streaming down the rows.
  for (; j + 16 <= n; j += 16) {
    const o = out + (<usize>j << 2);
    let x0 = v128.load(o), x1 = v128.load(o, 16), x2 = v128.load(o, 32), x3 = v128.load(o, 48);
    let r = x + (<usize>j << 2);
    for (let i = 0; i < m; i++) {
      x0 = f32x4.add(x0, v128.load(r)); x1 = f32x4.add(x1, v128.load(r, 16));
      x2 = f32x4.add(x2, v128.load(r, 32)); x3 = f32x4.add(x3, v128.load(r, 48));
      r += rowB;
    }
    v128.store(o, x0); v128.store(o, x1, 16); v128.store(o, x2, 32); v128.store(o, x3, 48);
  }
  for (; j + 4 <= n; j += 4) {
    const o = out + (<usize>j << 2);
    let v = v128.load(o);
    let r = x + (<usize>j << 2);
    for (let i = 0; i < m; i++) {
      v = f32x4.add(v, v128.load(r));
      r += rowB;
    }
    v128.store(o, v);
  }
  for (; j < n; j++) {
    const o = out + (<usize>j << 2);
    let v = load<f32>(o);
    let r = x + (<usize>j << 2);
    for (let i = 0; i < m; i++) {
      v += load<f32>(r);
      r += rowB;
    }
    store<f32>(o, v);
  }
}

/** C[M, N] += bias[N] on every row. */
export function addBias(c: usize, bias: usize, m: i32, n: i32): void {
  const rowB = <usize>n << 2;
  for (let i = 0; i < m; i++) {
    addRow(c + <usize>i * rowB, bias, n);
  }
}
