/**
 * grads[0][i] = sum_r weights[r] * grads[r][i] for i in [from, to): combines the per-thread gradients
 * of one parameter into the first buffer (each thread reduces its own slice).
 */
export function reduceRange(grads: Float32Array[], weights: number[], from: number, to: number): void {
  const g0 = grads[0];
  const w0 = weights[0] ?? 1;
  for (let i = from; i < to; i++) g0[i] *= w0;
  for (let r = 1; r < grads.length; r++) {
    const gr = grads[r];
    const wr = weights[r] ?? 0;
    if (wr === 0) continue;
    for (let i = from; i < to; i++) g0[i] += wr * gr[i];
  }
}
