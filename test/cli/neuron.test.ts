import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectOneLineError, runCli, tempDir } from './run-cli.js';

// train --neuron: the spiking layers of the fc model from the layer registry; the checkpoint goes to its
// own default folder, holds layers of that kind, and eval measures the same accuracy from it.
const small = ['--train-limit', '256', '--test-limit', '64', '--hidden', '16', '--steps', '4', '--batch', '64', '--threads', '1'];

describe('train --neuron', () => {
  for (const neuron of ['synaptic', 'resonate']) {
    it(`${neuron}: trains, checkpoints to runs/mnist-fc-${neuron}, and eval reproduces its accuracy`, () => {
      const cwd = tempDir();
      const t = runCli(['train', '--neuron', neuron, ...small, '--json'], { cwd });
      expect(t.code, t.stderr).toBe(0);
      const trained = JSON.parse(t.stdout);
      const dir = join(cwd, 'runs', `mnist-fc-${neuron}`);
      const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      expect(cfg.layers.map((l: { kind: string }) => l.kind)).toEqual(['linear', neuron, 'linear', neuron]);
      expect(cfg.meta.model).toBe(`fc-${neuron}`);
      const e = runCli(['eval', '--checkpoint', dir, '--test-limit', '64', '--json'], { cwd });
      expect(e.code, e.stderr).toBe(0);
      expect(JSON.parse(e.stdout).testAccuracy).toBe(trained.testAccuracy);
    });
  }

  it('refuses what the neuron kind cannot honour, and unknown kinds', () => {
    expectOneLineError(runCli(['train', '--neuron', 'alif', '--tbptt', '5', ...small]), 2, /--tbptt: applies to --neuron leaky only/);
    expectOneLineError(
      runCli(['train', '--neuron', 'resonate', '--learn-beta', ...small]),
      1,
      /neuron resonate: has no beta \(its parameters: decay, omega\)/,
    );
    expectOneLineError(
      runCli(['train', '--neuron', 'lif', ...small]),
      2,
      /--neuron: expected one of leaky, synaptic, .*resonate, found "lif"/,
    );
    expectOneLineError(runCli(['train', '--dataset', 'iris', '--neuron', 'synaptic']), 2, /--neuron: does not apply to --dataset iris/);
  });
});
