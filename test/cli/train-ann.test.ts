import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { expectOneLineError, interruptCli, runCli, tempDir } from './run-cli.js';

const weightsOf = (dir: string) => {
  const f = readdirSync(dir).find((n) => /^model-.*\.safetensors$/.test(n));
  expect(f, `weights in ${dir}`).toBeDefined();
  return readFileSync(join(dir, f!));
};

describe('spikeflow train --model ann-fc|ann-cnn', () => {
  const dir = tempDir();
  const small = ['--train-limit', '1000', '--test-limit', '200', '--offline'];

  it('trains an FC ANN and saves a checkpoint that convert --checkpoint converts; convert --train-ann trains the same ANN (one code path)', async () => {
    const ann = join(dir, 'ann-fc');
    const flags = ['--hidden', '100', '--dropout', '0.2', '--epochs', '3', '--batch', '32', '--lr', '2e-3', '--lr-schedule', 'cosine'];
    const r = runCli(['train', '--model', 'ann-fc', '--out', ann, '--json', '--threads', '1', ...flags, ...small]);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.model).toBe('784-100-10 ANN');
    expect(res.testAccuracy).toBeGreaterThan(0.7);
    expect(res.epochLog).toHaveLength(3);
    const { model, config } = await loadCheckpoint(ann);
    expect(model.layers.map((l) => l.kind)).toEqual(['linear', 'relu', 'dropout', 'linear']);
    expect(config.meta).toMatchObject({ model: 'ann-fc', task: 'ann', hidden: [100], dropout: 0.2, testAccuracy: res.testAccuracy });
    expect(readFileSync(join(ann, 'training.svg'), 'utf8')).toContain('<svg');
    // eval scores an ANN checkpoint by its logits: the accuracy train reported
    const e = runCli(['eval', '--checkpoint', ann, '--threads', '1', '--json', '--test-limit', '200']);
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).testAccuracy).toBe(res.testAccuracy);

    const c = runCli(['convert', '--checkpoint', ann, '--out', join(dir, 'fc-snn'), '--steps', '64', '--json', '--test-limit', '200']);
    expect(c.code, c.stderr).toBe(0);
    const curve = JSON.parse(c.stdout).accuracyVsSteps;
    expect(curve.annAccuracy).toBe(res.testAccuracy); // the saved ANN is the trained one
    expect(Math.abs(curve.points[0].accuracy - curve.annAccuracy)).toBeLessThan(0.03);

    // convert --train-ann with the same flags: the same training, bit for bit
    const twin = join(dir, 'ann-fc-twin');
    const t = runCli(['convert', '--train-ann', '--checkpoint', twin, '--out', join(dir, 'twin-snn'), '--steps', '8', ...flags, ...small]);
    expect(t.code, t.stderr).toBe(0);
    expect(weightsOf(twin).equals(weightsOf(ann))).toBe(true);
  }, 180_000);

  it('convert stops on SIGTERM during the simulation (it yields between batches): one line, nothing written to --out, exit 143', async () => {
    const out = join(dir, 'interrupted');
    const r = await interruptCli(
      ['convert', '--checkpoint', join(dir, 'ann-fc'), '--out', out, '--steps', '20000', '--offline'],
      /snn 20000 steps \[/,
      'SIGTERM',
    );
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr.split('\n').pop()).toMatch(/^spikeflow convert: interrupted \(SIGTERM\): nothing new was written to /);
    expect(existsSync(join(out, 'config.json'))).toBe(false);
  }, 120_000);

  it('trains a CNN ANN with BatchNorm, dropout and hidden layers; convert folds the BatchNorm', async () => {
    const ann = join(dir, 'ann-cnn');
    const r = runCli([
      'train',
      '--model',
      'ann-cnn',
      '--channels',
      '4,8',
      '--hidden',
      '32',
      '--batch-norm',
      '--dropout',
      '0.1',
      '--batch',
      '32',
      '--lr',
      '2e-3',
      '--out',
      ann,
      '--json',
      ...small,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.model).toBe('4C5-AP2-8C5-AP2-128FC32FC10 CNN (BatchNorm)');
    expect(res.testAccuracy).toBeGreaterThan(0.5);
    const { model } = await loadCheckpoint(ann);
    expect(model.layers.map((l) => l.kind)).toEqual([
      'conv2d',
      'batchnorm2d',
      'relu',
      'avgpool2d',
      'conv2d',
      'batchnorm2d',
      'relu',
      'avgpool2d',
      'flatten',
      'linear',
      'batchnorm1d',
      'relu',
      'dropout',
      'linear',
    ]);
    const c = runCli(['convert', '--checkpoint', ann, '--out', join(dir, 'cnn-snn'), '--steps', '32', '--json', '--test-limit', '100']);
    expect(c.code, c.stderr).toBe(0);
    const conv = JSON.parse(c.stdout).conversion;
    expect(conv.layers.map((l: { foldedBatchNorm: number | null }) => l.foldedBatchNorm)).toEqual([1, 5, 10, null]);
  }, 180_000);

  it('refuses spiking-model flags, SNN-only datasets and ANN flags on SNN models, in one line', () => {
    expectOneLineError(
      runCli(['train', '--model', 'ann-fc', '--steps', '10', '--out', join(dir, 'x')]),
      2,
      /^spikeflow: --steps: applies to spiking models only \(this run: --model ann-fc, an ANN\)/,
    );
    expectOneLineError(
      runCli(['train', '--model', 'ann-fc', '--pool', 'max', '--out', join(dir, 'x')]),
      2,
      /^spikeflow: --pool: applies to --model ann-cnn only/,
    );
    expectOneLineError(
      runCli(['train', '--model', 'ann-cnn', '--dataset', 'shd', '--out', join(dir, 'x')]),
      2,
      /^spikeflow: --dataset shd: --model ann-cnn trains on mnist or fashion-mnist/,
    );
    expectOneLineError(
      runCli(['train', '--model', 'fc', '--batch-norm', '--out', join(dir, 'x')]),
      2,
      /^spikeflow: --batch-norm: applies to --model ann-fc or ann-cnn only \(this run: --model fc\)/,
    );
    expectOneLineError(
      runCli(['train', '--model', 'ann-cnn', '--batch-norm', '--batch', '1', '--out', join(dir, 'x')]),
      2,
      /^spikeflow: --batch: BatchNorm needs batches of at least 2 samples, found 1/,
    );
  }, 60_000);
});
