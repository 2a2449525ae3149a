// spikeflow compute kernels (AssemblyScript -> WASM SIMD). All pointers are byte offsets into linear
// memory laid out by the JS wrapper (src/kernels/wasm.ts); matrices are row-major f32 unless noted.

export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}

// ---------------------------------------------------------------------------------------------
// Dense GEMM: C[M,N] (+)= A(i,p) * B[K,N], with A(i,p) = a[i*sai + p*sap] (covers A and A^T).
// Micro-kernel: 4 rows x 8 columns of C in eight v128 accumulators, streaming over K.

@inline function aAt(a: usize, i: i32, p: i32, sai: i32, sap: i32): f32 {
  return load<f32>(a + (<usize>(i * sai + p * sap) << 2));
}

export function gemm(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, sai: i32, sap: i32, accumulate: i32): void {
  const n8 = n & ~7;
  const m4 = m & ~3;
  const rowB = <usize>n << 2;
  for (let i = 0; i < m4; i += 4) {
    const c0 = c + (<usize>(i * n) << 2);
    const c1 = c0 + rowB;
    const c2 = c1 + rowB;
    const c3 = c2 + rowB;
    for (let j = 0; j < n8; j += 8) {
      const jo = <usize>j << 2;
      let x00 = f32x4.splat(0), x01 = f32x4.splat(0);
      let x10 = f32x4.splat(0), x11 = f32x4.splat(0);
      let x20 = f32x4.splat(0), x21 = f32x4.splat(0);
      let x30 = f32x4.splat(0), x31 = f32x4.splat(0);
      let bp = b + jo;
      for (let p = 0; p < k; p++) {
        const b0 = v128.load(bp);
        const b1 = v128.load(bp, 16);
        bp += rowB;
        const a0 = f32x4.splat(aAt(a, i, p, sai, sap));
        const a1 = f32x4.splat(aAt(a, i + 1, p, sai, sap));
        const a2 = f32x4.splat(aAt(a, i + 2, p, sai, sap));
        const a3 = f32x4.splat(aAt(a, i + 3, p, sai, sap));
        x00 = f32x4.add(x00, f32x4.mul(a0, b0)); x01 = f32x4.add(x01, f32x4.mul(a0, b1));
        x10 = f32x4.add(x10, f32x4.mul(a1, b0)); x11 = f32x4.add(x11, f32x4.mul(a1, b1));
        x20 = f32x4.add(x20, f32x4.mul(a2, b0)); x21 = f32x4.add(x21, f32x4.mul(a2, b1));
        x30 = f32x4.add(x30, f32x4.mul(a3, b0)); x31 = f32x4.add(x31, f32x4.mul(a3, b1));
      }
      if (accumulate) {
        x00 = f32x4.add(x00, v128.load(c0 + jo)); x01 = f32x4.add(x01, v128.load(c0 + jo, 16));
        x10 = f32x4.add(x10, v128.load(c1 + jo)); x11 = f32x4.add(x11, v128.load(c1 + jo, 16));
        x20 = f32x4.add(x20, v128.load(c2 + jo)); x21 = f32x4.add(x21, v128.load(c2 + jo, 16));
        x30 = f32x4.add(x30, v128.load(c3 + jo)); x31 = f32x4.add(x31, v128.load(c3 + jo, 16));
      }
      v128.store(c0 + jo, x00); v128.store(c0 + jo, x01, 16);
      v128.store(c1 + jo, x10); v128.store(c1 + jo, x11, 16);
      v128.store(c2 + jo, x20); v128.store(c2 + jo, x21, 16);
      v128.store(c3 + jo, x30); v128.store(c3 + jo, x31, 16);
    }
    gemmTail(a, b, c, i, i + 4, n8, n, k, n, sai, sap, accumulate);
  }
  // Remaining rows: one row at a time, 4 columns per v128.
  for (let i = m4; i < m; i++) {
    const ci = c + (<usize>(i * n) << 2);
    const n4 = n & ~3;
    for (let j = 0; j < n4; j += 4) {
      let acc = f32x4.splat(0);
      let bp = b + (<usize>j << 2);
      for (let p = 0; p < k; p++) {
        acc = f32x4.add(acc, f32x4.mul(f32x4.splat(aAt(a, i, p, sai, sap)), v128.load(bp)));
        bp += rowB;
      }
      const cp = ci + (<usize>j << 2);
      v128.store(cp, accumulate ? f32x4.add(acc, v128.load(cp)) : acc);
    }
    gemmTail(a, b, c, i, i + 1, n4, n, k, n, sai, sap, accumulate);
  }
}

/** Scalar columns [j0, j1) of rows [i0, i1). */
@inline function gemmTail(a: usize, b: usize, c: usize, i0: i32, i1: i32, j0: i32, j1: i32, k: i32, n: i32, sai: i32, sap: i32, accumulate: i32): void {
  for (let i = i0; i < i1; i++) {
    for (let j = j0; j < j1; j++) {
      let s: f32 = 0;
      for (let p = 0; p < k; p++) s += aAt(a, i, p, sai, sap) * load<f32>(b + (<usize>(p * n + j) << 2));
      const cp = c + (<usize>(i * n + j) << 2);
      store<f32>(cp, accumulate ? load<f32>(cp) + s : s);
    }
  }
}

/** dst[C, R] = src[R, C]^T (f32), blocked for cache. */
export function transpose(src: usize, dst: usize, r: i32, c: i32): void {
  for (let i0 = 0; i0 < r; i0 += 32) {
    const i1 = min(i0 + 32, r);
    for (let j0 = 0; j0 < c; j0 += 32) {
      const j1 = min(j0 + 32, c);
      for (let i = i0; i < i1; i++) {
        for (let j = j0; j < j1; j++) {
          store<f32>(dst + (<usize>(j * r + i) << 2), load<f32>(src + (<usize>(i * c + j) << 2)));
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Spike-driven kernels. S is u8 0/1. Each output row is processed in chunks of 32 floats held in
// eight v128 registers while the active inputs' weight rows stream through: one load + one add per
// 4 synapses.

/** Writes the indices p with s[p] != 0 (p < k) to idx (i32) and returns how many. */
@inline function activeList(s: usize, k: i32, idx: usize): i32 {
  let cnt = 0;
  let p = 0;
  const k16 = k & ~15;
  for (; p < k16; p += 16) {
    if (!v128.any_true(v128.load(s + <usize>p))) continue;
    for (let q = p; q < p + 16; q++) {
      if (load<u8>(s + <usize>q)) { store<i32>(idx + (<usize>cnt << 2), q); cnt++; }
    }
  }
  for (; p < k; p++) {
    if (load<u8>(s + <usize>p)) { store<i32>(idx + (<usize>cnt << 2), p); cnt++; }
  }
  return cnt;
}

/** out[0..n) (+)= sum over the `cnt` rows listed in idx of src[row, 0..n). */
@inline function addRows(src: usize, n: i32, idx: usize, cnt: i32, out: usize, accumulate: i32): void {
  const rowB = <usize>n << 2;
  const n32 = n & ~31;
  let j = 0;
  for (; j < n32; j += 32) {
    const jo = <usize>j << 2;
    let x0 = f32x4.splat(0), x1 = f32x4.splat(0), x2 = f32x4.splat(0), x3 = f32x4.splat(0);
    let x4 = f32x4.splat(0), x5 = f32x4.splat(0), x6 = f32x4.splat(0), x7 = f32x4.splat(0);
    if (accumulate) {
      const o = out + jo;
      x0 = v128.load(o); x1 = v128.load(o, 16); x2 = v128.load(o, 32); x3 = v128.load(o, 48);
      x4 = v128.load(o, 64); x5 = v128.load(o, 80); x6 = v128.load(o, 96); x7 = v128.load(o, 112);
    }
    for (let q = 0; q < cnt; q++) {
      const r = src + <usize>load<i32>(idx + (<usize>q << 2)) * rowB + jo;
      x0 = f32x4.add(x0, v128.load(r)); x1 = f32x4.add(x1, v128.load(r, 16));
      x2 = f32x4.add(x2, v128.load(r, 32)); x3 = f32x4.add(x3, v128.load(r, 48));
      x4 = f32x4.add(x4, v128.load(r, 64)); x5 = f32x4.add(x5, v128.load(r, 80));
      x6 = f32x4.add(x6, v128.load(r, 96)); x7 = f32x4.add(x7, v128.load(r, 112));
    }
    const o = out + jo;
    v128.store(o, x0); v128.store(o, x1, 16); v128.store(o, x2, 32); v128.store(o, x3, 48);
    v128.store(o, x4, 64); v128.store(o, x5, 80); v128.store(o, x6, 96); v128.store(o, x7, 112);
  }
  const n4 = n & ~3;
  for (; j < n4; j += 4) {
    const jo = <usize>j << 2;
    let x = accumulate ? v128.load(out + jo) : f32x4.splat(0);
    for (let q = 0; q < cnt; q++) x = f32x4.add(x, v128.load(src + <usize>load<i32>(idx + (<usize>q << 2)) * rowB + jo));
    v128.store(out + jo, x);
  }
  for (; j < n; j++) {
    const jo = <usize>j << 2;
    let x: f32 = accumulate ? load<f32>(out + jo) : 0;
    for (let q = 0; q < cnt; q++) x += load<f32>(src + <usize>load<i32>(idx + (<usize>q << 2)) * rowB + jo);
    store<f32>(out + jo, x);
  }
}

/** C[M,N] (+)= S[M,K] W[K,N]. idx: scratch of K i32. */
export function spikeMatmul(s: usize, w: usize, c: usize, m: i32, k: i32, n: i32, accumulate: i32, idx: usize): void {
  for (let i = 0; i < m; i++) {
    const cnt = activeList(s + <usize>(i * k), k, idx);
    addRows(w, n, idx, cnt, c + (<usize>(i * n) << 2), accumulate);
  }
}

/** dW[K,N] += S[M,K]^T G[M,N]. st: scratch u8 [K*M] for S^T; idx: scratch of M i32. */
export function spikeMatmulGradW(s: usize, g: usize, dw: usize, m: i32, k: i32, n: i32, st: usize, idx: usize): void {
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) store<u8>(st + <usize>(p * m + i), load<u8>(s + <usize>(i * k + p)));
  }
  for (let p = 0; p < k; p++) {
    const cnt = activeList(st + <usize>(p * m), m, idx);
    if (cnt) addRows(g, n, idx, cnt, dw + (<usize>(p * n) << 2), 1);
  }
}

// ---------------------------------------------------------------------------------------------
// Small row/bias kernels.

export function sumRows(x: usize, out: usize, m: i32, n: i32, accumulate: i32): void {
  if (!accumulate) memory.fill(out, 0, <usize>n << 2);
  const n4 = n & ~3;
  for (let i = 0; i < m; i++) {
    const row = x + (<usize>(i * n) << 2);
    let j = 0;
    for (; j < n4; j += 4) {
      const o = out + (<usize>j << 2);
      v128.store(o, f32x4.add(v128.load(o), v128.load(row + (<usize>j << 2))));
    }
    for (; j < n; j++) {
      const o = out + (<usize>j << 2);
      store<f32>(o, load<f32>(o) + load<f32>(row + (<usize>j << 2)));
    }
  }
}

export function addBias(c: usize, bias: usize, m: i32, n: i32): void {
  const n4 = n & ~3;
  for (let i = 0; i < m; i++) {
    const row = c + (<usize>(i * n) << 2);
    let j = 0;
    for (; j < n4; j += 4) {
      const o = row + (<usize>j << 2);
      v128.store(o, f32x4.add(v128.load(o), v128.load(bias + (<usize>j << 2))));
    }
    for (; j < n; j++) {
      const o = row + (<usize>j << 2);
      store<f32>(o, load<f32>(o) + load<f32>(bias + (<usize>j << 2)));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Leaky integrate-and-fire scan (snnTorch semantics, see src/kernels/types.ts). Neuron n = b*H + h.
// Vectorised over the H features of each sample, 4 neurons per v128; time is the outer loop.
// The reset of step t is "mem[t-1] > threshold", which is exactly spk[t-1].

/** Stores the 4 lanes of a comparison mask as 4 bytes of 0/1. */
@inline function storeMaskBytes(ptr: usize, mask: v128): void {
  const ones = v128.and(mask, i32x4.splat(1));
  const w = i16x8.narrow_i32x4_u(ones, ones);
  store<u32>(ptr, i32x4.extract_lane(i8x16.narrow_i16x8_u(w, w), 0));
}

@inline function lifStep(bt: f32, prev: f32, x: f32, thr: f32, reset: i32): f32 {
  const fired = prev > thr;
  if (reset == 0) return bt * prev + x - (fired ? thr : 0);
  if (reset == 1) return bt * (fired ? 0 : prev) + x;
  return bt * prev + x;
}

export function leakyForward(input: usize, constInput: i32, beta: usize, thr: f32, reset: i32, spk: usize, mem: usize, t: i32, nN: i32, h: i32): void {
  const nB = nN / h;
  const h4 = h & ~3;
  const thrv = f32x4.splat(thr);
  for (let step = 0; step < t; step++) {
    const off = step * nN;
    for (let b = 0; b < nB; b++) {
      const n0 = off + b * h; // element index of (step, b, 0)
      const in0 = input + (<usize>(constInput ? b * h : n0) << 2);
      const m0 = mem + (<usize>n0 << 2);
      const p0 = m0 - (<usize>nN << 2);
      const s0 = spk + <usize>n0;
      let j = 0;
      for (; j < h4; j += 4) {
        const jo = <usize>j << 2;
        const x = v128.load(in0 + jo);
        const bt = v128.load(beta + jo);
        let v: v128;
        if (step == 0) v = x;
        else {
          const prev = v128.load(p0 + jo);
          const fired = f32x4.gt(prev, thrv);
          if (reset == 0) v = f32x4.sub(f32x4.add(f32x4.mul(bt, prev), x), v128.and(fired, thrv));
          else if (reset == 1) v = f32x4.add(f32x4.mul(bt, v128.andnot(prev, fired)), x);
          else v = f32x4.add(f32x4.mul(bt, prev), x);
        }
        v128.store(m0 + jo, v);
        storeMaskBytes(s0 + <usize>j, f32x4.gt(v, thrv));
      }
      for (; j < h; j++) {
        const jo = <usize>j << 2;
        const x = load<f32>(in0 + jo);
        const v = step == 0 ? x : lifStep(load<f32>(beta + jo), load<f32>(p0 + jo), x, thr, reset);
        store<f32>(m0 + jo, v);
        store<u8>(s0 + <usize>j, v > thr ? 1 : 0);
      }
    }
  }
}

@inline function surrogate(code: i32, p: f32, x: f32): f32 {
  if (code == 0) {
    const z: f32 = (Mathf.PI / 2) * p * x;
    return p / 2 / (1 + z * z);
  }
  if (code == 1) {
    const d: f32 = p * Mathf.abs(x) + 1;
    return 1 / (d * d);
  }
  const e = Mathf.exp(-p * x);
  if (!isFinite(e)) return 0;
  const d: f32 = 1 + e;
  return (p * e) / (d * d);
}

@inline function surrogate4(code: i32, p: f32, x: v128): v128 {
  if (code == 0) {
    const z = f32x4.mul(f32x4.splat((Mathf.PI / 2) * p), x);
    return f32x4.div(f32x4.splat(p / 2), f32x4.add(f32x4.splat(1), f32x4.mul(z, z)));
  }
  if (code == 1) {
    const d = f32x4.add(f32x4.mul(f32x4.splat(p), f32x4.abs(x)), f32x4.splat(1));
    return f32x4.div(f32x4.splat(1), f32x4.mul(d, d));
  }
  return f32x4(
    surrogate(code, p, f32x4.extract_lane(x, 0)), surrogate(code, p, f32x4.extract_lane(x, 1)),
    surrogate(code, p, f32x4.extract_lane(x, 2)), surrogate(code, p, f32x4.extract_lane(x, 3)),
  );
}

/** carry: scratch f32 [N]; gradBeta: f32 [H] (zeroed here); gradInput: [T*N] or [N] when constInput. */
export function leakyBackward(
  beta: usize, thr: f32, reset: i32, spk: usize, mem: usize, gradSpk: usize, gradMem: usize,
  code: i32, sp: f32, constInput: i32, gradInput: usize, gradBeta: usize, carry: usize, t: i32, nN: i32, h: i32,
): void {
  const nB = nN / h;
  const h4 = h & ~3;
  const thrv = f32x4.splat(thr);
  memory.fill(carry, 0, <usize>nN << 2);
  memory.fill(gradBeta, 0, <usize>h << 2);
  if (constInput) memory.fill(gradInput, 0, <usize>nN << 2);
  for (let step = t - 1; step >= 0; step--) {
    const off = step * nN;
    for (let b = 0; b < nB; b++) {
      const n0 = off + b * h;
      const c0 = carry + (<usize>(b * h) << 2);
      const m0 = mem + (<usize>n0 << 2);
      const p0 = m0 - (<usize>nN << 2);
      const gi0 = gradInput + (<usize>(constInput ? b * h : n0) << 2);
      const gm0 = gradMem + (<usize>n0 << 2);
      const gs0 = gradSpk + (<usize>n0 << 2);
      let j = 0;
      for (; j < h4; j += 4) {
        const jo = <usize>j << 2;
        let g = v128.load(c0 + jo);
        if (gradMem) g = f32x4.add(g, v128.load(gm0 + jo));
        if (gradSpk) g = f32x4.add(g, f32x4.mul(v128.load(gs0 + jo), surrogate4(code, sp, f32x4.sub(v128.load(m0 + jo), thrv))));
        v128.store(gi0 + jo, constInput ? f32x4.add(v128.load(gi0 + jo), g) : g);
        let prev = f32x4.splat(0);
        let keep = i32x4.splat(-1);
        if (step > 0) {
          prev = v128.load(p0 + jo);
          if (reset == 1) keep = v128.not(f32x4.gt(prev, thrv));
        }
        const bo = gradBeta + jo;
        v128.store(bo, f32x4.add(v128.load(bo), v128.and(f32x4.mul(g, prev), keep)));
        v128.store(c0 + jo, v128.and(f32x4.mul(g, v128.load(beta + jo)), keep));
      }
      for (; j < h; j++) {
        const jo = <usize>j << 2;
        let g = load<f32>(c0 + jo);
        if (gradMem) g += load<f32>(gm0 + jo);
        if (gradSpk) g += load<f32>(gs0 + jo) * surrogate(code, sp, load<f32>(m0 + jo) - thr);
        store<f32>(gi0 + jo, constInput ? load<f32>(gi0 + jo) + g : g);
        let prev: f32 = 0;
        let keep: f32 = 1;
        if (step > 0) {
          prev = load<f32>(p0 + jo);
          if (reset == 1 && prev > thr) keep = 0;
        }
        const bo = gradBeta + jo;
        store<f32>(bo, load<f32>(bo) + g * prev * keep);
        store<f32>(c0 + jo, g * load<f32>(beta + jo) * keep);
      }
    }
  }
}
