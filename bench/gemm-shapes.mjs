// The dense GEMM benchmarks' shared inputs (bench/gemm.mjs, bench/gemm-ab.mjs): the shapes and transpose
// forms they time, and the seeded operands, so that both multiply the same matrices.

export const FORMS = ['NN', 'TN', 'NT', 'TT'];

/** [{ m, k, n, forms }]: --quick times the 1024^3 cube and the tall 8000x512x512 only. */
export function gemmShapes(quick) {
  return quick
    ? [
        { m: 1024, k: 1024, n: 1024, forms: FORMS },
        { m: 8000, k: 512, n: 512, forms: FORMS },
      ]
    : [
        { m: 1024, k: 1024, n: 1024, forms: FORMS },
        { m: 2048, k: 2048, n: 2048, forms: ['NN', 'TN'] },
        { m: 8000, k: 512, n: 512, forms: FORMS },
        // the Open Neuromorphic n=4096 GEMM is 8000 x 4096 x 4096; a quarter of its rows keeps a WASM call near a second
        { m: 2000, k: 4096, n: 4096, forms: ['NN', 'TN'] },
      ];
}

/** Seeded uniform [-1, 1) floats (xorshift32), so every run multiplies the same matrices. */
export function randomF32(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = (s >>> 0) / 2 ** 31 - 1;
  }
  return out;
}
