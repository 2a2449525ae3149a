// npm run bench — spikeflow vs snnTorch, measured in the same run:
//  - the snnTorch tutorial-5 configuration (784-1000-10, beta 0.95, T = 25, batch 128, Adam 5e-4), direct and rate input;
//  - the tutorial-6 CSNN (12C5-MP2-64C5-MP2-1024FC10, beta 0.5, fast sigmoid, T = 50, batch 128, Adam 1e-2, ce_rate_loss).
// Env: BENCH_BATCHES (training batches timed, default 100), BENCH_CSNN_BATCHES (default 20),
//      BENCH_CSNN_WARMUP (untimed CSNN training batches first, both sides, default 5),
//      BENCH_ONLY (fc or csnn: run one part), BENCH_THREADS (default: all cores),
//      BENCH_THREAD_MODEL (kernel: the CLI's kernel threads, the default; data: DataParallel batch shards),
//      SNNTORCH_SRC (snnTorch source folder, default /tmp/snntorch), SPIKEFLOW_SHARED (default ../shared),
//      BENCH_PEERS (the peers' fastest user-level forms next to their tutorial forms, bench/training_peers.py:
//      default snntorch,spikingjelly,norse; empty: none), BENCH_PEER_BATCHES (timed batches per peer form, default 20),
//      SPIKINGJELLY_SRC (default /tmp/peers/spikingjelly), NORSE_SRC (default /tmp/peers/norse-1.0),
//      PEER_OPENBLAS_CORETYPE (the peer's OpenBLAS core; by default its own detection, see peerEnv below),
//      BENCH_PEER_THREADS (the torch thread counts each peer runs with, default "1,2": its fastest is compared,
//      every count's figure recorded), BENCH_REPS (default 1: every timed training run, ours and each peer
//      form's at each thread count, is made this many times and its fastest kept, all of them recorded; on a
//      shared machine whose background load only ever adds time, both sides' best runs are compared).
// Writes bench/results.json and prints a Markdown table for BENCHMARKS.md.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Rng,
  snnClassifier,
  csnnClassifier,
  fastSigmoid,
  Adam,
  spikingTask,
  trainEpoch,
  evaluate,
  directEncode,
  rateEncode,
  defaultKernels,
  setKernelThreads,
} from '../dist/index.js';
import { loadMnist, DataParallel, enableRelaxedSimd } from '../dist/node.js';

// The fused multiply-add kernel build where this Node has relaxed SIMD (Node 20: behind a flag this sets).
const kernelBuild = enableRelaxedSimd() ? 'relaxed SIMD (fused multiply-add)' : 'SIMD';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.SPIKEFLOW_SHARED ?? join(root, '..', 'shared');
const batches = Number(process.env.BENCH_BATCHES ?? 100);
const reps = Number(process.env.BENCH_REPS ?? 1);
if (!Number.isInteger(reps) || reps < 1) throw new Error(`BENCH_REPS: expected a positive integer, found ${process.env.BENCH_REPS}`);
const threads = Number(process.env.BENCH_THREADS ?? cpus().length);
const threadModel = process.env.BENCH_THREAD_MODEL ?? 'kernel';
if (threadModel !== 'kernel' && threadModel !== 'data')
  throw new Error(`BENCH_THREAD_MODEL: expected kernel or data, found ${threadModel}`);
const T = 25,
  B = 128;

const mnistDir = join(shared, 'datasets', 'mnist');
const data = await loadMnist({ dataset: 'mnist', dataDir: existsSync(mnistDir) ? mnistDir : undefined, download: false });
const asSet = (s) => ({ inputs: s.images, labels: s.labels, n: s.n, features: s.rows * s.cols });
const train = asSet(data.train);
const test = asSet(data.test);

/**
 * Warm-up, timed training, full-test inference. Each side skips the same number of first batches: 2 for
 * the 784-1000-10 configuration (its peer script, in ../shared/peers, skips 2), `csnnWarmup` for the CSNN
 * (5: its first steps here took 1120, 962, 869, 749, 681 ms, then ~650, while V8 compiles and the WASM
 * memory grows).
 */
async function timeRun(model, task, lr, encoder, nThreads, nBatches, evalBatch, warmup = 2) {
  const rng = new Rng(0);
  const kernels = defaultKernels();
  const optimizer = new Adam(model.trainable(), { lr });
  // the CLI's thread model (src/cli/common.ts maybeParallel): nThreads kernel threads, every kernel call
  // split over them; BENCH_THREAD_MODEL=data runs the batch-splitting DataParallel workers instead
  const data = threadModel === 'data' && nThreads > 1;
  setKernelThreads(kernels, data ? 1 : nThreads);
  const parallel = data ? await DataParallel.create(model, task, kernels, nThreads, optimizer) : undefined;
  const o = { model, task, optimizer, encoder, batchSize: B, rng, kernels, parallel };
  await trainEpoch(train, { ...o, maxBatches: warmup });
  // BENCH_REPS timed runs (the training goes on over new batches), the fastest kept
  const runs = [];
  for (let r = 0; r < reps; r++) runs.push((await trainEpoch(train, { ...o, maxBatches: nBatches })).samplesPerSec);
  const tr = { samplesPerSec: Math.max(...runs) };
  // Inference warm-up as well (the inference-only kernels, e.g. the fused leakyProject, are not yet
  // optimised by V8's tiering after training): two batches of the test set, then the timed full pass.
  const nWarm = Math.min(test.n, 2 * evalBatch);
  const warm = { ...test, n: nWarm, inputs: test.inputs.subarray(0, nWarm * test.features), labels: test.labels.subarray(0, nWarm) };
  await evaluate(warm, { model, task, encoder, rng, kernels, parallel, batchSize: evalBatch });
  const ev = await evaluate(test, { model, task, encoder, rng, kernels, parallel, batchSize: evalBatch });
  await parallel?.close();
  setKernelThreads(kernels, threads);
  return {
    trainSamplesPerSec: tr.samplesPerSec,
    inferSamplesPerSec: ev.samplesPerSec,
    testAccuracy: ev.accuracy,
    trainBatches: nBatches,
    ...(reps > 1 ? { trainRuns: runs } : {}),
  };
}

function ours(encoding, nThreads) {
  const model = snnClassifier({ inputs: 784, hidden: [1000], outputs: 10, beta: 0.95 }, new Rng(0));
  const encoder = encoding === 'direct' ? (x) => directEncode(x, T) : (x, r) => rateEncode(x, T, r);
  return timeRun(model, spikingTask('membrane'), 5e-4, encoder, nThreads, batches, 1000);
}

/**
 * The environment the peer runs in: 2 OpenBLAS threads (its best setting on 2 cores) and, when this
 * Debian OpenBLAS does not know the CPU and falls back to its generic "Prescott" (SSE3) kernels, the
 * matching optimized kernels (SkylakeX with AVX-512, Haswell with AVX2): on a Sapphire Rapids machine the
 * fallback ran torch's GEMM at 30 GFLOP/s instead of 130, which would flatter every ratio 4x.
 */
let peerEnvCache = null;
function peerEnv(src) {
  if (peerEnvCache) return peerEnvCache;
  const env = { ...process.env, SNNTORCH_SRC: src, OPENBLAS_NUM_THREADS: '2' };
  // The machine may pin OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (this one pins Haswell on an AVX-512 CPU): the
  // peer runs at its best, so they are dropped for the peer's command (PEER_OPENBLAS_CORETYPE forces a core).
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  if (process.env.PEER_OPENBLAS_CORETYPE) env.OPENBLAS_CORETYPE = process.env.PEER_OPENBLAS_CORETYPE;
  if (!env.OPENBLAS_CORETYPE) {
    const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch; a = torch.ones(64, 64); a @ a'], {
      env: { ...env, OPENBLAS_VERBOSE: '2' },
      encoding: 'utf8',
    });
    const core = /Core: (\S+)/.exec(`${probe.stdout}${probe.stderr}`)?.[1];
    const flags = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
    if (core === 'Prescott') {
      if (/\bavx512f\b/.test(flags)) env.OPENBLAS_CORETYPE = 'SkylakeX';
      else if (/\bavx2\b/.test(flags)) env.OPENBLAS_CORETYPE = 'Haswell';
    }
    console.error(
      `peer BLAS: OpenBLAS core ${core ?? 'unknown'}${env.OPENBLAS_CORETYPE ? `, running the peer with OPENBLAS_CORETYPE=${env.OPENBLAS_CORETYPE}` : ''}`,
    );
  }
  results.peerBlas = env.OPENBLAS_CORETYPE ?? 'auto';
  peerEnvCache = env;
  return env;
}

/** The torch thread counts each peer form runs with; the fastest is the one compared (the peers at their best). */
const peerThreads = (process.env.BENCH_PEER_THREADS ?? '1,2')
  .split(',')
  .map(Number)
  .filter((n) => n >= 1);

/**
 * run(threads) for each count, BENCH_REPS times each; the result with the most training samples/s, with
 * every count's fastest figure in byThreads (and, with reps, every run's in runsByThreads).
 */
function fastestOver(run) {
  let best = null;
  let last = null;
  const byThreads = {};
  const runsByThreads = {};
  for (const th of peerThreads) {
    for (let r = 0; r < reps; r++) {
      last = run(th);
      (runsByThreads[th] ??= []).push(last.skipped ? null : last.trainSamplesPerSec);
      const seen = byThreads[th];
      if (last.skipped) byThreads[th] ??= `failed: ${last.skipped}`;
      else if (typeof seen !== 'number' || last.trainSamplesPerSec > seen) byThreads[th] = last.trainSamplesPerSec;
      if (!last.skipped && (!best || last.trainSamplesPerSec > best.trainSamplesPerSec)) best = { ...last, threads: th };
    }
  }
  // every count failed: the last failure is the one reported
  return { ...(best ?? last), byThreads, ...(reps > 1 ? { runsByThreads } : {}) };
}

function snntorch(encoding) {
  return fastestOver((th) => snntorchRun(encoding, th));
}

function snntorchRun(encoding, th) {
  const src = process.env.SNNTORCH_SRC ?? '/tmp/snntorch';
  const script = join(shared, 'peers', 'snntorch_mnist.py');
  if (!existsSync(join(src, 'snntorch', '__init__.py')))
    return { skipped: `snnTorch source not found in ${src} (see ../shared/peers/README.md)` };
  if (!existsSync(script) || !existsSync(mnistDir)) return { skipped: `${script} or ${mnistDir} missing` };
  const r = spawnSync('/usr/bin/python3', [script, mnistDir, encoding, String(batches + 2), '1', String(th)], {
    env: peerEnv(src),
    encoding: 'utf8',
  });
  if (r.status !== 0) return { skipped: `snnTorch run failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}` };
  const train = /samples\/s=([\d.]+)/.exec(r.stdout);
  const inf = /test acc=([\d.]+) infer samples\/s=([\d.]+)/.exec(r.stdout);
  return { trainSamplesPerSec: Number(train[1]), inferSamplesPerSec: Number(inf[2]), testAccuracy: Number(inf[1]), trainBatches: batches };
}

const csnnBatches = Number(process.env.BENCH_CSNN_BATCHES ?? 20);
const csnnWarmup = Number(process.env.BENCH_CSNN_WARMUP ?? 5);
const only = process.env.BENCH_ONLY;

function oursCsnn(nThreads) {
  const model = csnnClassifier(
    { input: [1, 28, 28], channels: [12, 64], outputs: 10, beta: 0.5, surrogate: fastSigmoid({ slope: 25 }) },
    new Rng(0),
  );
  return timeRun(model, spikingTask('rate'), 1e-2, (x) => directEncode(x, 50), nThreads, csnnBatches, 500, csnnWarmup);
}

function snntorchCsnn() {
  return fastestOver(snntorchCsnnRun);
}

function snntorchCsnnRun(th) {
  const src = process.env.SNNTORCH_SRC ?? '/tmp/snntorch';
  if (!existsSync(join(src, 'snntorch', '__init__.py')))
    return { skipped: `snnTorch source not found in ${src} (see ../shared/peers/README.md)` };
  const r = spawnSync(
    '/usr/bin/python3',
    [join(root, 'bench', 'snntorch_csnn.py'), mnistDir, String(csnnBatches + csnnWarmup), '1', String(th), '50', String(csnnWarmup)],
    {
      env: peerEnv(src),
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) return { skipped: `snnTorch run failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}` };
  const train = /samples\/s=([\d.]+)/.exec(r.stdout);
  const inf = /test acc=([\d.]+) infer samples\/s=([\d.]+)/.exec(r.stdout);
  return {
    trainSamplesPerSec: Number(train[1]),
    inferSamplesPerSec: Number(inf[2]),
    testAccuracy: Number(inf[1]),
    trainBatches: csnnBatches,
  };
}

/**
 * Each peer's fastest user-level form next to its tutorial form (bench/training_peers.py): snnTorch and
 * SpikingJelly and Norse layer by layer with the first layer computed once for all steps ("fast"),
 * SpikingJelly's multi-step mode, and SpikingJelly's and Norse's tutorial loops (snnTorch's tutorial forms
 * are the rows above). A form that fails is reported with its error, not dropped.
 */
const peerBatches = Number(process.env.BENCH_PEER_BATCHES ?? 20);
const peerLibs = (process.env.BENCH_PEERS ?? 'snntorch,spikingjelly,norse').split(',').filter(Boolean);
const PEER_FORMS = {
  snntorch: ['fast'],
  spikingjelly: ['tutorial', 'fast', 'multistep'],
  norse: ['tutorial', 'fast'],
};
function peerSource(lib) {
  if (lib === 'snntorch')
    return process.env.SNNTORCH_SRC ?? ['/tmp/snntorch', '/tmp/peers/snntorch'].find((d) => existsSync(join(d, 'snntorch')));
  return lib === 'spikingjelly'
    ? (process.env.SPIKINGJELLY_SRC ?? '/tmp/peers/spikingjelly')
    : (process.env.NORSE_SRC ?? '/tmp/peers/norse-1.0');
}
function peerForms(model) {
  const out = [];
  for (const lib of peerLibs) {
    const src = peerSource(lib);
    for (const form of PEER_FORMS[lib] ?? []) {
      const name = `${lib} (${form})`;
      if (!src || !existsSync(join(src, lib, '__init__.py'))) {
        out.push({ peer: name, form, skipped: `no ${lib} source in ${src}` });
        continue;
      }
      out.push(
        fastestOver((th) => {
          const r = spawnSync(
            '/usr/bin/python3',
            [join(root, 'bench', 'training_peers.py'), model, lib, form, mnistDir, String(peerBatches + 2), '2', String(th)],
            { env: { ...peerEnv(peerSource('snntorch') ?? src), PEER_SRC: src }, encoding: 'utf8' },
          );
          return r.status === 0
            ? JSON.parse(r.stdout.trim().split('\n').pop())
            : { peer: name, form, skipped: (r.stderr || r.error?.message || 'failed').trim().split('\n').pop() };
        }),
      );
      console.error(`${model} ${name}: done`);
    }
  }
  return out;
}

const results = {
  date: new Date().toISOString(),
  machine: `${cpus().length} x ${cpus()[0].model}`,
  node: process.version,
  kernels: kernelBuild,
  batches,
  csnnBatches,
  threads,
  threadModel,
  reps,
  runs: [],
};
if (only !== 'fc') {
  const peer = snntorchCsnn();
  const one = await oursCsnn(1);
  const many = threads > 1 ? await oursCsnn(threads) : null;
  results.runs.push({
    encoding: 'csnn (tutorial 6, direct)',
    snntorch: peer,
    spikeflow1: one,
    spikeflowN: many,
    peerForms: peerForms('csnn'),
  });
  console.error('csnn: done');
}
for (const encoding of only === 'csnn' ? [] : ['direct', 'rate']) {
  const peer = snntorch(encoding);
  const one = await ours(encoding, 1);
  const many = threads > 1 ? await ours(encoding, threads) : null;
  results.runs.push({
    encoding,
    snntorch: peer,
    spikeflow1: one,
    spikeflowN: many,
    ...(encoding === 'direct' ? { peerForms: peerForms('fc') } : {}),
  });
  console.error(`${encoding}: done`);
}
writeFileSync(join(root, 'bench', only ? `results-${only}.json` : 'results.json'), JSON.stringify(results, null, 2) + '\n');

const f = (x) => (x === undefined ? 'n/a' : Math.round(x).toLocaleString('en-US'));
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(1)}x` : 'n/a');
/** " (1 thread: 1,322; 2 threads: 1,001)": every thread count's figure of a peer run at its fastest. */
const threadsNote = (r) =>
  r.byThreads && Object.keys(r.byThreads).length > 1
    ? ` (${Object.entries(r.byThreads)
        .map(([t, v]) => `${t} thread${t === '1' ? '' : 's'}: ${typeof v === 'number' ? f(v) : v}`)
        .join('; ')})`
    : '';
console.log(
  `Machine: ${results.machine}, Node ${results.node}, spikeflow kernels: ${kernelBuild}, ${threadModel === 'kernel' ? 'kernel threads' : 'DataParallel workers'}; peer OpenBLAS core type: ${results.peerBlas ?? 'n/a'}; ${batches} timed training batches after 2 warm-up (CSNN: ${csnnBatches} after ${csnnWarmup}, both sides)${reps > 1 ? `, the fastest of ${reps} runs on each side` : ''}; inference over the 10,000 test images.\n`,
);
console.log('| input | metric | snnTorch 0.9.4 | spikeflow 1 thread | ratio | spikeflow ' + threads + ' threads | ratio |');
console.log('|---|---|---|---|---|---|---|');
for (const r of results.runs) {
  for (const [k, name] of [
    ['trainSamplesPerSec', 'training samples/s'],
    ['inferSamplesPerSec', 'inference samples/s'],
  ]) {
    console.log(
      `| ${r.encoding} | ${name} | ${f(r.snntorch[k])}${k === 'trainSamplesPerSec' ? threadsNote(r.snntorch) : ''} | ${f(r.spikeflow1[k])} | ${ratio(r.spikeflow1[k], r.snntorch[k])} | ${f(r.spikeflowN?.[k])} | ${ratio(r.spikeflowN?.[k], r.snntorch[k])} |`,
    );
  }
  if (r.snntorch.skipped) console.log(`\nsnnTorch (${r.encoding}) skipped: ${r.snntorch.skipped}`);
}

const withForms = results.runs.filter((r) => r.peerForms?.length);
if (withForms.length) {
  console.log(
    `\nEach peer's fastest user-level form next to its tutorial form (training samples/s; ${peerBatches} timed batches after 2 per peer form, bench/training_peers.py; spikeflow: the rows above):\n`,
  );
  console.log('| input | peer (form) | training samples/s | spikeflow 1 thread / peer | peak RSS (MB) |');
  console.log('|---|---|---|---|---|');
  for (const r of withForms) {
    if (!r.snntorch.skipped)
      console.log(
        `| ${r.encoding} | snnTorch (tutorial) | ${f(r.snntorch.trainSamplesPerSec)}${threadsNote(r.snntorch)} | ${ratio(r.spikeflow1.trainSamplesPerSec, r.snntorch.trainSamplesPerSec)} | |`,
      );
    for (const p of r.peerForms) {
      if (p.skipped) console.log(`| ${r.encoding} | ${p.peer} | failed: ${p.skipped} | | |`);
      else
        console.log(
          `| ${r.encoding} | ${p.peer} | ${f(p.trainSamplesPerSec)}${threadsNote(p)} | ${ratio(r.spikeflow1.trainSamplesPerSec, p.trainSamplesPerSec)} | ${f(p.peakRssMB)} |`,
        );
    }
  }
}
