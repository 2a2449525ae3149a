import type { Tensor } from '../core/tensor.js';
import { ShapeError, checkInt } from '../core/errors.js';
import { argmaxRows, spikeCounts } from '../train/losses.js';

/**
 * Decoders: read a class (or a time) from output spikes [T, B, C].
 * - spike count: the neuron that fired most (predictByCount in train/losses, snnTorch accuracy_rate);
 * - first-spike time: the neuron that fired first (time-to-first-spike / latency codes);
 * - population vote: C outputs form `classes` contiguous groups, a class scores the spikes of its
 *   group (snnTorch's population_code in ce_rate_loss / accuracy_rate).
 */

function dims(name: string, spk: Tensor): [number, number, number] {
  if (spk.shape.length !== 3) throw new ShapeError(`${name}: expected spikes [T, B, C], found [${spk.shape.join(', ')}]`);
  return spk.shape as unknown as [number, number, number];
}

/** First step at which each output fired, [B, C]; T (one past the end) where it never fired. */
export function firstSpikeTimes(spk: Tensor): Float32Array {
  const [T, B, C] = dims('firstSpikeTimes', spk);
  const n = B * C;
  const first = new Float32Array(n).fill(T);
  for (let t = T - 1; t >= 0; t--) for (let i = 0; i < n; i++) if (spk.data[t * n + i]) first[i] = t;
  return first;
}

/** The output that fired first; ties go to the one with more spikes, then the lower index. */
export function predictByFirstSpike(spk: Tensor): Int32Array {
  const [, B, C] = dims('predictByFirstSpike', spk);
  const first = firstSpikeTimes(spk);
  const counts = spikeCounts(spk);
  const pred = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    let best = 0;
    for (let c = 1; c < C; c++) {
      const i = b * C + c;
      const j = b * C + best;
      if (first[i] < first[j] || (first[i] === first[j] && counts[i] > counts[j])) best = c;
    }
    pred[b] = best;
  }
  return pred;
}

/** Spike counts per class [B, classes], summing each class's contiguous group of C / classes outputs. */
export function populationCounts(spk: Tensor, classes: number): Float32Array {
  const [, B, C] = dims('populationCounts', spk);
  checkInt('classes', classes, 1);
  if (C % classes !== 0) throw new ShapeError(`population vote: ${C} outputs do not split into ${classes} equal groups`);
  const per = C / classes;
  const counts = spikeCounts(spk);
  const out = new Float32Array(B * classes);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) out[b * classes + Math.floor(c / per)] += counts[b * C + c];
  return out;
}

/** The class whose group of output neurons fired most (first on ties). */
export function predictByPopulation(spk: Tensor, classes: number): Int32Array {
  const votes = populationCounts(spk, classes);
  return argmaxRows(votes, votes.length / classes, classes);
}
