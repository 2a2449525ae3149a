import { ShapeError, ValueError } from '../core/errors.js';
import type { SurrogateCode } from './types.js';

/**
 * A neuron model as a spec: its state variables, its per-neuron parameters, one time step (`step`) and
 * that step's adjoint (`adjoint`). The shared scan runs any spec over a block of time steps, forward and
 * backward (BPTT): in TypeScript (`neuronForwardTS`, `neuronBackwardTS` below, the reference) or in WASM
 * (assembly/neuron-scan.ts, for specs with a `wasm` model there). src/neurons/spec.ts builds the
 * differentiable sequence op on it. The conventions every model here shares (snnTorch's):
 *
 *   r_t = S[t-1] (0 at t = 0), detached where it resets (a spec may also use it differentiably: `spikeInput`)
 *   state[t] = step(state[t-1], r_t, X[t], params)          state[-1] = init(params) (zeros by default)
 *   S[t] = H(state[t][fire.state] - threshold)              the surrogate's derivative in the backward pass
 *
 * The threshold is a parameter (`fire.threshold = { param }`) or a state variable (`{ state }`, e.g. an
 * adaptive threshold). States are stored as float32; `step` computes in float64 from the stored values
 * and the scan rounds what it stores, so a spec rounds intermediate values (Math.fround) only where its
 * model does. A WASM model computes the same operations in the same order: forward results are equal bit
 * for bit, gradients to rounding.
 */
export interface ParamSpec {
  readonly name: string;
  /** Allowed range of each value (checked for every neuron). */
  readonly lo: number;
  readonly hi: number;
  /** Default value for layers built from the spec. */
  readonly init: number;
  /** A decay in [0, 1]: a layer may learn it through a logit (value = sigmoid(p)). */
  readonly decay?: boolean;
}

export interface NeuronSpec {
  /** Model name for messages and layer kinds. */
  readonly name: string;
  /** State variables, in the order of the arrays `step` and `adjoint` receive. */
  readonly state: readonly string[];
  readonly params: readonly ParamSpec[];
  /**
   * Per-neuron constants computed once from the parameters (e.g. Alpha's tau), appended after them in the
   * parameter vector; `backward` adds the gradients of these slots into the parameters' slots. `compute`
   * may throw a ValueError for a combination of values the model does not allow.
   */
  readonly derived?: {
    readonly names: readonly string[];
    compute(p: Float64Array, who: string): void;
    backward(p: Float64Array, g: Float64Array): void;
  };
  /** Where the spike comes from: S = H(state[fire.state] - threshold). */
  readonly fire: { readonly state: number; readonly threshold: { readonly param: number } | { readonly state: number } };
  /** The previous spike enters the update differentiably (beyond the detached reset): adjoint writes gs0[state.length]. */
  readonly spikeInput?: boolean;
  /** The model in the WASM scan (assembly/neuron-scan.ts) and its variant (reset mechanism and the like). */
  readonly wasm?: { readonly model: number; readonly variant: number };
  /** state[-1] from the parameters (default zeros); `initBackward` adds gs (dL/dstate[-1]) into gp. */
  init?(p: Float64Array, s: Float64Array): void;
  initBackward?(p: Float64Array, gs: Float64Array, gp: Float64Array): void;
  /** The model refuses a state that is not finite (the scan throws, naming a diverging membrane). */
  readonly finite?: boolean;
  /** One step: s from the previous state s0, the previous spike r, the input x and the parameters p. */
  step(s0: Float64Array, r: number, x: number, p: Float64Array, s: Float64Array): void;
  /**
   * The step's adjoint: given gs = dL/ds (s the new state), writes dL/ds0 into gs0 (zeroed before the
   * call; slot state.length: dL/dr for `spikeInput` specs), adds dL/dp into gp, and returns dL/dx.
   */
  adjoint(
    s0: Float64Array,
    r: number,
    x: number,
    p: Float64Array,
    s: Float64Array,
    gs: Float64Array,
    gs0: Float64Array,
    gp: Float64Array,
  ): number;
}

/**
 * One block of T steps of N neurons (H features; neuron n uses parameter row n % H). Layouts: states
 * [S][T][N], `prev` [S][N] the state before the block and `prevSpk` [N] its spikes, input [T][N] (`x32`,
 * or `x64` for a drive computed in float64) or [N] with constInput, parameters [H][P] (P = parameters +
 * derived constants).
 */
export interface NeuronBlockArgs {
  spec: NeuronSpec;
  T: number;
  N: number;
  H: number;
  constInput: boolean;
  x32: Float32Array | null;
  x64: Float64Array | null;
  prev: Float32Array;
  prevSpk: Uint8Array;
  params: Float64Array;
  /** Out: the states of the block (backward: in). */
  st: Float32Array;
  /** Out: the spikes of the block (backward: in). */
  spk: Uint8Array;
}

export interface NeuronBackwardArgs extends NeuronBlockArgs {
  /** dL/dstates from outside the scan, [S][T][N], or null (none). */
  gState: Float32Array | null;
  /** dL/dS from outside the scan, [T][N], or null. */
  gSpk: Float32Array | null;
  /** In/out: dL/dstate after the block ([S][N]; zeros for the last block), left as dL/dprev. */
  carry: Float64Array;
  /** In/out: dL/dS of the block's last step from later steps ([N]), left as dL/dprevSpk. */
  carrySpk: Float64Array;
  /** Out: dL/dx, [T][N]. */
  gx: Float32Array;
  /** In/out: dL/dparams, [H][P], accumulated. */
  gp: Float64Array;
  surrogate: { code: SurrogateCode | null; param: number; param2?: number; grad(x: number): number };
}

/** Throws ShapeError unless every array of a block has its length. */
export function checkNeuronBlock(kernel: string, a: NeuronBlockArgs | NeuronBackwardArgs): void {
  const S = a.spec.state.length;
  const P = a.spec.params.length + (a.spec.derived?.names.length ?? 0);
  const { T, N, H } = a;
  if (!(Number.isInteger(T) && T >= 0 && Number.isInteger(N) && N >= 0 && Number.isInteger(H) && H >= 1 && N % H === 0)) {
    throw new ValueError(`${kernel}: T = ${T}, N = ${N}, H = ${H} is not a block (N a multiple of H >= 1)`);
  }
  const need = (name: string, arr: { length: number } | null, n: number) => {
    if (arr && arr.length !== n) throw new ShapeError(`${kernel}: ${name} has ${arr.length} values, expected ${n}`);
  };
  const xs = a.constInput ? N : T * N;
  if ((a.x32 === null) === (a.x64 === null)) throw new ValueError(`${kernel}: give exactly one of x32 and x64`);
  need('x32', a.x32, xs);
  need('x64', a.x64, xs);
  need('prev', a.prev, S * N);
  need('prevSpk', a.prevSpk, N);
  need('params', a.params, H * P);
  need('st', a.st, S * T * N);
  need('spk', a.spk, T * N);
  if ('gx' in a) {
    need('gState', a.gState, S * T * N);
    need('gSpk', a.gSpk, T * N);
    need('carry', a.carry, S * N);
    need('carrySpk', a.carrySpk, N);
    need('gx', a.gx, T * N);
    need('gp', a.gp, H * P);
  }
}

/** The parameter vector of each feature, as views of `params` (made once per array). */
const viewCache = new WeakMap<Float64Array, Float64Array[]>();
function rows(params: Float64Array, H: number): Float64Array[] {
  let v = viewCache.get(params);
  if (!v || v.length !== H) {
    const P = params.length / H;
    v = Array.from({ length: H }, (_, h) => params.subarray(h * P, (h + 1) * P));
    viewCache.set(params, v);
  }
  return v;
}

/** Loads the state before step t of neuron n into s0; returns the reset r (the spike before). */
function loadPrev(a: NeuronBlockArgs, S: number, t: number, n: number, s0: Float64Array): number {
  const { T, N } = a;
  if (t === 0) {
    for (let j = 0; j < S; j++) s0[j] = a.prev[j * N + n];
    return a.prevSpk[n];
  }
  for (let j = 0; j < S; j++) s0[j] = a.st[(j * T + t - 1) * N + n];
  return a.spk[(t - 1) * N + n];
}

const inputAt = (a: NeuronBlockArgs, t: number, n: number): number => {
  const i = a.constInput ? n : t * a.N + n;
  return a.x64 ? a.x64[i] : a.x32![i];
};

/** The TypeScript scan of one block, forward: fills st and spk; returns the spike count, or -1 when a step refused its state. */
export function neuronForwardTS(a: NeuronBlockArgs): number {
  const { spec, T, N, H, st } = a;
  const S = spec.state.length;
  const views = rows(a.params, H);
  const step = spec.step;
  const finite = spec.finite === true;
  const fs = spec.fire.state;
  const thr = spec.fire.threshold;
  const tp = 'param' in thr ? thr.param : -1;
  const ts = 'state' in thr ? thr.state : -1;
  const s0 = new Float64Array(S);
  const s1 = new Float64Array(S);
  let count = 0;
  for (let t = 0; t < T; t++) {
    for (let n = 0; n < N; n++) {
      const p = views[n % H];
      const r = loadPrev(a, S, t, n, s0);
      step(s0, r, inputAt(a, t, n), p, s1);
      if (finite) for (let j = 0; j < S; j++) if (!Number.isFinite(s1[j])) return -1;
      for (let j = 0; j < S; j++) st[(j * T + t) * N + n] = s1[j];
      const th = tp >= 0 ? p[tp] : st[(ts * T + t) * N + n];
      const fired = st[(fs * T + t) * N + n] - th > 0 ? 1 : 0;
      a.spk[t * N + n] = fired;
      count += fired;
    }
  }
  return count;
}

/** The TypeScript scan of one block, backward (from its last step to its first). */
export function neuronBackwardTS(a: NeuronBackwardArgs): void {
  const { spec, T, N, H, st, carry, carrySpk, gState, gSpk } = a;
  const S = spec.state.length;
  const views = rows(a.params, H);
  const gps = rows(a.gp, H);
  const adjoint = spec.adjoint;
  const fs = spec.fire.state;
  const thr = spec.fire.threshold;
  const tp = 'param' in thr ? thr.param : -1;
  const ts = 'state' in thr ? thr.state : -1;
  const sur = a.surrogate;
  const s0 = new Float64Array(S);
  const s1 = new Float64Array(S);
  const gs = new Float64Array(S);
  const gs0 = new Float64Array(S + 1);
  for (let t = T - 1; t >= 0; t--) {
    for (let n = 0; n < N; n++) {
      const h = n % H;
      const p = views[h];
      const i = t * N + n;
      const r = loadPrev(a, S, t, n, s0);
      for (let j = 0; j < S; j++) {
        const k = (j * T + t) * N + n;
        s1[j] = st[k];
        gs[j] = (gState !== null ? gState[k] : 0) + carry[j * N + n];
        gs0[j] = 0;
      }
      gs0[S] = 0;
      const gS = (gSpk !== null ? gSpk[i] : 0) + carrySpk[n];
      if (gS !== 0) {
        const sg = gS * sur.grad(s1[fs] - (tp >= 0 ? p[tp] : s1[ts]));
        gs[fs] += sg;
        if (tp >= 0) gps[h][tp] -= sg;
        else gs[ts] -= sg;
      }
      a.gx[i] = adjoint(s0, r, inputAt(a, t, n), p, s1, gs, gs0, gps[h]);
      for (let j = 0; j < S; j++) carry[j * N + n] = gs0[j];
      carrySpk[n] = gs0[S];
    }
  }
}
