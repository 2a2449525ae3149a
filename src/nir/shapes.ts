import { NirError, shapeStr } from './check.js';
import type { FlatNode } from './flat.js';
import type { NirArray, NirConv2d, NirInts, NirPadding } from './graph.js';

/**
 * A 2-D window's geometry in spikeflow's terms (one stride and one padding for both axes). It parallels
 * nn/conv.ts's ConvGeometry on purpose: this one is what a NIR node's fields resolve to before any layer
 * exists (and also serves the pools), and is checked against NIR's rules here.
 */
export interface Window2d {
  kH: number;
  kW: number;
  stride: number;
  padding: number;
  outH: number;
  outW: number;
}

const pair = (v: NirInts): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** One value for both axes, or a NirError naming the field (spikeflow's conv and pools take one). */
function same(v: NirInts, path: string, field: string, what: string): number {
  const [a, b] = pair(v);
  if (a !== b) throw new NirError(`spikeflow runs ${what} with the same ${field} on both axes; found [${a}, ${b}]`, path, field);
  return a;
}

function window(inp: number[], kH: number, kW: number, stride: number, padding: number, path: string): Window2d {
  const outH = Math.floor((inp[1] + 2 * padding - kH) / stride) + 1;
  const outW = Math.floor((inp[2] + 2 * padding - kW) / stride) + 1;
  if (outH < 1 || outW < 1)
    throw new NirError(
      `a ${kH}x${kW} window (stride ${stride}, padding ${padding}) does not fit the input ${shapeStr(inp)}`,
      path,
      'kernel',
    );
  return { kH, kW, stride, padding, outH, outW };
}

function needImage(inp: number[], path: string): void {
  if (inp.length !== 3) throw new NirError(`expected an input of shape [C, H, W], found ${shapeStr(inp)}`, path, 'input');
}

/** The geometry of a Conv2d node on an input [C, H, W]; the combinations spikeflow cannot run are NirErrors. */
export function convWindow(n: NirConv2d, inp: number[], path: string): Window2d {
  needImage(inp, path);
  const [O, Cg, kH, kW] = n.weight.shape;
  if (n.groups !== 1) throw new NirError(`spikeflow's Conv2d has no groups; found groups = ${n.groups}`, path, 'groups');
  if (pair(n.dilation).some((d) => d !== 1))
    throw new NirError(`spikeflow's Conv2d has no dilation; found ${JSON.stringify(n.dilation)}`, path, 'dilation');
  if (Cg !== inp[0])
    throw new NirError(`the weight takes ${Cg} input channels, the input has ${inp[0]} (${shapeStr(inp)})`, path, 'weight');
  const stride = same(n.stride, path, 'stride', 'Conv2d');
  const padding = convPadding(n.padding, kH, kW, stride, path);
  void O;
  return window(inp, kH, kW, stride, padding, path);
}

function convPadding(p: NirPadding, kH: number, kW: number, stride: number, path: string): number {
  if (p === 'valid') return 0;
  if (p === 'same') {
    if (stride !== 1 || kH !== kW || kH % 2 === 0)
      throw new NirError(
        `'same' padding needs stride 1 and an odd square kernel in spikeflow; found stride ${stride}, kernel ${kH}x${kW}`,
        path,
        'padding',
      );
    return (kH - 1) / 2;
  }
  return same(p, path, 'padding', 'Conv2d');
}

/** The geometry of a SumPool2d/AvgPool2d node (square window, no padding). */
export function poolWindow(kernel: NirInts, stride: NirInts, padding: NirInts, inp: number[], path: string, type: string): Window2d {
  needImage(inp, path);
  const k = same(kernel, path, 'kernel_size', type);
  const s = same(stride, path, 'stride', type);
  if (pair(padding).some((v) => v !== 0))
    throw new NirError(`spikeflow's pools have no padding; found ${JSON.stringify(padding)}`, path, 'padding');
  return window(inp, k, k, s, 0, path);
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
    case 'Conv2d': {
      const w = convWindow(n, inp, path);
      return [n.weight.shape[0], w.outH, w.outW];
    }
    case 'SumPool2d':
    case 'AvgPool2d': {
      const w = poolWindow(n.kernel_size, n.stride, n.padding, inp, path, n.type);
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
    case 'Conv1d':
      throw new NirError('spikeflow has no 1-d convolution to run Conv1d on', path, 'type');
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
