import type { Rng } from '../core/rng.js';
import { ValueError } from '../core/errors.js';
import { surrogateFromName } from '../surrogate/index.js';
import type { Layer } from './layer.js';
import { Synaptic, Alpha } from './synaptic-layer.js';
import { RLeaky, RSynaptic } from './recurrent-layer.js';
import { Alif } from './alif-layer.js';

/**
 * Rebuilds a Synaptic, Alpha, RLeaky, RSynaptic or ALIF layer from its `config()` (sequentialFromConfig).
 * Learned values (decay logits, thresholds, recurrent weights) are placeholders here: the checkpoint's
 * weights overwrite them.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function spikingLayerFromConfig(kind: string, c: Record<string, any>, rng: Rng): Layer {
  const common = {
    size: c.size, threshold: c.threshold, learnThreshold: c.learnThreshold, reset: c.reset,
    surrogate: surrogateFromName(c.surrogate ?? { name: 'atan' }),
  };
  const decay = (v: unknown, learned: boolean) => (learned ? 0.5 : (v as number | number[]));
  switch (kind) {
    case 'synaptic':
      return new Synaptic({ ...common, alpha: decay(c.alpha, c.learnAlpha), beta: decay(c.beta, c.learnBeta), learnAlpha: c.learnAlpha, learnBeta: c.learnBeta });
    case 'alpha':
      return new Alpha({ ...common, alpha: c.alpha, beta: c.beta });
    case 'rleaky':
      return new RLeaky({ ...common, beta: decay(c.beta, c.learnBeta), learnBeta: c.learnBeta, learnRecurrent: c.learnRecurrent, bias: c.bias, rng });
    case 'rsynaptic':
      return new RSynaptic({
        ...common, alpha: decay(c.alpha, c.learnAlpha), beta: decay(c.beta, c.learnBeta), learnAlpha: c.learnAlpha, learnBeta: c.learnBeta,
        learnRecurrent: c.learnRecurrent, bias: c.bias, rng,
      });
    case 'alif':
      return new Alif({
        ...common, beta: decay(c.beta, c.learnBeta), learnBeta: c.learnBeta, rho: decay(c.rho, c.learnRho), learnRho: c.learnRho,
        betaA: c.betaA, learnBetaA: c.learnBetaA,
      });
    default:
      throw new ValueError(`unknown spiking layer kind ${JSON.stringify(kind)}`);
  }
}
