// How fast tutorial 6's CSNN training could be in WebAssembly SIMD on this machine: the work its second
// convolution must do, counted during real training, priced at the engine's measured per-core limit.
//
// The bench's CSNN run (bench/run.mjs: 12C5-MP2-64C5-MP2-1024FC10, beta 0.5, fast sigmoid, T = 50,
// batch 128, Adam 1e-2, rate loss; the same warm-up and timed batches, the kernel threads of the CLI) with
// every kernel call timed, and the fused conv2+pool kernels' work counted from their operands:
//   - forward: every spike of a layer-1 image adds one weight row (O = 64 floats, 16 f32x4 adds) onto
//     each output pixel whose 5x5 window covers it;
//   - weight gradient: every such (spike, tap) pair adds one 64-float gradient row onto a dW row;
//   - input gradient: every nonzero pooled gradient adds g times its channel's filter (K = 300 floats,
//     75 f32x4 multiply-adds) onto the input window.
// These are the fewest f32x4 operations the kernels' maths allows (list building, unpooling, loads,
// addressing and the read-modify-writes of the outputs counted as free). Priced at the engine's limit
// (bench/wasm-peak.mjs: the best rate of independent f32x4 multiply-add chains, one op per lane group
// per 8 flops) on every kernel thread, they give the floor of the convolution's time per batch; the
// rest of a batch (the other kernels and the JavaScript between them) is kept at its measured time (the
// wall time less the counting's own).
// That floor, against the 8x target of issue 22 (8 x snnTorch tutorial 6's training samples/s, read
// from bench/results-csnn.json's last run or given as PEER_SPS), says what any WASM kernel could reach.
//
// usage: node bench/csnn-floor.mjs [--json]   Env: BENCH_CSNN_BATCHES (20), BENCH_CSNN_WARMUP (5),
//        BENCH_THREADS (all cores), PEER_SPS (snnTorch tutorial 6 training samples/s), SPIKEFLOW_SHARED.
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Adam,
  Rng,
  csnnClassifier,
  defaultKernels,
  directEncode,
  fastSigmoid,
  setKernelThreads,
  spikingTask,
  trainEpoch,
} from '../dist/index.js';
import { enableRelaxedSimd, loadMnist } from '../dist/node.js';
import { wasmPeak } from './wasm-peak.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.SPIKEFLOW_SHARED ?? join(root, '..', 'shared');
const json = process.argv.includes('--json');
const batches = Number(process.env.BENCH_CSNN_BATCHES ?? 20);
const warmup = Number(process.env.BENCH_CSNN_WARMUP ?? 5);
const threads = Number(process.env.BENCH_THREADS ?? cpus().length);
const B = 128;
const T = 50;

const build = enableRelaxedSimd() ? 'relaxed SIMD' : 'SIMD';
const mnistDir = join(shared, 'datasets', 'mnist');
const data = await loadMnist({ dataset: 'mnist', dataDir: existsSync(mnistDir) ? mnistDir : undefined, download: false });
const train = { inputs: data.train.images, labels: data.train.labels, n: data.train.n, features: data.train.rows * data.train.cols };

const model = csnnClassifier(
  { input: [1, 28, 28], channels: [12, 64], outputs: 10, beta: 0.5, surrogate: fastSigmoid({ slope: 25 }) },
  new Rng(0),
);
const kernels = defaultKernels();
setKernelThreads(kernels, threads);

/** Per-pixel coverage of a conv geometry: how many output pixels' windows cover input pixel (y, x). */
function coverage(g) {
  const cov = new Float64Array(g.H * g.W);
  for (let y = 0; y < g.H; y++) {
    for (let x = 0; x < g.W; x++) {
      let c = 0;
      for (let oy = 0; oy < g.outH; oy++)
        for (let ox = 0; ox < g.outW; ox++) {
          const ky = y + g.pad - oy * g.stride;
          const kx = x + g.pad - ox * g.stride;
          if (ky >= 0 && ky < g.kH && kx >= 0 && kx < g.kW) c++;
        }
      cov[y * g.W + x] = c;
    }
  }
  return cov;
}

const count = { images: 0, spikes: 0, pairs: 0, forwardOps: 0, gradWOps: 0, gradInOps: 0, pooledGrads: 0, backwardImages: 0 };
const time = {}; // kernel -> [calls, ms]
let counting = false;
let countingMs = 0; // the counting's own time, taken off the measured wall time
const covCache = new Map();
function pairsOf(s, g) {
  const key = `${g.H}x${g.W}x${g.C}:${g.kH}x${g.kW}:${g.stride}:${g.pad}`;
  let cov = covCache.get(key);
  if (!cov) covCache.set(key, (cov = coverage(g)));
  let pairs = 0;
  let spikes = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i]) {
      spikes++;
      pairs += cov[Math.floor(i / g.C) % (g.H * g.W)];
    }
  }
  return { pairs, spikes };
}
for (const name of Object.keys(kernels)) {
  const f = kernels[name];
  if (typeof f !== 'function' || name === 'setThreads') continue;
  kernels[name] = function (...args) {
    if (!counting) return f.apply(this, args);
    const c0 = performance.now();
    if (name === 'convPoolSpikeForward') {
      const [s, , , , , g] = args;
      const { pairs, spikes } = pairsOf(s, g);
      count.images += g.n;
      count.spikes += spikes;
      count.pairs += pairs;
      count.forwardOps += pairs * Math.ceil(g.O / 4);
      count.inSize = g.H * g.W * g.C;
    } else if (name === 'convPoolSpikeBackward') {
      const [s, gy, , , dw, gIn, g] = args;
      let nz = 0;
      for (let i = 0; i < gy.length; i++) nz += gy[i] !== 0 ? 1 : 0;
      count.backwardImages += g.n;
      count.pooledGrads += nz;
      if (dw) count.gradWOps += pairsOf(s, g).pairs * Math.ceil(g.O / 4);
      if (gIn) count.gradInOps += nz * Math.ceil((g.kH * g.kW * g.C) / 4);
    }
    const t0 = performance.now();
    countingMs += t0 - c0;
    const r = f.apply(this, args);
    const e = (time[name] ??= [0, 0]);
    e[0]++;
    e[1] += performance.now() - t0;
    return r;
  };
}

const o = {
  model,
  task: spikingTask('rate'),
  optimizer: new Adam(model.trainable(), { lr: 1e-2 }),
  encoder: (x) => directEncode(x, T),
  batchSize: B,
  rng: new Rng(0),
  kernels,
};
await trainEpoch(train, { ...o, maxBatches: warmup });
counting = true;
const t0 = performance.now();
await trainEpoch(train, { ...o, maxBatches: batches });
const wallMs = (performance.now() - t0 - countingMs) / batches;
counting = false;

const peak = wasmPeak();
const opsPerSecPerCore = ((peak.fused || peak.mulAdd) * 1e9) / 8;
const limit = opsPerSecPerCore * threads;
const perBatch = (x) => x / batches;
const convMs = perBatch((time.convPoolSpikeForward?.[1] ?? 0) + (time.convPoolSpikeBackward?.[1] ?? 0));
const floor = {
  forwardMs: (perBatch(count.forwardOps) / limit) * 1e3,
  gradWMs: (perBatch(count.gradWOps) / limit) * 1e3,
  gradInMs: (perBatch(count.gradInOps) / limit) * 1e3,
};
const convFloorMs = floor.forwardMs + floor.gradWMs + floor.gradInMs;
const restMs = wallMs - convMs;
const bestMs = convFloorMs + restMs;

let peerSps = process.env.PEER_SPS ? Number(process.env.PEER_SPS) : null;
let peerFrom = 'PEER_SPS';
if (peerSps === null) {
  try {
    const r = JSON.parse(readFileSync(join(root, 'bench', 'results-csnn.json'), 'utf8'));
    peerSps = r.runs?.[0]?.snntorch?.trainSamplesPerSec ?? null;
    peerFrom = `bench/results-csnn.json (${r.date})`;
  } catch {
    peerSps = null;
  }
}
const targetMs = peerSps ? (B * 1e3) / (8 * peerSps) : null;

const report = {
  build,
  threads,
  batches,
  warmup,
  layer1SpikeRate: count.spikes / (count.images * count.inSize),
  spikeTapPairsPerImage: count.pairs / count.images,
  nonzeroPooledGradsPerImage: count.pooledGrads / count.backwardImages,
  opsPerBatch: { forward: perBatch(count.forwardOps), gradW: perBatch(count.gradWOps), gradIn: perBatch(count.gradInOps) },
  engineLimitGflopsPerCore: peak.fused || peak.mulAdd,
  floorMs: floor,
  convFloorMs,
  measured: {
    wallMsPerBatch: wallMs,
    samplesPerSec: (B * 1e3) / wallMs,
    convMsPerBatch: convMs,
    restMsPerBatch: restMs,
    kernels: Object.fromEntries(
      Object.entries(time)
        .sort((a, b) => b[1][1] - a[1][1])
        .map(([k, [n, ms]]) => [k, { callsPerBatch: n / batches, msPerBatch: ms / batches }]),
    ),
  },
  convEfficiency: convFloorMs / convMs,
  bestMsPerBatch: bestMs,
  bestSamplesPerSec: (B * 1e3) / bestMs,
  peer: peerSps ? { snntorchTutorial6SamplesPerSec: peerSps, from: peerFrom, targetMsPerBatch: targetMs } : null,
};
if (json) console.log(JSON.stringify(report, null, 2));
else {
  const f1 = (x) => x.toFixed(1);
  const M = (x) => `${(x / 1e6).toFixed(0)}M`;
  console.log(`CSNN (tutorial 6) training, ${batches} batches of ${B} x T=${T} after ${warmup}, ${threads} kernel threads, ${build}`);
  console.log(
    `layer-1 spike rate ${report.layer1SpikeRate.toFixed(4)}; per image: ${f1(report.spikeTapPairsPerImage)} (spike, tap) pairs, ${f1(report.nonzeroPooledGradsPerImage)} nonzero pooled gradients`,
  );
  console.log(
    `f32x4 operations per batch: forward ${M(report.opsPerBatch.forward)}, weight gradient ${M(report.opsPerBatch.gradW)}, input gradient ${M(report.opsPerBatch.gradIn)}`,
  );
  console.log(
    `engine limit ${f1(report.engineLimitGflopsPerCore)} GFLOP/s per core (bench/wasm-peak.mjs) x ${threads} threads: conv floor ${f1(floor.forwardMs)} + ${f1(floor.gradWMs)} + ${f1(floor.gradInMs)} = ${f1(convFloorMs)} ms per batch`,
  );
  console.log(
    `measured: ${f1(wallMs)} ms per batch (${f1(report.measured.samplesPerSec)} samples/s), of which the fused conv kernels ${f1(convMs)} ms (${(100 * report.convEfficiency).toFixed(0)}% of their floor's speed), the rest ${f1(restMs)} ms`,
  );
  for (const [k, v] of Object.entries(report.measured.kernels).slice(0, 8))
    console.log(`  ${k.padEnd(24)} ${v.callsPerBatch.toFixed(0).padStart(4)} calls ${v.msPerBatch.toFixed(1).padStart(7)} ms`);
  console.log(
    `best case (the conv kernels at the limit, the rest as measured): ${f1(bestMs)} ms per batch, ${f1(report.bestSamplesPerSec)} samples/s`,
  );
  if (report.peer)
    console.log(
      `issue 22's target, 8 x snnTorch tutorial 6 (${f1(peerSps)} samples/s, ${peerFrom}): ${f1(targetMs)} ms per batch; best case / target = ${(bestMs / targetMs).toFixed(2)}x the time (${(report.bestSamplesPerSec / peerSps).toFixed(2)}x the peer)`,
    );
}
process.exit(0);
