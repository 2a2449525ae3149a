// Accuracy of a converted SNN against the number of time steps, from one simulation of the longest
// horizon: an IF network's state at step T does not depend on later steps, so the prediction after T
// steps is read from the output's spike counts or membrane up to T.
import { ShapeError, ValueError, checkInt } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { Tensor } from '../core/tensor.js';
import type { Kernels } from '../kernels/types.js';
import type { Sequential, ForwardResult } from '../nn/sequential.js';
import { directEncode, rateEncode } from '../encode/index.js';
import { ceMembraneLoss, ceCountLoss } from '../train/losses.js';
import { annTask, type Task } from '../train/task.js';
import { evaluate, gatherBatch, type Dataset } from '../train/trainer.js';
import { linePlot } from '../viz/plots.js';
import type { Readout } from './convert.js';

export type InputCoding = 'direct' | 'rate';
export const DEFAULT_STEPS: readonly number[] = [8, 16, 32, 64, 128, 256];

/** Output spikes and membrane [T, B, C] of the network's last spiking layer. */
function output(r: ForwardResult): { spk: Tensor; mem: Tensor } {
  const rec = r.records[r.records.length - 1];
  if (!rec?.spk || !rec.mem)
    throw new ShapeError('converted network: the output layer kept no spikes and membrane (it must be its last spiking layer)');
  return { spk: rec.spk, mem: rec.mem };
}

/** The class of each sample after the first `t` steps: most output spikes (first on ties) or highest membrane at step t. */
export function predictAt(spk: Tensor, mem: Tensor, t: number, readout: Readout): Int32Array {
  const [T, B, C] = spk.shape;
  checkInt('predictAt steps', t, 1, T);
  const pred = new Int32Array(B);
  const score = new Float64Array(C);
  for (let b = 0; b < B; b++) {
    score.fill(0);
    if (readout === 'count') for (let s = 0; s < t; s++) for (let c = 0; c < C; c++) score[c] += spk.data[(s * B + b) * C + c];
    else for (let c = 0; c < C; c++) score[c] = mem.data[((t - 1) * B + b) * C + c];
    let best = 0;
    for (let c = 1; c < C; c++) if (score[c] > score[best]) best = c;
    pred[b] = best;
  }
  return pred;
}

/**
 * The task of a converted network: prediction by readout after all steps; loss for BPTT fine-tuning,
 * cross-entropy of the output membrane at every step, summed (membrane readout; snnTorch tutorial 5's loss),
 * or of the output spike counts (count readout).
 */
export function convertedTask(readout: Readout): Task {
  if (readout !== 'count' && readout !== 'membrane')
    throw new ValueError(`convertedTask readout: expected count or membrane, found ${JSON.stringify(readout)}`);
  return {
    spec: { kind: 'spiking', loss: readout === 'count' ? 'count' : 'membrane' },
    loss: (r, y) => (readout === 'count' ? ceCountLoss(output(r).spk, y) : ceMembraneLoss(output(r).mem, y, 'sum')),
    predict: (r) => {
      const { spk, mem } = output(r);
      return predictAt(spk, mem, spk.shape[0], readout);
    },
  };
}

/** Input sequence of a batch [B, F] in [0, 1]: the values as current at every step (direct) or as Bernoulli spike rates (rate). */
export function encodeInput(x: Tensor, steps: number, input: InputCoding, rng: Rng, kernels: Kernels) {
  if (input === 'direct') return directEncode(x, steps);
  if (input === 'rate') return rateEncode(x, steps, rng, 1, kernels);
  throw new ValueError(`input: expected direct or rate, found ${JSON.stringify(input)}`);
}

export interface StepsResult {
  input: InputCoding;
  readout: Readout;
  samples: number;
  /** The ANN's test accuracy (null when no ANN was given). */
  annAccuracy: number | null;
  points: Array<{ steps: number; accuracy: number }>;
  /** Mean spikes per neuron per step of each spiking layer over the longest run (the output accumulator of the membrane readout: 0). */
  spikeRates: number[];
  /** The horizon those rates are measured over. */
  ratesOverSteps: number;
}

/**
 * Accuracy of `snn` (made by convertToSnn) on `data` after each number of steps in `steps`, measured on
 * one simulation of the longest; with `ann`, the ANN's accuracy on the same samples.
 */
export async function accuracyVsSteps(
  snn: Sequential,
  data: Dataset,
  o: {
    steps?: readonly number[];
    input: InputCoding;
    readout: Readout;
    rng: Rng;
    kernels: Kernels;
    batchSize?: number;
    ann?: Sequential;
    /** Called after each batch with the samples done so far; awaited (a CLI lets a pending SIGINT/SIGTERM through there). */
    onBatch?: (done: number, total: number) => void | Promise<void>;
  },
): Promise<StepsResult> {
  const steps = [...(o.steps ?? DEFAULT_STEPS)].sort((a, b) => a - b);
  if (steps.length === 0) throw new ValueError('accuracyVsSteps steps: expected at least one number of steps');
  steps.forEach((t, i) => checkInt(`accuracyVsSteps steps[${i}]`, t, 1, 100000));
  const T = steps[steps.length - 1];
  const bs = o.batchSize ?? 100;
  const order = Uint32Array.from({ length: data.n }, (_, i) => i);
  const correct = new Array<number>(steps.length).fill(0);
  const spikes: number[] = [];
  const neuronSteps: number[] = [];
  for (let from = 0; from < data.n; from += bs) {
    const to = Math.min(data.n, from + bs);
    const { x, y } = gatherBatch(data, order, from, to);
    const r = snn.forward(encodeInput(x, T, o.input, o.rng, o.kernels), o.kernels, { inference: true });
    const { spk, mem } = output(r);
    steps.forEach((t, k) => {
      const pred = predictAt(spk, mem, t, o.readout);
      for (let b = 0; b < y.length; b++) if (pred[b] === y[b]) correct[k]++;
    });
    r.records.forEach((rec, l) => {
      spikes[l] = (spikes[l] ?? 0) + rec.spikes;
      neuronSteps[l] = (neuronSteps[l] ?? 0) + rec.neuronSteps;
    });
    await o.onBatch?.(to, data.n);
  }
  const annAccuracy = o.ann
    ? (await evaluate(data, { model: o.ann, task: annTask(), encoder: (x) => directEncode(x, 1), rng: o.rng, kernels: o.kernels })).accuracy
    : null;
  return {
    input: o.input,
    readout: o.readout,
    samples: data.n,
    annAccuracy,
    points: steps.map((t, k) => ({ steps: t, accuracy: correct[k] / data.n })),
    spikeRates: spikes.map((s, l) => s / neuronSteps[l]),
    ratesOverSteps: T,
  };
}

/** The accuracy-vs-steps curve as SVG (x: log2 of the steps), the ANN's accuracy as a dashed line. */
export function accuracyVsStepsSvg(r: StepsResult, title = 'Converted SNN: test accuracy vs time steps'): string {
  return linePlot({
    title,
    series: [
      {
        x: r.points.map((p) => Math.log2(p.steps)),
        y: r.points.map((p) => 100 * p.accuracy),
        label: `SNN (${r.input} input, ${r.readout} readout)`,
        markers: true,
      },
    ],
    hLines: r.annAccuracy === null ? [] : [{ y: 100 * r.annAccuracy, label: `ANN ${(100 * r.annAccuracy).toFixed(2)}%` }],
    xLabel: `log2(time steps): ${r.points.map((p) => p.steps).join(', ')}`,
    yLabel: 'test accuracy (%)',
  });
}
