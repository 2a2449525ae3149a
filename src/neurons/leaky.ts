import { Tensor, accumulateOwnedGrad } from '../core/tensor.js';
import { giveBack, newF32, newU8 } from '../core/buffers.js';
import { ShapeError, ValueError, checkArray, checkMethods, checkObject, checkRange, checkTensor } from '../core/errors.js';
import { expandRow } from '../kernels/reference.js';
import { ResetCode, type Kernels, type LeakyBackwardArgs, type LeakyForwardOut, type LeakyScanArgs } from '../kernels/types.js';
import type { Surrogate } from '../surrogate/index.js';
import { scanSequence } from './scan.js';
import { checkDecay, checkSequenceArgs, checkStepArgs, checkThreshold } from './common.js';
import { acceptUniformGrad, type GradOffer } from '../ops/index.js';

/**
 * Leaky integrate-and-fire neuron, discrete form, with snnTorch's semantics:
 *   V[t] = beta * V[t-1] + I[t] - R[t]        R[t] from the previous step's spike (detached)
 *   S[t] = V[t] > threshold
 * reset 'subtract': R[t] = S[t-1] * threshold; 'zero': V[t-1] is zeroed where S[t-1]; 'none': no reset.
 */
export type ResetMechanism = 'subtract' | 'zero' | 'none';

export const RESET_CODES: Readonly<Record<ResetMechanism, ResetCode>> = {
  subtract: ResetCode.Subtract,
  zero: ResetCode.Zero,
  none: ResetCode.None,
};

export interface LeakyParams {
  /** Decay rate in [0, 1]: one value, or one per neuron. */
  beta: number | Float32Array;
  threshold: number;
  reset: ResetMechanism;
}

export interface LeakyState {
  mem: Float32Array;
}

export function leakyInitState(n: number): LeakyState {
  return { mem: new Float32Array(n) };
}

/**
 * The single-neuron update every Leaky implementation follows (the fused kernels unroll exactly
 * this over time; the parity tests check them against it and against snnTorch).
 */
export function leakyUpdate(memPrev: number, input: number, beta: number, threshold: number, reset: ResetCode): number {
  const r = memPrev - threshold > 0 ? 1 : 0;
  if (reset === ResetCode.Subtract) return beta * memPrev + input - r * threshold;
  if (reset === ResetCode.Zero) return beta * (1 - r) * memPrev + input;
  return beta * memPrev + input;
}

/**
 * One time step, functional and pure (Norse style): returns the spikes and a new state.
 * `x` and `state.mem` have one entry per neuron; a per-neuron beta of length H applies to x[i] with i % H.
 */
export function leakyStep(x: Float32Array, state: LeakyState, p: LeakyParams): { spk: Uint8Array; state: LeakyState } {
  checkStepArgs('leakyStep', x, state, p);
  checkArray('leakyStep state.mem', state.mem, false);
  if (state.mem.length !== x.length) {
    throw new ShapeError(`leakyStep: state has ${state.mem.length} neurons, input has ${x.length}`);
  }
  const code = RESET_CODES[p.reset];
  if (code === undefined) throw new ValueError(`leakyStep: reset must be subtract, zero or none, found ${String(p.reset)}`);
  checkDecay('leakyStep', 'beta', p.beta, null);
  checkThreshold('leakyStep', p.threshold);
  const betas = typeof p.beta === 'number' ? null : p.beta;
  if (betas && x.length % betas.length !== 0) {
    throw new ShapeError(`leakyStep: ${betas.length} betas do not divide ${x.length} neurons`);
  }
  const mem = new Float32Array(x.length);
  const spk = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const b = betas ? betas[i % betas.length] : (p.beta as number);
    const v = leakyUpdate(state.mem[i], x[i], b, p.threshold, code);
    mem[i] = v;
    spk[i] = v - p.threshold > 0 ? 1 : 0;
  }
  return { spk, state: { mem } };
}

export interface LeakySequenceOptions {
  /** Number of time steps T. */
  steps: number;
  /** When true `input` is [B, H], the same current at every step (direct encoding): computed once. */
  constInput: boolean;
  /** Decay per feature, shape [H]; may require grad (e.g. sigmoid of a learnable parameter). */
  beta: Tensor;
  /**
   * A number, or a Tensor of one value (may require grad: learnable threshold, gradient through the fused
   * kernels) or of H values (per-neuron thresholds, run by the TypeScript scan).
   */
  threshold: number | Tensor;
  reset: ResetMechanism;
  /** A surrogate with a kernel code runs in the fused kernels; a custom one (code null) in the TypeScript scan. */
  surrogate: Surrogate;
  kernels: Kernels;
  /**
   * Return the membrane trace (default true). With false, `mem` is null and the backward pass
   * recomputes the membrane from the input in one fused pass instead of storing [T, B, H] floats.
   */
  keepMem?: boolean;
  /** Truncated BPTT: no gradient flows back across the membrane at steps K, 2K, ... (0: full BPTT). */
  truncate?: number;
  /**
   * Batch rows per kernel call (default: leakyScanRows, all of them unless the arrays exceed SCAN_SPLIT_BYTES).
   * Neurons are independent, so the results are the same for any split; a split bounds the memory the
   * kernels need for one call. Not split when beta requires grad (its gradient sums over the batch).
   */
  chunkRows?: number;
}

/**
 * A scan whose [T, B, H] float arrays are larger than SCAN_SPLIT_BYTES runs SCAN_CHUNK_BYTES of them per
 * kernel call (see chunkRows): smaller scans (tutorial 5's hidden layer: 12.8 MB, the CSNN's: 44 MB) stay
 * one call, without the copies a split costs.
 */
export const SCAN_SPLIT_BYTES = 64 * 2 ** 20;
export const SCAN_CHUNK_BYTES = 16 * 2 ** 20;

/**
 * The fused multi-step op: runs the whole [T, B, H] recurrence in one kernel call and registers one
 * backward (BPTT through the surrogate) for both outputs. Input is [T, B, H] or [B, H] when constant.
 *
 * Threshold gradient (snnTorch learn_threshold): dL/dthr = sum_t [-dL/dS[t] s'(mem[t] - thr)] plus, for
 * reset by subtraction, sum_t [-r_t dL/dmem[t]] (the reset r_t is detached, the threshold it scales is not).
 */
export function leakySequence(input: Tensor, o: LeakySequenceOptions): LeakyOut {
  checkSequenceArgs('leakySequence', input, o);
  const H = input.shape[input.shape.length - 1];
  const { threshold, thrT, reset } = checkLeakyOptions(o, H);
  if (o.surrogate.code === null || (thrT && thrT.size !== 1)) {
    // custom surrogate or per-neuron thresholds: the TypeScript scan (same semantics, always keeps mem)
    const r = scanSequence(input, {
      who: 'Leaky',
      steps: o.steps,
      constInput: o.constInput,
      beta: o.beta,
      threshold: o.threshold,
      reset: o.reset,
      zeroStyle: 'prev',
      surrogate: o.surrogate,
      kernels: o.kernels,
    });
    return { spk: r.spk, mem: r.mem, spikes: r.spikes };
  }
  const T = o.steps;
  const N = o.constInput ? input.size : input.size / T;
  if (!o.constInput && input.shape[0] !== T) {
    throw new ShapeError(`Leaky: input has ${input.shape[0]} time steps, expected ${T}`);
  }
  const args = {
    T,
    N,
    H,
    input: input.toFloat32(),
    constInput: o.constInput,
    beta: o.beta.data as Float32Array,
    threshold,
    reset,
  };
  const learnThr = thrT?.requiresGrad;
  const B = N / H;
  const rows = learnThr || o.beta.requiresGrad ? B : leakyScanRows(T, B, H, o.chunkRows);
  const { spk, mem, count } =
    rows < B ? chunkedForward(o.kernels, args, rows, o.keepMem ?? true) : o.kernels.leakyForward(args, o.keepMem ?? true);
  const sur = surrogateArgs(o);
  const out = lifGraph(
    spk,
    mem,
    [T, N / H, H],
    thrT ? [input, o.beta, thrT] : [input, o.beta],
    !learnThr,
    ({ gradSpk: gs, gradMem, deferred, gradSpkRow }) => {
      // the row form goes to the one-call kernel; the chunked and per-step paths take the [T, N] array
      const whole = learnThr || rows < B;
      const gradSpk = gs && gradSpkRow && whole ? expandRow(gs, T) : gs;
      const row = gradSpkRow && !whole;
      if (!learnThr && rows < B) {
        const gradInput = chunkedBackward(o.kernels, { ...args, spk, mem, gradSpk, gradSpkFrom: deferred, gradMem, ...sur }, rows);
        if (input.requiresGrad) accumulateOwnedGrad(input, gradInput);
        else giveBack(gradInput);
        return;
      }
      if (!learnThr) {
        const r = o.kernels.leakyBackward({
          ...args,
          spk,
          mem,
          gradSpk,
          gradSpkRow: row,
          gradSpkFrom: deferred,
          gradMem,
          ...sur,
          betaGrad: o.beta.requiresGrad,
        });
        if (input.requiresGrad) accumulateOwnedGrad(input, r.gradInput);
        if (o.beta.requiresGrad) accumulateOwnedGrad(o.beta, r.gradBeta);
        return;
      }
      // Learnable threshold: the per-step membrane gradients g_t give the reset term, so the kernel runs
      // in per-step mode (a constant input is expanded over time for this call).
      const m = mem ?? o.kernels.leakyForward(args, true).mem!;
      let stepArgs = args;
      if (o.constInput) {
        const rep = new Float32Array(T * N);
        for (let t = 0; t < T; t++) rep.set(args.input, t * N);
        stepArgs = { ...args, input: rep, constInput: false };
      }
      const r = o.kernels.leakyBackward({ ...stepArgs, spk, mem: m, gradSpk, gradMem, ...sur, betaGrad: o.beta.requiresGrad });
      let gThr = 0;
      const sub = o.reset === 'subtract';
      for (let t = 0; t < T; t++) {
        for (let n = 0; n < N; n++) {
          const i = t * N + n;
          if (gradSpk && gradSpk[i] !== 0) gThr -= gradSpk[i] * o.surrogate.grad(m[i] - Math.fround(threshold));
          if (sub && t > 0 && spk[i - N]) gThr -= r.gradInput[i];
        }
      }
      thrT!.ensureGrad()[0] += gThr;
      if (input.requiresGrad) {
        if (o.constInput) {
          const gi = new Float32Array(N);
          for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) gi[n] += r.gradInput[t * N + n];
          accumulateOwnedGrad(input, gi);
        } else accumulateOwnedGrad(input, r.gradInput);
      }
      if (o.beta.requiresGrad) accumulateOwnedGrad(o.beta, r.gradBeta);
    },
  );
  return { ...out, spikes: count };
}

/**
 * Batch rows per Leaky kernel call for a [T, B, H] scan: `chunkRows` when given; else all B while a
 * [T, B, H] float array is within SCAN_SPLIT_BYTES, and above that as many as keep a [T, rows, H] one
 * within SCAN_CHUNK_BYTES (at least one).
 */
export function leakyScanRows(T: number, B: number, H: number, chunkRows?: number): number {
  if (chunkRows !== undefined) {
    checkRange('Leaky chunkRows', chunkRows, 1, Number.MAX_SAFE_INTEGER);
    if (!Number.isInteger(chunkRows)) throw new ValueError(`Leaky chunkRows: expected a positive integer, found ${chunkRows}`);
    return Math.min(chunkRows, B);
  }
  const row = Math.max(T, 1) * H * 4;
  if (row * B <= SCAN_SPLIT_BYTES) return B;
  return Math.max(1, Math.min(B, Math.floor(SCAN_CHUNK_BYTES / row)));
}

/**
 * Rows [b0, b1) of every step of a time-major [T, B, F] array, into `dst` ([T, b1 - b0, F], a view of
 * the right length): the slice of the batch one chunked kernel call sees.
 */
function gatherRows<A extends Float32Array | Uint8Array>(src: A, T: number, B: number, F: number, b0: number, b1: number, dst: A): A {
  const w = (b1 - b0) * F;
  for (let t = 0; t < T; t++) dst.set(src.subarray((t * B + b0) * F, (t * B + b1) * F), t * w);
  return dst;
}

/** Inverse of gatherRows: `src` [T, b1 - b0, F] into rows [b0, b1) of `dst` [T, B, F]. */
function scatterRows<A extends Float32Array | Uint8Array>(src: A, T: number, B: number, F: number, b0: number, b1: number, dst: A): void {
  const w = (b1 - b0) * F;
  for (let t = 0; t < T; t++) dst.set(src.subarray(t * w, (t + 1) * w), (t * B + b0) * F);
}

/** The forward scan `rows` batch rows per kernel call: the same spikes, membrane and count as one call. */
function chunkedForward(k: Kernels, a: LeakyScanArgs, rows: number, wantMem: boolean): LeakyForwardOut {
  const { T, N, H } = a;
  const B = N / H;
  const spk = newU8(T * N, true);
  const mem = wantMem ? newF32(T * N, true) : null;
  const buf = a.constInput ? null : newF32(T * rows * H, true);
  let count = 0;
  for (let b0 = 0; b0 < B; b0 += rows) {
    const b1 = Math.min(B, b0 + rows);
    const n = (b1 - b0) * H;
    const input = buf ? gatherRows(a.input, T, B, H, b0, b1, buf.subarray(0, T * n)) : a.input.subarray(b0 * H, b1 * H);
    const r = k.leakyForward({ ...a, N: n, input }, wantMem);
    scatterRows(r.spk, T, B, H, b0, b1, spk);
    if (mem) scatterRows(r.mem!, T, B, H, b0, b1, mem);
    count += r.count;
    giveBack(r.spk);
    if (r.mem) giveBack(r.mem);
  }
  if (buf) giveBack(buf);
  return { spk, mem, count };
}

/** The backward scan `rows` batch rows per kernel call; returns dL/dinput (gradBeta is not formed: beta is fixed here). */
function chunkedBackward(k: Kernels, a: LeakyBackwardArgs, rows: number): Float32Array {
  const { T, N, H } = a;
  const B = N / H;
  const from = a.gradSpkFrom ?? null;
  const gradInput = newF32(a.constInput ? N : T * N, true);
  // one chunk-sized buffer per operand, reused by every chunk
  const f32 = (on: unknown, F = H) => (on ? newF32(T * rows * F, true) : null);
  const bufs = {
    input: a.constInput ? null : newF32(T * rows * H, true),
    spk: newU8(T * rows * H, true),
    mem: f32(a.mem),
    gradSpk: f32(a.gradSpk),
    gradMem: f32(a.gradMem),
    g: from ? newF32(T * rows * from.o, true) : null,
  };
  const part = <A extends Float32Array | Uint8Array>(src: A | null, buf: A | null, b0: number, b1: number, F = H): A | null =>
    src && buf ? gatherRows(src, T, B, F, b0, b1, buf.subarray(0, T * (b1 - b0) * F) as A) : null;
  for (let b0 = 0; b0 < B; b0 += rows) {
    const b1 = Math.min(B, b0 + rows);
    const n = (b1 - b0) * H;
    const r = k.leakyBackward({
      ...a,
      N: n,
      input: a.constInput ? a.input.subarray(b0 * H, b1 * H) : part(a.input, bufs.input, b0, b1)!,
      spk: part(a.spk, bufs.spk, b0, b1)!,
      mem: part(a.mem, bufs.mem, b0, b1),
      gradSpk: part(a.gradSpk, bufs.gradSpk, b0, b1),
      gradMem: part(a.gradMem, bufs.gradMem, b0, b1),
      gradSpkFrom: from ? { g: part(from.g, bufs.g, b0, b1, from.o)!, w: from.w, o: from.o } : null,
      betaGrad: false,
    });
    if (a.constInput) gradInput.set(r.gradInput, b0 * H);
    else scatterRows(r.gradInput, T, B, H, b0, b1, gradInput);
    giveBack(r.gradInput);
  }
  for (const b of Object.values(bufs)) if (b) giveBack(b);
  return gradInput;
}

/** Validates the shared Leaky options for H neurons; returns the threshold value, its tensor (or null) and the reset code. */
function checkLeakyOptions(
  o: Omit<LeakySequenceOptions, 'steps' | 'constInput'>,
  H: number,
): { threshold: number; thrT: Tensor | null; reset: ResetCode } {
  checkObject('Leaky options', o);
  checkTensor('Leaky beta', o.beta);
  if (o.beta.size !== H)
    throw new ShapeError(`Leaky: the input has ${H} features per step, but beta has ${o.beta.size} values (one per neuron)`);
  const thrT = o.threshold instanceof Tensor ? o.threshold : null;
  if (thrT && thrT.size !== 1 && thrT.size !== H) throw new ShapeError(`Leaky: threshold has ${thrT.size} values, expected 1 or ${H}`);
  const threshold = thrT ? thrT.data[0] : (o.threshold as number);
  checkRange('Leaky threshold', threshold, -1e30, 1e30);
  const reset = RESET_CODES[o.reset];
  if (reset === undefined) throw new ValueError(`Leaky: reset must be subtract, zero or none, found ${String(o.reset)}`);
  const betaData = o.beta.data as Float32Array;
  for (let i = 0; i < H; i++) {
    if (!(betaData[i] >= 0 && betaData[i] <= 1)) throw new ValueError(`Leaky: beta[${i}] = ${betaData[i]} is outside [0, 1]`);
  }
  if (!o.surrogate || typeof o.surrogate.grad !== 'function')
    throw new ValueError(`Leaky: surrogate must be a Surrogate value, found ${String(o.surrogate)}`);
  if (o.surrogate.code !== null)
    checkMethods('Leaky kernels', o.kernels, ['leakyForward', 'leakyBackward'], 'Kernels (defaultKernels() or referenceKernels)');
  if (o.truncate && (o.surrogate.code === null || (thrT && thrT.size !== 1))) {
    throw new ValueError('Leaky: truncated BPTT runs in the fused kernels only (a closed-form surrogate and one threshold)');
  }
  return { threshold, thrT, reset };
}

function surrogateArgs(o: { surrogate: Surrogate; truncate?: number }) {
  return {
    surrogate: o.surrogate.code!,
    surrogateParam: o.surrogate.param,
    surrogateParam2: o.surrogate.param2 ?? 0,
    truncate: o.truncate ?? 0,
  };
}

type DeferredGrad = { g: Float32Array; w: Float32Array; o: number } | null;

/** What the fused Leaky ops return: spikes, membrane (when kept), the spike count, and a gradient offer. */
export interface LeakyOut {
  spk: Tensor;
  mem: Tensor | null;
  spikes: number;
  /**
   * Set when the backward kernel can form the spikes' gradient through a Linear layer they feed: hand it
   * to that layer's linear() as `inputGrad` (the fusion pass does), and g W^T is formed inside this op's
   * backward (one fewer [T, B, H] round trip through JavaScript). Taken at most once.
   */
  offer?: GradOffer;
}

/**
 * The graph of a fused Leaky op: spike and membrane tensors [T, B, H] sharing one backward node (over
 * `parents`), which runs once after both have their gradients. With `deferrable`, it also makes the
 * offer (see LeakyOut) whose (g, W) reaches `run` as `deferred`.
 */
function lifGraph(
  spk: Uint8Array,
  mem: Float32Array | null,
  shape: [number, number, number],
  parents: Tensor[],
  deferrable: boolean,
  run: (grads: { gradSpk: Float32Array | null; gradMem: Float32Array | null; deferred: DeferredGrad; gradSpkRow: boolean }) => void,
): { spk: Tensor; mem: Tensor | null; offer?: GradOffer } {
  let deferred: DeferredGrad = null;
  // a spike gradient that is one value everywhere (sum of the spikes), kept as that value
  let uniform: number | null = null;
  const [T, , H] = shape;
  const N = shape[1] * H;
  const joint: Tensor = new Tensor(new Float32Array(0), [0], {
    parents,
    backward: () => {
      let gradSpk = spkT.grad;
      let gradSpkRow = false;
      if (uniform !== null) {
        if (gradSpk) {
          // another op gave the spikes an array too: the value joins it (as sum's backward would have added it)
          const u = uniform;
          for (let i = 0; i < gradSpk.length; i++) gradSpk[i] += u;
          uniform = null;
        } else {
          // (kept, as a gradient array would be, for a later backward through the same graph)
          gradSpk = T > 0 ? new Float32Array(N).fill(uniform) : new Float32Array(0);
          gradSpkRow = T > 0;
        }
      }
      run({ gradSpk, gradMem: memT?.grad ?? null, deferred, gradSpkRow });
    },
  });
  joint.grad = new Float32Array(0);
  const spkT = new Tensor(spk, shape, { parents: [joint] });
  acceptUniformGrad(spkT, (g) => {
    uniform = uniform === null ? g : Math.fround(uniform + g);
    return true;
  });
  const memT = mem ? new Tensor(mem, shape, { parents: [joint] }) : null;
  if (!deferrable) return { spk: spkT, mem: memT };
  const offer: GradOffer = (g, w, n) => {
    if (deferred) return false;
    deferred = { g, w, o: n };
    return true;
  };
  return { spk: spkT, mem: memT, offer };
}

/**
 * Where the input of spikeLinearLeaky comes from: a [T, B, k] spike sequence, rate-coded values [B, k] with
 * their keys, or a dense [T, B, k] float sequence (data: no gradient flows into it).
 */
export type SpikeInput = { spikes: Tensor } | { values: Tensor; keys: Uint32Array; gain: number } | { dense: Tensor };

/**
 * Training forward of Linear (over data spikes, no gradient of their own) -> Leaky in one kernel call
 * (Kernels.spikeSeqLeakyForward): the [T, B, H] currents never reach JavaScript; the kernels keep them
 * for the backward, which forms dW, db and dbeta in one call (leakyBackward with saved currents and
 * gradWeightInto). Equals linear() then leakySequence(). Needs a closed-form surrogate, a fixed
 * threshold and a weight (and bias) that require grad; a rate source is drawn inside the kernel.
 */
export function spikeLinearLeaky(
  src: SpikeInput,
  steps: number,
  weight: Tensor,
  bias: Tensor | null,
  o: Omit<LeakySequenceOptions, 'steps' | 'constInput'>,
): LeakyOut {
  const [K, H] = weight.shape;
  const { threshold, thrT, reset } = checkLeakyOptions(o, H);
  // (a threshold tensor of H values would otherwise be read as its first value)
  if (
    o.surrogate.code === null ||
    (thrT && (thrT.requiresGrad || thrT.size !== 1)) ||
    !weight.requiresGrad ||
    (bias && !bias.requiresGrad)
  ) {
    throw new ValueError('spikeLinearLeaky: needs a closed-form surrogate, one fixed threshold and trainable weight and bias');
  }
  const T = steps;
  const kernelSrc =
    'dense' in src
      ? { dense: src.dense.data as Float32Array }
      : 'spikes' in src
        ? { spikes: src.spikes.data as Uint8Array }
        : { values: src.values.data as Float32Array, keys: src.keys, gain: src.gain };
  const B = 'dense' in src ? src.dense.shape[1] : 'spikes' in src ? src.spikes.shape[1] : src.values.shape[0];
  const lif = { T, N: B * H, H, beta: o.beta.data as Float32Array, threshold, reset };
  const f = o.kernels.spikeSeqLeakyForward(
    kernelSrc,
    weight.data as Float32Array,
    bias ? (bias.data as Float32Array) : null,
    K,
    lif,
    o.keepMem ?? true,
  );
  if (f.count < 0) throw new ValueError(`rateEncode: input value ${-1 - f.count} is NaN`);
  const sur = surrogateArgs(o);
  const parents = bias ? [weight, bias, o.beta] : [weight, o.beta];
  const out = lifGraph(f.spk, f.mem, [T, B, H], parents, true, ({ gradSpk, gradMem, deferred, gradSpkRow }) => {
    const into = { k: K, dw: weight.ensureGrad(), gradBias: bias ? bias.ensureGrad() : null };
    const r = o.kernels.leakyBackward({
      ...lif,
      input: new Float32Array(0),
      constInput: false,
      spk: f.spk,
      mem: f.mem,
      gradSpk,
      gradSpkRow,
      gradSpkFrom: deferred,
      gradMem,
      gradWeightInto: into,
      saved: f.saved,
      ...sur,
      betaGrad: o.beta.requiresGrad,
    });
    if (o.beta.requiresGrad) accumulateOwnedGrad(o.beta, r.gradBeta);
  });
  return { ...out, spikes: f.count };
}
