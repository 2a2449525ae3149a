// Shared SIMD helpers. The module is built twice (scripts/build-wasm.mjs): once with WASM SIMD alone and
// once with relaxed SIMD as well, where madd becomes one fused multiply-add instruction (x86 FMA, Arm
// FMLA) instead of a multiply and an add. The loader picks the relaxed build where the runtime has it.

/** a * b + c, four lanes: fused (one rounding) in the relaxed-SIMD build, multiply then add otherwise. */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}
