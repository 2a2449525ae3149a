import { Tensor } from '../core/tensor.js';
import type { Kernels } from '../kernels/types.js';
import type { Surrogate } from '../surrogate/index.js';
import { linear, scale } from '../ops/index.js';
import { conv2d } from '../nn/conv.js';
import { avgPool2d } from '../nn/pool.js';
import { NirError } from './check.js';
import type { FlatNode } from './flat.js';
import type { NirArray } from './graph.js';
import { convGeneral, delaySteps, mulFeature, permuteImage, poolGeneral, thresholdOp } from './ops.js';
import { convWindow, featureValues, poolWindow } from './shapes.js';

const vec = (v: Float32Array) => new Tensor(v, [v.length], { requiresGrad: true });

/** One non-neuron node over a whole sequence: x is [T, B, F] in storage layout ([C, H, W] values channels-last). */
export type NodeRun = (x: Tensor, T: number, kernels: Kernels) => Tensor;

/**
 * Builds the run of a stateless node (weights, pools, reshapes, Delay, Threshold) from its NIR fields;
 * `param` registers each trainable tensor under "<node>.<field>". Input, Output and the pass-throughs of
 * nested graphs return null (nothing to do).
 */
export function buildNode(
  n: FlatNode,
  path: string,
  inp: number[],
  out: number[],
  dt: number,
  surrogate: Surrogate,
  param: (name: string, t: Tensor) => void,
  /** Affine/Linear fed by an image flattened in storage order (channels-last): that image's [C, H, W]. */
  channelsLast: number[] | null = null,
): NodeRun | null {
  const train = (field: string, t: Tensor) => {
    param(`${path}.${field}`, t);
    return t;
  };
  switch (n.type) {
    case 'Input':
    case 'Output':
    case 'Identity':
      return null;
    case 'Affine':
    case 'Linear': {
      const [O, K] = n.weight.shape;
      // NIR's [out, in] -> spikeflow's [in, out] (rows in the input's storage order)
      const w = new Float32Array(K * O);
      const row = storageRow(channelsLast, K);
      for (let o = 0; o < O; o++) for (let i = 0; i < K; i++) w[row[i] * O + o] = n.weight.data[o * K + i];
      const weight = train('weight', new Tensor(w, [K, O], { requiresGrad: true }));
      let bias: Tensor | null = null;
      if (n.type === 'Affine') {
        const b = n.bias.data.length === 1 ? new Float32Array(O).fill(n.bias.data[0]) : Float32Array.from(n.bias.data);
        bias = train('bias', new Tensor(b, [O], { requiresGrad: true }));
      }
      return (x, T, k) => linear(x.reshape([T, x.size / (T * K), K]), weight, bias, k);
    }
    case 'Scale': {
      const s = train('scale', vec(featureValues(n.scale, inp, path, 'scale')));
      return (x) => mulFeature(x, s);
    }
    case 'Conv1d':
    case 'Conv2d': {
      const g = convWindow(n, inp, path);
      const ws = n.weight.shape;
      const [O, Cg] = ws;
      const [kH, kW] = n.type === 'Conv1d' ? [1, ws[2]] : [ws[2], ws[3]];
      // torch [O, C/groups, kH, kW] (Conv1d: [O, C/groups, K], kH = 1) -> the im2col operand [kH*kW*C/groups, O]
      const w = new Float32Array(kH * kW * Cg * O);
      for (let oc = 0; oc < O; oc++)
        for (let c = 0; c < Cg; c++)
          for (let ky = 0; ky < kH; ky++)
            for (let kx = 0; kx < kW; kx++) w[((ky * kW + kx) * Cg + c) * O + oc] = n.weight.data[((oc * Cg + c) * kH + ky) * kW + kx];
      const weight = train('weight', new Tensor(w, [kH * kW * Cg, O], { requiresGrad: true }));
      const b = n.bias.data.length === 1 ? new Float32Array(O).fill(n.bias.data[0]) : Float32Array.from(n.bias.data);
      const bias = train('bias', new Tensor(b, [O], { requiresGrad: true }));
      // Conv1d's [C, L] is stored as NIR orders it (channels-first), Conv2d's images channels-last
      if (!g.fast) return (x) => convGeneral(x, g, weight, bias, n.type === 'Conv2d');
      const geom = { inC: Cg, inH: g.H, inW: g.W, outC: O, kH, kW, stride: g.sH, padding: g.pT, outH: g.outH, outW: g.outW };
      return (x, _T, k) => conv2d(x, geom, weight, bias, k);
    }
    case 'SumPool2d':
    case 'AvgPool2d': {
      const g = poolWindow(n.kernel_size, n.stride, n.padding, inp, path);
      const sum = n.type === 'SumPool2d';
      if (!g.fast) return (x) => poolGeneral(x, g, !sum);
      const geom = { c: g.C, h: g.H, w: g.W, k: g.kH, stride: g.sH, outH: g.outH, outW: g.outW };
      return (x) => {
        const y = avgPool2d(x.isSpikes ? new Tensor(x.toFloat32(), x.shape) : x, geom);
        return sum ? scale(y, g.kH * g.kW) : y;
      };
    }
    case 'Flatten': {
      // storage is row-major in NIR's order except [C, H, W] (channels-last): convert at the edges
      const img = inp.length === 3;
      const toImg = out.length === 3;
      return (x) => {
        let y = img ? permuteImage(x, inp[0], inp[1], inp[2], true) : x;
        if (toImg) y = permuteImage(y, out[0], out[1], out[2]);
        return y;
      };
    }
    case 'Delay': {
      const k = delayStepsOf(n.delay, inp, path, dt);
      return (x) => delaySteps(x, k);
    }
    case 'Threshold': {
      const t = train('threshold', vec(featureValues(n.threshold, inp, path, 'threshold')));
      return (x) => thresholdOp(x, t, surrogate);
    }
    default:
      throw new NirError(`spikeflow cannot run a node of type ${n.type} here`, path, 'type');
  }
}

/** A Delay node's delays as whole steps of dt per feature (one shared, or one per feature); a NirError where one is not whole. */
export function delayStepsOf(delay: NirArray, inp: number[], path: string, dt: number): Int32Array {
  const d = featureValues(delay, inp, path, 'delay');
  const k = new Int32Array(d.length);
  d.forEach((v, i) => {
    const steps = Math.round(v / dt);
    if (!(steps >= 0 && Math.abs(steps * dt - v) <= 1e-6 * Math.max(dt, Math.abs(v))))
      throw new NirError(`a delay of ${v} s is not a whole number of steps of dt = ${dt} s`, path, 'delay');
    k[i] = steps;
  });
  return k;
}

/**
 * Where NIR's input feature i sits in storage: i itself, or for an image [C, H, W] flattened as stored
 * (channels-last, as spikeflow's Flatten) the position of (c, p) = (i / HW, i % HW): p C + c. The
 * weights then take the features in the order spikeflow's Linear after its Flatten does (the same sums).
 */
export function storageRow(channelsLast: number[] | null, K: number): Int32Array {
  const row = new Int32Array(K);
  if (!channelsLast) {
    for (let i = 0; i < K; i++) row[i] = i;
    return row;
  }
  const [C, H, W] = channelsLast;
  const P = H * W;
  for (let i = 0; i < K; i++) row[i] = (i % P) * C + Math.floor(i / P);
  return row;
}
