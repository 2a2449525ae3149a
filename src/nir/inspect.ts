import { esc, PALETTE, r2, svgDoc } from '../viz/svg.js';
import { NirError, shapeStr } from './check.js';
import { flattenNir } from './flat.js';
import { type NirArray, type NirGraph, type NirMetadata, type NirMetaValue, type NirNode, nirTopologicalOrder } from './graph.js';
import { outputShape } from './shapes.js';

/** min / mean / max of one parameter array, with its shape. */
export interface NirParamSummary {
  shape: number[];
  min: number;
  mean: number;
  max: number;
}

export interface NirNodeSummary {
  /** Path: "name" at the root, "sub/name" inside nested graph "sub". */
  path: string;
  /** The NIR type ("LIF", "NIRGraph"; an unknown type's own name). */
  type: string;
  /** Input and output shape without batch and time (null where they cannot be inferred; `shapeError` says why). */
  inShape: number[] | null;
  outShape: number[] | null;
  shapeError?: string;
  /** Each array field of the node. */
  params: Record<string, NirParamSummary>;
  /** The other fields (stride, padding, ...), as stored. */
  attributes: Record<string, unknown>;
  metadata?: NirMetadata;
}

export interface NirSummary {
  version: string | null;
  metadata: NirMetadata | null;
  /** Every node, nested graphs included (the graph's own row, then its nodes), in the file's order. */
  nodes: NirNodeSummary[];
  /** The edges of the flattened graph (nested graphs' Input/Output as their paths), `back` where an edge closes a cycle. */
  edges: { from: string; to: string; back: boolean }[];
}

const isArray = (v: unknown): v is NirArray =>
  typeof v === 'object' && v !== null && ((v as NirArray).data instanceof Float32Array || (v as NirArray).data instanceof Float64Array);

function stats(a: NirArray): NirParamSummary {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (const x of a.data) {
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
  }
  const n = a.data.length;
  return n ? { shape: [...a.shape], min, mean: sum / n, max } : { shape: [...a.shape], min: Number.NaN, mean: Number.NaN, max: Number.NaN };
}

/** JSON-friendly metadata (arrays as plain numbers). */
function plainMeta(m: NirMetadata): NirMetadata {
  const conv = (v: NirMetaValue): NirMetaValue =>
    isArray(v)
      ? ({ shape: v.shape, data: Array.from(v.data) } as unknown as NirMetaValue)
      : typeof v === 'object' && v !== null && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, conv(x)]))
        : v;
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, conv(v)]));
}

/**
 * What `spikeflow nir inspect` shows: every node with its type, shapes (inferred from the Input
 * nodes along the edges, back edges left out) and a min/mean/max summary per parameter array; the
 * edges with the back edges (recurrent connections) marked; the file's version and metadata.
 */
export function summarizeNir(graph: NirGraph): NirSummary {
  const flat = flattenNir(graph);
  const { order, backEdges } = nirTopologicalOrder(flat as Pick<NirGraph, 'nodes' | 'edges'>);
  const back = new Set(backEdges.map(([a, b]) => `${a}\u0000${b}`));
  const preds = new Map<string, string[]>();
  for (const [a, b] of flat.edges) if (!back.has(`${a}\u0000${b}`)) preds.set(b, [...(preds.get(b) ?? []), a]);
  const shapes = new Map<string, { in: number[] | null; out: number[] | null; error?: string }>();
  for (const name of order) {
    const node = flat.nodes.get(name)!;
    const p = preds.get(name) ?? [];
    const inp = node.type === 'Input' ? node.shape : p.length ? (shapes.get(p[0])?.out ?? null) : null;
    if (inp === null) {
      shapes.set(name, { in: null, out: null, error: p.length ? `its input ${p[0]} has no known shape` : 'nothing feeds it' });
      continue;
    }
    try {
      shapes.set(name, { in: inp, out: outputShape(node, inp, name) });
    } catch (e) {
      shapes.set(name, { in: inp, out: null, error: e instanceof NirError ? e.message : String(e) });
    }
  }
  const nodes: NirNodeSummary[] = [];
  const walk = (g: NirGraph, prefix: string) => {
    for (const [name, node] of g.nodes) {
      const path = prefix ? `${prefix}/${name}` : name;
      nodes.push(nodeSummary(path, node, shapes, prefix !== ''));
      if (node.type === 'NIRGraph') walk(node, path);
    }
  };
  walk(graph, '');
  return {
    version: graph.version ?? null,
    metadata: graph.metadata ? plainMeta(graph.metadata) : null,
    nodes,
    edges: flat.edges.map(([from, to]) => ({ from, to, back: back.has(`${from}\u0000${to}`) })),
  };
}

function nodeSummary(
  path: string,
  node: NirNode,
  shapes: Map<string, { in: number[] | null; out: number[] | null; error?: string }>,
  nested: boolean,
): NirNodeSummary {
  const params: Record<string, NirParamSummary> = {};
  const attributes: Record<string, unknown> = {};
  let sh = shapes.get(path);
  if (node.type === 'NIRGraph') {
    // a nested graph: from its Input's shape to its Output's
    const io = (t: string) => [...node.nodes].find(([, n]) => n.type === t)?.[0];
    const i = io('Input');
    const o = io('Output');
    sh = { in: i ? (shapes.get(`${path}/${i}`)?.in ?? null) : null, out: o ? (shapes.get(`${path}/${o}`)?.out ?? null) : null };
  } else {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'type' || k === 'metadata') continue;
      if (isArray(v)) params[k] = stats(v);
      else if (node.type === 'Unknown' && k === 'fields')
        for (const [f, x] of Object.entries(v as Record<string, unknown>)) {
          if (isArray(x)) params[f] = stats(x);
          else attributes[f] = x;
        }
      else attributes[k] = v;
    }
  }
  const type = node.type === 'Unknown' ? node.nirType : node.type;
  const out: NirNodeSummary = {
    path,
    type: nested && (node.type === 'Input' || node.type === 'Output') ? node.type : type,
    inShape: sh?.in ?? null,
    outShape: sh?.out ?? null,
    params,
    attributes,
  };
  if (sh?.error) out.shapeError = sh.error;
  if (node.metadata) out.metadata = plainMeta(node.metadata);
  return out;
}

const num = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : String(x));

/** The summary as lines of text (the CLI's `nir inspect` without --json). */
export function formatNirSummary(s: NirSummary, file: string): string {
  const lines: string[] = [];
  lines.push(`${file}: NIR ${s.version ?? '(no version: a 0.1 file)'}, ${s.nodes.length} nodes, ${s.edges.length} edges`);
  if (s.metadata) lines.push(`metadata: ${JSON.stringify(s.metadata)}`);
  lines.push('nodes:');
  for (const n of s.nodes) {
    const depth = n.path.split('/').length - 1;
    const shape = `${n.inShape ? shapeStr(n.inShape) : '?'} -> ${n.outShape ? shapeStr(n.outShape) : '?'}`;
    const attrs = Object.entries(n.attributes)
      .filter(([k]) => k !== 'nodes' && k !== 'edges' && k !== 'nirType')
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    lines.push(`${'  '.repeat(depth + 1)}${n.path}  ${n.type}  ${shape}${attrs.length ? `  ${attrs.join(' ')}` : ''}`);
    if (n.shapeError) lines.push(`${'  '.repeat(depth + 2)}(shape: ${n.shapeError})`);
    for (const [k, p] of Object.entries(n.params))
      lines.push(`${'  '.repeat(depth + 2)}${k} ${shapeStr(p.shape)}  min ${num(p.min)}  mean ${num(p.mean)}  max ${num(p.max)}`);
    if (n.metadata) lines.push(`${'  '.repeat(depth + 2)}metadata: ${JSON.stringify(n.metadata)}`);
  }
  lines.push('edges:');
  for (const e of s.edges) lines.push(`  ${e.from} -> ${e.to}${e.back ? '  (back edge: carries the previous step)' : ''}`);
  return lines.join('\n');
}

const BOX_W = 150;
const BOX_H = 46;
const GAP_X = 60;
const GAP_Y = 26;
const PAD = 30;

/**
 * The graph as an SVG: one box per node of the flattened graph (type and output shape), columns by
 * the longest path from the inputs, an arrow per edge; back edges (recurrent connections, one step
 * later) dashed, in another colour, and routed below the boxes; nested graphs as dashed frames.
 */
export function nirGraphSvg(graph: NirGraph, title = 'NIR graph'): string {
  const s = summarizeNir(graph);
  const flat = flattenNir(graph);
  const byPath = new Map(s.nodes.map((n) => [n.path, n]));
  const { order } = nirTopologicalOrder(flat as Pick<NirGraph, 'nodes' | 'edges'>);
  const col = new Map<string, number>();
  for (const name of order) col.set(name, 0);
  for (const name of order)
    for (const e of s.edges) if (!e.back && e.from === name) col.set(e.to, Math.max(col.get(e.to) ?? 0, (col.get(name) ?? 0) + 1));
  const rows = new Map<number, number>();
  const pos = new Map<string, { x: number; y: number }>();
  for (const name of order) {
    const c = col.get(name)!;
    const r = rows.get(c) ?? 0;
    rows.set(c, r + 1);
    pos.set(name, { x: PAD + c * (BOX_W + GAP_X), y: PAD + 20 + r * (BOX_H + GAP_Y) });
  }
  const cols = Math.max(1, ...[...col.values()].map((c) => c + 1));
  const maxRows = Math.max(1, ...rows.values());
  const backCount = s.edges.filter((e) => e.back).length;
  const width = PAD * 2 + cols * BOX_W + (cols - 1) * GAP_X;
  const height = PAD * 2 + 20 + maxRows * (BOX_H + GAP_Y) + backCount * 14 + 10;
  const parts: string[] = [
    '<defs>',
    `<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#333"/></marker>`,
    `<marker id="arrow-back" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="${PALETTE[1]}"/></marker>`,
    '</defs>',
  ];
  // nested graphs: a dashed frame around their nodes
  for (const n of s.nodes) {
    if (n.type !== 'NIRGraph') continue;
    const inner = [...pos].filter(([p]) => p.startsWith(`${n.path}/`)).map(([, q]) => q);
    if (!inner.length) continue;
    const x0 = Math.min(...inner.map((q) => q.x)) - 10;
    const y0 = Math.min(...inner.map((q) => q.y)) - 18;
    const x1 = Math.max(...inner.map((q) => q.x)) + BOX_W + 10;
    const y1 = Math.max(...inner.map((q) => q.y)) + BOX_H + 8;
    parts.push(
      `<g class="subgraph"><rect x="${r2(x0)}" y="${r2(y0)}" width="${r2(x1 - x0)}" height="${r2(y1 - y0)}" rx="8" fill="none" stroke="#999" stroke-dasharray="5 3"/>` +
        `<text x="${r2(x0 + 6)}" y="${r2(y0 + 12)}" font-size="10" fill="#666">${esc(n.path)} (NIRGraph)</text></g>`,
    );
  }
  let lane = 0;
  for (const e of s.edges) {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (!a || !b) continue;
    if (!e.back) {
      const [x1, y1, x2, y2] = [a.x + BOX_W, a.y + BOX_H / 2, b.x, b.y + BOX_H / 2];
      parts.push(
        `<path class="edge" d="M${r2(x1)},${r2(y1)}C${r2(x1 + GAP_X / 2)},${r2(y1)} ${r2(x2 - GAP_X / 2)},${r2(y2)} ${r2(x2)},${r2(y2)}" fill="none" stroke="#333" stroke-width="1.3" marker-end="url(#arrow)"/>`,
      );
    } else {
      // below every box: down from the source, back along a lane, up into the target
      const yLane = PAD + 20 + maxRows * (BOX_H + GAP_Y) + lane++ * 14;
      const [x1, y1, x2, y2] = [a.x + BOX_W / 2 + 8, a.y + BOX_H, b.x + BOX_W / 2 - 8, b.y + BOX_H];
      parts.push(
        `<path class="edge back-edge" d="M${r2(x1)},${r2(y1)}L${r2(x1)},${r2(yLane)}L${r2(x2)},${r2(yLane)}L${r2(x2)},${r2(y2)}" fill="none" stroke="${PALETTE[1]}" stroke-width="1.3" stroke-dasharray="4 3" marker-end="url(#arrow-back)"><title>${esc(`${e.from} -> ${e.to}: back edge (previous step)`)}</title></path>` +
          `<text x="${r2((x1 + x2) / 2)}" y="${r2(yLane - 3)}" font-size="9" text-anchor="middle" fill="${PALETTE[1]}">t-1</text>`,
      );
    }
  }
  for (const [name, q] of pos) {
    const n = byPath.get(name);
    const type = n?.type ?? '?';
    const shape = n?.outShape ? shapeStr(n.outShape) : '?';
    const fill = type === 'Input' || type === 'Output' ? '#eef5fb' : /LI|IF|^I$/.test(type) ? '#fdf0e6' : '#f4f4f4';
    parts.push(
      `<g class="node" data-path="${esc(name)}"><rect x="${r2(q.x)}" y="${r2(q.y)}" width="${BOX_W}" height="${BOX_H}" rx="5" fill="${fill}" stroke="#555"/>` +
        `<text x="${r2(q.x + BOX_W / 2)}" y="${r2(q.y + 18)}" font-size="12" text-anchor="middle" fill="#111">${esc(name)}</text>` +
        `<text x="${r2(q.x + BOX_W / 2)}" y="${r2(q.y + 35)}" font-size="10" text-anchor="middle" fill="#444">${esc(`${type} ${shape}`)}</text></g>`,
    );
  }
  return svgDoc(width, height, parts.join(''), title, 'spikeflow-plot spikeflow-nir-graph');
}
