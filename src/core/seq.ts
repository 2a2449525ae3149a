import type { Tensor } from './tensor.js';

/** Per-sample image dimensions; image data is stored channels-last ([H, W, C] per sample). */
export interface ImageShape {
  c: number;
  h: number;
  w: number;
}

/**
 * A sequence flowing through a network. Time-major: `x` is [T, B, N], except when `constant` is true:
 * then `x` is [B, N] and stands for the same value at every one of the `steps` steps (direct
 * encoding), so stateless layers compute it once instead of T times.
 */
export interface Seq {
  x: Tensor;
  steps: number;
  constant: boolean;
  /** Set by image layers (Conv2d, pooling): each sample's features are an image, stored [H, W, C]. */
  image?: ImageShape;
}
