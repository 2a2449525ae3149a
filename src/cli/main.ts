#!/usr/bin/env node
import { SpikeflowError, UsageError } from '../core/errors.js';
import { parseArgs, formatHelp, type FlagSpec } from './args.js';
import { runTrain, trainFlags, type TrainOptions } from './train.js';
import { runEval, evalFlags } from './eval.js';
import { runCompare, compareFlags } from './compare.js';
import { runSimulate, simulateFlags } from './simulate.js';
import { runStdpMnist, stdpMnistFlags } from './stdp-mnist.js';
import { enableRelaxedSimd } from '../kernels/relaxed-node.js';

// The `spikeflow` command: one sub-command per file, over the public API; strings become values here.
const commands: Record<string, { about: string; flags: FlagSpec; run: (o: any, positionals: string[]) => Promise<unknown>; positionals?: boolean }> = {
  train: { about: 'train a spiking classifier with BPTT: fully connected or convolutional (--model csnn) on MNIST or Fashion-MNIST, or population-coded Iris with cross-validation', flags: trainFlags, run: (o) => runTrain(o as TrainOptions) },
  eval: { about: 'reload a checkpoint written by `spikeflow train` and measure test accuracy', flags: evalFlags, run: runEval },
  compare: { about: 'train an SNN and a same-topology ANN; compare accuracy, speed, sparsity and estimated energy', flags: compareFlags, run: runCompare },
  simulate: { about: 'simulate a single neuron: `simulate lif --current 1.8 --tau 20 --refractory 4` (spikes, rate, f-I curve with --sweep), or a network: `simulate cuba|coba --duration 1s --seed 1` (Brian2\'s Vogels & Abbott benchmarks)', flags: simulateFlags, run: runSimulate, positionals: true },
  'stdp-mnist': { about: 'unsupervised STDP learning of MNIST digits in the style of Diehl & Cook (2015): train, assign labels, test, save weights', flags: stdpMnistFlags, run: runStdpMnist },
};

function usage(): string {
  return [
    'usage: spikeflow <command> [flags]',
    '',
    'commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(9)} ${c.about}`),
    '',
    'spikeflow <command> --help lists the flags of a command.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  if (!cmd) throw new UsageError(`unknown command "${name}" (commands: ${Object.keys(commands).join(', ')})`);
  const parsed = parseArgs(rest, cmd.flags);
  if (parsed.help) {
    process.stdout.write(formatHelp(`spikeflow ${name}`, cmd.about, cmd.flags) + '\n');
    return 0;
  }
  if (parsed.positionals.length && !cmd.positionals) throw new UsageError(`spikeflow ${name}: unexpected argument "${parsed.positionals[0]}"`);
  await cmd.run(parsed.values, parsed.positionals);
  return 0;
}

// the fused multiply-add kernels where this Node has them behind a flag (before any kernel is compiled)
enableRelaxedSimd();
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof SpikeflowError) {
      process.stderr.write(`spikeflow: ${err.message}\n`);
      process.exit(err instanceof UsageError ? 2 : 1);
    }
    // Not a user error: a bug. Say so briefly; the stack only on request.
    const e = err as Error;
    process.stderr.write(`spikeflow: internal error: ${e?.message ?? String(err)}${process.env.SPIKEFLOW_DEBUG ? `\n${e?.stack}` : ' (set SPIKEFLOW_DEBUG=1 for details)'}\n`);
    process.exit(70);
  },
);
