import { Tensor } from '../core/tensor.js';
import { ShapeError, ValueError, checkKeys, describe } from '../core/errors.js';
import type { Kernels } from '../kernels/types.js';
import { availableKernels } from '../kernels/default.js';
import { referenceKernels } from '../kernels/reference.js';
import { atan, type Surrogate } from '../surrogate/index.js';
import type { NamedParameter } from '../nn/layer.js';
import { type NeuronSpec, type SpecParams, specParams, specSequence } from '../neurons/spec.js';
import type { FeatureParam } from '../neurons/common.js';
import { leakySequence } from '../neurons/leaky.js';
import { lifSpec, type ZeroStyle } from '../neurons/scan.js';
import { type SpikeflowNeuron, nirNeuronOf } from './export.js';
import { NirError, shapeStr } from './check.js';
import { type FlatNode, flattenNir } from './flat.js';
import { type NirArray, type NirGraph, type NirMetaValue, type NirNode, nirTopologicalOrder } from './graph.js';
import { NIR_NEURON_FIELDS, type NirNeuronType, type NirReset, nirNeuronSpec, nirSpikes } from './neurons.js';
import { addAll, afterReset, permuteImage, repeatSteps } from './ops.js';
import { featureValues, outputShape } from './shapes.js';
import { type NodeRun, buildNode, delayStepsOf, storageRow } from './nodes.js';
import { delayedStep, neuronStep, stackSteps, timeStep } from './stepwise.js';
import { cloneNirGraph, nirConvWeight, nirFeatures, nirMatrix, nodeAtPath } from './trained.js';

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
  /**
   * Run every node one time step at a time (default: only graphs with cycles beyond a neuron's own
   * recurrent weights do). The results equal the sequence-at-once run bit for bit; it is slower.
   */
  stepwise?: boolean;
  /**
   * Every forward runs for inference (default false; NirModel.forward's `inference` per call): no
   * parameter requires a gradient during the run, so no op builds the backward graph.
   */
  inference?: boolean;
  /**
   * 'auto' (default): a neuron node that spikeflow's toNir wrote with its layer in the node's metadata
   * (`spikeflow`: layer, reset, dt, threshold, beta, alpha) runs that layer's exact dynamics (its own
   * sequence op: the spikes and membranes of the model it came from, bit for bit), provided the node's
   * NIR fields are the ones toNir derives from those values and dt is the one it was exported with;
   * otherwise NIR's equations. 'nir': NIR's equations for every node (what other tools run).
   */
  dynamics?: 'auto' | 'nir';
}

/** Options of NirModel.forward. */
export interface NirForwardOptions {
  /** The kernels (default: the WASM ones where loaded, else the TypeScript reference). */
  kernels?: Kernels;
  /** Run without building the backward graph (default: FromNirOptions.inference). */
  inference?: boolean;
  /**
   * Each input is [B, ...shape] without a time axis, the same at every one of `steps` time steps (a
   * direct encoding): the stateless nodes before the first neurons run once, not once per step.
   */
  steps?: number;
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
  /** Sources of back edges into this node: their previous step's value enters (zeros at t = 0). */
  back: string[];
  inShape: number[];
  shape: number[];
  run: NodeRun | null;
  neuron: {
    type: NirNeuronType;
    reset: NirReset;
    /** The NIR fields as trainable tensors (none for a node run with its spikeflow layer's dynamics). */
    params: Record<string, Tensor>;
    rec: Recurrence | null;
    /** The spec the node steps with (stepwise runs), and its parameter values. */
    spec: NeuronSpec;
    specValues: Record<string, FeatureParam>;
    /** The spikeflow layer whose exact dynamics the node runs (see FromNirOptions.dynamics). */
    own: Own | null;
  } | null;
  /** Delay nodes: their delays in whole steps (for the step-by-step run). */
  delay: Int32Array | null;
  /** Affine/Linear fed by an image flattened in storage order (channels-last): that image's [C, H, W]. */
  channelsLast: number[] | null;
}

/** A node run with its spikeflow layer's dynamics: the layer's values, per feature in spikeflow's order. */
interface Own {
  layer: SpikeflowNeuron['layer'];
  reset: SpikeflowNeuron['reset'];
  threshold: number;
  beta: Tensor;
  alpha: Tensor | null;
  /** The zero-reset timing (Leaky's, and Synaptic/RLeaky/RSynaptic's with resetDelay false: 'prev'). */
  zeroStyle: ZeroStyle;
}

const NEURONS = new Set(Object.keys(NIR_NEURON_FIELDS));
const isNeuron = (n: FlatNode): n is FlatNode & { type: NirNeuronType } => NEURONS.has(n.type);

/**
 * A NIR graph as a differentiable spikeflow model: nodes run in topological order over whole [T, B, ...]
 * sequences (fan-in summed, fan-out shared, nested graphs inlined), neurons on the shared spec scan
 * (neurons.ts gives the discretisation), weights and neuron parameters as trainable Tensors. A neuron's
 * own recurrent connection (neuron -> Affine/Linear -> the same neuron, nothing else entering or leaving
 * the weights: how snnTorch exports RLeaky/RSynaptic) runs on the scan: it adds W S[t-1] + b to the
 * neuron's input at step t (the bias from the first step on, as snnTorch).
 *
 * Any other cycle in the edges makes the graph run one time step at a time: at each step every node is
 * evaluated in the topological order of the graph without its back edges (nirTopologicalOrder: depth
 * first from the Input nodes, in the file's node order), and a back edge a -> b delivers a's value of the
 * previous step to b (zeros at t = 0), summed with b's other inputs. Gradients flow through the whole
 * unrolled graph (BPTT). A cycle must pass through a neuron (I, LI, IF, LIF, CubaLI, CubaLIF): a loop of
 * only stateless nodes (weights, scales, pools, ...) is refused with a NirError naming one of its edges,
 * since NIR gives such a loop no meaning beyond an instantaneous algebraic loop.
 */
export class NirModel {
  readonly dt: number;
  /** Whether forward runs for inference unless told otherwise (FromNirOptions.inference). */
  readonly inference: boolean;
  readonly surrogate: Surrogate;
  /** Whether forward runs one time step at a time (graphs with cycles beyond a neuron's own weights, or the stepwise option). */
  readonly stepwise: boolean;
  private readonly steps: Step[];
  private readonly params: NamedParameter[] = [];
  /** Root Input nodes and their shapes. */
  readonly inputs: Record<string, number[]> = {};
  readonly outputs: Record<string, number[]> = {};
  /** The graph the model was built from (toNir writes the current parameters into a copy of it). */
  private readonly source: NirGraph;
  private readonly recurrences: Map<string, Recurrence>;
  private readonly dynamics: 'auto' | 'nir';
  /** The neuron nodes that run their spikeflow layer's exact dynamics (FromNirOptions.dynamics), by path. */
  readonly spikeflowNodes: string[] = [];

  constructor(graph: NirGraph, opts: FromNirOptions = {}) {
    checkKeys('fromNir options', opts, ['dt', 'surrogate', 'reset', 'stepwise', 'inference', 'dynamics']);
    this.dynamics = opts.dynamics ?? 'auto';
    if (this.dynamics !== 'auto' && this.dynamics !== 'nir')
      throw new ValueError(`fromNir dynamics: expected 'auto' or 'nir', found ${describe(opts.dynamics)}`);
    this.dt = opts.dt ?? 1e-4;
    this.inference = opts.inference ?? false;
    if (!(typeof this.dt === 'number' && this.dt > 0 && Number.isFinite(this.dt)))
      throw new ValueError(`fromNir dt: expected a positive number of seconds, found ${describe(opts.dt)}`);
    this.surrogate = opts.surrogate ?? atan();
    const resetMode = opts.reset ?? 'auto';
    if (!['auto', 'value', 'subtract'].includes(resetMode))
      throw new ValueError(`fromNir reset: expected 'auto', 'value' or 'subtract', found ${describe(resetMode)}`);
    if (graph?.type !== 'NIRGraph') throw new ValueError(`fromNir: expected a NirGraph, found ${describe(graph)}`);
    this.source = graph;
    const flat = flattenNir(graph);
    const recurrent = findRecurrences(flat.nodes, flat.edges);
    this.recurrences = recurrent;
    const skip = new Set([...recurrent.values()].map((r) => r.via));
    const edges = flat.edges.filter(([a, b]) => !skip.has(a) && !skip.has(b));
    const nodes = new Map([...flat.nodes].filter(([k]) => !skip.has(k)));
    const { order, backEdges } = nirTopologicalOrder({ nodes: nodes as NirGraph['nodes'], edges });
    checkCyclesHaveNeurons(nodes, edges, backEdges);
    this.stepwise = backEdges.length > 0 || opts.stepwise === true;
    const isBack = new Set(backEdges.map(([a, b]) => `${a}\u0000${b}`));
    const preds = new Map<string, string[]>([...nodes.keys()].map((k) => [k, []]));
    const backPreds = new Map<string, string[]>([...nodes.keys()].map((k) => [k, []]));
    for (const [a, b] of edges) (isBack.has(`${a}\u0000${b}`) ? backPreds : preds).get(b)!.push(a);
    const shapes = new Map<string, number[]>();
    // a Flatten of an image [C, H, W] whose only consumers are Affine/Linear nodes fed by nothing else keeps
    // the storage order (channels-last, as spikeflow's Flatten): those weights take its features in that order
    const channelsLast = new Map<string, number[]>();
    const keepLayout = new Set<string>();
    this.steps = [];
    for (const name of order) {
      const node = nodes.get(name)!;
      const inputs = preds.get(name)!;
      const back = backPreds.get(name)!;
      if (node.type === 'Input') {
        if (inputs.length || back.length)
          throw new NirError(`an Input node takes no edges; found edges from ${[...inputs, ...back].join(', ')}`, name, 'edges');
      } else if (!inputs.length)
        throw new NirError(
          back.length
            ? `only back edges (from ${back.join(', ')}) feed this node: nothing from an Input node reaches it`
            : 'nothing feeds this node (no edge ends here)',
          name,
          'edges',
        );
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
      const cl = channelsLast.get(name) ?? null;
      const step: Step = { name, node, inputs, back, inShape, shape, run: null, neuron: null, delay: null, channelsLast: cl };
      if (node.type === 'Delay') step.delay = delayStepsOf(node.delay, inShape, name, this.dt);
      if (node.type === 'Flatten' && inShape.length === 3 && shape.length === 1) {
        const outs = edges.filter(([a]) => a === name).map(([, b]) => b);
        const fed = (b: string) => {
          const t = nodes.get(b)!.type;
          return (t === 'Affine' || t === 'Linear') && preds.get(b)!.length === 1 && backPreds.get(b)!.length === 0;
        };
        if (outs.length > 0 && outs.every(fed)) {
          keepLayout.add(name);
          for (const b of outs) channelsLast.set(b, inShape);
        }
      }
      if (isNeuron(node)) step.neuron = this.neuronOf(name, node, shape, resetMode, recurrent.get(name) ?? null);
      else if (keepLayout.has(name)) step.run = (x) => x;
      else
        step.run = buildNode(node, name, inShape, shape, this.dt, this.surrogate, (n, t) => this.params.push({ name: n, tensor: t }), cl);
      if (node.type === 'Input') this.inputs[name] = shape;
      if (node.type === 'Output' && !name.includes('/')) this.outputs[name] = shape;
      this.steps.push(step);
    }
    // a back edge's value enters with the others: the same shape
    for (const st of this.steps)
      for (const p of st.back)
        if (shapeStr(shapes.get(p)!) !== shapeStr(st.inShape))
          throw new NirError(
            `its inputs differ in shape: ${st.inputs[0]} gives ${shapeStr(st.inShape)}, the back edge from ${p} gives ${shapeStr(shapes.get(p)!)}`,
            st.name,
            'edges',
          );
  }

  private neuronOf(name: string, node: FlatNode & { type: NirNeuronType }, shape: number[], mode: string, rec: Recurrence | null) {
    const fields = NIR_NEURON_FIELDS[node.type];
    const rec0 = node as unknown as Record<string, NirArray | undefined>;
    const hasReset = fields.includes('v_reset');
    const reset: NirReset = mode === 'auto' ? (hasReset && rec0.v_reset === undefined ? 'subtract' : 'value') : (mode as NirReset);
    if (rec) {
      const H = shape.reduce((a, b) => a * b, 1);
      if (!nirSpikes(node.type))
        throw new NirError(`a recurrent loop through ${rec.via} needs spikes, and ${node.type} does not spike`, name, 'edges');
      if (rec.weight.shape[0] !== H || rec.weight.shape[1] !== H)
        throw new NirError(`the recurrent weights must be [${H}, ${H}], found ${shapeStr(rec.weight.shape)}`, rec.via, 'weight');
    }
    const own = this.dynamics === 'auto' && mode === 'auto' ? ownDynamics(node, shape, this.dt, rec !== null) : null;
    const params: Record<string, Tensor> = {};
    if (own) {
      this.spikeflowNodes.push(name);
      const second = own.alpha !== null;
      const specValues: Record<string, FeatureParam> = {
        beta: own.beta,
        threshold: own.threshold,
        ...(second ? { alpha: own.alpha! } : {}),
      };
      const spec = lifSpec(second, own.reset, own.zeroStyle);
      this.pushRecurrence(rec);
      return { type: node.type, reset, params, rec, spec, specValues, own };
    }
    for (const f of fields) {
      const a = rec0[f];
      const v = a === undefined ? Float32Array.of(0) : featureValues(a, shape, name, f);
      if (f.startsWith('tau') && v.some((x) => !(x > 0)))
        throw new NirError('expected positive time constants (forward Euler divides dt by them)', name, f);
      params[f] = new Tensor(v, [v.length], { requiresGrad: true });
      this.params.push({ name: `${name}.${f}`, tensor: params[f] });
    }
    this.pushRecurrence(rec);
    return {
      type: node.type,
      reset,
      params,
      rec,
      spec: nirNeuronSpec(node.type, reset),
      specValues: { ...params, dt: this.dt },
      own: null,
    };
  }

  private pushRecurrence(rec: Recurrence | null): void {
    if (!rec) return;
    this.params.push({ name: `${rec.via}.weight`, tensor: rec.weight });
    if (rec.bias) this.params.push({ name: `${rec.via}.bias`, tensor: rec.bias });
  }

  /** The trainable tensors: weights stored as spikeflow computes with them (Linear [in, out], Conv2d [kH*kW*C, O]), neuron parameters per feature. */
  parameters(): NamedParameter[] {
    return [...this.params];
  }

  /**
   * The graph this model was built from with every parameter at its current value (after training,
   * the trained one), in NIR's layout: weights [out, in] and [O, C, kH, kW], per-neuron arrays in
   * NIR's order and in the shape the file gave them where they keep their size (a scalar bias of an
   * Affine or Conv2d node comes back as one value per output, as the model trains it). Fields the file
   * left out (an absent v_reset) stay out; nodes, edges and metadata are as read. fromNir of the result
   * runs the same dynamics.
   */
  toNir(): NirGraph {
    const g = cloneNirGraph(this.source);
    const value = new Map(this.params.map((p) => [p.name, p.tensor]));
    for (const s of this.steps) {
      const node = nodeAtPath(g, s.name);
      const t = (f: string) => value.get(`${s.name}.${f}`)!;
      const n = s.node;
      if (n.type === 'Affine' || n.type === 'Linear')
        node.weight = nirMatrix(t('weight'), s.channelsLast ? storageRow(s.channelsLast, n.weight.shape[1]) : null);
      if (n.type === 'Affine') node.bias = nirFeatures(t('bias'), n.bias, s.shape);
      if (n.type === 'Conv2d' || n.type === 'Conv1d') {
        node.weight = nirConvWeight(t('weight'), n.weight.shape);
        node.bias = nirFeatures(t('bias'), n.bias, [n.weight.shape[0]]);
      }
      if (n.type === 'Scale') node.scale = nirFeatures(t('scale'), n.scale, s.inShape);
      if (n.type === 'Threshold') node.threshold = nirFeatures(t('threshold'), n.threshold, s.inShape);
      if (s.neuron) {
        const orig = n as unknown as Record<string, NirArray | undefined>;
        for (const [f, p] of Object.entries(s.neuron.params)) {
          const a = orig[f];
          if (a !== undefined) node[f] = nirFeatures(p, a, s.shape);
        }
      }
    }
    for (const r of this.recurrences.values()) {
      const node = nodeAtPath(g, r.via);
      node.weight = nirMatrix(r.weight);
      if (r.bias) node.bias = nirFeatures(r.bias, node.bias as NirArray, [r.weight.shape[1]]);
    }
    return g;
  }

  /**
   * Runs the graph on [T, B, ...shape] input (NIR's layout, [C, H, W] images as torch): one tensor for
   * a graph with one Input node, else one per Input node by name.
   */
  forward(input: Tensor | Record<string, Tensor>, opts: NirForwardOptions = {}): NirForwardResult {
    // the WASM kernels where they can be had now (a browser's main thread may need initKernels() first)
    const kernels = opts.kernels ?? availableKernels() ?? referenceKernels;
    const steps = opts.steps ?? null;
    if (steps !== null && !(Number.isInteger(steps) && steps >= 1))
      throw new ValueError(`NirModel.forward: steps must be a positive integer, found ${String(steps)}`);
    if (!(opts.inference ?? this.inference)) return this.run(input, kernels, steps);
    // inference: the parameters take no gradient during this run (restored after), so every op's
    // output is a plain tensor and nothing is kept for a backward pass (results are the same)
    const held = this.params.filter((p) => p.tensor.requiresGrad);
    for (const p of held) p.tensor.requiresGrad = false;
    try {
      return this.run(input, kernels, steps);
    } finally {
      for (const p of held) p.tensor.requiresGrad = true;
    }
  }

  private run(input: Tensor | Record<string, Tensor>, kernels: Kernels, steps: number | null): NirForwardResult {
    const names = Object.keys(this.inputs);
    const given: Record<string, Tensor> = input instanceof Tensor ? (names.length === 1 ? { [names[0]]: input } : {}) : input;
    if (input instanceof Tensor && names.length !== 1)
      throw new ValueError(`NirModel.forward: the graph has ${names.length} Input nodes (${names.join(', ')}); give {name: tensor}`);
    // with `steps`, every input is [B, ...shape], the same at each step: held as one step [1, B, ...]
    const lead = steps === null ? 2 : 1;
    let T = steps ?? -1;
    let B = -1;
    for (const n of names) {
      const x = given[n];
      if (!(x instanceof Tensor)) throw new ValueError(`NirModel.forward: missing the input for Input node "${n}"`);
      const want = this.inputs[n];
      if (x.shape.length !== want.length + lead || shapeStr(x.shape.slice(lead)) !== shapeStr(want))
        throw new ShapeError(
          `NirModel.forward: Input "${n}" takes [${steps === null ? 'T, ' : ''}B, ${want.join(', ')}], found ${shapeStr(x.shape)}`,
        );
      const [t, b] = steps === null ? [x.shape[0], x.shape[1]] : [steps, x.shape[0]];
      if (B >= 0 && (t !== T || b !== B)) throw new ShapeError('NirModel.forward: the inputs differ in T or B');
      [T, B] = [t, b];
    }
    const per = (x: Tensor) => x.size / (steps === null ? T * B : B);
    if (this.stepwise) {
      const full: Record<string, Tensor> = {};
      for (const n of names) full[n] = steps === null ? given[n] : repeatSteps(given[n].reshape([1, B, per(given[n])]), T);
      return this.forwardSteps(full, T, B, kernels);
    }
    // values that are the same at every step (from constant inputs through stateless nodes) stay one
    // step [1, B, F] until they meet a neuron (its constant drive), a Delay, an Output or a varying value
    const values = new Map<string, Tensor>();
    const constant = new Set<string>();
    const full = (name: string) => {
      const v = values.get(name)!;
      return constant.has(name) ? repeatSteps(v, T) : v;
    };
    const records: Record<string, NirNodeRecord> = {};
    const outputs: Record<string, Tensor> = {};
    for (const s of this.steps) {
      let x: Tensor;
      let c: boolean;
      if (s.node.type === 'Input') {
        const raw = given[s.name];
        c = steps !== null;
        x = raw.reshape([c ? 1 : T, B, per(raw)]);
        if (s.shape.length === 3) x = permuteImage(x, s.shape[0], s.shape[1], s.shape[2]);
      } else {
        c = s.inputs.every((p) => constant.has(p)) && s.node.type !== 'Delay' && s.node.type !== 'Output';
        x = addAll(s.inputs.map((p) => (c ? values.get(p)! : full(p))));
      }
      if (s.neuron) {
        x = this.runNeuron(s, x, T, records, kernels, c);
        c = false;
      } else if (s.run) x = s.run(x, c ? 1 : T, kernels);
      values.set(s.name, x);
      if (c) constant.add(s.name);
      if (s.node.type === 'Output' && this.outputs[s.name]) {
        let y = x;
        if (s.shape.length === 3) y = permuteImage(y, s.shape[0], s.shape[1], s.shape[2], true);
        outputs[s.name] = y.reshape([T, B, ...s.shape]);
      }
    }
    return { outputs, records };
  }

  /** A neuron node over the sequence; `constant`: x is one step [1, B, ...], the drive of every step. */
  private runNeuron(s: Step, x: Tensor, T: number, records: Record<string, NirNodeRecord>, kernels: Kernels, constant: boolean): Tensor {
    const n = s.neuron!;
    const H = s.shape.reduce((a, b) => a * b, 1);
    const input = constant ? x.reshape([x.size / H, H]) : x.reshape([T, x.size / (T * H), H]);
    if (n.own?.layer === 'leaky') {
      // the Leaky layer's own op (its fused kernels), as the layer runs it
      const o = n.own;
      const r = leakySequence(input, {
        steps: T,
        constInput: constant,
        beta: o.beta,
        threshold: o.threshold,
        reset: o.reset,
        surrogate: this.surrogate,
        kernels,
      });
      records[s.name] = this.record(s, r.spk, r.mem!, null, T);
      return r.spk;
    }
    const r = specSequence(n.spec, input, {
      who: `NIR node "${s.name}" (${n.own ? n.own.layer : n.type})`,
      steps: T,
      constInput: constant,
      params: n.specValues,
      surrogate: this.surrogate,
      recurrent: n.rec ? { weight: n.rec.weight, bias: n.rec.bias } : null,
      kernels,
    });
    if (n.own) {
      records[s.name] = this.record(s, r.spk, r.state.mem, r.state.syn ?? null, T);
      return r.spk;
    }
    records[s.name] = this.record(s, r.spk, r.state.v, r.state.i ?? null, T);
    return nirSpikes(n.type) ? r.spk : r.state.v;
  }

  /** A neuron's record in NIR's layout ([T, B, ...shape], images [C, H, W]) from its [T, B, H] sequences. */
  private record(s: Step, spk: Tensor, v: Tensor, i: Tensor | null, T: number): NirNodeRecord {
    const n = s.neuron!;
    const fires = nirSpikes(n.type);
    const H = s.shape.reduce((a, b) => a * b, 1);
    const sh = s.shape;
    const nir = (t: Tensor) => (sh.length === 3 ? permuteImage(t, sh[0], sh[1], sh[2], true) : t).reshape([T, t.size / (T * H), ...sh]);
    // the membranes and the current on first use (a classifier reads only spikes and the output's v)
    let vAfter: Tensor | null = null;
    // a node run with its spikeflow layer's dynamics: the membrane as that layer records it
    const after = () => nir(fires && !n.own && n.reset === 'value' ? afterReset(v, spk, n.params.v_reset.data) : v);
    let vNir: Tensor | null = null;
    let iNir: Tensor | null | undefined;
    let spkNir: Tensor | null = null;
    return {
      // spikes too on first use: an image layer's [C, H, W] permutation costs as much as a pool
      get spk() {
        if (!fires) return null;
        spkNir ??= nir(spk);
        return spkNir;
      },
      get v() {
        vNir ??= nir(v);
        return vNir;
      },
      get vAfter() {
        vAfter ??= after();
        return vAfter;
      },
      get i() {
        if (iNir === undefined) iNir = i ? nir(i) : null;
        return iNir;
      },
    };
  }

  /** The step-by-step run (see the class comment): every node once per time step, back edges one step late. */
  private forwardSteps(given: Record<string, Tensor>, T: number, B: number, kernels: Kernels): NirForwardResult {
    const per = new Map<string, Tensor[]>(this.steps.map((s) => [s.name, []]));
    const sps = new Map<string, SpecParams>();
    const hist = new Map<string, Tensor[]>();
    const states = new Map<string, { spk: Tensor[]; v: Tensor[]; i: Tensor[] }>();
    const sources = new Map<string, Tensor>();
    for (const s of this.steps) {
      if (s.node.type === 'Input') {
        const raw = given[s.name];
        let x = raw.reshape([T, B, raw.size / (T * B)]);
        if (s.shape.length === 3) x = permuteImage(x, s.shape[0], s.shape[1], s.shape[2]);
        sources.set(s.name, x);
      }
      if (s.neuron) {
        const n = s.neuron;
        const H = s.shape.reduce((a, b) => a * b, 1);
        sps.set(s.name, specParams(n.spec, `NIR node "${s.name}" (${n.type})`, n.specValues, H));
        states.set(s.name, { spk: [], v: [], i: [] });
      }
      if (s.delay) hist.set(s.name, []);
    }
    const F = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
    for (let t = 0; t < T; t++) {
      for (const s of this.steps) {
        let x: Tensor;
        if (s.node.type === 'Input') x = timeStep(sources.get(s.name)!, t);
        else {
          const terms = s.inputs.map((p) => per.get(p)![t]);
          if (t > 0) for (const p of s.back) terms.push(per.get(p)![t - 1]);
          x = addAll(terms.map((v) => v.reshape([1, B, F(s.inShape)])));
        }
        if (s.neuron) x = this.neuronAt(s, x, t, B, sps.get(s.name)!, states.get(s.name)!, kernels);
        else if (s.delay) {
          const h = hist.get(s.name)!;
          h.push(x);
          x = delayedStep(h, t, s.delay);
        } else if (s.run) x = s.run(x, 1, kernels);
        per.get(s.name)!.push(x);
      }
    }
    const outputs: Record<string, Tensor> = {};
    const records: Record<string, NirNodeRecord> = {};
    for (const s of this.steps) {
      if (s.node.type === 'Output' && this.outputs[s.name]) {
        let y = stackSteps(per.get(s.name)!).reshape([T, B, F(s.shape)]);
        if (s.shape.length === 3) y = permuteImage(y, s.shape[0], s.shape[1], s.shape[2], true);
        outputs[s.name] = y.reshape([T, B, ...s.shape]);
      }
      const st = states.get(s.name);
      if (st) records[s.name] = this.record(s, stackSteps(st.spk), stackSteps(st.v), st.i.length ? stackSteps(st.i) : null, T);
    }
    return { outputs, records };
  }

  /** One step of a neuron node: its own recurrent weights on the previous spikes, then the spec's step. */
  private neuronAt(
    s: Step,
    x: Tensor,
    t: number,
    B: number,
    sp: SpecParams,
    st: { spk: Tensor[]; v: Tensor[]; i: Tensor[] },
    kernels: Kernels,
  ): Tensor {
    const n = s.neuron!;
    const H = s.shape.reduce((a, b) => a * b, 1);
    const spec = n.spec;
    const drive = x.reshape([1, B, H]);
    // W S[t-1] + b, the bias from the first step on (as the scan)
    const rec = n.rec ? { weight: n.rec.weight, bias: n.rec.bias, prevSpk: t > 0 ? st.spk[t - 1] : null, kernels } : null;
    const cuba = spec.state.length === 2;
    const prev = t > 0 ? (cuba ? [st.i[t - 1], st.v[t - 1]] : [st.v[t - 1]]) : null;
    const r = neuronStep(
      spec,
      sp,
      drive,
      prev,
      t > 0 ? (st.spk[t - 1].data as Uint8Array) : null,
      H,
      this.surrogate,
      `NIR node "${s.name}" (${n.type})`,
      rec,
    );
    st.spk.push(r.spk);
    st.v.push(r.state[cuba ? 1 : 0]);
    if (cuba) st.i.push(r.state[0]);
    return n.own || nirSpikes(n.type) ? r.spk : r.state[cuba ? 1 : 0];
  }
}

/** fromNir(graph, {dt}): the graph as a NirModel (see NirModel). */
export function fromNir(graph: NirGraph, opts: FromNirOptions = {}): NirModel {
  return new NirModel(graph, opts);
}

/**
 * Every cycle must pass through a neuron: in each strongly connected component of the graph (the
 * neurons' own recurrent weights already taken out) that holds a back edge, one node must be a neuron;
 * otherwise a NirError naming that back edge.
 */
function checkCyclesHaveNeurons(nodes: Map<string, FlatNode>, edges: [string, string][], backEdges: [string, string][]): void {
  if (!backEdges.length) return;
  const comp = components(nodes, edges);
  for (const [a, b] of backEdges) {
    const c = comp.get(a)!;
    const members = [...comp].filter(([, k]) => k === c).map(([name]) => name);
    if (members.some((m) => isNeuron(nodes.get(m)!))) continue;
    throw new NirError(
      `the edge ${a} -> ${b} closes a cycle without a neuron (${members.join(', ')}): a cycle must pass through a neuron (I, LI, IF, LIF, CubaLI, CubaLIF), whose state carries it from one step to the next`,
      b,
      'edges',
    );
  }
}

/** Strongly connected components (Tarjan's algorithm, iterative): node -> component number. */
function components(nodes: Map<string, FlatNode>, edges: [string, string][]): Map<string, number> {
  const out = new Map<string, string[]>([...nodes.keys()].map((k) => [k, []]));
  for (const [a, b] of edges) out.get(a)?.push(b);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const comp = new Map<string, number>();
  let next = 0;
  let count = 0;
  for (const root of nodes.keys()) {
    if (index.has(root)) continue;
    const work: { v: string; i: number }[] = [{ v: root, i: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length) {
      const top = work[work.length - 1];
      const succ = out.get(top.v)!;
      if (top.i < succ.length) {
        const w = succ[top.i++];
        if (!out.has(w)) continue;
        if (!index.has(w)) {
          index.set(w, next);
          low.set(w, next++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) low.set(top.v, Math.min(low.get(top.v)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1].v;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.v)!));
      }
      if (low.get(top.v) === index.get(top.v)) {
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.set(w, count);
        } while (w !== top.v);
        count++;
      }
    }
  }
  return comp;
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

const isRecord = (v: unknown): v is Record<string, NirMetaValue> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && !('data' in v);
const isArray = (v: unknown): v is NirArray =>
  typeof v === 'object' && v !== null && 'data' in v && ArrayBuffer.isView((v as NirArray).data);

/**
 * The spikeflow layer a neuron node was exported from (toNir's `spikeflow` metadata), when the node is
 * exactly what toNir writes for it at this dt (fields, values, type, and a recurrent loop for RLeaky
 * and RSynaptic only); else null, and the node runs NIR's equations. Metadata that does not parse is
 * not an error: it is only the node's description.
 */
function ownDynamics(node: FlatNode, shape: number[], dt: number, recurrent: boolean): Own | null {
  const m = (node as NirNode).metadata?.spikeflow;
  if (!isRecord(m)) return null;
  const { layer, reset, threshold, beta, alpha } = m;
  // resetDelay false comes back from an HDF5 file as 0 (h5wasm and h5py store booleans as integers)
  const resetDelay = m.resetDelay === 0 ? false : m.resetDelay;
  if (layer !== 'leaky' && layer !== 'synaptic' && layer !== 'rleaky' && layer !== 'rsynaptic') return null;
  if (reset !== 'zero' && reset !== 'subtract' && reset !== 'none') return null;
  if (m.dt !== dt || typeof threshold !== 'number' || !isArray(beta)) return null;
  // resetDelay false (Synaptic, RLeaky, RSynaptic with reset 'zero' only): the reset right after the spike
  if (resetDelay !== undefined && (resetDelay !== false || layer === 'leaky' || reset !== 'zero')) return null;
  const second = layer === 'synaptic' || layer === 'rsynaptic';
  if (second !== isArray(alpha) || recurrent !== (layer === 'rleaky' || layer === 'rsynaptic')) return null;
  const n = shape.reduce((a, b) => a * b, 1);
  if (beta.data.length !== n || (second && (alpha as NirArray).data.length !== n)) return null;
  const meta: SpikeflowNeuron = {
    layer,
    reset,
    dt,
    threshold,
    beta,
    ...(second ? { alpha: alpha as NirArray } : {}),
    ...(resetDelay === false ? { resetDelay } : {}),
  };
  const want = nirNeuronOf(meta, shape) as unknown as Record<string, NirArray | string>;
  const got = node as unknown as Record<string, NirArray | undefined>;
  if (want.type !== node.type) return null;
  for (const f of NIR_NEURON_FIELDS[node.type as NirNeuronType]) {
    const a = got[f];
    const b = want[f] as NirArray;
    if (!a || a.data.length !== b.data.length) return null;
    for (let i = 0; i < b.data.length; i++) if (Math.fround(a.data[i]) !== b.data[i]) return null;
  }
  const values = (a: NirArray, f: string) => new Tensor(featureValues(a, shape, '', f), [n]);
  return {
    layer,
    reset,
    threshold,
    beta: values(beta, 'beta'),
    alpha: second ? values(alpha as NirArray, 'alpha') : null,
    zeroStyle: layer === 'leaky' || resetDelay === false ? 'prev' : 'all',
  };
}
