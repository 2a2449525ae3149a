import { DataError, ValueError, checkBool, checkKeys, describe } from '../core/errors.js';
import { NirError, checkGraph, checkNode, shapeStr } from './check.js';
import type { NirArray, NirGraph, NirMetaValue, NirMetadata, NirNode } from './graph.js';
import { type H5Data, type H5Entry, type H5Tree, readH5Tree } from './h5.js';

export interface ReadNirOptions {
  /** The file's name, for error messages (default "<bytes>"). */
  file?: string;
  /**
   * Keep nodes of types this reader does not know as `{type: 'Unknown', nirType, fields}` and skip
   * fields it does not know, instead of failing on them (default false).
   */
  allowUnknown?: boolean;
}

/**
 * Reads a `.nir` file (HDF5) from memory: the layout of every Python nir release (0.1 to 1.0.7 and
 * its main branch), checked field by field. Damaged, truncated, non-HDF5 or malformed content
 * gives a DataError (NirError when it concerns a node: it names the node path and the field).
 */
export async function readNir(bytes: Uint8Array, opts: ReadNirOptions = {}): Promise<NirGraph> {
  checkKeys('readNir options', opts, ['file', 'allowUnknown']);
  checkBool('readNir allowUnknown', opts.allowUnknown);
  if (!(bytes instanceof Uint8Array)) throw new ValueError(`readNir: expected the file's bytes as a Uint8Array, found ${describe(bytes)}`);
  const file = opts.file ?? '<bytes>';
  // HDF5's 8-byte signature, at offset 0 (or 512, 1024, ... after a user block)
  const sig = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  const at = (o: number) => sig.every((b, i) => bytes[o + i] === b);
  let found = false;
  for (let o = 0; o + 8 <= bytes.length && !found; o = o === 0 ? 512 : o * 2) found = at(o);
  if (!found) throw new DataError(`not an HDF5 file (no HDF5 signature; ${bytes.length} bytes)`, file);
  const tree = await readH5Tree(bytes, file);
  return fromTree(tree, file, opts.allowUnknown ?? false);
}

/** Interprets the groups and datasets of a `.nir` file. */
export function fromTree(root: H5Tree, file: string, allowUnknown: boolean): NirGraph {
  const ctx: Ctx = { file, allowUnknown, version: undefined, v106: false };
  const v = root.children.get('version');
  if (v !== undefined) {
    ctx.version = scalarString(v, '', 'version', ctx);
    const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(ctx.version);
    if (!m) throw new NirError(`expected a version such as "1.0.7", found ${JSON.stringify(ctx.version)}`, '', 'version', file);
    const [a, b, c] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
    ctx.v106 = a > 1 || (a === 1 && (b > 0 || c >= 6));
  }
  const node = root.children.get('node');
  if (node === undefined)
    throw new NirError(
      `expected a group "node" at the root of the file (found: ${[...root.children.keys()].join(', ') || 'nothing'})`,
      '',
      'node',
      file,
    );
  if (node.kind !== 'group') throw new NirError('expected a group, found a dataset', '', 'node', file);
  const g = readNode(node, '', ctx);
  if (g.type !== 'NIRGraph') throw new NirError(`expected the root node to be a NIRGraph, found ${g.type}`, '', 'type', file);
  if (ctx.version !== undefined) g.version = ctx.version;
  checkGraph(g, '', file);
  return g;
}

interface Ctx {
  file: string;
  allowUnknown: boolean;
  version: string | undefined;
  /** The file says it is NIR 1.0.6 or newer (v_reset exists; its absence means 0). */
  v106: boolean;
}

type Kind = 'array' | 'shape' | 'ints' | 'int' | 'padding';
type Spec = [field: string, kind: Kind, required: boolean];

const req = (f: string, k: Kind): Spec => [f, k, true];
const opt = (f: string, k: Kind): Spec => [f, k, false];
const conv = (inputShape: Kind): Spec[] => [
  req('weight', 'array'),
  req('stride', 'ints'),
  req('padding', 'padding'),
  req('dilation', 'ints'),
  req('groups', 'int'),
  req('bias', 'array'),
  opt('input_shape', inputShape),
];
const pool: Spec[] = [req('kernel_size', 'ints'), req('stride', 'ints'), req('padding', 'ints')];

/** Every node type's datasets, as Python nir writes them (optional: absent in some releases' files). */
const SPECS: Record<string, Spec[]> = {
  Input: [req('shape', 'shape')],
  Output: [req('shape', 'shape')],
  Affine: [req('weight', 'array'), req('bias', 'array')],
  Linear: [req('weight', 'array')],
  Scale: [req('scale', 'array')],
  Delay: [req('delay', 'array')],
  Threshold: [req('threshold', 'array')],
  I: [req('r', 'array')],
  IF: [req('r', 'array'), req('v_threshold', 'array'), opt('v_reset', 'array')],
  LI: [req('tau', 'array'), req('r', 'array'), req('v_leak', 'array')],
  LIF: [req('tau', 'array'), req('r', 'array'), req('v_leak', 'array'), req('v_threshold', 'array'), opt('v_reset', 'array')],
  CubaLI: [req('tau_syn', 'array'), req('tau_mem', 'array'), req('r', 'array'), req('v_leak', 'array'), opt('w_in', 'array')],
  CubaLIF: [
    req('tau_syn', 'array'),
    req('tau_mem', 'array'),
    req('r', 'array'),
    req('v_leak', 'array'),
    req('v_threshold', 'array'),
    opt('v_reset', 'array'),
    opt('w_in', 'array'),
  ],
  Conv1d: conv('int'),
  Conv2d: conv('shape'),
  SumPool2d: pool,
  AvgPool2d: pool,
  Flatten: [opt('start_dim', 'int'), opt('end_dim', 'int'), opt('input_type', 'shape')],
};

/** The node types readNir knows. */
export const NIR_NODE_TYPES: readonly string[] = [...Object.keys(SPECS), 'NIRGraph'];

function readNode(g: H5Tree, path: string, ctx: Ctx): NirNode {
  const type = scalarString(g.children.get('type'), path, 'type', ctx);
  const out: Record<string, unknown> = { type };
  const seen = new Set(['type', 'metadata']);
  const meta = g.children.get('metadata');
  if (meta !== undefined) {
    if (meta.kind !== 'group') throw new NirError('expected a group of key -> value, found a dataset', path, 'metadata', ctx.file);
    out.metadata = readMetaGroup(meta, ctx);
  }
  if (type === 'NIRGraph') {
    seen.add('nodes').add('edges').add('input_type').add('output_type');
    const nodesGroup = g.children.get('nodes');
    if (nodesGroup === undefined || nodesGroup.kind !== 'group')
      throw new NirError(`expected a group of nodes, found ${what(nodesGroup)}`, path, 'nodes', ctx.file);
    const nodes = new Map<string, NirNode>();
    for (const [name, child] of nodesGroup.children) {
      const p = path === '' ? name : `${path}/${name}`;
      if (child.kind !== 'group') throw new NirError(`expected a group (a node), found a dataset`, p, '', ctx.file);
      nodes.set(name, readNode(child, p, ctx));
    }
    out.nodes = nodes;
    out.edges = readEdges(g.children.get('edges'), path, ctx);
    for (const f of ['input_type', 'output_type'] as const) {
      const t = g.children.get(f);
      if (t !== undefined) out[f] = readTypes(t, path, f, ctx);
    }
  } else if (SPECS[type]) {
    for (const [f, kind, required] of SPECS[type]) {
      seen.add(f);
      const d = g.children.get(f);
      if (d === undefined) {
        if (required) throw new NirError(`missing (a ${type} node has ${SPECS[type].map((s) => s[0]).join(', ')})`, path, f, ctx.file);
        continue;
      }
      out[f] = readField(d, kind, path, f, ctx);
    }
    fillDefaults(out, ctx);
  } else if (ctx.allowUnknown) {
    const fields = readMetaGroup(g, ctx);
    delete fields.type;
    delete fields.metadata;
    return { type: 'Unknown', nirType: type, fields, ...(out.metadata ? { metadata: out.metadata as NirMetadata } : {}) };
  } else {
    throw new NirError(
      `unknown NIR node type ${JSON.stringify(type)} (known: ${NIR_NODE_TYPES.join(', ')}; readNir's allowUnknown keeps such nodes)`,
      path,
      'type',
      ctx.file,
    );
  }
  if (!ctx.allowUnknown) {
    for (const k of g.children.keys())
      if (!seen.has(k)) throw new NirError(`unexpected field in a ${type} node (expected: ${[...seen].join(', ')})`, path, k, ctx.file);
  }
  const node = out as unknown as NirNode;
  if (node.type !== 'NIRGraph') checkNode(node, path, ctx.file);
  return node;
}

/** The values Python nir uses for fields a file may lack. */
function fillDefaults(out: Record<string, unknown>, ctx: Ctx): void {
  const like = (f: string, value: number): NirArray => {
    const ref = out[f] as NirArray;
    const data = new (ref.data.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(ref.data.length).fill(value);
    return { data, shape: [...ref.shape] };
  };
  if (out.type === 'CubaLIF' && out.w_in === undefined) out.w_in = like('v_threshold', 1);
  if (out.type === 'CubaLI' && out.w_in === undefined) out.w_in = like('v_leak', 1);
  // v_reset: from 1.0.6 on, reset to v_reset (0 when absent); before, subtractive (left undefined)
  if ((out.type === 'IF' || out.type === 'LIF' || out.type === 'CubaLIF') && out.v_reset === undefined && ctx.v106)
    out.v_reset = like('v_threshold', 0);
  if (out.type === 'Flatten') {
    out.start_dim ??= 1;
    out.end_dim ??= -1;
  }
}

function what(e: H5Entry | undefined): string {
  if (e === undefined) return 'nothing';
  return e.kind === 'group' ? 'a group' : `a ${e.dtype} dataset of shape ${shapeStr(e.shape)}`;
}

function dataset(e: H5Entry | undefined, path: string, field: string, ctx: Ctx): H5Data {
  if (e === undefined || e.kind !== 'dataset') throw new NirError(`expected a dataset, found ${what(e)}`, path, field, ctx.file);
  if (e.data === null) throw new NirError(`unsupported data type: ${e.dtype}`, path, field, ctx.file);
  return e;
}

function scalarString(e: H5Entry | undefined, path: string, field: string, ctx: Ctx): string {
  const d = dataset(e, path, field, ctx);
  if (d.dtype !== 'string' || d.data?.length !== 1 || d.shape.length > 1)
    throw new NirError(`expected a string, found ${what(d)}`, path, field, ctx.file);
  return (d.data as string[])[0];
}

function numbers(d: H5Data, path: string, field: string, ctx: Ctx, integer: boolean): number[] {
  if (d.dtype === 'string' || d.dtype === 'bool')
    throw new NirError(`expected ${integer ? 'integers' : 'numbers'}, found ${what(d)}`, path, field, ctx.file);
  const v = Array.from(d.data as ArrayLike<number>);
  const bad = v.findIndex((x) => !Number.isFinite(x) || (integer && !Number.isInteger(x)));
  if (integer && bad >= 0) throw new NirError(`expected integers, found ${v[bad]} at index ${bad}`, path, field, ctx.file);
  return v;
}

function readField(e: H5Entry, kind: Kind, path: string, field: string, ctx: Ctx): unknown {
  const d = dataset(e, path, field, ctx);
  switch (kind) {
    case 'array': {
      if (d.dtype === 'float32' || d.dtype === 'float64') return { data: d.data, shape: d.shape };
      if (d.dtype !== 'int') throw new NirError(`expected a numeric array (float32 or float64), found ${what(d)}`, path, field, ctx.file);
      return { data: Float64Array.from(d.data as number[]), shape: d.shape };
    }
    case 'shape': {
      if (d.shape.length > 1) throw new NirError(`expected a 1-D list of sizes, found ${what(d)}`, path, field, ctx.file);
      return numbers(d, path, field, ctx, true);
    }
    case 'int':
    case 'ints': {
      const v = numbers(d, path, field, ctx, true);
      if (d.shape.length === 0) return v[0];
      if (kind === 'int' && d.shape.length === 1 && v.length === 1) return v[0];
      if (kind === 'int' || d.shape.length > 1)
        throw new NirError(
          `expected ${kind === 'int' ? 'an integer' : 'an integer or a 1-D list'}, found ${what(d)}`,
          path,
          field,
          ctx.file,
        );
      return v;
    }
    case 'padding': {
      if (d.dtype !== 'string') return readField(e, 'ints', path, field, ctx);
      const s = scalarString(d, path, field, ctx);
      if (s !== 'same' && s !== 'valid')
        throw new NirError(`expected "same", "valid" or integers, found ${JSON.stringify(s)}`, path, field, ctx.file);
      return s;
    }
  }
}

function readEdges(e: H5Entry | undefined, path: string, ctx: Ctx): [string, string][] {
  const d = dataset(e, path, 'edges', ctx);
  const n = d.data?.length ?? 0;
  if (n === 0 && d.shape.length <= 2) return []; // no edges: Python stores an empty float array
  if (d.dtype !== 'string' || d.shape.length !== 2 || d.shape[1] !== 2)
    throw new NirError(`expected an E x 2 array of node names, found ${what(d)}`, path, 'edges', ctx.file);
  const s = d.data as string[];
  const out: [string, string][] = [];
  for (let i = 0; i < s.length; i += 2) out.push([s[i], s[i + 1]]);
  return out;
}

function readTypes(e: H5Entry, path: string, field: string, ctx: Ctx): Record<string, number[]> {
  if (e.kind !== 'group') throw new NirError(`expected a group of name -> shape, found ${what(e)}`, path, field, ctx.file);
  const out: Record<string, number[]> = Object.create(null);
  for (const [k, v] of e.children) out[k] = readField(v, 'shape', path, `${field}/${k}`, ctx) as number[];
  return out;
}

/** Metadata: strings, numbers, booleans, string lists and numeric arrays, nested groups as records. */
function readMetaGroup(g: H5Tree, ctx: Ctx): Record<string, NirMetaValue> {
  const out: Record<string, NirMetaValue> = Object.create(null);
  for (const [k, e] of g.children) out[k] = e.kind === 'group' ? readMetaGroup(e, ctx) : readMetaValue(e, ctx);
  return out;
}

function readMetaValue(e: H5Data, ctx: Ctx): NirMetaValue {
  if (e.data === null) throw new DataError(`${e.path}: unsupported data type in metadata: ${e.dtype}`, ctx.file);
  const scalar = e.shape.length === 0;
  if (e.dtype === 'string') return scalar ? (e.data as string[])[0] : (e.data as string[]);
  if (e.dtype === 'bool' && scalar) return (e.data as boolean[])[0];
  const data =
    e.data instanceof Float32Array || e.data instanceof Float64Array ? e.data : Float64Array.from(e.data as ArrayLike<number>, Number);
  return scalar ? data[0] : { data, shape: e.shape };
}
