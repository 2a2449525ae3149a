import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { AvgPool2d } from '../../src/nn/pool.js';
import { Conv2d } from '../../src/nn/conv.js';
import { Flatten } from '../../src/nn/flatten.js';
import { Leaky } from '../../src/nn/leaky-layer.js';
import { Linear } from '../../src/nn/linear.js';
import { Sequential } from '../../src/nn/sequential.js';
import { type NirArray, type NirGraph, readNir, toNir } from '../../src/nir/index.js';
import { writeNirFile } from '../../src/nir/fs.js';
import { saveCheckpoint } from '../../src/train/checkpoint.js';
import { expectOneLineError, runCli, tempDir } from './run-cli.js';

const arr = (data: number[], shape: number[]): NirArray => ({ data: Float32Array.from(data), shape });
const fill = (n: number, v: number) => new Array<number>(n).fill(v);

/** A tiny graph Input [in] -> Affine -> `neuron` [out] -> Output, written to a file. */
async function tinyGraph(o: { input: number[]; out: number; neuron?: 'LIF' | 'LI' }): Promise<string> {
  const n = o.input.reduce((a, b) => a * b, 1);
  const rng = new Rng(3);
  const w = Array.from({ length: o.out * n }, () => rng.uniform() * 0.1 - 0.04);
  const neuron =
    o.neuron === 'LI'
      ? {
          type: 'LI' as const,
          tau: arr(fill(o.out, 2e-3), [o.out]),
          r: arr(fill(o.out, 20), [o.out]),
          v_leak: arr(fill(o.out, 0), [o.out]),
        }
      : {
          type: 'LIF' as const,
          tau: arr(fill(o.out, 2e-3), [o.out]),
          r: arr(fill(o.out, 20), [o.out]),
          v_leak: arr(fill(o.out, 0), [o.out]),
          v_threshold: arr(fill(o.out, 1), [o.out]),
          v_reset: arr(fill(o.out, 0), [o.out]),
        };
  // an image goes through Flatten first (as torch's and spikeflow's exporters write it)
  const image = o.input.length === 3;
  const g: NirGraph = {
    type: 'NIRGraph',
    nodes: new Map([
      ['input', { type: 'Input', shape: o.input }],
      ...(image ? [['flat', { type: 'Flatten', start_dim: 0, end_dim: -1 }]] : []),
      ['fc', { type: 'Affine', weight: arr(w, [o.out, n]), bias: arr(fill(o.out, 0.01), [o.out]) }],
      ['lif', neuron],
      ['output', { type: 'Output', shape: [o.out] }],
    ] as [string, NirGraph['nodes'] extends Map<string, infer N> ? N : never][]),
    edges: [
      ...((image
        ? [
            ['input', 'flat'],
            ['flat', 'fc'],
          ]
        : [['input', 'fc']]) as [string, string][]),
      ['fc', 'lif'],
      ['lif', 'output'],
    ],
  };
  const file = join(tempDir('spikeflow-nir-eval-'), 'tiny.nir');
  await writeNirFile(file, g);
  return file;
}

/** A checkpoint saved with the library and the same model exported to NIR: the two `eval` paths read the same network. */
async function exported(model: Sequential, inputShape: number[]) {
  const dir = tempDir('spikeflow-nir-ckpt-');
  await saveCheckpoint(dir, model, { dataset: 'mnist', model: 'test', steps: 25, encoding: 'direct' });
  const file = join(dir, 'model.nir');
  await writeNirFile(file, toNir(model, { inputShape, dt: 1e-4 }));
  return { dir, file };
}

const json = (r: { code: number | null; stdout: string; stderr: string }) => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

describe('spikeflow eval --nir', () => {
  let fc: { dir: string; file: string };
  beforeAll(() => {
    // a small fc network trained for a few batches (count loss: its outputs spike), reset to zero (NIR's LIF)
    const dir = tempDir('spikeflow-nir-train-');
    const r = runCli([
      'train',
      '--hidden',
      '24',
      '--reset',
      'zero',
      '--loss',
      'count',
      '--train-limit',
      '1024',
      '--test-limit',
      '10',
      '--batch',
      '32',
      '--lr',
      '5e-3',
      '--threads',
      '1',
      '--out',
      dir,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const file = join(dir, '..', `${dir.split(/[\\/]/).pop()}.nir`);
    const x = runCli(['nir', 'export', '--checkpoint', dir, '--out', file]);
    expect(x.code, x.stderr).toBe(0);
    fc = { dir, file };
  });

  it('gives the checkpoint accuracy and spike rates for the exported fc network (784-24-10, reset to zero)', () => {
    const a = json(runCli(['eval', '--checkpoint', fc.dir, '--test-limit', '300', '--threads', '1', '--json']));
    const b = json(runCli(['eval', '--nir', fc.file, '--dataset', 'mnist', '--test-limit', '300', '--json']));
    expect(a.testAccuracy).toBeGreaterThan(0.3); // trained: the comparison is not one of silent networks
    expect(b.testAccuracy).toBe(a.testAccuracy);
    expect(b.samples).toBe(300);
    expect(b.spikeRates).toHaveLength(2);
    expect(b.spikeRates[1]).toBeGreaterThan(0);
    b.spikeRates.forEach((r: number, i: number) => expect(r).toBeCloseTo(a.spikeRates[i], 12));
    expect(b.layers).toEqual(['1', '3']);
  });

  it('runs a CSNN with AvgPool2d (Conv2d, AvgPool2d, LIF, Flatten, Affine, LIF) as its checkpoint', async () => {
    const rng = new Rng(11);
    const model = new Sequential([
      new Conv2d({ inChannels: 1, outChannels: 2, kernel: 5, inputSize: [28, 28], rng }),
      new AvgPool2d(2),
      new Leaky({ size: 2 * 12 * 12, beta: 0.9, reset: 'zero', threshold: 0.2 }),
      new Flatten(),
      new Linear(288, 10, { rng }),
      new Leaky({ size: 10, beta: 0.9, reset: 'zero', threshold: 0.05 }),
    ]);
    const { dir, file } = await exported(model, [1, 28, 28]);
    const a = json(runCli(['eval', '--checkpoint', dir, '--test-limit', '60', '--threads', '1', '--json']));
    const b = json(runCli(['eval', '--nir', file, '--dataset', 'mnist', '--test-limit', '60', '--json']));
    expect(a.spikeRates[0]).toBeGreaterThan(0);
    expect(b.testAccuracy).toBe(a.testAccuracy);
    b.spikeRates.forEach((r: number, i: number) => expect(r).toBeCloseTo(a.spikeRates[i], 12));
  });

  it('--encoding rate draws the same spikes for the same --seed, other ones for another', () => {
    const run = (seed: string) =>
      json(runCli(['eval', '--nir', fc.file, '--dataset', 'mnist', '--encoding', 'rate', '--seed', seed, '--test-limit', '100', '--json']));
    const [a, b, c] = [run('1'), run('1'), run('2')];
    expect(b.spikeRates).toEqual(a.spikeRates);
    expect(c.spikeRates).not.toEqual(a.spikeRates);
  });

  it('prints the accuracy lines of eval, the spike rates by node', () => {
    const r = runCli(['eval', '--nir', fc.file, '--dataset', 'mnist', '--test-limit', '20', '--steps', '5']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^test accuracy {3}\d+\.\d\d% \(20 samples\)$/m);
    expect(r.stdout).toMatch(/^spike rate {6}node 1: \d+\.\d\d%, node 3: \d+\.\d\d%$/m);
  });

  it('refuses graphs that do not fit the dataset with one typed line naming the file, the node and the field', async () => {
    const wide = await tinyGraph({ input: [100], out: 10 });
    expectOneLineError(
      runCli(['eval', '--nir', wide, '--dataset', 'mnist']),
      1,
      /tiny\.nir: node "input", field "shape": mnist gives 784 values per sample \(28x28 pixels\): expected \[784\] or \[1, 28, 28\], found \[100\]/,
    );
    const chans = await tinyGraph({ input: [4, 14, 14], out: 10 });
    expectOneLineError(runCli(['eval', '--nir', chans, '--dataset', 'mnist']), 1, /node "input", field "shape": .*found \[4, 14, 14\]/);
    const five = await tinyGraph({ input: [784], out: 5 });
    expectOneLineError(
      runCli(['eval', '--nir', five, '--dataset', 'mnist']),
      1,
      /node "output", field "shape": mnist has 10 classes: expected 10 values \(one per class\), found \[5\]/,
    );
    const li = await tinyGraph({ input: [784], out: 10, neuron: 'LI' });
    expectOneLineError(
      runCli(['eval', '--nir', li, '--dataset', 'mnist']),
      1,
      /node "output", field "edges": .*expected IF, LIF or CubaLIF, found node "lif" \(LI does not spike\)/,
    );
  });

  it('refuses flags that do nothing and a missing --dataset', async () => {
    const ok = await tinyGraph({ input: [1, 28, 28], out: 10 });
    expectOneLineError(runCli(['eval', '--nir', ok]), 2, /--nir: give --dataset mnist or fashion-mnist/);
    expectOneLineError(
      runCli(['eval', '--nir', ok, '--dataset', 'mnist', '--checkpoint', 'runs/x']),
      2,
      /--checkpoint: give --checkpoint or --nir, not both/,
    );
    expectOneLineError(
      runCli(['eval', '--nir', ok, '--dataset', 'mnist', '--threads', '2']),
      2,
      /--threads: eval --nir runs on one thread/,
    );
    expectOneLineError(
      runCli(['eval', '--nir', ok, '--dataset', 'mnist', '--seed', '3']),
      2,
      /--seed: --encoding direct draws no random numbers/,
    );
    expectOneLineError(runCli(['eval', '--dataset', 'mnist']), 2, /--dataset: applies to --nir only/);
    expectOneLineError(runCli(['eval', '--dt', '0.001']), 2, /--dt: applies to --nir only/);
  });
});

describe('spikeflow train --init-nir', () => {
  it('fine-tunes the weights of an imported graph and writes it back to NIR; eval --nir of the result gives the accuracy train printed', async () => {
    const input = await tinyGraph({ input: [1, 28, 28], out: 10 });
    const out = join(tempDir('spikeflow-nir-tuned-'), 'tuned.nir');
    const common = ['--train-limit', '256', '--test-limit', '100', '--batch', '32', '--lr', '1e-2', '--steps', '10'];
    const t = json(runCli(['train', '--init-nir', input, '--out-nir', out, '--loss', 'count', '--json', ...common]));
    expect(t.outNir).toBe(out);
    const before = await readNir(readFileSync(input));
    const after = await readNir(readFileSync(out));
    const w0 = (before.nodes.get('fc') as { weight: NirArray }).weight;
    const w1 = (after.nodes.get('fc') as { weight: NirArray }).weight;
    expect(w1.shape).toEqual(w0.shape);
    const moved = w1.data.reduce((m, v, i) => Math.max(m, Math.abs(v - w0.data[i])), 0);
    expect(moved).toBeGreaterThan(1e-3);
    // the neurons' parameters stay as imported
    const lif0 = before.nodes.get('lif') as unknown as Record<string, NirArray>;
    const lif1 = after.nodes.get('lif') as unknown as Record<string, NirArray>;
    for (const f of ['tau', 'r', 'v_leak', 'v_threshold', 'v_reset']) expect(Array.from(lif1[f].data), f).toEqual(Array.from(lif0[f].data));
    expect(after.metadata?.fine_tuned_by).toBe('spikeflow train --init-nir');
    const e = json(runCli(['eval', '--nir', out, '--dataset', 'mnist', '--test-limit', '100', '--steps', '10', '--json']));
    expect(e.testAccuracy).toBe(t.testAccuracy);
    expect(e.spikeRates).toEqual(t.spikeRates);
  });

  it('refuses what a NIR graph cannot take, and --out-nir or --dt without --init-nir', async () => {
    const input = await tinyGraph({ input: [784], out: 10 });
    expectOneLineError(runCli(['train', '--init-nir', input]), 2, /--init-nir: give --out-nir FILE.*not a checkpoint/);
    expectOneLineError(
      runCli(['train', '--init-nir', input, '--out-nir', 'a.nir', '--out', 'runs/x']),
      2,
      /--out: does not apply to --init-nir: a NIR graph is not a checkpoint/,
    );
    expectOneLineError(
      runCli(['train', '--init-nir', input, '--out-nir', 'a.nir', '--hidden', '10']),
      2,
      /--hidden: does not apply to --init-nir/,
    );
    expectOneLineError(
      runCli(['train', '--init-nir', input, '--out-nir', 'a.nir', '--threads', '2']),
      2,
      /--threads: --init-nir trains on one thread/,
    );
    expectOneLineError(
      runCli(['train', '--init-nir', input, '--out-nir', 'a.nir', '--dataset', 'iris']),
      2,
      /--init-nir: fine-tunes on --dataset mnist or fashion-mnist \(this run: iris\)/,
    );
    expectOneLineError(
      runCli(['train', '--init-nir', input, '--out-nir', 'a.txt']),
      2,
      /--out-nir: expected a file name ending in \.nir, found "a\.txt"/,
    );
    expectOneLineError(runCli(['train', '--out-nir', 'a.nir']), 2, /--out-nir: applies to --init-nir only/);
    expectOneLineError(runCli(['train', '--dt', '0.001']), 2, /--dt: applies to --init-nir only/);
  });
});
