import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { expectOneLineError, runCli, tempDir } from './run-cli.js';

describe('spikeflow convert', () => {
  const dir = tempDir();
  const ann = join(dir, 'ann');
  const small = ['--test-limit', '200', '--offline'];

  it('--train-ann trains an MNIST ANN, converts it, and reports accuracy vs steps near the ANN (JSON, SVG, checkpoint)', async () => {
    const out = join(dir, 'snn');
    const r = runCli([
      'convert',
      '--train-ann',
      '--checkpoint',
      ann,
      '--out',
      out,
      '--train-limit',
      '1000',
      '--epochs',
      '2',
      '--steps',
      '16,64',
      '--json',
      ...small,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    const curve = res.accuracyVsSteps;
    expect(curve.annAccuracy).toBeGreaterThan(0.75);
    expect(curve.points.map((p: { steps: number }) => p.steps)).toEqual([16, 64]);
    expect(Math.abs(curve.points[1].accuracy - curve.annAccuracy)).toBeLessThan(0.03);
    expect(res.conversion.layers).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(out, 'conversion.json'), 'utf8'))).toEqual(res);
    expect(readFileSync(join(out, 'accuracy-vs-steps.svg'), 'utf8')).toContain('class="hline"');
    const { model, config } = await loadCheckpoint(out);
    expect(model.layers.map((l) => l.kind)).toEqual(['linear', 'leaky', 'linear', 'leaky']);
    expect(config.meta).toMatchObject({ dataset: 'mnist', model: 'converted', steps: 64, encoding: 'direct', readout: 'membrane' });
    expect((await loadCheckpoint(ann)).config.meta).toMatchObject({ model: 'ann-fc', task: 'ann' });
    // eval reads the converted checkpoint by its membrane readout: the accuracy convert reported at 64 steps
    const e = runCli(['eval', '--checkpoint', out, '--threads', '1', '--json', '--test-limit', '200']);
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).testAccuracy).toBe(curve.points[1].accuracy);
  }, 120_000);

  it('converts a saved ANN checkpoint with count readout, rate input and the maximum as scale', () => {
    const r = runCli([
      'convert',
      '--checkpoint',
      ann,
      '--out',
      join(dir, 'snn-count'),
      '--readout',
      'count',
      '--input',
      'rate',
      '--percentile',
      '100',
      '--steps',
      '32',
      ...small,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/T = 32 +\d+\.\d\d%/);
    const res = JSON.parse(readFileSync(join(dir, 'snn-count', 'conversion.json'), 'utf8'));
    expect(res.conversion.percentile).toBe(100);
    expect(res.conversion.layers.map((l: { scale: number; maxActivation: number }) => l.scale - l.maxActivation)).toEqual([0, 0]);
    expect(res.accuracyVsSteps.spikeRates[1]).toBeGreaterThan(0); // an IF output layer spikes
  }, 60_000);

  it('profile measures the converted SNN and its ANN: per-layer rows whose sums are the totals, JSON + Markdown + SVG', () => {
    const out = join(dir, 'prof');
    const r = runCli([
      'profile',
      '--checkpoint',
      join(dir, 'snn'),
      '--steps',
      '16',
      '--test-limit',
      '50',
      '--offline',
      '--out',
      out,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const p = JSON.parse(r.stdout);
    expect(p.steps).toBe(16);
    expect(p.rows.map((x: { layer: string }) => x.layer)).toEqual(['0:linear', '1:leaky', '2:linear', '3:leaky']);
    expect(p.rows[0].input).toBe('analog');
    expect(p.rows[2].input).toBe('spikes');
    expect(p.totals.acs).toBeCloseTo(
      p.rows.reduce((s: number, x: { acs: number }) => s + x.acs, 0),
      6,
    );
    expect(readFileSync(join(out, 'profile.md'), 'utf8')).toContain('| compute + SRAM |');
    expect(readFileSync(join(out, 'profile.svg'), 'utf8')).toContain('class="bar');
    const a = runCli(['profile', '--checkpoint', ann, '--test-limit', '50', '--offline', '--out', out, '--json']);
    expect(a.code, a.stderr).toBe(0);
    const pa = JSON.parse(a.stdout);
    expect(pa).toMatchObject({ steps: 1, input: 'ann' });
    expect(pa.totals.macs).toBe(pa.totals.annMacs); // an ANN profiled is its own twin (plus its bias adds as ACs)
    expectOneLineError(
      runCli(['profile', '--checkpoint', ann, '--steps', '8', '--out', out]),
      2,
      /^spikeflow: --steps: does nothing: an ANN runs one pass/,
    );
  }, 60_000);

  it('refuses flags that do nothing, bad step lists and a max-pooling ANN, in one line naming the flag or layer', () => {
    expectOneLineError(
      runCli(['convert', '--checkpoint', ann, '--hidden', '100']),
      2,
      /^spikeflow: --hidden: applies with --train-ann only/,
    );
    expectOneLineError(runCli(['convert', '--checkpoint', ann, '--seed', '3']), 2, /^spikeflow: --seed: does nothing: direct input/);
    expectOneLineError(
      runCli(['convert', '--checkpoint', ann, '--steps', '8,x']),
      2,
      /^spikeflow: --steps: expected comma-separated integers .* found "x"/,
    );
    expectOneLineError(
      runCli(['convert', '--train-ann', '--model', 'ann-fc', '--pool', 'max', '--checkpoint', join(dir, 'p')]),
      2,
      /^spikeflow: --pool: applies to --model ann-cnn only/,
    );
    const mp = runCli([
      'convert',
      '--train-ann',
      '--model',
      'ann-cnn',
      '--channels',
      '2',
      '--pool',
      'max',
      '--checkpoint',
      join(dir, 'cnn-max'),
      '--out',
      join(dir, 'cnn-max-snn'),
      '--train-limit',
      '64',
      '--epochs',
      '1',
      ...small,
    ]);
    expect(mp.code).toBe(1);
    expect(mp.stderr.split('\n').pop()).toMatch(/^spikeflow: layer 2 \(maxpool2d\): .* AvgPool2d \(--pool avg\) instead$/);
    expect(existsSync(join(dir, 'cnn-max-snn', 'config.json'))).toBe(false);
  }, 60_000);
});
