import { Tensor } from '../core/tensor.js';
import { ShapeError, ValueError, checkKeys, describe } from '../core/errors.js';
import type { Kernels } from '../kernels/types.js';
import { availableKernels } from '../kernels/default.js';
import { referenceKernels } from '../kernels/reference.js';
import { atan, type Surrogate } from '../surrogate/index.js';
import type { NamedParameter } from '../nn/layer.js';
import { specSequence } from '../neurons/spec.js';
import { NirError, shapeStr } from './check.js';
import { type FlatNode, flattenNir } from './flat.js';
import { type NirArray, type NirGraph, nirTopologicalOrder } from './graph.js';
import { NIR_NEURON_FIELDS, type NirNeuronType, type NirReset, nirNeuronSpec, nirSpikes } from './neurons.js';
import { addAll, afterReset, permuteImage } from './ops.js';
import { featureValues, outputShape } from './shapes.js';
import { type NodeRun, buildNode } from './nodes.js';

export interface FromNirOptions {
  /** Time step in seconds for the forward-Euler discretisation (default 1e-4, snnTorch's and the NIR paper's). */
  dt?: number;
  /** Surrogate gradient of every spike (default atan()). */
  surrogate?: Surrogate;
  /**
   * How IF, LIF and CubaLIF reset: 'auto' (default) to v_reset where the node has it and by
   * subtracting v_threshold where it has none (files older than NIR 1.0.6); 'value' or 'subtract'
   * for every node ('value' with v_reset = 0 where absent).
   */
  reset?: 'auto' | NirReset;
}

/** What a neuron node produced: spikes (spiking types), the membrane before and after its reset, the synaptic current (Cuba types). */
export interface NirNodeRecord {
  spk: Tensor | null;
  /** The membrane compared with the threshold at each step (before the reset). */
  v: Tensor;
  /** The membrane after the step (v_reset where it spiked): what NIR calls v. */
  vAfter: Tensor;
  i: Tensor | null;
}

export interface NirForwardResult {
  /** Per Output node of the root graph: [T, B, ...its shape] in NIR's (torch's) layout. */
  outputs: Record<string, Tensor>;
  /** Per neuron node (by path, "sub/name" inside nested graphs): its states, [T, B, ...shape] in NIR's layout. */
  records: Record<string, NirNodeRecord>;
}

interface Recurrence {
  /** The Affine/Linear node of the loop. */
  via: string;
  weight: Tensor;
  bias: Tensor | null;
}

interface Step {
  name: string;
  node: FlatNode;
  inputs: string[];
  inShape: number[];
  shape: number[];
  run: NodeRun | null;
  neuron: { type: NirNeuronType; reset: NirReset; params: Record<string, Tensor>; rec: Recurrence | null } | null;
}

const NEURONS = new Set(Object.keys(NIR_NEURON_FIELDS));
const isNeuron = (n: FlatNode): n is FlatNode & { type: NirNeuronType } => NEURONS.has(n.type);

/**
 * A NIR graph as a differentiable spikeflow model: nodes run in topological order over whole [T, B, ...]
 * sequences (fan-in summed, fan-out shared, nested graphs inlined), neurons on the shared spec scan
 * (neurons.ts gives the discretisation), weights and neuron parameters as trainable Tensors. A cycle runs
 * when it is a neuron's own recurrent connection (neuron -> Affine/Linear -> the same neuron, nothing
 * else entering or leaving the weights: how snnTorch exports RLeaky/RSynaptic): the scan adds W S[t-1] + b
 * to the neuron's input at step t (the bias from the first step on, as snnTorch). Other cycles are a
 * NirError naming the edge.
 */
export class NirModel {
  readonly dt: number;
  readonly surrogate: Surrogate;
  private readonly steps: Step[];
  private readonly params: NamedParameter[] = [];
  /** Root Input nodes and their shapes. */
  readonly inputs: Record<string, number[]> = {};
  readonly outputs: Record<string, number[]> = {};

  constructor(graph: NirGraph, opts: FromNirOptions = {}) {
    checkKeys('fromNir options', opts, ['dt', 'surrogate', 'reset']);
    this.dt = opts.dt ?? 1e-4;
    if (!(typeof this.dt === 'number' && this.dt > 0 && Number.isFinite(this.dt)))
      throw new ValueError(`fromNir dt: expected a positive number of seconds, found ${describe(opts.dt)}`);
    this.surrogate = opts.surrogate ?? atan();
    const resetMode = opts.reset ?? 'auto';
    if (!['auto', 'value', 'subtract'].includes(resetMode))
      throw new ValueError(`fromNir reset: expected 'auto', 'value' or 'subtract', found ${describe(resetMode)}`);
    if (graph?.type !== 'NIRGraph') throw new ValueError(`fromNir: expected a NirGraph, found ${describe(graph)}`);
    const flat = flattenNir(graph);
    const recurrent = findRecurrences(flat.nodes, flat.edges);
    const skip = new Set([...recurrent.values()].map((r) => r.via));
    const edges = flat.edges.filter(([a, b]) => !skip.has(a) && !skip.has(b));
    const nodes = new Map([...flat.nodes].filter(([k]) => !skip.has(k)));
    const { order, backEdges } = nirTopologicalOrder({ nodes: nodes as NirGraph['nodes'], edges });
    if (backEdges.length > 0) {
      const [a, b] = backEdges[0];
      throw new NirError(
        `the edge ${a} -> ${b} closes a cycle that spikeflow cannot run: it runs a cycle only as a neuron's own recurrent weights (neuron -> Affine/Linear -> the same neuron)`,
        b,
        'edges',
      );
    }
    const preds = new Map<string, string[]>([...nodes.keys()].map((k) => [k, []]));
    for (const [a, b] of edges) preds.get(b)!.push(a);
    const shapes = new Map<string, number[]>();
    this.steps = [];
    for (const name of order) {
      const node = nodes.get(name)!;
      const inputs = preds.get(name)!;
      if (node.type === 'Input') {
        if (inputs.length) throw new NirError(`an Input node takes no edges; found edges from ${inputs.join(', ')}`, name, 'edges');
      } else if (!inputs.length) throw new NirError('nothing feeds this node (no edge ends here)', name, 'edges');
      const inShape = node.type === 'Input' ? node.shape : shapes.get(inputs[0])!;
      for (const p of inputs)
        if (shapeStr(shapes.get(p)!) !== shapeStr(inShape))
          throw new NirError(
            `its inputs differ in shape: ${inputs[0]} gives ${shapeStr(inShape)}, ${p} gives ${shapeStr(shapes.get(p)!)}`,
            name,
            'edges',
          );
      const shape = outputShape(node, inShape, name);
      if (node.type === 'Output' && node.shape.length > 0 && node.shape.reduce((a, b) => a * b, 1) !== shape.reduce((a, b) => a * b, 1))
        throw new NirError(`expected ${shapeStr(node.shape)}, the graph gives ${shapeStr(shape)}`, name, 'shape');
      shapes.set(name, shape);
      const step: Step = { name, node, inputs, inShape, shape, run: null, neuron: null };
      if (isNeuron(node)) step.neuron = this.neuronOf(name, node, shape, resetMode, recurrent.get(name) ?? null);
      else step.run = buildNode(node, name, inShape, shape, this.dt, this.surrogate, (n, t) => this.params.push({ name: n, tensor: t }));
      if (node.type === 'Input') this.inputs[name] = shape;
      if (node.type === 'Output' && !name.includes('/')) this.outputs[name] = shape;
      this.steps.push(step);
    }
  }

  private neuronOf(name: string, node: FlatNode & { type: NirNeuronType }, shape: number[], mode: string, rec: Recurrence | null) {
    const fields = NIR_NEURON_FIELDS[node.type];
    const rec0 = node as unknown as Record<string, NirArray | undefined>;
    const hasReset = fields.includes('v_reset');
    const reset: NirReset = mode === 'auto' ? (hasReset && rec0.v_reset === undefined ? 'subtract' : 'value') : (mode as NirReset);
    const params: Record<string, Tensor> = {};
    for (const f of fields) {
      const a = rec0[f];
      const v = a === undefined ? Float32Array.of(0) : featureValues(a, shape, name, f);
      if (f.startsWith('tau') && v.some((x) => !(x > 0)))
        throw new NirError('expected positive time constants (forward Euler divides dt by them)', name, f);
      params[f] = new Tensor(v, [v.length], { requiresGrad: true });
      this.params.push({ name: `${name}.${f}`, tensor: params[f] });
    }
    if (rec) {
      const H = shape.reduce((a, b) => a * b, 1);
      if (!nirSpikes(node.type))
        throw new NirError(`a recurrent loop through ${rec.via} needs spikes, and ${node.type} does not spike`, name, 'edges');
      if (rec.weight.shape[0] !== H || rec.weight.shape[1] !== H)
        throw new NirError(`the recurrent weights must be [${H}, ${H}], found ${shapeStr(rec.weight.shape)}`, rec.via, 'weight');
      this.params.push({ name: `${rec.via}.weight`, tensor: rec.weight });
      if (rec.bias) this.params.push({ name: `${rec.via}.bias`, tensor: rec.bias });
    }
    return { type: node.type, reset, params, rec };
  }

  /** The trainable tensors: weights stored as spikeflow computes with them (Linear [in, out], Conv2d [kH*kW*C, O]), neuron parameters per feature. */
  parameters(): NamedParameter[] {
    return [...this.params];
  }

  /**
   * Runs the graph on [T, B, ...shape] input (NIR's layout, [C, H, W] images as torch): one tensor for
   * a graph with one Input node, else one per Input node by name.
   */
  forward(input: Tensor | Record<string, Tensor>, opts: { kernels?: Kernels } = {}): NirForwardResult {
    // the WASM kernels where they can be had now (a browser's main thread may need initKernels() first)
    const kernels = opts.kernels ?? availableKernels() ?? referenceKernels;
    const names = Object.keys(this.inputs);
    const given: Record<string, Tensor> = input instanceof Tensor ? (names.length === 1 ? { [names[0]]: input } : {}) : input;
    if (input instanceof Tensor && names.length !== 1)
      throw new ValueError(`NirModel.forward: the graph has ${names.length} Input nodes (${names.join(', ')}); give {name: tensor}`);
    let T = -1;
    let B = -1;
    for (const n of names) {
      const x = given[n];
      if (!(x instanceof Tensor)) throw new ValueError(`NirModel.forward: missing the input for Input node "${n}"`);
      const want = this.inputs[n];
      if (x.shape.length !== want.length + 2 || shapeStr(x.shape.slice(2)) !== shapeStr(want))
        throw new ShapeError(`NirModel.forward: Input "${n}" takes [T, B, ${want.join(', ')}], found ${shapeStr(x.shape)}`);
      if (T >= 0 && (x.shape[0] !== T || x.shape[1] !== B)) throw new ShapeError('NirModel.forward: the inputs differ in T or B');
      [T, B] = [x.shape[0], x.shape[1]];
    }
    const values = new Map<string, Tensor>();
    const records: Record<string, NirNodeRecord> = {};
    const outputs: Record<string, Tensor> = {};
    for (const s of this.steps) {
      let x: Tensor;
      if (s.node.type === 'Input') {
        const raw = given[s.name];
        const F = raw.size / (T * B);
        x = raw.reshape([T, B, F]);
        if (s.shape.length === 3) x = permuteImage(x, s.shape[0], s.shape[1], s.shape[2]);
      } else x = addAll(s.inputs.map((p) => values.get(p)!));
      if (s.neuron) x = this.runNeuron(s, x, T, records, kernels);
      else if (s.run) x = s.run(x, T, kernels);
      values.set(s.name, x);
      if (s.node.type === 'Output' && this.outputs[s.name]) {
        let y = x;
        if (s.shape.length === 3) y = permuteImage(y, s.shape[0], s.shape[1], s.shape[2], true);
        outputs[s.name] = y.reshape([T, B, ...s.shape]);
      }
    }
    return { outputs, records };
  }

  private runNeuron(s: Step, x: Tensor, T: number, records: Record<string, NirNodeRecord>, kernels: Kernels): Tensor {
    const n = s.neuron!;
    const spec = nirNeuronSpec(n.type, n.reset);
    const H = s.shape.reduce((a, b) => a * b, 1);
    const r = specSequence(spec, x.reshape([T, x.size / (T * H), H]), {
      who: `NIR node "${s.name}" (${n.type})`,
      steps: T,
      constInput: false,
      params: { ...n.params, dt: this.dt },
      surrogate: this.surrogate,
      recurrent: n.rec ? { weight: n.rec.weight, bias: n.rec.bias } : null,
      kernels,
    });
    const fires = nirSpikes(n.type);
    const v = r.state.v;
    const vAfter = fires && n.reset === 'value' ? afterReset(v, r.spk, n.params.v_reset.data) : v;
    // records in NIR's layout: [T, B, ...shape], images [C, H, W]
    const sh = s.shape;
    const nir = (t: Tensor) => (sh.length === 3 ? permuteImage(t, sh[0], sh[1], sh[2], true) : t).reshape([T, t.size / (T * H), ...sh]);
    records[s.name] = { spk: fires ? nir(r.spk) : null, v: nir(v), vAfter: nir(vAfter), i: r.state.i ? nir(r.state.i) : null };
    return fires ? r.spk : v;
  }
}

/** fromNir(graph, {dt}): the graph as a NirModel (see NirModel). */
export function fromNir(graph: NirGraph, opts: FromNirOptions = {}): NirModel {
  return new NirModel(graph, opts);
}

/** Finds the neurons' own recurrent loops (neuron -> Affine/Linear -> neuron); their weights in the scan's [in, out] layout. */
function findRecurrences(nodes: Map<string, FlatNode>, edges: [string, string][]): Map<string, Recurrence> {
  const found = new Map<string, Recurrence>();
  for (const [name, w] of nodes) {
    if (w.type !== 'Affine' && w.type !== 'Linear') continue;
    const ins = edges.filter((e) => e[1] === name).map((e) => e[0]);
    const outs = edges.filter((e) => e[0] === name).map((e) => e[1]);
    if (ins.length !== 1 || outs.length !== 1 || ins[0] !== outs[0]) continue;
    const neuron = nodes.get(ins[0])!;
    if (!isNeuron(neuron)) continue;
    if (found.has(ins[0])) throw new NirError(`two recurrent loops (${found.get(ins[0])!.via}, ${name}) on one neuron`, ins[0], 'edges');
    const [out, k] = w.weight.shape;
    // NIR's [out, in] -> the scan's [in, out] (row i: what a spike of neuron i adds)
    const t = new Float32Array(out * k);
    for (let o = 0; o < out; o++) for (let i = 0; i < k; i++) t[i * out + o] = w.weight.data[o * k + i];
    const weight = new Tensor(t, [k, out], { requiresGrad: true });
    let bias: Tensor | null = null;
    if (w.type === 'Affine') {
      const b = w.bias.data.length === 1 ? new Float32Array(out).fill(w.bias.data[0]) : Float32Array.from(w.bias.data);
      bias = new Tensor(b, [out], { requiresGrad: true });
    }
    found.set(ins[0], { via: name, weight, bias });
  }
  return found;
}
