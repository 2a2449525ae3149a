import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEvents } from '../../src/events/formats.js';
import { readNmnist } from '../../src/events/nmnist.js';
import { expectOneLineError, runCli, tempDir } from './run-cli.js';

// `spikeflow events inspect FILE` and `spikeflow events emulate --dataset mnist --out DIR`.
const fixtures = resolve(__dirname, '..', 'fixtures', 'events');

describe('spikeflow events inspect', () => {
  it('reports format, counts, time span, rate and polarity balance as the reader sees them', () => {
    for (const name of ['nmnist_cut.bin', 'dvs128.aedat', 'aedat4_lz4.aedat4']) {
      const file = join(fixtures, name);
      const r = runCli(['events', 'inspect', file, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const s = JSON.parse(r.stdout);
      const ev = readEvents(new Uint8Array(readFileSync(file)), { file: name });
      expect(s.events).toBe(ev.t.length);
      expect(s.sensorSize).toEqual([...ev.sensorSize]);
      expect(s.format).toBe(ev.meta?.format);
      const on = ev.p.reduce((a, b) => a + b, 0);
      expect(s.polarity).toEqual([ev.t.length - on, on]);
      expect(s.tStart).toBe(Math.min(...ev.t));
      expect(s.durationUs).toBe(Math.max(...ev.t) - Math.min(...ev.t));
      expect(s.rate).toBeCloseTo((ev.t.length / s.durationUs) * 1e6, 6);
    }
    const text = runCli(['events', 'inspect', join(fixtures, 'nmnist_cut.bin')]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/nmnist, sensor 34 x 34, 2 polarities/);
    expect(text.stdout).toMatch(/events +\d/);
    expect(text.stdout).toMatch(/rate +[\d,]+ events\/s/);
    expect(text.stdout).toMatch(/\(ON \d+\.\d%\)/);
  });

  it('--plot writes the frame strip and the rate curve (svg and png)', () => {
    const cwd = tempDir();
    const r = runCli(['events', 'inspect', join(fixtures, 'dvs128.aedat'), '--plot', 'ev.svg', '--frames', '5'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const svg = readFileSync(join(cwd, 'ev.svg'), 'utf8');
    expect(svg.match(/<g class="image"/g)).toHaveLength(5);
    expect(svg).toMatch(/class="series"[^>]*data-label="events\/s"/);
    const p = runCli(['events', 'inspect', join(fixtures, 'nmnist_cut.bin'), '--plot', 'ev.png'], { cwd });
    expect(p.code, p.stderr).toBe(0);
    expect([...readFileSync(join(cwd, 'ev.png')).subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47]);
  });

  it('refuses what it cannot do, in one line', () => {
    expectOneLineError(runCli(['events']), 2, /expected a sub-command, inspect or emulate, found none/);
    expectOneLineError(runCli(['events', 'inspect']), 2, /expected one event file, found none/);
    expectOneLineError(runCli(['events', 'inspect', 'a.bin', '--out', 'x']), 2, /--out: applies to `spikeflow events emulate` only/);
    expectOneLineError(runCli(['events', 'inspect', join(fixtures, 'dvs128.aedat'), '--frames', '4']), 2, /--frames: .*give --plot/);
    expectOneLineError(runCli(['events', 'inspect', join(fixtures, 'dvs128.aedat'), '--plot', 'x.jpg']), 2, /--plot: .*\.png or \.svg/);
    expectOneLineError(runCli(['events', 'inspect', join(fixtures, 'nmnist_cut.bin'), '--format', 'aedat4']), 1, /nmnist_cut\.bin/);
    expectOneLineError(runCli(['events', 'emulate', '--plot', 'x.svg']), 2, /--plot: applies to `spikeflow events inspect` only/);
    expectOneLineError(runCli(['events', 'emulate']), 2, /--out is required/);
  });
});

describe('spikeflow events emulate', () => {
  it('writes an N-MNIST-like dataset in the nmnist-small layout that train --dataset nmnist reads', () => {
    const cwd = tempDir();
    const r = runCli(['events', 'emulate', '--out', 'emu', '--train-limit', '30', '--test-limit', '10', '--seed', '3', '--json'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ train: 30, test: 10, seed: 3 });
    const dir = join(cwd, 'emu');
    const names = readdirSync(dir);
    expect(names.filter((n) => n.endsWith('.bs2'))).toHaveLength(40);
    expect(names).not.toContain(expect.stringMatching(/partial/));
    expect(readdirSync(cwd)).toEqual(['emu']);
    const train = readFileSync(join(dir, 'train1K.txt'), 'utf8').trim().split('\n');
    expect(train[0]).toBe('#sample\t#class');
    expect(train[1]).toMatch(/^1\t\d$/);
    expect(train).toHaveLength(31);
    const test = readFileSync(join(dir, 'test100.txt'), 'utf8').trim().split('\n');
    expect(test[1]).toMatch(/^60001\t\d$/);
    let total = 0;
    for (const n of names.filter((x) => x.endsWith('.bs2'))) {
      const ev = readNmnist(new Uint8Array(readFileSync(join(dir, n))));
      expect(ev.sensorSize).toEqual([34, 34, 2]);
      expect(ev.t[ev.t.length - 1]).toBeLessThanOrEqual(300_000);
      total += ev.t.length;
    }
    expect(total).toBe(s.events);
    // the same seed gives the same files
    const again = runCli(['events', 'emulate', '--out', 'emu2', '--train-limit', '30', '--test-limit', '10', '--seed', '3'], { cwd });
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(join(cwd, 'emu2', '7.bs2'))).toEqual(readFileSync(join(dir, '7.bs2')));
    const t = runCli(
      [
        'train',
        '--dataset',
        'nmnist',
        '--data-dir',
        'emu',
        '--model',
        'fc',
        '--hidden',
        '16',
        '--steps',
        '4',
        '--epochs',
        '1',
        '--batch',
        '10',
        '--threads',
        '1',
        '--json',
      ],
      { cwd },
    );
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/using nmnist \(nmnist-small layout\)/);
    expect(JSON.parse(t.stdout)).toMatchObject({ encoding: 'frames', model: '2312-16-10 SNN' });
  }, 60_000);

  it('never writes into a folder that holds something', () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'full'));
    writeFileSync(join(cwd, 'full', 'keep.txt'), 'x');
    expectOneLineError(
      runCli(['events', 'emulate', '--out', 'full', '--train-limit', '2', '--test-limit', '1'], { cwd }),
      2,
      /--out full: the folder exists and holds 1 entries/,
    );
    expect(readdirSync(join(cwd, 'full'))).toEqual(['keep.txt']);
    mkdirSync(join(cwd, 'empty'));
    const r = runCli(['events', 'emulate', '--out', 'empty', '--train-limit', '2', '--test-limit', '1'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(cwd, 'empty', '60001.bs2'))).toBe(true);
    expect(r.stdout).toMatch(/wrote empty: 2 train \+ 1 test emulated N-MNIST samples/);
  }, 30_000);
});
