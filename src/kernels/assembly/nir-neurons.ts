// NIR's neuron primitives (src/nir/neurons.ts nirNeuronSpec) in the shared WASM neuron scan: one model
// for the six types, the same f64 operations in the same order as the spec's step and adjoint (forward
// bit for bit). variant = type (0 I, 1 IF, 2 LI, 3 LIF, 4 CubaLI, 5 CubaLIF) + 8 for the 'subtract' reset.
// The parameter vector is the spec's: the type's NIR fields, dt, then the derived constants (dt/tau,
// dt/tau_syn, +inf as the threshold of the non-spiking types); the slot of each field per type is a
// nibble of the tables below (15: the type has no such field).

import { add, g, put } from './neuron-models';

const R_AT: i64 = 0x221100;
const VL_AT: i64 = 0x3322ff;
const TH_AT: i64 = 0x4f3f1f;
const VR_AT: i64 = 0x5f4f2f;
const W_AT: i64 = 0x64ffff;
const DT_AT: i64 = 0x755331;
const AM_AT: i64 = 0x8664ff;
const AS_AT: i64 = 0x97ffff;
const NEVER_AT: i64 = 0xf8f5f2;
const P_OF: i64 = 0xa97643;

@inline function at(table: i64, variant: i32): i32 {
  return <i32>((table >> (<i64>(variant & 7) << 2)) & 15);
}
@inline function cubaOf(variant: i32): bool {
  return (variant & 7) >= 4;
}
@inline function leakOf(variant: i32): bool {
  return (variant & 7) >= 2;
}
@inline function firesOf(variant: i32): bool {
  return (variant & 1) != 0;
}

/** v': the membrane the step starts from (v_reset, or v - v_threshold for 'subtract', after a spike). */
@inline function start(v0: f64, r: f64, p: usize, variant: i32): f64 {
  if (firesOf(variant) && r != 0) return (variant & 8) != 0 ? v0 - g(p, at(TH_AT, variant)) : g(p, at(VR_AT, variant));
  return v0;
}

@unmanaged export class NirNeuronModel {
  @inline S(variant: i32): i32 { return cubaOf(variant) ? 2 : 1; }
  @inline P(variant: i32): i32 { return at(P_OF, variant); }
  @inline fireState(variant: i32): i32 { return cubaOf(variant) ? 1 : 0; }
  @inline thrParam(variant: i32): i32 { return firesOf(variant) ? at(TH_AT, variant) : at(NEVER_AT, variant); }
  @inline thrState(variant: i32): i32 { return -1; }
  @inline step(s0: usize, r: f64, x: f64, p: usize, s: usize, variant: i32): bool {
    const cuba = cubaOf(variant);
    const V = cuba ? 1 : 0;
    let d = x;
    if (cuba) {
      const A = at(AS_AT, variant);
      d = <f64><f32>(g(s0, 0) + g(p, A) * (g(p, at(W_AT, variant)) * x - g(s0, 0)));
      put(s, 0, d);
    }
    const v = start(g(s0, V), r, p, variant);
    const R = at(R_AT, variant);
    const out = leakOf(variant)
      ? v + g(p, at(AM_AT, variant)) * (g(p, at(VL_AT, variant)) - v + g(p, R) * d)
      : v + g(p, at(DT_AT, variant)) * g(p, R) * d;
    put(s, V, out);
    return isFinite(out) && (!cuba || isFinite(d));
  }
  @inline adjoint(s0: usize, r: f64, x: f64, p: usize, s: usize, gs: usize, gs0: usize, gp: usize, variant: i32): f64 {
    const cuba = cubaOf(variant);
    const V = cuba ? 1 : 0;
    const gv = g(gs, V);
    const d = cuba ? g(s, 0) : x;
    const v = start(g(s0, V), r, p, variant);
    const R = at(R_AT, variant);
    let gd: f64;
    let gStart: f64;
    if (leakOf(variant)) {
      const AM = at(AM_AT, variant);
      const VL = at(VL_AT, variant);
      const am = g(p, AM);
      add(gp, AM, gv * (g(p, VL) - v + g(p, R) * d));
      add(gp, VL, gv * am);
      add(gp, R, gv * am * d);
      gd = gv * am * g(p, R);
      gStart = gv * (1 - am);
    } else {
      const dt = g(p, at(DT_AT, variant));
      add(gp, R, gv * dt * d);
      gd = gv * dt * g(p, R);
      gStart = gv;
    }
    if (firesOf(variant) && r != 0) {
      if ((variant & 8) != 0) {
        put(gs0, V, gStart);
        add(gp, at(TH_AT, variant), -gStart);
      } else add(gp, at(VR_AT, variant), gStart);
    } else put(gs0, V, gStart);
    if (!cuba) return gd;
    const A = at(AS_AT, variant);
    const W = at(W_AT, variant);
    const as = g(p, A);
    const gi = g(gs, 0) + gd;
    add(gp, A, gi * (g(p, W) * x - g(s0, 0)));
    add(gp, W, gi * as * x);
    put(gs0, 0, gi * (1 - as));
    return gi * as * g(p, W);
  }
}
