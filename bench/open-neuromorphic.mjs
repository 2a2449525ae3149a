// The Open Neuromorphic SNN library benchmark (open-neuromorphic.github.io, "SNN library benchmarks"):
// Linear(n, n) -> LIF (Leaky, beta 0.95, threshold 1, atan surrogate, reset by subtraction), batch 16,
// 500 time steps, dense randn input [T, B, n] without gradient, loss = sum of the output spikes; forward
// and backward timed apart, through the library API (Sequential.forward, backward), one thread. The peer,
// snnTorch from its source on Debian's torch, runs in the same process tree right after, in the benchmark's
// published form and in its fastest user-level form (bench/open_neuromorphic.py), with its BLAS at its best
// (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for the peer's command only, 2 BLAS threads, torch threads 1).
// usage: node bench/open-neuromorphic.mjs [n ...]   (default 512 4096). Env: ON_T (500), ON_B (16), ON_REPS (3),
//        SNNTORCH_SRC (default /tmp/snntorch), PEER_PYTHON (default /usr/bin/python3), ON_PEER_THREADS (the peer's
//        torch and BLAS threads; default: torch 1, BLAS 2, its best on the 2-core machines). Prints one JSON line
//        per run and a Markdown table.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, Tensor, Linear, Leaky, Sequential, atan, backward, defaultKernels } from '../dist/index.js';
import { enableRelaxedSimd } from '../dist/node.js';

enableRelaxedSimd();
const here = dirname(fileURLToPath(import.meta.url));
const sizes = process.argv.slice(2).map(Number);
const T = Number(process.env.ON_T ?? 500);
const B = Number(process.env.ON_B ?? 16);
const reps = Number(process.env.ON_REPS ?? 3);
const kernels = defaultKernels();
const med = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];

function ours(n) {
  const rng = new Rng(0);
  const model = new Sequential([new Linear(n, n, { rng }), new Leaky({ size: n, beta: 0.95, surrogate: atan() })]);
  const x = new Float32Array(T * B * n);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const input = new Tensor(x, [T, B, n]);
  const fwd = [];
  const bwd = [];
  let peak = 0;
  let spikes = 0;
  for (let r = 0; r <= reps; r++) {
    for (const p of model.parameters()) p.tensor.grad = null;
    const t0 = performance.now();
    const out = model.forward({ x: input, steps: T, constant: false }, kernels);
    const spk = out.records[out.records.length - 1].spk;
    const t1 = performance.now();
    backward(spk, new Float32Array(spk.size).fill(1)); // d(sum of spikes)/d(spikes)
    const t2 = performance.now();
    peak = Math.max(peak, process.memoryUsage().rss);
    spikes = out.records[out.records.length - 1].spikes;
    if (r) {
      fwd.push(t1 - t0);
      bwd.push(t2 - t1);
    }
  }
  return {
    peer: 'spikeflow',
    n,
    T,
    B,
    forwardMs: med(fwd),
    backwardMs: med(bwd),
    totalMs: med(fwd.map((f, i) => f + bwd[i])),
    peakRssMB: peak / 2 ** 20,
    spikes,
  };
}

function peer(n, form) {
  const src = process.env.SNNTORCH_SRC ?? '/tmp/snntorch';
  if (!existsSync(join(src, 'snntorch', '__init__.py'))) return { peer: `snnTorch (${form})`, n, skipped: `no snnTorch source in ${src}` };
  const threads = process.env.ON_PEER_THREADS;
  const env = { ...process.env, SNNTORCH_SRC: src, OPENBLAS_NUM_THREADS: threads ?? '2', OMP_NUM_THREADS: threads ?? '1' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const python = process.env.PEER_PYTHON ?? '/usr/bin/python3';
  const r = spawnSync(python, [join(here, 'open_neuromorphic.py'), String(n), String(T), String(B), form, String(reps), threads ?? '1'], {
    env,
    encoding: 'utf8',
  });
  if (r.status !== 0)
    return { peer: `snnTorch (${form})`, n, skipped: (r.stderr || r.error?.message || 'failed').trim().split('\n').pop() };
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const rows = [];
for (const n of sizes.length ? sizes : [512, 4096]) {
  for (const r of [ours(n), peer(n, 'fast'), peer(n, 'published')]) {
    console.log(JSON.stringify(r));
    rows.push(r);
  }
}
console.log('\n| n | library | forward (ms) | backward (ms) | total (ms) | peak RSS (MB) | peer total / spikeflow total |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  if (r.skipped) {
    console.log(`| ${r.n} | ${r.peer} | skipped: ${r.skipped} | | | | |`);
    continue;
  }
  const us = rows.find((q) => q.n === r.n && q.peer === 'spikeflow');
  const ratio = r.peer === 'spikeflow' ? '' : `${(r.totalMs / us.totalMs).toFixed(2)}x`;
  console.log(
    `| ${r.n} | ${r.peer} | ${r.forwardMs.toFixed(0)} | ${r.backwardMs.toFixed(0)} | ${r.totalMs.toFixed(0)} | ${r.peakRssMB.toFixed(0)} | ${ratio} |`,
  );
}
