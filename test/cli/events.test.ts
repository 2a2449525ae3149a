import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expectOneLineError, runCli, tempDir } from './run-cli.js';

// train/eval --dataset nmnist|shd|dvs-gesture: event samples framed once, fed as [T, B, F] sequences; the
// checkpoint records how the frames were made, and eval makes them the same way.
const fixtures = resolve(__dirname, '..', 'fixtures');
const nmnist = ['--dataset', 'nmnist', '--data-dir', join(fixtures, 'nmnist-synth')];
const shd = ['--dataset', 'shd', '--data-dir', join(fixtures, 'shd')];
const gesture = ['--dataset', 'dvs-gesture', '--data-dir', join(fixtures, 'dvs-gesture')];

describe('train/eval on event data', () => {
  it('nmnist: a CSNN on 2x34x34 frames trains, and eval of its checkpoint measures the same accuracy', () => {
    const cwd = tempDir();
    const args = ['--model', 'csnn', '--channels', '4,8', '--steps', '8', '--denoise', '10000', '--epochs', '3', '--batch', '8'];
    const t = runCli(['train', ...nmnist, ...args, '--lr', '5e-3', '--threads', '1', '--json'], { cwd });
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/using nmnist \(nmnist-small layout\)/);
    const trained = JSON.parse(t.stdout);
    expect(trained.encoding).toBe('frames');
    expect(trained.model).toMatch(/^4C5-MP2-8C5-MP2-\d+FC10 CSNN$/);
    const dir = join(cwd, 'runs', 'nmnist-csnn');
    const meta = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).meta;
    expect(meta).toMatchObject({ dataset: 'nmnist', steps: 8, encoding: 'frames', frameWindow: null, denoise: 10000 });
    const e = runCli(['eval', '--checkpoint', dir, '--data-dir', join(fixtures, 'nmnist-synth'), '--threads', '1', '--json'], { cwd });
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout)).toMatchObject({ dataset: 'nmnist', testAccuracy: trained.testAccuracy, samples: 12 });
    expectOneLineError(
      runCli(['eval', '--checkpoint', dir, '--data-dir', join(fixtures, 'nmnist-synth'), '--seed', '3'], { cwd }),
      2,
      /--seed: the checkpoint in .* uses event frames as input, which draws no random numbers/,
    );
  }, 60_000);

  it('shd: a recurrent fc model (rleaky) on [T, 700] spike counts trains and evaluates', () => {
    const cwd = tempDir();
    const args = ['--model', 'fc', '--neuron', 'rleaky', '--hidden', '16', '--steps', '10', '--frame-window', '110000', '--epochs', '2'];
    const t = runCli(['train', ...shd, ...args, '--batch', '4', '--threads', '1', '--json'], { cwd });
    expect(t.code, t.stderr).toBe(0);
    const trained = JSON.parse(t.stdout);
    expect(trained.model).toBe('700-16-20 SNN (rleaky neurons)');
    const dir = join(cwd, 'runs', 'shd-fc-rleaky');
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).meta).toMatchObject({ frameWindow: 110000, steps: 10 });
    const e = runCli(['eval', '--checkpoint', dir, '--data-dir', join(fixtures, 'shd'), '--threads', '1', '--json'], { cwd });
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout)).toMatchObject({ dataset: 'shd', testAccuracy: trained.testAccuracy, samples: 8 });
  }, 60_000);

  it('dvs-gesture: a CSNN on 2x32x32 frames (11 classes) trains, and eval of its checkpoint measures the same accuracy', () => {
    const cwd = tempDir();
    const args = ['--model', 'csnn', '--channels', '4,8', '--steps', '4', '--epochs', '2', '--batch', '8', '--denoise', '50000'];
    const t = runCli(['train', ...gesture, ...args, '--threads', '1', '--json'], { cwd });
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/using dvs-gesture \(tonic layout\)/);
    const trained = JSON.parse(t.stdout);
    expect(trained.model).toMatch(/^4C5-MP2-8C5-MP2-\d+FC11 CSNN$/);
    const dir = join(cwd, 'runs', 'dvs-gesture-csnn');
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).meta).toMatchObject({
      dataset: 'dvs-gesture',
      steps: 4,
      denoise: 50000,
    });
    const e = runCli(['eval', '--checkpoint', dir, '--data-dir', join(fixtures, 'dvs-gesture'), '--threads', '1', '--json'], { cwd });
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout)).toMatchObject({ dataset: 'dvs-gesture', testAccuracy: trained.testAccuracy, samples: 11 });
  }, 60_000);

  it('refuses flags that do nothing for the dataset', () => {
    expectOneLineError(runCli(['train', ...nmnist, '--encoding', 'rate']), 2, /--encoding: does not apply to --dataset nmnist/);
    expectOneLineError(
      runCli(['train', '--denoise', '5000']),
      2,
      /--denoise: applies to --dataset nmnist, shd or dvs-gesture only \(this run: mnist\)/,
    );
    expectOneLineError(
      runCli(['train', '--frame-window', '1000']),
      2,
      /--frame-window: applies to --dataset nmnist, shd or dvs-gesture only/,
    );
    expectOneLineError(runCli(['train', ...shd, '--denoise', '5000']), 2, /--denoise: applies to --dataset nmnist or dvs-gesture only/);
    expectOneLineError(runCli(['train', ...shd, '--model', 'csnn']), 2, /--dataset shd: only --model fc applies/);
  });

  it('nmnist with no data anywhere: the emulated N-MNIST, recorded into the cache once, said plainly, the same as `events emulate` writes', () => {
    const cache = tempDir('spikeflow-emu-cache-');
    const env = { SPIKEFLOW_CACHE: cache };
    const args = ['train', '--dataset', 'nmnist', '--offline', '--model', 'csnn', '--channels', '2,4', '--steps', '4', '--epochs', '1'];
    const run = [...args, '--batch', '8', '--train-limit', '24', '--test-limit', '8', '--threads', '1', '--json'];
    const first = runCli(run, { env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/nmnist not found: .*downloads disabled/);
    expect(first.stderr).toMatch(/using the EMULATED N-MNIST instead: .*not real recordings/);
    const dir = join(cache, 'nmnist-emulated-24-8');
    expect(first.stderr).toContain(`emulated N-MNIST recorded into ${dir}`);
    expect(first.stderr).toMatch(/data: nmnist from the EMULATED N-MNIST, not real recordings \(.*\): 24 train \/ 8 test samples/);
    const files = readdirSync(dir).filter((f) => f.endsWith('.bs2'));
    expect(files).toHaveLength(32);
    // a second run reads the cached recording (nothing recorded again) and trains on the same data: same result
    const second = runCli(run, { env });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(`emulated N-MNIST from the cache ${dir}`);
    expect(JSON.parse(second.stdout).testAccuracy).toBe(JSON.parse(first.stdout).testAccuracy);
    // the recording is what `events emulate` writes for the same digits and seed, file for file
    const out = join(tempDir(), 'emu');
    const e = runCli(['events', 'emulate', '--out', out, '--train-limit', '24', '--test-limit', '8', '--seed', '0'], { env });
    expect(e.code, e.stderr).toBe(0);
    for (const f of [...files, 'train1K.txt', 'test100.txt'])
      expect(readFileSync(join(dir, f)).equals(readFileSync(join(out, f))), f).toBe(true);
  });
});
