import type { FlagSpec } from './args.js';
import type { CommandContext } from './common.js';
import { runTrain, trainFlags, type TrainOptions } from './train.js';
import { runEval, evalFlags } from './eval.js';
import { runCompare, compareFlags, type CompareOptions } from './compare.js';
import { runSimulate, simulateFlags, type SimulateOptions } from './simulate.js';
import { runNir, nirFlags, type NirOptions } from './nir.js';
import { runEvents, eventsFlags, type EventsOptions } from './events.js';
import { runStdpMnist, stdpMnistFlags, type StdpMnistOptions } from './stdp-mnist.js';
import { runConvert, convertFlags, type ConvertCliOptions } from './convert.js';
import { runPlot, plotFlags, type PlotOptions } from './plot.js';
import { runProfile, profileFlags, type ProfileCliOptions } from './profile.js';
import { runInfo, infoFlags, type InfoOptions } from './info.js';

export interface Command {
  about: string;
  flags: FlagSpec;
  /** Takes positional arguments (otherwise one is a usage error). */
  positionals?: boolean;
  /** The values are those of `flags`, checked by the parser. */
  // biome-ignore lint/suspicious/noExplicitAny: each command's run takes its own parsed-flags type; this table holds them all
  run: (values: any, ctx: CommandContext) => Promise<unknown>;
}

/**
 * The `spikeflow` sub-commands, one file each, over the public API. The flag tables here are the
 * parser's, --help's and the README's flag reference's (scripts/readme-flags.mjs).
 */
// A table: one entry per command, alike in shape on purpose (main.ts dispatches, help.ts and flag-docs.ts document).
export const commands: Record<string, Command> = {
  train: {
    about:
      'train a spiking classifier with BPTT: fully connected or convolutional (--model csnn) on MNIST, Fashion-MNIST, N-MNIST or SHD (event data as frames), or population-coded Iris with cross-validation; or a ReLU ANN for `spikeflow convert` (--model ann-fc, ann-cnn)',
    flags: trainFlags,
    run: (o, ctx) => runTrain(o as TrainOptions, ctx),
  },
  eval: {
    about: 'measure the test accuracy of a checkpoint written by `spikeflow train`, or of a NIR graph (--nir)',
    flags: evalFlags,
    run: runEval,
  },
  compare: {
    about: 'train an SNN and a same-topology ANN; compare accuracy, speed, sparsity and estimated energy',
    flags: compareFlags,
    run: (o, ctx) => runCompare(o as CompareOptions, ctx),
  },
  simulate: {
    about:
      "simulate a single neuron: `simulate lif --current 1.8 --tau 20 --refractory 4` (spikes, rate, f-I curve with --sweep), or a network: `simulate cuba|coba --duration 1s --seed 1` (Brian2's Vogels & Abbott benchmarks)",
    flags: simulateFlags,
    run: (o, ctx) => runSimulate(o as SimulateOptions, ctx),
    positionals: true,
  },
  'stdp-mnist': {
    about: 'unsupervised STDP learning of MNIST digits in the style of Diehl & Cook (2015): train, assign labels, test, save weights',
    flags: stdpMnistFlags,
    run: (o, ctx) => runStdpMnist(o as StdpMnistOptions, ctx),
  },
  plot: {
    about: "`plot surrogates`: every surrogate gradient (snnTorch's forms and the tutorials') with its formula on one figure",
    flags: plotFlags,
    run: (o, ctx) => runPlot(o as PlotOptions, ctx),
    positionals: true,
  },
  convert: {
    about:
      'convert a trained ANN (ReLU, AvgPool, BatchNorm) into an integrate-and-fire SNN by data-based normalisation; accuracy vs time steps (--train-ann trains the ANN first)',
    flags: convertFlags,
    run: (o, ctx) => runConvert(o as ConvertCliOptions, ctx),
  },
  profile: {
    about:
      'energy profile of a checkpoint on test data: per layer neurons, spike rate, synaptic operations, memory accesses and 45 nm energy against the same-topology ANN, break-even spike rates',
    flags: profileFlags,
    run: (o, ctx) => runProfile(o as ProfileCliOptions, ctx),
  },
  nir: {
    about:
      'NIR files (Neuromorphic Intermediate Representation): `nir inspect model.nir` (nodes, shapes, parameters, edges; --plot graph.svg), `nir export --checkpoint runs/mnist-fc --out model.nir`',
    flags: nirFlags,
    run: (o, ctx) => runNir(o as NirOptions, ctx),
    positionals: true,
  },
  events: {
    about:
      'event data (DVS cameras, spiking audio): `events inspect recording.aedat4` (format, counts, duration, rate, sensor, polarity balance; --plot frames.png), `events emulate --dataset mnist --out DIR` (an N-MNIST-like dataset from the MNIST digits through the DVS emulator)',
    flags: eventsFlags,
    run: (o, ctx) => runEvents(o as EventsOptions, ctx),
    positionals: true,
  },
  info: {
    about:
      'this machine as spikeflow sees it: the kernel tier (wasm-simd, wasm-relaxed-simd, +blas), threads, SIMD features, the native BLAS found (library, vendor, threads) or why none, Node, cores (--json)',
    flags: infoFlags,
    run: (o, ctx) => runInfo(o as InfoOptions, ctx),
  },
};
