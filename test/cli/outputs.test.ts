import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectOneLineError, runCli, tempDir } from './run-cli.js';

// Output paths are checked before any work: a bad one is one line naming it, in about a second.
describe('output paths are checked before the work starts', () => {
  const root = tempDir();
  const file = join(root, 'a-file');
  writeFileSync(file, 'not a folder');

  it('train, compare and stdp-mnist refuse an --out under a file before loading data or training', () => {
    for (const cmd of [['train'], ['train', '--dataset', 'iris'], ['compare'], ['stdp-mnist']]) {
      const t0 = Date.now();
      const r = runCli([...cmd, '--out', join(file, 'run')]);
      expectOneLineError(
        r,
        2,
        /^spikeflow: --out .*a-file\/run: cannot create the folder \(a part of the path is a file, not a folder, ENOTDIR\)$/,
      );
      expect(r.stderr).not.toMatch(/^data:/m);
      expect(Date.now() - t0).toBeLessThan(15_000);
    }
    // the folder itself is a file
    expectOneLineError(
      runCli(['train', '--out', file]),
      2,
      /--out .*a-file: cannot create the folder \(a file of that name is in the way, EEXIST\)/,
    );
  });

  it('simulate --plot: a missing folder is created; a path under a file is one line naming it', () => {
    const plot = join(root, 'new', 'deeper', 'lif.svg');
    const ok = runCli(['simulate', 'lif', '--plot', plot]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(plot, 'utf8')).toMatch(/^<svg/);
    expectOneLineError(
      runCli(['simulate', 'lif', '--plot', join(file, 'x.svg')]),
      2,
      /--plot .*a-file\/x\.svg: cannot create its folder .*a-file \(a file of that name is in the way/,
    );
    expectOneLineError(
      runCli(['simulate', 'cuba', '--duration', '10ms', '--plot', join(file, 'x.png')]),
      2,
      /--plot .*a-file\/x\.png: cannot create its folder/,
    );
    mkdirSync(join(root, 'dir.svg'));
    expectOneLineError(runCli(['simulate', 'lif', '--plot', join(root, 'dir.svg')]), 2, /--plot .*dir\.svg: is a folder; give a file name/);
  });
});

const small = ['--train-limit', '256', '--test-limit', '64', '--steps', '4', '--batch', '64', '--threads', '1'];
const tiny = [...small, '--hidden', '16'];
const irisQuick = ['--dataset', 'iris', '--epochs', '2', '--folds', '2'];

describe('default checkpoint folders do not clobber each other', () => {
  it('train mnist, then iris, then eval with its default --checkpoint: both checkpoints survive', () => {
    const cwd = tempDir();
    const m = runCli(['train', ...tiny, '--json'], { cwd });
    expect(m.code, m.stderr).toBe(0);
    expect(JSON.parse(m.stdout).checkpoint).toBe('runs/mnist-fc');
    const mnistConfig = readFileSync(join(cwd, 'runs/mnist-fc/config.json'), 'utf8');
    const i = runCli(['train', ...irisQuick, '--json'], { cwd });
    expect(i.code, i.stderr).toBe(0);
    expect(JSON.parse(i.stdout).checkpoint).toBe('runs/iris');
    expect(JSON.parse(readFileSync(join(cwd, 'runs/iris/config.json'), 'utf8')).meta).toMatchObject({ dataset: 'iris', model: 'fc' });
    expect(readFileSync(join(cwd, 'runs/mnist-fc/config.json'), 'utf8')).toBe(mnistConfig);
    const e = runCli(['eval', '--test-limit', '64', '--json'], { cwd });
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout)).toMatchObject({ checkpoint: 'runs/mnist-fc', testAccuracy: JSON.parse(m.stdout).testAccuracy });
  });

  it('replacing a checkpoint of another kind, or a folder of other files, needs --overwrite; the same kind is replaced', () => {
    const cwd = tempDir();
    const out = join(cwd, 'ckpt');
    expect(runCli(['train', ...tiny, '--out', out], { cwd }).code).toBe(0);
    const before = readFileSync(join(out, 'config.json'), 'utf8');
    const listing = readdirSync(out).sort();
    expect(listing).toContain('training.svg');
    // iris into the MNIST checkpoint's folder: refused before training, nothing changed
    expectOneLineError(
      runCli(['train', ...irisQuick, '--out', out], { cwd }),
      2,
      /--out .*ckpt holds a mnist fc checkpoint; this run \(iris fc\) would replace it: give --overwrite to replace it, or another --out/,
    );
    expectOneLineError(
      runCli(['train', ...small, '--model', 'csnn', '--channels', '2,2', '--out', out], { cwd }),
      2,
      /--out .*ckpt holds a mnist fc checkpoint; this run \(mnist csnn\) would replace it/,
    );
    expect(readFileSync(join(out, 'config.json'), 'utf8')).toBe(before);
    expect(readdirSync(out).sort()).toEqual(listing);
    // the same kind: replaced without a flag
    const again = runCli(['train', ...tiny, '--seed', '1', '--out', out], { cwd });
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(join(out, 'config.json'), 'utf8')).not.toBe(before);
    // with --overwrite: the iris checkpoint replaces it, and MNIST's training curves go with it
    const i = runCli(['train', ...irisQuick, '--out', out, '--overwrite'], { cwd });
    expect(i.code, i.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).meta.dataset).toBe('iris');
    expect(existsSync(join(out, 'training.svg'))).toBe(false);
    // a folder holding something else
    const notes = join(cwd, 'notes');
    mkdirSync(notes);
    writeFileSync(join(notes, 'todo.txt'), 'x');
    expectOneLineError(
      runCli(['train', ...irisQuick, '--out', notes], { cwd }),
      2,
      /--out .*notes holds files that are not a spikeflow checkpoint \(todo\.txt\): give --overwrite/,
    );
    writeFileSync(join(notes, 'config.json'), '{"name": "something else"}');
    expectOneLineError(
      runCli(['train', ...irisQuick, '--out', notes], { cwd }),
      2,
      /holds a config\.json that is not a spikeflow checkpoint's/,
    );
    expect(readFileSync(join(notes, 'config.json'), 'utf8')).toBe('{"name": "something else"}');
  });
});
