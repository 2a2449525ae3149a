// The Open Neuromorphic SNN library benchmark (open-neuromorphic.github.io, "SNN library benchmarks"):
// Linear(n, n) -> LIF (Leaky, beta 0.95, threshold 1, atan surrogate, reset by subtraction), batch 16,
// 500 time steps, dense randn input [T, B, n] without gradient, loss = sum of the output spikes; forward
// and backward timed apart and together, through the library API (Sequential.forward, backward), with the
// kernels' default threads. Each of our runs is a fresh Node process (one size, one form), so its peak RSS is its own.
// Our forms (ON_FORMS, comma-separated):
//   tape     - the user loop as we recommend it: a Tape (step buffers reused across iterations), the sum
//              loss, outputMem false (the loss reads spikes only);
//   plain    - the same loop written naively: no Tape, backward(spk, ones seed), the membrane kept;
//   runbatch - runBatch (src/train/step.ts) with a task whose loss is the sum of the spikes;
//   gemms    - not a training loop: the benchmark's two dense GEMMs alone (forward and weight gradient, as the
//              Linear calls them), the time no form on that tier can beat; reported with the share of the Tape
//              loop they take and the best ratio against the fastest peer form any form could reach.
// FORM@wasm runs a form on the WASM kernels alone; FORM alone on the tier the CLI uses (enableBlas: dense GEMMs
// on the native BLAS where one is found). Default: tape, tape@wasm, plain, runbatch for n <= 1024, the tape
// forms and gemms above.
// The peers run right after, each in its own process: snnTorch in the benchmark's published form (up to
// n = 1024 unless ON_SNNTORCH_FORMS asks) and in its fastest user-level form (bench/open_neuromorphic.py); SpikingJelly (LIFNode, torch backend: cupy is
// absent) and Norse 1.0 (LIFBoxCell) in their fastest forms, the Linear over all steps once and the neuron
// over x.unbind(0) (bench/open_neuromorphic_peers.py; their own indexed sequence loops with ON_SLOW_FORMS=1), each with its BLAS
// at its best (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for the peer's command only, 2 BLAS threads,
// torch threads 1).
// usage: node bench/open-neuromorphic.mjs [n ...]   (default 512 4096). Env: ON_T (500), ON_B (16), ON_REPS (3),
//        ON_FORMS (see above), ON_PEERS (snntorch,spikingjelly,norse; none: ours alone), ON_SNNTORCH_FORMS (fast,published;
//        above n = 1024 fast,gemms: torch's two GEMMs alone on the peer's BLAS), ON_SLOW_FORMS=1, ON_SWEEP=1 (the growth sweep: n = 256 ...
//        4096 (ON_SWEEP_N) at T = 500 and T = 100, 250, 500 at n = 512, ours (tape) and each peer's fastest form; prints
//        each side's time exponents), SNNTORCH_SRC (default /tmp/peers/snntorch, else /tmp/snntorch),
//        SPIKINGJELLY_SRC (/tmp/peers/spikingjelly), NORSE_SRC (/tmp/peers/norse-1.0), PEER_PYTHON
//        (/usr/bin/python3), ON_PEER_THREADS (the peer's torch and BLAS threads; default torch 1, BLAS 2).
//        Prints one JSON line per run and Markdown tables.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const T0 = Number(process.env.ON_T ?? 500);
const B = Number(process.env.ON_B ?? 16);
const reps = Number(process.env.ON_REPS ?? 3);
const med = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];

// ---- our side, in a child process: node bench/open-neuromorphic.mjs --child N T FORM ----
async function child(n, T, spec) {
  const { Rng, Tensor, Linear, Leaky, Sequential, Tape, atan, backward, sum, runBatch, defaultKernels } = await import('../dist/index.js');
  const node = await import('../dist/node.js');
  node.enableRelaxedSimd();
  // FORM@wasm: the WASM kernels alone; FORM: the tier the CLI uses (the native BLAS for dense GEMMs where one is found)
  const [form, tierWanted] = spec.split('@');
  const blas = tierWanted === 'wasm' || !node.enableBlas ? null : (await node.enableBlas()).blas;
  const tier = blas ? `BLAS tier: ${blas.vendor ?? 'BLAS'}` : 'WASM tier';
  const kernels = defaultKernels();
  if (form === 'gemms') return gemmsAlone(n, T, spec, tier, kernels, Rng);
  const rng = new Rng(0);
  const model = new Sequential([new Linear(n, n, { rng }), new Leaky({ size: n, beta: 0.95, surrogate: atan() })]);
  const x = new Float32Array(T * B * n);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const seq = { x: new Tensor(x, [T, B, n]), steps: T, constant: false };
  const tape = new Tape(kernels);
  const lastSpk = (out) => out.records[out.records.length - 1].spk;
  const task = {
    spec: { kind: 'spiking', loss: 'rate' },
    loss: (out) => sum(lastSpk(out)),
    predict: () => new Int32Array(B),
  };
  const labels = new Int32Array(B);
  let seed = null;
  // one iteration; `mark` is called between the forward and the backward when the parts are timed apart
  const iteration = (mark) => {
    if (form === 'runbatch') {
      // runBatch times its forward and backward together only
      return runBatch(model, task, seq, labels, kernels, true).loss;
    }
    const body = () => {
      model.zeroGrad();
      const out = model.forward(seq, kernels, form === 'tape' ? { outputMem: false } : {});
      mark?.();
      const spk = lastSpk(out);
      if (form === 'tape') {
        const loss = sum(spk);
        backward(loss);
        return loss.item();
      }
      seed ??= new Float32Array(spk.size).fill(1);
      backward(spk, seed); // d(sum of spikes)/d(spikes)
      return out.records[out.records.length - 1].spikes;
    };
    return form === 'tape' ? tape.run(body) : body();
  };
  const fwd = [];
  const bwd = [];
  const together = [];
  // on-CPU time of the iterations timed together: all threads (process.cpuUsage), and the main thread alone
  // (Linux: /proc/self/task/<pid>/schedstat, ns on CPU): on a loaded machine these hold better than wall time
  const cpu = [];
  const mainCpuMs = [];
  const mainCpu = () => {
    try {
      return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
    } catch {
      return null;
    }
  };
  let spikes = 0;
  iteration(null); // warm-up
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    let t1 = 0;
    spikes = iteration(form === 'runbatch' ? null : () => (t1 = performance.now()));
    const t2 = performance.now();
    if (form !== 'runbatch') {
      fwd.push(t1 - t0);
      bwd.push(t2 - t1);
    }
    // the same iteration with no clock read between its parts
    const [c3, m3] = [process.cpuUsage(), mainCpu()];
    const t3 = performance.now();
    iteration(null);
    together.push(performance.now() - t3);
    const c4 = process.cpuUsage(c3);
    cpu.push((c4.user + c4.system) / 1000);
    if (m3 !== null) mainCpuMs.push(mainCpu() - m3);
  }
  const label = { tape: 'Tape loop', plain: 'plain loop', runbatch: 'runBatch' }[form];
  return {
    peer: `spikeflow (${label}, ${tier})`,
    form: spec,
    n,
    T,
    B,
    forwardMs: fwd.length ? med(fwd) : null,
    backwardMs: bwd.length ? med(bwd) : null,
    totalMs: fwd.length ? med(fwd.map((f, i) => f + bwd[i])) : med(together),
    togetherMs: med(together),
    cpuMs: med(cpu),
    mainCpuMs: mainCpuMs.length ? med(mainCpuMs) : null,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    spikes,
  };
}

/**
 * The form `gemms`: the benchmark's two dense GEMMs alone, as the Linear calls them (forward x W over all
 * T*B rows; the weight gradient x^T g, accumulated), on the tier's kernels, the same operand sizes: the
 * time no form on that tier can beat (the neuron scan, the loss and the surrogate come on top).
 */
function gemmsAlone(n, T, spec, tier, kernels, Rng) {
  const rng = new Rng(0);
  const rows = T * B;
  const x = new Float32Array(rows * n);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const w = new Float32Array(n * n);
  for (let i = 0; i < w.length; i++) w[i] = rng.normal() / Math.sqrt(n);
  const y = new Float32Array(rows * n);
  const dw = new Float32Array(n * n);
  const pass = () => {
    const t0 = performance.now();
    kernels.matmul(x, w, y, rows, n, n, false, false, false);
    const t1 = performance.now();
    kernels.matmul(x, y, dw, n, rows, n, true, false, true); // y stands in for the output gradient
    return [t1 - t0, performance.now() - t1];
  };
  pass(); // warm-up
  const runs = Array.from({ length: reps }, pass);
  return {
    peer: `spikeflow (its two GEMMs alone, ${tier})`,
    form: spec,
    n,
    T,
    B,
    forwardMs: med(runs.map((r) => r[0])),
    backwardMs: med(runs.map((r) => r[1])),
    totalMs: med(runs.map((r) => r[0] + r[1])),
    togetherMs: med(runs.map((r) => r[0] + r[1])),
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  };
}

if (process.argv[2] === '--child') {
  const [n, T, form] = [Number(process.argv[3]), Number(process.argv[4]), process.argv[5]];
  console.log(JSON.stringify(await child(n, T, form)));
  process.exit(0);
}

function ours(n, T, form) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', String(n), String(T), form], {
    encoding: 'utf8',
    env: process.env,
  });
  if (r.status !== 0)
    return { peer: `spikeflow (${form})`, n, T, skipped: (r.stderr || r.error?.message || 'failed').trim().split('\n').pop() };
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

// ---- the peers ----
const snntorchSrc = process.env.SNNTORCH_SRC ?? ['/tmp/peers/snntorch', '/tmp/snntorch'].find((d) => existsSync(join(d, 'snntorch')));
const peerSrc = {
  snntorch: snntorchSrc,
  spikingjelly: process.env.SPIKINGJELLY_SRC ?? '/tmp/peers/spikingjelly',
  norse: process.env.NORSE_SRC ?? '/tmp/peers/norse-1.0',
};
const peerPkg = { snntorch: 'snntorch', spikingjelly: 'spikingjelly', norse: 'norse' };
const peerName = { snntorch: 'snnTorch', spikingjelly: 'SpikingJelly', norse: 'Norse' };

function peer(lib, n, T, form) {
  const src = peerSrc[lib];
  const name = `${peerName[lib]} (${form})`;
  if (!src || !existsSync(join(src, peerPkg[lib], '__init__.py')))
    return { peer: name, n, T, skipped: `no ${peerName[lib]} source in ${src}` };
  const threads = process.env.ON_PEER_THREADS;
  const env = {
    ...process.env,
    SNNTORCH_SRC: src,
    PEER_SRC: src,
    OPENBLAS_NUM_THREADS: threads ?? '2',
    OMP_NUM_THREADS: threads ?? '1',
  };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const python = process.env.PEER_PYTHON ?? '/usr/bin/python3';
  const script = lib === 'snntorch' ? ['open_neuromorphic.py'] : ['open_neuromorphic_peers.py', lib];
  const r = spawnSync(
    python,
    [join(here, script[0]), ...script.slice(1), String(n), String(T), String(B), form, String(reps), threads ?? '1'],
    {
      env,
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) return { peer: name, n, T, skipped: (r.stderr || r.error?.message || 'failed').trim().split('\n').pop() };
  return { form, ...JSON.parse(r.stdout.trim().split('\n').pop()) };
}

// ON_PEERS=none (or empty) runs ours alone; an unknown name stops the run before anything is timed.
const peers = (process.env.ON_PEERS ?? 'snntorch,spikingjelly,norse').split(',').filter((p) => p && p !== 'none');
for (const p of peers)
  if (!['snntorch', 'spikingjelly', 'norse'].includes(p))
    throw new Error(`ON_PEERS: expected snntorch, spikingjelly, norse or none, found "${p}"`);
const fastestForms = { snntorch: 'fast', spikingjelly: 'fast', norse: 'fast' };
/** The peers' own sequence loops, which index x[t]: their backward grows with T squared on torch 1.13 (ON_SLOW_FORMS=1 runs them). */
const slowForms = { spikingjelly: 'multistep', norse: 'indexed' };
const slow = process.env.ON_SLOW_FORMS === '1';
/**
 * snnTorch's forms at size n: ON_SNNTORCH_FORMS, else fast and published up to n = 1024, and above it fast and
 * torch's GEMMs alone (the published form, the Linear once per step, ran over 12 minutes at n = 4096 here).
 */
const snntorchForms = (n) => (process.env.ON_SNNTORCH_FORMS ?? (n > 1024 ? 'fast,gemms' : 'fast,published')).split(',');
const defaultForms = (n) => (n <= 1024 ? ['tape', 'tape@wasm', 'plain', 'runbatch'] : ['tape', 'tape@wasm', 'gemms']);

function runSize(n, T, forms, peerForms) {
  const rows = [];
  for (const form of forms) rows.push(ours(n, T, form));
  for (const [lib, form] of peerForms) rows.push(peer(lib, n, T, form));
  for (const r of rows) console.log(JSON.stringify(r));
  return rows;
}

const fmt = (x) => (x === null || x === undefined ? '' : x.toFixed(0));
function table(rows) {
  console.log(
    '\n| n | T | library | forward (ms) | backward (ms) | forward + backward (ms) | timed together (ms) | peak RSS (MB) | time / spikeflow Tape loop (first tier) | RSS / spikeflow Tape loop |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    if (r.skipped) {
      console.log(`| ${r.n} | ${r.T ?? ''} | ${r.peer} | failed: ${r.skipped} | | | | | | |`);
      continue;
    }
    const us = rows.find((q) => q.n === r.n && q.T === r.T && q.form === 'tape' && !q.skipped);
    const mine = r.peer.startsWith('spikeflow');
    const ratio = !us || r === us ? '' : `${(r.togetherMs / us.togetherMs).toFixed(2)}x`;
    const mem = !us || mine ? '' : `${(r.peakRssMB / us.peakRssMB).toFixed(2)}x`;
    console.log(
      `| ${r.n} | ${r.T} | ${r.peer} | ${fmt(r.forwardMs)} | ${fmt(r.backwardMs)} | ${fmt(r.totalMs)} | ${fmt(r.togetherMs)} | ${fmt(r.peakRssMB)} | ${ratio} | ${mem} |`,
    );
  }
}

/** For each size with a `gemms` row: what share of our Tape loop its GEMMs take, and the best ratio any form on that tier could reach. */
function gemmFloors(rows) {
  for (const g of rows.filter((r) => !r.skipped && r.peer.startsWith('spikeflow') && r.form?.startsWith('gemms'))) {
    const tierOf = (f) => f.split('@')[1] ?? '';
    const us = rows.find((r) => !r.skipped && r.n === g.n && r.T === g.T && r.form === `tape${tierOf(g.form) ? `@${tierOf(g.form)}` : ''}`);
    const peersAt = rows.filter((r) => !r.skipped && r.n === g.n && r.T === g.T && !r.peer.startsWith('spikeflow'));
    const fastest = peersAt.filter((r) => r.form !== 'gemms').sort((a, b) => a.togetherMs - b.togetherMs)[0];
    const theirs = peersAt.find((r) => r.form === 'gemms');
    console.log(
      `\nn = ${g.n}: ${g.peer}: ${fmt(g.forwardMs)} + ${fmt(g.backwardMs)} = ${fmt(g.togetherMs)} ms` +
        (us ? `, ${((100 * g.togetherMs) / us.togetherMs).toFixed(0)}% of the Tape loop's ${fmt(us.togetherMs)} ms` : '') +
        (fastest
          ? `; no form on this tier can beat ${(fastest.togetherMs / g.togetherMs).toFixed(2)}x the fastest peer form (${fastest.peer}, ${fmt(fastest.togetherMs)} ms)`
          : '') +
        (theirs
          ? `. The same GEMMs on the peer's BLAS (${theirs.peer}): ${fmt(theirs.togetherMs)} ms, ${(g.togetherMs / theirs.togetherMs).toFixed(2)}x faster than ours`
          : ''),
    );
  }
}

/** Least-squares slope of log(time) on log(x): time grows like x^slope. */
function exponent(points) {
  const p = points.filter(([x, y]) => x > 0 && y > 0).map(([x, y]) => [Math.log(x), Math.log(y)]);
  if (p.length < 2) return null;
  const mx = p.reduce((s, q) => s + q[0], 0) / p.length;
  const my = p.reduce((s, q) => s + q[1], 0) / p.length;
  let num = 0;
  let den = 0;
  for (const [x, y] of p) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return num / den;
}

if (process.env.ON_SWEEP === '1') {
  const ns = (process.env.ON_SWEEP_N ?? '256,512,1024,2048,4096').split(',').map(Number);
  const Ts = [100, 250, 500];
  const peerForms = peers.map((lib) => [lib, fastestForms[lib]]);
  const all = [];
  for (const n of ns) all.push(...runSize(n, 500, ['tape', 'tape@wasm'], peerForms));
  for (const T of Ts.filter((t) => t !== 500)) all.push(...runSize(512, T, ['tape', 'tape@wasm'], peerForms));
  // the peers' own indexed sequence loops, at n = 512 and short T (their backward grows with T squared)
  const slowRows = [];
  for (const T of [25, 50, 100]) {
    slowRows.push(
      ...runSize(
        512,
        T,
        ['tape'],
        Object.entries(slowForms).filter(([lib]) => peers.includes(lib)),
      ),
    );
  }
  table(all);
  console.log("\nThe peers' own sequence loops (x[t] inside the loop), n = 512:");
  table(slowRows);
  console.log('\n| library | b (T), T = 25, 50, 100 |');
  console.log('|---|---|');
  for (const name of [...new Set(slowRows.filter((r) => !r.skipped).map((r) => r.peer))]) {
    const b = exponent(slowRows.filter((r) => r.peer === name && !r.skipped).map((r) => [r.T, r.togetherMs]));
    console.log(`| ${name} | ${b?.toFixed(2) ?? 'n/a'} |`);
  }
  console.log('\nGrowth: time ~ n^a at T = 500 (n = 256 ... 4096), time ~ T^b at n = 512 (T = 100, 250, 500); timed together.\n');
  console.log('| library | a (n) | b (T) |');
  console.log('|---|---|---|');
  for (const name of [...new Set(all.filter((r) => !r.skipped).map((r) => r.peer))]) {
    const mine = all.filter((r) => r.peer === name && !r.skipped);
    const a = exponent(mine.filter((r) => r.T === 500).map((r) => [r.n, r.togetherMs]));
    const b = exponent(mine.filter((r) => r.n === 512).map((r) => [r.T, r.togetherMs]));
    console.log(`| ${name} | ${a?.toFixed(2) ?? 'n/a'} | ${b?.toFixed(2) ?? 'n/a'} |`);
  }
} else {
  const sizes = process.argv.slice(2).map(Number);
  const rows = [];
  for (const n of sizes.length ? sizes : [512, 4096]) {
    const forms = process.env.ON_FORMS ? process.env.ON_FORMS.split(',') : defaultForms(n);
    const peerForms = peers.flatMap((lib) =>
      lib === 'snntorch'
        ? snntorchForms(n).map((f) => ['snntorch', f])
        : [[lib, fastestForms[lib]], ...(slow ? [[lib, slowForms[lib]]] : [])],
    );
    rows.push(...runSize(n, T0, forms, peerForms));
  }
  table(rows);
  gemmFloors(rows);
  if (!slow)
    console.log(
      "\nNot run: SpikingJelly's multi-step LIF (torch backend) and Norse's indexed sequence loop: both index x[t] per step, and on torch 1.13 that backward grows with T squared (n = 512, T = 100: ~8-18 s against ~0.3 s for their fast forms). ON_SLOW_FORMS=1 runs them; ON_SWEEP=1 measures their growth at T = 25, 50, 100.",
    );
}
