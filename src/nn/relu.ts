import { relu } from '../ops/index.js';
import type { Layer, NamedParameter, Seq } from './layer.js';
import { passThrough, type LayerKind } from './layer-kind.js';

/** Rectified linear unit (the ANN baseline's non-linearity). */
export class ReLU implements Layer {
  readonly kind = 'relu';
  forward(input: Seq): Seq {
    return { ...input, x: relu(input.x) };
  }
  parameters(): NamedParameter[] {
    return [];
  }
  config(): Record<string, unknown> {
    return {};
  }
}

/** Registry entry: no fields, no parameters; it gives what it takes. */
export const reluKind: LayerKind = { kind: 'relu', fromConfig: () => new ReLU(), contract: (_f, input) => passThrough(input) };
