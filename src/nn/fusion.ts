import type { GradOffer } from '../ops/index.js';
import { RateSeq } from '../encode/index.js';
import { featuresOf, type ForwardContext, type Layer, type Seq } from './layer.js';
import { Leaky } from './leaky-layer.js';
import { Linear } from './linear.js';
import { Conv2d } from './conv.js';
import { MaxPool2d } from './pool.js';
import { Flatten } from './flatten.js';
import { MAX_FUSED_POOL } from '../kernels/validate.js';

/**
 * The fusion pass: rules that run a few consecutive layers as one fused op, chosen from the layers and
 * the sequence that reaches them, for a training or an inference forward. Each fused op equals its
 * layers' own forward() calls (tested against them). A rule may also leave an offer (GradOffer) that
 * the next rule takes: a Leaky scan forms the gradient of its spikes through the Linear layer after it
 * inside its own backward kernel.
 */
/**
 * training: gradients will be taken; inference: no gradients, layers may skip what only a backward needs;
 * plain: no gradients, but every layer's trace is kept (keepAllMem), so only the rules that keep them run.
 */
export type FusionMode = 'training' | 'inference' | 'plain';

export interface FusionRule {
  readonly name: string;
  /** How many layers from `i` the rule consumes when it matches, else 0. */
  match(layers: readonly Layer[], i: number, x: Seq, mode: FusionMode): number;
  run(layers: readonly Layer[], i: number, x: Seq, ctx: ForwardContext, offer: GradOffer | undefined): { seq: Seq; offer?: GradOffer };
}

/** Widest next layer for which the fused Leaky->Linear inference kernel beats the blocked spike matmul. */
export const FUSE_MAX_OUT = 64;

/** A time-major [T, B, F] 0/1 spike sequence (not a constant input). */
export function isSpikeSequence(s: Seq): boolean {
  if (s instanceof RateSeq) return s.values.shape.length === 2; // without drawing the spikes
  return !s.constant && s.x.isSpikes && s.x.shape.length === 3 && s.x.shape[0] === s.steps;
}

/** A spike sequence that is data (the network's input: no gradient flows into it). */
export function isDataSpikes(s: Seq): boolean {
  return isSpikeSequence(s) && (s instanceof RateSeq || !s.x.requiresGrad);
}

/** A dense time-major [T, B, F] float sequence that is data (no gradient flows into it): the network's analog input. */
export function isDataDense(s: Seq): boolean {
  return !(s instanceof RateSeq) && !s.constant && !s.x.isSpikes && !s.x.requiresGrad && s.x.shape.length === 3 && s.x.shape[0] === s.steps;
}

const narrowLinear = (l: Layer | undefined): l is Linear => l instanceof Linear && l.outFeatures <= FUSE_MAX_OUT;
const flattensInto = (l: Layer | undefined, next: Layer | undefined, x: Seq): next is Linear =>
  l instanceof Flatten && next instanceof Linear && Flatten.reorders(x.image);

/** The rules, tried in order at each layer; the first that matches runs. */
export const FUSION_RULES: readonly FusionRule[] = [
  {
    // inference: a Linear over a spike sequence, a Leaky and a narrow Linear in one kernel (Kernels.seqLeakyProject)
    name: 'linear-leaky-linear',
    match: (ls, i, x, mode) => {
      const [a, b, c] = [ls[i], ls[i + 1], ls[i + 2]];
      return mode === 'inference' &&
        a instanceof Linear &&
        isSpikeSequence(x) &&
        b instanceof Leaky &&
        b.size === a.outFeatures &&
        narrowLinear(c)
        ? 3
        : 0;
    },
    run: (ls, i, x, ctx) => ({ seq: (ls[i + 1] as Leaky).forwardBetween(ls[i] as Linear, x, ls[i + 2] as Linear, ctx) }),
  },
  {
    // training: a Linear over the data spikes (or a dense data sequence) and the Leaky after it in one op
    // whose [T, B, H] currents stay with the kernels until the backward (neurons/leaky.ts spikeLinearLeaky)
    name: 'spikes-linear-leaky',
    match: (ls, i, x, mode) => {
      const [a, b] = [ls[i], ls[i + 1]];
      return mode === 'training' &&
        a instanceof Linear &&
        (isDataSpikes(x) || isDataDense(x)) &&
        b instanceof Leaky &&
        b.fusesTrainingWith(a)
        ? 2
        : 0;
    },
    run: (ls, i, x, ctx) => (ls[i + 1] as Leaky).forwardFromSpikes(ls[i] as Linear, x, ctx),
  },
  {
    // inference: a Leaky and a narrow Linear in one kernel (Kernels.leakyProject): no [T, B, H] spikes
    name: 'leaky-linear',
    match: (ls, i, _x, mode) => (mode === 'inference' && ls[i] instanceof Leaky && narrowLinear(ls[i + 1]) ? 2 : 0),
    run: (ls, i, x, ctx) => ({ seq: (ls[i] as Leaky).forwardInto(x, ls[i + 1] as Linear, ctx) }),
  },
  {
    // training: a Leaky scan that offers to form its spikes' gradient through the next Linear
    name: 'leaky-offering',
    match: (ls, i, _x, mode) => (mode === 'training' && ls[i] instanceof Leaky ? 1 : 0),
    run: (ls, i, x, ctx) => (ls[i] as Leaky).forwardOffering(x, ctx),
  },
  {
    // a convolution over spikes and the max pooling after it in one kernel (no conv output kept)
    name: 'conv-pool',
    match: (ls, i, x) => {
      const p = ls[i + 1];
      return ls[i] instanceof Conv2d && p instanceof MaxPool2d && p.kernel <= MAX_FUSED_POOL && x.x.isSpikes ? 2 : 0;
    },
    run: (ls, i, x, ctx) => ({ seq: (ls[i] as Conv2d).forwardPooled(x, ls[i + 1] as MaxPool2d, ctx) }),
  },
  {
    // Flatten into a Linear: the weight's rows are reordered to the image's layout, not the activations
    name: 'flatten-linear',
    match: (ls, i, x) => (flattensInto(ls[i], ls[i + 1], x) ? 2 : 0),
    run: (ls, i, x, ctx, offer) => ({ seq: (ls[i + 1] as Linear).forwardFlattened(x, x.image!, ctx, offer) }),
  },
  {
    // a Linear alone, taking the offer of the layer before it
    name: 'linear',
    match: (ls, i) => (ls[i] instanceof Linear ? 1 : 0),
    run: (ls, i, x, ctx, offer) => ({ seq: (ls[i] as Linear).forward(x, ctx, offer) }),
  },
];

/** The fused ops a forward pass runs: each step's rule (or "layer" for a layer's own forward) and its layers. */
export interface FusionStep {
  rule: string;
  from: number;
  to: number;
}

/**
 * Runs the layers on `input` through the fusion rules; `onStep` sees each step taken (tests read the
 * plan from it).
 */
export function runFused(
  layers: readonly Layer[],
  input: Seq,
  ctx: ForwardContext,
  mode: FusionMode,
  rules: readonly FusionRule[] = FUSION_RULES,
  onStep?: (s: FusionStep) => void,
): Seq {
  let x = input;
  let offer: GradOffer | undefined;
  for (let i = 0; i < layers.length; ) {
    let span = 0;
    let r: { seq: Seq; offer?: GradOffer } | undefined;
    for (const rule of rules) {
      span = rule.match(layers, i, x, mode);
      if (span > 0) {
        r = rule.run(layers, i, x, ctx, offer);
        onStep?.({ rule: rule.name, from: i, to: i + span });
        break;
      }
    }
    if (!r) {
      span = 1;
      r = { seq: layers[i].forward(x, ctx) };
      onStep?.({ rule: 'layer', from: i, to: i + 1 });
    }
    // elementwise layers (neurons, activations) keep the image layout of their input
    const y = r.seq;
    if (!y.image && x.image && layers[i + span - 1].kind !== 'flatten' && featuresOf(y) === featuresOf(x)) r.seq = { ...y, image: x.image };
    // an offer is for the next op on the same tensor: it passes a layer that hands its input on unchanged
    offer = r.offer ?? (offer && r.seq.x === x.x ? offer : undefined); // (x.x of a rate sequence would draw its spikes)
    x = r.seq;
    i += span;
  }
  return x;
}
