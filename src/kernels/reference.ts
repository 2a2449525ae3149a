import {
  ResetCode,
  SurrogateCode,
  type Kernels,
  type LeakyBackwardArgs,
  type LeakyBackwardOut,
  type LeakyForwardOut,
  type LeakyScanArgs,
  type SavedCurrents,
  type AdamState,
} from './types.js';
import { ShapeError, ValueError } from '../core/errors.js';
import {
  checkAdam,
  checkLeaky,
  checkLeakyBackward,
  checkLeakyProject,
  checkMatmul,
  checkRows,
  checkSoftmax,
  checkSoftmaxBackward,
  checkSpikeGradW,
  checkSpikeSeq,
  checkBias,
  checkSeqLeakyProject,
  checkRateSpikes,
  checkRateLeakyProject,
  checkSpikeSeqLeaky,
  need,
} from './validate.js';
import { referenceConvKernels } from './reference-conv.js';
import { checkNeuronBlock, neuronBackwardTS, neuronForwardTS } from './neuron-block.js';
import { rateDraw } from '../core/rng.js';

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
    case SurrogateCode.Triangle:
      return Math.max(0, 1 - Math.abs(x) / p);
    case SurrogateCode.ScaledAtan:
      return p2 / (1 + (Math.PI * p * x) ** 2);
    case SurrogateCode.Atan:
      return p / 2 / (1 + ((Math.PI / 2) * p * x) ** 2);
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

/** A row [N] repeated over T steps: [T, N]. */
export function expandRow(row: Float32Array, T: number): Float32Array {
  const out = new Float32Array(T * row.length);
  for (let t = 0; t < T; t++) out.set(row, t * row.length);
  return out;
}

function leakyBackward(a: LeakyBackwardArgs): LeakyBackwardOut {
  checkLeakyBackward(a);
  const { T, N, H, beta, reset, spk, gradMem } = a;
  let gradSpk = a.gradSpk && a.gradSpkRow ? expandRow(a.gradSpk, T) : a.gradSpk;
  if (a.gradSpkFrom) {
    // dL/dspk (+)= g w^T, by the reference GEMM
    const { g, w, o } = a.gradSpkFrom;
    const gs = gradSpk ? gradSpk.slice() : new Float32Array(T * N);
    referenceKernels.matmul(g, w, gs, (T * N) / H, o, H, false, true, gradSpk !== null);
    gradSpk = gs;
  }
  const thr = f32(a.threshold);
  const saved = a.saved ? savedOf(a.saved) : null;
  const input = saved ? saved.currents : a.input;
  const mem = a.mem ?? leakyForward({ ...a, input }, true).mem!; // recompute the membrane when it was not kept
  const gradInput = new Float32Array(a.constInput ? N : T * N);
  const wantBeta = a.betaGrad !== false;
  const gradBeta = new Float32Array(wantBeta ? H : 0);
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
    if (wantBeta) gradBeta[n % H] += gb;
  }
  if (a.gradWeightInto) {
    // the producing Linear's parameter gradients, as its own backward would form them
    const { k, dw, gradBias } = a.gradWeightInto;
    if (saved?.dense) {
      // a dense source: the unfused Linear's backward, dw += x^T g and the bias gradient's column sums
      const rows = (T * N) / H;
      referenceKernels.matmul(saved.dense, gradInput, dw, k, rows, H, true, false, true);
      if (gradBias) referenceKernels.sumRows(gradInput, gradBias, rows, H, true);
    } else spikeSeqGradW(saved ? saved.spikes : a.gradWeightInto.s!, gradInput, dw, T, N / H, k, H, gradBias);
    return { gradInput: new Float32Array(0), gradBeta };
  }
  return { gradInput, gradBeta };
}

const leakyProject: Kernels['leakyProject'] = (a, w, o, out, accumulate) => {
  checkLeakyProject(a, w, o, out);
  const { spk, count } = leakyForward(a, false);
  referenceKernels.spikeMatmul(spk, w, out, a.T * (a.N / a.H), a.H, o, accumulate);
  return count;
};

/** Spike-sequence width up to which the complement coding is not used (the narrow kernels' width). */
const SEQ_MIN_N = 17;

/** flip[b*K + i] = 1 where input i of sample b is nonzero at more than (T + 1) / 2 of the T steps; null when none is. */
export function complementFlips(s: Uint8Array, t: number, b: number, k: number): Uint8Array | null {
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

const spikeSeqMatmul: Kernels['spikeSeqMatmul'] = (s, w, c, t, b, k, n, accumulate, bias = null) => {
  checkSpikeSeq('spikeSeqMatmul', s, w, c, t, b, k, n);
  checkBias('spikeSeqMatmul', bias, n);
  if (n < SEQ_MIN_N) {
    referenceKernels.spikeMatmul(s, w, c, t * b, k, n, accumulate);
    if (bias) referenceKernels.addBias(c, bias, t * b, n);
  } else seqProduct(s, w, c, t, b, k, n, accumulate, bias);
};

/** Steps at which input p of sample bi is nonzero, for every p. */
function sampleCounts(s: Uint8Array, t: number, b: number, k: number, bi: number): Int32Array {
  const counts = new Int32Array(k);
  for (let ti = 0; ti < t; ti++) for (let p = 0; p < k; p++) if (s[(ti * b + bi) * k + p]) counts[p]++;
  return counts;
}

const isFlipped = (c: number, t: number): boolean => 2 * c > t + 1;

/**
 * v (+/-)= the terms, column j of each listed row: groups of four v +/- ((a + b) + (c + d)), then a pair
 * v +/- (a + b), then a single row; the order of the WASM kernels' addRows.
 */
function addGroups(v: number, rows: number[], x: Float32Array, n: number, j: number, negative: boolean): number {
  const at = (q: number) => x[rows[q] * n + j];
  const apply = (u: number) => f32(negative ? v - u : v + u);
  let q = 0;
  for (; q + 4 <= rows.length; q += 4) v = apply(f32(f32(at(q) + at(q + 1)) + f32(at(q + 2) + at(q + 3))));
  if (q + 2 <= rows.length) {
    v = apply(f32(at(q) + at(q + 1)));
    q += 2;
  }
  if (q < rows.length) v = apply(at(q));
  return v;
}

/**
 * The complement-coded product (src/kernels/assembly/spike-seq.ts), sample by sample: base = bias (or 0)
 * + the flipped rows (grouped as addRows); each row: (c + base when accumulating, else base) + the plain
 * inputs that spike - the flipped inputs that are silent, inputs ascending, one term at a time.
 * spikeSeqMatmul's operands; it takes this path at every width (spikeSeqMatmul only from SEQ_MIN_N).
 */
const seqProduct: Kernels['spikeSeqMatmul'] = (s, w, c, t, b, k, n, accumulate, bias = null) => {
  for (let bi = 0; bi < b; bi++) {
    const counts = sampleCounts(s, t, b, k, bi);
    const flipped: number[] = [];
    for (let p = 0; p < k; p++) if (isFlipped(counts[p], t)) flipped.push(p);
    const base = new Float32Array(n);
    for (let j = 0; j < n; j++) base[j] = addGroups(bias ? bias[j] : 0, flipped, w, n, j, false);
    for (let ti = 0; ti < t; ti++) {
      const r = ti * b + bi;
      const pos: number[] = [];
      const neg: number[] = [];
      for (let p = 0; p < k; p++) {
        const on = s[r * k + p] !== 0;
        if (isFlipped(counts[p], t)) {
          if (!on) neg.push(p);
        } else if (on) pos.push(p);
      }
      for (let j = 0; j < n; j++) {
        // one term at a time, in list order (the WASM stepRows)
        let v = accumulate ? f32(c[r * n + j] + base[j]) : base[j];
        for (const p of pos) v = f32(v + w[p * n + j]);
        for (const p of neg) v = f32(v - w[p * n + j]);
        c[r * n + j] = v;
      }
    }
  }
};

/** Samples per block of the weight gradient's term buckets (the WASM kernel's seqGradBlock). */
export const seqGradBlock = (t: number, k: number): number => Math.max(1, Math.min(8, Math.floor(262144 / Math.max(1, (t + 1) * k))));

const spikeSeqGradW: Kernels['spikeSeqGradW'] = (s, g, dw, t, b, k, n, gradBias = null) => {
  checkSpikeSeq('spikeSeqGradW', s, g, dw, t, b, k, n);
  checkBias('spikeSeqGradW', gradBias, n);
  if (n < SEQ_MIN_N) referenceKernels.spikeMatmulGradW(s, g, dw, t * b, k, n);
  else seqGradW(s, g, dw, t, b, k, n);
  if (gradBias) seqSumRows(g, gradBias, t, b, n);
};

/** out += the column sums of G [T*B, n], per sample first: for b ascending, (sum over t ascending from zero of row t*B + b). */
function seqSumRows(g: Float32Array, out: Float32Array, t: number, b: number, n: number): void {
  for (let bi = 0; bi < b; bi++) {
    for (let j = 0; j < n; j++) {
      let v = 0;
      for (let ti = 0; ti < t; ti++) v = f32(v + g[(ti * b + bi) * n + j]);
      out[j] = f32(out[j] + v);
    }
  }
}

/**
 * dW += S^T G, complement coded, in blocks of samples: per input p, dW[p] + its positive terms (per
 * sample: Gsum[b] when flipped, the plain spikes' G rows) - its negative terms (the flipped input's
 * silent steps), each list grouped as addGroups. Gsum[b] = the sum over t of G[t*B + b], from zero.
 * Rows of G and the Gsum rows are kept in one array (Gsum rows after G's T*B rows).
 */
function seqGradW(s: Uint8Array, g: Float32Array, dw: Float32Array, t: number, b: number, k: number, n: number): void {
  const m = t * b;
  const rows = new Float32Array((m + b) * n);
  rows.set(g);
  for (let bi = 0; bi < b; bi++) {
    for (let ti = 0; ti < t; ti++)
      for (let j = 0; j < n; j++) rows[(m + bi) * n + j] = f32(rows[(m + bi) * n + j] + g[(ti * b + bi) * n + j]);
  }
  const sb = seqGradBlock(t, k);
  for (let b0 = 0; b0 < b; b0 += sb) {
    const pos: number[][] = Array.from({ length: k }, () => []);
    const neg: number[][] = Array.from({ length: k }, () => []);
    for (let bi = b0; bi < Math.min(b, b0 + sb); bi++) {
      const counts = sampleCounts(s, t, b, k, bi);
      for (let p = 0; p < k; p++) {
        const f = isFlipped(counts[p], t);
        if (f) pos[p].push(m + bi);
        for (let ti = 0; ti < t; ti++) {
          const on = s[(ti * b + bi) * k + p] !== 0;
          if (on !== f) (f ? neg : pos)[p].push(ti * b + bi);
        }
      }
    }
    for (let p = 0; p < k; p++) {
      if (!pos[p].length && !neg[p].length) continue;
      for (let j = 0; j < n; j++) dw[p * n + j] = addGroups(addGroups(dw[p * n + j], pos[p], rows, n, j, false), neg[p], rows, n, j, true);
    }
  }
}

const seqLeakyProject: Kernels['seqLeakyProject'] = (s, w, bias, k, lif, w2, o, out, accumulate) => {
  checkSeqLeakyProject(s, w, bias, k, lif, w2, o, out, accumulate);
  const input = new Float32Array(lif.T * lif.N);
  const args: LeakyScanArgs = { ...lif, input, constInput: false };
  // the fused kernel takes the complement-coded currents at every width
  seqProduct(s, w, input, lif.T, lif.N / lif.H, k, lif.H, false, bias);
  return leakyProject(args, w2, o, out, accumulate);
};

/** Adam in float32: every operation rounded to float32 (Math.fround), as torch and the WASM kernel compute it. */
const adamUpdate: Kernels['adamUpdate'] = (w, gIn, m, v, c) => {
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
  const b1 = f(c.b1),
    b2 = f(c.b2),
    eps = f(c.eps),
    step = f(c.stepSize),
    invC2 = f(1 / c.c2);
  const a1 = f(1 - b1),
    a2 = f(1 - b2);
  for (let i = 0; i < w.length; i++) {
    const gi = g[i];
    const mi = f(f(b1 * m[i]) + f(a1 * gi));
    const vi = f(f(b2 * v[i]) + f(f(a2 * gi) * gi));
    m[i] = mi;
    v[i] = vi;
    w[i] = f(w[i] - f(f(step * mi) / f(f(f(Math.sqrt(vi)) * invC2) + eps)));
  }
};

/** Rate spikes from per-sample keys (counter-based draws, rateDraw); see Kernels.rateSpikes. */
const rateSpikes: Kernels['rateSpikes'] = (x, keys, samples, steps, gain, out) => {
  const f = checkRateSpikes('rateSpikes', x, keys, samples, steps, gain);
  need('rateSpikes', 'out', out, steps * x.length);
  out.fill(0);
  for (let s = 0; s < samples; s++) {
    for (let i = 0; i < f; i++) {
      const p = x[s * f + i] * gain;
      if (Number.isNaN(p)) return s * f + i;
      if (!(p > 0)) continue;
      for (let t = 0; t < steps; t++) {
        out[(t * samples + s) * f + i] = p >= 1 || rateDraw(keys[2 * s], keys[2 * s + 1], t * f + i) < p * 4294967296 ? 1 : 0;
      }
    }
  }
  return -1;
};

const rateLeakyProject: Kernels['rateLeakyProject'] = (x, keys, gain, w, bias, k, lif, w2, o, out, accumulate) => {
  checkRateLeakyProject(x, keys, gain, w, bias, k, lif, w2, o, out, accumulate);
  const B = lif.N / lif.H;
  const s = new Uint8Array(lif.T * B * k);
  const bad = rateSpikes(x, keys, B, lif.T, gain, s);
  if (bad >= 0) return -1 - bad;
  return seqLeakyProject(s, w, bias, k, lif, w2, o, out, accumulate);
};

/** The reference kernels hold Adam moments in the arrays themselves (WasmAdamState in wasm.ts is the WASM side). */
class ReferenceAdamState implements AdamState {
  readonly kernels = 'reference';
  freed = false;
  constructor(
    readonly m: Float32Array,
    readonly v: Float32Array,
  ) {}
  get n(): number {
    return this.m.length;
  }
}

function referenceAdamState(s: AdamState): ReferenceAdamState {
  if (!(s instanceof ReferenceAdamState)) throw new ValueError(`Adam state comes from the ${s.kernels} kernels, not the reference kernels`);
  if (s.freed) throw new ValueError('Adam state was freed');
  return s;
}

/** What the reference spikeSeqLeakyForward saves: the currents and spikes themselves. */
class ReferenceSaved implements SavedCurrents {
  readonly kernels = 'reference';
  constructor(
    readonly T: number,
    readonly N: number,
    readonly k: number,
    readonly currents: Float32Array,
    readonly spikes: Uint8Array,
    /** the dense source the currents came from (then spikes is empty) */
    readonly dense: Float32Array | null = null,
  ) {}
}

function savedOf(saved: SavedCurrents): ReferenceSaved {
  if (!(saved instanceof ReferenceSaved))
    throw new ValueError(`leakyBackward: saved currents come from the ${saved.kernels} kernels, not the reference kernels`);
  return saved;
}

const spikeSeqLeakyForward: Kernels['spikeSeqLeakyForward'] = (src, w, bias, k, lif, wantMem) => {
  checkSpikeSeqLeaky(src, w, bias, k, lif);
  const { T, N, H } = lif;
  const B = N / H;
  let spikes: Uint8Array;
  if ('dense' in src) {
    // the unfused layers' own order: the GEMM, then the bias
    const currents = new Float32Array(T * N);
    referenceKernels.matmul(src.dense, w, currents, T * B, k, H, false, false, false);
    if (bias) referenceKernels.addBias(currents, bias, T * B, H);
    const f = leakyForward({ ...lif, input: currents, constInput: false }, wantMem);
    return { ...f, saved: new ReferenceSaved(T, N, k, currents, new Uint8Array(0), src.dense) };
  }
  if ('spikes' in src) spikes = src.spikes;
  else {
    spikes = new Uint8Array(T * B * k);
    const bad = rateSpikes(src.values, src.keys, B, T, src.gain, spikes);
    if (bad >= 0)
      return { spk: new Uint8Array(0), mem: null, count: -1 - bad, saved: new ReferenceSaved(T, N, k, new Float32Array(0), spikes) };
  }
  const currents = new Float32Array(T * N);
  spikeSeqMatmul(spikes, w, currents, T, B, k, H, false, bias);
  const f = leakyForward({ ...lif, input: currents, constInput: false }, wantMem);
  return { ...f, saved: new ReferenceSaved(T, N, k, currents, spikes) };
};

export const referenceKernels: Kernels = {
  spikeSeqLeakyForward,
  adamState(m, v) {
    if (m.length !== v.length) throw new ShapeError(`adamState: first moment has ${m.length} elements, second ${v.length}`);
    return new ReferenceAdamState(m, v);
  },
  adamStep(w, g, state, c) {
    const s = referenceAdamState(state);
    adamUpdate(w, g, s.m, s.v, c);
  },
  adamStateRead(state) {
    const s = referenceAdamState(state);
    return { m: s.m, v: s.v };
  },
  adamStateFree(state) {
    const s = referenceAdamState(state);
    s.freed = true;
    return { m: s.m, v: s.v };
  },
  name: 'reference',
  fusedMultiplyAdd: false,
  adamUpdate,
  rateSpikes,
  rateLeakyProject,
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
  softmaxRows(x, probs, stat, rows, C) {
    checkSoftmax(x, probs, stat, rows, C);
    const e = new Float64Array(C); // one row's exponentials, computed once
    for (let r = 0; r < rows; r++) {
      const o = r * C;
      // a NaN first value stays the maximum (every comparison with it is false), and makes z NaN
      let mx = x[o];
      for (let c = 1; c < C; c++) if (x[o + c] > mx) mx = x[o + c];
      let z = 0;
      for (let c = 0; c < C; c++) {
        e[c] = Math.exp(x[o + c] - mx);
        z += e[c];
      }
      for (let c = 0; c < C; c++) probs[o + c] = e[c] / z;
      stat[2 * r] = mx;
      stat[2 * r + 1] = z;
    }
  },
  softmaxRowsBackward(gx, probs, targets, rows, B, C, g) {
    checkSoftmaxBackward(gx, probs, targets, rows, B, C);
    for (let r = 0; r < rows; r++) {
      const o = r * C;
      const y = targets[r % B];
      for (let c = 0; c < C; c++) gx[o + c] += g * (probs[o + c] - (c === y ? 1 : 0));
    }
  },
  leakyForward,
  neuronForward(a) {
    checkNeuronBlock('neuronForward', a);
    return neuronForwardTS(a);
  },
  neuronBackward(a) {
    checkNeuronBlock('neuronBackward', a);
    neuronBackwardTS(a);
  },
  leakyBackward,
  leakyProject,
  seqLeakyProject,
  ...referenceConvKernels,
};
