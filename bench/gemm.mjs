// Dense GEMM against the engine's limit and the native BLAS (issue 22):
//  - the per-core WASM SIMD limit (bench/wasm-peak.mjs: mul+add and relaxed madd);
//  - spikeflow's WASM GEMM (Kernels.matmul, one thread, operands copied in and out as every call does)
//    on square and tall shapes, every transpose form (op(A) op(B): NN, TN, NT, TT); and the same call on
//    operands resident in the kernels' memory (Kernels.arraySpace, as a training step's arrays are): no copies;
//  - the native BLAS's sgemm through the BLAS tier (Kernels.matmul of withBlas) at 1 and 2 threads;
//  - where the tier starts paying: small cubes on both tiers (DEFAULT_BLAS_MIN_MACS), and the sparse
//    case (mostly-zero analog input, which the WASM kernels run as a sparse GEMM).
//
//   npm run build && node bench/gemm.mjs [--quick] [--json]
// One-thread figures are by on-CPU time (process.cpuUsage), two-thread ones by wall time.
// OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are removed from this process's environment before the BLAS loads,
// so OpenBLAS runs the kernels it picks for this CPU (the peers in bench/ run the same way). --quick
// times fewer shapes. Best of a few runs per shape (the machine may be shared).
import { availableParallelism } from 'node:os';
import { createWasmKernelsSync } from '../dist/index.js';
import { enableRelaxedSimd, withBlas, DEFAULT_BLAS_MIN_MACS } from '../dist/node.js';
import { microKernel, wasmPeak } from './wasm-peak.mjs';
import { gemmShapes, randomF32 } from './gemm-shapes.mjs';

delete process.env.OPENBLAS_CORETYPE;
delete process.env.OPENBLAS_L2_SIZE;
const quick = process.argv.includes('--quick');
const json = process.argv.includes('--json');
const relaxed = enableRelaxedSimd();

/**
 * This process's on-CPU seconds (getrusage, to the microsecond). On a shared machine one busy thread's
 * on-CPU time is its cost whatever else runs; wall time is not. Used for one-thread work only.
 */
function threadCpu() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
const hasCpuClock = true;

/**
 * GFLOP/s of k.matmul on [m, kk] x [kk, n] in form `form` ('NN', 'TN', ...): best of runs within ~budget s;
 * by this thread's on-CPU time where `cpu` (one-thread work on Linux), else by wall time.
 */
function gflops(k, m, kk, n, form, budget = 1.2, a = randomF32(m * kk, 1), b = randomF32(kk * n, 2), cpu = false, resident = false) {
  const clock = cpu && hasCpuClock ? threadCpu : () => Number(process.hrtime.bigint()) / 1e9;
  // resident: A, B and C in the kernels' array space, which a call reads and writes in place
  const inSpace = (x) => {
    const r = k.arraySpace.alloc(Float32Array, x.length);
    r.set(x);
    return r;
  };
  if (resident) [a, b] = [inSpace(a), inSpace(b)];
  const c = resident ? inSpace(new Float32Array(m * n)) : new Float32Array(m * n);
  const tA = form[0] === 'T';
  const tB = form[1] === 'T';
  k.matmul(a, b, c, m, kk, n, tA, tB, false); // warm-up (and the tier-up of the WASM code)
  let best = Infinity;
  let spent = 0;
  let runs = 0;
  while (runs < 3 || (spent < budget && runs < 200)) {
    const t0 = clock();
    k.matmul(a, b, c, m, kk, n, tA, tB, false);
    const s = clock() - t0;
    best = Math.min(best, s);
    spent += s;
    runs++;
    if (spent > 3 * budget) break;
  }
  if (resident) for (const x of [a, b, c]) k.arraySpace.free(x);
  return (2 * m * kk * n) / best / 1e9;
}

/**
 * Seconds (on-CPU) to copy what a WASM matmul call copies: A and B into WASM memory, C out (memcpy-like
 * Float32Array.set): the share of a call that is not the GEMM.
 */
function copySeconds(m, k, n) {
  const src = new Float32Array(m * k + k * n + m * n);
  const dst = new Float32Array(src.length);
  const clock = hasCpuClock ? threadCpu : () => Number(process.hrtime.bigint()) / 1e9;
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = clock();
    dst.set(src);
    best = Math.min(best, clock() - t0);
  }
  return best;
}

const shapes = gemmShapes(quick);

// the limit is measured before and after the GEMM rows and the higher of each kind kept: on a shared
// machine a single measurement may land in a busy moment and flatter the GEMM's share
const peakBefore = wasmPeak();
// the GEMM's own 4x8 micro-kernel loop on L1-resident panels, multiply then add as gemm.ts does in both
// builds: what its register tile allows
const micro = microKernel(4, 8, false);
const wasm = createWasmKernelsSync({ relaxed, threads: 1 });
const wasmSimd = relaxed ? createWasmKernelsSync({ relaxed: false, threads: 1 }) : null;
const { kernels: blas, report } = await withBlas(wasm, { blas: process.env.SPIKEFLOW_BLAS ?? 'auto', threads: 1 });
const lib = report.probe.library;
const setThreads = (t) => lib?.setThreads?.(t);

// every WASM row first, then the BLAS rows: after a two-thread BLAS call OpenBLAS's worker thread spins for
// a while (~90 ms of this process's CPU in the 300 ms after one call, measured here), which the next WASM
// row's on-CPU clock would count
const rows = [];
for (const { m, k, n, forms } of shapes) {
  for (const form of forms) {
    const row = { shape: `${m}x${k}x${n}`, m, k, n, form, wasm: gflops(wasm, m, k, n, form, 1.2, undefined, undefined, true) };
    row.copyShare = (copySeconds(m, k, n) * row.wasm * 1e9) / (2 * m * k * n);
    if (wasm.arraySpace) row.wasmResident = gflops(wasm, m, k, n, form, 1.2, undefined, undefined, true, true);
    if (wasmSimd && form === 'NN') row.wasmSimd = gflops(wasmSimd, m, k, n, form, 1.2, undefined, undefined, true);
    rows.push(row);
    if (!json) console.error(`  ${row.shape} ${form}: wasm ${row.wasm.toFixed(1)}`);
  }
}
const peakAfter = wasmPeak();
if (lib) {
  for (const row of rows) {
    const { m, k, n, form } = row;
    setThreads(1);
    row.blas1 = gflops(blas, m, k, n, form, 0.6, undefined, undefined, true);
    setThreads(2);
    row.blas2 = gflops(blas, m, k, n, form, 0.6);
    if (!json) console.error(`  ${row.shape} ${form}: blas ${row.blas1.toFixed(1)} / ${row.blas2.toFixed(1)}`);
  }
}
for (const row of rows) {
  delete row.m;
  delete row.k;
  delete row.n;
}

const peak = { mulAdd: Math.max(peakBefore.mulAdd, peakAfter.mulAdd), fused: Math.max(peakBefore.fused, peakAfter.fused) };

// where the BLAS tier starts paying (through Kernels.matmul on both sides, BLAS on one thread)
const small = [];
if (lib) {
  setThreads(1);
  for (const s of [4, 8, 16, 32, 64, 128]) {
    const w = gflops(wasm, s, s, s, 'NN', 0.15);
    // below the threshold the tier hands the call to WASM: time the BLAS itself with the threshold at 0
    const { kernels: raw } = await withBlas(wasm, { blas: process.env.SPIKEFLOW_BLAS ?? 'auto', threads: 1, minMacs: 0 });
    const bl = gflops(raw, s, s, s, 'NN', 0.15);
    small.push({ size: s, macs: s ** 3, wasm: w, blas: bl });
  }
}
// MNIST-like analog input: 128 x 784 with 80% exact zeros, times 784 x 128 (the WASM sparse GEMM's case)
let sparse = null;
if (lib) {
  setThreads(1);
  const a = randomF32(128 * 784, 3).map((x) => (x < 0.6 ? 0 : x));
  const b = randomF32(784 * 128, 4);
  sparse = {
    zeros: a.filter((x) => x === 0).length / a.length,
    wasm: gflops(wasm, 128, 784, 128, 'NN', 0.3, a, b),
    blas: gflops(blas, 128, 784, 128, 'NN', 0.3, a, b),
  };
}

const out = {
  node: process.version,
  cores: availableParallelism(),
  build: relaxed ? 'relaxed-simd' : 'simd',
  peak: { mulAdd: peak.mulAdd, fused: peak.fused, fusedBefore: peakBefore.fused, fusedAfter: peakAfter.fused },
  microKernel4x8: micro.gflops,
  blas: report.blas,
  blasReason: report.reason,
  minMacs: DEFAULT_BLAS_MIN_MACS,
  rows,
  small,
  sparse,
};
if (json) console.log(JSON.stringify(out, null, 2));
else {
  // the engine's limit whatever the form (the fused one where relaxed SIMD runs)
  const lim = Math.max(peak.fused, peak.mulAdd);
  console.log(
    `WASM per-core limit: mul+add ${peak.mulAdd.toFixed(1)}, relaxed madd ${peak.fused.toFixed(1)} GFLOP/s (relaxed madd ${peakBefore.fused.toFixed(1)} before the GEMM rows, ${peakAfter.fused.toFixed(1)} after; Node ${process.version}, ${out.cores} cores)`,
  );
  console.log(
    `the GEMM's 4x8 micro-kernel loop alone (L1-resident panels): ${micro.gflops.toFixed(1)} GFLOP/s (${((100 * micro.gflops) / lim).toFixed(0)}% of the limit)`,
  );
  console.log(`GFLOP/s; one-thread figures by on-CPU time, two-thread BLAS by wall time`);
  console.log(`BLAS: ${report.blas ? `${report.blas.vendor} ${report.blas.config} (${report.blas.path})` : `none: ${report.reason}`}`);
  console.log(
    `\n| shape (m x k x n) | form | WASM ${out.build}, 1 thread | % of limit | copies in/out | resident operands | % of limit | BLAS 1 thread | BLAS 2 threads |`,
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  const pct = (x) => (x === undefined ? '-' : `${((100 * x) / lim).toFixed(0)}%`);
  for (const r of rows)
    console.log(
      `| ${r.shape} | ${r.form} | ${r.wasm.toFixed(1)}${r.wasmSimd ? ` (simd build ${r.wasmSimd.toFixed(1)})` : ''} | ${pct(r.wasm)} | ${(100 * r.copyShare).toFixed(0)}% | ${r.wasmResident?.toFixed(1) ?? '-'} | ${pct(r.wasmResident)} | ${r.blas1?.toFixed(1) ?? '-'} | ${r.blas2?.toFixed(1) ?? '-'} |`,
    );
  if (small.length) {
    console.log(`\nsmall cubes, GFLOP/s through Kernels.matmul (BLAS 1 thread; the tier uses the BLAS from ${out.minMacs} multiply-adds):`);
    console.log(small.map((s) => `  ${s.size}^3: wasm ${s.wasm.toFixed(1)}, blas ${s.blas.toFixed(1)}`).join('\n'));
  }
  if (sparse)
    console.log(
      `\n128x784x128 with ${(100 * sparse.zeros).toFixed(0)}% zeros in A: wasm (sparse GEMM) ${sparse.wasm.toFixed(1)}, blas ${sparse.blas.toFixed(1)} effective GFLOP/s`,
    );
}
