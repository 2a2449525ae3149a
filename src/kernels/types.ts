import type { ArraySpace } from '../core/buffers.js';
import type { NeuronBackwardArgs, NeuronBlockArgs } from './neuron-block.js';

/**
 * The kernel contract. Two implementations exist: the TypeScript reference (reference.ts, the truth
 * in tests) and the AssemblyScript WASM SIMD kernels (wasm.ts). Both take plain typed arrays, so either
 * can be swapped in; all matrices are row-major.
 *
 * Spikes are Uint8Array holding 0 or 1 per element (4x smaller than float32, and what the
 * spike-driven kernels iterate over).
 */

/** Reset mechanism of a leaky integrate-and-fire neuron (snnTorch names). */
export const enum ResetCode {
  Subtract = 0,
  Zero = 1,
  None = 2,
}

/** Surrogate-gradient families the WASM LIF kernel evaluates natively. */
export const enum SurrogateCode {
  /** d/dx = alpha/2 / (1 + (pi/2 * alpha * x)^2)  (p = alpha) */
  Atan = 0,
  /** d/dx = 1 / (slope*|x| + 1)^2  (p = slope) */
  FastSigmoid = 1,
  /** d/dx = slope * e^{-slope x} / (1 + e^{-slope x})^2  (p = slope) */
  Sigmoid = 2,
  /** d/dx = p for x < 0, -p for x >= 0 (snnTorch 0.9.4 triangular; p = threshold) */
  Triangular = 3,
  /** d/dx = p2 * exp(-p |x - 1|)  (snnTorch spike_rate_escape; p = beta, p2 = slope) */
  SpikeRateEscape = 4,
  /** d/dx = 1 (straight-through estimator) */
  StraightThrough = 5,
  /** d/dx = exp(-x^2 / (2 p^2)) / (p sqrt(2 pi))  (p = sigma) */
  Gaussian = 6,
  /** d/dx = max(0, 1 - |x| / p)  (the textbook triangle; p = half-width) */
  Triangle = 7,
  /** d/dx = p2 / (1 + (pi p x)^2)  (the tutorials' arctangent forms; p = k, p2 = height) */
  ScaledAtan = 8,
}

export interface LeakyScanArgs {
  /** Number of time steps. */
  T: number;
  /** Number of neurons per step (batch * features), N = B * H. */
  N: number;
  /** Features per sample; neuron n uses beta[n % H] (and threshold). */
  H: number;
  /** Input current, [T, N]; or [N] when `constInput` (the same current at every step). */
  input: Float32Array;
  constInput: boolean;
  /** Decay, length H (a scalar beta is passed as H copies). Must lie in [0, 1]. */
  beta: Float32Array;
  threshold: number;
  reset: ResetCode;
}

/** The Leaky layer of a fused Linear -> Leaky kernel: the scan's arguments but its input (the currents the kernel forms). */
export type LeakyLayerArgs = Omit<LeakyScanArgs, 'input' | 'constInput'>;

/**
 * The operands the Linear -> Leaky -> Linear fusions (seqLeakyProject, rateLeakyProject) share after
 * their spike source: the first Linear's weight w [k, H] and bias [H], its input width k, the Leaky
 * layer, the second Linear's weight w2 [H, o], and out [T * B, o] (added to when accumulate).
 */
export type LeakyProjectTail = [
  w: Float32Array,
  bias: Float32Array | null,
  k: number,
  lif: LeakyLayerArgs,
  w2: Float32Array,
  o: number,
  out: Float32Array,
  accumulate: boolean,
];

export interface LeakyForwardOut {
  /** Spikes [T, N], 0/1. */
  spk: Uint8Array;
  /** Membrane potential after the update of each step, [T, N] (what snnTorch returns as mem); null unless wantMem. */
  mem: Float32Array | null;
  /** Total number of spikes in spk. */
  count: number;
}

/**
 * The input currents of a Leaky layer that a training forward (Kernels.spikeSeqLeakyForward) left with
 * the kernels for its backward, with the spikes they came from. Opaque: made by one Kernels object and
 * given back to its leakyBackward. The WASM kernels keep them in their own memory; a later
 * spikeSeqLeakyForward may reuse that memory, and the backward then recomputes them (same values).
 */
export interface SavedCurrents {
  readonly kernels: 'wasm' | 'reference';
  /** T * N currents, from T * B * k spikes. */
  readonly T: number;
  readonly N: number;
  readonly k: number;
}

/** Spikes feeding a Linear layer: a time-major sequence [T, B, k], or rate-coded values [B, k] with their keys (Kernels.rateSpikes). */
export type SpikeSource = { spikes: Uint8Array } | { values: Float32Array; keys: Uint32Array; gain: number } | DenseSource;

/**
 * A dense time-major input [T, B, k] feeding the Linear layer (data: no gradient of its own), for
 * spikeSeqLeakyForward: the currents are dense @ w + bias (matmul, then addBias, as the unfused layers run
 * them), and the backward adds dw += dense^T dL/dI and gradBias += its column sums (matmul with transA,
 * sumRows). `gemm`, where given, runs those two products instead of the kernels' own GEMM, on operands that
 * may be views of the kernels' memory (the BLAS tier passes its sgemm, so that neither the currents nor
 * their gradient are copied between JavaScript and WASM memory); it must equal Kernels.matmul's contract.
 */
export interface DenseSource {
  dense: Float32Array;
  gemm?: Kernels['matmul'] | null;
}

export interface LeakyBackwardArgs extends LeakyScanArgs {
  /** Forward results. When mem is null the kernel recomputes it from the input (cheaper than storing it). */
  spk: Uint8Array;
  mem: Float32Array | null;
  /** dL/dspk [T, N] (or [N] with gradSpkRow), or null when no gradient reaches the spikes. */
  gradSpk: Float32Array | null;
  /**
   * gradSpk is one row [N], the same spike gradient at every step (e.g. the gradient of a sum of the
   * spikes): the [T, N] array it stands for is never made. Default false.
   */
  gradSpkRow?: boolean;
  /** dL/dmem [T, N], or null when no gradient reaches the membrane outputs. */
  gradMem: Float32Array | null;
  /**
   * A spike gradient given through the Linear layer the spikes feed: dL/dspk += g w^T, g [T*N/H, o] the
   * gradient of that layer's output, w [H, o] its weight. Formed inside the call (the same GEMM the layer's
   * backward would run), so the [T, N] spike gradient need not exist outside the kernels.
   */
  gradSpkFrom?: { g: Float32Array; w: Float32Array; o: number } | null;
  /**
   * The input is the output of a Linear over the time-major 0/1 spike sequence s [T, B, k] (data, no
   * gradient of its own; or over the dense source the saved currents came from, see DenseSource): instead of returning dL/dinput, the call adds that Linear's parameter
   * gradients, dw [k, H] += S^T dL/dinput and gradBias [H] += its column sums (spikeSeqGradW's order),
   * so the [T, N] input gradient never leaves the kernels. gradInput then comes back empty. Not with
   * constInput.
   */
  gradWeightInto?: { s?: Uint8Array; k: number; dw: Float32Array; gradBias: Float32Array | null } | null;
  /**
   * The input currents saved by spikeSeqLeakyForward (then `input` is empty and gradWeightInto's s is
   * omitted: both are the saved ones).
   */
  saved?: SavedCurrents | null;
  surrogate: SurrogateCode;
  /** Surrogate parameter (alpha for atan, slope for the sigmoids). */
  surrogateParam: number;
  /** Second surrogate parameter (spike-rate escape: slope); 0 when omitted. */
  surrogateParam2?: number;
  /**
   * Truncated BPTT: the membrane is detached every `truncate` steps (entering steps K, 2K, ...), so no
   * gradient flows back across those boundaries (beta still gets its local term). 0 or absent: full BPTT.
   */
  truncate?: number;
  /** Form dL/dbeta (default true); false when beta is fixed: its terms are then skipped and gradBeta comes back empty. */
  betaGrad?: boolean;
}

export interface LeakyBackwardOut {
  /** dL/dinput: [T, N], or [N] (summed over time) when constInput; empty with gradWeightInto. */
  gradInput: Float32Array;
  /** dL/dbeta, length H, summed over batch and time; empty when betaGrad is false. */
  gradBeta: Float32Array;
}

/**
 * Geometry of a convolution over n channels-last images: input [n][H][W][C], output [n][outH][outW][O],
 * weight [kH][kW][C][O]; output pixel (oy, ox) reads input (oy*stride - pad + ky, ox*stride - pad + kx).
 */
export interface ConvShape {
  n: number;
  H: number;
  W: number;
  C: number;
  O: number;
  kH: number;
  kW: number;
  stride: number;
  pad: number;
  outH: number;
  outW: number;
}

/** The max pooling fused after a convolution: k x k windows with the given stride over its output. */
export interface ConvPool {
  k: number;
  stride: number;
  outH: number;
  outW: number;
}

/** Max pooling of n channels-last images [n][H][W][C] with k x k windows (no padding) into [n][outH][outW][C]. */
export interface PoolShape {
  n: number;
  H: number;
  W: number;
  C: number;
  k: number;
  stride: number;
  outH: number;
  outW: number;
}

/**
 * snnTorch Leaky semantics with zero initial state (reset uses the previous step's spike, detached):
 *   r_t   = spk_{t-1}  (r_1 = 0)
 *   subtract: mem_t = beta*mem_{t-1} + I_t - r_t*thr
 *   zero:     mem_t = beta*(1 - r_t)*mem_{t-1} + I_t
 *   none:     mem_t = beta*mem_{t-1} + I_t
 *   spk_t = mem_t - thr > 0 ? 1 : 0
 * Backward (r_t detached, gradient through the spike via the surrogate s'):
 *   g_t = gradMem_t + gradSpk_t * s'(mem_t - thr) + a_{t+1} * g_{t+1},   a_t = beta (or beta*(1-r_t) for zero)
 *   gradInput_t = g_t;  gradBeta += g_t * mem_{t-1} (times (1 - r_t) for zero)
 */
/** One Adam step's coefficients (PyTorch's rule); see Kernels.adamUpdate. */
export interface AdamCoefficients {
  b1: number;
  b2: number;
  eps: number;
  /** lr / (1 - b1^t) */
  stepSize: number;
  /** sqrt(1 - b2^t) */
  c2: number;
}

/**
 * Adam moments held by the kernels between steps (adamStep), so that they need not cross into the
 * kernels and back at every step. Opaque; made by adamState from two arrays, which hold stale values
 * until adamStateRead copies the moments back into them.
 */
export interface AdamState {
  readonly kernels: 'wasm' | 'reference';
  readonly n: number;
}

/** A gradient given as the weighted sum of per-thread buffers (equal lengths). */
export interface GradientSum {
  grads: Float32Array[];
  weights: number[];
}

export interface Kernels {
  readonly name: 'wasm' | 'reference';
  /** true for the relaxed-SIMD WASM build: its multiply-adds are fused (one rounding instead of two). */
  readonly fusedMultiplyAdd: boolean;
  /** Threads one kernel call may use (the WASM kernels' thread pool, caller included); absent: 1. See kernelThreads. */
  readonly threads?: number;
  /**
   * Splits later calls over n threads (the caller's included), starting workers as needed; returns the
   * threads the kernels now use (1 where they cannot run threads). Absent: one thread. See setKernelThreads.
   */
  setThreads?(n: number): number;
  /** Stops the kernels' worker threads, if any (the kernels then run on one thread, and setThreads cannot add any). */
  close?(): void;
  /**
   * Where a training step's large arrays can live so that these kernels read and write them in place
   * (the WASM kernels on a shared memory: no copy in and out per call); absent: ordinary arrays. Used
   * by Tape and runBatch (core/buffers.ts).
   */
  readonly arraySpace?: ArraySpace;
  /**
   * C = op(A) @ op(B), or C += op(A) @ op(B) when `accumulate`.
   * op(A) is [M, K]: A is stored [M, K], or [K, M] when transA. op(B) is [K, N]: B is [K, N], or [N, K] when transB.
   */
  matmul(
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    m: number,
    k: number,
    n: number,
    transA: boolean,
    transB: boolean,
    accumulate: boolean,
  ): void;
  /** C[M, N] (+)= S[M, K] @ W[K, N] for 0/1 spikes S: adds row k of W for every spike. */
  spikeMatmul(s: Uint8Array, w: Float32Array, c: Float32Array, m: number, k: number, n: number, accumulate: boolean): void;
  /** dW[K, N] += S[M, K]^T @ G[M, N] for 0/1 spikes S: adds row m of G into row k of dW for every spike. */
  spikeMatmulGradW(s: Uint8Array, g: Float32Array, dw: Float32Array, m: number, k: number, n: number): void;
  /**
   * spikeMatmul for a time-major spike sequence S [T, B, K] (row t*B + b), C [T*B, N]: the same product,
   * computed with complement coding. An input i of sample b that is nonzero at more than (T + 1) / 2 of
   * the steps ("flipped") contributes C0[b] = sum of its rows once, then minus its row at each step where it
   * is silent; every other input adds its row where it spikes. Rate-coded bright pixels so cost a row only
   * when they miss a step. Exact order of the float additions, per output element: v = C0[b] (with C0 summed
   * from zero over the flipped i in ascending order), or c + C0[b] when accumulating; then the row's events
   * in ascending i, +W[i] for each plain spike and -W[i] for each silent step of a flipped input, added in
   * pairs (v + (e1 + e2), ..., then the odd last one); C0[b] is summed in pairs the same way. Without flips, or for
   * N <= 16, this is spikeMatmul(s, w, c, T*B, K, N, accumulate). With `bias`, it is then added to every
   * row exactly as addBias does (fused: the WASM kernels save a round trip of C through their memory).
   */
  spikeSeqMatmul(
    s: Uint8Array,
    w: Float32Array,
    c: Float32Array,
    t: number,
    b: number,
    k: number,
    n: number,
    accumulate: boolean,
    bias?: Float32Array | null,
  ): void;
  /**
   * dW[K, N] += S^T G for a time-major spike sequence S [T, B, K], G [T*B, N], with the complement coding
   * of spikeSeqMatmul. Order per element of dW row i: for rows r ascending, +G[r] for each plain spike
   * and -G[r] for each silent step of a flipped input; then, for samples b ascending with (b, i) flipped,
   * + Gsum[b] = sum over t ascending (from zero) of G[t*B + b]. Without flips, or for N <= 16, this is
   * spikeMatmulGradW(s, g, dw, T*B, K, N). With `gradBias`, the column sums of G are then added to it,
   * sample by sample: for b ascending, gradBias += (the sum over t ascending, from zero, of G[t*B + b]),
   * the sums the flipped inputs' Gsum terms use (fused: no pass over G of its own).
   */
  spikeSeqGradW(
    s: Uint8Array,
    g: Float32Array,
    dw: Float32Array,
    t: number,
    b: number,
    k: number,
    n: number,
    gradBias?: Float32Array | null,
  ): void;
  /** out[j] (+)= sum over rows of X[M, N] (bias gradients). */
  sumRows(x: Float32Array, out: Float32Array, m: number, n: number, accumulate: boolean): void;
  /** C[M, N] += bias[N] broadcast over rows. */
  addBias(c: Float32Array, bias: Float32Array, m: number, n: number): void;
  /**
   * The softmax of each row of x [rows, C], in float64 as crossEntropyOverTime defines it: m = the row's
   * largest value (its first, then any larger), e_c = Math.exp(x_c - m), z = e_0 + ... + e_{C-1} in order;
   * probs[r, c] = e_c / z (rounded to float32), stat[2r] = m, stat[2r + 1] = z. Every implementation gives
   * the same bits (the WASM kernel computes e^x as Math.exp does).
   */
  softmaxRows(x: Float32Array, probs: Float32Array, stat: Float64Array, rows: number, C: number): void;
  /** gx[r, c] += g (probs[r, c] - [c == targets[r % B]]), each in float64 then rounded to float32: the cross-entropy's gradient. */
  softmaxRowsBackward(gx: Float32Array, probs: Float32Array, targets: Int32Array, rows: number, B: number, C: number, g: number): void;
  leakyForward(args: LeakyScanArgs, wantMem?: boolean): LeakyForwardOut;
  /**
   * The shared neuron scan over one block of time steps (neuron-block.ts): fills args.st and args.spk;
   * returns the spike count, or -1 when the spec refused a state (e.g. a diverging membrane). Runs in
   * WASM for specs with a WASM model, else in TypeScript; forward results are the same bit for bit.
   */
  neuronForward(args: NeuronBlockArgs): number;
  /** Its backward over the block: fills gx, accumulates gp, leaves the carries for the block before. */
  neuronBackward(args: NeuronBackwardArgs): void;
  leakyBackward(args: LeakyBackwardArgs): LeakyBackwardOut;
  /**
   * Inference fusion of a Leaky layer and the Linear layer it feeds (no gradients): runs the scan and
   * adds row h of W [H, O] into out[t*B + b] for every spike of neuron h at (t, b), without
   * materialising the spikes. Equals leakyForward followed by spikeMatmul. Returns the spike count.
   */
  leakyProject(args: LeakyScanArgs, w: Float32Array, o: number, out: Float32Array, accumulate: boolean): number;
  /**
   * Inference fusion of Linear (spike-sequence input) -> Leaky -> Linear: the current
   * spikeSeqMatmul(s, w, I, T, B, K, H, false, bias) (B = N / H) stays in the kernels' memory and feeds
   * leakyProject({ ...lif, input: I, constInput: false }, w2, o, out, accumulate). Equals those two calls
   * bit for bit, without the [T, B, H] current crossing into JavaScript. Returns the Leaky layer's spike count.
   */
  seqLeakyProject(s: Uint8Array, ...rest: LeakyProjectTail): number;
  /**
   * Training forward of Linear (spike input) -> Leaky: the currents I = spikeSeqMatmul(s, w, T, B, k, H,
   * false, bias) of the spikes s (drawn by rateSpikes for a rate source) and leakyForward({ ...lif, input:
   * I, constInput: false }, wantMem), bit for bit, with I and s saved for leakyBackward instead of
   * returned. count is -1 - i for a NaN at values[i] of a rate source.
   */
  spikeSeqLeakyForward(
    src: SpikeSource,
    w: Float32Array,
    bias: Float32Array | null,
    k: number,
    lif: LeakyLayerArgs,
    wantMem: boolean,
  ): LeakyForwardOut & { saved: SavedCurrents };
  /** out = conv(s, w) + bias for 0/1 spike images (out overwritten): sums of weight rows, one per spike and tap. */
  convSpikeForward(s: Uint8Array, w: Float32Array, bias: Float32Array | null, out: Float32Array, g: ConvShape): void;
  /** dw += weight gradient of conv(s, w) for output gradient gOut, spike images s. */
  convSpikeGradW(s: Uint8Array, gOut: Float32Array, dw: Float32Array, g: ConvShape): void;
  /** gIn += input gradient of conv(., w) for output gradient gOut (zeros in gOut are skipped). */
  convGradInput(gOut: Float32Array, w: Float32Array, gIn: Float32Array, g: ConvShape): void;
  /** y = max over each window; arg = flat index into x of the window's first maximum. */
  maxPoolForward(x: Float32Array, y: Float32Array, arg: Int32Array, g: PoolShape): void;
  /**
   * Conv (spike input, + bias) fused with max pooling: y [n][pH][pW][O] pooled outputs, arg = position
   * ky*k + kx of each window's first maximum within the window (pool windows of at most 256 elements,
   * k <= 16). The conv output is never stored.
   */
  convPoolSpikeForward(
    s: Uint8Array,
    w: Float32Array,
    bias: Float32Array | null,
    y: Float32Array,
    arg: Uint8Array,
    g: ConvShape,
    pool: ConvPool,
  ): void;
  /**
   * Backward of convPoolSpikeForward for pooled gradient gy: dw += weight gradient, gIn += input gradient
   * (each when not null; gIn = input gradient when `accumulate` is false, its old values unread).
   */
  convPoolSpikeBackward(
    s: Uint8Array,
    gy: Float32Array,
    arg: Uint8Array,
    w: Float32Array,
    dw: Float32Array | null,
    gIn: Float32Array | null,
    g: ConvShape,
    pool: ConvPool,
    accumulate?: boolean,
  ): void;
  /**
   * Adam step over every element of w (m, v: its moments, updated in place), in float32 like torch:
   * m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2, w -= stepSize m / (sqrt(v) / c2 + eps).
   * g may be a weighted sum of gradient buffers (one per thread): g = sum_r weights[r] grads[r], computed
   * in that order in the same pass and stored back into grads[0].
   */
  adamUpdate(w: Float32Array, g: Float32Array | GradientSum, m: Float32Array, v: Float32Array, c: AdamCoefficients): void;
  /** Moments m, v (equal lengths) handed to the kernels for adamStep, starting from their current values. */
  adamState(m: Float32Array, v: Float32Array): AdamState;
  /** adamUpdate with the moments of `state` (the same arithmetic, bit for bit). */
  adamStep(w: Float32Array, g: Float32Array | GradientSum, state: AdamState, c: AdamCoefficients): void;
  /** Copies the moments of `state` into the arrays it was made from (which it returns). */
  adamStateRead(state: AdamState): { m: Float32Array; v: Float32Array };
  /** adamStateRead, then releases the state's memory (the state can no longer be used). */
  adamStateFree(state: AdamState): { m: Float32Array; v: Float32Array };
  /**
   * Rate (Bernoulli) spikes of `samples` samples of f = x.length / samples values: out [steps, samples, f]
   * (time-major) = 1 where value i of sample s fires at step t. p = x * gain: never at or below 0, always
   * from 1, else when rateDraw(keys[2s], keys[2s + 1], t * f + i) < p * 2^32 (src/core/rng.ts).
   * Returns -1, or the index into x of the first NaN value (out then incomplete).
   */
  rateSpikes(x: Float32Array, keys: Uint32Array, samples: number, steps: number, gain: number, out: Uint8Array): number;
  /**
   * seqLeakyProject on the spikes rateSpikes(x, keys, B, T, gain) would give (x [B, k]), drawn one sample
   * at a time inside the kernel (the [T, B, k] spikes are never stored). Returns the spike count, or
   * -1 - i for a NaN at x[i].
   */
  rateLeakyProject(x: Float32Array, keys: Uint32Array, gain: number, ...rest: LeakyProjectTail): number;
}

/** How many threads one call of these kernels may use (1 for kernels without a thread pool). */
export function kernelThreads(kernels: Kernels): number {
  return kernels.threads ?? 1;
}

/** Splits the kernels' later calls over n threads where they have a thread pool; returns the threads they now use. */
export function setKernelThreads(kernels: Kernels, n: number): number {
  return kernels.setThreads ? kernels.setThreads(n) : 1;
}
