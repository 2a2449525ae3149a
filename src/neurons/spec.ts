import { type Tensor, accumulateOwnedGrad } from '../core/tensor.js';
import { ShapeError, ValueError, checkTensor } from '../core/errors.js';
import type { Surrogate } from '../surrogate/index.js';
import type { Kernels } from '../kernels/types.js';
import { availableKernels } from '../kernels/default.js';
import {
  type NeuronBackwardArgs,
  type NeuronBlockArgs,
  type NeuronSpec,
  neuronBackwardTS,
  neuronForwardTS,
} from '../kernels/neuron-block.js';
import {
  addParamGrad,
  checkSurrogate,
  fusedOutputs,
  paramParents,
  resolveParam,
  seqGeom,
  type FeatureParam,
  type ResetMechanism,
  type ResolvedParam,
} from './common.js';

/**
 * Neuron models as specs (kernels/neuron-block.ts: state variables, parameters, one step and its adjoint),
 * run by one scan: `specSequence` makes the differentiable [T, B, H] op, on the kernels' shared neuron
 * scan (WASM for specs with a WASM model, else the TypeScript reference), with the recurrent connection
 * any spec can take (X[t] = I[t] + S[t-1] @ V + v_b, an all-to-all recurrent layer).
 *
 * Adding a neuron: write its spec (a file of its own, with its step function), its test (hand-computed
 * cases, a finite-difference gradient check) and one registry line (`specKind(spec)` in nn/registry.ts)
 * for layers and checkpoints. Its WASM path: a model class (kernels/assembly/neuron-models.ts or a file
 * of its own) and its line in the dispatch of kernels/assembly/neuron-scan.ts; the spec names it (`wasm`).
 */
export type { NeuronSpec, ParamSpec } from '../kernels/neuron-block.js';

/** A spec maker memoised per reset mechanism: each reset's spec is built once and shared (NeuronModel.spec). */
export function perReset(make: (reset: ResetMechanism) => NeuronSpec): (reset: ResetMechanism) => NeuronSpec {
  const specs = new Map<ResetMechanism, NeuronSpec>();
  return (reset) => {
    let spec = specs.get(reset);
    if (!spec) specs.set(reset, (spec = make(reset)));
    return spec;
  };
}

/** A neuron model for layers (nn/spec-layer.ts): its layer kind and its spec for each reset mechanism. */
export interface NeuronModel {
  /** The layer kind (configs, checkpoints, the CLI's --neuron). */
  readonly kind: string;
  spec(reset: ResetMechanism): NeuronSpec;
  readonly defaultReset: ResetMechanism;
}

export interface SpecSequenceOptions {
  /** Model name for messages (default: the spec's name). */
  who?: string;
  steps: number;
  constInput: boolean;
  /** One value per parameter of the spec: a number, or a Tensor of 1 or H values that may require grad. */
  params: Readonly<Record<string, FeatureParam>>;
  surrogate: Surrogate;
  /** All-to-all recurrent weights [H, H] ([in, out]: row i is what a spike of neuron i adds) and bias [H]. */
  recurrent?: { weight: Tensor; bias: Tensor | null } | null;
  /**
   * Kernels for the scan and the recurrent products. Absent: the default kernels where they are available
   * without waiting (Node, workers, a browser after initKernels()); null: the TypeScript scan.
   */
  kernels?: Kernels | null;
}

export interface SpecResult {
  spk: Tensor;
  /** Each state variable over time, [T, B, H], by name. */
  state: Record<string, Tensor>;
  spikes: number;
}

/** The per-neuron parameter vectors of a spec (parameters, then derived constants): [H][P], and a view per feature. */
export interface SpecParams {
  resolved: ResolvedParam[];
  flat: Float64Array;
  /** views[h]: the vector of feature h. */
  views: Float64Array[];
  width: number;
}

export function specParams(spec: NeuronSpec, who: string, given: Readonly<Record<string, FeatureParam>>, H: number): SpecParams {
  const resolved = spec.params.map((ps) => {
    const v = given[ps.name];
    if (v === undefined)
      throw new ValueError(`${who}: parameter ${ps.name} is missing (${spec.name} takes ${spec.params.map((q) => q.name).join(', ')})`);
    return resolveParam(who, ps.name, v, H, ps.lo, ps.hi);
  });
  const P = spec.params.length;
  const width = P + (spec.derived?.names.length ?? 0);
  const flat = new Float64Array(H * width);
  const views: Float64Array[] = [];
  for (let h = 0; h < H; h++) {
    const p = flat.subarray(h * width, (h + 1) * width);
    for (let j = 0; j < P; j++) p[j] = resolved[j].v[h];
    spec.derived?.compute(p, H > 1 ? `${who} neuron ${h}` : who);
    views.push(p);
  }
  return { resolved, flat, views, width };
}

/** The state before the first step of every neuron ([S][N], float32 as the scan stores states). */
function initialStates(spec: NeuronSpec, views: Float64Array[], N: number): Float32Array {
  const S = spec.state.length;
  const H = views.length;
  const out = new Float32Array(S * N);
  if (!spec.init) return out;
  const s = new Float64Array(S);
  for (let h = 0; h < H; h++) {
    s.fill(0);
    spec.init(views[h], s);
    for (let n = h; n < N; n += H) for (let j = 0; j < S; j++) out[j * N + n] = s[j];
  }
  return out;
}

function checkRecurrent(who: string, rec: { weight: Tensor; bias: Tensor | null }, H: number): void {
  checkTensor(`${who} weight`, rec.weight);
  if (rec.bias) checkTensor(`${who} bias`, rec.bias);
  if (rec.weight.size !== H * H || rec.weight.shape.length !== 2) {
    throw new ShapeError(`${who}: recurrent weight must be [${H}, ${H}], found [${rec.weight.shape.join(', ')}]`);
  }
  if (rec.bias && rec.bias.size !== H) throw new ShapeError(`${who}: recurrent bias has ${rec.bias.size} values, expected ${H}`);
}

/** Adds S @ V (+ v_b) for B samples into drive (Float64, [B * H]); S the previous step's spikes. */
function addRecurrentDrive(
  drive: Float64Array,
  prevSpk: Uint8Array | null,
  V: Float32Array,
  vb: Float32Array | null,
  B: number,
  H: number,
  k: Kernels | null,
  scratch: Float32Array | null,
): void {
  const N = B * H;
  if (vb) for (let n = 0; n < N; n++) drive[n] += vb[n % H];
  if (!prevSpk) return;
  if (k) {
    k.spikeMatmul(prevSpk, V, scratch!, B, H, H, false);
    for (let n = 0; n < N; n++) drive[n] += scratch![n];
    return;
  }
  for (let b = 0; b < B; b++) {
    const row = b * H;
    for (let i = 0; i < H; i++) {
      if (!prevSpk[row + i]) continue;
      const vi = i * H;
      for (let j = 0; j < H; j++) drive[row + j] += V[vi + j];
    }
  }
}

/**
 * The recurrent connection's backward at step t: with gX = dL/dX[t], adds dL/dv_b, dL/dV (one row per
 * spike of S[t-1]) and writes dL/dS[t-1] = gX @ V^T into gSpkRec (zero at t = 0).
 */
function recurrentBackward(
  gX: Float64Array,
  prevSpk: Uint8Array | null,
  V: Float32Array,
  gV: Float32Array | null,
  gVb: Float64Array | null,
  gSpkRec: Float64Array,
  B: number,
  H: number,
  k: Kernels | null,
  scratch: { a: Float32Array; b: Float32Array } | null,
): void {
  const N = B * H;
  if (gVb) for (let n = 0; n < N; n++) gVb[n % H] += gX[n];
  if (!prevSpk) {
    gSpkRec.fill(0);
    return;
  }
  if (k) {
    for (let n = 0; n < N; n++) scratch!.a[n] = gX[n];
    k.matmul(scratch!.a, V, scratch!.b, B, H, H, false, true, false);
    for (let n = 0; n < N; n++) gSpkRec[n] = scratch!.b[n];
    if (gV) k.spikeMatmulGradW(prevSpk, scratch!.a, gV, B, H, H);
    return;
  }
  for (let b = 0; b < B; b++) {
    const row = b * H;
    for (let i = 0; i < H; i++) {
      const vi = i * H;
      let s = 0;
      for (let j = 0; j < H; j++) s += gX[row + j] * V[vi + j];
      gSpkRec[row + i] = s;
      if (gV && prevSpk[row + i]) for (let j = 0; j < H; j++) gV[vi + j] += gX[row + j];
    }
  }
}

const divergence = (who: string) =>
  new ValueError(`${who}: the membrane diverged (a state left the finite range); use a smaller dt or a smaller input`);

/** Copies step t of [S][T][N] states into [S][N] (or back, with `back`). */
function stepSlice(all: Float32Array, one: Float32Array, S: number, T: number, N: number, t: number, back = false): void {
  for (let j = 0; j < S; j++) {
    const o = (j * T + t) * N;
    if (back) all.set(one.subarray(j * N, (j + 1) * N), o);
    else one.set(all.subarray(o, o + N), j * N);
  }
}

/** Runs a spec over a [T, B, H] sequence (or a constant [B, H] input repeated T times) as one differentiable op. */
export function specSequence(spec: NeuronSpec, input: Tensor, o: SpecSequenceOptions): SpecResult {
  const who = o.who ?? spec.name;
  const g = seqGeom(who, input, o.steps, o.constInput);
  const { T, B, H, N } = g;
  const sur = checkSurrogate(who, o.surrogate);
  const { resolved, flat, views } = specParams(spec, who, o.params, H);
  const rec = o.recurrent ?? null;
  if (rec) checkRecurrent(who, rec, H);
  const V = rec ? (rec.weight.data as Float32Array) : null;
  const vb = rec?.bias ? (rec.bias.data as Float32Array) : null;
  // no kernels given: the default ones where available at once (WASM); null asks for the TypeScript scan
  const k = o.kernels === undefined ? availableKernels() : o.kernels;
  const forward = k ? (a: NeuronBlockArgs) => k.neuronForward(a) : neuronForwardTS;
  const backward = k ? (a: NeuronBackwardArgs) => k.neuronBackward(a) : neuronBackwardTS;
  const S = spec.state.length;
  const x = input.toFloat32();
  const init = initialStates(spec, views, N);
  const base = { spec, N, H, params: flat };
  const diverged = () => divergence(who);

  const st = new Float32Array(S * T * N);
  const spk = new Uint8Array(T * N);
  let count = 0;
  // with a recurrent connection the scan runs one step at a time, the drive X[t] kept for the backward
  const drives = V ? new Float64Array(T * N) : null;
  if (!V) {
    count = forward({ ...base, T, constInput: g.constInput, x32: x, x64: null, prev: init, prevSpk: new Uint8Array(N), st, spk });
    if (count < 0) throw diverged();
  } else {
    const rec32 = k ? new Float32Array(N) : null;
    const none = new Uint8Array(N);
    // two state buffers taking turns: step t writes one, reads the other (step t-1's)
    const bufs = [new Float32Array(S * N), new Float32Array(S * N)];
    let prev = init;
    for (let t = 0; t < T; t++) {
      const drive = drives!.subarray(t * N, (t + 1) * N);
      for (let n = 0; n < N; n++) drive[n] = g.constInput ? x[n] : x[t * N + n];
      addRecurrentDrive(drive, t > 0 ? spk.subarray((t - 1) * N, t * N) : null, V, vb, B, H, k, rec32);
      const one = bufs[t & 1];
      const prevSpk = t > 0 ? spk.subarray((t - 1) * N, t * N) : none;
      const c = forward({
        ...base,
        T: 1,
        constInput: false,
        x32: null,
        x64: drive,
        prev,
        prevSpk,
        st: one,
        spk: spk.subarray(t * N, (t + 1) * N),
      });
      if (c < 0) throw diverged();
      count += c;
      stepSlice(st, one, S, T, N, t, true);
      prev = one;
    }
  }

  const shape = [T, B, H];
  const outputs: Record<string, { data: Float32Array | Uint8Array; shape: number[] }> = { spk: { data: spk, shape } };
  spec.state.forEach((name, j) => {
    outputs[`state:${name}`] = { data: st.subarray(j * T * N, (j + 1) * T * N), shape };
  });
  const parents = [input, ...paramParents(...resolved, rec?.weight, rec?.bias)];
  const outs = fusedOutputs(parents, outputs, (grads) => {
    const ext = spec.state.map((name) => grads[`state:${name}`]);
    let gState: Float32Array | null = null;
    if (ext.some((e) => e !== null)) {
      gState = new Float32Array(S * T * N);
      ext.forEach((e, j) => e && gState!.set(e, j * T * N));
    }
    const gp = new Float64Array(flat.length);
    const carry = new Float64Array(S * N);
    const carrySpk = new Float64Array(N);
    const gx = new Float32Array(T * N);
    const surArgs = { surrogate: sur, carry, carrySpk, gp };
    const gV = V && rec!.weight.requiresGrad ? new Float32Array(H * H) : null;
    const gVb = vb && rec!.bias!.requiresGrad ? new Float64Array(H) : null;
    if (!V) {
      backward({
        ...base,
        ...surArgs,
        T,
        constInput: g.constInput,
        x32: x,
        x64: null,
        prev: init,
        prevSpk: new Uint8Array(N),
        st,
        spk,
        gState,
        gSpk: grads.spk,
        gx,
      });
    } else {
      const scratch = k ? { a: new Float32Array(N), b: new Float32Array(N) } : null;
      const rs = new Float64Array(N);
      const gX = new Float64Array(N);
      const none = new Uint8Array(N);
      // step t's states are step t+1's previous ones: two buffers taking turns, one copy per step
      const bufs = [new Float32Array(S * N), new Float32Array(S * N)];
      stepSlice(st, bufs[(T - 1) & 1], S, T, N, T - 1);
      const gOne = gState ? new Float32Array(S * N) : null;
      for (let t = T - 1; t >= 0; t--) {
        const one = bufs[t & 1];
        let prev = init;
        if (t > 0) {
          prev = bufs[(t - 1) & 1];
          stepSlice(st, prev, S, T, N, t - 1);
        }
        if (gOne) stepSlice(gState!, gOne, S, T, N, t);
        const at = (a: Float32Array | Uint8Array | null) => (a ? a.subarray(t * N, (t + 1) * N) : null);
        backward({
          ...base,
          ...surArgs,
          T: 1,
          constInput: false,
          x32: null,
          x64: drives!.subarray(t * N, (t + 1) * N),
          prev,
          prevSpk: t > 0 ? spk.subarray((t - 1) * N, t * N) : none,
          st: one,
          spk: at(spk) as Uint8Array,
          gState: gOne,
          gSpk: at(grads.spk) as Float32Array | null,
          gx: at(gx) as Float32Array,
        });
        for (let n = 0; n < N; n++) gX[n] = gx[t * N + n];
        recurrentBackward(gX, t > 0 ? spk.subarray((t - 1) * N, t * N) : null, V, gV, gVb, rs, B, H, k, scratch);
        for (let n = 0; n < N; n++) carrySpk[n] += rs[n];
      }
    }
    const gps = Array.from({ length: H }, (_, h) => gp.subarray(h * views[0].length, (h + 1) * views[0].length));
    if (spec.initBackward) {
      const gs = new Float64Array(S);
      for (let n = 0; n < N; n++) {
        for (let j = 0; j < S; j++) gs[j] = carry[j * N + n];
        spec.initBackward(views[n % H], gs, gps[n % H]);
      }
    }
    if (spec.derived) for (let h = 0; h < H; h++) spec.derived.backward(views[h], gps[h]);
    if (input.requiresGrad) {
      if (!g.constInput) accumulateOwnedGrad(input, gx);
      else {
        const gi = new Float32Array(N);
        for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) gi[n] += gx[t * N + n];
        accumulateOwnedGrad(input, gi);
      }
    }
    resolved.forEach((rp, j) => {
      if (!rp.tensor?.requiresGrad) return;
      const col = new Float64Array(H);
      for (let h = 0; h < H; h++) col[h] = gps[h][j];
      addParamGrad(rp, col);
    });
    if (gV) accumulateOwnedGrad(rec!.weight, gV);
    if (gVb) addParamGrad({ v: new Float64Array(0), tensor: rec!.bias }, gVb);
  });
  const state: Record<string, Tensor> = {};
  for (const name of spec.state) state[name] = outs[`state:${name}`];
  return { spk: outs.spk, state, spikes: count };
}

/**
 * One step of a spec for n neurons (the pure step functions): prev[j] holds state variable j of every
 * neuron, prevSpk the previous spikes, param(i) the parameter vector of neuron i. Returns the new state
 * (float32, as the scan stores it) and the spikes.
 */
export function specStep(
  spec: NeuronSpec,
  x: ArrayLike<number>,
  prev: readonly ArrayLike<number>[],
  prevSpk: ArrayLike<number>,
  param: (i: number) => Float64Array,
): { state: Float32Array[]; spk: Uint8Array } {
  const S = spec.state.length;
  const n = x.length;
  const out = Array.from({ length: S }, () => new Float32Array(n));
  const spk = new Uint8Array(n);
  const s0 = new Float64Array(S);
  const s1 = new Float64Array(S);
  const thr = spec.fire.threshold;
  for (let i = 0; i < n; i++) {
    const p = param(i);
    for (let j = 0; j < S; j++) s0[j] = prev[j][i];
    spec.step(s0, prevSpk[i] ? 1 : 0, x[i], p, s1);
    if (spec.finite && !s1.every(Number.isFinite)) throw divergence(spec.name);
    for (let j = 0; j < S; j++) out[j][i] = s1[j];
    const th = 'param' in thr ? p[thr.param] : out[thr.state][i];
    spk[i] = out[spec.fire.state][i] - th > 0 ? 1 : 0;
  }
  return { state: out, spk };
}

/** A parameter vector (with derived constants) for plain numbers, e.g. for a step function. */
export function specVector(spec: NeuronSpec, who: string, values: Readonly<Record<string, number>>): Float64Array {
  return specParams(spec, who, values, 1).views[0];
}
