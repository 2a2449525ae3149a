// The shared neuron scan in WASM: the TypeScript spec scan (src/neurons/spec.ts) over a block of time
// steps, forward and backward, for any neuron model written as a class with the methods below. The
// kernels are generic over the model (compiled once per model, so its step inlines into the loops) and
// dispatch on the model number the spec carries (`wasm.model`); they compute in f64 from the float32
// state, in the same order as the spec's step, so forward results are bit for bit the TypeScript ones.
//
// A model class (an @unmanaged class whose methods never read `this`; see neuron-models.ts), each
// method given the variant (a model may size itself by it: nir-neurons.ts):
//   S(): number of state variables; P(): width of the parameter vector (parameters, then derived);
//   fireState(), thrParam() (>= 0: the threshold is that parameter) or thrState() (else: that state);
//   step(s0, r, x, p, s, variant): bool      the spec's step; false when the state left the finite range
//   adjoint(s0, r, x, p, s, gs, gs0, gp, variant): f64    the spec's adjoint (gs0 zeroed, slot S: dL/dr)
// Vectors s0, s, gs, gs0 are f64 scratch, p the f64 parameter vector of the neuron's feature.
//
// Layout: states [S][T][N] f32 (state j of step t, neuron n at (j*T + t)*N + n); the state before the
// block `prev` [S][N] and its spikes `prevSpk` [N]; input [T][N] (f32 `x32`, or f64 `x64` for a drive
// the caller computed), or [N] with constInput; parameters [H][P] f64 (neuron n uses row n % H).
import { Lif1, Lif2, AlphaModel, AlifModel, IzhikevichModel } from './neuron-models';
import { ResonateModel } from './resonate';
import { NirNeuronModel } from './nir-neurons';

@unmanaged class NeuronArgs {
  model: i32; variant: i32; T: i32; N: i32; H: i32; constInput: i32; x32: usize; x64: usize;
  prev: usize; prevSpk: usize; params: usize; st: usize; spk: usize; scratch: usize;
  /** Features [h0, h1) of every sample (h1 = 0: all): the thread pool's share of one call (disjoint outputs and gp rows). */
  h0: i32; h1: i32;
}
@unmanaged class NeuronBackwardArgs extends NeuronArgs {
  gState: usize; gSpk: usize; carry: usize; carrySpk: usize; gx: usize; gp: usize;
  surrogate: i32; surrogateParam: f32; surrogateParam2: f32;
}

/** Scratch bytes of both kernels: four f64 vectors of up to 16 values. */
export function neuronScratchBytes(): usize {
  return 4 * 16 * 8;
}

/** Spikes of the block, or -1 when a state left the finite range, -2 for an unknown model. */
export function neuronForward(a: NeuronArgs): i32 {
  const m = a.model;
  if (m == 1) return forward<Lif1>(a);
  if (m == 2) return forward<Lif2>(a);
  if (m == 3) return forward<AlphaModel>(a);
  if (m == 4) return forward<AlifModel>(a);
  if (m == 5) return forward<IzhikevichModel>(a);
  if (m == 6) return forward<ResonateModel>(a);
  if (m == 7) return forward<NirNeuronModel>(a);
  return -2;
}

/** 0, or -2 for an unknown model. */
export function neuronBackward(a: NeuronBackwardArgs): i32 {
  const m = a.model;
  if (m == 1) backward<Lif1>(a);
  else if (m == 2) backward<Lif2>(a);
  else if (m == 3) backward<AlphaModel>(a);
  else if (m == 4) backward<AlifModel>(a);
  else if (m == 5) backward<IzhikevichModel>(a);
  else if (m == 6) backward<ResonateModel>(a);
  else if (m == 7) backward<NirNeuronModel>(a);
  else return -2;
  return 0;
}

@inline function f32at(base: usize, i: i32): f64 {
  return <f64>load<f32>(base + (<usize>i << 2));
}
@inline function f64at(base: usize, i: i32): f64 {
  return load<f64>(base + (<usize>i << 3));
}
@inline function setF64(base: usize, i: i32, v: f64): void {
  store<f64>(base + (<usize>i << 3), v);
}

function inputAt(a: NeuronArgs, t: i32, n: i32): f64 {
  const i = a.constInput ? n : t * a.N + n;
  return a.x64 ? f64at(a.x64, i) : f32at(a.x32, i);
}

/** Loads the state before step t of neuron n (from `prev` at t = 0) into s0; returns the reset r (the spike before). */
function loadPrev(a: NeuronArgs, S: i32, t: i32, n: i32, s0: usize): f64 {
  const N = a.N;
  if (t == 0) {
    for (let j = 0; j < S; j++) setF64(s0, j, f32at(a.prev, j * N + n));
    return <f64>load<u8>(a.prevSpk + <usize>n);
  }
  const T = a.T;
  for (let j = 0; j < S; j++) setF64(s0, j, f32at(a.st, (j * T + t - 1) * N + n));
  return <f64>load<u8>(a.spk + <usize>((t - 1) * N + n));
}

/** The threshold neuron n compares its state with at step t (the state already stored). */
@inline function threshold<M>(m: M, a: NeuronArgs, p: usize, t: i32, n: i32): f64 {
  const tp = m.thrParam(a.variant);
  return tp >= 0 ? f64at(p, tp) : f32at(a.st, (m.thrState(a.variant) * a.T + t) * a.N + n);
}

function forward<M>(a: NeuronArgs): i32 {
  const m = changetype<M>(0);
  const variant = a.variant;
  const S = m.S(variant);
  const P = m.P(variant);
  const T = a.T, N = a.N, H = a.H, st = a.st;
  const s0 = a.scratch;
  const s1 = s0 + 128;
  const fs = m.fireState(variant);
  let count = 0;
  const h0 = a.h1 ? a.h0 : 0, h1 = a.h1 ? a.h1 : H;
  for (let t = 0; t < T; t++) {
    for (let base = 0; base < N; base += H) for (let h = h0; h < h1; h++) {
      const n = base + h;
      const p = a.params + (<usize>(h * P) << 3);
      const r = loadPrev(a, S, t, n, s0);
      if (!m.step(s0, r, inputAt(a, t, n), p, s1, variant)) return -1;
      for (let j = 0; j < S; j++) store<f32>(st + (<usize>((j * T + t) * N + n) << 2), <f32>f64at(s1, j));
      const fired: u8 = f32at(st, (fs * T + t) * N + n) - threshold<M>(m, a, p, t, n) > 0 ? 1 : 0;
      store<u8>(a.spk + <usize>(t * N + n), fired);
      count += fired;
    }
  }
  return count;
}

/** The surrogate's derivative in f64, as the TypeScript surrogates compute it (codes of SurrogateCode). */
function surrogateGrad(code: i32, p: f64, p2: f64, x: f64): f64 {
  if (code == 0) {
    const z = (Math.PI / 2) * p * x;
    return p / 2 / (1 + z * z);
  }
  if (code == 1) {
    const d = p * Math.abs(x) + 1;
    return 1 / (d * d);
  }
  if (code == 2) {
    const e = Math.exp(-Math.abs(p * x));
    const d = 1 + e;
    return (p * e) / (d * d);
  }
  if (code == 3) return x >= 0 ? -p : p;
  if (code == 4) return p2 * Math.exp(-p * Math.abs(x - 1));
  if (code == 5) return 1;
  if (code == 7) return Math.max(0, 1 - Math.abs(x) / p);
  if (code == 8) {
    const z = Math.PI * p * x;
    return p2 / (1 + z * z);
  }
  return Math.exp(-(x * x) / (2 * p * p)) / (p * Math.sqrt(2 * Math.PI));
}

// Its preamble and per-element loop (model sizes, scratch vectors, the feature index h of neuron n,
// parameter row p) are forward's: locals of the two hot loops, kept apart so each stays in registers.
function backward<M>(a: NeuronBackwardArgs): void {
  const m = changetype<M>(0);
  const variant = a.variant;
  const S = m.S(variant);
  const P = m.P(variant);
  const T = a.T, N = a.N, H = a.H, st = a.st;
  const s0 = a.scratch;
  const s1 = s0 + 128;
  const gs = s1 + 128;
  const gs0 = gs + 128;
  const fs = m.fireState(variant);
  const tp = m.thrParam(variant);
  const ts = m.thrState(variant);
  const code = a.surrogate;
  const sp = <f64>a.surrogateParam, sp2 = <f64>a.surrogateParam2;
  // per feature h, its gp row gets the neurons' terms in the order (t descending, sample ascending) for
  // any feature range: the thread pool's parts give the same sums
  const h0 = a.h1 ? a.h0 : 0, h1 = a.h1 ? a.h1 : H;
  for (let t = T - 1; t >= 0; t--) {
    for (let base = 0; base < N; base += H) for (let h = h0; h < h1; h++) {
      const n = base + h;
      const p = a.params + (<usize>(h * P) << 3);
      const gp = a.gp + (<usize>(h * P) << 3);
      const i = t * N + n;
      const r = loadPrev(a, S, t, n, s0);
      for (let j = 0; j < S; j++) {
        const k = (j * T + t) * N + n;
        setF64(s1, j, f32at(st, k));
        setF64(gs, j, (a.gState ? f32at(a.gState, k) : 0) + f64at(a.carry, j * N + n));
        setF64(gs0, j, 0);
      }
      setF64(gs0, S, 0);
      const gS = (a.gSpk ? f32at(a.gSpk, i) : 0) + f64at(a.carrySpk, n);
      if (gS != 0) {
        const thr = tp >= 0 ? f64at(p, tp) : f64at(s1, ts);
        const sg = gS * surrogateGrad(code, sp, sp2, f64at(s1, fs) - thr);
        setF64(gs, fs, f64at(gs, fs) + sg);
        if (tp >= 0) setF64(gp, tp, f64at(gp, tp) - sg);
        else setF64(gs, ts, f64at(gs, ts) - sg);
      }
      const gx = m.adjoint(s0, r, inputAt(a, t, n), p, s1, gs, gs0, gp, variant);
      for (let j = 0; j < S; j++) setF64(a.carry, j * N + n, f64at(gs0, j));
      setF64(a.carrySpk, n, f64at(gs0, S));
      store<f32>(a.gx + (<usize>i << 2), <f32>gx);
    }
  }
}
