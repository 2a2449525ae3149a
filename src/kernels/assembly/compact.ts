// Branch-free listing of the set lanes of a mask: a loop over set bits mispredicts about once per
// group when spikes are sparse and irregular, which costs more than the arithmetic around it.

/** i8x16.swizzle for indices known to be 0..15 (the relaxed form is one byte shuffle on x86; the plain one adds a fix-up for out-of-range indices). */
@inline function swizzleInRange(v: v128, idx: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i8x16.relaxed_swizzle(v, idx);
  return i8x16.swizzle(v, idx);
}

// COMPACT[m] (16 bytes each): byte shuffle moving the i32 lanes selected by the 4-bit mask m to the front.
const COMPACT = memory.data<u8>([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 4, 5, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 4, 5, 6, 7, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 0, 0, 0, 0, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], 16);

/**
 * Appends (first + q) * scale for every set bit q of the 16-bit mask `bits` to the i32 list at index
 * cnt, in ascending q; returns the new count. Writes up to 4 entries past the new end (scratch must allow).
 */
@inline export function appendSetBits16(bits: i32, first: i32, scale: i32, list: usize, cnt: i32): i32 {
  const sc = i32x4.splat(scale);
  let ids = i32x4.mul(i32x4.add(i32x4.splat(first), i32x4(0, 1, 2, 3)), sc);
  const step = i32x4.splat(4 * scale);
  for (let g = 0; g < 4; g++) {
    const m = (bits >> (4 * g)) & 15;
    v128.store(list + (<usize>cnt << 2), swizzleInRange(ids, v128.load(COMPACT + (<usize>m << 4))));
    cnt += popcnt(m);
    ids = i32x4.add(ids, step);
  }
  return cnt;
}

/** Appends first + q for every set bit q of the 4-bit mask. */
@inline export function appendSetBits4(bits: i32, first: i32, list: usize, cnt: i32): i32 {
  const ids = i32x4.add(i32x4.splat(first), i32x4(0, 1, 2, 3));
  v128.store(list + (<usize>cnt << 2), swizzleInRange(ids, v128.load(COMPACT + (<usize>bits << 4))));
  return cnt + popcnt(bits);
}

/** Appends the lanes of v selected by the 4-bit mask, in lane order; returns the new count. */
@inline export function appendLanes4(bits: i32, v: v128, list: usize, cnt: i32): i32 {
  v128.store(list + (<usize>cnt << 2), swizzleInRange(v, v128.load(COMPACT + (<usize>bits << 4))));
  return cnt + popcnt(bits);
}
