import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, existsSync, readFileSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

// The CLI as a user runs it: the built entry point (npm test builds first), offline.
const main = resolve(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const cache = mkdtempSync(join(tmpdir(), 'spikeflow-cache-'));
// a fresh working folder, so that default output folders (runs/...) do not land in the repository
const cwd = mkdtempSync(join(tmpdir(), 'spikeflow-cwd-'));
function run(...args: string[]) {
  const r = spawnSync(process.execPath, [main, ...args], {
    encoding: 'utf8',
    env: { ...process.env, SPIKEFLOW_OFFLINE: '1', SPIKEFLOW_CACHE: cache },
    cwd,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
}
/** A user error is one line on stderr naming the problem, a non-zero exit, and no stack trace. */
function expectOneLineError(r: ReturnType<typeof run>, code: number, pattern: RegExp): void {
  expect(r.code).toBe(code);
  const lines = r.stderr.split('\n').filter((l) => !/^(data:|using |downloading )/.test(l));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('spikeflow CLI', () => {
  it('bad flags and values are one clear line with exit code 2', () => {
    expectOneLineError(run('train', '--epoch', '2'), 2, /unknown flag --epoch \(did you mean --epochs\?\)/);
    expectOneLineError(
      run('train', '--dataset', 'cifar'),
      2,
      /--dataset: expected one of mnist, fashion-mnist, iris, nmnist, shd, dvs-gesture, found "cifar"/,
    );
    expectOneLineError(run('train', '--epochs', 'abc'), 2, /--epochs: expected an integer/);
    expectOneLineError(run('train', '--hidden', '10,x'), 2, /--hidden: expected sizes like 1000/);
    expectOneLineError(run('fly'), 2, /unknown command "fly"/);
  });

  it('missing and corrupt data files are one clear line with exit code 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spikeflow-data-'));
    expectOneLineError(run('train', '--data-dir', dir), 1, /missing train-images-idx3-ubyte\[\.gz\].*t10k-labels-idx1-ubyte/);
    // a truncated image file: header promises 60000 images
    const header = Buffer.from([0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 0, 0, 28, 0, 0, 0, 28]);
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(Buffer.concat([header, Buffer.alloc(1000)])));
    for (const f of ['train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'])
      writeFileSync(join(dir, f), Buffer.alloc(8));
    expectOneLineError(
      run('train', '--data-dir', dir),
      1,
      /train-images-idx3-ubyte\.gz: dimensions \[60000, 28, 28\] need 47040000 data bytes, found 1000/,
    );
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), Buffer.from([0x1f, 0x8b, 1, 2, 3]));
    expectOneLineError(run('train', '--data-dir', dir), 1, /train-images-idx3-ubyte\.gz: corrupt gzip data/);
  });

  it('train writes a checkpoint and JSON; eval reloads it and reproduces the accuracy', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'spikeflow-run-')), 'ckpt');
    const t = run(
      'train',
      '--train-limit',
      '1024',
      '--test-limit',
      '300',
      '--hidden',
      '64',
      '--steps',
      '8',
      '--batch',
      '64',
      '--lr',
      '0.002',
      '--out',
      out,
      '--json',
    );
    expect(t.code, t.stderr).toBe(0);
    const r = JSON.parse(t.stdout.trim().split('\n').pop()!);
    for (const k of ['testAccuracy', 'trainSamplesPerSec', 'inferSamplesPerSec', 'epochs']) expect(r).toHaveProperty(k);
    // the loss: the last epoch's mean over its batches, and the last batch's (where the bar ends)
    expect(r).not.toHaveProperty('finalLoss');
    expect(r.finalEpochMeanLoss).toBe(r.epochLog[0].loss);
    expect(r.lastBatchLoss).toBeGreaterThan(0);
    expect(t.stderr).toMatch(new RegExp(`^fc epoch 1/1 \\[#+\\] 100% 16/16  loss ${r.lastBatchLoss.toFixed(3)} `, 'm'));
    expect(r.testAccuracy).toBeGreaterThan(0.5);
    expect(r.spikeRates).toHaveLength(2);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.weights.file).toMatch(/^model-[0-9a-f]{16}\.safetensors$/);
    expect(existsSync(join(out, config.weights.file))).toBe(true);
    expect(config.meta).toMatchObject({ dataset: 'mnist', model: 'fc', steps: 8 });
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // training curves: one loss point per batch (1024 / 64 = 16), the test accuracy at the end
    const svg = readFileSync(join(out, 'training.svg'), 'utf8');
    expect(r.curves).toBe(join(out, 'training.svg'));
    expect(svg).toMatch(/^<svg/);
    expect(svg).toMatch(/train loss/);
    expect(svg).toMatch(/test accuracy/);
    expect((/<g class="series loss">([\s\S]*?)<\/g>/.exec(svg)![1].match(/class="point"/g) ?? []).length).toBe(16);
    const e = run('eval', '--checkpoint', out, '--test-limit', '300', '--json');
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout.trim()).testAccuracy).toBe(r.testAccuracy);
    // a damaged checkpoint is a clear error, not a crash
    writeFileSync(join(out, config.weights.file), Buffer.from([1, 2, 3]));
    expectOneLineError(
      run('eval', '--checkpoint', out),
      1,
      /model-[0-9a-f]{16}\.safetensors: expected \d+ bytes as .*config\.json names, found 3/,
    );
    const missing = join(out, 'nope');
    mkdirSync(missing);
    expectOneLineError(run('eval', '--checkpoint', missing), 1, /config\.json: checkpoint file not found/);
  });

  it('train --model csnn trains a small convolutional SNN on real MNIST; eval reloads it (conv layers in the checkpoint)', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'spikeflow-run-')), 'csnn');
    const t = run(
      'train',
      '--model',
      'csnn',
      '--channels',
      '4,8',
      '--train-limit',
      '1024',
      '--test-limit',
      '300',
      '--steps',
      '6',
      '--batch',
      '32',
      '--epochs',
      '3',
      '--beta',
      '0.5',
      '--surrogate',
      'fast-sigmoid',
      '--lr',
      '0.01',
      '--loss',
      'rate',
      '--threads',
      '2',
      '--out',
      out,
      '--json',
    );
    expect(t.code, t.stderr).toBe(0);
    const r = JSON.parse(t.stdout.trim().split('\n').pop()!);
    expect(r.model).toBe('4C5-MP2-8C5-MP2-128FC10 CSNN');
    // the bar is labelled by the model, and with several epochs shows the run's ETA
    expect(t.stderr).toMatch(/^csnn epoch 1\/3 \[.*run ETA \d/m);
    expect(t.stderr).not.toMatch(/^snn epoch/m);
    expect(r.testAccuracy).toBeGreaterThan(0.6);
    expect(r.spikeRates).toHaveLength(3);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(cfg.layers.map((l: { kind: string }) => l.kind)).toEqual([
      'conv2d',
      'maxpool2d',
      'leaky',
      'conv2d',
      'maxpool2d',
      'leaky',
      'flatten',
      'linear',
      'leaky',
    ]);
    const e = run('eval', '--checkpoint', out, '--test-limit', '300', '--json');
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout.trim()).testAccuracy).toBe(r.testAccuracy);
  });

  it('train --dataset iris: population coding and 5-fold cross-validation reach >= 95% mean accuracy', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'spikeflow-run-')), 'iris');
    const t = run('train', '--dataset', 'iris', '--out', out, '--json');
    expect(t.code, t.stderr).toBe(0);
    const r = JSON.parse(t.stdout.trim().split('\n').pop()!);
    expect(r.foldResults).toHaveLength(5);
    expect(r.foldResults.reduce((a: number, f: { test: number }) => a + f.test, 0)).toBe(150);
    expect(r.meanAccuracy).toBeGreaterThanOrEqual(0.95);
    expectOneLineError(run('train', '--dataset', 'iris', '--model', 'csnn'), 2, /only --model fc/);
  });

  it('compare writes the SNN-vs-ANN table as JSON and Markdown', () => {
    const out = mkdtempSync(join(tmpdir(), 'spikeflow-cmp-'));
    const c = run(
      'compare',
      '--train-limit',
      '1024',
      '--test-limit',
      '300',
      '--hidden',
      '64',
      '--steps',
      '8',
      '--batch',
      '64',
      '--lr',
      '0.002',
      '--latency-samples',
      '20',
      '--out',
      out,
      '--json',
    );
    expect(c.code, c.stderr).toBe(0);
    const r = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8'));
    expect(r.snn.testAccuracy).toBeGreaterThan(0.5);
    expect(r.ann.testAccuracy).toBeGreaterThan(0.5);
    // the energy analysis is spikeflow profile's, on the 300 test samples: ANN MACs are exactly the layer
    // sizes; the SNN's first layer is computed once (direct input)
    expect(r.ann.profile.totals.macs).toBe(784 * 64 + 64 * 10);
    expect(r.snn.profile.rows[0].macs).toBe(784 * 64);
    // hidden->output accumulates = mean hidden spikes per sample x 10 outputs, plus 10 bias adds per step
    const hiddenSpikesPerSample = r.snn.spikeRates[0] * 64 * 8;
    expect(r.snn.profile.rows[1].events).toBeCloseTo(hiddenSpikesPerSample, 3);
    expect(r.snn.profile.rows[2].acs).toBeCloseTo(hiddenSpikesPerSample * 10 + 10 * 8, 3);
    // the SNN's same-topology ANN column is the trained ANN's own count
    expect(r.snn.profile.totals.annMacs).toBe(r.ann.profile.totals.macs);
    expect(r.energyModel).toMatchObject({ acPj: 0.9, macPj: 4.6, sramPj: 5, profileSamples: 300 });
    const md = readFileSync(join(out, 'compare.md'), 'utf8');
    expect(md).toMatch(/estimated energy \/ inference, compute \+ SRAM/);
    expect(md).toMatch(/ESTIMATE/);
  });

  it('simulate lif prints the tutorial neuron: spike count, rate, spike times, and the f-I curve with --sweep', () => {
    const r = run(
      'simulate',
      'lif',
      '--current',
      '1.8',
      '--tau',
      '20',
      '--threshold',
      '1',
      '--refractory',
      '4',
      '--steps',
      '200',
      '--method',
      'exact',
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    const isi = 4 + 20 * Math.log(1.8 / 0.8);
    expect(j.analyticIsiMs).toBeCloseTo(isi, 9);
    expect(j.spikeCount).toBe(j.spikeTimesMs.length);
    j.spikeTimesMs.slice(1).forEach((t: number, i: number) => expect(Math.abs(t - j.spikeTimesMs[i] - isi)).toBeLessThanOrEqual(1));
    const text = run('simulate', 'lif', '--current', '1.8', '--refractory', '4');
    expect(text.stdout).toMatch(/spike count\s+10/);
    expect(text.stdout).toMatch(/spike times\s+16, 36/);
    const sweep = JSON.parse(
      run('simulate', 'lif', '--sweep', '--sweep-to', '3', '--sweep-points', '7', '--steps', '2000', '--json').stdout,
    );
    const rates = sweep.fiCurve.map((p: { rateHz: number }) => p.rateHz);
    expect(rates.slice(0, 3)).toEqual([0, 0, 0]); // currents 0, 0.5, 1.0: at or below the rheobase
    for (let i = 1; i < rates.length; i++) expect(rates[i]).toBeGreaterThanOrEqual(rates[i - 1]);
    expectOneLineError(run('simulate', 'lof'), 2, /simulate: expected a model \(lif, cuba or coba\), found "lof"/);
    expectOneLineError(run('simulate', 'lif', '--dt', '30'), 1, /dt \(30 ms\) must be smaller than tauM \(20 ms\)/);
  });
});
