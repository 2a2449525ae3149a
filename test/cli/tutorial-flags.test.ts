import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectOneLineError, runCli, tempDir } from './run-cli.js';

// The tutorials' choices from the CLI alone: the surrogate's slope or alpha, the reset mechanism, latency
// coding and the time-to-first-spike losses (a checkpoint trained with one is read by its first spike).
const small = ['--train-limit', '256', '--test-limit', '64', '--hidden', '16', '--steps', '6', '--batch', '64', '--threads', '1'];
const config = (dir: string) => JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));

describe('train: the tutorials flags', () => {
  it('--surrogate fast-sigmoid --surrogate-slope 10 --reset zero --learn-beta reach every Leaky layer of the checkpoint', () => {
    const out = join(tempDir(), 'ckpt');
    const t = runCli([
      'train',
      ...small,
      '--surrogate',
      'fast-sigmoid',
      '--surrogate-slope',
      '10',
      '--reset',
      'zero',
      '--learn-beta',
      '--out',
      out,
    ]);
    expect(t.code, t.stderr).toBe(0);
    const leaky = config(out).layers.filter((l: { kind: string }) => l.kind === 'leaky');
    expect(leaky).toHaveLength(2);
    for (const l of leaky)
      expect(l.config).toMatchObject({ reset: 'zero', learnBeta: true, surrogate: { name: 'fastSigmoid', param: 10 } });
  });

  it('--surrogate atan --surrogate-alpha 3, and the textbook forms by name', () => {
    for (const [args, want] of [
      [['--surrogate', 'atan', '--surrogate-alpha', '3'], { name: 'atan', param: 3 }],
      [['--surrogate', 'triangle'], { name: 'triangle', param: 1 }],
      [['--surrogate', 'atan-k', '--surrogate-slope', '2'], { name: 'scaledAtan', param: 2, param2: 1 }],
    ] as const) {
      const out = join(tempDir(), 'ckpt');
      const t = runCli(['train', ...small, ...args, '--epochs', '1', '--out', out]);
      expect(t.code, t.stderr).toBe(0);
      expect(config(out).layers[1].config.surrogate).toEqual(want);
    }
  });

  it('refuses a surrogate parameter the surrogate does not have, and --reset for iris', () => {
    expectOneLineError(
      runCli(['train', '--surrogate-slope', '3', ...small]),
      2,
      /--surrogate-slope: applies to --surrogate fast-sigmoid.*this run: --surrogate atan/,
    );
    expectOneLineError(
      runCli(['train', '--surrogate', 'sigmoid', '--surrogate-alpha', '3', ...small]),
      2,
      /--surrogate-alpha: applies to --surrogate atan/,
    );
    expectOneLineError(runCli(['train', '--dataset', 'iris', '--reset', 'zero']), 2, /--reset: does not apply to --dataset iris/);
  });

  it('--encoding latency --loss ce-temporal trains; eval reads the checkpoint by its first spike and agrees', () => {
    const cwd = tempDir();
    const out = join(cwd, 'lat');
    const t = runCli(['train', ...small, '--encoding', 'latency', '--loss', 'ce-temporal', '--lr', '5e-3', '--json', '--out', out], {
      cwd,
    });
    expect(t.code, t.stderr).toBe(0);
    const trained = JSON.parse(t.stdout);
    expect(config(out).meta).toMatchObject({ encoding: 'latency', loss: 'ce-temporal' });
    const e = runCli(['eval', '--checkpoint', out, '--test-limit', '64', '--threads', '1', '--json'], { cwd });
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).testAccuracy).toBe(trained.testAccuracy);
    expectOneLineError(
      runCli(['eval', '--checkpoint', out, '--seed', '2'], { cwd }),
      2,
      /uses latency encoding, which draws no random numbers/,
    );
  });
});
