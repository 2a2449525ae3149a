import { relu } from '../ops/index.js';
import type { Layer, NamedParameter, Seq } from './layer.js';

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
