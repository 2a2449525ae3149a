// npm run bench — spikeflow vs snnTorch on the snnTorch tutorial-5 configuration
// (784-1000-10, beta 0.95, T = 25, batch 128, Adam 5e-4), direct and rate input, measured in the same run.
// Env: BENCH_BATCHES (training batches timed, default 100), BENCH_THREADS (default: all cores),
//      SNNTORCH_SRC (snnTorch source folder, default /tmp/snntorch), SPIKEFLOW_SHARED (default ../shared).
// Writes bench/results.json and prints a Markdown table for BENCHMARKS.md.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Rng, snnClassifier, Adam, spikingTask, trainEpoch, evaluate, directEncode, rateEncode, defaultKernels,
} from '../dist/index.js';
import { loadMnist, DataParallel } from '../dist/node.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.SPIKEFLOW_SHARED ?? join(root, '..', 'shared');
const batches = Number(process.env.BENCH_BATCHES ?? 100);
const threads = Number(process.env.BENCH_THREADS ?? cpus().length);
const T = 25, B = 128;

const mnistDir = join(shared, 'datasets', 'mnist');
const data = await loadMnist({ dataset: 'mnist', dataDir: existsSync(mnistDir) ? mnistDir : undefined, download: false });
const asSet = (s) => ({ inputs: s.images, labels: s.labels, n: s.n, features: s.rows * s.cols });
const train = asSet(data.train);
const test = asSet(data.test);

async function ours(encoding, nThreads) {
  const rng = new Rng(0);
  const model = snnClassifier({ inputs: 784, hidden: [1000], outputs: 10, beta: 0.95 }, new Rng(0));
  const kernels = defaultKernels();
  const task = spikingTask('membrane');
  const optimizer = new Adam(model.trainable(), { lr: 5e-4 });
  const encoder = encoding === 'direct' ? (x) => directEncode(x, T) : (x, r) => rateEncode(x, T, r);
  const parallel = nThreads > 1 ? await DataParallel.create(model, task, kernels, nThreads, optimizer) : undefined;
  // Warm-up (JIT, WASM tiering, allocator), as the peer script skips its first 2 batches.
  await trainEpoch(train, { model, task, optimizer, encoder, batchSize: B, rng, kernels, parallel, maxBatches: 2 });
  const tr = await trainEpoch(train, { model, task, optimizer, encoder, batchSize: B, rng, kernels, parallel, maxBatches: batches });
  const ev = await evaluate(test, { model, task, encoder, rng, kernels, parallel, batchSize: 1000 });
  await parallel?.close();
  return { trainSamplesPerSec: tr.samplesPerSec, inferSamplesPerSec: ev.samplesPerSec, testAccuracy: ev.accuracy, trainBatches: batches };
}

function snntorch(encoding) {
  const src = process.env.SNNTORCH_SRC ?? '/tmp/snntorch';
  const script = join(shared, 'peers', 'snntorch_mnist.py');
  if (!existsSync(join(src, 'snntorch', '__init__.py'))) return { skipped: `snnTorch source not found in ${src} (see ../shared/peers/README.md)` };
  if (!existsSync(script) || !existsSync(mnistDir)) return { skipped: `${script} or ${mnistDir} missing` };
  const r = spawnSync('/usr/bin/python3', [script, mnistDir, encoding, String(batches + 2), '1', '1'], {
    env: { ...process.env, SNNTORCH_SRC: src, OPENBLAS_NUM_THREADS: '2' }, encoding: 'utf8',
  });
  if (r.status !== 0) return { skipped: `snnTorch run failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}` };
  const train = /samples\/s=([\d.]+)/.exec(r.stdout);
  const inf = /test acc=([\d.]+) infer samples\/s=([\d.]+)/.exec(r.stdout);
  return { trainSamplesPerSec: Number(train[1]), inferSamplesPerSec: Number(inf[2]), testAccuracy: Number(inf[1]), trainBatches: batches };
}

const results = { date: new Date().toISOString(), machine: `${cpus().length} x ${cpus()[0].model}`, node: process.version, batches, threads, runs: [] };
for (const encoding of ['direct', 'rate']) {
  const peer = snntorch(encoding);
  const one = await ours(encoding, 1);
  const many = threads > 1 ? await ours(encoding, threads) : null;
  results.runs.push({ encoding, snntorch: peer, spikeflow1: one, spikeflowN: many });
  console.error(`${encoding}: done`);
}
writeFileSync(join(root, 'bench', 'results.json'), JSON.stringify(results, null, 2) + '\n');

const f = (x) => (x === undefined ? 'n/a' : Math.round(x).toLocaleString('en-US'));
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(1)}x` : 'n/a');
console.log(`Machine: ${results.machine}, Node ${results.node}; ${batches} timed training batches after 2 warm-up; inference over the 10,000 test images in batches of 1000.\n`);
console.log('| input | metric | snnTorch 0.9.4 | spikeflow 1 thread | ratio | spikeflow ' + threads + ' threads | ratio |');
console.log('|---|---|---|---|---|---|---|');
for (const r of results.runs) {
  for (const [k, name] of [['trainSamplesPerSec', 'training samples/s'], ['inferSamplesPerSec', 'inference samples/s']]) {
    console.log(`| ${r.encoding} | ${name} | ${f(r.snntorch[k])} | ${f(r.spikeflow1[k])} | ${ratio(r.spikeflow1[k], r.snntorch[k])} | ${f(r.spikeflowN?.[k])} | ${ratio(r.spikeflowN?.[k], r.snntorch[k])} |`);
  }
  if (r.snntorch.skipped) console.log(`\nsnnTorch (${r.encoding}) skipped: ${r.snntorch.skipped}`);
}
