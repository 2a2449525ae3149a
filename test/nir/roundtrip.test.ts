import { describe, expect, it } from 'vitest';
import { NIR_WRITE_VERSION, type NirGraph, type NirMetaValue, type NirNode, nirArray, readNir, writeNir } from '../../src/nir/index.js';
import { fixtureBytes, fixtureList } from './helpers.js';

/** A graph as plain data: arrays with their element type, Maps as entry lists by name (HDF5 lists names sorted). */
function plain(x: unknown): unknown {
  if (x instanceof Map) return [...x].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, plain(v)]);
  if (x instanceof Float32Array || x instanceof Float64Array) return { [x.constructor.name]: Array.from(x) };
  if (Array.isArray(x)) return x.map(plain);
  if (typeof x === 'object' && x !== null)
    return Object.fromEntries(
      Object.entries(x)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, plain(v)]),
    );
  return x;
}

const withoutVersion = (g: NirGraph) => ({ ...g, version: undefined });

/** Sets v_reset = 0 where a legacy node has none (what NIR >= 1.0.6 reads such a node as). */
function zeroResets(n: NirNode): NirNode {
  if (n.type === 'NIRGraph') return { ...n, nodes: new Map([...n.nodes].map(([k, v]) => [k, zeroResets(v)])) };
  if ((n.type === 'IF' || n.type === 'LIF' || n.type === 'CubaLIF') && n.v_reset === undefined) {
    const t = n.v_threshold;
    return { ...n, v_reset: { data: new (t.data.constructor as Float64ArrayConstructor)(t.data.length), shape: [...t.shape] } };
  }
  return n;
}

/** Conv nodes of files older than 1.0 have no input_shape; the fixtures' values (tools/nir-fixtures.py). */
function addInputShapes(n: NirNode): NirNode {
  if (n.type === 'NIRGraph') return { ...n, nodes: new Map([...n.nodes].map(([k, v]) => [k, addInputShapes(v)])) };
  if (n.type === 'Conv1d' && n.input_shape === undefined) return { ...n, input_shape: 8 };
  if (n.type === 'Conv2d' && n.input_shape === undefined) return { ...n, input_shape: [6, 5] };
  return n;
}

function hasLegacyReset(n: NirNode): boolean {
  if (n.type === 'NIRGraph') return [...n.nodes.values()].some(hasLegacyReset);
  return (n.type === 'IF' || n.type === 'LIF' || n.type === 'CubaLIF') && n.v_reset === undefined;
}

describe('writeNir -> readNir round trip', () => {
  for (const [dir, name] of fixtureList()) {
    it(`${dir}/${name}: reads back equal (values, element types, shapes, edges, metadata)`, async () => {
      let g = await readNir(fixtureBytes(dir, name));
      if (g.nodes.has('conv1d') && (g.nodes.get('conv1d') as { input_shape?: number }).input_shape === undefined) {
        // Python nir >= 1.0.2 cannot read a convolution without input_shape: writeNir asks for it
        await expect(writeNir(g, { missingReset: 'omit' })).rejects.toThrow(/node "conv1d", field "input_shape": missing/);
        g = addInputShapes(g) as NirGraph;
      }
      if (hasLegacyReset(g)) {
        // a pre-1.0.6 neuron reset by subtraction: writing it as 1.0.7 would change it, unless asked
        await expect(writeNir(g)).rejects.toThrow(/field "v_reset": missing: NIR >= 1.0.6 reads a missing v_reset as 0/);
        const back = await readNir(await writeNir(g, { missingReset: 'omit' }));
        expect(back.version).toBe(NIR_WRITE_VERSION);
        expect(plain(withoutVersion(back))).toEqual(plain(withoutVersion(zeroResets(g) as NirGraph)));
      } else {
        const back = await readNir(await writeNir(g));
        expect(back.version).toBe(NIR_WRITE_VERSION);
        expect(plain(withoutVersion(back))).toEqual(plain(withoutVersion(g)));
      }
    });
  }

  it('a graph built in code: scalars, metadata of every kind, empty edges in a subgraph, Unknown nodes', async () => {
    const meta: Record<string, NirMetaValue> = {
      s: 'text',
      i: 42,
      f: 0.25,
      b: true,
      list: ['a', 'b'],
      arr: nirArray([1, 2, 3, 4], [2, 2], true),
      nested: { depth: 2, more: { x: 'y' } },
    };
    const g: NirGraph = {
      type: 'NIRGraph',
      nodes: new Map<string, NirNode>([
        ['in', { type: 'Input', shape: [2] }],
        [
          'lif',
          {
            type: 'LIF',
            tau: nirArray([0.01], []),
            r: nirArray([1], []),
            v_leak: nirArray([0], []),
            v_threshold: nirArray([1], []),
            v_reset: nirArray([0.1], []),
          },
        ],
        ['sub', { type: 'NIRGraph', nodes: new Map<string, NirNode>([['only', { type: 'Input', shape: [1] }]]), edges: [] }],
        ['odd', { type: 'Unknown', nirType: 'Identity', fields: { shape: nirArray([2], [1], true) } }],
        ['out', { type: 'Output', shape: [2] }],
      ]),
      edges: [
        ['in', 'lif'],
        ['lif', 'out'],
        ['lif', 'lif'],
      ],
      metadata: meta,
    };
    await expect(readNir(await writeNir(g))).rejects.toThrow(/node "odd", field "type": unknown NIR node type "Identity"/);
    const back = await readNir(await writeNir(g), { allowUnknown: true });
    // h5wasm cannot write HDF5 enums (h5py's bool): a boolean is stored as the integer 1
    expect(plain(withoutVersion(back))).toEqual(plain({ ...g, metadata: { ...meta, b: 1 } }));
  });
});
