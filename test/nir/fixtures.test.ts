import { describe, expect, it } from 'vitest';
import { readNir } from '../../src/nir/index.js';
import { expectNode, fixtureBytes, fixtureExpected, fixtureList } from './helpers.js';

const list = fixtureList();

describe('readNir on files written by the Python nir releases and by the peers', () => {
  it('has the fixtures of every release and of the peers', () => {
    const dirs = new Set(list.map(([d]) => d));
    for (const d of ['0.1', '0.2', '1.0.1', '1.0.4', '1.0.7', 'main-7232ada', 'peers']) expect(dirs.has(d), d).toBe(true);
    expect(list.length).toBe(15);
  });

  for (const [dir, name] of list) {
    it(`${dir}/${name}: the same nodes, fields, values, edges and metadata as Python nir ${fixtureExpected(dir, name).library} reads`, async () => {
      const want = fixtureExpected(dir, name).read;
      const g = await readNir(fixtureBytes(dir, name), { file: `${dir}/${name}.nir` });
      expect(g.version).toBe(want.version);
      expectNode(g, want, '');
    });
  }
});
