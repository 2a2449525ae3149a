// Kernel micro-benchmark, WASM SIMD vs the TypeScript reference, on the shapes of an MNIST SNN
// (784-1000-10, batch 128, T = 25 steps; spike-driven layers see 3200 = 25 x 128 rows at once).
//
//   npm run build && node bench/kernels.mjs           (imports the built library from dist/)
//   node bench/kernels.mjs --quick                    (fewer repetitions)
//
// Prints the median ms per call, including the copies into and out of WASM memory (for the LIF
// kernels most of the time is allocating and filling the fresh [T, N] output arrays the contract
// returns; wantMem=false skips the 12.8 MB membrane copy). Single-threaded; the target machine has 2
// cores and may be running other work, so timings are indicative.
import { createWasmKernelsSync, referenceKernels } from '../dist/kernels/index.js';
import { loadMnist } from '../dist/node.js';

const quick = process.argv.includes('--quick');
const wasm = createWasmKernelsSync();

// Tiny seeded PRNG (mulberry32) so every run benchmarks the same data.
let seed = 12345;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const floats = (n) => Float32Array.from({ length: n }, () => rand() * 2 - 1);
const spikes = (n, p) => Uint8Array.from({ length: n }, () => (rand() < p ? 1 : 0));

function median(fn, reps) {
  fn(); // warm-up (compilation, memory growth)
  const t = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

const rows = [];
function bench(name, run, { reps = 10, refReps = 1 } = {}) {
  const w = median(() => run(wasm), quick ? Math.max(2, reps >> 2) : reps);
  const r = refReps > 0 ? median(() => run(referenceKernels), refReps) : NaN;
  rows.push({ name, w, r });
  console.log(
    `${name.padEnd(46)} wasm ${w.toFixed(2).padStart(8)} ms   reference ${Number.isNaN(r) ? '       -' : r.toFixed(1).padStart(8)} ms   x${Number.isNaN(r) ? '-' : (r / w).toFixed(0)}`,
  );
}

const [B, I, H, O, T] = [128, 784, 1000, 10, 25];
const R = T * B;
const X = floats(B * I),
  W1 = floats(I * H),
  Y = new Float32Array(B * H),
  G = floats(B * H),
  dW = new Float32Array(I * H);
const dX = new Float32Array(B * I);
bench('matmul 128x784x1000 (X W)', (k) => k.matmul(X, W1, Y, B, I, H, false, false, false));
bench('matmul transA 784x128x1000 (dW += X^T G)', (k) => k.matmul(X, G, dW, I, B, H, true, false, true));
bench('matmul transB 128x1000x784 (dX = G W^T)', (k) => k.matmul(G, W1, dX, B, H, I, false, true, false));

const S = spikes(R * I, 0.13),
  YR = new Float32Array(R * H),
  GR = floats(R * H);
bench('spikeMatmul 3200x784x1000 @13%', (k) => k.spikeMatmul(S, W1, YR, R, I, H, false), { reps: 7 });
bench('spikeMatmulGradW 3200x784x1000 @13%', (k) => k.spikeMatmulGradW(S, GR, dW, R, I, H), { reps: 7 });
const S1 = spikes(B * I, 0.13);
bench('spikeMatmul 128x784x1000 @13%', (k) => k.spikeMatmul(S1, W1, Y, B, I, H, false));

// Rate-coded MNIST (the first 128 test images, 25 steps): the plain spike kernels against the
// complement-coded sequence kernels Linear uses for [T, B, in] spike input (same product).
const mnist = await loadMnist({ dataset: 'mnist', download: false });
const SM = new Uint8Array(R * I);
for (let t = 0; t < T; t++)
  for (let b = 0; b < B; b++) for (let i = 0; i < I; i++) SM[(t * B + b) * I + i] = rand() < mnist.test.images[b * I + i] / 255 ? 1 : 0;
bench('spikeMatmul 3200x784x1000, rate-coded MNIST', (k) => k.spikeMatmul(SM, W1, YR, R, I, H, false), { reps: 15, refReps: 0 });
bench('spikeSeqMatmul, the same (complement coding)', (k) => k.spikeSeqMatmul(SM, W1, YR, T, B, I, H, false), { reps: 15, refReps: 0 });
bench('spikeMatmulGradW 3200x784x1000, rate-coded MNIST', (k) => k.spikeMatmulGradW(SM, GR, dW, R, I, H), { reps: 15, refReps: 0 });
bench('spikeSeqGradW, the same (complement coding)', (k) => k.spikeSeqGradW(SM, GR, dW, T, B, I, H), { reps: 15, refReps: 0 });

const S2 = spikes(R * H, 0.19),
  W2 = floats(H * O),
  Y2 = new Float32Array(R * O),
  G2 = floats(R * O),
  dW2 = new Float32Array(H * O);
const dX2 = new Float32Array(R * H);
bench('spikeMatmul 3200x1000x10 @19% (fc2)', (k) => k.spikeMatmul(S2, W2, Y2, R, H, O, false));
bench('spikeMatmulGradW 3200x1000x10 @19% (fc2 dW)', (k) => k.spikeMatmulGradW(S2, G2, dW2, R, H, O));
bench('matmul transB 3200x10x1000 (fc2 dX)', (k) => k.matmul(G2, W2, dX2, R, O, H, false, true, false));
bench('sumRows 3200x1000 (bias grad)', (k) => k.sumRows(GR, new Float32Array(H), R, H, false));

const N = B * H;
const args = {
  T,
  N,
  H,
  input: Float32Array.from({ length: N }, () => rand() * 0.6),
  constInput: true,
  beta: new Float32Array(H).fill(0.95),
  threshold: 1,
  reset: 0 /* subtract */,
};
const fw = wasm.leakyForward(args);
const gradSpk = floats(T * N);
const bargs = { ...args, spk: fw.spk, mem: fw.mem, gradSpk, gradMem: null, surrogate: 0 /* atan */, surrogateParam: 2 };
bench('leakyForward T=25 N=128000 (const input)', (k) => k.leakyForward(args), { reps: 7, refReps: 3 });
bench('leakyForward T=25 N=128000, wantMem=false', (k) => k.leakyForward(args, false), { reps: 7, refReps: 3 });
bench('leakyBackward T=25 N=128000 (atan)', (k) => k.leakyBackward(bargs), { reps: 7, refReps: 3 });
bench(
  'leaky fwd+bwd T=25 N=128000',
  (k) => {
    const f = k.leakyForward(args);
    k.leakyBackward({ ...bargs, spk: f.spk, mem: f.mem });
  },
  { reps: 7, refReps: 3 },
);
bench('leakyBackward T=25 N=128000 (sigmoid, mem=null)', (k) => k.leakyBackward({ ...bargs, mem: null, surrogate: 2, surrogateParam: 5 }), {
  reps: 7,
  refReps: 3,
});

// Inference: the hidden layer of a 1000-sample test batch feeding the 10-class readout.
const BI = 1000,
  NI = BI * H;
const iargs = { ...args, N: NI, input: Float32Array.from({ length: NI }, () => rand() * 0.4) };
const WO = floats(H * O),
  OUT = new Float32Array(T * BI * O);
bench(
  'inference 1000x25x1000 -> 10: leakyForward + spikeMatmul',
  (k) => {
    const f = k.leakyForward(iargs, false);
    k.spikeMatmul(f.spk, WO, OUT, T * BI, H, O, false);
  },
  { reps: 5, refReps: 1 },
);
bench('inference 1000x25x1000 -> 10: fused leakyProject', (k) => k.leakyProject(iargs, WO, O, OUT, false), { reps: 5, refReps: 1 });

// Sparse-input matmul on MNIST-like pixels (81% exact zeros).
const XS = Float32Array.from({ length: B * I }, () => (rand() < 0.81 ? 0 : rand()));
bench('matmul 128x784x1000, 81% zero input (sparse path)', (k) => k.matmul(XS, W1, Y, B, I, H, false, false, false));
bench('matmul transA 784x128x1000, 81% zero input (sparse path)', (k) => k.matmul(XS, G, dW, I, B, H, true, false, true));

const spk = fw.spk.reduce((s, v) => s + v, 0) / fw.spk.length;
console.log(`(LIF spike rate in the leaky benchmark: ${(100 * spk).toFixed(1)}%)`);
