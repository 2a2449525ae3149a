// Adam update (PyTorch's rule) over one parameter's elements, in float32 like torch:
//   m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g*g;  w -= stepSize*m / (sqrt(v)*invC2 + eps)
// with stepSize = lr / (1 - b1^t) and invC2 = 1 / sqrt(1 - b2^t). Multiplies and adds stay separate
// (no fused multiply-add) so both builds and the TypeScript reference give the same bits.
//
// With P > 1 gradient buffers (one per thread of a data-parallel step), g is first their weighted sum
// g = w_0 g_0 + w_1 g_1 + ... (in that order), written back to g_0, in the same pass.

/** g_0 = sum_r wt_r g_r over 4 floats at byte offset o (P buffers from g, `stride` bytes apart; wts: P f32 weights). */
@inline function weightedSum4(g: usize, stride: usize, wts: usize, P: i32, o: usize): v128 {
  let acc = f32x4.mul(v128.load32_splat(wts), v128.load(g + o));
  for (let r = 1; r < P; r++) {
    acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(wts + (<usize>r << 2)), v128.load(g + <usize>r * stride + o)));
  }
  v128.store(g + o, acc);
  return acc;
}

@inline function weightedSum1(g: usize, stride: usize, wts: usize, P: i32, o: usize): f32 {
  let acc = load<f32>(wts) * load<f32>(g + o);
  for (let r = 1; r < P; r++) acc += load<f32>(wts + (<usize>r << 2)) * load<f32>(g + <usize>r * stride + o);
  store<f32>(g + o, acc);
  return acc;
}

@unmanaged class AdamArgs {
  w: usize; g: usize; m: usize; v: usize; wts: usize; n: i32; P: i32; b1: f32; b2: f32; eps: f32; stepSize: f32; invC2: f32;
}

/**
 * Adam over n elements; P = 0: the gradient is at g; P >= 1: g holds P gradient buffers one after
 * another, each 16-byte aligned, and wts P weights; the gradient is their weighted sum (stored back
 * into the first buffer).
 */
export function adamUpdate(a: AdamArgs): void {
  const w = a.w, g = a.g, m = a.m, v = a.v, wts = a.wts, n = a.n, P = a.P, b1 = a.b1, b2 = a.b2, eps = a.eps, stepSize = a.stepSize, invC2 = a.invC2;
  const a1: f32 = 1 - b1;
  const a2: f32 = 1 - b2;
  const B1 = f32x4.splat(b1), B2 = f32x4.splat(b2), A1 = f32x4.splat(a1), A2 = f32x4.splat(a2);
  const E = f32x4.splat(eps), S = f32x4.splat(stepSize), C = f32x4.splat(invC2);
  const stride = ((<usize>n << 2) + 15) & ~15;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const gi = P ? weightedSum4(g, stride, wts, P, o) : v128.load(g + o);
    const mi = f32x4.add(f32x4.mul(B1, v128.load(m + o)), f32x4.mul(A1, gi));
    const vi = f32x4.add(f32x4.mul(B2, v128.load(v + o)), f32x4.mul(f32x4.mul(A2, gi), gi));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    const den = f32x4.add(f32x4.mul(f32x4.sqrt(vi), C), E);
    v128.store(w + o, f32x4.sub(v128.load(w + o), f32x4.div(f32x4.mul(S, mi), den)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gi = P ? weightedSum1(g, stride, wts, P, o) : load<f32>(g + o);
    const mi = b1 * load<f32>(m + o) + a1 * gi;
    const vi = b2 * load<f32>(v + o) + a2 * gi * gi;
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(w + o, load<f32>(w + o) - (stepSize * mi) / (Mathf.sqrt(vi) * invC2 + eps));
  }
}
