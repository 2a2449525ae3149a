// The WASM SIMD (f64x2) kernels of the simulator's LifGroup: CUBA exact, COBA forward Euler and COBA
// exponential Euler (AssemblyScript -> its own WASM module, built by scripts/build-wasm.mjs into the
// gitignored src/sim/lif-kernel.generated.ts; loaded by src/sim/lif-kernel.ts). Compiled with -O3, the
// stub runtime, no assertions and an imported memory (env.memory, at least 1 page, no maximum): each
// group lays out its arrays in its own WebAssembly.Memory and the pointers below are byte offsets into it.
// The arithmetic and its order of operations are those of the TypeScript loop in ../lif-group.ts, so
// the results are bit-identical (tested by test/sim); change both together.

// CUBA exact LIF update + threshold over n neurons, f64x2 SIMD, 4 neurons per iteration, branch-free except
// for the rare spike. Arrays: v, ge, gi, I (f64), lastSpike, spikes (i32). Returns the spike count.
// Per neuron, in this order (identical to the TypeScript loop in lif-group.ts):
//   ge' = ge de; gi' = gi di; x = (((c0 + a v) + ia I) + be ge) + bi gi;
//   if lastSpike <= step - refSteps: v = x, spike if x > vt.
function spikeLanes(x: v128, nr: v128, vt: f64, i: i32, pspk: usize, c: i32): i32 {
  if (i64x2.extract_lane(nr, 0) != 0 && f64x2.extract_lane(x, 0) > vt) { store<i32>(pspk + ((<usize>c) << 2), i); c++; }
  if (i64x2.extract_lane(nr, 1) != 0 && f64x2.extract_lane(x, 1) > vt) { store<i32>(pspk + ((<usize>c) << 2), i + 1); c++; }
  return c;
}

// @ts-ignore: decorator
@inline function half(off: usize, pv: usize, pge: usize, pgi: usize, pI: usize, nr: v128,
  C0: v128, A: v128, IA: v128, BE: v128, BI: v128, DE: v128, DI: v128): v128 {
  const e = v128.load(pge + off);
  const g = v128.load(pgi + off);
  v128.store(pge + off, f64x2.mul(e, DE));
  v128.store(pgi + off, f64x2.mul(g, DI));
  const v = v128.load(pv + off);
  const x = f64x2.add(f64x2.add(f64x2.add(f64x2.add(C0, f64x2.mul(A, v)), f64x2.mul(IA, v128.load(pI + off))), f64x2.mul(BE, e)), f64x2.mul(BI, g));
  v128.store(pv + off, v128.bitselect(x, v, nr));
  return x;
}

export function cubaExact(n: i32, pv: usize, pge: usize, pgi: usize, pI: usize, plast: usize, pspk: usize,
  step: i32, refSteps: i32, c0: f64, a: f64, ia: f64, be: f64, bi: f64, de: f64, di: f64, vt: f64): i32 {
  let c: i32 = 0;
  const C0 = f64x2.splat(c0), A = f64x2.splat(a), IA = f64x2.splat(ia), BE = f64x2.splat(be), BI = f64x2.splat(bi);
  const DE = f64x2.splat(de), DI = f64x2.splat(di), VT = f64x2.splat(vt);
  const lim = step - refSteps;
  const LIM = i32x4.splat(lim);
  let i: i32 = 0;
  for (; i + 3 < n; i += 4) {
    const off = (<usize>i) << 3;
    const nr = i32x4.le_s(v128.load(plast + ((<usize>i) << 2)), LIM);
    const nr0 = i64x2.extend_low_i32x4_s(nr);
    const nr1 = i64x2.extend_high_i32x4_s(nr);
    const x0 = half(off, pv, pge, pgi, pI, nr0, C0, A, IA, BE, BI, DE, DI);
    const x1 = half(off + 16, pv, pge, pgi, pI, nr1, C0, A, IA, BE, BI, DE, DI);
    if (v128.any_true(v128.or(v128.and(f64x2.gt(x0, VT), nr0), v128.and(f64x2.gt(x1, VT), nr1)))) {
      c = spikeLanes(x0, nr0, vt, i, pspk, c);
      c = spikeLanes(x1, nr1, vt, i + 2, pspk, c);
    }
  }
  for (; i < n; i++) {
    const off = (<usize>i) << 3;
    const e = load<f64>(pge + off), g = load<f64>(pgi + off);
    store<f64>(pge + off, e * de); store<f64>(pgi + off, g * di);
    const x = c0 + a * load<f64>(pv + off) + ia * load<f64>(pI + off) + e * be + g * bi;
    if (load<i32>(plast + ((<usize>i) << 2)) <= lim) { store<f64>(pv + off, x); if (x > vt) { store<i32>(pspk + ((<usize>c) << 2), i); c++; } }
  }
  return c;
}

// COBA forward-Euler update + threshold (Brian2 method='euler'), same layout and order of operations as
// the TypeScript loop: ge' = ge de; gi' = gi di;
//   x = v + k (((ge (eE - v) + gi (eI - v)) - (v - vRest)) + I),  k = dt / tau_m
// Its loop frame (splats, refractory mask lim/LIM, four neurons an iteration, spikeLanes, scalar tail)
// is cubaExact's: kept apart because the frame is where the SIMD speed is, and an update passed in
// would be an indirect call per lane pair.
export function cobaEuler(n: i32, pv: usize, pge: usize, pgi: usize, pI: usize, plast: usize, pspk: usize,
  step: i32, refSteps: i32, k: f64, vRest: f64, eE: f64, eI: f64, de: f64, di: f64, vt: f64): i32 {
  let c: i32 = 0;
  const K = f64x2.splat(k), VR = f64x2.splat(vRest), EE = f64x2.splat(eE), EI = f64x2.splat(eI);
  const DE = f64x2.splat(de), DI = f64x2.splat(di), VT = f64x2.splat(vt);
  const lim = step - refSteps;
  const LIM = i32x4.splat(lim);
  let i: i32 = 0;
  for (; i + 3 < n; i += 4) {
    const nr = i32x4.le_s(v128.load(plast + ((<usize>i) << 2)), LIM);
    const nr0 = i64x2.extend_low_i32x4_s(nr);
    const nr1 = i64x2.extend_high_i32x4_s(nr);
    let x0: v128 = f64x2.splat(0);
    let x1: v128 = f64x2.splat(0);
    for (let h = 0; h < 2; h++) {
      const off = ((<usize>i) << 3) + (<usize>h) * 16;
      const e = v128.load(pge + off);
      const g = v128.load(pgi + off);
      v128.store(pge + off, f64x2.mul(e, DE));
      v128.store(pgi + off, f64x2.mul(g, DI));
      const v = v128.load(pv + off);
      const drive = f64x2.add(f64x2.sub(f64x2.add(f64x2.mul(e, f64x2.sub(EE, v)), f64x2.mul(g, f64x2.sub(EI, v))), f64x2.sub(v, VR)), v128.load(pI + off));
      const x = f64x2.add(v, f64x2.mul(K, drive));
      v128.store(pv + off, v128.bitselect(x, v, h == 0 ? nr0 : nr1));
      if (h == 0) x0 = x; else x1 = x;
    }
    if (v128.any_true(v128.or(v128.and(f64x2.gt(x0, VT), nr0), v128.and(f64x2.gt(x1, VT), nr1)))) {
      c = spikeLanes(x0, nr0, vt, i, pspk, c);
      c = spikeLanes(x1, nr1, vt, i + 2, pspk, c);
    }
  }
  for (; i < n; i++) {
    const off = (<usize>i) << 3;
    const e = load<f64>(pge + off), g = load<f64>(pgi + off);
    store<f64>(pge + off, e * de); store<f64>(pgi + off, g * di);
    const x0 = load<f64>(pv + off);
    const x = x0 + k * (e * (eE - x0) + g * (eI - x0) - (x0 - vRest) + load<f64>(pI + off));
    if (load<i32>(plast + ((<usize>i) << 2)) <= lim) { store<f64>(pv + off, x); if (x > vt) { store<i32>(pspk + ((<usize>c) << 2), i); c++; } }
  }
  return c;
}

// e^{-x}, x >= 0, exactly as expNeg in lif-group.ts: the degree-7 Taylor polynomial (Horner, same
// constants, same order) below 0.02, else the host's Math.exp (imported, so results are bit-identical).
// @ts-ignore: decorator
@external("env", "exp") declare function hostExp(x: f64): f64;
const C1: f64 = -1.0, C2: f64 = 1.0 / 2.0, C3: f64 = -1.0 / 6.0, C4: f64 = 1.0 / 24.0, C5: f64 = -1.0 / 120.0, C6: f64 = 1.0 / 720.0, C7: f64 = -1.0 / 5040.0;
// @ts-ignore: decorator
@inline function taylor2(x: v128): v128 {
  let p = f64x2.add(f64x2.splat(C6), f64x2.mul(x, f64x2.splat(C7)));
  p = f64x2.add(f64x2.splat(C5), f64x2.mul(x, p));
  p = f64x2.add(f64x2.splat(C4), f64x2.mul(x, p));
  p = f64x2.add(f64x2.splat(C3), f64x2.mul(x, p));
  p = f64x2.add(f64x2.splat(C2), f64x2.mul(x, p));
  p = f64x2.add(f64x2.splat(C1), f64x2.mul(x, p));
  return f64x2.add(f64x2.splat(1.0), f64x2.mul(x, p));
}
function expNegScalar(x: f64): f64 {
  if (x < 0.02) return 1.0 + x * (C1 + x * (C2 + x * (C3 + x * (C4 + x * (C5 + x * (C6 + x * C7))))));
  return hostExp(-x);
}

// COBA exponential-Euler update + threshold, optionally with the adaptive threshold of Diehl & Cook
// (theta decays by thetaDecay each step when adapt != 0; threshold vt + theta). Per neuron, in the
// order of the TypeScript loop: ge' = ge de; gi' = gi di; G = 1 + ge + gi;
//   vInf = (((vRest + I) + ge eE) + gi eI) / G;  x = vInf + ((v - vInf) a) expNeg(k (ge + gi))
export function cobaExpEuler(n: i32, pv: usize, pge: usize, pgi: usize, pI: usize, plast: usize, pspk: usize, ptheta: usize,
  step: i32, refSteps: i32, k: f64, a: f64, vRest: f64, eE: f64, eI: f64, de: f64, di: f64, vt: f64, thetaDecay: f64, adapt: i32): i32 {
  if (adapt != 0) {
    const TD = f64x2.splat(thetaDecay);
    let i: i32 = 0;
    for (; i + 1 < n; i += 2) { const off = (<usize>i) << 3; v128.store(ptheta + off, f64x2.mul(v128.load(ptheta + off), TD)); }
    for (; i < n; i++) { const off = (<usize>i) << 3; store<f64>(ptheta + off, load<f64>(ptheta + off) * thetaDecay); }
  }
  let c: i32 = 0;
  const K = f64x2.splat(k), A = f64x2.splat(a), VR = f64x2.splat(vRest), EE = f64x2.splat(eE), EI = f64x2.splat(eI);
  const DE = f64x2.splat(de), DI = f64x2.splat(di), VT = f64x2.splat(vt), ONE = f64x2.splat(1.0), SMALL = f64x2.splat(0.02);
  const lim = step - refSteps;
  let i: i32 = 0;
  for (; i + 1 < n; i += 2) {
    const off = (<usize>i) << 3;
    const e = v128.load(pge + off);
    const g = v128.load(pgi + off);
    v128.store(pge + off, f64x2.mul(e, DE));
    v128.store(pgi + off, f64x2.mul(g, DI));
    const nr = i64x2.extend_low_i32x4_s(i32x4.le_s(v128.load64_zero(plast + ((<usize>i) << 2)), i32x4.splat(lim)));
    const G = f64x2.add(f64x2.add(ONE, e), g);
    const vInf = f64x2.div(f64x2.add(f64x2.add(f64x2.add(VR, v128.load(pI + off)), f64x2.mul(e, EE)), f64x2.mul(g, EI)), G);
    const xs = f64x2.mul(K, f64x2.add(e, g));
    let f = taylor2(xs);
    if (v128.any_true(f64x2.ge(xs, SMALL))) {
      f = f64x2.replace_lane(f, 0, expNegScalar(f64x2.extract_lane(xs, 0)));
      f = f64x2.replace_lane(f, 1, expNegScalar(f64x2.extract_lane(xs, 1)));
    }
    const v = v128.load(pv + off);
    const x = f64x2.add(vInf, f64x2.mul(f64x2.mul(f64x2.sub(v, vInf), A), f));
    v128.store(pv + off, v128.bitselect(x, v, nr));
    const th = f64x2.add(VT, v128.load(ptheta + off));
    if (v128.any_true(v128.and(f64x2.gt(x, th), nr))) {
      if (i64x2.extract_lane(nr, 0) != 0 && f64x2.extract_lane(x, 0) > f64x2.extract_lane(th, 0)) { store<i32>(pspk + ((<usize>c) << 2), i); c++; }
      if (i64x2.extract_lane(nr, 1) != 0 && f64x2.extract_lane(x, 1) > f64x2.extract_lane(th, 1)) { store<i32>(pspk + ((<usize>c) << 2), i + 1); c++; }
    }
  }
  for (; i < n; i++) {
    const off = (<usize>i) << 3;
    const e = load<f64>(pge + off), g = load<f64>(pgi + off);
    store<f64>(pge + off, e * de); store<f64>(pgi + off, g * di);
    if (load<i32>(plast + ((<usize>i) << 2)) <= lim) {
      const G = 1.0 + e + g;
      const vInf = (vRest + load<f64>(pI + off) + e * eE + g * eI) / G;
      const x = vInf + (load<f64>(pv + off) - vInf) * a * expNegScalar(k * (e + g));
      store<f64>(pv + off, x);
      if (x > vt + load<f64>(ptheta + off)) { store<i32>(pspk + ((<usize>c) << 2), i); c++; }
    }
  }
  return c;
}
