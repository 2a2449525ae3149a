import { Rng } from '../core/rng.js';
import { checkInt, ValueError } from '../core/errors.js';
import { Linear } from './linear.js';
import { Leaky } from './leaky-layer.js';
import { ReLU } from './relu.js';
import { Sequential } from './sequential.js';
import type { Layer } from './layer.js';
import type { ResetMechanism } from '../neurons/leaky.js';
import { atan, fastSigmoid, sigmoid, type Surrogate } from '../surrogate/index.js';

export interface FcSpec {
  inputs: number;
  hidden: readonly number[];
  outputs: number;
}

export interface LeakySpec {
  beta: number;
  threshold?: number;
  reset?: ResetMechanism;
  learnBeta?: boolean;
  surrogate?: Surrogate;
}

function checkFc(s: FcSpec): void {
  checkInt('inputs', s.inputs, 1);
  checkInt('outputs', s.outputs, 1);
  s.hidden.forEach((h, i) => checkInt(`hidden[${i}]`, h, 1));
}

/** Fully connected SNN: [Linear -> Leaky] per layer (snnTorch tutorial 5 with hidden = [1000]). */
export function snnClassifier(s: FcSpec & LeakySpec, rng: Rng): Sequential {
  checkFc(s);
  const sizes = [s.inputs, ...s.hidden, s.outputs];
  const layers: Layer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Linear(sizes[i], sizes[i + 1], { rng }));
    layers.push(new Leaky({ size: sizes[i + 1], beta: s.beta, threshold: s.threshold, reset: s.reset, learnBeta: s.learnBeta, surrogate: s.surrogate }));
  }
  return new Sequential(layers);
}

/** The ANN of the same topology: [Linear -> ReLU] per hidden layer, then Linear to logits. */
export function annClassifier(s: FcSpec, rng: Rng): Sequential {
  checkFc(s);
  const sizes = [s.inputs, ...s.hidden, s.outputs];
  const layers: Layer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Linear(sizes[i], sizes[i + 1], { rng }));
    if (i + 2 < sizes.length) layers.push(new ReLU());
  }
  return new Sequential(layers);
}

/** Surrogate from its serialised form (checkpoints, CLI). */
export function surrogateFromConfig(c: { name: string; param?: number }): Surrogate {
  switch (c.name) {
    case 'atan': return atan({ alpha: c.param });
    case 'fastSigmoid': return fastSigmoid({ slope: c.param });
    case 'sigmoid': return sigmoid({ slope: c.param });
    default: throw new ValueError(`surrogate: expected atan, fastSigmoid or sigmoid, found ${JSON.stringify(c.name)}`);
  }
}

/** Rebuilds a Sequential from the layer configs written by `Layer.config()` (weights are loaded after). */
export function sequentialFromConfig(layers: ReadonlyArray<{ kind: string; config: Record<string, unknown> }>): Sequential {
  const rng = new Rng(0); // initial values are overwritten by the checkpoint's weights
  return new Sequential(
    layers.map((l, i) => {
      const c = l.config as Record<string, any>;
      switch (l.kind) {
        case 'linear': return new Linear(c.in, c.out, { rng, bias: c.bias });
        case 'relu': return new ReLU();
        case 'leaky':
          return new Leaky({
            size: c.size, beta: c.learnBeta ? 0.5 : c.beta, learnBeta: c.learnBeta,
            threshold: c.threshold, reset: c.reset, surrogate: surrogateFromConfig(c.surrogate),
          });
        default: throw new ValueError(`layer ${i}: unknown kind ${JSON.stringify(l.kind)}`);
      }
    }),
  );
}
