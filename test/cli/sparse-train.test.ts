import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { loadMnist } from '../../src/data/mnist.js';
import { expectOneLineError, runCli, tempDir } from './run-cli.js';

// The sparse-SNN flags: --rate-target (per-layer target-rate regulariser) and --latency-threshold
// (latency code: pixels below it never spike), read back by eval and profile.
describe('spikeflow train --rate-target, --latency-threshold', () => {
  const dir = tempDir();
  const base = [
    '--hidden',
    '100',
    '--steps',
    '8',
    '--train-limit',
    '1000',
    '--test-limit',
    '200',
    '--batch',
    '32',
    '--lr',
    '2e-3',
    '--threads',
    '1',
  ];
  base.push('--offline');

  it('the target rate holds the hidden layer sparser than the plain run; the checkpoint records it', async () => {
    const plain = runCli(['train', '--out', join(dir, 'plain'), '--json', ...base]);
    expect(plain.code, plain.stderr).toBe(0);
    const out = join(dir, 'sparse');
    const sparse = runCli(['train', '--out', out, '--json', '--rate-target', '0.02', '--rate-weight', '3000', ...base]);
    expect(sparse.code, sparse.stderr).toBe(0);
    const p = JSON.parse(plain.stdout);
    const s = JSON.parse(sparse.stdout);
    expect(p.spikeRates[0]).toBeGreaterThan(0.08);
    expect(s.spikeRates[0]).toBeLessThan(0.5 * p.spikeRates[0]);
    expect((await loadCheckpoint(out)).config.meta.rateTarget).toEqual({ targets: [0.02], weight: 3000, penalty: 'upper' });
  }, 120_000);

  it('latency input with a threshold: eval reads the threshold back (same accuracy), profile counts one input event per pixel at or above it', async () => {
    const out = join(dir, 'latency');
    const r = runCli(['train', '--out', out, '--json', '--encoding', 'latency', '--latency-threshold', '0.4', ...base]);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect((await loadCheckpoint(out)).config.meta).toMatchObject({ encoding: 'latency', latencyThreshold: 0.4 });
    const e = runCli(['eval', '--checkpoint', out, '--threads', '1', '--json', '--test-limit', '200']);
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).testAccuracy).toBe(res.testAccuracy);
    const p = runCli(['profile', '--checkpoint', out, '--test-limit', '50', '--out', join(dir, 'prof'), '--json', '--offline']);
    expect(p.code, p.stderr).toBe(0);
    const prof = JSON.parse(p.stdout);
    // the truth from the data: pixels >= 0.4 per test image (the first 50, as the CLI's embedded copy)
    const data = await loadMnist({ dataset: 'mnist', download: false });
    let n = 0;
    for (let i = 0; i < 50 * 784; i++) if (data.test.images[i] / 255 >= 0.4) n++;
    expect(prof.rows[0].input).toBe('spikes');
    expect(prof.rows[0].events).toBeCloseTo(n / 50, 6);
    expect(prof.rows[0].acs).toBeCloseTo((n / 50) * 100 + 100 * 8, 3); // each event reaches 100 targets, plus 100 bias adds per step
  }, 120_000);

  it('refuses the flags without their partner, bad rates and a count that fits no layer list, in one line', () => {
    expectOneLineError(
      runCli(['train', '--rate-weight', '5', '--out', join(dir, 'x')]),
      2,
      /^spikeflow: --rate-weight: applies with --rate-target only/,
    );
    expectOneLineError(
      runCli(['train', '--rate-target', '0.1,x', '--out', join(dir, 'x')]),
      2,
      /^spikeflow: --rate-target: expected rates in \[0, 1\] separated by commas, e\.g\. 0\.05 or 0\.05,0\.02, found "x"/,
    );
    expectOneLineError(
      runCli(['train', '--latency-threshold', '0.3', '--out', join(dir, 'x')]),
      2,
      /^spikeflow: --latency-threshold: applies to --encoding latency only \(this run: direct\)/,
    );
    expectOneLineError(
      runCli([
        'train',
        '--rate-target',
        '0.1,0.2',
        '--hidden',
        '10',
        '--train-limit',
        '10',
        '--test-limit',
        '10',
        '--offline',
        '--out',
        join(dir, 'x'),
      ]),
      2,
      /^spikeflow: --rate-target: 2 rates for 1 hidden spiking layers; give one rate, or one per hidden layer/,
    );
  }, 60_000);
});
