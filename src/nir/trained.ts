import type { Tensor } from '../core/tensor.js';
import type { NirArray, NirGraph, NirNode } from './graph.js';

/**
 * Writing a NirModel's parameters back into NIR's layout (NirModel.toNir): the inverses of the
 * transforms nodes.ts and execute.ts apply when they read a graph. Nothing here checks shapes: the
 * graph was checked when the model was built, and the tensors keep the sizes they were built with.
 */

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** A copy of the graph whose node objects (and nested graphs) can be replaced without touching the original; arrays are shared. */
export function cloneNirGraph(g: NirGraph): NirGraph {
  const nodes = new Map<string, NirNode>();
  for (const [k, n] of g.nodes) nodes.set(k, n.type === 'NIRGraph' ? cloneNirGraph(n) : { ...n });
  return { ...g, nodes, edges: g.edges.map(([a, b]) => [a, b]) };
}

/** The node at a flat path ("name", or "sub/name" inside nested graph "sub"; see flat.ts). */
export function nodeAtPath(g: NirGraph, path: string): Record<string, unknown> {
  const parts = path.split('/');
  let graph = g;
  for (let i = 0; i < parts.length - 1; i++) graph = graph.nodes.get(parts[i]) as NirGraph;
  return graph.nodes.get(parts[parts.length - 1]) as unknown as Record<string, unknown>;
}

/** A [in, out] weight as spikeflow computes with it -> NIR's [out, in]. */
export function nirMatrix(w: Tensor, row: Int32Array | null = null): NirArray {
  const [K, O] = w.shape;
  const out = new Float32Array(O * K);
  // row: where NIR's input i sits in the stored rows (nodes.ts storageRow), else i
  for (let o = 0; o < O; o++) for (let i = 0; i < K; i++) out[o * K + i] = w.data[(row ? row[i] : i) * O + o];
  return { data: out, shape: [O, K] };
}

/** The im2col operand [kH*kW*C, O] -> torch's [O, C, kH, kW] (C: per group; a Conv1d's [O, C, K] has kH = 1). */
export function nirConvWeight(w: Tensor, shape: readonly number[]): NirArray {
  const [O, C, kH, kW] = shape.length === 3 ? [shape[0], shape[1], 1, shape[2]] : shape;
  const out = new Float32Array(O * C * kH * kW);
  for (let oc = 0; oc < O; oc++)
    for (let c = 0; c < C; c++)
      for (let ky = 0; ky < kH; ky++)
        for (let kx = 0; kx < kW; kx++) out[((oc * C + c) * kH + ky) * kW + kx] = w.data[((ky * kW + kx) * C + c) * O + oc];
  return { data: out, shape: [...shape] };
}

/**
 * Per-feature values (shapes.ts featureValues: one shared value, or one per feature of `shape` in
 * storage order, [C, H, W] channels-last) -> NIR's row-major order, in the shape the file gave them
 * (`orig`) where it holds as many values, else in `shape`.
 */
export function nirFeatures(t: Tensor, orig: NirArray, shape: readonly number[]): NirArray {
  const v = t.data;
  if (v.length === 1) return { data: Float32Array.of(v[0]), shape: orig.data.length === 1 ? [...orig.shape] : [] };
  const n = size(shape);
  const out = new Float32Array(n);
  if (shape.length === 3) {
    const [c, h, w] = shape;
    for (let ci = 0; ci < c; ci++) for (let p = 0; p < h * w; p++) out[ci * h * w + p] = v[p * c + ci];
  } else out.set(v);
  return { data: out, shape: orig.data.length === n ? [...orig.shape] : [...shape] };
}
