import { Tensor } from '../core/tensor.js';
import { Rng } from '../core/rng.js';
import { checkRange, checkInt } from '../core/errors.js';
import type { ForwardContext, Layer, NamedParameter, Seq } from './layer.js';
import { passThrough, type LayerKind } from './layer-kind.js';

/**
 * Inverted dropout (torch.nn.Dropout): while training, each element is zeroed with probability p and
 * the rest are scaled by 1/(1-p); identity in inference. Over a time-major sequence every step gets its
 * own mask, as when snnTorch calls nn.Dropout inside the time loop. A constant (direct-encoded) input
 * is expanded to all steps first so that the steps are not tied to one mask. Masks come from the
 * layer's own Rng, seeded by `seed`.
 */
export class Dropout implements Layer {
  readonly kind = 'dropout';
  private readonly rng: Rng;
  constructor(
    readonly p: number,
    readonly seed = 0,
  ) {
    checkRange('Dropout p', p, 0, 1 - 1e-9);
    checkInt('Dropout seed', seed, 0);
    this.rng = new Rng(seed);
  }

  forward(input: Seq, ctx: ForwardContext): Seq {
    if (ctx.inference || this.p === 0) return input;
    const T = input.steps;
    const src = input.x;
    const rows = input.constant ? T : 1;
    const n = src.size;
    const y = new Float32Array(n * rows);
    const keep = new Uint8Array(n * rows);
    const scale = 1 / (1 - this.p);
    for (let r = 0, j = 0; r < rows; r++) {
      for (let i = 0; i < n; i++, j++) {
        if (this.rng.uniform() >= this.p) {
          keep[j] = 1;
          y[j] = src.data[i] * scale;
        }
      }
    }
    const shape = input.constant ? [T, ...src.shape] : src.shape;
    const out: Tensor = new Tensor(y, shape, {
      parents: [src],
      backward: () => {
        const g = out.grad!;
        const gx = src.ensureGrad();
        for (let j = 0; j < g.length; j++) if (keep[j]) gx[j % n] += g[j] * scale;
      },
    });
    return { x: out, steps: T, constant: false, image: input.image };
  }

  parameters(): NamedParameter[] {
    return [];
  }

  config(): Record<string, unknown> {
    return { p: this.p, seed: this.seed };
  }
}

/** Registry entry: p in [0, 1), seed; it gives what it takes. */
export const dropoutKind: LayerKind = {
  kind: 'dropout',
  fromConfig: (c) => new Dropout(c.p, c.seed),
  contract: (f, input) => {
    f.num('p', 0, 1 - 1e-9);
    f.int('seed', 0, 2 ** 32 - 1, 0);
    return passThrough(input);
  },
};
