// The ANNs that conversion takes (ReLU, average pooling, optional BatchNorm and dropout): the
// conversion counterparts of the fc and csnn SNNs.
import { checkInt, checkRange } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { Layer } from '../nn/layer.js';
import { Linear } from '../nn/linear.js';
import { Conv2d } from '../nn/conv.js';
import { AvgPool2d, MaxPool2d } from '../nn/pool.js';
import { ReLU } from '../nn/relu.js';
import { Flatten } from '../nn/flatten.js';
import { Dropout } from '../nn/dropout.js';
import { BatchNorm1d, BatchNorm2d } from '../nn/batchnorm.js';
import { Sequential } from '../nn/sequential.js';
import { ValueError } from '../core/errors.js';

export interface AnnExtras {
  /** BatchNorm after every hidden Linear / Conv2d (before its ReLU). */
  batchNorm?: boolean;
  /** Dropout probability before the output layer (0: none). */
  dropout?: number;
  /** Seed of the dropout masks. */
  seed?: number;
}

function extras(o: AnnExtras): { bn: boolean; p: number } {
  const p = o.dropout ?? 0;
  checkRange('dropout', p, 0, 0.99);
  return { bn: o.batchNorm ?? false, p };
}

/** [Linear -> (BatchNorm1d) -> ReLU] per hidden layer, (Dropout), Linear to the logits. */
export function annFc(s: { inputs: number; hidden: readonly number[]; outputs: number } & AnnExtras, rng: Rng): Sequential {
  const { bn, p } = extras(s);
  const sizes = [s.inputs, ...s.hidden, s.outputs];
  sizes.forEach((n, i) => checkInt(`annFc sizes[${i}]`, n, 1));
  const layers: Layer[] = [];
  for (let i = 0; i + 2 < sizes.length; i++) {
    layers.push(new Linear(sizes[i], sizes[i + 1], { rng }));
    if (bn) layers.push(new BatchNorm1d({ channels: sizes[i + 1] }));
    layers.push(new ReLU());
  }
  if (p > 0) layers.push(new Dropout(p, s.seed ?? 0));
  layers.push(new Linear(sizes[sizes.length - 2], sizes[sizes.length - 1], { rng }));
  return new Sequential(layers);
}

/**
 * Per block Conv2d (kernel k, no padding) -> (BatchNorm2d) -> ReLU -> pool 2 (average: convertible; max:
 * for comparison, refused by conversion), then Flatten -> [Linear -> (BatchNorm1d) -> ReLU] per hidden
 * size -> (Dropout) -> Linear. Channels [12, 64] on 28x28 without hidden layers: the topology of snnTorch
 * tutorial 6's CSNN (12C5-P2-64C5-P2-1024FC10).
 */
export function annCnn(
  s: {
    input: readonly [number, number, number];
    channels: readonly number[];
    kernel?: number;
    outputs: number;
    pool?: 'avg' | 'max';
    /** Hidden fully connected layers between the conv blocks and the output layer (default none). */
    hidden?: readonly number[];
  } & AnnExtras,
  rng: Rng,
): Sequential {
  const { bn, p } = extras(s);
  const k = s.kernel ?? 5;
  const pool = s.pool ?? 'avg';
  if (pool !== 'avg' && pool !== 'max') throw new ValueError(`annCnn pool: expected avg or max, found ${JSON.stringify(pool)}`);
  let [c, h, w] = s.input;
  const layers: Layer[] = [];
  s.channels.forEach((oc, i) => {
    checkInt(`annCnn channels[${i}]`, oc, 1);
    layers.push(new Conv2d({ inChannels: c, outChannels: oc, kernel: k, rng, ...(i === 0 ? { inputSize: [h, w] as const } : {}) }));
    if (bn) layers.push(new BatchNorm2d({ channels: oc }));
    layers.push(new ReLU(), pool === 'avg' ? new AvgPool2d(2) : new MaxPool2d(2));
    h = Math.floor((h - k + 1) / 2);
    w = Math.floor((w - k + 1) / 2);
    if (h < 1 || w < 1)
      throw new ValueError(
        `annCnn: ${s.channels.length} conv blocks with ${k}x${k} kernels do not fit a ${s.input[1]}x${s.input[2]} input`,
      );
    c = oc;
  });
  layers.push(new Flatten());
  let features = c * h * w;
  (s.hidden ?? []).forEach((n, i) => {
    checkInt(`annCnn hidden[${i}]`, n, 1);
    layers.push(new Linear(features, n, { rng }));
    if (bn) layers.push(new BatchNorm1d({ channels: n }));
    layers.push(new ReLU());
    features = n;
  });
  if (p > 0) layers.push(new Dropout(p, s.seed ?? 0));
  layers.push(new Linear(features, s.outputs, { rng }));
  return new Sequential(layers);
}
