import { describe, expect, it } from 'vitest';
import { DataError, SpikeflowError, ValueError } from '../../src/core/errors.js';
import { type H5WriteEntry, writeH5 } from '../../src/nir/h5.js';
import { type NirGraph, NirError, type NirNode, nirArray, readNir, writeNir } from '../../src/nir/index.js';
import { fixtureBytes } from './helpers.js';

type E = [string, H5WriteEntry];
const str = (s: string): H5WriteEntry => ({ kind: 'string', data: [s], shape: [] });
const f32 = (shape: number[], fill = 0.5): H5WriteEntry => ({
  kind: 'float',
  data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill),
  shape,
});
const ints = (v: number[]): H5WriteEntry => ({ kind: 'int', data: v, shape: [v.length] });
const group = (children: E[]): H5WriteEntry => ({ kind: 'group', children });
const lif = (n = 3, extra: E[] = []): H5WriteEntry =>
  group([['type', str('LIF')], ['tau', f32([n])], ['r', f32([n])], ['v_leak', f32([n])], ['v_threshold', f32([n])], ...extra]);

/** A file in the layout of Python nir: root version, the graph under "node". */
function file(nodes: E[], edges: [string, string][] = [], version = '1.0.7'): Promise<Uint8Array> {
  return writeH5([
    ['version', str(version)],
    [
      'node',
      group([
        ['type', str('NIRGraph')],
        ['nodes', group(nodes)],
        ['edges', { kind: 'string', data: edges.flat(), shape: [edges.length, 2] }],
      ]),
    ],
  ]);
}

/** readNir rejects with a NirError for this node and field whose message matches. */
async function rejects(bytes: Promise<Uint8Array>, node: string, field: string, message: RegExp): Promise<void> {
  const err = await readNir(await bytes, { file: 'bad.nir' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NirError);
  const e = err as NirError;
  expect([e.node, e.field]).toEqual([node, field]);
  expect(e.message).toMatch(/^bad\.nir: /);
  expect(e.message).toMatch(message);
}

describe('readNir on hostile or broken content: typed errors naming the node and field', () => {
  it('bytes that are not HDF5, and truncated files', async () => {
    await expect(readNir(new TextEncoder().encode('not a nir file at all'), { file: 'x.nir' })).rejects.toThrow(
      /^x\.nir: not an HDF5 file \(no HDF5 signature; 21 bytes\)$/,
    );
    await expect(readNir(new Uint8Array(0))).rejects.toThrow(DataError);
    const good = fixtureBytes('1.0.7', 'network');
    for (const n of [8, 100, 1000, good.length >> 1, good.length - 1]) {
      const err = await readNir(good.slice(0, n)).catch((e: unknown) => e);
      expect(err, `truncated at ${n}`).toBeInstanceOf(DataError);
    }
    await expect(readNir('not bytes' as unknown as Uint8Array)).rejects.toThrow(ValueError);
  });

  it('a 3-D Affine weight, a bias of the wrong length', async () => {
    await rejects(
      file([
        [
          'fc',
          group([
            ['type', str('Affine')],
            ['weight', f32([2, 3, 4])],
            ['bias', f32([2])],
          ]),
        ],
      ]),
      'fc',
      'weight',
      /expected a 2-D array \[out, in\], found shape \[2, 3, 4\]/,
    );
    await rejects(
      file([
        [
          'fc',
          group([
            ['type', str('Affine')],
            ['weight', f32([2, 3])],
            ['bias', f32([3])],
          ]),
        ],
      ]),
      'fc',
      'bias',
      /expected shape \[2\] \(one per output\) or a scalar, found \[3\]/,
    );
  });

  it('a wrong dtype: strings where numbers belong, a float where an integer belongs', async () => {
    await rejects(
      file([
        [
          'lif',
          group([
            ['type', str('LIF')],
            ['tau', str('fast')],
            ['r', f32([3])],
            ['v_leak', f32([3])],
            ['v_threshold', f32([3])],
          ]),
        ],
      ]),
      'lif',
      'tau',
      /expected a numeric array \(float32 or float64\), found a string dataset of shape \[\]/,
    );
    await rejects(
      file([
        [
          'in',
          group([
            ['type', str('Input')],
            ['shape', f32([1], 2.5)],
          ]),
        ],
      ]),
      'in',
      'shape',
      /expected integers, found 2\.5 at index 0/,
    );
    await rejects(
      file([
        [
          'in',
          group([
            ['type', str('Input')],
            ['shape', ints([-3])],
          ]),
        ],
      ]),
      'in',
      'shape',
      /expected a shape \(a list of non-negative integers\), found \[-3\]/,
    );
  });

  it('a missing required field, an unexpected one, parameters of different shapes', async () => {
    const noThreshold = group([
      ['type', str('LIF')],
      ['tau', f32([3])],
      ['r', f32([3])],
      ['v_leak', f32([3])],
    ]);
    await rejects(file([['lif', noThreshold]]), 'lif', 'v_threshold', /missing \(a LIF node has tau, r, v_leak, v_threshold, v_reset\)/);
    await rejects(file([['lif', lif(3, [['gain', f32([3])]])]]), 'lif', 'gain', /unexpected field in a LIF node/);
    const g = await readNir(await file([['lif', lif(3, [['gain', f32([3])]])]]), { allowUnknown: true });
    expect(g.nodes.get('lif')?.type).toBe('LIF');
    const mixed = group([
      ['type', str('LIF')],
      ['tau', f32([3])],
      ['r', f32([4])],
      ['v_leak', f32([])],
      ['v_threshold', f32([3])],
    ]);
    await rejects(file([['lif', mixed]]), 'lif', 'r', /expected shape \[3\] like "tau" \(or a scalar\), found \[4\]/);
  });

  it('edges naming nodes that do not exist, edges of the wrong shape', async () => {
    await rejects(
      file([['lif', lif()]], [['lif', 'ghost']]),
      '',
      'edges',
      /edge 0 \[lif -> ghost\] names a node that is not in the graph: "ghost"/,
    );
    const wide = writeH5([
      [
        'node',
        group([
          ['type', str('NIRGraph')],
          ['nodes', group([])],
          ['edges', { kind: 'string', data: ['a', 'b', 'c'], shape: [1, 3] }],
        ]),
      ],
    ]);
    await rejects(wide, '', 'edges', /expected an E x 2 array of node names, found a string dataset of shape \[1, 3\]/);
    // a real snnTorch export (NIR paper, extras/): its subgraph's edges say "lif" for the node "lif1"
    await rejects(
      Promise.resolve(fixtureBytes('peers', 'braille_noDelay_bias_zero_subgraph')),
      'lif1',
      'edges',
      /names a node that is not in the graph: "lif"/,
    );
  });

  it('unknown node types: an error, or opaque nodes with allowUnknown', async () => {
    const odd = group([
      ['type', str('Identity')],
      ['shape', ints([3])],
    ]);
    await rejects(
      file([
        [
          'sub',
          group([
            ['type', str('NIRGraph')],
            ['nodes', group([['x', odd]])],
            ['edges', { kind: 'float', data: new Float64Array(0), shape: [0] }],
          ]),
        ],
      ]),
      'sub/x',
      'type',
      /unknown NIR node type "Identity" \(known: Input, Output/,
    );
    const g = await readNir(await file([['x', odd]]), { allowUnknown: true });
    expect(g.nodes.get('x')).toEqual({
      type: 'Unknown',
      nirType: 'Identity',
      fields: { shape: { data: new Float64Array([3]), shape: [1] } },
    });
  });

  it('a broken root: no "node" group, a graph of the wrong type, a version that is not one', async () => {
    await rejects(writeH5([['version', str('1.0.7')]]), '', 'node', /expected a group "node" at the root of the file \(found: version\)/);
    await rejects(writeH5([['node', lif()]]), '', 'type', /expected the root node to be a NIRGraph, found LIF/);
    await rejects(file([], [], 'banana'), '', 'version', /expected a version such as "1\.0\.7", found "banana"/);
    await rejects(
      writeH5([['node', group([['type', { kind: 'int', data: [7], shape: [] }]])]]),
      '',
      'type',
      /expected a string, found a int dataset of shape \[\]/,
    );
  });

  it('convolution and pooling fields: bad padding strings, wrong ranks, zero strides', async () => {
    const conv = (extra: E[], weight = f32([2, 1, 3, 3])) =>
      group([
        ['type', str('Conv2d')],
        ['weight', weight],
        ['stride', ints([1, 1])],
        ['dilation', ints([1, 1])],
        ['groups', { kind: 'int', data: [1], shape: [] }],
        ['bias', f32([2])],
        ...extra,
      ]);
    await rejects(file([['c', conv([['padding', str('full')]])]]), 'c', 'padding', /expected "same", "valid" or integers, found "full"/);
    await rejects(
      file([['c', conv([['padding', ints([1, 1])]], f32([2, 3, 3]))]]),
      'c',
      'weight',
      /expected a 4-D array \[C_out, C_in\/groups, K_h, K_w\], found shape \[2, 3, 3\]/,
    );
    const pool = group([
      ['type', str('SumPool2d')],
      ['kernel_size', ints([2, 2])],
      ['stride', ints([0, 2])],
      ['padding', ints([0, 0])],
    ]);
    await rejects(file([['p', pool]]), 'p', 'stride', /expected an integer >= 1 or 2 integers >= 1, found \[0,2\]/);
  });

  it('every error is a SpikeflowError', async () => {
    const err = await readNir(await file([['lif', lif()]], [['lif', 'nowhere']])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpikeflowError);
  });
});

describe('writeNir on graphs it cannot write', () => {
  const base = (nodes: [string, NirNode][], edges: [string, string][] = []): NirGraph => ({
    type: 'NIRGraph',
    nodes: new Map(nodes),
    edges,
  });
  const w = async (g: NirGraph) =>
    writeNir(g).then(
      () => undefined,
      (e: unknown) => e as NirError,
    );

  it('names the node and field', async () => {
    let e = await w(base([['a', { type: 'Input', shape: [2] }]], [['a', 'b']]));
    expect([e?.node, e?.field, e?.message]).toEqual([
      '',
      'edges',
      'root graph, field "edges": edge 0 [a -> b] names a node that is not in the graph: "b"',
    ]);
    e = await w(
      base([['fc', { type: 'Affine', weight: { data: [1, 2] as unknown as Float32Array, shape: [1, 2] }, bias: nirArray([0]) }]]),
    );
    expect(e?.message).toMatch(
      /node "fc", field "weight": expected an array \{data: Float32Array \| Float64Array, shape\}, found an object/,
    );
    e = await w(base([['fc', { type: 'Linear', weight: nirArray([1, 2, 3], [2, 2]) }]]));
    expect(e?.message).toMatch(/node "fc", field "weight": shape \[2, 2\] needs 4 values, found 3/);
    e = await w(base([['a/b', { type: 'Input', shape: [2] }]]));
    expect(e?.message).toMatch(/field "nodes": node names must be non-empty and contain no "\/"/);
    const conv: NirNode = {
      type: 'Conv1d',
      weight: nirArray(new Array(6).fill(0), [2, 1, 3]),
      stride: 1,
      padding: 'same',
      dilation: 1,
      groups: 1,
      bias: nirArray([0, 0]),
    };
    e = await w(base([['c', conv]]));
    expect([e?.node, e?.field]).toEqual(['c', 'input_shape']);
    e = await w(base([['c', { ...conv, input_shape: 8, groups: 3 }]]));
    expect(e?.message).toMatch(/node "c", field "groups": expected a positive integer that divides C_out = 2, found 3/);
    await expect(writeNir(base([]), { missingReset: 'zero' as 'omit' })).rejects.toThrow(ValueError);
  });
});
