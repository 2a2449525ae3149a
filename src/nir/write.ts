import { ValueError, checkKeys, checkObject, describe } from '../core/errors.js';
import { NirError, checkGraph, checkNirArray, neuronFields } from './check.js';
import type { NirArray, NirGraph, NirMetaValue, NirNode } from './graph.js';
import { type H5WriteEntry, writeH5 } from './h5.js';

/** The Python nir release whose layout writeNir writes (and whose version string it stores). */
export const NIR_WRITE_VERSION = '1.0.7';

export interface WriteNirOptions {
  /**
   * IF, LIF and CubaLIF nodes without v_reset (read from files older than NIR 1.0.6, whose reset
   * subtracted the threshold): 'error' (default) refuses to write them, since NIR 1.0.6 and newer
   * read a missing v_reset as 0 (reset to zero, a different neuron); 'omit' writes them without
   * v_reset anyway.
   */
  missingReset?: 'error' | 'omit';
}

type Entry = [string, H5WriteEntry];

/**
 * Writes a NIR graph as a `.nir` file (HDF5) in the layout of Python nir 1.0.7: a root `version`
 * string, the graph under `node`, every node a group with a `type` string and its fields as
 * datasets, edges as an E x 2 string array, metadata as a group (left out when empty). The graph
 * is checked first (the same checks as readNir's); a bad one gives a NirError naming the node.
 * Not written: a graph's input_type/output_type (Python nir derives them from the Input and
 * Output nodes and does not store them).
 */
export async function writeNir(graph: NirGraph, opts: WriteNirOptions = {}): Promise<Uint8Array> {
  checkKeys('writeNir options', opts, ['missingReset']);
  const missingReset = opts.missingReset ?? 'error';
  if (missingReset !== 'error' && missingReset !== 'omit')
    throw new ValueError(`writeNir missingReset: expected "error" or "omit", found ${describe(missingReset)}`);
  checkObject('writeNir graph', graph);
  if (graph.type !== 'NIRGraph') throw new NirError(`expected type "NIRGraph", found ${describe(graph.type)}`, '', 'type');
  checkGraph(graph, '');
  return writeH5([
    ['version', str(NIR_WRITE_VERSION)],
    ['node', { kind: 'group', children: nodeEntries(graph, '', missingReset) }],
  ]);
}

const str = (s: string): H5WriteEntry => ({ kind: 'string', data: [s], shape: [] });
const int = (n: number): H5WriteEntry => ({ kind: 'int', data: [n], shape: [] });
const ints = (v: number | number[]): H5WriteEntry => (typeof v === 'number' ? int(v) : { kind: 'int', data: [...v], shape: [v.length] });
const arr = (a: NirArray): H5WriteEntry => ({ kind: 'float', data: a.data, shape: [...a.shape] });

/** HDF5 names cannot contain "/" and "." names the group itself. */
function checkName(name: string, path: string): void {
  if (name === '' || name === '.' || name.includes('/') || name.includes('\0'))
    throw new NirError(`node names must be non-empty and contain no "/" (HDF5 group names), found ${JSON.stringify(name)}`, path, 'nodes');
}

function nodeEntries(n: NirNode, path: string, missingReset: 'error' | 'omit'): Entry[] {
  const out: Entry[] = [['type', str(n.type === 'Unknown' ? n.nirType : n.type)]];
  const f = (name: string, e: H5WriteEntry) => out.push([name, e]);
  switch (n.type) {
    case 'NIRGraph': {
      const nodes: Entry[] = [];
      for (const [name, child] of n.nodes) {
        checkName(name, path);
        nodes.push([name, { kind: 'group', children: nodeEntries(child, path === '' ? name : `${path}/${name}`, missingReset) }]);
      }
      f('nodes', { kind: 'group', children: nodes });
      // no edges: Python stores an empty float array (h5py's type for [])
      f(
        'edges',
        n.edges.length === 0
          ? { kind: 'float', data: new Float64Array(0), shape: [0] }
          : { kind: 'string', data: n.edges.flat(), shape: [n.edges.length, 2] },
      );
      break;
    }
    case 'Input':
    case 'Output':
      f('shape', ints([...n.shape]));
      break;
    case 'Affine':
      f('weight', arr(n.weight));
      f('bias', arr(n.bias));
      break;
    case 'Linear':
      f('weight', arr(n.weight));
      break;
    case 'Conv1d':
    case 'Conv2d':
      if (n.input_shape === undefined)
        throw new NirError(
          'missing: Python nir >= 1.0.2 cannot read a convolution without input_shape (the spatial input size)',
          path,
          'input_shape',
        );
      f('input_shape', ints(n.input_shape));
      f('weight', arr(n.weight));
      f('stride', ints(n.stride));
      f('padding', typeof n.padding === 'string' ? str(n.padding) : ints(n.padding));
      f('dilation', ints(n.dilation));
      f('groups', int(n.groups));
      f('bias', arr(n.bias));
      break;
    case 'SumPool2d':
    case 'AvgPool2d':
      f('kernel_size', ints(n.kernel_size));
      f('stride', ints(n.stride));
      f('padding', ints(n.padding));
      break;
    case 'Flatten':
      f('start_dim', int(n.start_dim));
      f('end_dim', int(n.end_dim));
      if (n.input_type !== undefined) f('input_type', ints([...n.input_type]));
      break;
    case 'Unknown':
      for (const [k, v] of Object.entries(n.fields)) if (k !== 'type' && k !== 'metadata') f(k, meta(v, path, k));
      break;
    default: {
      const rec = n as unknown as Record<string, NirArray | undefined>;
      for (const name of neuronFields(n.type) ?? []) {
        const a = rec[name];
        if (a !== undefined) f(name, arr(a));
        else if (name === 'v_reset' && missingReset === 'error')
          throw new NirError(
            'missing: NIR >= 1.0.6 reads a missing v_reset as 0 (reset to zero), while the files it came from (NIR < 1.0.6) reset by subtracting the threshold; set v_reset, or pass writeNir {missingReset: "omit"}',
            path,
            'v_reset',
          );
      }
    }
  }
  if (n.metadata !== undefined && Object.keys(n.metadata).length > 0) f('metadata', meta(n.metadata, path, 'metadata'));
  return out;
}

function meta(v: NirMetaValue, path: string, field: string): H5WriteEntry {
  if (typeof v === 'string') return str(v);
  if (typeof v === 'boolean') return { kind: 'bool', value: v };
  if (typeof v === 'number') return Number.isSafeInteger(v) ? int(v) : { kind: 'float', data: new Float64Array([v]), shape: [] };
  if (Array.isArray(v)) {
    if (!v.every((s) => typeof s === 'string')) throw new NirError(`expected a list of strings, found ${describe(v)}`, path, field);
    return { kind: 'string', data: [...v], shape: [v.length] };
  }
  if (typeof v === 'object' && v !== null && 'data' in v && ArrayBuffer.isView(v.data)) {
    checkNirArray(v, path, field);
    return arr(v);
  }
  if (typeof v === 'object' && v !== null && !ArrayBuffer.isView(v)) {
    const children = Object.entries(v as Record<string, NirMetaValue>).map(([k, x]): Entry => {
      if (k === '' || k === '.' || k.includes('/'))
        throw new NirError(`metadata keys must be non-empty and contain no "/", found ${JSON.stringify(k)}`, path, field);
      return [k, meta(x, path, `${field}/${k}`)];
    });
    return { kind: 'group', children };
  }
  throw new NirError(`expected a string, number, boolean, string list, NirArray or record, found ${describe(v)}`, path, field);
}
