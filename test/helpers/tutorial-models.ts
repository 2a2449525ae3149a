import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { snnClassifier, csnnClassifier } from '../../src/nn/models.js';
import { fastSigmoid } from '../../src/surrogate/index.js';

/**
 * A batch of B MNIST-like images (784 values, about 70% exact zeros, seeded) with labels 0..9 in turn, and
 * a maker of tutorial 5's (fc: 784-1000-10) or tutorial 6's (csnn: 12C5-MP2-64C5-MP2-1024FC10) network,
 * each call the same initial weights: for tests that train two copies side by side.
 */
export function tutorialBatch(model: 'fc' | 'csnn', B: number, seed = 4) {
  const rng = new Rng(seed);
  const x = new Tensor(
    Float32Array.from({ length: B * 784 }, () => (rng.uniform() < 0.3 ? rng.uniform() : 0)),
    [B, 784],
  );
  const y = Int32Array.from({ length: B }, (_, i) => i % 10);
  const make = () =>
    model === 'fc'
      ? snnClassifier({ inputs: 784, hidden: [1000], outputs: 10, beta: 0.9 }, new Rng(1))
      : csnnClassifier(
          { input: [1, 28, 28], channels: [12, 64], outputs: 10, beta: 0.5, surrogate: fastSigmoid({ slope: 25 }) },
          new Rng(1),
        );
  return { x, y, make };
}
