import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { interruptCli, runCli, tempDir } from './run-cli.js';

const small = ['--train-limit', '512', '--test-limit', '64', '--hidden', '32', '--steps', '4', '--batch', '64'];

describe('SIGINT and SIGTERM', () => {
  it('simulate cuba shows its progress, and on SIGINT prints the result up to the time reached, exit 130', async () => {
    const r = await interruptCli(['simulate', 'cuba', '--duration', '3600s', '--json'], /simulate cuba \[/, 'SIGINT');
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/^simulate cuba \[\.+\]\s+0% 100\/3600000 .*ETA/m);
    expect(r.stderr).toMatch(
      /spikeflow simulate: interrupted \(SIGINT\) at [\d.]+ s of the 3600\.000 s asked: the result below covers the time reached/,
    );
    const j = JSON.parse(r.stdout);
    expect(j.interrupted).toBe('SIGINT');
    expect(j.durationMs).toBeGreaterThanOrEqual(100);
    expect(j.durationMs).toBeLessThan(3_600_000);
    expect(j.spikes).toBeGreaterThan(0);
    expect(j.meanRateHz).toBeGreaterThan(3); // over the time reached, not the time asked
    const text = await interruptCli(['simulate', 'coba', '--duration', '3600s'], /simulate coba \[/, 'SIGINT');
    expect(text.code).toBe(130);
    expect(text.stdout).toMatch(/simulated\s+[\d.]+ s biological time \(\d+ steps\), interrupted \(SIGINT\) before 3600\.000 s/);
    expect(text.stdout).toMatch(/spikes\s+[1-9]\d*/);
  });

  it('train: SIGINT stops it with one line, the checkpoint in --out untouched and no temporary files, exit 130', async () => {
    const cwd = tempDir();
    const out = join(cwd, 'ckpt');
    expect(runCli(['train', ...small, '--threads', '1', '--out', out], { cwd }).code).toBe(0);
    const config = readFileSync(join(out, 'config.json'), 'utf8');
    const files = readdirSync(out).sort();
    // two threads: the main thread waits for the workers at every batch, so the signal is seen within a batch
    const r = await interruptCli(['train', ...small, '--epochs', '2000', '--threads', '2', '--out', out], /fc epoch 2\/2000/, 'SIGINT', {
      cwd,
    });
    expect(r.code, r.stderr).toBe(130);
    const last = r.stderr.split('\n').pop();
    expect(last).toBe(`spikeflow train: interrupted (SIGINT): the checkpoint at ${out} was left untouched`);
    expect(readFileSync(join(out, 'config.json'), 'utf8')).toBe(config);
    expect(readdirSync(out).sort()).toEqual(files);
  });

  it('train on one thread: SIGINT stops it within a batch, not at the end of the epoch', async () => {
    const cwd = tempDir();
    const args = [
      'train',
      '--train-limit',
      '20000',
      '--test-limit',
      '64',
      '--hidden',
      '32',
      '--steps',
      '4',
      '--batch',
      '16',
      '--threads',
      '1',
    ];
    const r = await interruptCli(args, /fc epoch 1\/1 \[/, 'SIGINT', { cwd });
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr.split('\n').pop()).toBe('spikeflow train: interrupted (SIGINT): no checkpoint was written to runs/mnist-fc');
    expect(r.stderr).not.toMatch(/1250\/1250/); // the epoch's 1250 batches were not all run
    expect(r.stdout).toBe('');
  });

  it('train: SIGTERM before any checkpoint exists says so, exit 143', async () => {
    const cwd = tempDir();
    const r = await interruptCli(['train', ...small, '--epochs', '2000', '--threads', '2'], /fc epoch 2\/2000/, 'SIGTERM', { cwd });
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr.split('\n').pop()).toBe('spikeflow train: interrupted (SIGTERM): no checkpoint was written to runs/mnist-fc');
    expect(readdirSync(join(cwd, 'runs', 'mnist-fc'))).toEqual([]);
  });
});
