import { NirError } from './check.js';
import type { NirGraph, NirNode } from './graph.js';

/** A node of a flattened graph: a NIR node, or the pass-through that a nested graph's Input or Output becomes. */
export type FlatNode = NirNode | { type: 'Identity' };

export interface FlatGraph {
  /** By path: "name" at the root, "sub/name" inside nested graph "sub". */
  nodes: Map<string, FlatNode>;
  edges: [string, string][];
}

/**
 * Inlines nested NIRGraphs: their nodes join the root graph under "graph/node" paths, their Input
 * and Output nodes become pass-throughs, an edge into a nested graph goes to its Input node and an
 * edge out of it leaves from its Output node (a nested graph needs exactly one of each when edges
 * name it). The root graph's Input and Output nodes stay as they are.
 */
export function flattenNir(g: NirGraph): FlatGraph {
  const flat: FlatGraph = { nodes: new Map(), edges: [] };
  inline(g, '', flat);
  return flat;
}

const only = (g: NirGraph, type: 'Input' | 'Output', path: string, field: string): string => {
  const names = [...g.nodes].filter(([, n]) => n.type === type).map(([k]) => k);
  if (names.length !== 1)
    throw new NirError(
      `an edge names this nested graph, so it needs exactly one ${type} node; found ${names.length}${names.length ? ` (${names.join(', ')})` : ''}`,
      path,
      field,
    );
  return names[0];
};

/** Adds g's nodes and edges under `prefix`. */
function inline(g: NirGraph, prefix: string, flat: FlatGraph): void {
  const path = (name: string) => (prefix === '' ? name : `${prefix}/${name}`);
  for (const [name, node] of g.nodes) {
    if (node.type === 'NIRGraph') inline(node, path(name), flat);
    else if (prefix !== '' && (node.type === 'Input' || node.type === 'Output')) flat.nodes.set(path(name), { type: 'Identity' });
    else flat.nodes.set(path(name), node);
  }
  const end = (name: string, dir: 'Input' | 'Output'): string => {
    const node = g.nodes.get(name);
    if (node?.type !== 'NIRGraph') return path(name);
    return `${path(name)}/${only(node, dir, path(name), 'edges')}`;
  };
  for (const [a, b] of g.edges) flat.edges.push([end(a, 'Output'), end(b, 'Input')]);
}
