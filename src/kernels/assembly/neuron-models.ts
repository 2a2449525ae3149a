// The neuron models of the shared WASM scan (neuron-scan.ts): each the step and adjoint of its spec in
// src/neurons (same formulas, same order of operations, f64), as an @unmanaged class whose methods
// never read `this`. Vectors: s0, s (states), gs, gs0 (their gradients), p, gp (parameter vector and its
// gradient), all f64 in memory; `variant` carries the spec's options (reset mechanism and the like).
// The classes (and ResonateModel in resonate.ts) parallel each other on purpose: the same members
// (S, P, fireState, thrParam, thrState, step, adjoint) are the interface neuron-scan.ts is generic over;
// each fills them with its own sizes and formulas, inlined into the scan (no shared base: no dispatch).

/** Element i of an f64 vector in memory (also nir-neurons.ts's). */
@inline export function g(v: usize, i: i32): f64 {
  return load<f64>(v + (<usize>i << 3));
}
@inline export function put(v: usize, i: i32, x: f64): void {
  store<f64>(v + (<usize>i << 3), x);
}
@inline export function add(v: usize, i: i32, x: f64): void {
  store<f64>(v + (<usize>i << 3), load<f64>(v + (<usize>i << 3)) + x);
}
@inline function fround(x: f64): f64 {
  return <f64><f32>x;
}

// Reset codes (ResetCode in src/kernels/types.ts): 0 subtract, 1 zero, 2 none; LIF variants add 4 for
// the zero reset of the whole new potential (Synaptic, RLeaky, Lapicque) instead of the previous one (Leaky).

/** LIF family, first order (src/neurons/scan.ts lifSpec): state [mem]; parameters [beta, threshold]. */
@unmanaged export class Lif1 {
  @inline S(variant: i32): i32 { return 1; }
  @inline P(variant: i32): i32 { return 2; }
  @inline fireState(variant: i32): i32 { return 0; }
  @inline thrParam(variant: i32): i32 { return 1; }
  @inline thrState(variant: i32): i32 { return -1; }
  @inline step(s0: usize, r: f64, x: f64, p: usize, s: usize, variant: i32): bool {
    put(s, 0, lifMem(g(s0, 0), r, x, g(p, 0), g(p, 1), variant));
    return true;
  }
  @inline adjoint(s0: usize, r: f64, x: f64, p: usize, s: usize, gs: usize, gs0: usize, gp: usize, variant: i32): f64 {
    return lifMemAdjoint(g(s0, 0), r, g(p, 0), g(gs, 0), gs0, 0, gp, 0, 1, variant);
  }
}

/** LIF family, second order: state [syn, mem]; parameters [alpha, beta, threshold]. */
@unmanaged export class Lif2 {
  @inline S(variant: i32): i32 { return 2; }
  @inline P(variant: i32): i32 { return 3; }
  @inline fireState(variant: i32): i32 { return 1; }
  @inline thrParam(variant: i32): i32 { return 2; }
  @inline thrState(variant: i32): i32 { return -1; }
  @inline step(s0: usize, r: f64, x: f64, p: usize, s: usize, variant: i32): bool {
    const syn = fround(g(p, 0) * g(s0, 0) + x);
    put(s, 0, syn);
    put(s, 1, lifMem(g(s0, 1), r, syn, g(p, 1), g(p, 2), variant));
    return true;
  }
  @inline adjoint(s0: usize, r: f64, x: f64, p: usize, s: usize, gs: usize, gs0: usize, gp: usize, variant: i32): f64 {
    const gD = lifMemAdjoint(g(s0, 1), r, g(p, 1), g(gs, 1), gs0, 1, gp, 1, 2, variant);
    const gSyn = g(gs, 0) + gD;
    add(gp, 0, gSyn * g(s0, 0));
    put(gs0, 0, g(p, 0) * gSyn);
    return gSyn;
  }
}

@inline function lifMem(prev: f64, r: f64, d: f64, bt: f64, thr: f64, variant: i32): f64 {
  const reset = variant & 3;
  if (reset == 0) return bt * prev + d - r * thr;
  if (reset == 1) {
    if (variant & 4) return r != 0 ? 0 : bt * prev + d;
    return bt * (r != 0 ? 0 : prev) + d;
  }
  return bt * prev + d;
}

/** The membrane's adjoint: gradients of beta (slot pb), threshold (pt) and mem[t-1] (gs0 slot sm); returns dL/dD. */
@inline function lifMemAdjoint(prev: f64, r: f64, bt: f64, gm: f64, gs0: usize, sm: i32, gp: usize, pb: i32, pt: i32, variant: i32): f64 {
  const reset = variant & 3;
  if (reset == 0) add(gp, pt, -r * gm);
  const gLeak = reset == 1 && r != 0 ? 0 : gm;
  const gD = reset == 1 && (variant & 4) != 0 && r != 0 ? 0 : gm;
  add(gp, pb, gLeak * prev);
  put(gs0, sm, bt * gLeak);
  return gD;
}

/** snnTorch's Alpha (src/neurons/alpha.ts): state [synExc, synInh, mem]; parameters [alpha, beta, threshold, tau]. */
@unmanaged export class AlphaModel {
  @inline S(variant: i32): i32 { return 3; }
  @inline P(variant: i32): i32 { return 4; }
  @inline fireState(variant: i32): i32 { return 2; }
  @inline thrParam(variant: i32): i32 { return 2; }
  @inline thrState(variant: i32): i32 { return -1; }
  @inline step(s0: usize, r: f64, x: f64, p: usize, s: usize, variant: i32): bool {
    const e = g(p, 0) * g(s0, 0) + x;
    const i = g(p, 1) * g(s0, 1) - x;
    const m = g(p, 3) * (e + i);
    if (variant == 0) {
      put(s, 0, e - r * g(p, 2));
      put(s, 1, (1 - r) * i);
      put(s, 2, m + r * g(s0, 1));
    } else if (variant == 1) {
      put(s, 0, (1 - r) * e);
      put(s, 1, (1 - r) * i);
      put(s, 2, (1 - r) * m);
    } else {
      put(s, 0, e);
      put(s, 1, i);
      put(s, 2, m);
    }
    return true;
  }
  @inline adjoint(s0: usize, r: f64, x: f64, p: usize, s: usize, gs: usize, gs0: usize, gp: usize, variant: i32): f64 {
    const a = g(p, 0), b = g(p, 1), tau = g(p, 3);
    const gm = g(gs, 2);
    const sum = a * g(s0, 0) + b * g(s0, 1);
    const keep = variant == 1 ? 1 - r : 1;
    const gE = keep * (g(gs, 0) + tau * gm);
    const gI = keep * ((variant == 0 ? 1 - r : 1) * g(gs, 1) + tau * gm);
    if (variant == 0) add(gp, 2, -r * g(gs, 0));
    add(gp, 3, keep * gm * sum);
    add(gp, 0, gE * g(s0, 0));
    add(gp, 1, gI * g(s0, 1));
    put(gs0, 0, a * gE);
    put(gs0, 1, b * gI + (variant == 0 ? r * gm : 0));
    return gE - gI;
  }
}

/** Adaptive LIF (src/neurons/alif.ts): state [mem, adapt, threshold]; parameters [beta, thr0, rho, betaA]. */
@unmanaged export class AlifModel {
  @inline S(variant: i32): i32 { return 3; }
  @inline P(variant: i32): i32 { return 4; }
  @inline fireState(variant: i32): i32 { return 0; }
  @inline thrParam(variant: i32): i32 { return -1; }
  @inline thrState(variant: i32): i32 { return 2; }
  @inline step(s0: usize, r: f64, x: f64, p: usize, s: usize, variant: i32): bool {
    const rho = g(p, 2);
    const a = rho * g(s0, 1) + (1 - rho) * r;
    const A = g(p, 1) + g(p, 3) * a;
    put(s, 1, a);
    put(s, 2, A);
    const bt = g(p, 0), m0 = g(s0, 0);
    if (variant == 0) put(s, 0, bt * m0 + x - r * A);
    else if (variant == 1) put(s, 0, bt * (r != 0 ? 0 : m0) + x);
    else put(s, 0, bt * m0 + x);
    return true;
  }
  @inline adjoint(s0: usize, r: f64, x: f64, p: usize, s: usize, gs: usize, gs0: usize, gp: usize, variant: i32): f64 {
    const gm = g(gs, 0);
    const gA = g(gs, 2) - (variant == 0 ? r * gm : 0);
    add(gp, 1, gA);
    add(gp, 3, gA * g(s, 1));
    const rho = g(p, 2);
    const ga = g(p, 3) * gA + g(gs, 1);
    add(gp, 2, ga * (g(s0, 1) - r));
    put(gs0, 1, rho * ga);
    put(gs0, 3, (1 - rho) * ga);
    const keep: f64 = variant == 1 && r != 0 ? 0 : 1;
    add(gp, 0, gm * keep * g(s0, 0));
    put(gs0, 0, g(p, 0) * keep * gm);
    return gm;
  }
}

/** Izhikevich (src/neurons/izhikevich.ts): state [v, u]; parameters [a, b, c, d, vPeak, dt]. */
@unmanaged export class IzhikevichModel {
  @inline S(variant: i32): i32 { return 2; }
  @inline P(variant: i32): i32 { return 6; }
  @inline fireState(variant: i32): i32 { return 0; }
  @inline thrParam(variant: i32): i32 { return 4; }
  @inline thrState(variant: i32): i32 { return -1; }
  @inline step(s0: usize, r: f64, x: f64, p: usize, s: usize, variant: i32): bool {
    const dt = g(p, 5);
    const vb = r != 0 ? g(p, 2) : g(s0, 0);
    const ub = r != 0 ? g(s0, 1) + g(p, 3) : g(s0, 1);
    const v = vb + dt * (0.04 * vb * vb + 5 * vb + 140 - ub + x);
    const u = ub + dt * g(p, 0) * (g(p, 1) * v - ub);
    put(s, 0, v);
    put(s, 1, u);
    return isFinite(v) && isFinite(u);
  }
  @inline adjoint(s0: usize, r: f64, x: f64, p: usize, s: usize, gs: usize, gs0: usize, gp: usize, variant: i32): f64 {
    const a = g(p, 0), b = g(p, 1), dt = g(p, 5);
    const vb = r != 0 ? g(p, 2) : g(s0, 0);
    const ub = r != 0 ? g(s0, 1) + g(p, 3) : g(s0, 1);
    const gu = g(gs, 1);
    const gv = g(gs, 0) + gu * dt * a * b;
    const gvb = gv * (1 + dt * (0.08 * vb + 5));
    const gub = -dt * gv + gu * (1 - dt * a);
    add(gp, 0, gu * dt * (b * g(s, 0) - ub));
    add(gp, 1, gu * dt * a * g(s, 0));
    if (r != 0) {
      add(gp, 2, gvb);
      add(gp, 3, gub);
    } else put(gs0, 0, gvb);
    put(gs0, 1, gub);
    return gv * dt;
  }
}
