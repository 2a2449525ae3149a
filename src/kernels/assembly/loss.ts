// Softmax cross-entropy rows (src/train/losses.ts crossEntropyOverTime): the exponentials and
// probabilities of each row, and the gradient's update, with the same float64 operations in the same
// order as the TypeScript loops they replace, so the results are the same bits.

/**
 * e^x in float64 by the classic fdlibm method (the one V8's Math.exp and most JavaScript engines use):
 * x = k ln2 + r with ln2 split in a high and a low part, e^r from a degree-5 rational approximation in
 * r^2, then scaled by 2^k through the exponent bits. The same operations give the same bits as Math.exp
 * (test/kernels/softmax.test.ts compares them on millions of arguments).
 */
function fdExp(x: f64): f64 {
  const bits = reinterpret<u64>(x);
  let hx = <u32>(bits >> 32);
  const neg = hx >> 31;
  hx &= 0x7fffffff;
  let hi: f64 = 0, lo: f64 = 0;
  let k: i32 = 0;
  if (hx >= 0x40862e42) {
    // |x| >= 709.78: NaN, infinities, overflow and underflow
    if (hx >= 0x7ff00000) {
      if (((hx & 0xfffff) | <u32>bits) != 0) return x + x;
      return neg == 0 ? x : 0;
    }
    if (x > 7.09782712893383973096e2) return Infinity;
    if (x < -7.45133219101941108420e2) return 0;
  }
  if (hx > 0x3fd62e42) {
    // |x| > 0.5 ln2: reduce
    if (hx < 0x3ff0a2b2) {
      // |x| < 1.5 ln2: k = +-1
      hi = neg ? x + 6.93147180369123816490e-1 : x - 6.93147180369123816490e-1;
      lo = neg ? -1.90821492927058770002e-10 : 1.90821492927058770002e-10;
      k = neg ? -1 : 1;
    } else {
      k = <i32>(1.44269504088896338700 * x + (neg ? -0.5 : 0.5));
      const t = <f64>k;
      hi = x - t * 6.93147180369123816490e-1;
      lo = t * 1.90821492927058770002e-10;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {
    // |x| < 2^-28: 1 + x (inexact unless x is 0)
    return 1 + x;
  }
  const t = x * x;
  const c = x - t * (1.66666666666666019037e-1 + t * (-2.77777777770155933842e-3 + t * (6.61375632143793436117e-5 +
    t * (-1.65339022054652515390e-6 + t * 4.13813679705723846039e-8))));
  if (k == 0) return 1 - ((x * c) / (c - 2.0) - x);
  const y = 1 - ((lo - (x * c) / (2.0 - c)) - hi);
  if (k >= -1021) {
    if (k == 1024) return y * 2.0 * 8.98846567431158e307;
    return y * reinterpret<f64>(<u64>(0x3ff + k) << 52);
  }
  return y * reinterpret<f64>(<u64>(0x3ff + k + 1000) << 52) * 9.33263618503218878990e-302;
}

/**
 * For each row r of x [rows, C] (float32): m = its largest value (the first, then any larger: a NaN first
 * value stays), e_c = exp(x_c - m) and z = e_0 + ... + e_{C-1} in float64, probs[r, c] = float32(e_c / z),
 * stat[2r] = m, stat[2r + 1] = z. scratch: C float64s.
 */
export function softmaxRows(x: usize, probs: usize, stat: usize, rows: i32, C: i32, scratch: usize): void {
  for (let r = 0; r < rows; r++) {
    const xo = x + (<usize>(r * C) << 2);
    const po = probs + (<usize>(r * C) << 2);
    let mx = <f64>load<f32>(xo);
    for (let c = 1; c < C; c++) {
      const v = <f64>load<f32>(xo + (<usize>c << 2));
      if (v > mx) mx = v;
    }
    let z: f64 = 0;
    for (let c = 0; c < C; c++) {
      const e = fdExp(<f64>load<f32>(xo + (<usize>c << 2)) - mx);
      store<f64>(scratch + (<usize>c << 3), e);
      z += e;
    }
    for (let c = 0; c < C; c++) store<f32>(po + (<usize>c << 2), <f32>(load<f64>(scratch + (<usize>c << 3)) / z));
    store<f64>(stat + (<usize>r << 4), mx);
    store<f64>(stat + (<usize>r << 4), z, 8);
  }
}

/** gx[r, c] = float32(gx[r, c] + g (probs[r, c] - (c == targets[r % B] ? 1 : 0))), in float64, for rows [rows, C]. */
export function softmaxRowsBackward(gx: usize, probs: usize, targets: usize, rows: i32, B: i32, C: i32, g: f64): void {
  for (let r = 0; r < rows; r++) {
    const y = load<i32>(targets + (<usize>(r % B) << 2));
    const o = <usize>(r * C) << 2;
    for (let c = 0; c < C; c++) {
      const at = o + (<usize>c << 2);
      const p = <f64>load<f32>(probs + at) - (c == y ? 1.0 : 0.0);
      store<f32>(gx + at, <f32>(<f64>load<f32>(gx + at) + g * p));
    }
  }
}
