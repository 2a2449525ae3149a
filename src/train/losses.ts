import { Tensor } from '../core/tensor.js';
import { ShapeError, ValueError } from '../core/errors.js';
import { scale } from '../ops/index.js';
import { newF32 } from '../core/buffers.js';
import { availableKernels } from '../kernels/default.js';
import { referenceKernels } from '../kernels/reference.js';
import type { Kernels } from '../kernels/types.js';
import { checkClasses } from '../kernels/validate.js';

export type Targets = ArrayLike<number>;

function checkSeq(name: string, x: Tensor, targets: Targets): [number, number, number] {
  if (x.shape.length !== 3) throw new ShapeError(`${name}: expected [T, B, C] input, found [${x.shape.join(', ')}]`);
  const [T, B, C] = x.shape;
  if (targets.length !== B) throw new ShapeError(`${name}: ${targets.length} targets for a batch of ${B}`);
  checkClasses(name, targets, C);
  return [T, B, C];
}

/**
 * Softmax cross-entropy applied at every time step (mean over the batch), then summed or averaged
 * over time. reduction 'mean' is snnTorch's ce_rate_loss (on spikes); 'sum' on the membrane is the
 * loss of snnTorch tutorial 5 (sum over t of CrossEntropyLoss(mem[t], y)).
 */
export function crossEntropyOverTime(
  x: Tensor,
  targets: Targets,
  reduction: 'sum' | 'mean',
  /**
   * Where the softmax rows and their gradient run (every Kernels gives the same bits): by default the WASM
   * kernels where they can be had without waiting (not a browser's main thread before initKernels()), else
   * the TypeScript ones.
   */
  kernels: Kernels = availableKernels() ?? referenceKernels,
): Tensor {
  const [T, B, C] = checkSeq('crossEntropyOverTime', x, targets);
  const timeScale = reduction === 'mean' ? 1 / T : 1;
  const rows = T * B;
  const probs = newF32(rows * C, true);
  const stat = new Float64Array(2 * rows); // each row's max m and sum of exponentials z
  const xd = x.data instanceof Float32Array ? x.data : Float32Array.from(x.data);
  const ys = targets instanceof Int32Array ? targets : Int32Array.from(targets);
  kernels.softmaxRows(xd, probs, stat, rows, C);
  // -log softmax of each row's target, x_y - m - log z (a NaN anywhere in the row makes z, and so the loss, NaN)
  let loss = 0;
  for (let r = 0; r < rows; r++) loss -= xd[r * C + ys[r % B]] - stat[2 * r] - Math.log(stat[2 * r + 1]);
  const w = timeScale / B;
  const out: Tensor = new Tensor(Float32Array.of(loss * w), [], {
    parents: [x],
    backward: () => {
      kernels.softmaxRowsBackward(x.ensureGrad(), probs, ys, rows, B, C, out.grad![0] * w);
    },
  });
  return out;
}

/** snnTorch `ce_rate_loss`: cross-entropy of the spikes at every step, averaged over time. */
export function ceRateLoss(spk: Tensor, targets: Targets): Tensor {
  return crossEntropyOverTime(spk, targets, 'mean');
}

/**
 * snnTorch `functional.reg.l1_rate_sparsity(Lambda)`: lambda times the total spike count, a scalar
 * whose gradient is lambda for every spike entry (through the surrogate into the membrane). With
 * `perSample` the total is divided by the batch size (dim 1 of [T, B, N]), which composes with
 * batch-mean losses and with splitting a batch over threads.
 */
export function l1RateSparsity(spk: Tensor, lambda = 1e-5, perSample = false): Tensor {
  if (!Number.isFinite(lambda) || lambda < 0) throw new ValueError(`l1RateSparsity: lambda must be a non-negative number, found ${lambda}`);
  const w = perSample ? lambda / (spk.shape.length === 3 ? spk.shape[1] : 1) : lambda;
  let total = 0;
  for (let i = 0; i < spk.size; i++) total += spk.data[i];
  const out: Tensor = new Tensor(Float32Array.of(total * w), [], {
    parents: [spk],
    backward: () => {
      const g = out.grad![0] * w;
      const gx = spk.ensureGrad();
      for (let i = 0; i < gx.length; i++) gx[i] += g;
    },
  });
  return out;
}

/** Tutorial-5 loss: cross-entropy of the output membrane at every step, summed over time. */
export function ceMembraneLoss(mem: Tensor, targets: Targets, reduction: 'sum' | 'mean' = 'sum'): Tensor {
  return crossEntropyOverTime(mem, targets, reduction);
}

/** Sum over the time axis: [T, B, C] -> [B, C] (spike counts when x holds spikes). */
export function sumOverTime(x: Tensor): Tensor {
  if (x.shape.length !== 3) throw new ShapeError(`sumOverTime: expected [T, B, C], found [${x.shape.join(', ')}]`);
  const [T, B, C] = x.shape;
  const n = B * C;
  const y = new Float32Array(n);
  for (let t = 0; t < T; t++) for (let i = 0; i < n; i++) y[i] += x.data[t * n + i];
  const out: Tensor = new Tensor(y, [B, C], {
    parents: [x],
    backward: () => {
      const g = out.grad!;
      const gx = x.ensureGrad();
      for (let t = 0; t < T; t++) for (let i = 0; i < n; i++) gx[t * n + i] += g[i];
    },
  });
  return out;
}

/** Maximum over the time axis: [T, B, C] -> [B, C]; the gradient goes to the first step holding the maximum. */
export function maxOverTime(x: Tensor): Tensor {
  if (x.shape.length !== 3) throw new ShapeError(`maxOverTime: expected [T, B, C], found [${x.shape.join(', ')}]`);
  const [T, B, C] = x.shape;
  const n = B * C;
  const y = new Float32Array(n).fill(-Infinity);
  const at = new Int32Array(n);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < n; i++) {
      const v = x.data[t * n + i];
      if (v > y[i]) {
        y[i] = v;
        at[i] = t;
      }
    }
  }
  const out: Tensor = new Tensor(y, [B, C], {
    parents: [x],
    backward: () => {
      const g = out.grad!;
      const gx = x.ensureGrad();
      for (let i = 0; i < n; i++) gx[at[i] * n + i] += g[i];
    },
  });
  return out;
}

/** Softmax cross-entropy of [B, C] logits, mean over the batch (torch.nn.CrossEntropyLoss). */
export function crossEntropy(logits: Tensor, targets: Targets): Tensor {
  if (logits.shape.length !== 2) throw new ShapeError(`crossEntropy: expected [B, C] logits, found [${logits.shape.join(', ')}]`);
  return crossEntropyOverTime(logits.reshape([1, ...logits.shape]), targets, 'sum');
}

/** Mean squared error against a constant target of the same size (torch.nn.MSELoss, mean). */
export function mse(x: Tensor, target: Float32Array): Tensor {
  if (target.length !== x.size) throw new ShapeError(`mse: target has ${target.length} values, input has ${x.size}`);
  let s = 0;
  for (let i = 0; i < x.size; i++) s += (x.data[i] - target[i]) ** 2;
  const out: Tensor = new Tensor(Float32Array.of(s / x.size), [], {
    parents: [x],
    backward: () => {
      const g = (2 * out.grad![0]) / x.size;
      const gx = x.ensureGrad();
      for (let i = 0; i < x.size; i++) gx[i] += g * (x.data[i] - target[i]);
    },
  });
  return out;
}

/** One value for the target class and another for the rest: [B, C] (snnTorch spikegen.targets_convert). */
function targetMatrix(targets: Targets, C: number, on: number, off: number): Float32Array {
  const m = new Float32Array(targets.length * C).fill(off);
  for (let b = 0; b < targets.length; b++) m[b * C + targets[b]] = on;
  return m;
}

/** snnTorch `ce_count_loss`: cross-entropy of the spike counts (summed over time). */
export function ceCountLoss(spk: Tensor, targets: Targets): Tensor {
  checkSeq('ceCountLoss', spk, targets);
  return crossEntropy(sumOverTime(spk), targets);
}

/** snnTorch `ce_max_membrane_loss`: cross-entropy of each output's maximum membrane over time. */
export function ceMaxMembraneLoss(mem: Tensor, targets: Targets): Tensor {
  checkSeq('ceMaxMembraneLoss', mem, targets);
  return crossEntropy(maxOverTime(mem), targets);
}

/**
 * snnTorch `mse_count_loss(correct_rate, incorrect_rate)`: MSE between spike counts and the target
 * counts floor(T * rate) for the correct and the other classes, divided by T.
 */
export function mseCountLoss(spk: Tensor, targets: Targets, o: { correctRate?: number; incorrectRate?: number } = {}): Tensor {
  const [T, , C] = checkSeq('mseCountLoss', spk, targets);
  const on = Math.trunc(T * (o.correctRate ?? 1));
  const off = Math.trunc(T * (o.incorrectRate ?? 0));
  return scale(mse(sumOverTime(spk), targetMatrix(targets, C, on, off)), 1 / T);
}

/** snnTorch `mse_membrane_loss(on_target, off_target)`: MSE of the membrane against the target at every step, averaged over time. */
export function mseMembraneLoss(mem: Tensor, targets: Targets, o: { onTarget?: number; offTarget?: number } = {}): Tensor {
  const [T, B, C] = checkSeq('mseMembraneLoss', mem, targets);
  const one = targetMatrix(targets, C, o.onTarget ?? 1, o.offTarget ?? 0);
  const all = new Float32Array(T * B * C);
  for (let t = 0; t < T; t++) all.set(one, t * B * C);
  // (sum over t of the mean over (B, C)) / T = the mean over (T, B, C)
  return mse(mem, all);
}

/** Spike counts per sample and class: [B, C] from [T, B, C]. */
export function spikeCounts(spk: Tensor): Float32Array {
  const [T, B, C] = spk.shape;
  const counts = new Float32Array(B * C);
  for (let t = 0; t < T; t++) {
    const o = t * B * C;
    for (let i = 0; i < B * C; i++) counts[i] += spk.data[o + i];
  }
  return counts;
}

/** Index of the largest value of each row of scores [B, C] (first on ties). */
export function argmaxRows(scores: ArrayLike<number>, B: number, C: number): Int32Array {
  const pred = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (scores[b * C + c] > scores[b * C + best]) best = c;
    pred[b] = best;
  }
  return pred;
}

/** Predicted class per sample: the output neuron with the most spikes (first on ties). */
export function predictByCount(spk: Tensor): Int32Array {
  const [, B, C] = spk.shape;
  return argmaxRows(spikeCounts(spk), B, C);
}

/** snnTorch `accuracy_rate`: fraction of samples whose most-spiking output is the target. */
export function accuracyRate(spk: Tensor, targets: Targets): number {
  const [, B] = checkSeq('accuracyRate', spk, targets);
  const pred = predictByCount(spk);
  let ok = 0;
  for (let b = 0; b < B; b++) if (pred[b] === targets[b]) ok++;
  return ok / B;
}
