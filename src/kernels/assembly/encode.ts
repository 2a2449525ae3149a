// Rate (Bernoulli) encoding with the library's generator, xoshiro128** (src/core/rng.ts): the same
// stream of draws in the same order as the TypeScript encoder, so results do not depend on which
// kernels ran. The JavaScript loop cost ~16 ns per draw (uint32 values above 2^31 leave V8's integer
// path, and the float64 comparison); here a draw is integer instructions only.

/** Scratch bytes: per random input a 16-byte record (index, threshold), then the always-on inputs (i32). */
export function rateEncodeScratchBytes(n: i32): usize {
  return (<usize>n << 4) + (<usize>n << 2) + 16;
}

/**
 * out[t*n + i] = 1 with probability p = x[i] * gain (0 below 0, 1 from 1) for t < steps, else 0. Per
 * step, one draw for every i with 0 < p < 1, ascending i: spike when draw < p * 2^32. state: the four
 * u32 words of the generator, advanced in place. Returns -1, or the index of the first NaN value
 * (then nothing is drawn).
 */
export function rateEncode(x: usize, n: i32, steps: i32, gain: f64, state: usize, out: usize, scratch: usize): i32 {
  const rec = scratch; // per random input: i64 threshold ceil(p * 2^32), i32 index (16 bytes, 8-aligned)
  const always = rec + (<usize>n << 4);
  let nr = 0, na = 0;
  // branch-free listing (whether a pixel is 0, in between or 1 is unpredictable)
  for (let i = 0; i < n; i++) {
    const p = <f64>load<f32>(x + (<usize>i << 2)) * gain;
    if (isNaN(p)) return i;
    const r = rec + (<usize>nr << 4);
    // draw < p * 2^32 (exact: a power-of-two scaling) <=> draw < ceil(p * 2^32), compared as integers
    store<i64>(r, <i64>Math.ceil(min(max(p, 0), 1) * 4294967296.0));
    store<i32>(r, i, 8);
    nr += <i32>(p > 0) & <i32>(p < 1);
    store<i32>(always + (<usize>na << 2), i);
    na += <i32>(p >= 1);
  }
  memory.fill(out, 0, <usize>steps * <usize>n);
  let s0 = load<u32>(state), s1 = load<u32>(state, 4), s2 = load<u32>(state, 8), s3 = load<u32>(state, 12);
  const recEnd = rec + (<usize>nr << 4);
  for (let t = 0; t < steps; t++) {
    const o = out + <usize>t * <usize>n;
    for (let j = 0; j < na; j++) store<u8>(o + <usize>load<i32>(always + (<usize>j << 2)), 1);
    for (let r = rec; r < recEnd; r += 16) {
      const draw = rotl<u32>(s1 * 5, 7) * 9;
      const u = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= u;
      s3 = rotl<u32>(s3, 11);
      store<u8>(o + <usize>load<i32>(r, 8), <u8>(<i64>draw < load<i64>(r)));
    }
  }
  store<u32>(state, s0);
  store<u32>(state, s1, 4);
  store<u32>(state, s2, 8);
  store<u32>(state, s3, 12);
  return -1;
}
