// Shared SIMD helpers. The module is built twice (scripts/build-wasm.mjs): once with WASM SIMD alone and
// once with relaxed SIMD as well, where madd becomes one fused multiply-add instruction (x86 FMA, Arm
// FMLA) instead of a multiply and an add. The loader picks the relaxed build where the runtime has it.

/** a * b + c, four lanes: fused (one rounding) in the relaxed-SIMD build, multiply then add otherwise. */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** dst[0..n) += src[0..n), f32 (conv rows, addBias rows): 16 lanes an iteration, then 4, then one. */
@inline export function addRow(dst: usize, src: usize, n: i32): void {
  let j = 0;
  for (; j + 16 <= n; j += 16) {
    const d = dst + (<usize>j << 2);
    const s = src + (<usize>j << 2);
    v128.store(d, f32x4.add(v128.load(d), v128.load(s)));
    v128.store(d, f32x4.add(v128.load(d, 16), v128.load(s, 16)), 16);
    v128.store(d, f32x4.add(v128.load(d, 32), v128.load(s, 32)), 32);
    v128.store(d, f32x4.add(v128.load(d, 48), v128.load(s, 48)), 48);
  }
  for (; j + 4 <= n; j += 4) {
    const d = dst + (<usize>j << 2);
    v128.store(d, f32x4.add(v128.load(d), v128.load(src + (<usize>j << 2))));
  }
  for (; j < n; j++) {
    const d = dst + (<usize>j << 2);
    store<f32>(d, load<f32>(d) + load<f32>(src + (<usize>j << 2)));
  }
}
