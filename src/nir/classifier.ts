import type { Tensor } from '../core/tensor.js';
import type { Kernels } from '../kernels/types.js';
import type { NamedParameter, Seq, SpikeRecord } from '../nn/layer.js';
import type { ForwardResult } from '../nn/sequential.js';
import type { TrainableModel } from '../train/step.js';
import { NirError, shapeStr } from './check.js';
import type { NirModel } from './execute.js';
import { type FlatGraph, flattenNir } from './flat.js';
import type { NirGraph } from './graph.js';
import { NIR_NEURON_FIELDS } from './neurons.js';
import { zeroFill } from '../core/buffers.js';

/** What a classification dataset feeds and expects: features per sample (its image [C, H, W]) and classes. */
export interface NirClassifierTarget {
  /** Names the dataset in errors ("mnist"). */
  dataset: string;
  /** The image each sample is, [C, H, W]; its features in this order. */
  image: [number, number, number];
  classes: number;
  /** The .nir file, named in errors. */
  file?: string;
}

const SPIKING = new Set(['IF', 'LIF', 'CubaLIF']);
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * A NirModel as the trainer drives a Sequential (TrainableModel): a thin wrapper, not a second trainer.
 * The graph must have one Input node that takes a sample of the dataset ([F], [H, W] or [C, H, W] with
 * the image's values) and one Output node of one value per class fed by a spiking neuron node (IF, LIF,
 * CubaLIF), directly or through nested graphs' pass-throughs: its spikes and membrane are the output
 * layer's record (the losses' and the spike-count prediction's), the other spiking neurons' records come
 * first (spike rates, the L1 rate term). Anything else is a NirError naming the file, the node and the
 * field, with what was expected and what was found.
 */
export class NirClassifier implements TrainableModel {
  readonly input: string;
  readonly output: string;
  /** The neuron node whose spikes are the Output's. */
  readonly outputNeuron: string;
  private readonly inShape: number[];
  /** The spiking neuron nodes in the order of the last forward's records (the output last). */
  private names: string[] = [];
  /** The paths of the neuron nodes (their parameters are not fine-tuned). */
  private readonly neurons: Set<string>;

  constructor(
    readonly model: NirModel,
    graph: NirGraph,
    target: NirClassifierTarget,
  ) {
    const file = target.file;
    const ins = Object.keys(model.inputs);
    const outs = Object.keys(model.outputs);
    if (ins.length !== 1)
      throw new NirError(`expected one Input node (a ${target.dataset} image), found ${ins.length} (${ins.join(', ')})`, '', 'nodes', file);
    if (outs.length !== 1)
      throw new NirError(`expected one Output node (the class scores), found ${outs.length} (${outs.join(', ')})`, '', 'nodes', file);
    [this.input, this.output] = [ins[0], outs[0]];
    const shape = model.inputs[this.input];
    const [c, h, w] = target.image;
    const fits = shape.length === 3 ? shape[0] === c && shape[1] === h && shape[2] === w : size(shape) === c * h * w && shape.length <= 2;
    if (!fits)
      throw new NirError(
        `${target.dataset} gives ${c * h * w} values per sample (${c === 1 ? `${h}x${w} pixels` : `${c}x${h}x${w}`}): expected [${c * h * w}] or ${shapeStr(target.image)}, found ${shapeStr(shape)}`,
        this.input,
        'shape',
        file,
      );
    this.inShape = shape;
    const outShape = model.outputs[this.output];
    if (size(outShape) !== target.classes)
      throw new NirError(
        `${target.dataset} has ${target.classes} classes: expected ${target.classes} values (one per class), found ${shapeStr(outShape)}`,
        this.output,
        'shape',
        file,
      );
    const flat = flattenNir(graph);
    this.outputNeuron = spikingSource(flat, this.output, file);
    this.neurons = new Set([...flat.nodes].filter(([, n]) => Object.hasOwn(NIR_NEURON_FIELDS, n.type)).map(([k]) => k));
  }

  /** Runs the graph on the sequence (a direct input repeated at every step) and returns the records in the trainer's form. */
  forward(seq: Seq, kernels: Kernels, opts: { inference?: boolean } = {}): ForwardResult {
    const T = seq.steps;
    const F = size(this.inShape);
    const x = seq.x;
    // a direct input (the same at every step) enters as one step; inference (the trainer's evaluation,
    // eval --nir): no backward graph
    const B = seq.constant ? x.size / F : x.shape[1];
    const r = seq.constant
      ? this.model.forward(x.reshape([B, ...this.inShape]), { kernels, inference: opts.inference, steps: T })
      : this.model.forward(x.reshape([T, B, ...this.inShape]), { kernels, inference: opts.inference });
    const records: SpikeRecord[] = [];
    const record = (name: string, mem: Tensor | null): SpikeRecord => {
      const spk = r.records[name].spk!;
      const H = spk.size / (T * B);
      let spikes = 0;
      const d = spk.data;
      for (let i = 0; i < d.length; i++) spikes += d[i];
      return { layer: name, spk: spk.reshape([T, B, H]), mem, spikes, neuronSteps: spk.size };
    };
    for (const [name, rec] of Object.entries(r.records)) if (rec.spk && name !== this.outputNeuron) records.push(record(name, null));
    const v = r.records[this.outputNeuron].v;
    const last = record(this.outputNeuron, v.reshape([T, B, v.size / (T * B)]));
    records.push(last);
    this.names = records.map((rec) => rec.layer);
    return { out: { x: last.spk!, steps: T, constant: false }, records };
  }

  /** The spiking neuron nodes, one per record of forward (the output last): names for the spike rates. */
  layerNames(): string[] {
    return [...this.names];
  }

  parameters(): NamedParameter[] {
    return this.model.parameters();
  }

  /**
   * What fine-tuning changes: the weights and biases (Affine, Linear, Conv2d, Scale, Threshold, recurrent
   * weights). The neurons' parameters (tau, r, v_threshold, ...) stay as imported, as `train` keeps beta
   * and the threshold fixed: in NIR's units (tau ~ 1e-3 s at dt = 1e-4) a step of Adam's size would
   * move them far, even below zero.
   */
  trainable(): Tensor[] {
    return this.parameters()
      .filter((p) => !this.neurons.has(p.name.slice(0, p.name.lastIndexOf('.'))))
      .map((p) => p.tensor)
      .filter((t) => t.requiresGrad);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) if (p.tensor.grad) zeroFill(p.tensor.grad);
  }
}

/** The spiking neuron node that feeds an Output node (through nested graphs' pass-throughs), or a NirError. */
function spikingSource(flat: FlatGraph, output: string, file?: string): string {
  let name = output;
  for (;;) {
    const from = flat.edges.filter(([, b]) => b === name).map(([a]) => a);
    if (from.length !== 1)
      throw new NirError(
        `the class is read from the spike counts of one neuron node; ${from.length} nodes (${from.join(', ')}) feed this Output`,
        output,
        'edges',
        file,
      );
    const node = flat.nodes.get(from[0])!;
    if (node.type === 'Identity') {
      name = from[0];
      continue;
    }
    if (SPIKING.has(node.type)) return from[0];
    const why = Object.hasOwn(NIR_NEURON_FIELDS, node.type) ? `${node.type} does not spike` : `${node.type} is not a neuron`;
    throw new NirError(
      `the class is read from the spike counts of the neuron node feeding the Output: expected IF, LIF or CubaLIF, found node "${from[0]}" (${why})`,
      output,
      'edges',
      file,
    );
  }
}
