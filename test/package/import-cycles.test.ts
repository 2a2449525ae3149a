import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

// The folders of src/ form layers: core below kernels below neurons and nn, and so on. A folder that
// imports (values or types) from a folder that imports from it back is a cycle; this test fails on any.
const src = resolve(import.meta.dirname, '..', '..', 'src');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/g;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return n === 'assembly' ? [] : files(p);
    return /\.ts$/.test(n) && !/\.d\.ts$/.test(n) ? [p] : [];
  });
}

/** Folder of a source file under src/ (its first path part); files directly in src/ are the package's entry points. */
const folderOf = (file: string) => relative(src, file).split('/')[0].replace(/\.ts$/, '');

function folderGraph(): Map<string, Map<string, string>> {
  const edges = new Map<string, Map<string, string>>();
  for (const f of files(src)) {
    const from = folderOf(f);
    if (!relative(src, f).includes('/')) continue; // index.ts, node.ts: entry points import everything
    for (const m of readFileSync(f, 'utf8').matchAll(IMPORT)) {
      const to = folderOf(resolve(dirname(f), m[1]));
      if (to === from) continue;
      if (!edges.has(from)) edges.set(from, new Map());
      edges.get(from)!.set(to, `${relative(src, f)} -> ${m[1]}`);
    }
  }
  return edges;
}

/** Every cycle (as a list of folders with the import that makes each step), found by depth-first search. */
function cycles(edges: Map<string, Map<string, string>>): string[] {
  const found = new Map<string, string>();
  const visit = (node: string, path: string[]) => {
    for (const [next, why] of edges.get(node) ?? []) {
      const at = path.indexOf(next);
      if (at >= 0) {
        const loop = [...path.slice(at), next];
        const key = loop.slice(0, -1).sort().join(',');
        if (!found.has(key)) found.set(key, `${loop.join(' -> ')} (${why})`);
      } else if (path.length < 12) visit(next, [...path, next]);
    }
  };
  for (const n of edges.keys()) visit(n, [n]);
  return [...found.values()];
}

describe('import structure', () => {
  it('no two folders of src/ import from each other, directly or through others', () => {
    expect(cycles(folderGraph())).toEqual([]);
  });

  it('the check finds a cycle when there is one', () => {
    const g = new Map([
      ['a', new Map([['b', 'a.ts -> ../b/x.js']])],
      ['b', new Map([['c', 'b.ts']])],
      ['c', new Map([['a', 'c.ts']])],
    ]);
    expect(cycles(g)).toHaveLength(1);
    expect(cycles(g)[0]).toMatch(/a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c/);
  });
});
