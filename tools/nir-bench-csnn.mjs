#!/usr/bin/env node
// Inference speed of a conv net run from a checkpoint-style Sequential and from its NIR export, as
// `spikeflow eval` and `spikeflow eval --nir` run them (a direct input: the same image at every step;
// no backward graph): the CSNN of tools/nir-interop-csnn.mjs with random weights,
//
//   Conv2d(1 -> 8, 5x5) - AvgPool2d(2) - Leaky - Conv2d(8 -> 16, 5x5) - AvgPool2d(2) - Leaky
//   - Flatten - Linear(256 -> 10) - Leaky          (every Leaky: beta 0.95, reset to zero)
//
// on random 28x28 images, batch 128, 25 steps. Prints samples/s of each (best of the rounds) and checks
// that both give the same output spikes. Runs from the sources (bundled on the fly with esbuild):
//
//   node tools/nir-bench-csnn.mjs [--rounds 5] [--batches 4] [--profile] [--src OTHER_CHECKOUT] [--dynamics nir]
//
// --profile: the time per node of the NIR run (one round, the nodes' runs wrapped with timers).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    batches: { type: 'string', default: '4' },
    profile: { type: 'boolean', default: false },
    // another checkout's sources (e.g. a `git worktree` of an older commit), for before/after numbers
    src: { type: 'string' },
    // 'nir': run every neuron node by NIR's equations (as a file from another tool runs)
    dynamics: { type: 'string' },
  },
});
const root = values.src ?? fileURLToPath(new URL('..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'sf-nir-bench-'));
const entry = join(tmp, 'entry.ts');
writeFileSync(
  entry,
  ['index.ts', 'nir/index.ts', 'kernels/wasm.ts']
    .map((f) => `export * from ${JSON.stringify(join(root, 'src', f))};`)
    .join('\n'),
);
await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: join(tmp, 'sf.mjs'), logLevel: 'silent' });
const sf = await import(pathToFileURL(join(tmp, 'sf.mjs')).href);
rmSync(tmp, { recursive: true, force: true });

const kernels = sf.createWasmKernelsSync();
const rng = new sf.Rng(0);
const leaky = (size) => new sf.Leaky({ size, beta: 0.95, threshold: 1, reset: 'zero' });
const model = new sf.Sequential([
  new sf.Conv2d({ inChannels: 1, outChannels: 8, kernel: 5, inputSize: [28, 28], rng }),
  new sf.AvgPool2d(2),
  leaky(8 * 12 * 12),
  new sf.Conv2d({ inChannels: 8, outChannels: 16, kernel: 5, inputSize: [12, 12], rng }),
  new sf.AvgPool2d(2),
  leaky(16 * 4 * 4),
  new sf.Flatten(),
  new sf.Linear(256, 10, { rng }),
  leaky(10),
]);
const nir = sf.fromNir(await sf.readNir(await sf.writeNir(sf.toNir(model, { inputShape: [1, 28, 28] }))), {
  inference: true,
  ...(values.dynamics ? { dynamics: values.dynamics } : {}),
});
const T = 25;
const B = 128;
const batches = Number(values.batches);
const images = Array.from({ length: batches }, () => new sf.Tensor(Float32Array.from({ length: B * 784 }, () => rng.uniform() * 2), [B, 784]));

function checkpointRun(x) {
  const r = model.forward({ x, steps: T, constant: true }, kernels, { inference: true });
  return r.records[r.records.length - 1].spk.data;
}
function nirRun(x) {
  return nir.forward(x.reshape([B, 1, 28, 28]), { kernels, steps: T, inference: true }).outputs.output.data;
}

let same = true;
for (const x of images) {
  const a = checkpointRun(x);
  const b = nirRun(x);
  if (a.length !== b.length || a.some((v, i) => v !== b[i])) same = false;
}
// samples per second of wall time and of CPU time (the process's user + system time: steadier than the
// wall clock on a shared machine), best of the rounds; the two runs alternate round by round
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const best = { checkpoint: [0, 0], nir: [0, 0] };
for (let r = 0; r < Number(values.rounds); r++)
  for (const [name, fn] of [
    ['checkpoint', checkpointRun],
    ['nir', nirRun],
  ]) {
    const [w0, c0] = [performance.now(), cpu()];
    for (const x of images) fn(x);
    const [w, c] = [performance.now() - w0, cpu() - c0];
    best[name] = [Math.max(best[name][0], (batches * B) / (w / 1000)), Math.max(best[name][1], (batches * B) / (c / 1000))];
  }
const f = ([w, c]) => `${w.toFixed(0)} samples/s (${c.toFixed(0)} per CPU second)`;
console.log(
  `checkpoint (Sequential) ${f(best.checkpoint)}; NIR (fromNir) ${f(best.nir)}; CPU ratio ${(best.checkpoint[1] / best.nir[1]).toFixed(2)}; outputs ${same ? 'identical' : 'DIFFER'}`,
);

if (values.profile) {
  // each node's run and neuron op timed: wrap the private steps' runs
  const times = new Map();
  for (const s of nir.steps) {
    if (!s.run) continue;
    const run = s.run;
    s.run = (...a) => {
      const t0 = performance.now();
      const y = run(...a);
      times.set(s.name, (times.get(s.name) ?? 0) + performance.now() - t0);
      return y;
    };
  }
  const runNeuron = nir.runNeuron.bind(nir);
  nir.runNeuron = (s, ...a) => {
    const t0 = performance.now();
    const y = runNeuron(s, ...a);
    times.set(s.name, (times.get(s.name) ?? 0) + performance.now() - t0);
    return y;
  };
  const t0 = performance.now();
  for (const x of images) nirRun(x);
  const total = performance.now() - t0;
  for (const [k, v] of times) console.log(`  node ${k.padEnd(8)} ${v.toFixed(1)} ms`);
  console.log(`  total     ${total.toFixed(1)} ms`);
}
