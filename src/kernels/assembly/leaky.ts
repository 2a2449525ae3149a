import { madd } from './simd';

// Leaky integrate-and-fire scan over time, forward and backward (snnTorch Leaky semantics; the
// formulas are in src/kernels/types.ts). Neuron n = b*H + h uses beta[h].
//
// Neurons are processed in tiles of at most TILE, and each tile runs all its time steps before the
// next tile starts: the previous step's membrane (forward) or the carried gradient (backward) is
// then still in L1, while input and outputs stream through memory once, in long contiguous runs.
// Within a step, 4 neurons per v128. A tile is either a run of features inside one sample (H large)
// or a run of whole samples (H small) with beta expanded to the tile once, so beta is always a
// contiguous vector aligned with the neurons.

const TILE = 1024;

// Argument blocks (the fields of the declarations in src/kernels/wasm-exports.ts): the scan's fields
// (LeakyScanArgs in src/kernels/types.ts) first, shared with the projection kernels (project.ts).
@unmanaged export class LeakyScan {
  input: usize; constInput: i32; beta: usize; threshold: f32; reset: i32; T: i32; N: i32; H: i32;
}
// tile0, tile1: the tiles [tile0, tile1) of the call's tiling (leakyTiles; tile1 = 0: all), the thread
// pool's share of one call (src/kernels/pool.ts). A neuron's results do not depend on which part runs it.
@unmanaged class LeakyForwardArgs extends LeakyScan { spk: usize; mem: usize; scratch: usize; tile0: i32; tile1: i32; }
@unmanaged class LeakyBackwardArgs extends LeakyScan {
  spk: usize; mem: usize; gradSpk: usize; gradMem: usize; gradInput: usize; gradBeta: usize; dg: usize; dw: usize; o: i32;
  surrogate: i32; surrogateParam: f32; surrogateParam2: f32; truncate: i32; scratch: usize;
  /** 0, or [N] floats: each neuron's dL/dbeta term goes there instead of into gradBeta (which the caller then sums in neuron order). */
  gbAll: usize; tile0: i32; tile1: i32;
  /** 1: gradSpk is one row [N], the same spike gradient at every step (a sum loss); 0: [T, N]. */
  gradSpkRow: i32;
}

/** Scratch bytes for leakyForward / leakyBackward: expanded beta, carry, gradBeta partials. */
export function leakyScratchBytes(): usize {
  return 3 * TILE * 4;
}

/** Samples per tile when H < TILE (beta is then expanded once to the tile); 0: tiles are chunks of one sample. */
@inline function samplesPerTile(h: i32): i32 {
  return h >= TILE ? 0 : TILE / h;
}

/** Tiles of the scans over N neurons of H features: (sample, chunk of TILE features), or runs of whole samples. */
export function leakyTiles(nN: i32, h: i32): i32 {
  const spt = samplesPerTile(h);
  return spt == 0 ? (nN / h) * ((h + TILE - 1) / TILE) : (nN + spt * h - 1) / (spt * h);
}

function expandBeta(beta: usize, h: i32, exp: usize, len: i32): void {
  let hh = 0;
  for (let i = 0; i < len; i++) {
    store<f32>(exp + (<usize>i << 2), load<f32>(beta + (<usize>hh << 2)));
    hh++;
    if (hh == h) hh = 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Forward

/** The LIF update of four lanes (step > 0) for the given reset mode (also the projection kernels'). */
@inline export function stepV(prev: v128, x: v128, bt: v128, thrv: v128, reset: i32): v128 {
  const fired = f32x4.gt(prev, thrv);
  if (reset == 0) return f32x4.sub(f32x4.add(f32x4.mul(bt, prev), x), v128.and(fired, thrv));
  if (reset == 1) return f32x4.add(f32x4.mul(bt, v128.andnot(prev, fired)), x);
  return f32x4.add(f32x4.mul(bt, prev), x);
}

/** stepV for one neuron. */
@inline function stepS(prev: f32, x: f32, bt: f32, thr: f32, reset: i32): f32 {
  const fired = prev > thr;
  if (reset == 0) return bt * prev + x - (fired ? thr : 0);
  if (reset == 1) return bt * (fired ? 0 : prev) + x;
  return bt * prev + x;
}

/** Stores 4 lanes of a comparison mask as 4 bytes of 0/1. */
@inline function storeMask4(ptr: usize, mask: v128): void {
  const w = i16x8.narrow_i32x4_s(mask, mask);
  const b = v128.and(i8x16.narrow_i16x8_s(w, w), i8x16.splat(1));
  store<u32>(ptr, i32x4.extract_lane(b, 0));
}

/** Stores 16 lanes of four comparison masks as 16 bytes of 0/1. */
@inline function storeMask16(ptr: usize, m0: v128, m1: v128, m2: v128, m3: v128): void {
  const b = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(m0, m1), i16x8.narrow_i32x4_s(m2, m3));
  v128.store(ptr, v128.and(b, i8x16.splat(1)));
}

/**
 * Runs one tile (neurons n0 .. n0 + len, decays bt) through all steps; returns its number of spikes.
 * Its spikes of step t start at spk + t * spkRow, its membrane at element t * memRow of mem (row N for
 * the whole [T, N] arrays, len for a tile-local buffer, 0 for one row updated in place when only the
 * spikes are wanted).
 */
function forwardTile(a: LeakyScan, bt: usize, n0: i32, len: i32, spk: usize, spkRow: i32, mem: usize, memRow: i32): i32 {
  const input = a.input, constInput = a.constInput, thr = a.threshold, reset = a.reset, t = a.T, nN = a.N;
  const thrv = f32x4.splat(thr);
  let cntV = i32x4.splat(0); // spike masks are -1 per lane: subtracting them counts spikes
  let cnt = 0;
  const rowB = <usize>memRow << 2;
  for (let step = 0; step < t; step++) {
    const e = <usize>step * <usize>nN + <usize>n0; // input element index of (step, n0)
    const x0 = input + ((constInput ? <usize>n0 : e) << 2);
    const m0 = mem + ((<usize>step * <usize>memRow) << 2);
    const p0 = m0 - rowB; // previous step (the same row when memRow = 0); read only when step > 0
    const s0 = spk + <usize>step * <usize>spkRow;
    let j = 0;
    if (step == 0) {
      // zero initial state: mem_1 = I_1 for every reset mode
      for (; j + 4 <= len; j += 4) {
        const jo = <usize>j << 2;
        const v = v128.load(x0 + jo);
        v128.store(m0 + jo, v);
        const f = f32x4.gt(v, thrv);
        storeMask4(s0 + <usize>j, f);
        cntV = i32x4.sub(cntV, f);
      }
    } else {
      for (; j + 16 <= len; j += 16) {
        const jo = <usize>j << 2;
        const v0 = stepV(v128.load(p0 + jo), v128.load(x0 + jo), v128.load(bt + jo), thrv, reset);
        const v1 = stepV(v128.load(p0 + jo, 16), v128.load(x0 + jo, 16), v128.load(bt + jo, 16), thrv, reset);
        const v2 = stepV(v128.load(p0 + jo, 32), v128.load(x0 + jo, 32), v128.load(bt + jo, 32), thrv, reset);
        const v3 = stepV(v128.load(p0 + jo, 48), v128.load(x0 + jo, 48), v128.load(bt + jo, 48), thrv, reset);
        v128.store(m0 + jo, v0); v128.store(m0 + jo, v1, 16); v128.store(m0 + jo, v2, 32); v128.store(m0 + jo, v3, 48);
        const f0 = f32x4.gt(v0, thrv), f1 = f32x4.gt(v1, thrv), f2 = f32x4.gt(v2, thrv), f3 = f32x4.gt(v3, thrv);
        storeMask16(s0 + <usize>j, f0, f1, f2, f3);
        cntV = i32x4.sub(cntV, i32x4.add(i32x4.add(f0, f1), i32x4.add(f2, f3)));
      }
      for (; j + 4 <= len; j += 4) {
        const jo = <usize>j << 2;
        const v = stepV(v128.load(p0 + jo), v128.load(x0 + jo), v128.load(bt + jo), thrv, reset);
        v128.store(m0 + jo, v);
        const f = f32x4.gt(v, thrv);
        storeMask4(s0 + <usize>j, f);
        cntV = i32x4.sub(cntV, f);
      }
    }
    for (; j < len; j++) {
      const jo = <usize>j << 2;
      const x = load<f32>(x0 + jo);
      const v = step == 0 ? x : stepS(load<f32>(p0 + jo), x, load<f32>(bt + jo), thr, reset);
      store<f32>(m0 + jo, v);
      const fired = v > thr;
      store<u8>(s0 + <usize>j, fired ? 1 : 0);
      cnt += i32(fired);
    }
  }
  return cnt + i32x4.extract_lane(cntV, 0) + i32x4.extract_lane(cntV, 1) + i32x4.extract_lane(cntV, 2) + i32x4.extract_lane(cntV, 3);
}

/**
 * Writes spk [T*N] (u8) and mem [T*N] (mem 0: not wanted, each tile's membrane is then updated in
 * place in one scratch row); returns the number of spikes. scratch: leakyScratchBytes().
 */
export function leakyForward(a: LeakyForwardArgs): i32 {
  const spk = a.spk, mem = a.mem, nN = a.N, h = a.H, scratch = a.scratch;
  const row = scratch + TILE * 4; // the membrane row when mem is 0
  const memRow = mem ? nN : 0;
  let count = 0;
  const spt = samplesPerTile(h);
  const first = a.tile1 ? a.tile0 : 0, last = a.tile1 ? a.tile1 : leakyTiles(nN, h);
  if (spt == 0) {
    const per = (h + TILE - 1) / TILE;
    for (let i = first; i < last; i++) {
      const b = i / per;
      const j0 = (i - b * per) * TILE;
      const n = b * h + j0;
      count += forwardTile(a, a.beta + (<usize>j0 << 2), n, min(TILE, h - j0), spk + <usize>n, nN, mem ? mem + (<usize>n << 2) : row, memRow);
    }
  } else {
    const len = spt * h;
    expandBeta(a.beta, h, scratch, len);
    for (let i = first; i < last; i++) {
      const n0 = i * len;
      count += forwardTile(a, scratch, n0, min(len, nN - n0), spk + <usize>n0, nN, mem ? mem + (<usize>n0 << 2) : row, memRow);
    }
  }
  return count;
}

// ---------------------------------------------------------------------------------------------
// Backward

// The surrogate gradients s'(x) as types, 4 lanes (v) and one (s), with p and p2 as in SurrogateCode
// (src/kernels/types.ts): backwardTile<S> is compiled once per surrogate, so the choice is not a branch
// inside its loops (the methods never read `this`). Exponentials use expNeg of a non-positive argument
// (sigmoid: e = exp(-|p x|), s' is even), so they never overflow.
@unmanaged class Atan {
  @inline v(p: f32, p2: f32, x: v128): v128 {
    const z = f32x4.mul(f32x4.splat((Mathf.PI / 2) * p), x);
    return f32x4.div(f32x4.splat(p / 2), f32x4.add(f32x4.splat(1), f32x4.mul(z, z)));
  }
  @inline s(p: f32, p2: f32, x: f32): f32 {
    const z: f32 = (Mathf.PI / 2) * p * x;
    return p / 2 / (1 + z * z);
  }
}
@unmanaged class FastSigmoid {
  @inline v(p: f32, p2: f32, x: v128): v128 {
    const d = f32x4.add(f32x4.mul(f32x4.splat(p), f32x4.abs(x)), f32x4.splat(1));
    return f32x4.div(f32x4.splat(1), f32x4.mul(d, d));
  }
  @inline s(p: f32, p2: f32, x: f32): f32 {
    const d: f32 = p * Mathf.abs(x) + 1;
    return 1 / (d * d);
  }
}
@unmanaged class Sigmoid {
  @inline v(p: f32, p2: f32, x: v128): v128 {
    const e = expNeg(f32x4.neg(f32x4.abs(f32x4.mul(f32x4.splat(p), x))));
    const d = f32x4.add(f32x4.splat(1), e);
    return f32x4.div(f32x4.mul(f32x4.splat(p), e), f32x4.mul(d, d));
  }
  @inline s(p: f32, p2: f32, x: f32): f32 {
    const e = Mathf.exp(-Mathf.abs(p * x));
    const d: f32 = 1 + e;
    return (p * e) / (d * d);
  }
}
/** p where x < 0, -p where x >= 0 */
@unmanaged class Triangular {
  @inline v(p: f32, p2: f32, x: v128): v128 {
    return v128.bitselect(f32x4.splat(p), f32x4.splat(-p), f32x4.lt(x, f32x4.splat(0)));
  }
  @inline s(p: f32, p2: f32, x: f32): f32 {
    return x < 0 ? p : -p;
  }
}
@unmanaged class SpikeRateEscape {
  @inline v(p: f32, p2: f32, x: v128): v128 {
    return f32x4.mul(f32x4.splat(p2), expNeg(f32x4.mul(f32x4.splat(-p), f32x4.abs(f32x4.sub(x, f32x4.splat(1))))));
  }
  @inline s(p: f32, p2: f32, x: f32): f32 {
    return p2 * Mathf.exp(-p * Mathf.abs(x - 1));
  }
}
@unmanaged class StraightThrough {
  @inline v(p: f32, p2: f32, x: v128): v128 {
    return f32x4.splat(1);
  }
  @inline s(p: f32, p2: f32, x: f32): f32 {
    return 1;
  }
}
@unmanaged class Gaussian {
  @inline v(p: f32, p2: f32, x: v128): v128 {
    const z = f32x4.mul(f32x4.mul(x, x), f32x4.splat(-1 / (2 * p * p)));
    return f32x4.mul(f32x4.splat(1 / (p * Mathf.sqrt(2 * Mathf.PI))), expNeg(z));
  }
  @inline s(p: f32, p2: f32, x: f32): f32 {
    return Mathf.exp(-(x * x) / (2 * p * p)) / (p * Mathf.sqrt(2 * Mathf.PI));
  }
}

/** The textbook triangle max(0, 1 - |x| / p). */
@unmanaged class Triangle {
  @inline v(p: f32, p2: f32, x: v128): v128 {
    return f32x4.max(f32x4.splat(0), f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.abs(x), f32x4.splat(p))));
  }
  @inline s(p: f32, p2: f32, x: f32): f32 {
    return Mathf.max(0, 1 - Mathf.abs(x) / p);
  }
}
/** The tutorials' arctangent forms p2 / (1 + (pi p x)^2). */
@unmanaged class ScaledAtan {
  @inline v(p: f32, p2: f32, x: v128): v128 {
    const z = f32x4.mul(f32x4.splat(Mathf.PI * p), x);
    return f32x4.div(f32x4.splat(p2), f32x4.add(f32x4.splat(1), f32x4.mul(z, z)));
  }
  @inline s(p: f32, p2: f32, x: f32): f32 {
    const z: f32 = Mathf.PI * p * x;
    return p2 / (1 + z * z);
  }
}

// Constants of expNeg, read from memory: V8 rebuilds every v128.const inside a loop with three
// instructions, a load is one (and a loop-invariant one can stay in a register).
const EXP_CONSTS = memory.data<f32>([
  -87, -87, -87, -87,
  12582912.0, 12582912.0, 12582912.0, 12582912.0, // 1.5 * 2^23
  1.4426950408889634, 1.4426950408889634, 1.4426950408889634, 1.4426950408889634, // log2 e
  0.693359375, 0.693359375, 0.693359375, 0.693359375, // ln 2, high part (exact in f32)
  -2.12194440e-4, -2.12194440e-4, -2.12194440e-4, -2.12194440e-4, // ln 2, low part
  1.0 / 720.0, 1.0 / 720.0, 1.0 / 720.0, 1.0 / 720.0,
  1.0 / 120.0, 1.0 / 120.0, 1.0 / 120.0, 1.0 / 120.0,
  1.0 / 24.0, 1.0 / 24.0, 1.0 / 24.0, 1.0 / 24.0,
  1.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0,
  0.5, 0.5, 0.5, 0.5,
  1, 1, 1, 1,
], 16);

/**
 * exp(x) for x <= 0, 4 lanes (inputs below -87 give ~0). Range reduction x = n ln2 + r, |r| <= ln2/2,
 * degree-6 Taylor polynomial for e^r (error < 2e-7 relative), then scale by 2^n through the exponent
 * bits. n is rounded with the 1.5 * 2^23 trick: adding it leaves round(x log2 e) in the low mantissa
 * bits, so one add gives both n as a float and its integer bits (cheaper than nearest + trunc_sat).
 */
@inline function expNeg(x: v128): v128 {
  const k = EXP_CONSTS;
  x = f32x4.pmax(x, v128.load(k));
  const magic = v128.load(k, 16);
  const big = f32x4.add(f32x4.mul(x, v128.load(k, 32)), magic);
  const n = f32x4.sub(big, magic);
  let r = f32x4.sub(x, f32x4.mul(n, v128.load(k, 48)));
  r = f32x4.sub(r, f32x4.mul(n, v128.load(k, 64)));
  let q = v128.load(k, 80);
  q = f32x4.add(f32x4.mul(q, r), v128.load(k, 96));
  q = f32x4.add(f32x4.mul(q, r), v128.load(k, 112));
  q = f32x4.add(f32x4.mul(q, r), v128.load(k, 128));
  q = f32x4.add(f32x4.mul(q, r), v128.load(k, 144));
  const one = v128.load(k, 160);
  q = f32x4.add(f32x4.mul(q, r), one);
  q = f32x4.add(f32x4.mul(q, r), one);
  // big's bits are 0x4B400000 + n; (n + 127) << 23 is the f32 2^n
  const scale = i32x4.shl(i32x4.sub(big, i32x4.splat(0x4B400000 - 127)), 23);
  return f32x4.mul(q, scale);
}

/** 0xFFFFFFFF lanes where the 4 spike bytes at ptr are 0 (the neuron did not fire). */
@inline function notFired4(ptr: usize): v128 {
  const b = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(ptr)));
  return i32x4.eq(b, i32x4.splat(0));
}

/**
 * Four lanes of one backward step at byte offset jo of the tile: g = carry (+ dL/dmem) (+ dL/dspk times
 * the surrogate at mem - thr) goes to the input gradient; for step > 0, the carry becomes g beta (0 where
 * the reset zeroed the membrane, or at a truncation) and dL/dbeta's term g mem_{t-1} is added (wantB).
 */
@inline function back4<S>(
  sur: S, sp: f32, sp2: f32, thrv: v128, jo: usize, carry: usize, gm0: usize, gs0: usize, m0: usize, gi0: usize, p0: usize,
  bt: usize, gb: usize, r: usize, step: i32, reset: i32, gradMem: usize, gradSpk: usize, constInput: i32, cut: bool, wantB: bool,
): void {
  let g = v128.load(carry + jo);
  if (gradMem) g = f32x4.add(g, v128.load(gm0 + jo));
  if (gradSpk) g = f32x4.add(g, f32x4.mul(v128.load(gs0 + jo), sur.v(sp, sp2, f32x4.sub(v128.load(m0 + jo), thrv))));
  v128.store(gi0 + jo, constInput ? f32x4.add(v128.load(gi0 + jo), g) : g);
  if (step > 0) {
    let cb = f32x4.mul(g, v128.load(bt + jo));
    if (reset == 1) {
      const keep = notFired4(r);
      cb = v128.and(cb, keep);
      if (wantB) v128.store(gb + jo, f32x4.add(v128.load(gb + jo), v128.and(f32x4.mul(g, v128.load(p0 + jo)), keep)));
    } else if (wantB) v128.store(gb + jo, f32x4.add(v128.load(gb + jo), f32x4.mul(g, v128.load(p0 + jo))));
    // truncated BPTT: the membrane entering step `step` was detached, no gradient flows further back
    v128.store(carry + jo, cut ? f32x4.splat(0) : cb);
  }
}

/**
 * The backward pass of one tile (neurons n0 .. n0 + len, decays bt) with surrogate S: its membrane
 * of step t at element t * memRow of mem, its spike gradient at element t * gsRow of gradSpk (or 0).
 */
function backwardTile<S>(a: LeakyBackwardArgs, bt: usize, n0: i32, len: i32, mem: usize, memRow: i32, gradSpk: usize, gsRow: i32): void {
  const sur = changetype<S>(0);
  const thr = a.threshold, reset = a.reset, constInput = a.constInput, t = a.T, nN = a.N, h = a.H, spk = a.spk, gradMem = a.gradMem;
  const gradInput = a.gradInput, gradBeta = a.gradBeta, sp = a.surrogateParam, sp2 = a.surrogateParam2, trunc = a.truncate;
  const carry = a.scratch + TILE * 4;
  const gb = carry + TILE * 4;
  // dL/dbeta wanted (gradBeta or gbAll given): else its terms are not formed
  const wantB = gradBeta != 0 || a.gbAll != 0;
  const thrv = f32x4.splat(thr);
  const memRowB = <usize>memRow << 2;
  const lenB = <usize>len << 2;
  memory.fill(carry, 0, lenB);
  memory.fill(gb, 0, lenB);
  const gsum = gradInput + (<usize>n0 << 2); // constInput: sum over time, accumulated in place
  if (constInput) memory.fill(gsum, 0, lenB);
  for (let step = t - 1; step >= 0; step--) {
    const e = <usize>step * <usize>nN + <usize>n0;
    const m0 = mem + ((<usize>step * <usize>memRow) << 2);
    const p0 = m0 - memRowB;
    const r0 = spk + e - <usize>nN; // spikes of step-1 = resets of this step
    const gm0 = gradMem + (e << 2);
    const gs0 = gradSpk + ((<usize>step * <usize>gsRow) << 2);
    const gi0 = constInput ? gsum : gradInput + (e << 2);
    const cut = trunc > 0 && step % trunc == 0;
    let j = 0;
    // 16 neurons per pass (four independent 4-lane chains), then 4, then one at a time
    for (; j + 16 <= len; j += 16) {
      const jo = <usize>j << 2;
      back4<S>(sur, sp, sp2, thrv, jo, carry, gm0, gs0, m0, gi0, p0, bt, gb, r0 + <usize>j, step, reset, gradMem, gradSpk, constInput, cut, wantB);
      back4<S>(sur, sp, sp2, thrv, jo + 16, carry, gm0, gs0, m0, gi0, p0, bt, gb, r0 + <usize>j + 4, step, reset, gradMem, gradSpk, constInput, cut, wantB);
      back4<S>(sur, sp, sp2, thrv, jo + 32, carry, gm0, gs0, m0, gi0, p0, bt, gb, r0 + <usize>j + 8, step, reset, gradMem, gradSpk, constInput, cut, wantB);
      back4<S>(sur, sp, sp2, thrv, jo + 48, carry, gm0, gs0, m0, gi0, p0, bt, gb, r0 + <usize>j + 12, step, reset, gradMem, gradSpk, constInput, cut, wantB);
    }
    for (; j + 4 <= len; j += 4) {
      back4<S>(sur, sp, sp2, thrv, <usize>j << 2, carry, gm0, gs0, m0, gi0, p0, bt, gb, r0 + <usize>j, step, reset, gradMem, gradSpk, constInput, cut, wantB);
    }
    for (; j < len; j++) {
      const jo = <usize>j << 2;
      let g = load<f32>(carry + jo);
      if (gradMem) g += load<f32>(gm0 + jo);
      if (gradSpk) g += load<f32>(gs0 + jo) * sur.s(sp, sp2, load<f32>(m0 + jo) - thr);
      store<f32>(gi0 + jo, constInput ? load<f32>(gi0 + jo) + g : g);
      if (step > 0) {
        const keep = reset == 1 && load<u8>(r0 + <usize>j) != 0 ? false : true;
        if (wantB) store<f32>(gb + jo, load<f32>(gb + jo) + (keep ? g * load<f32>(p0 + jo) : 0));
        store<f32>(carry + jo, keep && !cut ? g * load<f32>(bt + jo) : 0);
      }
    }
  }
  // gradBeta[h] += partial sums of this tile's neurons, in neuron order (or each neuron's into gbAll).
  if (!wantB) return;
  if (a.gbAll) {
    memory.copy(a.gbAll + (<usize>n0 << 2), gb, lenB);
    return;
  }
  let hh = n0 % h;
  for (let j = 0; j < len; j++) {
    const o = gradBeta + (<usize>hh << 2);
    store<f32>(o, load<f32>(o) + load<f32>(gb + (<usize>j << 2)));
    hh++;
    if (hh == h) hh = 0;
  }
}

/**
 * Scratch bytes of leakyBackward for T steps: the tile buffers; one tile's membrane and spikes over
 * all steps (a membrane recomputed here); with a deferred spike gradient (o > 0 outputs), W^T [o, H]
 * and one tile's spike gradient over all steps.
 */
export function leakyBackwardScratchBytes(t: i32, h: i32, o: i32): usize {
  const tile = <usize>t * TILE;
  return leakyScratchBytes() + tile * 5 + 16 + (o > 0 ? ((<usize>o * <usize>h + tile) << 2) : 0);
}

/** Where leakyBackward keeps W^T [o, H] in scratch (after the tile buffers, one tile's membrane and spikes). */
@inline function transposedW(a: LeakyBackwardArgs): usize {
  return (a.scratch + leakyScratchBytes() + <usize>a.T * TILE * 5 + 15) & ~15;
}

/**
 * gradInput: [T*N], or [N] when constInput; gradBeta: [H] (zeroed here). gradSpk / gradMem may be 0
 * (null). mem: the forward membrane [T*N], or 0: then each tile's membrane is recomputed from input
 * ([T*N], or [N] when constInput) into scratch just before its backward pass, where it stays in cache
 * (the whole [T, N] membrane is never written). dg (with dw, o): the gradient [T*B, o] of a Linear
 * layer (weight dw [H, o]) these spikes feed, or 0; the spike gradient gradSpk + dg dw^T is then
 * formed tile by tile in scratch, never as a whole [T, N] array. scratch: leakyBackwardScratchBytes.
 */
export function leakyBackward(a: LeakyBackwardArgs): void {
  const nN = a.N, h = a.H, o = a.o, dw = a.dw, scratch = a.scratch;
  if (!a.gbAll && a.gradBeta) memory.fill(a.gradBeta, 0, <usize>h << 2);
  if (a.dg) {
    const wt = transposedW(a);
    for (let r = 0; r < h; r++) {
      for (let q = 0; q < o; q++) store<f32>(wt + ((<usize>q * <usize>h + <usize>r) << 2), load<f32>(dw + ((<usize>r * <usize>o + <usize>q) << 2)));
    }
  }
  const spt = samplesPerTile(h);
  const first = a.tile1 ? a.tile0 : 0, last = a.tile1 ? a.tile1 : leakyTiles(nN, h);
  if (spt == 0) {
    const per = (h + TILE - 1) / TILE;
    for (let i = first; i < last; i++) {
      const b = i / per;
      const j0 = (i - b * per) * TILE;
      backwardOne(a, a.beta + (<usize>j0 << 2), b * h + j0, min(TILE, h - j0));
    }
  } else {
    const len = spt * h;
    expandBeta(a.beta, h, scratch, len);
    for (let i = first; i < last; i++) backwardOne(a, scratch, i * len, min(len, nN - i * len));
  }
}

/**
 * out[step * len + (n - n0)] = gradSpk[step * N + n] (or 0) + sum over q of dg[(step * B + b) * o + q] wt[q, n % h]
 * for the tile's neurons n in [n0, n0 + len), all steps; q ascending, 16 neurons per pass.
 */
function deferredTile(a: LeakyBackwardArgs, n0: i32, len: i32, wt: usize, out: usize): void {
  const gradSpk = a.gradSpk, dg = a.dg, o = a.o, t = a.T, nN = a.N, h = a.H;
  const nB = nN / h;
  let n = n0;
  while (n < n0 + len) {
    const b = n / h;
    const hh = n - b * h;
    const cnt = min(h - hh, n0 + len - n);
    const col = n - n0;
    for (let step = 0; step < t; step++) {
      const gr = dg + ((<usize>(step * nB + b) * <usize>o) << 2);
      const dst = out + ((<usize>step * <usize>len + <usize>col) << 2);
      const src = gradSpk + ((<usize>step * <usize>(a.gradSpkRow ? 0 : nN) + <usize>n) << 2);
      const w0 = wt + (<usize>hh << 2);
      const zero = f32x4.splat(0);
      let j = 0;
      for (; j + 16 <= cnt; j += 16) {
        const jo = <usize>j << 2;
        let x0 = zero, x1 = zero, x2 = zero, x3 = zero;
        if (gradSpk) {
          x0 = v128.load(src + jo); x1 = v128.load(src + jo, 16); x2 = v128.load(src + jo, 32); x3 = v128.load(src + jo, 48);
        }
        for (let q = 0; q < o; q++) {
          const g = v128.load32_splat(gr + (<usize>q << 2));
          const wr = w0 + ((<usize>q * <usize>h) << 2) + jo;
          x0 = madd(g, v128.load(wr), x0); x1 = madd(g, v128.load(wr, 16), x1);
          x2 = madd(g, v128.load(wr, 32), x2); x3 = madd(g, v128.load(wr, 48), x3);
        }
        v128.store(dst + jo, x0); v128.store(dst + jo, x1, 16); v128.store(dst + jo, x2, 32); v128.store(dst + jo, x3, 48);
      }
      for (; j + 4 <= cnt; j += 4) {
        const jo = <usize>j << 2;
        let x0 = gradSpk ? v128.load(src + jo) : zero;
        for (let q = 0; q < o; q++) x0 = madd(v128.load32_splat(gr + (<usize>q << 2)), v128.load(w0 + ((<usize>q * <usize>h) << 2) + jo), x0);
        v128.store(dst + jo, x0);
      }
      for (; j < cnt; j++) {
        const jo = <usize>j << 2;
        let x: f32 = gradSpk ? load<f32>(src + jo) : 0;
        for (let q = 0; q < o; q++) x += load<f32>(gr + (<usize>q << 2)) * load<f32>(w0 + ((<usize>q * <usize>h) << 2) + jo);
        store<f32>(dst + jo, x);
      }
    }
    n += cnt;
  }
}

/**
 * One tile's backward: its membrane recomputed into scratch first when mem is 0, its deferred spike
 * gradient formed first when dg; then backwardTile with the surrogate's type.
 */
@inline function backwardOne(a: LeakyBackwardArgs, bt: usize, n0: i32, len: i32): void {
  const tileMem = a.scratch + leakyScratchBytes();
  const tileSpk = tileMem + <usize>a.T * TILE * 4;
  let m = a.mem + (<usize>n0 << 2), mRow = a.N;
  if (!a.mem) {
    forwardTile(a, bt, n0, len, tileSpk, len, tileMem, len);
    m = tileMem;
    mRow = len;
  }
  let gs = a.gradSpk ? a.gradSpk + (<usize>n0 << 2) : 0, gRow = a.gradSpkRow ? 0 : a.N;
  if (a.dg) {
    const wt = transposedW(a);
    gs = wt + ((<usize>a.o * <usize>a.H) << 2);
    deferredTile(a, n0, len, wt, gs);
    gRow = len;
  }
  const s = a.surrogate;
  if (s == 0) backwardTile<Atan>(a, bt, n0, len, m, mRow, gs, gRow);
  else if (s == 1) backwardTile<FastSigmoid>(a, bt, n0, len, m, mRow, gs, gRow);
  else if (s == 3) backwardTile<Triangular>(a, bt, n0, len, m, mRow, gs, gRow);
  else if (s == 4) backwardTile<SpikeRateEscape>(a, bt, n0, len, m, mRow, gs, gRow);
  else if (s == 5) backwardTile<StraightThrough>(a, bt, n0, len, m, mRow, gs, gRow);
  else if (s == 6) backwardTile<Gaussian>(a, bt, n0, len, m, mRow, gs, gRow);
  else if (s == 7) backwardTile<Triangle>(a, bt, n0, len, m, mRow, gs, gRow);
  else if (s == 8) backwardTile<ScaledAtan>(a, bt, n0, len, m, mRow, gs, gRow);
  else backwardTile<Sigmoid>(a, bt, n0, len, m, mRow, gs, gRow);
}
