import { NirError, shapeStr } from './check.js';
import type { FlatNode } from './flat.js';
import type { NirArray, NirConv1d, NirConv2d, NirInts, NirPadding } from './graph.js';

/**
 * A conv or pool window's geometry in full generality (NIR's and torch's: per-axis kernel, stride,
 * dilation and padding at each end, groups), on an image [C, H, W]; a Conv1d is the image [C, 1, L].
 * `fast` tells whether spikeflow's conv/pool kernels run it (one stride, the same padding on every side,
 * no dilation, no groups; pools also a square kernel and no padding); else ops.ts's general path does.
 */
export interface Window2d {
  C: number;
  H: number;
  W: number;
  kH: number;
  kW: number;
  sH: number;
  sW: number;
  dH: number;
  dW: number;
  /** Padding above, left, below, right. */
  pT: number;
  pL: number;
  pB: number;
  pR: number;
  groups: number;
  outH: number;
  outW: number;
  fast: boolean;
}

const pair = (v: NirInts): [number, number] => (typeof v === 'number' ? [v, v] : v.length === 1 ? [v[0], v[0]] : [v[0], v[1]]);
const one = (v: NirInts): number => (typeof v === 'number' ? v : v[0]);
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** [before, after] padding of one axis: torch's 'same' puts the odd one at the end. */
function padAxis(p: NirPadding, i: number, k: number, d: number, oneD: boolean): [number, number] {
  if (p === 'valid') return [0, 0];
  if (p === 'same') {
    const total = d * (k - 1);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  }
  const v = oneD ? one(p) : pair(p)[i];
  return [v, v];
}

function window(w: Omit<Window2d, 'outH' | 'outW' | 'fast'>, path: string, field: string, pool: boolean): Window2d {
  const outH = Math.floor((w.H + w.pT + w.pB - w.dH * (w.kH - 1) - 1) / w.sH) + 1;
  const outW = Math.floor((w.W + w.pL + w.pR - w.dW * (w.kW - 1) - 1) / w.sW) + 1;
  if (!(outH >= 1 && outW >= 1))
    throw new NirError(
      `a ${w.kH}x${w.kW} window (stride [${w.sH}, ${w.sW}], dilation [${w.dH}, ${w.dW}], padding [${w.pT}, ${w.pL}, ${w.pB}, ${w.pR}]) does not fit the input [${w.C}, ${w.H}, ${w.W}]`,
      path,
      field,
    );
  const even = w.sH === w.sW && w.pT === w.pB && w.pL === w.pR && w.pT === w.pL && w.dH === 1 && w.dW === 1 && w.groups === 1;
  const fast = pool ? even && w.kH === w.kW && w.pT === 0 : even;
  return { ...w, outH, outW, fast };
}

function needImage(inp: number[], path: string, rank = 3): void {
  if (inp.length !== rank)
    throw new NirError(`expected an input of shape ${rank === 3 ? '[C, H, W]' : '[C, L]'}, found ${shapeStr(inp)}`, path, 'input');
}

/** The geometry of a Conv1d (as the image [C, 1, L]) or Conv2d node on its input. */
export function convWindow(n: NirConv1d | NirConv2d, inp: number[], path: string): Window2d {
  const oneD = n.type === 'Conv1d';
  needImage(inp, path, oneD ? 2 : 3);
  const ws = n.weight.shape;
  const [O, Cg] = ws;
  const [kH, kW] = oneD ? [1, ws[2]] : [ws[2], ws[3]];
  const C = inp[0];
  if (Cg * n.groups !== C)
    throw new NirError(
      `the weight takes ${Cg} input channels per group (groups = ${n.groups}), the input has ${C} (${shapeStr(inp)})`,
      path,
      'weight',
    );
  if (O % n.groups !== 0) throw new NirError(`groups = ${n.groups} does not divide C_out = ${O}`, path, 'groups');
  const [sH, sW] = oneD ? [1, one(n.stride)] : pair(n.stride);
  const [dH, dW] = oneD ? [1, one(n.dilation)] : pair(n.dilation);
  const [pT, pB] = oneD ? [0, 0] : padAxis(n.padding, 0, kH, dH, false);
  const [pL, pR] = padAxis(n.padding, oneD ? 0 : 1, kW, dW, oneD);
  const [H, W] = oneD ? [1, inp[1]] : [inp[1], inp[2]];
  const w = window({ C, H, W, kH, kW, sH, sW, dH, dW, pT, pL, pB, pR, groups: n.groups }, path, 'weight', false);
  return oneD ? { ...w, fast: false } : w;
}

/** The geometry of a SumPool2d/AvgPool2d node. */
export function poolWindow(kernel: NirInts, stride: NirInts, padding: NirInts, inp: number[], path: string): Window2d {
  needImage(inp, path);
  const [kH, kW] = pair(kernel);
  const [sH, sW] = pair(stride);
  const [pH, pW] = pair(padding);
  const g = { C: inp[0], H: inp[1], W: inp[2], kH, kW, sH, sW, dH: 1, dW: 1, pT: pH, pL: pW, pB: pH, pR: pW, groups: 1 };
  return window(g, path, 'kernel_size', true);
}

/**
 * The output shape of a node given its input shape (both without batch and time). Its switch over the node
 * types parallels nodes.ts's nodeRun on purpose: this one only infers shapes (for checks and `nir inspect`),
 * that one builds the ops.
 */
export function outputShape(n: FlatNode, inp: number[], path: string): number[] {
  switch (n.type) {
    case 'Input':
      return [...n.shape];
    case 'Output':
    case 'Identity':
    case 'Delay':
    case 'Threshold':
    case 'Scale':
      return inp;
    case 'Affine':
    case 'Linear': {
      const [out, k] = n.weight.shape;
      if (inp.length !== 1 || inp[0] !== k)
        throw new NirError(`the weight [${out}, ${k}] takes ${k} features, the input has shape ${shapeStr(inp)}`, path, 'weight');
      return [out];
    }
    case 'Conv1d': {
      const w = convWindow(n, inp, path);
      return [n.weight.shape[0], w.outW];
    }
    case 'Conv2d': {
      const w = convWindow(n, inp, path);
      return [n.weight.shape[0], w.outH, w.outW];
    }
    case 'SumPool2d':
    case 'AvgPool2d': {
      const w = poolWindow(n.kernel_size, n.stride, n.padding, inp, path);
      return [inp[0], w.outH, w.outW];
    }
    case 'Flatten': {
      const d = inp.length;
      const a = n.start_dim < 0 ? n.start_dim + d : n.start_dim;
      const b = n.end_dim < 0 ? n.end_dim + d : n.end_dim;
      if (!(a >= 0 && a <= b && b < d))
        throw new NirError(
          `dims ${n.start_dim}..${n.end_dim} do not fit the input ${shapeStr(inp)} (dims without batch)`,
          path,
          'start_dim',
        );
      return [...inp.slice(0, a), size(inp.slice(a, b + 1)), ...inp.slice(b + 1)];
    }
    case 'I':
    case 'IF':
    case 'LI':
    case 'LIF':
    case 'CubaLI':
    case 'CubaLIF':
      return inp;
    case 'NIRGraph':
      throw new NirError('nested graphs are inlined before shapes are inferred', path, 'type');
    case 'Unknown':
      throw new NirError(`spikeflow cannot run a node of type ${JSON.stringify(n.nirType)}`, path, 'type');
  }
}

/**
 * A per-neuron (or per-feature) parameter as `features` values in the storage order of a value of
 * shape `shape` ([C, H, W] is stored channels-last): a scalar is one value shared by all, an array
 * must hold one value per feature (any shape with that many values, read in NIR's row-major order).
 */
export function featureValues(a: NirArray, shape: number[], path: string, field: string): Float32Array {
  const n = size(shape);
  if (a.data.length === 1 && a.shape.length <= 1) return Float32Array.of(a.data[0]);
  if (a.data.length !== n)
    throw new NirError(
      `expected a scalar or ${n} values (one per feature of the input ${shapeStr(shape)}), found ${shapeStr(a.shape)}`,
      path,
      field,
    );
  const v = Float32Array.from(a.data);
  if (shape.length !== 3) return v;
  const [c, h, w] = shape;
  const out = new Float32Array(n);
  for (let ci = 0; ci < c; ci++) for (let p = 0; p < h * w; p++) out[p * c + ci] = v[ci * h * w + p];
  return out;
}
