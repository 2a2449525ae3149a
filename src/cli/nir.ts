import { writeFileAtomic } from '../io/atomic.js';
import { SpikeflowError, UsageError, ValueError } from '../core/errors.js';
import type { Sequential } from '../nn/sequential.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { NirError } from '../nir/check.js';
import { toNir } from '../nir/export.js';
import { NIR_NEURON_FIELDS } from '../nir/neurons.js';
import type { NirGraph } from '../nir/graph.js';
import { readNirFile, writeNirFile } from '../nir/fs.js';
import { formatNirSummary, nirGraphSvg, summarizeNir } from '../nir/inspect.js';
import type { FlagSpec } from './args.js';
import { refuseGiven, type CommandContext } from './common.js';
import { prepareOutputFile } from './outputs.js';

export const nirFlags = {
  json: { type: 'bool', default: false, help: 'inspect: print one JSON object on stdout' },
  plot: { type: 'string', help: 'inspect: draw the graph into this .svg file (a box per node, an arrow per edge, back edges dashed)' },
  checkpoint: { type: 'string', help: 'export: the checkpoint folder written by `spikeflow train` (e.g. runs/mnist-fc)' },
  out: { type: 'string', help: 'export: the .nir file to write (replaced atomically)' },
  dt: {
    type: 'float',
    default: 1e-4,
    min: 1e-12,
    help: "export: time step in seconds of NIR's continuous neurons (LIF tau = dt/(1 - beta), r = tau/dt; snnTorch's default)",
  },
  nearest: {
    type: 'bool',
    default: false,
    help: "export: write layers NIR cannot express exactly (reset by subtraction, Synaptic, RLeaky, RSynaptic) as the nearest NIR neuron, with a warning; the node's metadata keeps the exact layer, which spikeflow reads back",
  },
  'input-shape': {
    type: 'string',
    help: 'export: the shape of one input sample, e.g. 784 or 1,28,28 (default: from the first layer of the checkpoint)',
  },
} as const satisfies FlagSpec;

export type NirOptions = {
  json: boolean;
  plot?: string;
  checkpoint?: string;
  out?: string;
  dt: number;
  nearest: boolean;
  'input-shape'?: string;
};

const INSPECT_ONLY = ['json', 'plot'];
const EXPORT_ONLY = ['checkpoint', 'out', 'dt', 'nearest', 'input-shape'];

/** `spikeflow nir inspect FILE` and `spikeflow nir export --checkpoint DIR --out FILE`. */
export async function runNir(o: NirOptions, ctx: CommandContext): Promise<void> {
  const [sub, ...rest] = ctx.positionals;
  if (sub === 'inspect') {
    refuseGiven(ctx.given, EXPORT_ONLY, 'applies to `spikeflow nir export` only');
    if (rest.length !== 1)
      throw new UsageError(`spikeflow nir inspect: expected one .nir file, found ${rest.length ? `"${rest.join(' ')}"` : 'none'}`);
    return inspect(rest[0], o);
  }
  if (sub === 'export') {
    refuseGiven(ctx.given, INSPECT_ONLY, 'applies to `spikeflow nir inspect` only');
    if (rest.length) throw new UsageError(`spikeflow nir export: unexpected argument "${rest[0]}" (give --checkpoint and --out)`);
    return exportCheckpoint(o);
  }
  throw new UsageError(
    `spikeflow nir: expected a sub-command, inspect or export, found ${sub === undefined ? 'none' : `"${sub}"`} (spikeflow nir inspect model.nir; spikeflow nir export --checkpoint runs/mnist-fc --out model.nir)`,
  );
}

async function inspect(file: string, o: NirOptions): Promise<void> {
  if (o.plot !== undefined) {
    if (!/\.svg$/i.test(o.plot)) throw new UsageError(`--plot: expected a file name ending in .svg, found "${o.plot}"`);
    await prepareOutputFile(o.plot, 'plot');
  }
  const graph = await readNirFile(file);
  const summary = summarizeNir(graph);
  if (o.plot !== undefined) await writeFileAtomic(o.plot, nirGraphSvg(graph, file.split(/[\\/]/).pop()));
  if (o.json) process.stdout.write(`${JSON.stringify({ file, ...summary, ...(o.plot ? { plot: o.plot } : {}) })}\n`);
  else {
    process.stdout.write(`${formatNirSummary(summary, file)}\n`);
    if (o.plot !== undefined) process.stdout.write(`graph drawn into ${o.plot}\n`);
  }
}

function parseShape(s: string): number[] {
  const parts = s.split(',').map((p) => p.trim());
  const dims = parts.map(Number);
  if (
    !(parts.length === 1 || parts.length === 3) ||
    !parts.every((p) => /^\d+$/.test(p)) ||
    !dims.every((d) => d >= 1 && Number.isSafeInteger(d))
  )
    throw new UsageError(`--input-shape: expected features (784) or C,H,W (1,28,28) as positive integers, found "${s}"`);
  return dims;
}

/** The input shape of a model from its first layer: Linear's inputs, or Conv2d's channels and input size. */
function inputShapeOf(model: Sequential, dir: string): number[] {
  const first = model.layers[0];
  const cfg = (first?.config() ?? {}) as { in?: number; inChannels?: number; inputSize?: number[] };
  if (first?.kind === 'linear' && typeof cfg.in === 'number') return [cfg.in];
  if (first?.kind === 'conv2d' && typeof cfg.inChannels === 'number' && Array.isArray(cfg.inputSize))
    return [cfg.inChannels, ...cfg.inputSize];
  throw new UsageError(
    `--checkpoint ${dir}: the input shape does not follow from its first layer (${first?.kind ?? 'none'}); give --input-shape (e.g. 1,28,28)`,
  );
}

/** The nodes toNir wrote as the nearest NIR neuron (their `spikeflow_nearest` metadata), by path. */
function nearestNotes(g: NirGraph, prefix = ''): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, n] of g.nodes) {
    const path = prefix ? `${prefix}/${name}` : name;
    if (n.type === 'NIRGraph') out.push(...nearestNotes(n, path));
    else if (typeof n.metadata?.spikeflow_nearest === 'string') out.push([path, n.metadata.spikeflow_nearest]);
  }
  return out;
}

async function exportCheckpoint(o: NirOptions): Promise<void> {
  if (o.checkpoint === undefined)
    throw new UsageError('spikeflow nir export: --checkpoint is required (a folder written by `spikeflow train`)');
  if (o.out === undefined) throw new UsageError('spikeflow nir export: --out is required (the .nir file to write)');
  const shape = o['input-shape'] !== undefined ? parseShape(o['input-shape']) : undefined;
  await prepareOutputFile(o.out, 'out');
  const { model } = await loadCheckpoint(o.checkpoint);
  let graph: ReturnType<typeof toNir>;
  try {
    graph = toNir(model, { inputShape: shape ?? inputShapeOf(model, o.checkpoint), dt: o.dt, nearest: o.nearest });
  } catch (e) {
    // the library names its option; here the flag is what makes the layer exportable
    if (e instanceof NirError)
      throw new ValueError(
        `--checkpoint ${o.checkpoint}: cannot export to NIR: ${e.message.replace(/toNir's nearest option/g, '--nearest').replace(/give it reset: 'zero'/g, "train it with reset 'zero'")}`,
      );
    throw e;
  }
  graph.metadata = { ...graph.metadata, source: 'spikeflow checkpoint', nearest: o.nearest ? 1 : 0 };
  try {
    await writeNirFile(o.out, graph);
  } catch (e) {
    if (e instanceof SpikeflowError) throw e;
    throw new ValueError(`--out ${o.out}: cannot write the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  // never silently: each layer written as the nearest NIR neuron, and what NIR cannot express of it
  for (const [path, note] of nearestNotes(graph)) process.stderr.write(`warning: node "${path}": ${note}\n`);
  const neurons = [...graph.nodes.values()].filter((n) => n.type === 'NIRGraph' || Object.hasOwn(NIR_NEURON_FIELDS, n.type)).length;
  process.stdout.write(`wrote ${o.out}: ${graph.nodes.size} nodes (${neurons} neuron layers), dt ${o.dt} s\n`);
}
