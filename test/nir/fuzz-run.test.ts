import { describe, expect, it } from 'vitest';
import { SpikeflowError } from '../../src/core/errors.js';
import type { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { type H5Entry, type H5Tree, type H5WriteEntry, readH5Tree, writeH5 } from '../../src/nir/h5.js';
import { type NirGraph, fromNir, nirArray, readNir, writeNir } from '../../src/nir/index.js';
import { type Outcome, TIMEOUT, cases, fuzz, mutateBytes, pick, report } from '../fuzz/harness.js';
import { fixtureBytes } from './helpers.js';

// Mutated .nir files, read AND run: each case's bytes go through readNir, then fromNir and one forward
// pass on a small input; only graphs that run or typed errors (SpikeflowError) may come out, and no
// case may take 2 s. Mutations: of the HDF5 tree (wrong dtypes, shapes that do not chain, unknown node
// types, dangling and extra edges, cycles, missing fields, hostile values), rewritten with the HDF5
// writer; of the graph (extra edges and cycles, Input shapes, parameter values), written with writeNir;
// and of the bytes of written files (flips, overwrites, truncations, insertions).

const SOURCES: [string, string][] = [
  ['1.0.7', 'network'],
  ['1.0.7', 'primitives'],
  ['0.2', 'network'],
  ['peers/snntorch', 'snntorch_fc'],
  ['peers/snntorch', 'snntorch_conv'],
  ['peers/snntorch', 'snntorch_rleaky'],
  ['peers/snntorch', 'snntorch_synaptic'],
];

type Entries = [string, H5WriteEntry][];

/** The read tree as the writer's entries (datasets of unsupported types left out). */
function toEntries(t: H5Tree): Entries {
  const out: Entries = [];
  for (const [name, e] of t.children) {
    const w = toEntry(e);
    if (w) out.push([name, w]);
  }
  return out;
}

function toEntry(e: H5Entry): H5WriteEntry | null {
  if (e.kind === 'group') return { kind: 'group', children: toEntries(e) };
  const d = e.data;
  if (d === null) return null;
  if (d instanceof Float32Array || d instanceof Float64Array) return { kind: 'float', data: d.slice(), shape: [...e.shape] };
  if (e.dtype === 'int') return { kind: 'int', data: [...(d as number[])], shape: [...e.shape] };
  if (e.dtype === 'string') return { kind: 'string', data: [...(d as string[])], shape: [...e.shape] };
  if (e.dtype === 'bool') return { kind: 'bool', value: Boolean((d as boolean[])[0]) };
  return null;
}

const clone = (x: Entries): Entries =>
  x.map(([k, e]) => [k, e.kind === 'group' ? { kind: 'group', children: clone(e.children) } : structuredClone(e)]);

/** Every entry with its parent's children list, depth first. */
function walk(es: Entries, out: { parent: Entries; i: number; path: string }[] = [], path = ''): typeof out {
  es.forEach(([k, e], i) => {
    out.push({ parent: es, i, path: `${path}/${k}` });
    if (e.kind === 'group') walk(e.children, out, `${path}/${k}`);
  });
  return out;
}

/** Groups that are NIR graphs (they hold `edges` and `nodes`), and the node names of each. */
function graphs(es: Entries): { edges: [string, H5WriteEntry]; names: string[] }[] {
  const out: { edges: [string, H5WriteEntry]; names: string[] }[] = [];
  for (const { parent, i } of walk(es)) {
    const e = parent[i][1];
    if (e.kind !== 'group') continue;
    const edges = e.children.find(([k]) => k === 'edges');
    const nodes = e.children.find(([k]) => k === 'nodes');
    if (edges && nodes?.[1].kind === 'group') out.push({ edges, names: nodes[1].children.map(([k]) => k) });
  }
  return out;
}

const TYPES = [
  'LIF',
  'CubaLIF',
  'IF',
  'LI',
  'I',
  'CubaLI',
  'Affine',
  'Linear',
  'Scale',
  'Conv2d',
  'Flatten',
  'Delay',
  'Threshold',
  'Input',
  'Output',
  'NIRGraph',
];
const UNKNOWN = ['LIFX', 'Conv3d', '', 'lif', 'Graph', 'Affine ', 'MaxPool2d'];
const VALUES = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -1, 1e30, -1e-30, 3.5e38, 1e-45];

/** One structural mutation of the tree (in place); returns what it did. */
function mutateTree(rng: Rng, es: Entries): string {
  const all = walk(es);
  const datasets = all.filter(({ parent, i }) => parent[i][1].kind !== 'group');
  const at = pick(rng, datasets);
  const [name, e] = at.parent[at.i];
  switch (rng.int(7)) {
    case 0: {
      // wrong dtype
      if (e.kind === 'float')
        at.parent[at.i] = [
          name,
          rng.int(2)
            ? { kind: 'int', data: Array.from(e.data, (v) => (Number.isFinite(v) ? Math.round(v) : 0)), shape: e.shape }
            : { kind: 'string', data: Array.from(e.data, String), shape: e.shape },
        ];
      else if (e.kind === 'string')
        at.parent[at.i] = [
          name,
          rng.int(2)
            ? { kind: 'int', data: e.data.map(() => rng.int(9)), shape: e.shape }
            : { kind: 'float', data: Float32Array.from(e.data, () => rng.uniform()), shape: e.shape },
        ];
      else if (e.kind === 'int')
        at.parent[at.i] = [
          name,
          rng.int(2)
            ? { kind: 'float', data: Float64Array.from(e.data, (v) => v + 0.5), shape: e.shape }
            : { kind: 'string', data: e.data.map(String), shape: e.shape },
        ];
      else at.parent[at.i] = [name, { kind: 'int', data: [7], shape: [] }];
      return `dtype of ${at.path}`;
    }
    case 1: {
      // a shape that does not chain: resize one dimension (data resized to match)
      if (e.kind !== 'float' && e.kind !== 'int') return 'nothing';
      const shape = e.shape.length ? [...e.shape] : [1];
      const d = rng.int(shape.length);
      shape[d] = Math.max(0, shape[d] + pick(rng, [-1, 1, 2, 5]));
      const n = shape.reduce((a, b) => a * b, 1);
      const src = Array.from(e.data as ArrayLike<number>);
      const data = Array.from({ length: n }, (_, k) => src[k % Math.max(1, src.length)] ?? 0);
      at.parent[at.i] = [name, e.kind === 'float' ? { kind: 'float', data: Float32Array.from(data), shape } : { kind: 'int', data, shape }];
      return `shape of ${at.path} -> [${shape}]`;
    }
    case 2: {
      // node type: unknown, or another known type (fields then do not fit)
      const types = datasets.filter(({ parent, i }) => parent[i][0] === 'type');
      const t = pick(rng, types);
      const v = rng.int(2) ? pick(rng, UNKNOWN) : pick(rng, TYPES);
      t.parent[t.i] = ['type', { kind: 'string', data: [v], shape: [] }];
      return `type of ${t.path} -> ${JSON.stringify(v)}`;
    }
    case 3: {
      // edges: dangling, extra (often a cycle), removed, reversed
      const gs = graphs(es);
      if (!gs.length) return 'nothing';
      const g = pick(rng, gs);
      const ed = g.edges[1];
      if (ed.kind !== 'string') return 'nothing';
      const rows: string[][] = [];
      for (let k = 0; k + 1 < ed.data.length; k += 2) rows.push([ed.data[k], ed.data[k + 1]]);
      const what = rng.int(4);
      if (what === 0) rows.push([pick(rng, g.names), pick(rng, ['ghost', 'lif9', '', 'input/x'])]);
      else if (what === 1) rows.push([pick(rng, g.names), pick(rng, g.names)]);
      else if (what === 2 && rows.length) rows.splice(rng.int(rows.length), 1);
      else if (rows.length) rows[rng.int(rows.length)].reverse();
      g.edges[1] = { kind: 'string', data: rows.flat(), shape: [rows.length, 2] };
      return `edges (${['dangling', 'extra', 'removed', 'reversed'][what]})`;
    }
    case 4: {
      // a missing field or node
      const any = pick(rng, all);
      any.parent.splice(any.i, 1);
      return `removed ${any.path}`;
    }
    case 5: {
      // hostile values
      if (e.kind !== 'float' || !e.data.length) return 'nothing';
      const k = rng.int(e.data.length);
      e.data[k] = pick(rng, VALUES);
      return `${at.path}[${k}] = ${e.data[k]}`;
    }
    default: {
      // a group renamed (edges then name a node that is not there)
      const groups = all.filter(({ parent, i }) => parent[i][1].kind === 'group');
      const g = pick(rng, groups);
      g.parent[g.i] = [`${g.parent[g.i][0]}_`, g.parent[g.i][1]];
      return `renamed ${g.path}`;
    }
  }
}

/** A graph-level mutation written through writeNir (extra edges and cycles, Input shapes, parameter values). */
function mutateGraph(rng: Rng, g: NirGraph): string {
  const names = [...g.nodes.keys()];
  switch (rng.int(4)) {
    case 0: {
      const e: [string, string] = [pick(rng, names), pick(rng, names)];
      g.edges.push(e);
      return `edge ${e.join(' -> ')}`;
    }
    case 1: {
      const inputs = names.filter((n) => g.nodes.get(n)!.type === 'Input');
      const n = pick(rng, inputs);
      const shape = pick(rng, [[3], [1, 4, 4], [2, 3], [1], [0], [7, 7]]);
      g.nodes.set(n, { type: 'Input', shape });
      return `Input ${n} shape [${shape}]`;
    }
    case 2: {
      const n = pick(rng, names);
      const node = g.nodes.get(n) as unknown as Record<string, unknown>;
      const fields = Object.keys(node).filter(
        (k) =>
          (node[k] as { data?: unknown })?.data instanceof Float32Array || (node[k] as { data?: unknown })?.data instanceof Float64Array,
      );
      if (!fields.length) return 'nothing';
      const f = pick(rng, fields);
      const a = node[f] as { data: Float32Array | Float64Array };
      a.data[rng.int(a.data.length)] = pick(rng, VALUES);
      return `${n}.${f} hostile`;
    }
    default: {
      const n = pick(rng, names);
      const node = g.nodes.get(n) as unknown as Record<string, unknown>;
      const fields = Object.keys(node).filter((k) => (node[k] as { data?: unknown })?.data instanceof Float32Array);
      if (!fields.length) return 'nothing';
      const f = pick(rng, fields);
      const a = node[f] as { data: Float32Array; shape: number[] };
      // a per-neuron array of another length: shapes that do not chain
      const len = Math.max(1, a.data.length + pick(rng, [-1, 1, 3]));
      node[f] = nirArray(
        Array.from({ length: len }, (_, k) => a.data[k % a.data.length]),
        [len],
      );
      return `${n}.${f} of ${len} values`;
    }
  }
}

/** readNir, then fromNir and one forward of 3 steps of one sample on every Input. */
async function readAndRun(bytes: Uint8Array): Promise<void> {
  const g = await readNir(bytes, { file: 'case.nir' });
  const model = fromNir(g, { dt: 1e-3 });
  const inputs: Record<string, Tensor> = {};
  for (const [name, shape] of Object.entries(model.inputs)) {
    const n = shape.reduce((p, q) => p * q, 1);
    inputs[name] = new Tensor(
      Float32Array.from({ length: 3 * n }, (_, k) => ((k * 7919) % 13) / 4),
      [3, 1, ...shape],
    );
  }
  model.forward(inputs, { kernels: referenceKernels });
}

/** What the run must keep to: a typed error that does not wrap a crash, within 2 s. */
function breach(o: Outcome): string | null {
  if (o.ms >= 2000) return `took ${o.ms.toFixed(0)} ms`;
  if (o.ok) return null;
  const e = o.error;
  if (!(e instanceof SpikeflowError)) return `untyped ${(e as Error)?.name}: ${(e as Error)?.message ?? String(e)}`;
  if (
    /Cannot read prop|is not a function|is not iterable|undefined \(reading|Invalid array length|Invalid typed array length|Maximum call stack/i.test(
      e.message,
    )
  )
    return `${e.name} wraps a crash: ${e.message}`;
  return null;
}

describe('mutated .nir files, read and run (seeded fuzz): a graph that runs or a typed error, never a crash or a hang', async () => {
  const trees = await Promise.all(SOURCES.map(async ([d, n]) => toEntries(await readH5Tree(fixtureBytes(d, n), `${d}/${n}`))));
  const written = await Promise.all(SOURCES.map(async ([d, n]) => writeNir(await readNir(fixtureBytes(d, n)), { missingReset: 'omit' })));

  it(
    `${cases(1000)} HDF5-tree mutations (dtypes, shapes, node types, edges, missing fields and nodes, values)`,
    async () => {
      const s = await fuzz(
        0x4e49_5201,
        cases(1000),
        async (rng) => {
          const k = rng.int(SOURCES.length);
          const es = clone(trees[k]);
          const what = [mutateTree(rng, es), ...(rng.int(3) === 0 ? [mutateTree(rng, es)] : [])];
          return { label: `${SOURCES[k].join('/')}: ${what.join('; ')}`, bytes: await writeH5(es) };
        },
        (c) => readAndRun(c.bytes),
        (_c, o) => breach(o),
      );
      console.log(report('nir tree mutations', s));
      expect(s.failures).toEqual([]);
      expect(s.cases).toBe(cases(1000));
      // the mutations reach the executor, and most are refused with a typed error
      expect(s.ok).toBeGreaterThan(s.cases / 20);
      expect(s.cases - s.ok).toBeGreaterThan(s.cases / 2);
    },
    TIMEOUT,
  );

  it(
    `${cases(250)} graph mutations written with writeNir (cycles, Input shapes, per-neuron lengths, values)`,
    async () => {
      let refusedByWriter = 0;
      const s = await fuzz(
        0x4e49_5202,
        cases(250),
        async (rng) => {
          const k = rng.int(SOURCES.length);
          const g = await readNir(fixtureBytes(...SOURCES[k]));
          const what = mutateGraph(rng, g);
          let bytes: Uint8Array | null = null;
          let refused: unknown = null;
          try {
            bytes = await writeNir(g, { missingReset: 'omit' });
          } catch (e) {
            refused = e;
            refusedByWriter++;
          }
          return { label: `${SOURCES[k].join('/')}: ${what}`, bytes, refused };
        },
        async (c) => {
          if (c.refused) throw c.refused;
          await readAndRun(c.bytes!);
        },
        (_c, o) => breach(o),
      );
      console.log(`${report('nir graph mutations', s)}; refused by writeNir ${refusedByWriter}`);
      expect(s.failures).toEqual([]);
      expect(refusedByWriter).toBeLessThan(s.cases / 2);
      expect(s.ok).toBeGreaterThan(0);
    },
    TIMEOUT,
  );

  it(
    `${cases(500)} byte-level mutations of spikeflow-written files`,
    async () => {
      const s = await fuzz(
        0x4e49_5203,
        cases(500),
        (rng) => {
          const k = rng.int(SOURCES.length);
          return { label: SOURCES[k].join('/'), bytes: mutateBytes(rng, written[k]) };
        },
        (c) => readAndRun(c.bytes),
        (_c, o) => breach(o),
      );
      console.log(report('nir byte mutations', s));
      expect(s.failures).toEqual([]);
      expect(s.cases - s.ok).toBeGreaterThan(0);
    },
    TIMEOUT,
  );
});
