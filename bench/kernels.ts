// Kernel micro-benchmark: npx vite-node bench/kernels.ts   (indicative; the machine is shared and noisy)
import { createWasmKernelsSync } from '../src/kernels/wasm.js';
import { referenceKernels } from '../src/kernels/reference.js';
import { ResetCode, SurrogateCode } from '../src/kernels/types.js';
import { Rng } from '../src/core/rng.js';

const k = createWasmKernelsSync();
const rng = new Rng(1);
const f = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
const s = (n: number, p: number) => Uint8Array.from({ length: n }, () => (rng.uniform() < p ? 1 : 0));
function time(name: string, fn: () => void, reps = 10): void {
  fn();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  console.log(`${name.padEnd(58)} ${((performance.now() - t0) / reps).toFixed(2)} ms`);
}
const [M, K, N] = [128, 784, 1000];
const A = f(M * K), B = f(K * N), C = new Float32Array(M * N), G = f(M * N), dW = new Float32Array(K * N);
time('matmul 128x784x1000 (x W)', () => k.matmul(A, B, C, M, K, N, false, false, false));
time('matmul transA 784x128x1000 (dW = X^T G)', () => k.matmul(A, G, dW, K, M, N, true, false, true));
time('matmul transB 128x1000x784 (dX = G W^T)', () => k.matmul(G, B, A, M, N, K, false, true, false));
const R = 3200;
const S = s(R * K, 0.13), CR = new Float32Array(R * N), GR = f(R * N);
time('spikeMatmul 3200x784x1000 @13%', () => k.spikeMatmul(S, B, CR, R, K, N, false), 5);
time('spikeMatmulGradW 3200x784x1000 @13%', () => k.spikeMatmulGradW(S, GR, dW, R, K, N), 5);
const S1 = s(M * K, 0.13);
time('spikeMatmul 128x784x1000 @13%', () => k.spikeMatmul(S1, B, C, M, K, N, false));
const T = 25, NN = 128 * 1000;
const args = { T, N: NN, H: 1000, input: f(NN), constInput: true, beta: new Float32Array(1000).fill(0.95), threshold: 1, reset: ResetCode.Subtract };
const fw = k.leakyForward(args);
time('leakyForward T=25 N=128000 (const input)', () => k.leakyForward(args), 5);
const gs = f(T * NN);
time('leakyBackward T=25 N=128000', () => k.leakyBackward({ ...args, ...fw, gradSpk: gs, gradMem: null, surrogate: SurrogateCode.Atan, surrogateParam: 2 }), 5);
time('reference matmul 128x784x1000 (TS, for scale)', () => referenceKernels.matmul(A, B, C, M, K, N, false, false, false), 1);
const S2 = s(R * 1000, 0.19), G2 = f(R * 10), W2 = f(1000 * 10), C2 = new Float32Array(R * 10), dW2 = new Float32Array(1000 * 10);
time('spikeMatmul 3200x1000x10 @19% (fc2 forward)', () => k.spikeMatmul(S2, W2, C2, R, 1000, 10, false));
time('spikeMatmulGradW 3200x1000x10 @19% (fc2 dW)', () => k.spikeMatmulGradW(S2, G2, dW2, R, 1000, 10));
time('matmul transB 3200x10x1000 (fc2 dX)', () => k.matmul(G2, W2, new Float32Array(R * 1000), R, 10, 1000, false, true, false));
