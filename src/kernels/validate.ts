import { ShapeError, ValueError } from '../core/errors.js';
import {
  ResetCode,
  SurrogateCode,
  type ConvShape,
  type LeakyBackwardArgs,
  type LeakyLayerArgs,
  type LeakyProjectTail,
  type LeakyScanArgs,
  type PoolShape,
  type ConvPool,
  type GradientSum,
  type SpikeSource,
} from './types.js';

/**
 * Argument checks shared by both kernel implementations, so the reference and the WASM kernels reject
 * exactly the same calls with the same messages. Each check is O(1) or O(H): cheap next to the kernel.
 */

/** Throws ShapeError unless `arr` has exactly `n` elements. */
export function need(kernel: string, name: string, arr: ArrayLike<number>, n: number): void {
  if (arr.length !== n) throw new ShapeError(`${kernel}: ${name} has ${arr.length} elements, expected ${n}`);
}

/** Throws ValueError unless every size is a non-negative integer. */
export function checkDims(kernel: string, dims: Record<string, number>): void {
  for (const [name, v] of Object.entries(dims)) {
    if (!Number.isInteger(v) || v < 0) throw new ValueError(`${kernel}: ${name} must be a non-negative integer, found ${String(v)}`);
  }
}

/** op(A) [M, K] @ op(B) [K, N] -> C [M, N]; the stored lengths are the same whatever the transposes. */
export function checkMatmul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  c: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
  kernel = 'matmul',
): void {
  checkDims(kernel, { m, k, n });
  need(kernel, kernel === 'matmul' ? 'A' : 'S', a, m * k);
  need(kernel, kernel === 'matmul' ? 'B' : 'W', b, k * n);
  need(kernel, 'C', c, m * n);
}

export function checkSpikeGradW(s: ArrayLike<number>, g: ArrayLike<number>, dw: ArrayLike<number>, m: number, k: number, n: number): void {
  const kernel = 'spikeMatmulGradW';
  checkDims(kernel, { m, k, n });
  need(kernel, 'S', s, m * k);
  need(kernel, 'G', g, m * n);
  need(kernel, 'dW', dw, k * n);
}

/** A time-major spike sequence S [T, B, K] against W or G (K or T*B rows of N) and the output. */
export function checkSpikeSeq(
  kernel: 'spikeSeqMatmul' | 'spikeSeqGradW',
  s: ArrayLike<number>,
  x: ArrayLike<number>,
  out: ArrayLike<number>,
  t: number,
  b: number,
  k: number,
  n: number,
): void {
  checkDims(kernel, { t, b, k, n });
  need(kernel, 'S', s, t * b * k);
  if (kernel === 'spikeSeqMatmul') {
    need(kernel, 'W', x, k * n);
    need(kernel, 'C', out, t * b * n);
  } else {
    need(kernel, 'G', x, t * b * n);
    need(kernel, 'dW', out, k * n);
  }
}

export function checkRows(kernel: 'sumRows' | 'addBias', x: ArrayLike<number>, v: ArrayLike<number>, m: number, n: number): void {
  checkDims(kernel, { m, n });
  need(kernel, kernel === 'sumRows' ? 'X' : 'C', x, m * n);
  need(kernel, kernel === 'sumRows' ? 'out' : 'bias', v, n);
}

export function checkSoftmax(x: ArrayLike<number>, probs: ArrayLike<number>, stat: ArrayLike<number>, rows: number, C: number): void {
  checkDims('softmaxRows', { rows, C });
  need('softmaxRows', 'x', x, rows * C);
  need('softmaxRows', 'probs', probs, rows * C);
  need('softmaxRows', 'stat', stat, 2 * rows);
}

export function checkSoftmaxBackward(
  gx: ArrayLike<number>,
  probs: ArrayLike<number>,
  targets: ArrayLike<number>,
  rows: number,
  B: number,
  C: number,
): void {
  const kernel = 'softmaxRowsBackward';
  checkDims(kernel, { rows, B, C });
  need(kernel, 'gx', gx, rows * C);
  need(kernel, 'probs', probs, rows * C);
  need(kernel, 'targets', targets, B);
  if (rows > 0 && (B === 0 || rows % B !== 0)) throw new ShapeError(`${kernel}: ${rows} rows are not whole batches of ${B}`);
  checkClasses(kernel, targets, C, 'targets');
}

/** Throws ValueError unless every one of `targets` is a class index in [0, C) (the losses' and their kernels' check). */
export function checkClasses(who: string, targets: ArrayLike<number>, C: number, label = 'target'): void {
  for (let b = 0; b < targets.length; b++) {
    const y = targets[b];
    if (!Number.isInteger(y) || y < 0 || y >= C) throw new ValueError(`${who}: ${label}[${b}] = ${y} is not a class in [0, ${C})`);
  }
}

export function checkLeaky(kernel: string, a: LeakyScanArgs): void {
  checkDims(kernel, { T: a.T, N: a.N, H: a.H });
  if (a.H < 1 || a.N % a.H !== 0) throw new ShapeError(`${kernel}: N = ${a.N} is not a multiple of H = ${a.H}`);
  need(kernel, 'input', a.input, a.constInput ? a.N : a.T * a.N);
  need(kernel, 'beta', a.beta, a.H);
  for (let h = 0; h < a.H; h++) {
    const b = a.beta[h];
    if (!(b >= 0 && b <= 1)) throw new ValueError(`${kernel}: beta[${h}] = ${b} is outside [0, 1]`);
  }
  if (!Number.isFinite(a.threshold)) throw new ValueError(`${kernel}: threshold must be finite, found ${a.threshold}`);
  if (a.reset !== ResetCode.Subtract && a.reset !== ResetCode.Zero && a.reset !== ResetCode.None) {
    throw new ValueError(`${kernel}: unknown reset code ${String(a.reset)} (expected 0 subtract, 1 zero, 2 none)`);
  }
}

export function checkLeakyBackward(a: LeakyBackwardArgs): void {
  const kernel = 'leakyBackward';
  if (a.saved) {
    if (a.constInput) throw new ValueError(`${kernel}: saved currents are time-varying, not constInput`);
    if (a.saved.T !== a.T || a.saved.N !== a.N) {
      throw new ShapeError(`${kernel}: saved currents are for T = ${a.saved.T}, N = ${a.saved.N}, the call has T = ${a.T}, N = ${a.N}`);
    }
    if (a.gradWeightInto && a.gradWeightInto.k !== a.saved.k) {
      throw new ShapeError(`${kernel}: gradWeightInto.k = ${a.gradWeightInto.k}, the saved spikes have k = ${a.saved.k}`);
    }
    checkLeaky(kernel, { ...a, input: { length: a.T * a.N } as Float32Array });
  } else checkLeaky(kernel, a);
  const TN = a.T * a.N;
  need(kernel, 'spk', a.spk, TN);
  if (a.mem) need(kernel, 'mem', a.mem, TN);
  if (a.gradSpkRow !== undefined && typeof a.gradSpkRow !== 'boolean')
    throw new ValueError(`${kernel}: gradSpkRow must be a boolean, found ${String(a.gradSpkRow)}`);
  if (a.gradSpk) need(kernel, 'gradSpk', a.gradSpk, a.gradSpkRow ? a.N : TN);
  if (a.gradMem) need(kernel, 'gradMem', a.gradMem, TN);
  if (a.gradSpkFrom) {
    const { g, w, o } = a.gradSpkFrom;
    if (!Number.isInteger(o) || o < 1) throw new ValueError(`${kernel}: gradSpkFrom.o must be a positive integer, found ${String(o)}`);
    need(kernel, 'gradSpkFrom.g', g, (TN / a.H) * o);
    need(kernel, 'gradSpkFrom.w', w, a.H * o);
  }
  if (a.gradWeightInto) {
    const { s, k, dw, gradBias } = a.gradWeightInto;
    if (a.constInput) throw new ValueError(`${kernel}: gradWeightInto needs a time-varying input, not constInput`);
    if (!Number.isInteger(k) || k < 0)
      throw new ValueError(`${kernel}: gradWeightInto.k must be a non-negative integer, found ${String(k)}`);
    if (!a.saved) {
      if (!s) throw new ValueError(`${kernel}: gradWeightInto needs the spikes s (or saved currents)`);
      need(kernel, 'gradWeightInto.s', s, (TN / a.H) * k);
    }
    need(kernel, 'gradWeightInto.dw', dw, k * a.H);
    if (gradBias) need(kernel, 'gradWeightInto.gradBias', gradBias, a.H);
  }
  if (!Number.isInteger(a.surrogate) || a.surrogate < SurrogateCode.Atan || a.surrogate > SurrogateCode.ScaledAtan) {
    throw new ValueError(
      `${kernel}: unknown surrogate code ${String(a.surrogate)} (expected 0 atan, 1 fastSigmoid, 2 sigmoid, 3 triangular, 4 spikeRateEscape, 5 straightThrough, 6 gaussian, 7 triangle, 8 scaled atan)`,
    );
  }
  if (!Number.isFinite(a.surrogateParam)) throw new ValueError(`${kernel}: surrogateParam must be finite, found ${a.surrogateParam}`);
  if (a.betaGrad !== undefined && typeof a.betaGrad !== 'boolean')
    throw new ValueError(`${kernel}: betaGrad must be a boolean, found ${String(a.betaGrad)}`);
  if (a.truncate !== undefined && (!Number.isInteger(a.truncate) || a.truncate < 0)) {
    throw new ValueError(`${kernel}: truncate must be a non-negative integer (0: full BPTT), found ${String(a.truncate)}`);
  }
  if (a.surrogateParam2 !== undefined && !Number.isFinite(a.surrogateParam2)) {
    throw new ValueError(`${kernel}: surrogateParam2 must be finite, found ${a.surrogateParam2}`);
  }
  if (a.surrogate === SurrogateCode.Gaussian && !(a.surrogateParam > 0)) {
    throw new ValueError(`${kernel}: the gaussian surrogate needs sigma > 0, found ${a.surrogateParam}`);
  }
  if (a.surrogate === SurrogateCode.Triangle && !(a.surrogateParam > 0)) {
    throw new ValueError(`${kernel}: the triangle surrogate needs a width > 0, found ${a.surrogateParam}`);
  }
}

/** leakyProject: the scan's arguments plus W [H, o] and out [T * B, o]. */
export function checkLeakyProject(a: LeakyScanArgs, w: ArrayLike<number>, o: number, out: ArrayLike<number>): void {
  checkLeaky('leakyProject', a);
  checkDims('leakyProject', { o });
  need('leakyProject', 'W', w, a.H * o);
  need('leakyProject', 'out', out, a.T * (a.N / a.H) * o);
}

/** seqLeakyProject: the spike sequence and first weight against the Leaky layer's size, then leakyProject's checks. */
export function checkSeqLeakyProject(s: ArrayLike<number>, ...rest: LeakyProjectTail): void {
  const kernel = 'seqLeakyProject';
  const [, , k, lif, , o] = rest;
  checkLayerSizes(kernel, k, lif, o);
  need(kernel, 'S', s, lif.T * (lif.N / lif.H) * k);
  checkProjectRest(kernel, rest);
}

/** spikeSeqLeakyForward: the spike source for B = N / H samples, W [k, H], bias, then the scan's checks. */
export function checkSpikeSeqLeaky(
  src: SpikeSource,
  w: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  k: number,
  lif: LeakyLayerArgs,
): void {
  const kernel = 'spikeSeqLeakyForward';
  checkLayerSizes(kernel, k, lif, 1);
  const B = lif.N / lif.H;
  if ('spikes' in src) need(kernel, 'S', src.spikes, lif.T * B * k);
  else if ('dense' in src) {
    need(kernel, 'dense', src.dense, lif.T * B * k);
    if (src.gemm != null && typeof src.gemm !== 'function') throw new ValueError(`${kernel}: dense gemm must be a function`);
  } else {
    need(kernel, 'values', src.values, B * k);
    checkRateSpikes(kernel, { length: B * k }, src.keys, B, lif.T, src.gain);
  }
  need(kernel, 'W', w, k * lif.H);
  checkBias(kernel, bias, lif.H);
  checkLeaky(kernel, { ...lif, input: { length: lif.T * lif.N } as Float32Array, constInput: false });
}

/** rateLeakyProject: values [B, k] and keys for the B samples of the Leaky layer, then seqLeakyProject's checks. */
export function checkRateLeakyProject(x: ArrayLike<number>, keys: ArrayLike<number>, gain: number, ...rest: LeakyProjectTail): void {
  const kernel = 'rateLeakyProject';
  const [, , k, lif, , o] = rest;
  checkLayerSizes(kernel, k, lif, o);
  const B = lif.N / lif.H;
  need(kernel, 'x', x, B * k);
  checkRateSpikes(kernel, { length: B * k }, keys, B, lif.T, gain);
  checkProjectRest(kernel, rest);
}

function checkLayerSizes(kernel: string, k: number, lif: LeakyLayerArgs, o: number): void {
  checkDims(kernel, { T: lif.T, N: lif.N, H: lif.H, k, o });
  if (lif.H < 1 || lif.N % lif.H !== 0) throw new ShapeError(`${kernel}: N = ${lif.N} is not a multiple of H = ${lif.H}`);
}

/** The checks seqLeakyProject and rateLeakyProject share: the first weight and bias, then leakyProject's. */
function checkProjectRest(kernel: string, [w, bias, k, lif, w2, o, out]: LeakyProjectTail): void {
  need(kernel, 'W', w, k * lif.H);
  checkBias(kernel, bias, lif.H);
  checkLeakyProject({ ...lif, input: { length: lif.T * lif.N } as Float32Array, constInput: false }, w2, o, out);
}

/** Conv kernels: geometry consistent, operand lengths right, flat indices within int32. */
export function checkConv(kernel: string, g: ConvShape, x: ArrayLike<number>, w: ArrayLike<number>, y: ArrayLike<number>): void {
  const { n, H, W, C, O, kH, kW, stride, pad, outH, outW } = g;
  checkDims(kernel, { n, H, W, C, O, kH, kW, pad, outH, outW });
  if (!(stride >= 1) || !Number.isInteger(stride))
    throw new ValueError(`${kernel}: stride must be a positive integer, found ${String(stride)}`);
  if (outH !== Math.floor((H + 2 * pad - kH) / stride) + 1 || outW !== Math.floor((W + 2 * pad - kW) / stride) + 1) {
    throw new ShapeError(
      `${kernel}: output ${outH}x${outW} does not match a ${kH}x${kW} kernel over ${H}x${W} (stride ${stride}, padding ${pad})`,
    );
  }
  if (n * Math.max(H * W * C, outH * outW * O) >= 2 ** 31)
    throw new ShapeError(`${kernel}: ${n} images are too many for one call; split the batch`);
  if (C > 65535) throw new ShapeError(`${kernel}: at most 65535 input channels, found ${C}`);
  if (kH * kW * C * O >= 2 ** 29) throw new ShapeError(`${kernel}: a ${kH}x${kW}x${C}x${O} weight is too large (at most 2^29 values)`);
  need(kernel, 'input', x, n * H * W * C);
  need(kernel, 'weight', w, kH * kW * C * O);
  need(kernel, 'output', y, n * outH * outW * O);
}

export function checkPool(kernel: string, g: PoolShape, x: ArrayLike<number>, y: ArrayLike<number>, arg: ArrayLike<number>): void {
  const { n, H, W, C, k, stride, outH, outW } = g;
  checkDims(kernel, { n, H, W, C, k, outH, outW });
  if (!(stride >= 1) || !Number.isInteger(stride))
    throw new ValueError(`${kernel}: stride must be a positive integer, found ${String(stride)}`);
  if (outH !== Math.floor((H - k) / stride) + 1 || outW !== Math.floor((W - k) / stride) + 1) {
    throw new ShapeError(`${kernel}: output ${outH}x${outW} does not match ${k}x${k} windows over ${H}x${W} (stride ${stride})`);
  }
  if (n * H * W * C >= 2 ** 31) throw new ShapeError(`${kernel}: ${n} images are too many for one call; split the batch`);
  need(kernel, 'input', x, n * H * W * C);
  need(kernel, 'output', y, n * outH * outW * C);
  need(kernel, 'arg', arg, n * outH * outW * C);
}

/** Fused conv + max pool: the conv checks, then the pooling geometry over the conv output. */
/** The widest pool window of the fused conv + pool kernels: its argmax position is one byte. */
export const MAX_FUSED_POOL = 16;

export function checkConvPool(
  kernel: string,
  g: ConvShape,
  p: ConvPool,
  s: ArrayLike<number>,
  w: ArrayLike<number>,
  y: ArrayLike<number>,
  arg: ArrayLike<number>,
): void {
  checkConv(kernel, g, s, w, { length: g.n * g.outH * g.outW * g.O });
  if (p.k > MAX_FUSED_POOL)
    throw new ShapeError(
      `${kernel}: a ${p.k}x${p.k} pool window is larger than the fused kernels take (${MAX_FUSED_POOL}x${MAX_FUSED_POOL})`,
    );
  checkPool(
    kernel,
    { n: g.n, H: g.outH, W: g.outW, C: g.O, k: p.k, stride: p.stride, outH: p.outH, outW: p.outW },
    { length: g.n * g.outH * g.outW * g.O },
    y,
    arg,
  );
}

export function checkBias(kernel: string, bias: ArrayLike<number> | null, o: number): void {
  if (bias) need(kernel, 'bias', bias, o);
}

export function checkAdam(w: ArrayLike<number>, g: ArrayLike<number> | GradientSum, m: ArrayLike<number>, v: ArrayLike<number>): void {
  if ('grads' in g) {
    if (g.grads.length < 1 || g.weights.length !== g.grads.length) {
      throw new ShapeError(
        `adamUpdate: ${g.grads.length} gradient buffers with ${g.weights.length} weights (need one weight per buffer, at least one)`,
      );
    }
    g.grads.forEach((b, r) => need('adamUpdate', `gradient ${r}`, b, w.length));
  } else need('adamUpdate', 'gradient', g, w.length);
  need('adamUpdate', 'first moment', m, w.length);
  need('adamUpdate', 'second moment', v, w.length);
}

/** rateSpikes: samples dividing x, two key words per sample, steps x f counters within u32, out holding steps x x.length values. */
export function checkRateSpikes(
  kernel: string,
  x: ArrayLike<number>,
  keys: ArrayLike<number>,
  samples: number,
  steps: number,
  gain: number,
): number {
  checkDims(kernel, { samples, steps });
  if (!(gain >= 0) || !Number.isFinite(gain)) throw new ValueError(`${kernel}: gain must be a finite number >= 0, found ${gain}`);
  if (samples === 0 ? x.length !== 0 : x.length % samples !== 0)
    throw new ShapeError(`${kernel}: ${x.length} values do not split into ${samples} samples`);
  const f = samples ? x.length / samples : 0;
  if (steps * f > 2 ** 32) throw new ShapeError(`${kernel}: ${steps} steps x ${f} values per sample exceed the 2^32 counters of a key`);
  need(kernel, 'keys', keys, 2 * samples);
  return f;
}
