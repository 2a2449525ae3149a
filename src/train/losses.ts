import { Tensor } from '../core/tensor.js';
import { ShapeError, ValueError } from '../core/errors.js';

export type Targets = ArrayLike<number>;

function checkSeq(name: string, x: Tensor, targets: Targets): [number, number, number] {
  if (x.shape.length !== 3) throw new ShapeError(`${name}: expected [T, B, C] input, found [${x.shape.join(', ')}]`);
  const [T, B, C] = x.shape;
  if (targets.length !== B) throw new ShapeError(`${name}: ${targets.length} targets for a batch of ${B}`);
  for (let b = 0; b < B; b++) {
    const y = targets[b];
    if (!Number.isInteger(y) || y < 0 || y >= C) throw new ValueError(`${name}: target[${b}] = ${y} is not a class in [0, ${C})`);
  }
  return [T, B, C];
}

/**
 * Softmax cross-entropy applied at every time step (mean over the batch), then summed or averaged
 * over time. reduction 'mean' is snnTorch's ce_rate_loss (on spikes); 'sum' on the membrane is the
 * loss of snnTorch tutorial 5 (sum over t of CrossEntropyLoss(mem[t], y)).
 */
export function crossEntropyOverTime(x: Tensor, targets: Targets, reduction: 'sum' | 'mean'): Tensor {
  const [T, B, C] = checkSeq('crossEntropyOverTime', x, targets);
  const timeScale = reduction === 'mean' ? 1 / T : 1;
  const probs = new Float32Array(x.size);
  let loss = 0;
  for (let r = 0; r < T * B; r++) {
    const o = r * C;
    let mx = -Infinity;
    for (let c = 0; c < C; c++) mx = Math.max(mx, x.data[o + c]);
    let z = 0;
    for (let c = 0; c < C; c++) z += Math.exp(x.data[o + c] - mx);
    const y = targets[r % B];
    loss -= x.data[o + y] - mx - Math.log(z);
    for (let c = 0; c < C; c++) probs[o + c] = Math.exp(x.data[o + c] - mx) / z;
  }
  const w = timeScale / B;
  const out: Tensor = new Tensor(Float32Array.of(loss * w), [], {
    parents: [x],
    backward: () => {
      const g = out.grad![0] * w;
      const gx = x.ensureGrad();
      for (let r = 0; r < T * B; r++) {
        const o = r * C;
        const y = targets[r % B];
        for (let c = 0; c < C; c++) gx[o + c] += g * (probs[o + c] - (c === y ? 1 : 0));
      }
    },
  });
  return out;
}

/** snnTorch `ce_rate_loss`: cross-entropy of the spikes at every step, averaged over time. */
export function ceRateLoss(spk: Tensor, targets: Targets): Tensor {
  return crossEntropyOverTime(spk, targets, 'mean');
}

/** Tutorial-5 loss: cross-entropy of the output membrane at every step, summed over time. */
export function ceMembraneLoss(mem: Tensor, targets: Targets, reduction: 'sum' | 'mean' = 'sum'): Tensor {
  return crossEntropyOverTime(mem, targets, reduction);
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

/** Predicted class per sample: the output neuron with the most spikes (first on ties). */
export function predictByCount(spk: Tensor): Int32Array {
  const [, B, C] = spk.shape;
  const counts = spikeCounts(spk);
  const pred = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (counts[b * C + c] > counts[b * C + best]) best = c;
    pred[b] = best;
  }
  return pred;
}

/** snnTorch `accuracy_rate`: fraction of samples whose most-spiking output is the target. */
export function accuracyRate(spk: Tensor, targets: Targets): number {
  const [, B] = checkSeq('accuracyRate', spk, targets);
  const pred = predictByCount(spk);
  let ok = 0;
  for (let b = 0; b < B; b++) if (pred[b] === targets[b]) ok++;
  return ok / B;
}
