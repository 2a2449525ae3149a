import { DataError, describe } from '../core/errors.js';
import type { NirArray, NirGraph, NirInts, NirNode } from './graph.js';
import { NIR_NEURON_FIELDS } from './neurons.js';

/**
 * A NIR graph that breaks the format: `node` is the node's path in the graph ("rnn/lif1", "" for
 * the root graph), `field` the field ("weight", "edges"); the message says what was expected and
 * what was found. `file` is the file's name (or "<bytes>" when reading from memory).
 */
export class NirError extends DataError {
  /** The message without the node, field and file. */
  readonly detail: string;
  constructor(
    message: string,
    readonly node: string,
    readonly field: string,
    file?: string,
  ) {
    super(`${node === '' ? 'root graph' : `node "${node}"`}${field ? `, field "${field}"` : ''}: ${message}`, file);
    this.detail = message;
  }

  /** The same error naming `file` (a graph checked after it was read: fromNir on readNirFile's graph). */
  inFile(file: string): NirError {
    return this.file === undefined ? new NirError(this.detail, this.node, this.field, file) : this;
  }
}

export const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;

/** Checks that `x` is a NirArray (Float32Array/Float64Array data whose length matches the shape). */
export function checkNirArray(x: unknown, node: string, field: string, file?: string): asserts x is NirArray {
  const a = x as NirArray | null;
  if (typeof a !== 'object' || a === null || !(a.data instanceof Float32Array || a.data instanceof Float64Array) || !Array.isArray(a.shape))
    throw new NirError(`expected an array {data: Float32Array | Float64Array, shape}, found ${describe(x)}`, node, field, file);
  if (!a.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw new NirError(`expected a shape of non-negative integers, found ${JSON.stringify(a.shape)}`, node, field, file);
  const n = a.shape.reduce((p, d) => p * d, 1);
  if (a.data.length !== n) throw new NirError(`shape ${shapeStr(a.shape)} needs ${n} values, found ${a.data.length}`, node, field, file);
}

function checkInts(x: unknown, node: string, field: string, min: number, dims: number[], file?: string): asserts x is NirInts {
  const ok = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
  const good = ok(x) || (Array.isArray(x) && dims.includes(x.length) && x.every(ok));
  if (!good) {
    const what = dims.map((d) => `${d} integer${d > 1 ? 's' : ''}`).join(' or ');
    throw new NirError(`expected an integer >= ${min} or ${what} >= ${min}, found ${JSON.stringify(x) ?? describe(x)}`, node, field, file);
  }
}

function checkShapeList(x: unknown, node: string, field: string, file?: string): asserts x is number[] {
  if (!Array.isArray(x) || !x.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw new NirError(`expected a shape (a list of non-negative integers), found ${JSON.stringify(x) ?? describe(x)}`, node, field, file);
}

function checkRank(a: NirArray, rank: number, what: string, node: string, field: string, file?: string): void {
  if (a.shape.length !== rank)
    throw new NirError(`expected a ${rank}-D array ${what}, found shape ${shapeStr(a.shape)}`, node, field, file);
}

function checkBias(bias: NirArray, out: number, node: string, file?: string): void {
  if (!(bias.shape.length === 0 || (bias.shape.length === 1 && bias.shape[0] === out)))
    throw new NirError(`expected shape [${out}] (one per output) or a scalar, found ${shapeStr(bias.shape)}`, node, 'bias', file);
}

const NEURON_FIELDS: Record<string, readonly string[]> = {
  ...NIR_NEURON_FIELDS,
  Scale: ['scale'],
  Delay: ['delay'],
  Threshold: ['threshold'],
};

/** Parameter arrays of the neuron-like nodes, in NIR's field order (optional ones included). */
export function neuronFields(type: string): readonly string[] | undefined {
  return NEURON_FIELDS[type];
}

/**
 * Checks one node's fields and the relations between them (ranks, matching lengths). The same
 * checks run on every node readNir returns and on every node writeNir is given. Not recursive:
 * checkGraph walks graphs.
 */
export function checkNode(n: NirNode, path: string, file?: string): void {
  const arr = (f: string, optional = false) => {
    const v = (n as unknown as Record<string, unknown>)[f];
    if (v === undefined && optional) return undefined;
    checkNirArray(v, path, f, file);
    return v;
  };
  switch (n.type) {
    case 'Input':
    case 'Output':
      checkShapeList(n.shape, path, 'shape', file);
      return;
    case 'Affine': {
      const w = arr('weight')!;
      checkRank(w, 2, '[out, in]', path, 'weight', file);
      checkBias(arr('bias')!, w.shape[0], path, file);
      return;
    }
    case 'Linear':
      checkRank(arr('weight')!, 2, '[out, in]', path, 'weight', file);
      return;
    case 'Conv1d':
    case 'Conv2d': {
      const d = n.type === 'Conv1d' ? 1 : 2;
      const w = arr('weight')!;
      checkRank(w, d + 2, d === 1 ? '[C_out, C_in/groups, K]' : '[C_out, C_in/groups, K_h, K_w]', path, 'weight', file);
      checkBias(arr('bias')!, w.shape[0], path, file);
      checkInts(n.stride, path, 'stride', 1, [d], file);
      checkInts(n.dilation, path, 'dilation', 1, [d], file);
      if (n.padding !== 'same' && n.padding !== 'valid') checkInts(n.padding, path, 'padding', 0, [d], file);
      if (!Number.isSafeInteger(n.groups) || n.groups < 1 || w.shape[0] % n.groups !== 0)
        throw new NirError(
          `expected a positive integer that divides C_out = ${w.shape[0]}, found ${describe(n.groups)}`,
          path,
          'groups',
          file,
        );
      if (n.input_shape !== undefined) {
        if (n.type === 'Conv1d') checkInts(n.input_shape, path, 'input_shape', 1, [], file);
        else if (!Array.isArray(n.input_shape) || n.input_shape.length !== 2)
          throw new NirError(`expected [height, width], found ${JSON.stringify(n.input_shape)}`, path, 'input_shape', file);
        else checkInts(n.input_shape, path, 'input_shape', 1, [2], file);
      }
      return;
    }
    case 'SumPool2d':
    case 'AvgPool2d':
      checkInts(n.kernel_size, path, 'kernel_size', 1, [2], file);
      checkInts(n.stride, path, 'stride', 1, [2], file);
      checkInts(n.padding, path, 'padding', 0, [2], file);
      return;
    case 'Flatten':
      for (const f of ['start_dim', 'end_dim'] as const)
        if (!Number.isSafeInteger(n[f])) throw new NirError(`expected an integer, found ${describe(n[f])}`, path, f, file);
      if (n.input_type !== undefined) checkShapeList(n.input_type, path, 'input_type', file);
      return;
    case 'NIRGraph':
    case 'Unknown':
      return;
    default: {
      // neuron-like: every parameter has the neuron shape, or is one value for all (0-d)
      const fields = NEURON_FIELDS[n.type];
      if (!fields) throw new NirError(`unknown node type ${describe((n as { type?: unknown }).type)}`, path, 'type', file);
      const optional = new Set(['v_reset']);
      let ref: [string, NirArray] | undefined;
      for (const f of fields) {
        const a = arr(f, optional.has(f));
        if (!a || a.shape.length === 0) continue;
        if (!ref) ref = [f, a];
        else if (shapeStr(a.shape) !== shapeStr(ref[1].shape))
          throw new NirError(
            `expected shape ${shapeStr(ref[1].shape)} like "${ref[0]}" (or a scalar), found ${shapeStr(a.shape)}`,
            path,
            f,
            file,
          );
      }
    }
  }
}

/** Checks a graph and everything in it: node types and fields, edges between existing nodes. */
export function checkGraph(g: NirGraph, path: string, file?: string): void {
  if (!(g.nodes instanceof Map)) throw new NirError(`expected a Map of name -> node, found ${describe(g.nodes)}`, path, 'nodes', file);
  if (!Array.isArray(g.edges)) throw new NirError(`expected an array of [from, to] pairs, found ${describe(g.edges)}`, path, 'edges', file);
  for (const [name, node] of g.nodes) {
    const p = path === '' ? name : `${path}/${name}`;
    if (typeof node !== 'object' || node === null) throw new NirError(`expected a node object, found ${describe(node)}`, p, '', file);
    if (node.type === 'NIRGraph') checkGraph(node, p, file);
    else checkNode(node, p, file);
  }
  g.edges.forEach((e, i) => {
    if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string' || typeof e[1] !== 'string')
      throw new NirError(`edge ${i}: expected a pair of node names, found ${JSON.stringify(e) ?? describe(e)}`, path, 'edges', file);
    for (const end of e)
      if (!g.nodes.has(end))
        throw new NirError(`edge ${i} [${e[0]} -> ${e[1]}] names a node that is not in the graph: "${end}"`, path, 'edges', file);
  });
}
