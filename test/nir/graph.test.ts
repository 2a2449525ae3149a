import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/core/errors.js';
import { type NirGraph, type NirNode, nirTopologicalOrder, readNir } from '../../src/nir/index.js';
import { readNirFile, writeNirFile } from '../../src/nir/node.js';
import { fixtureBytes } from './helpers.js';

const graph = (names: string[], edges: [string, string][]): Pick<NirGraph, 'nodes' | 'edges'> => ({
  nodes: new Map(
    names.map((n): [string, NirNode] => [n, n.startsWith('in') ? { type: 'Input', shape: [1] } : { type: 'Output', shape: [1] }]),
  ),
  edges,
});

describe('nirTopologicalOrder', () => {
  it('orders an acyclic graph so every edge goes forward, whatever the node order', () => {
    const g = graph(
      ['c', 'b', 'in', 'a'],
      [
        ['in', 'a'],
        ['a', 'b'],
        ['b', 'c'],
        ['in', 'c'],
      ],
    );
    const r = nirTopologicalOrder(g);
    expect(r.acyclic).toBe(true);
    expect(r.backEdges).toEqual([]);
    expect(r.order).toEqual(['in', 'a', 'b', 'c']);
  });

  it('marks the recurrent edges of the fixtures as back edges, from the Input nodes', async () => {
    const g = await readNir(fixtureBytes('1.0.7', 'network'));
    const top = nirTopologicalOrder(g);
    expect(top.acyclic).toBe(false);
    expect(top.backEdges).toEqual([['fb', 'fc1']]);
    const pos = new Map(top.order.map((n, i) => [n, i]));
    for (const [a, b] of g.edges) if (!(a === 'fb' && b === 'fc1')) expect(pos.get(a)!, `${a} -> ${b}`).toBeLessThan(pos.get(b)!);
    expect(top.order[0]).toBe('input');
    const rnn = g.nodes.get('rnn') as NirGraph;
    expect(nirTopologicalOrder(rnn).backEdges).toEqual([['rec', 'lif']]);
    const braille = await readNir(fixtureBytes('peers', 'braille_noDelay_noBias_subtract'));
    expect(nirTopologicalOrder(braille).backEdges).toEqual([['lif1.w_rec', 'lif1.lif']]);
  });

  it('self-loops are back edges; nodes off every path still appear once', () => {
    const r = nirTopologicalOrder(
      graph(
        ['in', 'x', 'lonely'],
        [
          ['in', 'x'],
          ['x', 'x'],
        ],
      ),
    );
    expect(r.backEdges).toEqual([['x', 'x']]);
    expect([...r.order].sort()).toEqual(['in', 'lonely', 'x']);
  });

  it('a chain of 100000 nodes does not overflow the stack', () => {
    const names = Array.from({ length: 100_000 }, (_, i) => `n${i}`);
    const r = nirTopologicalOrder(
      graph(
        names,
        names.slice(1).map((n, i): [string, string] => [names[i], n]),
      ),
    );
    expect(r.order).toEqual(names);
  });
});

describe('readNirFile / writeNirFile (Node)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-nir-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('write atomically (no temporary file left), read back, errors name the path', async () => {
    const g = await readNir(fixtureBytes('1.0.7', 'primitives'));
    const path = join(dir, 'model.nir');
    await writeNirFile(path, g);
    expect(readdirSync(dir)).toEqual(['model.nir']);
    expect([...readFileSync(path).subarray(0, 4)]).toEqual([0x89, 0x48, 0x44, 0x46]);
    const back = await readNirFile(path);
    expect([...back.nodes.keys()]).toEqual([...g.nodes.keys()].sort());
    await expect(readNirFile(join(dir, 'missing.nir'))).rejects.toThrow(
      new DataError('cannot read the file: ENOENT', join(dir, 'missing.nir')),
    );
    writeFileSync(join(dir, 'text.nir'), 'hello');
    await expect(readNirFile(join(dir, 'text.nir'))).rejects.toThrow(/text\.nir: not an HDF5 file/);
  });
});
