import { ResetCode, SurrogateCode, type Kernels, type LeakyBackwardArgs, type LeakyScanArgs } from './types.js';
import { checkLeaky, checkMatmul, need } from './validate.js';

/**
 * Plain TypeScript kernels: the obviously-correct reference every WASM kernel is tested against.
 * Written for clarity, not speed.
 */
export function surrogateGrad(code: SurrogateCode, p: number, x: number): number {
  switch (code) {
    case SurrogateCode.Atan: return p / 2 / (1 + (Math.PI / 2 * p * x) ** 2);
    case SurrogateCode.FastSigmoid: return 1 / (p * Math.abs(x) + 1) ** 2;
    case SurrogateCode.Sigmoid: {
      const e = Math.exp(-p * x);
      return Number.isFinite(e) ? (p * e) / (1 + e) ** 2 : 0;
    }
  }
}

function leakyForward(a: LeakyScanArgs, wantMem = true): { spk: Uint8Array; mem: Float32Array | null; count: number } {
  checkLeaky('leakyForward', a);
  const { T, N, H, input, beta, threshold: thr, reset } = a;
  const spk = new Uint8Array(T * N);
  const mem = new Float32Array(T * N);
  let count = 0;
  for (let n = 0; n < N; n++) {
    const b = beta[n % H];
    let v = 0;
    for (let t = 0; t < T; t++) {
      const x = a.constInput ? input[n] : input[t * N + n];
      const r = v - thr > 0 ? 1 : 0;
      if (reset === ResetCode.Subtract) v = b * v + x - r * thr;
      else if (reset === ResetCode.Zero) v = b * (1 - r) * v + x;
      else v = b * v + x;
      v = Math.fround(v);
      mem[t * N + n] = v;
      spk[t * N + n] = v - thr > 0 ? 1 : 0;
      count += spk[t * N + n];
    }
  }
  return { spk, mem: wantMem ? mem : null, count };
}

function leakyBackward(a: LeakyBackwardArgs): { gradInput: Float32Array; gradBeta: Float32Array } {
  checkLeaky('leakyBackward', a);
  const { T, N, H, beta, threshold: thr, reset, spk, gradSpk, gradMem } = a;
  need('leakyBackward', 'spk', spk, T * N);
  if (a.mem) need('leakyBackward', 'mem', a.mem, T * N);
  const mem = a.mem ?? leakyForward(a, true).mem!;
  if (gradSpk) need('leakyBackward', 'gradSpk', gradSpk, T * N);
  if (gradMem) need('leakyBackward', 'gradMem', gradMem, T * N);
  const gradInput = new Float32Array(a.constInput ? N : T * N);
  const gradBeta = new Float32Array(H);
  for (let n = 0; n < N; n++) {
    const b = beta[n % H];
    let carry = 0; // dL/dmem_{t+1} * dmem_{t+1}/dmem_t
    let gb = 0;
    let gsum = 0;
    for (let t = T - 1; t >= 0; t--) {
      const i = t * N + n;
      let g = carry;
      if (gradMem) g += gradMem[i];
      if (gradSpk) g += gradSpk[i] * surrogateGrad(a.surrogate, a.surrogateParam, mem[i] - thr);
      if (a.constInput) gsum += g;
      else gradInput[i] = g;
      const prev = t > 0 ? mem[i - N] : 0;
      const r = t > 0 ? spk[i - N] : 0; // reset of step t comes from the spike of step t-1
      const keep = reset === ResetCode.Zero ? 1 - r : 1;
      gb += g * prev * keep;
      carry = g * b * keep;
    }
    if (a.constInput) gradInput[n] = gsum;
    gradBeta[n % H] += gb;
  }
  return { gradInput, gradBeta };
}

export const referenceKernels: Kernels = {
  name: 'reference',
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
    need('spikeMatmulGradW', 'S', s, m * k);
    need('spikeMatmulGradW', 'G', g, m * n);
    need('spikeMatmulGradW', 'dW', dw, k * n);
    for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) if (s[i * k + p]) for (let j = 0; j < n; j++) dw[p * n + j] += g[i * n + j];
  },
  sumRows(x, out, m, n, accumulate) {
    need('sumRows', 'X', x, m * n);
    need('sumRows', 'out', out, n);
    if (!accumulate) out.fill(0);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j] += x[i * n + j];
  },
  addBias(c, bias, m, n) {
    need('addBias', 'C', c, m * n);
    need('addBias', 'bias', bias, n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) c[i * n + j] += bias[j];
  },
  leakyForward,
  leakyBackward,
};
