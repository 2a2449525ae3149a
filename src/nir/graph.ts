/**
 * An in-memory NIR graph (Neuromorphic Intermediate Representation, github.com/neuromorphs/NIR):
 * every NIR primitive as one member of a discriminated union on `type`, with the field names the
 * `.nir` files use (`v_threshold`, `tau_syn`, ...) so a node maps one to one onto its HDF5 group.
 * Parameters are arrays with shapes (row-major, as numpy stores them); a 0-d array (shape [])
 * is a single value shared by all neurons.
 */

/** A dense row-major array: `data.length` is the product of `shape` (1 for shape []). */
export interface NirArray {
  data: Float32Array | Float64Array;
  shape: number[];
}

/** Graph- or node-level metadata: key -> string, number, strings, numeric array, or a nested record. */
export type NirMetaValue = string | number | boolean | string[] | NirArray | { [key: string]: NirMetaValue };
export type NirMetadata = Record<string, NirMetaValue>;

/** An integer, or one integer per spatial dimension (Conv2d/pooling: [height, width]). */
export type NirInts = number | number[];

interface Base {
  /** Node-level metadata (NIR >= 1.0.2); absent when the file has none. */
  metadata?: NirMetadata;
}

export interface NirInput extends Base {
  type: 'Input';
  /** Shape of the data entering the graph (without batch and time). */
  shape: number[];
}
export interface NirOutput extends Base {
  type: 'Output';
  shape: number[];
}
/** y = W x + b; weight [out, in], bias [out]. */
export interface NirAffine extends Base {
  type: 'Affine';
  weight: NirArray;
  bias: NirArray;
}
/** y = W x; weight [out, in]. */
export interface NirLinear extends Base {
  type: 'Linear';
  weight: NirArray;
}
/** y = x * scale (elementwise). */
export interface NirScale extends Base {
  type: 'Scale';
  scale: NirArray;
}
export type NirPadding = NirInts | 'same' | 'valid';
/** The fields both convolutions have. */
interface ConvBase extends Base {
  weight: NirArray;
  stride: NirInts;
  padding: NirPadding;
  dilation: NirInts;
  groups: number;
  bias: NirArray;
}
/** 1-d convolution: weight [C_out, C_in / groups, K], bias [C_out]; input_shape is the length N (NIR >= 1.0). */
export interface NirConv1d extends ConvBase {
  type: 'Conv1d';
  input_shape?: number;
}
/** 2-d convolution: weight [C_out, C_in / groups, K_h, K_w], bias [C_out]; input_shape [H, W] (NIR >= 1.0). */
export interface NirConv2d extends ConvBase {
  type: 'Conv2d';
  input_shape?: number[];
}
export interface NirSumPool2d extends Base {
  type: 'SumPool2d';
  kernel_size: NirInts;
  stride: NirInts;
  padding: NirInts;
}
export interface NirAvgPool2d extends Base {
  type: 'AvgPool2d';
  kernel_size: NirInts;
  stride: NirInts;
  padding: NirInts;
}
/** Flattens dimensions start_dim..end_dim (inclusive, negative from the end); input_type is the input shape (NIR >= 0.2). */
export interface NirFlatten extends Base {
  type: 'Flatten';
  start_dim: number;
  end_dim: number;
  input_type?: number[];
}
/** y(t) = x(t - delay). */
export interface NirDelay extends Base {
  type: 'Delay';
  delay: NirArray;
}
/** Heaviside: 1 where x > threshold. */
export interface NirThreshold extends Base {
  type: 'Threshold';
  threshold: NirArray;
}
/** Integrator: dv/dt = r I. */
export interface NirI extends Base {
  type: 'I';
  r: NirArray;
}
/**
 * Spiking neurons. `v_reset` (NIR >= 1.0.6): after a spike v = v_reset. When it is absent the node
 * comes from a file older than 1.0.6, whose specification reset by subtraction (v = v - v_threshold);
 * Python nir >= 1.0.6 reads such files with v_reset = 0. readNir fills zeros only for files that
 * say they are 1.0.6 or newer.
 */
export interface NirIF extends Base {
  type: 'IF';
  r: NirArray;
  v_threshold: NirArray;
  v_reset?: NirArray;
}
/** Leaky integrator: tau dv/dt = (v_leak - v) + r I. */
export interface NirLI extends Base {
  type: 'LI';
  tau: NirArray;
  r: NirArray;
  v_leak: NirArray;
}
export interface NirLIF extends Base {
  type: 'LIF';
  tau: NirArray;
  r: NirArray;
  v_leak: NirArray;
  v_threshold: NirArray;
  v_reset?: NirArray;
}
/** Current-based LI: tau_syn dI/dt = -I + w_in S; tau_mem dv/dt = (v_leak - v) + r I (NIR >= 1.0.5). */
export interface NirCubaLI extends Base {
  type: 'CubaLI';
  tau_syn: NirArray;
  tau_mem: NirArray;
  r: NirArray;
  v_leak: NirArray;
  w_in: NirArray;
}
/** Current-based LIF; w_in (NIR >= 1.0) is ones when an older file has none. */
export interface NirCubaLIF extends Base {
  type: 'CubaLIF';
  tau_syn: NirArray;
  tau_mem: NirArray;
  r: NirArray;
  v_leak: NirArray;
  v_threshold: NirArray;
  v_reset?: NirArray;
  w_in: NirArray;
}
/** A node of a type this reader does not know, kept only with readNir's `allowUnknown`. */
export interface NirUnknown extends Base {
  type: 'Unknown';
  /** The type string found in the file. */
  nirType: string;
  /** Its datasets as read (arrays, numbers, strings) and subgroups as nested records. */
  fields: Record<string, NirMetaValue>;
}

export interface NirGraph extends Base {
  type: 'NIRGraph';
  /** Nodes by name, in the file's order (HDF5 lists names alphabetically). */
  nodes: Map<string, NirNode>;
  /** Directed edges [from, to] by node name; may form cycles (recurrent networks). */
  edges: [string, string][];
  /** Input name -> shape, when the file stores it (Python nir 1.0 derives it from the Input nodes and does not write it). */
  input_type?: Record<string, number[]>;
  output_type?: Record<string, number[]>;
  /** The root `version` dataset of the file this graph was read from (absent in 0.1.0 files; only on the root graph). */
  version?: string;
}

export type NirNode =
  | NirInput
  | NirOutput
  | NirAffine
  | NirLinear
  | NirScale
  | NirConv1d
  | NirConv2d
  | NirSumPool2d
  | NirAvgPool2d
  | NirFlatten
  | NirDelay
  | NirThreshold
  | NirI
  | NirIF
  | NirLI
  | NirLIF
  | NirCubaLI
  | NirCubaLIF
  | NirGraph
  | NirUnknown;

export type NirNodeType = NirNode['type'];

/** Makes a NirArray from numbers (Float32 unless `f64`); shape defaults to [values.length]. */
export function nirArray(values: ArrayLike<number>, shape: number[] = [values.length], f64 = false): NirArray {
  const data = f64 ? Float64Array.from(values) : Float32Array.from(values);
  return { data, shape: [...shape] };
}

/** Order of a graph's nodes for running it: see nirTopologicalOrder. */
export interface NirOrder {
  /** Every node name once: a topological order of the graph without its back edges. */
  order: string[];
  /** Edges that close a cycle (from a node to one already on the current path): recurrent connections. */
  backEdges: [string, string][];
  /** True when there are no back edges. */
  acyclic: boolean;
}

/**
 * Orders the nodes so that every edge that is not a back edge goes forward. Depth-first from the
 * Input nodes, then from the remaining nodes, each in the graph's node order, so the result is
 * deterministic; an edge to a node on the current depth-first path is a back edge (a recurrent
 * connection that carries the previous time step's value). Self-loops are back edges.
 */
export function nirTopologicalOrder(graph: Pick<NirGraph, 'nodes' | 'edges'>): NirOrder {
  const out = new Map<string, string[]>();
  for (const name of graph.nodes.keys()) out.set(name, []);
  for (const [a, b] of graph.edges) out.get(a)?.push(b);
  const state = new Map<string, 1 | 2>(); // 1: on the path, 2: done
  const post: string[] = [];
  const backEdges: [string, string][] = [];
  const visit = (root: string) => {
    if (state.has(root)) return;
    // iterative depth-first search: deep chains must not overflow the call stack
    const stack: { name: string; next: number }[] = [{ name: root, next: 0 }];
    state.set(root, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const succ = out.get(top.name) ?? [];
      if (top.next < succ.length) {
        const s = succ[top.next++];
        const st = state.get(s);
        if (st === 1) backEdges.push([top.name, s]);
        else if (st === undefined && out.has(s)) {
          state.set(s, 1);
          stack.push({ name: s, next: 0 });
        }
      } else {
        state.set(top.name, 2);
        post.push(top.name);
        stack.pop();
      }
    }
  };
  for (const [name, node] of graph.nodes) if (node.type === 'Input') visit(name);
  for (const name of graph.nodes.keys()) visit(name);
  return { order: post.reverse(), backEdges, acyclic: backEdges.length === 0 };
}
