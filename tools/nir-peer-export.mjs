#!/usr/bin/env node
// The by-hand half of the export check (Python cannot run in CI): builds small spikeflow models
// (FC and CSNN with Leaky reset 'zero'; Synaptic, RLeaky and RSynaptic with reset 'zero', exported
// with nearest; the same three with resetDelay false, `_exact`, exported exactly without it), exports them with toNir, writes OUT_DIR/<name>.nir with writeNir and
// OUT_DIR/<name>.json with the input ([T, B, ...] in NIR's layout), the output spikes of the model
// (`output`: what fromNir runs by default, the layers' own dynamics) and the output spikes of NIR's
// equations (`output_nir`: fromNir with dynamics 'nir'). Then
//
//   node tools/nir-peer-export.mjs /tmp/sf-export
//   SNNTORCH_SRC=... NIR_SRC=... /usr/bin/python3 tools/nir-peer-fixtures.py check /tmp/sf-export     (FC, CSNN)
//   SNNTORCH_SRC=... NIR_SRC=... /usr/bin/python3 tools/nir-python-parity.py check /tmp/sf-export    (all)
//
// read each file with Python nir, run it in snnTorch (import_from_nir) and, in the second, in NIR's
// equations in numpy too, and compare the spikes. Runs from the sources (bundled on the fly with esbuild).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = process.argv[2];
if (!out) {
  console.error('usage: node tools/nir-peer-export.mjs OUT_DIR');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), 'sf-nir-export-'));
const entry = join(tmp, 'entry.ts');
writeFileSync(
  entry,
  [
    'nir/index.ts',
    'core/rng.ts',
    'core/tensor.ts',
    'nn/linear.ts',
    'nn/leaky-layer.ts',
    'nn/synaptic-layer.ts',
    'nn/recurrent-layer.ts',
    'nn/conv.ts',
    'nn/pool.ts',
    'nn/flatten.ts',
    'nn/sequential.ts',
  ]
    .map((f) => `export * from ${JSON.stringify(join(root, 'src', f))};`)
    .join('\n'),
);
await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: join(tmp, 'sf.mjs'), logLevel: 'silent' });
const sf = await import(pathToFileURL(join(tmp, 'sf.mjs')).href);
rmSync(tmp, { recursive: true, force: true });

const rng = new sf.Rng(9);
const models = {
  spikeflow_fc: [
    [6],
    () => new sf.Sequential([new sf.Linear(6, 8, { rng }), new sf.Leaky({ size: 8, beta: 0.9, threshold: 0.5, reset: 'zero' }), new sf.Linear(8, 3, { rng }), new sf.Leaky({ size: 3, beta: 0.8, threshold: 0.3, reset: 'zero' })]),
  ],
  spikeflow_csnn: [
    [1, 6, 6],
    () =>
      new sf.Sequential([
        new sf.Conv2d({ inChannels: 1, outChannels: 2, kernel: 3, padding: 1, inputSize: [6, 6], rng }),
        new sf.Leaky({ size: 72, beta: 0.85, threshold: 0.4, reset: 'zero' }),
        new sf.AvgPool2d(2),
        new sf.Flatten(),
        new sf.Linear(18, 3, { rng }),
        new sf.Leaky({ size: 3, beta: 0.9, threshold: 0.2, reset: 'zero' }),
      ]),
  ],
  // recurrent weights without a bias: spikeflow (as snnTorch's RSynaptic) adds a recurrent bias from the
  // first step, nirtorch's executor from the second (the back edge's first value)
  spikeflow_synaptic: [
    [6],
    () =>
      new sf.Sequential([
        new sf.Linear(6, 8, { rng }),
        new sf.Synaptic({ size: 8, alpha: 0.6, beta: 0.85, threshold: 0.8, reset: 'zero' }),
        new sf.Linear(8, 3, { rng }),
        new sf.Synaptic({ size: 3, alpha: 0.5, beta: 0.8, threshold: 0.5, reset: 'zero' }),
      ]),
  ],
  spikeflow_rsynaptic: [
    [6],
    () =>
      new sf.Sequential([
        new sf.Linear(6, 8, { rng }),
        new sf.RSynaptic({ size: 8, alpha: 0.6, beta: 0.85, threshold: 0.8, reset: 'zero', bias: false, rng }),
        new sf.Linear(8, 3, { rng }),
        new sf.Leaky({ size: 3, beta: 0.8, threshold: 0.3, reset: 'zero' }),
      ]),
  ],
  spikeflow_rleaky: [
    [6],
    () =>
      new sf.Sequential([
        new sf.Linear(6, 8, { rng }),
        new sf.RLeaky({ size: 8, beta: 0.85, threshold: 0.6, reset: 'zero', bias: false, rng }),
        new sf.Linear(8, 3, { rng }),
        new sf.Leaky({ size: 3, beta: 0.8, threshold: 0.3, reset: 'zero' }),
      ]),
  ],
};
// the same three with resetDelay false (the reset right after the spike: NIR's timing), exported
// exactly, without nearest
const exact = { resetDelay: false };
Object.assign(models, {
  spikeflow_synaptic_exact: [
    [6],
    () =>
      new sf.Sequential([
        new sf.Linear(6, 8, { rng }),
        new sf.Synaptic({ size: 8, alpha: 0.6, beta: 0.85, threshold: 0.8, reset: 'zero', ...exact }),
        new sf.Linear(8, 3, { rng }),
        new sf.Synaptic({ size: 3, alpha: 0.5, beta: 0.8, threshold: 0.5, reset: 'zero', ...exact }),
      ]),
  ],
  spikeflow_rsynaptic_exact: [
    [6],
    () =>
      new sf.Sequential([
        new sf.Linear(6, 8, { rng }),
        new sf.RSynaptic({ size: 8, alpha: 0.6, beta: 0.85, threshold: 0.8, reset: 'zero', bias: false, rng, ...exact }),
        new sf.Linear(8, 3, { rng }),
        new sf.Leaky({ size: 3, beta: 0.8, threshold: 0.3, reset: 'zero' }),
      ]),
  ],
  spikeflow_rleaky_exact: [
    [6],
    () =>
      new sf.Sequential([
        new sf.Linear(6, 8, { rng }),
        new sf.RLeaky({ size: 8, beta: 0.85, threshold: 0.6, reset: 'zero', bias: false, rng, ...exact }),
        new sf.Linear(8, 3, { rng }),
        new sf.Leaky({ size: 3, beta: 0.8, threshold: 0.3, reset: 'zero' }),
      ]),
  ],
});
const T = 25;
const B = 2;
for (const [name, [shape, make]] of Object.entries(models)) {
  const graph = sf.toNir(make(), { inputShape: shape, dt: 1e-4, nearest: !name.endsWith('_exact') });
  const n = T * B * shape.reduce((a, b) => a * b, 1);
  const x = new sf.Tensor(Float32Array.from({ length: n }, () => rng.uniform() * 1.5), [T, B, ...shape]);
  const { outputs } = sf.fromNir(graph, { dt: 1e-4 }).forward(x);
  const viaNir = sf.fromNir(graph, { dt: 1e-4, dynamics: 'nir' }).forward(x).outputs.output;
  writeFileSync(join(out, `${name}.nir`), await sf.writeNir(graph));
  const doc = {
    input: { shape: x.shape, data: Array.from(x.data) },
    output: { shape: outputs.output.shape, data: Array.from(outputs.output.data) },
    output_nir: { shape: viaNir.shape, data: Array.from(viaNir.data) },
  };
  writeFileSync(join(out, `${name}.json`), JSON.stringify(doc));
  const count = (a) => a.reduce((p, q) => p + q, 0);
  const differ = doc.output.data.filter((v, i) => v !== doc.output_nir.data[i]).length;
  console.log(`${name}: ${graph.nodes.size} nodes, ${count(doc.output.data)} output spikes (NIR's equations: ${count(doc.output_nir.data)}, ${differ} differ)`);
}
