import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { snnClassifier } from '../../src/nn/models.js';
import { fromNir, readNir } from '../../src/nir/index.js';
import { saveCheckpoint } from '../../src/train/checkpoint.js';
import { fixtureBytes } from '../nir/helpers.js';
import { expectOneLineError, runCli, tempDir } from './run-cli.js';

/** A fixture as a plain .nir file in a fresh folder. */
function fixtureFile(dir: string, name: string): string {
  const file = join(tempDir('spikeflow-nir-'), `${name}.nir`);
  writeFileSync(file, fixtureBytes(dir, name));
  return file;
}

/** A tiny fc checkpoint (4 -> 3 -> 2) saved with the library, its Leaky layers resetting as `reset`. */
async function tinyCheckpoint(reset: 'zero' | 'subtract') {
  const dir = tempDir('spikeflow-nir-ckpt-');
  const model = snnClassifier({ inputs: 4, hidden: [3], outputs: 2, reset, beta: 0.8, threshold: 0.5 }, new Rng(5));
  await saveCheckpoint(dir, model, { dataset: 'mnist', model: 'fc' });
  return { dir, model };
}

describe('spikeflow nir inspect', () => {
  it('lists nodes with types, shapes and parameter summaries, the edges with back edges marked, version and metadata', () => {
    const file = fixtureFile('1.0.7', 'network');
    const r = runCli(['nir', 'inspect', file]);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/NIR 1\.0\.7, 11 nodes, 11 edges/);
    expect(out).toMatch(/metadata: .*"name":"nested recurrent"/);
    expect(out).toMatch(/^ {4}rnn\/lif {2}CubaLIF {2}\[4\] -> \[4\]$/m);
    expect(out).toMatch(/^ {2}fc1 {2}Affine {2}\[2\] -> \[4\]$/m);
    expect(out).toMatch(/^ {4}scale \[2\] {2}min -0\.25 {2}mean 0 {2}max 0\.25$/m);
    expect(out).toMatch(/^ {2}fb -> fc1 {2}\(back edge/m);
    expect(out).toMatch(/^ {2}rnn\/rec -> rnn\/lif {2}\(back edge/m);
    expect(out).toMatch(/^ {2}input -> fc1$/m);
  });

  it('--json: one object whose parameter summaries are the arrays min/mean/max', async () => {
    const file = fixtureFile('peers/snntorch', 'snntorch_conv');
    const r = runCli(['nir', 'inspect', file, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    const g = await readNir(readFileSync(file));
    expect(s.version).toBe(g.version);
    expect(s.nodes.map((n: { path: string }) => n.path).sort()).toEqual([...g.nodes.keys()].sort());
    const conv = s.nodes.find((n: { path: string }) => n.path === '0');
    expect(conv.type).toBe('Conv2d');
    expect(conv.inShape).toEqual([1, 4, 4]);
    expect(conv.outShape).toEqual([2, 4, 4]);
    const w = (g.nodes.get('0') as { weight: { data: Float32Array } }).weight.data;
    expect(conv.params.weight.min).toBe(Math.min(...w));
    expect(conv.params.weight.max).toBe(Math.max(...w));
    expect(conv.params.weight.mean).toBeCloseTo(w.reduce((a, b) => a + b, 0) / w.length, 12);
    expect(s.nodes.find((n: { path: string }) => n.path === '3').outShape).toEqual([8]);
    expect(s.edges).toHaveLength(g.edges.length);
    expect(s.edges.every((e: { back: boolean }) => !e.back)).toBe(true);
  });

  it('--plot draws a box per node and an arrow per edge, back edges apart', () => {
    const file = fixtureFile('1.0.7', 'network');
    const svg = join(tempDir(), 'sub', 'graph.svg');
    const r = runCli(['nir', 'inspect', file, '--plot', svg]);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(svg, 'utf8');
    expect(text.startsWith('<svg')).toBe(true);
    // 10 boxes: the flattened graph (the nested graph is a frame around its 4 nodes)
    expect(text.match(/<g class="node"/g)).toHaveLength(10);
    expect(text.match(/<path class="edge"/g)).toHaveLength(9);
    expect(text.match(/<path class="edge back-edge"/g)).toHaveLength(2);
    expect(text).toMatch(/class="subgraph".*rnn \(NIRGraph\)/);
    expect(text).toMatch(/fb -&gt; fc1: back edge/);
  });

  it('user errors: one line, exit 1 for a bad file, 2 for bad usage', () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.nir');
    writeFileSync(bad, 'not hdf5');
    expectOneLineError(runCli(['nir', 'inspect', bad]), 1, /bad\.nir.*not an HDF5 file/);
    expectOneLineError(runCli(['nir', 'inspect', join(dir, 'missing.nir')]), 1, /missing\.nir.*cannot read the file: ENOENT/);
    expectOneLineError(runCli(['nir']), 2, /expected a sub-command, inspect or export, found none/);
    expectOneLineError(runCli(['nir', 'show', bad]), 2, /found "show"/);
    expectOneLineError(runCli(['nir', 'inspect']), 2, /expected one \.nir file, found none/);
    expectOneLineError(runCli(['nir', 'inspect', bad, '--out', 'x.nir']), 2, /--out: applies to `spikeflow nir export` only/);
    expectOneLineError(
      runCli(['nir', 'inspect', bad, '--plot', 'g.png']),
      2,
      /--plot: expected a file name ending in \.svg, found "g\.png"/,
    );
  });
});

describe('spikeflow nir export', () => {
  it('a checkpoint with reset zero: Affine/LIF nodes that run as the model does', async () => {
    const { dir, model } = await tinyCheckpoint('zero');
    const out = join(tempDir(), 'deep', 'model.nir');
    const r = runCli(['nir', 'export', '--checkpoint', dir, '--out', out, '--dt', '0.001']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote .*model\.nir: 6 nodes \(2 neuron layers\), dt 0\.001 s/);
    const g = await readNir(readFileSync(out));
    expect(['input', '0', '1', '2', '3', 'output'].map((n) => g.nodes.get(n)?.type)).toEqual([
      'Input',
      'Affine',
      'LIF',
      'Affine',
      'LIF',
      'Output',
    ]);
    expect(g.metadata?.dt).toBe(0.001);
    const lif = g.nodes.get('1') as { tau: { data: Float32Array } };
    // tau = dt / (1 - beta) = 0.001 / 0.2
    expect(lif.tau.data[0]).toBeCloseTo(0.005, 7);
    // the imported graph spikes as the checkpoint's model
    const rng = new Rng(9);
    const T = 20;
    const x = new Tensor(
      Float32Array.from({ length: T * 3 * 4 }, () => rng.uniform() * 2),
      [T, 3, 4],
    );
    const own = model.forward({ x, steps: T, constant: false }, referenceKernels, { keepAllMem: true });
    const want = own.records[own.records.length - 1].spk!.data;
    const got = fromNir(g, { dt: 0.001 }).forward(x, { kernels: referenceKernels }).outputs.output.data;
    expect(Array.from(want).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(Array.from(got)).toEqual(Array.from(want));
  });

  it('a Leaky resetting by subtraction is refused naming the layer and --nearest; with --nearest it is written, the reset in metadata', async () => {
    const { dir } = await tinyCheckpoint('subtract');
    const out = join(tempDir(), 'model.nir');
    const r = runCli(['nir', 'export', '--checkpoint', dir, '--out', out]);
    expectOneLineError(r, 1, /cannot export to NIR: node "1 \(leaky\)", field "reset": .*subtraction.*--nearest/);
    const ok = runCli(['nir', 'export', '--checkpoint', dir, '--out', out, '--nearest']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(
      /^warning: node "1": NIR cannot express this leaky layer exactly: spikeflow resets by subtracting the threshold/,
    );
    const g = await readNir(readFileSync(out));
    expect(g.nodes.get('1')?.metadata?.spikeflow_reset).toBe('subtract');
    expect(fromNir(g).spikeflowNodes).toContain('1'); // run with its exact dynamics, from the metadata
  });

  it('usage errors name the flag', async () => {
    expectOneLineError(runCli(['nir', 'export', '--out', 'm.nir']), 2, /--checkpoint is required/);
    expectOneLineError(runCli(['nir', 'export', '--checkpoint', 'runs/x']), 2, /--out is required/);
    expectOneLineError(
      runCli(['nir', 'export', '--checkpoint', 'runs/x', '--out', 'm.nir', '--json']),
      2,
      /--json: applies to `spikeflow nir inspect` only/,
    );
    expectOneLineError(
      runCli(['nir', 'export', '--checkpoint', 'runs/x', '--out', 'm.nir', '--input-shape', '1,28']),
      2,
      /--input-shape: expected features \(784\) or C,H,W/,
    );
    expectOneLineError(
      runCli(['nir', 'export', '--checkpoint', tempDir(), '--out', 'm.nir']),
      1,
      /config\.json.*checkpoint file not found/,
    );
  });
});
