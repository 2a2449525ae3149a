import {
  ResetCode, SurrogateCode,
  type AdamCoefficients, type GradientSum, type Kernels, type LeakyBackwardArgs, type LeakyBackwardOut, type LeakyForwardOut, type LeakyScanArgs,
} from './types.js';
import { checkAdam, checkLeaky, checkLeakyBackward, checkLeakyProject, checkMatmul, checkRows, checkSpikeGradW, checkSpikeSeq, checkBias, checkSeqLeakyProject } from './validate.js';
import { referenceConvKernels } from './reference-conv.js';

/**
 * Plain TypeScript kernels: the obviously-correct reference every WASM kernel is tested against.
 * Written for clarity, not speed: one loop nest per formula, straight from the doc comments in types.ts.
 */

const f32 = Math.fround;

/** Surrogate derivative s'(x) (formulas in types.ts), in double precision. */
export function surrogateGrad(code: SurrogateCode, p: number, x: number, p2 = 0): number {
  switch (code) {
    case SurrogateCode.Triangular:
      return x >= 0 ? -p : p;
    case SurrogateCode.SpikeRateEscape:
      return p2 * Math.exp(-p * Math.abs(x - 1));
    case SurrogateCode.StraightThrough:
      return 1;
    case SurrogateCode.Gaussian:
      return Math.exp(-(x * x) / (2 * p * p)) / (p * Math.sqrt(2 * Math.PI));
    case SurrogateCode.Atan:
      return p / 2 / (1 + (Math.PI / 2 * p * x) ** 2);
    case SurrogateCode.FastSigmoid:
      return 1 / (p * Math.abs(x) + 1) ** 2;
    case SurrogateCode.Sigmoid: {
      const e = Math.exp(-p * x);
      return Number.isFinite(e) ? (p * e) / (1 + e) ** 2 : 0;
    }
  }
}

/**
 * One membrane update. Every operation is rounded to float32 in the order the WASM kernel evaluates
 * it, so forward results agree bit for bit (spikes are thresholds: a 1-ulp difference could flip one).
 */
function leakyUpdate(reset: ResetCode, b: number, prev: number, x: number, thr: number): number {
  const r = prev - thr > 0 ? 1 : 0; // previous step's spike
  if (reset === ResetCode.Subtract) return f32(f32(f32(b * prev) + x) - r * thr);
  if (reset === ResetCode.Zero) return f32(f32(b * (r ? 0 : prev)) + x);
  return f32(f32(b * prev) + x);
}

function leakyForward(a: LeakyScanArgs, wantMem = true): LeakyForwardOut {
  checkLeaky('leakyForward', a);
  const { T, N, H, input, beta, reset } = a;
  const thr = f32(a.threshold); // the kernels compare in float32
  const spk = new Uint8Array(T * N);
  const mem = new Float32Array(T * N);
  let count = 0;
  for (let n = 0; n < N; n++) {
    const b = beta[n % H];
    let v = 0; // zero initial state
    for (let t = 0; t < T; t++) {
      const x = a.constInput ? input[n] : input[t * N + n];
      v = leakyUpdate(reset, b, v, x, thr);
      mem[t * N + n] = v;
      spk[t * N + n] = v - thr > 0 ? 1 : 0;
      count += spk[t * N + n];
    }
  }
  return { spk, mem: wantMem ? mem : null, count };
}

function leakyBackward(a: LeakyBackwardArgs): LeakyBackwardOut {
  checkLeakyBackward(a);
  const { T, N, H, beta, reset, spk, gradMem } = a;
  let gradSpk = a.gradSpk;
  if (a.gradSpkFrom) {
    // dL/dspk (+)= g w^T, by the reference GEMM
    const { g, w, o } = a.gradSpkFrom;
    const gs = gradSpk ? gradSpk.slice() : new Float32Array(T * N);
    referenceKernels.matmul(g, w, gs, (T * N) / H, o, H, false, true, gradSpk !== null);
    gradSpk = gs;
  }
  const thr = f32(a.threshold);
  const mem = a.mem ?? leakyForward(a, true).mem!; // recompute the membrane when it was not kept
  const gradInput = new Float32Array(a.constInput ? N : T * N);
  const gradBeta = new Float32Array(H);
  for (let n = 0; n < N; n++) {
    const b = beta[n % H];
    let carry = 0; // a_{t+1} * g_{t+1}
    let gb = 0;
    let gsum = 0;
    for (let t = T - 1; t >= 0; t--) {
      const i = t * N + n;
      let g = carry;
      if (gradMem) g += gradMem[i];
      if (gradSpk) g += gradSpk[i] * surrogateGrad(a.surrogate, a.surrogateParam, mem[i] - thr, a.surrogateParam2 ?? 0);
      if (a.constInput) gsum += g;
      else gradInput[i] = g;
      const prev = t > 0 ? mem[i - N] : 0;
      const r = t > 0 ? spk[i - N] : 0; // reset of step t comes from the spike of step t-1
      const keep = reset === ResetCode.Zero && r ? 0 : 1;
      gb += g * prev * keep;
      // truncated BPTT: the membrane entering step t was detached when t is a multiple of K
      carry = a.truncate && t % a.truncate === 0 ? 0 : g * b * keep;
    }
    if (a.constInput) gradInput[n] = gsum;
    gradBeta[n % H] += gb;
  }
  return { gradInput, gradBeta };
}

function leakyProject(a: LeakyScanArgs, w: Float32Array, o: number, out: Float32Array, accumulate: boolean): number {
  checkLeakyProject(a, w, o, out);
  const { spk, count } = leakyForward(a, false);
  referenceKernels.spikeMatmul(spk, w, out, a.T * (a.N / a.H), a.H, o, accumulate);
  return count;
}

/** Spike-sequence width up to which the complement coding is not used (the narrow kernels' width). */
const SEQ_MIN_N = 17;

/** flip[b*K + i] = 1 where input i of sample b is nonzero at more than (T + 1) / 2 of the T steps; null when none is. */
export function complementFlips(s: Uint8Array, t: number, b: number, k: number): Uint8Array | null {
  if (t > 32766) return null; // the WASM kernel counts in 16 bits
  const flip = new Uint8Array(b * k);
  let any = false;
  for (let bi = 0; bi < b; bi++) {
    for (let p = 0; p < k; p++) {
      let count = 0;
      for (let ti = 0; ti < t; ti++) if (s[(ti * b + bi) * k + p]) count++;
      if (2 * count > t + 1) {
        flip[bi * k + p] = 1;
        any = true;
      }
    }
  }
  return any ? flip : null;
}

function spikeSeqMatmul(
  s: Uint8Array, w: Float32Array, c: Float32Array, t: number, b: number, k: number, n: number, accumulate: boolean, bias: Float32Array | null = null,
): void {
  checkSpikeSeq('spikeSeqMatmul', s, w, c, t, b, k, n);
  checkBias('spikeSeqMatmul', bias, n);
  seqProduct(s, w, c, t, b, k, n, accumulate);
  if (bias) referenceKernels.addBias(c, bias, t * b, n);
}

/** v + the signed rows of `rows` (entries [i, sign]) at column j, taken in pairs: v + (a + b), then the odd last alone. */
function addPairs(v: number, rows: Array<[number, number]>, w: Float32Array, n: number, j: number): number {
  const term = (q: number) => (rows[q][1] < 0 ? -w[rows[q][0] * n + j] : w[rows[q][0] * n + j]);
  let q = 0;
  for (; q + 1 < rows.length; q += 2) v = f32(v + f32(term(q) + term(q + 1)));
  if (q < rows.length) v = f32(v + term(q));
  return v;
}

function seqProduct(s: Uint8Array, w: Float32Array, c: Float32Array, t: number, b: number, k: number, n: number, accumulate: boolean): void {
  const flip = n >= SEQ_MIN_N ? complementFlips(s, t, b, k) : null;
  if (!flip) {
    referenceKernels.spikeMatmul(s, w, c, t * b, k, n, accumulate);
    return;
  }
  const base = new Float32Array(b * n);
  for (let bi = 0; bi < b; bi++) {
    const flipped: Array<[number, number]> = [];
    for (let p = 0; p < k; p++) if (flip[bi * k + p]) flipped.push([p, 1]);
    for (let j = 0; j < n; j++) base[bi * n + j] = addPairs(0, flipped, w, n, j);
  }
  for (let r = 0; r < t * b; r++) {
    const bi = r % b;
    const events: Array<[number, number]> = [];
    for (let p = 0; p < k; p++) {
      const f = flip[bi * k + p] === 1;
      if ((s[r * k + p] !== 0) !== f) events.push([p, f ? -1 : 1]);
    }
    for (let j = 0; j < n; j++) {
      const v = accumulate ? f32(c[r * n + j] + base[bi * n + j]) : base[bi * n + j];
      c[r * n + j] = addPairs(v, events, w, n, j);
    }
  }
}

function spikeSeqGradW(s: Uint8Array, g: Float32Array, dw: Float32Array, t: number, b: number, k: number, n: number, gradBias: Float32Array | null = null): void {
  checkSpikeSeq('spikeSeqGradW', s, g, dw, t, b, k, n);
  checkBias('spikeSeqGradW', gradBias, n);
  seqGradW(s, g, dw, t, b, k, n);
  if (gradBias) referenceKernels.sumRows(g, gradBias, t * b, n, true);
}

function seqGradW(s: Uint8Array, g: Float32Array, dw: Float32Array, t: number, b: number, k: number, n: number): void {
  const flip = n >= SEQ_MIN_N ? complementFlips(s, t, b, k) : null;
  if (!flip) {
    referenceKernels.spikeMatmulGradW(s, g, dw, t * b, k, n);
    return;
  }
  for (let r = 0; r < t * b; r++) {
    const bi = r % b;
    for (let p = 0; p < k; p++) {
      const f = flip[bi * k + p] === 1;
      if ((s[r * k + p] !== 0) === f) continue;
      for (let j = 0; j < n; j++) dw[p * n + j] = f32(f ? dw[p * n + j] - g[r * n + j] : dw[p * n + j] + g[r * n + j]);
    }
  }
  const gsum = new Float32Array(b * n);
  for (let ti = 0; ti < t; ti++) for (let bi = 0; bi < b; bi++) for (let j = 0; j < n; j++) gsum[bi * n + j] = f32(gsum[bi * n + j] + g[(ti * b + bi) * n + j]);
  for (let bi = 0; bi < b; bi++) for (let p = 0; p < k; p++) if (flip[bi * k + p]) for (let j = 0; j < n; j++) dw[p * n + j] = f32(dw[p * n + j] + gsum[bi * n + j]);
}

function seqLeakyProject(
  s: Uint8Array, w: Float32Array, bias: Float32Array | null, k: number, lif: Omit<LeakyScanArgs, 'input' | 'constInput'>,
  w2: Float32Array, o: number, out: Float32Array, accumulate: boolean,
): number {
  checkSeqLeakyProject(s, w, bias, k, lif, w2, o, out);
  const input = new Float32Array(lif.T * lif.N);
  const args: LeakyScanArgs = { ...lif, input, constInput: false };
  spikeSeqMatmul(s, w, input, lif.T, lif.N / lif.H, k, lif.H, false, bias);
  return leakyProject(args, w2, o, out, accumulate);
}

/** Adam in float32: every operation rounded to float32 (Math.fround), as torch and the WASM kernel compute it. */
function adamUpdate(w: Float32Array, gIn: Float32Array | GradientSum, m: Float32Array, v: Float32Array, c: AdamCoefficients): void {
  checkAdam(w, gIn, m, v);
  const f = Math.fround;
  let g: Float32Array;
  if ('grads' in gIn) {
    // the weighted sum, in buffer order, stored into the first buffer
    const [g0, ...rest] = gIn.grads;
    const ws = gIn.weights.map(f);
    for (let i = 0; i < g0.length; i++) {
      let acc = f(ws[0] * g0[i]);
      rest.forEach((b, r) => (acc = f(acc + f(ws[r + 1] * b[i]))));
      g0[i] = acc;
    }
    g = g0;
  } else g = gIn;
  const b1 = f(c.b1), b2 = f(c.b2), eps = f(c.eps), step = f(c.stepSize), invC2 = f(1 / c.c2);
  const a1 = f(1 - b1), a2 = f(1 - b2);
  for (let i = 0; i < w.length; i++) {
    const gi = g[i];
    const mi = f(f(b1 * m[i]) + f(a1 * gi));
    const vi = f(f(b2 * v[i]) + f(f(a2 * gi) * gi));
    m[i] = mi;
    v[i] = vi;
    w[i] = f(w[i] - f(f(step * mi) / f(f(f(Math.sqrt(vi)) * invC2) + eps)));
  }
}

export const referenceKernels: Kernels = {
  name: 'reference',
  fusedMultiplyAdd: false,
  adamUpdate,
  matmul(a, b, c, m, k, n, transA, transB, accumulate) {
    checkMatmul(a, b, c, m, k, n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
        c[i * n + j] = accumulate ? c[i * n + j] + s : s;
      }
    }
  },
  spikeMatmul(s, w, c, m, k, n, accumulate) {
    checkMatmul(s, w, c, m, k, n, 'spikeMatmul');
    if (!accumulate) c.fill(0);
    for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) if (s[i * k + p]) for (let j = 0; j < n; j++) c[i * n + j] += w[p * n + j];
  },
  spikeMatmulGradW(s, g, dw, m, k, n) {
    checkSpikeGradW(s, g, dw, m, k, n);
    for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) if (s[i * k + p]) for (let j = 0; j < n; j++) dw[p * n + j] += g[i * n + j];
  },
  spikeSeqMatmul,
  spikeSeqGradW,
  sumRows(x, out, m, n, accumulate) {
    checkRows('sumRows', x, out, m, n);
    if (!accumulate) out.fill(0);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j] += x[i * n + j];
  },
  addBias(c, bias, m, n) {
    checkRows('addBias', c, bias, m, n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) c[i * n + j] += bias[j];
  },
  leakyForward,
  leakyBackward,
  leakyProject,
  seqLeakyProject,
  ...referenceConvKernels,
};
