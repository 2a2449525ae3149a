import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { expect } from 'vitest';
import type { NirArray, NirGraph, NirMetaValue, NirNode } from '../../src/nir/index.js';

/** test/fixtures/nir: one folder per Python nir release (made by tools/nir-fixtures.py) and peers/. */
export const FIXTURES = fileURLToPath(new URL('../fixtures/nir', import.meta.url));

/** Every fixture with expected values: [folder, name] with `name.nir.gz` and `name.json`. */
export function fixtureList(): [string, string][] {
  const out: [string, string][] = [];
  for (const dir of readdirSync(FIXTURES).sort()) {
    if (dir.endsWith('.md')) continue;
    for (const f of readdirSync(join(FIXTURES, dir)).sort()) {
      const name = f.slice(0, -'.nir.gz'.length);
      if (f.endsWith('.nir.gz') && existsSync(join(FIXTURES, dir, `${name}.json`))) out.push([dir, name]);
    }
  }
  return out;
}

/** The fixture's bytes (stored gzipped: HDF5 files are mostly empty space). */
export function fixtureBytes(dir: string, name: string): Uint8Array {
  return new Uint8Array(gunzipSync(readFileSync(join(FIXTURES, dir, `${name}.nir.gz`))));
}

/** What the Python nir release that wrote the file read back from it (tools/nir-fixtures.py). */
export function fixtureExpected(dir: string, name: string): { library: string; read: PyNode } {
  return JSON.parse(readFileSync(join(FIXTURES, dir, `${name}.json`), 'utf8'));
}

/** tools/nir-fixtures.py's description of a value: arrays, tagged numbers, strings, records. */
export type PyValue =
  | { data: number[]; dtype: string; shape: number[] }
  | { int: number }
  | { float: number }
  | { bool: boolean }
  | { strings: string[]; shape: number[] }
  | string
  | PyValue[]
  | { [k: string]: PyValue };
export type PyNode = { type: string; [field: string]: unknown };

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Float equality at the precision of the stored type (float32 values are compared after rounding). */
function sameNumbers(got: ArrayLike<number>, want: number[], f32: boolean, where: string): void {
  expect(got.length, `${where}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = f32 ? Math.fround(want[i]) : want[i];
    if (got[i] !== w) expect(got[i], `${where}[${i}]`).toBe(w);
  }
}

/** A parameter array against Python's description ({data, dtype, shape}, or a 0-d {float}/{int}). */
export function expectArray(got: NirArray | undefined, want: PyValue, where: string): void {
  expect(got, `${where}: missing`).toBeDefined();
  const g = got as NirArray;
  if (isObj(want) && 'float' in want) {
    expect(g.shape, `${where}: shape`).toEqual([]);
    sameNumbers(g.data, [want.float as number], g.data instanceof Float32Array, where);
    return;
  }
  if (isObj(want) && 'int' in want) {
    expect(g.shape, `${where}: shape`).toEqual([]);
    sameNumbers(g.data, [want.int as number], false, where);
    return;
  }
  const w = want as { data: number[]; dtype: string; shape: number[] };
  expect(g.shape, `${where}: shape`).toEqual(w.shape);
  const type = w.dtype === 'float32' ? Float32Array : Float64Array; // integer arrays read as float64
  expect(g.data, `${where}: dtype ${w.dtype}`).toBeInstanceOf(type);
  sameNumbers(g.data, w.data, w.dtype === 'float32', where);
}

/** An integer field (stride, groups, shape, ...) against Python's description. */
export function expectInts(got: unknown, want: PyValue, where: string): void {
  if (isObj(want) && 'int' in want) expect(got, where).toBe(want.int);
  else if (isObj(want) && 'data' in want) expect(got, where).toEqual(want.data);
  else expect(got, where).toEqual(want);
}

export function expectMeta(got: NirMetaValue | undefined, want: PyValue, where: string): void {
  if (typeof want === 'string') expect(got, where).toBe(want);
  else if (isObj(want) && 'int' in want) expect(got, where).toBe(want.int);
  else if (isObj(want) && 'float' in want) expect(got, where).toBe(want.float);
  else if (isObj(want) && 'bool' in want) expect(got, where).toBe(want.bool);
  else if (isObj(want) && 'strings' in want) expect(got, where).toEqual(want.strings);
  else if (isObj(want) && 'dtype' in want) expectArray(got as NirArray, want, where);
  else {
    expect(isObj(got), `${where}: a record`).toBe(true);
    const g = got as Record<string, NirMetaValue>;
    expect(Object.keys(g).sort(), `${where}: keys`).toEqual(Object.keys(want as object).sort());
    for (const [k, v] of Object.entries(want as Record<string, PyValue>)) expectMeta(g[k], v, `${where}.${k}`);
  }
}

const INT_FIELDS = new Set([
  'shape',
  'stride',
  'padding',
  'dilation',
  'groups',
  'kernel_size',
  'start_dim',
  'end_dim',
  'input_shape',
  'input_type',
]);

/** A node (recursively for graphs) against what Python nir read from the same file. */
export function expectNode(got: NirNode, want: PyNode, where: string): void {
  expect(got.type, `${where}: type`).toBe(want.type);
  const g = got as unknown as Record<string, unknown>;
  if (want.type === 'NIRGraph') {
    const graph = got as NirGraph;
    const nodes = want.nodes as Record<string, PyNode>;
    expect([...graph.nodes.keys()].sort(), `${where}: node names`).toEqual(Object.keys(nodes).sort());
    for (const [k, v] of Object.entries(nodes)) expectNode(graph.nodes.get(k)!, v, where ? `${where}/${k}` : k);
    expect(graph.edges, `${where}: edges`).toEqual(want.edges);
  } else {
    // the same fields, no more: e.g. no v_reset where that release had none
    const ours = Object.keys(g).filter((k) => k !== 'type' && k !== 'metadata' && g[k] !== undefined);
    const theirs = Object.keys(want).filter((k) => k !== 'type' && k !== 'metadata');
    expect(ours.sort(), `${where}: fields`).toEqual(theirs.sort());
    for (const k of theirs) {
      const w = want[k] as PyValue;
      if (INT_FIELDS.has(k)) expectInts(g[k], w, `${where}.${k}`);
      else expectArray(g[k] as NirArray, w, `${where}.${k}`);
    }
  }
  if (want.metadata !== undefined) expectMeta(got.metadata, want.metadata as PyValue, `${where}.metadata`);
  else expect(got.metadata === undefined || Object.keys(got.metadata).length === 0, `${where}: no metadata`).toBe(true);
}
