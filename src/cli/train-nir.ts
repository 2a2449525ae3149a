import { Rng } from '../core/rng.js';
import { SpikeflowError, UsageError, ValueError } from '../core/errors.js';
import { defaultKernels } from '../kernels/default.js';
import { writeNirFile } from '../nir/fs.js';
import { Adam } from '../train/optim.js';
import { spikingTask, type SpikingLoss } from '../train/task.js';
import { evaluate } from '../train/trainer.js';
import {
  encoderFor,
  fitWithProgress,
  refuseGiven,
  refuseOfflineWithDataDir,
  type CommandContext,
  loadRunData,
  runSummary,
} from './common.js';
import { loadNirClassifier } from './eval.js';
import { yieldToSignals } from './interrupt.js';
import { prepareOutputFile } from './outputs.js';
import { formatDuration } from './progress.js';
import { surrogateFromFlags, type TrainOptions } from './train.js';

/** The flags of `train` that build or store a Sequential model: an imported graph brings its own, and is saved with --out-nir. */
const MODEL_FLAGS = ['model', 'hidden', 'channels', 'dropout', 'neuron', 'beta', 'learn-beta', 'reset', 'tbptt'];

export type TrainNirOptions = TrainOptions & { 'init-nir': string; 'out-nir'?: string; dt: number };

/**
 * `spikeflow train --init-nir model.nir --out-nir tuned.nir`: fine-tunes an imported NIR graph with BPTT
 * (the graph's weights and neuron parameters through the trainer, as a checkpoint's layers) and writes
 * the graph back with the trained values. A NIR graph is no Sequential checkpoint: --out and the
 * flags that shape a model are refused.
 */
export async function runTrainNir(o: TrainNirOptions, ctx: CommandContext): Promise<Record<string, unknown>> {
  const given = ctx.given;
  if (o.dataset !== 'mnist' && o.dataset !== 'fashion-mnist')
    throw new UsageError(`--init-nir: fine-tunes on --dataset mnist or fashion-mnist (this run: ${o.dataset})`);
  refuseGiven(given, MODEL_FLAGS, 'does not apply to --init-nir (the imported graph is the model)');
  refuseGiven(given, ['frame-window', 'denoise', 'folds', 'pop-neurons'], `does not apply to --dataset ${o.dataset}`);
  refuseOfflineWithDataDir(given);
  refuseGiven(given, ['out', 'overwrite'], 'does not apply to --init-nir: a NIR graph is not a checkpoint; give --out-nir FILE');
  refuseGiven(given, ['threads'], '--init-nir trains on one thread (a NIR graph is not a checkpoint the worker threads can load)');
  if (o['out-nir'] === undefined)
    throw new UsageError(
      '--init-nir: give --out-nir FILE, the .nir file the fine-tuned graph is written to (a NIR graph is not a checkpoint)',
    );
  const outNir = o['out-nir'];
  if (!/\.nir$/i.test(outNir)) throw new UsageError(`--out-nir: expected a file name ending in .nir, found "${outNir}"`);
  await prepareOutputFile(outNir, 'out-nir');
  const epochs = o.epochs ?? 1;
  const batch = o.batch ?? 128;
  const lr = o.lr ?? 5e-4;
  const classifier = await loadNirClassifier(o['init-nir'], o.dataset, o.dt, surrogateFromFlags(o));
  const { train, test } = await loadRunData(o);
  const rng = new Rng(o.seed);
  const kernels = defaultKernels();
  const optimizer = new Adam(classifier.trainable(), { lr });
  const task = spikingTask(o.loss as SpikingLoss, { l1Rate: o['l1-rate'] });
  const encoder = encoderFor(o.encoding, o.steps);
  const fit = await fitWithProgress({
    label: 'nir',
    train,
    epochs,
    batch,
    lrSchedule: o['lr-schedule'],
    epochOptions: { model: classifier, task, optimizer, encoder, rng, kernels },
  });
  const ev = await evaluate(test, { model: classifier, task, encoder, rng, kernels, batchSize: 250 });
  const graph = classifier.model.toNir();
  graph.metadata = {
    ...graph.metadata,
    fine_tuned_by: 'spikeflow train --init-nir',
    fine_tuned_from: o['init-nir'],
    dataset: o.dataset,
    steps: o.steps,
    encoding: o.encoding,
    dt: o.dt,
    epochs,
    test_accuracy: ev.accuracy,
  };
  await yieldToSignals(); // a signal during the last synchronous batches stops the run before the write
  ctx.interrupts.note(`stopped while writing: ${outNir} holds the previous file or the new one, whole`);
  try {
    await writeNirFile(outNir, graph);
  } catch (e) {
    if (e instanceof SpikeflowError) throw e;
    throw new ValueError(`--out-nir ${outNir}: cannot write the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const last = fit.log[fit.log.length - 1];
  const layers = classifier.layerNames();
  const result = {
    initNir: o['init-nir'],
    outNir,
    dataset: o.dataset,
    encoding: o.encoding,
    steps: o.steps,
    dt: o.dt,
    epochs,
    batch,
    seed: o.seed,
    ...runSummary(fit, ev),
    layers,
    epochLog: fit.log,
  };
  if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    const lines = [
      `test accuracy   ${(100 * ev.accuracy).toFixed(2)}% (${test.n} samples)`,
      `training        ${Math.round(result.trainSamplesPerSec)} samples/s, ${formatDuration(fit.seconds)} total; loss ${last.loss.toFixed(3)} (last epoch's mean), ${fit.lastBatchLoss.toFixed(3)} (last batch)`,
      `inference       ${Math.round(ev.samplesPerSec)} samples/s`,
      `spike rate      ${ev.spikeRates.map((r, i) => `node ${layers[i]}: ${(100 * r).toFixed(2)}%`).join(', ')} (spikes per neuron per step)`,
      `nir             ${outNir} (fine-tuned from ${o['init-nir']})`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return result;
}
