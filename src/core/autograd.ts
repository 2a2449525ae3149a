import type { Tensor } from './tensor.js';
import { ShapeError } from './errors.js';

/**
 * Reverse-mode differentiation over the graph of coarse ops. Each op records its parents and a
 * backward closure next to its forward (see src/ops/index.ts, src/neurons/leaky.ts); this walks the
 * graph once in reverse topological order.
 */
export function backward(root: Tensor, seed?: Float32Array): void {
  if (!root.requiresGrad) throw new ShapeError('backward(): the tensor does not depend on anything that requires a gradient');
  if (!seed && root.size !== 1) {
    throw new ShapeError(`backward() without a seed needs a scalar, found shape [${root.shape.join(', ')}]`);
  }
  const order = topoOrder(root);
  const g = root.ensureGrad();
  if (seed) {
    if (seed.length !== g.length) throw new ShapeError(`backward seed has ${seed.length} elements, expected ${g.length}`);
    for (let i = 0; i < g.length; i++) g[i] += seed[i];
  } else g[0] += 1;
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i];
    if (t.backwardFn && t.grad) t.backwardFn();
  }
}

/** Tensors reachable from root that require grad, parents before children. Iterative (deep graphs). */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: Array<[Tensor, number]> = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    if (i < t.parents.length) {
      top[1]++;
      const p = t.parents[i];
      if (p.requiresGrad && !seen.has(p)) {
        seen.add(p);
        stack.push([p, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}
