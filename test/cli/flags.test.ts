import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expectOneLineError, runCli } from './run-cli.js';

// A flag that would do nothing in a run is refused (only when the user gave it), not ignored.
describe('flags that do nothing are refused', () => {
  it('train: model-, dataset- and data-source-specific flags', () => {
    expectOneLineError(
      runCli(['train', '--dropout', '0.5']),
      2,
      /^spikeflow: --dropout: applies to --model csnn only \(this run: --model fc\)$/,
    );
    expectOneLineError(runCli(['train', '--channels', '4,8']), 2, /--channels: applies to --model csnn only/);
    expectOneLineError(runCli(['train', '--model', 'csnn', '--hidden', '100']), 2, /--hidden: applies to --model fc only/);
    expectOneLineError(runCli(['train', '--folds', '3']), 2, /--folds: applies to --dataset iris only \(this run: mnist\)/);
    expectOneLineError(
      runCli(['train', '--dataset', 'fashion-mnist', '--pop-neurons', '4']),
      2,
      /--pop-neurons: applies to --dataset iris only \(this run: fashion-mnist\)/,
    );
    for (const f of [['--threads', '2'], ['--train-limit', '10'], ['--test-limit', '10'], ['--offline']]) {
      expectOneLineError(runCli(['train', '--dataset', 'iris', ...f]), 2, new RegExp(`${f[0]}: does not apply to --dataset iris`));
    }
    expectOneLineError(runCli(['train', '--dataset', 'iris', '--dropout', '0.1']), 2, /--dropout: applies to --model csnn only/);
    expectOneLineError(runCli(['train', '--data-dir', '/nonexistent', '--offline']), 2, /--offline: does nothing with --data-dir/);
  });

  it('simulate: lif-only flags with cuba/coba, network flags with lif, sweep flags without --sweep', () => {
    for (const f of [['--steps', '10'], ['--current', '2'], ['--tau', '10'], ['--dt', '0.5'], ['--sweep'], ['--method', 'exact']]) {
      expectOneLineError(runCli(['simulate', 'cuba', ...f]), 2, new RegExp(`^spikeflow: ${f[0]}: applies to simulate lif only`));
    }
    expectOneLineError(runCli(['simulate', 'coba', '--v-reset', '0']), 2, /--v-reset: applies to simulate lif only/);
    expectOneLineError(runCli(['simulate', 'lif', '--duration', '1s']), 2, /--duration: applies to simulate cuba\|coba only/);
    expectOneLineError(runCli(['simulate', 'lif', '--seed', '3']), 2, /--seed: applies to simulate cuba\|coba only/);
    expectOneLineError(runCli(['simulate', 'lif', '--sweep-to', '3']), 2, /--sweep-to: applies with --sweep only/);
    expectOneLineError(runCli(['simulate', 'lif', '--sweep', '--current', '2']), 2, /--current: does nothing with --sweep/);
  });

  it('simulate lif: values that make the neuron meaningless are usage errors, not rows of inf', () => {
    expectOneLineError(runCli(['simulate', 'lif', '--resistance', '0']), 2, /^spikeflow: --resistance: expected a number > 0, found 0/);
    expectOneLineError(runCli(['simulate', 'lif', '--resistance', '-1', '--sweep']), 2, /--resistance: expected a number > 0, found -1/);
    expectOneLineError(runCli(['simulate', 'lif', '--threshold', '0']), 2, /--threshold \(0\) must be above --v-reset \(0\)/);
    expectOneLineError(
      runCli(['simulate', 'lif', '--sweep', '--sweep-from', '2', '--sweep-to', '1']),
      2,
      /--sweep-to \(1\) must be above --sweep-from \(2\)/,
    );
    expectOneLineError(
      runCli(['simulate', 'lif', '--sweep', '--sweep-from', '9']),
      2,
      /--sweep-from \(9\) must be below the last current of the sweep \(4: 4x the rheobase\); give --sweep-to/,
    );
  });

  it('compare has its own flags: no iris, no csnn, no cross-validation', () => {
    const help = runCli(['compare', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--dataset <mnist\|fashion-mnist>\s/);
    for (const gone of ['iris', '--folds', '--pop-neurons', '--model', '--channels', '--dropout', '--overwrite'])
      expect(help.stdout).not.toContain(gone);
    for (const kept of ['--tbptt', '--surrogate', '--learn-beta', '--l1-rate', '--latency-samples']) expect(help.stdout).toContain(kept);
    expectOneLineError(runCli(['compare', '--dataset', 'iris']), 2, /--dataset: expected one of mnist, fashion-mnist, found "iris"/);
    expectOneLineError(runCli(['compare', '--folds', '3']), 2, /unknown flag --folds/);
  });

  it('--version prints the package version; help <command> is <command> --help', () => {
    const version = JSON.parse(readFileSync(resolve(__dirname, '..', '..', 'package.json'), 'utf8')).version;
    for (const v of ['--version', '-V', 'version']) {
      const r = runCli([v]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
    for (const cmd of ['train', 'eval', 'compare', 'simulate', 'stdp-mnist']) {
      const a = runCli(['help', cmd]);
      expect(a.code, a.stderr).toBe(0);
      expect(a.stdout).toBe(runCli([cmd, '--help']).stdout);
    }
    expectOneLineError(runCli(['help', 'fly']), 2, /unknown command "fly"/);
    expect(runCli(['help']).stdout).toMatch(/spikeflow help <command>/);
  });
});
