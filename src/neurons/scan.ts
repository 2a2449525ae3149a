import { type Tensor, accumulateOwnedGrad } from '../core/tensor.js';
import { ShapeError, checkTensor } from '../core/errors.js';
import type { Surrogate } from '../surrogate/index.js';
import type { Kernels } from '../kernels/types.js';
import {
  addParamGrad,
  checkReset,
  checkSurrogate,
  fusedOutputs,
  gradInputArray,
  paramParents,
  resolveParam,
  seqGeom,
  type FeatureParam,
  type ResetMechanism,
} from './common.js';

/**
 * The fused TypeScript scan shared by the current-based LIF family (snnTorch 0.9.4 semantics, zero
 * initial state, reset from the previous step's spike r_t = S[t-1], detached):
 *
 *   X[t]   = I[t] + S[t-1] @ V + v_b                 (recurrent models only: RLeaky, RSynaptic)
 *   syn[t] = alpha * syn[t-1] + X[t]                 (second-order models only: Synaptic, RSynaptic)
 *   D[t]   = syn[t] (second order) or X[t] (first order)
 *   subtract: mem[t] = beta * mem[t-1] + D[t] - r_t * thr
 *   zero:     'prev' (Leaky):  mem[t] = beta * (1 - r_t) * mem[t-1] + D[t]
 *             'all' (Synaptic, RLeaky, RSynaptic, Lapicque): mem[t] = (1 - r_t) * (beta * mem[t-1] + D[t])
 *   none:     mem[t] = beta * mem[t-1] + D[t]
 *   S[t] = H(mem[t] - thr), with the surrogate's derivative in the backward pass.
 *
 * The recurrent spikes S[t-1] carry gradient (snnTorch's recurrent(self.spk) is not detached); the reset
 * term r_t does not. Backward is one reverse sweep (BPTT), with every parameter's gradient: beta,
 * alpha, threshold (per feature or shared), V [H, H] (stored [in, out]) and its bias.
 */
export interface ScanOptions {
  /** Model name for error messages. */
  who: string;
  steps: number;
  constInput: boolean;
  /** Synaptic decay: present for second-order models. */
  alpha?: FeatureParam | null;
  beta: FeatureParam;
  threshold: FeatureParam;
  reset: ResetMechanism;
  zeroStyle: 'prev' | 'all';
  /** All-to-all recurrent weights [H, H] ([in, out]: row i is what a spike of neuron i adds) and bias [H]. */
  recurrent?: { weight: Tensor; bias: Tensor | null } | null;
  surrogate: Surrogate;
  /**
   * Kernels for the recurrent products (S[t-1] @ V forward; dL/dX @ V^T and the spike-driven dV
   * backward). Optional: without them plain TypeScript loops run (fine for small H).
   */
  kernels?: Kernels | null;
}

export interface ScanResult {
  spk: Tensor;
  mem: Tensor;
  /** Synaptic current (second-order models), else null. */
  syn: Tensor | null;
  spikes: number;
}

export function scanSequence(input: Tensor, o: ScanOptions): ScanResult {
  const who = o.who;
  const g = seqGeom(who, input, o.steps, o.constInput);
  const { T, H, N } = g;
  const B = g.B;
  const reset = checkReset(who, o.reset);
  const sur = checkSurrogate(who, o.surrogate);
  const beta = resolveParam(who, 'beta', o.beta, H, 0, 1);
  const hasSyn = o.alpha !== undefined && o.alpha !== null;
  const alpha = hasSyn ? resolveParam(who, 'alpha', o.alpha!, H, 0, 1) : null;
  const thr = resolveParam(who, 'threshold', o.threshold, H, -1e30, 1e30);
  const rec = o.recurrent ?? null;
  if (rec) {
    checkTensor(`${who} weight`, rec.weight);
    if (rec.bias) checkTensor(`${who} bias`, rec.bias);
    if (rec.weight.size !== H * H || rec.weight.shape.length !== 2) {
      throw new ShapeError(`${who}: recurrent weight must be [${H}, ${H}], found [${rec.weight.shape.join(', ')}]`);
    }
    if (rec.bias && rec.bias.size !== H) throw new ShapeError(`${who}: recurrent bias has ${rec.bias.size} values, expected ${H}`);
  }
  const zeroAll = reset === 'zero' && o.zeroStyle === 'all';
  const zeroPrev = reset === 'zero' && o.zeroStyle === 'prev';
  const x = input.data;
  const V = rec ? (rec.weight.data as Float32Array) : null;
  const vb = rec?.bias ? (rec.bias.data as Float32Array) : null;

  const spk = new Uint8Array(T * N);
  const mem = new Float32Array(T * N);
  const syn = hasSyn ? new Float32Array(T * N) : null;
  const drive = new Float64Array(N);
  const k = V ? (o.kernels ?? null) : null;
  const rec32 = k ? new Float32Array(N) : null;
  let count = 0;
  for (let t = 0; t < T; t++) {
    const o0 = t * N;
    // X[t] = I[t] (+ S[t-1] @ V + bias)
    for (let n = 0; n < N; n++) drive[n] = g.constInput ? x[n] : x[o0 + n];
    if (V && k && t > 0) {
      k.spikeMatmul(spk.subarray(o0 - N, o0), V, rec32!, B, H, H, false);
      for (let n = 0; n < N; n++) drive[n] += rec32![n] + (vb ? vb[n % H] : 0);
    } else if (V) {
      for (let b = 0; b < B; b++) {
        const row = b * H;
        if (vb) for (let j = 0; j < H; j++) drive[row + j] += vb[j];
        if (t === 0) continue;
        const sp = o0 - N + row;
        for (let i = 0; i < H; i++) {
          if (!spk[sp + i]) continue;
          const vi = i * H;
          for (let j = 0; j < H; j++) drive[row + j] += V[vi + j];
        }
      }
    }
    for (let n = 0; n < N; n++) {
      const h = n % H;
      const prev = t > 0 ? mem[o0 - N + n] : 0;
      const r = t > 0 ? spk[o0 - N + n] : 0;
      let d = drive[n];
      if (syn) {
        const s = alpha!.v[h] * (t > 0 ? syn[o0 - N + n] : 0) + d;
        syn[o0 + n] = s;
        d = syn[o0 + n];
      }
      const bt = beta.v[h];
      const th = thr.v[h];
      let m: number;
      if (reset === 'subtract') m = bt * prev + d - r * th;
      else if (zeroPrev) m = bt * (r ? 0 : prev) + d;
      else if (zeroAll) m = r ? 0 : bt * prev + d;
      else m = bt * prev + d;
      mem[o0 + n] = m;
      const fired = mem[o0 + n] - th > 0 ? 1 : 0;
      spk[o0 + n] = fired;
      count += fired;
    }
  }

  const parents = [input, ...paramParents(beta, alpha, thr, rec?.weight, rec?.bias)];
  const outs = fusedOutputs(
    parents,
    {
      spk: { data: spk, shape: [T, B, H] },
      mem: { data: mem, shape: [T, B, H] },
      ...(syn ? { syn: { data: syn, shape: [T, B, H] } } : {}),
    } as Record<'spk' | 'mem' | 'syn', { data: Float32Array | Uint8Array; shape: number[] }>,
    (grads) => {
      const gSpk = grads.spk;
      const gMem = grads.mem;
      const gSynOut = syn ? grads.syn : null;
      const gi = gradInputArray(g);
      const gBeta = new Float64Array(H);
      const gAlpha = new Float64Array(H);
      const gThr = new Float64Array(H);
      const gV = V && rec!.weight.requiresGrad ? new Float32Array(H * H) : null;
      const gVb = vb && rec!.bias!.requiresGrad ? new Float64Array(H) : null;
      const carryM = new Float64Array(N);
      const carryS = new Float64Array(N);
      const gSpkRec = new Float64Array(N); // gradient reaching S[t] through X[t+1]
      const gX = new Float64Array(N);
      const gRec32 = k ? new Float32Array(N) : null;
      for (let t = T - 1; t >= 0; t--) {
        const o0 = t * N;
        for (let n = 0; n < N; n++) {
          const i = o0 + n;
          const h = n % H;
          const th = thr.v[h];
          const bt = beta.v[h];
          const gs = (gSpk ? gSpk[i] : 0) + gSpkRec[n];
          const sg = gs !== 0 ? gs * sur.grad(mem[i] - th) : 0;
          const gm = (gMem ? gMem[i] : 0) + sg + carryM[n];
          const r = t > 0 ? spk[i - N] : 0;
          const prev = t > 0 ? mem[i - N] : 0;
          gThr[h] -= sg;
          if (reset === 'subtract') gThr[h] -= r * gm;
          // gradient of beta*prev (the leak term) and of the drive D[t]
          const gLeak = (zeroAll || zeroPrev) && r ? 0 : gm;
          const gD = zeroAll && r ? 0 : gm;
          gBeta[h] += gLeak * prev;
          carryM[n] = bt * gLeak;
          let gx = gD;
          if (syn) {
            const gsyn = (gSynOut ? gSynOut[i] : 0) + gD + carryS[n];
            gAlpha[h] += gsyn * (t > 0 ? syn[i - N] : 0);
            carryS[n] = alpha!.v[h] * gsyn;
            gx = gsyn;
          }
          if (g.constInput) gi[n] += gx;
          else gi[i] = gx;
          gX[n] = gx;
        }
        if (V && k) {
          for (let n = 0; n < N; n++) rec32![n] = gX[n];
          if (gVb) for (let n = 0; n < N; n++) gVb[n % H] += gX[n];
          if (t > 0) {
            // dL/dS[t-1] = dL/dX[t] @ V^T; dV += S[t-1]^T @ dL/dX[t] (one row per spike)
            k.matmul(rec32!, V, gRec32!, B, H, H, false, true, false);
            for (let n = 0; n < N; n++) gSpkRec[n] = gRec32![n];
            if (gV) k.spikeMatmulGradW(spk.subarray(o0 - N, o0), rec32!, gV, B, H, H);
          }
        } else if (V) {
          gSpkRec.fill(0);
          for (let b = 0; b < B; b++) {
            const row = b * H;
            if (gVb) for (let j = 0; j < H; j++) gVb[j] += gX[row + j];
            if (t === 0) continue;
            const sp = o0 - N + row;
            for (let k = 0; k < H; k++) {
              const vk = k * H;
              // dL/dS[t-1][b, k] = sum_j gX[b, j] V[k, j]
              let s = 0;
              for (let j = 0; j < H; j++) s += gX[row + j] * V[vk + j];
              gSpkRec[row + k] = s;
              if (gV && spk[sp + k]) for (let j = 0; j < H; j++) gV[vk + j] += gX[row + j];
            }
          }
        }
      }
      if (input.requiresGrad) accumulateOwnedGrad(input, gi);
      addParamGrad(beta, gBeta);
      if (alpha) addParamGrad(alpha, gAlpha);
      addParamGrad(thr, gThr);
      if (gV) accumulateOwnedGrad(rec!.weight, gV);
      if (gVb) addParamGrad({ v: new Float64Array(0), tensor: rec!.bias }, gVb);
    },
  );
  return { spk: outs.spk, mem: outs.mem, syn: syn ? outs.syn : null, spikes: count };
}

/** One step of the same dynamics for one neuron (used by the pure step functions). */
export function scanUpdate(
  prevMem: number,
  prevSyn: number,
  prevSpk: number,
  x: number,
  p: { alpha: number | null; beta: number; threshold: number; reset: ResetMechanism; zeroStyle: 'prev' | 'all' },
): { syn: number; mem: number; spk: number } {
  const r = prevSpk;
  const syn = p.alpha === null ? x : Math.fround(p.alpha * prevSyn + x);
  let m: number;
  if (p.reset === 'subtract') m = p.beta * prevMem + syn - r * p.threshold;
  else if (p.reset === 'zero' && p.zeroStyle === 'prev') m = p.beta * (r ? 0 : prevMem) + syn;
  else if (p.reset === 'zero') m = r ? 0 : p.beta * prevMem + syn;
  else m = p.beta * prevMem + syn;
  m = Math.fround(m);
  return { syn, mem: m, spk: m - p.threshold > 0 ? 1 : 0 };
}
