// node bench/gemm-ab.mjs DIST_A DIST_B [...] [--quick] [--rounds N]: the dense GEMM of two or more builds of
// spikeflow (their dist folders, e.g. an export of an earlier commit built with npm run build) through
// Kernels.matmul (WASM, one thread, operands copied in and out as every call does), loaded side by side in one
// process and alternated over rounds on the same operands, so that a machine whose speed drifts treats them
// alike; bench/gemm.mjs's shapes and forms (--quick: its quick ones). One-thread figures by on-CPU time, the
// best call of each build; the WASM limit (bench/wasm-peak.mjs, relaxed madd) measured before and after, the
// higher kept. Also says whether the builds' products are bit-identical.
import { microKernel, wasmPeak } from './wasm-peak.mjs';
import { gemmShapes, randomF32 } from './gemm-shapes.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const ri = args.indexOf('--rounds');
const rounds = ri >= 0 ? Number(args[ri + 1]) : 4;
const dists = args.filter((a, i) => !a.startsWith('--') && !(ri >= 0 && i === ri + 1));
if (dists.length < 1) {
  console.error('usage: node bench/gemm-ab.mjs DIST_A [DIST_B ...] [--quick] [--rounds N]');
  process.exit(2);
}
const builds = [];
for (const d of dists) {
  const lib = await import(`${d}/index.js`);
  const node = await import(`${d}/node.js`);
  const relaxed = node.enableRelaxedSimd();
  builds.push(lib.createWasmKernelsSync({ relaxed, threads: 1 }));
}

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const shapes = gemmShapes(quick);

const peakBefore = wasmPeak();
const micro = microKernel(4, 8, false);
const rows = [];
for (const { m, k, n, forms } of shapes) {
  const a = randomF32(m * k, 1);
  const b = randomF32(k * n, 2);
  // calls per build and round: about a second of GEMM at ~50 GFLOP/s, at least 2
  const calls = Math.max(2, Math.min(10, Math.round(50e9 / (2 * m * k * n))));
  for (const form of forms) {
    const tA = form[0] === 'T';
    const tB = form[1] === 'T';
    const outs = builds.map(() => new Float32Array(m * n));
    builds.forEach((kern, i) => kern.matmul(a, b, outs[i], m, k, n, tA, tB, false)); // warm-up
    const best = builds.map(() => Number.POSITIVE_INFINITY);
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < builds.length; i++) {
        for (let c = 0; c < calls; c++) {
          const t0 = cpu();
          builds[i].matmul(a, b, outs[i], m, k, n, tA, tB, false);
          best[i] = Math.min(best[i], cpu() - t0);
        }
      }
    }
    const bits = outs.map((o) => new Uint32Array(o.buffer));
    const same = bits.map((x) => x.every((v, j) => v === bits[0][j]));
    const row = { shape: `${m}x${k}x${n}`, form, gflops: best.map((s) => (2 * m * k * n) / s / 1e9), same };
    rows.push(row);
    console.error(`  ${row.shape} ${form}: ${row.gflops.map((g) => g.toFixed(1)).join(' / ')}`);
  }
}
const peakAfter = wasmPeak();
const lim = Math.max(peakBefore.fused, peakAfter.fused);
console.log(
  `WASM limit (relaxed madd): ${peakBefore.fused.toFixed(1)} before, ${peakAfter.fused.toFixed(1)} after, ${lim.toFixed(1)} used; 4x8 micro-kernel loop ${micro.gflops.toFixed(1)}; ${rounds} rounds`,
);
console.log(`builds: ${dists.map((d, i) => `${'ABCDEFGH'[i]} = ${d}`).join(', ')}`);
console.log(
  `\n| shape | form | ${dists.map((_, i) => `${'ABCDEFGH'[i]} GFLOP/s (% of limit)`).join(' | ')} | ratio to A | same bits as A |`,
);
console.log(`|---|---|${dists.map(() => '---|').join('')}---|---|`);
for (const r of rows)
  console.log(
    `| ${r.shape} | ${r.form} | ${r.gflops.map((g) => `${g.toFixed(1)} (${((100 * g) / lim).toFixed(0)}%)`).join(' | ')} | ${r.gflops
      .slice(1)
      .map((g) => (g / r.gflops[0]).toFixed(3))
      .join(', ')} | ${r.same.slice(1).every(Boolean) ? 'yes' : 'NO'} |`,
  );
