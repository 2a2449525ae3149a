import type { Tensor } from '../core/tensor.js';
import { ShapeError, ValueError } from '../core/errors.js';
import type { ForwardResult } from '../nn/sequential.js';
import { ceCountLoss, ceMembraneLoss, ceRateLoss, crossEntropyOverTime, l1RateSparsity, mseCountLoss, predictByCount } from './losses.js';
import { addScalars } from '../ops/index.js';
import type { Targets } from './losses.js';
import { ceTemporalLoss, mseTemporalLoss, predictByFirstSpikeTime } from './temporal-losses.js';
import { checkRateTargetSpec, rateTargetPenalty, targetOf, type RateTargetSpec } from './rate-reg.js';

/** What a network's output means: how to score it (loss) and how to read a class from it. */
export interface Task {
  /** Serialisable description (worker threads rebuild the task from it). */
  readonly spec: TaskSpec;
  loss(result: ForwardResult, targets: Targets): Tensor;
  predict(result: ForwardResult): Int32Array;
}

export type SpikingLoss = 'membrane' | 'rate' | 'count' | 'mse-count' | 'mse-temporal' | 'ce-temporal';
export type TaskSpec = { kind: 'spiking'; loss: SpikingLoss; l1Rate?: number; rateTarget?: RateTargetSpec } | { kind: 'ann' };

export function taskFromSpec(s: TaskSpec): Task {
  return s.kind === 'ann' ? annTask() : spikingTask(s.loss, { l1Rate: s.l1Rate, rateTarget: s.rateTarget });
}

function lastRecord(r: ForwardResult): { spk: Tensor; mem: Tensor } {
  const rec = r.records[r.records.length - 1];
  if (!rec) throw new ShapeError('the network has no spiking layer, so it has no spikes to classify by');
  if (!rec.mem || !rec.spk) throw new ShapeError('the output layer did not keep its spikes and membrane trace');
  return { spk: rec.spk, mem: rec.mem };
}

/**
 * Spiking classifier: loss on the output layer ('membrane': cross-entropy of the membrane summed over
 * time, snnTorch tutorial 5; 'rate': ceRateLoss on the spikes; 'count': ceCountLoss, cross-entropy of the
 * spike counts; 'mse-count': mseCountLoss with 80% / 20% target rates; 'mse-temporal' / 'ce-temporal':
 * snnTorch's time-to-first-spike losses at their defaults, mse-temporal with the documented label targets); prediction by spike count, or by the first
 * spike for the temporal losses. `l1Rate`
 * (lambda) adds the L1 spike-rate regulariser on every hidden spiking layer: lambda times its spike
 * count per sample (l1RateSparsity with perSample), pushing the network towards sparse activity.
 * `rateTarget` adds a target-rate penalty per hidden spiking layer (rateTargetPenalty: a hinge above
 * its target, or a quadratic around it).
 */
export function spikingTask(loss: SpikingLoss = 'membrane', opts: { l1Rate?: number; rateTarget?: RateTargetSpec } = {}): Task {
  const l1 = opts.l1Rate ?? 0;
  const rt = opts.rateTarget ? checkRateTargetSpec(opts.rateTarget) : undefined;
  if (!Number.isFinite(l1) || l1 < 0) throw new ValueError(`l1Rate must be a non-negative number, found ${l1}`);
  const temporal = loss === 'mse-temporal' || loss === 'ce-temporal';
  const main = (r: ForwardResult, y: Targets): Tensor => {
    switch (loss) {
      case 'rate':
        return ceRateLoss(lastRecord(r).spk, y);
      case 'count':
        return ceCountLoss(lastRecord(r).spk, y);
      case 'mse-count':
        return mseCountLoss(lastRecord(r).spk, y, { correctRate: 0.8, incorrectRate: 0.2 });
      case 'membrane':
        return ceMembraneLoss(lastRecord(r).mem, y, 'sum');
      case 'mse-temporal':
        // the documented targets (the label at step 0, the others at the last step): snnTorch's own label
        // code puts every output at step 0 with these defaults, which cannot separate the classes
        return mseTemporalLoss(lastRecord(r).spk, y, { labelCode: 'one-hot' });
      case 'ce-temporal':
        return ceTemporalLoss(lastRecord(r).spk, y);
      default:
        throw new ValueError(
          `spikingTask: loss must be membrane, rate, count, mse-count, mse-temporal or ce-temporal, found ${JSON.stringify(loss)}`,
        );
    }
  };
  return {
    spec: { kind: 'spiking', loss, ...(l1 ? { l1Rate: l1 } : {}), ...(rt ? { rateTarget: rt } : {}) },
    loss: (r, y) => {
      const l = main(r, y);
      if (!l1 && !rt) return l;
      const hidden = r.records.slice(0, -1).filter((rec) => rec.spk !== null);
      const terms = l1 ? hidden.map((rec) => l1RateSparsity(rec.spk!, l1, true)) : [];
      if (rt) hidden.forEach((rec, i) => terms.push(rateTargetPenalty(rec.spk!, targetOf(rt, i, hidden.length), rt.weight, rt.penalty)));
      return addScalars(l, ...terms);
    },
    // the temporal losses train the first spike: read the class that fires first
    predict: (r) => (temporal ? predictByFirstSpikeTime(lastRecord(r).spk) : predictByCount(lastRecord(r).spk)),
  };
}

/** Conventional ANN classifier: cross-entropy on the logits [B, C], prediction by argmax. */
export function annTask(): Task {
  const asSeq = (r: ForwardResult) => {
    const x = r.out.x;
    // one step of a sequence ([1, B, C], e.g. after Dropout in training, which expands a constant input) is the same logits
    if (!r.out.constant && r.out.steps === 1 && x.shape.length === 3) return x;
    if (!r.out.constant || x.shape.length !== 2) throw new ShapeError(`ANN output must be [B, C], found [${x.shape.join(', ')}]`);
    return x.reshape([1, x.shape[0], x.shape[1]]);
  };
  return {
    spec: { kind: 'ann' },
    loss: (r, y) => crossEntropyOverTime(asSeq(r), y, 'sum'),
    predict: (r) => predictByCount(asSeq(r)),
  };
}
