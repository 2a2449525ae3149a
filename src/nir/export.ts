import { ValueError, describe } from '../core/errors.js';
import type { Layer } from '../nn/layer.js';
import type { Sequential } from '../nn/sequential.js';
import { NirError, shapeStr } from './check.js';
import { type NirArray, type NirGraph, type NirMetaValue, type NirNode, nirArray } from './graph.js';

export interface ToNirOptions {
  /** Shape of one input sample without batch and time: [features], or [C, H, W] for images (torch's order). */
  inputShape: number[];
  /** Time step in seconds (default 1e-4): LIF tau = dt/(1 - beta), r = tau/dt (snnTorch's mapping). */
  dt?: number;
  /**
   * Export neurons whose reset NIR cannot express (Synaptic, RLeaky, RSynaptic with the default
   * resetDelay: spikeflow zeroes the whole update of the step after a spike, as snnTorch's
   * reset_delay=True; any reset by subtraction or none) as the nearest NIR neuron (reset to v_reset = 0), saying so in the node's metadata
   * (`spikeflow_reset`, `spikeflow_nearest`: what NIR cannot express). Other tools run that NIR neuron;
   * spikeflow's fromNir runs the layer's exact dynamics from the `spikeflow` metadata every neuron
   * node carries. Default false: such a layer is a NirError naming it.
   */
  nearest?: boolean;
}

const f32 = (v: ArrayLike<number>, shape: number[]) => nirArray(v, shape);

/**
 * A Sequential model as a NIR graph ("input" -> "0" -> "1" ... -> "output", nodes named by layer index):
 * Linear -> Affine (Linear without bias), Conv2d -> Conv2d, AvgPool2d -> AvgPool2d, Flatten -> Flatten,
 * Leaky with reset 'zero' -> LIF (tau = dt/(1 - beta), r = tau/dt, v_leak = 0, v_reset = 0; beta = 1 ->
 * IF with r = 1/dt), Synaptic, RLeaky and RSynaptic with reset 'zero' and resetDelay false exactly (their
 * step is NIR's: see neurons/scan.ts), and otherwise with `nearest`: Synaptic -> CubaLIF (tau_syn = dt/(1 - alpha), w_in = tau_syn/dt),
 * RLeaky/RSynaptic -> a nested graph {input -> lif <-> w_rec, lif -> output} (snnTorch's layout of
 * RSynaptic; the weights [out, in] as torch's, the bias as an Affine's), see nirNeuronOf. Learned
 * decays and thresholds export at their current values. Anything else is a NirError naming the layer.
 * Every neuron node also records its layer (SpikeflowNeuron, metadata `spikeflow`), so
 * fromNir(toNir(model)) runs the model's own dynamics: the same spikes and membranes bit for bit
 * (test/nir/export.test.ts), for the layers NIR expresses exactly and for the nearest ones.
 */
export function toNir(model: Sequential, opts: ToNirOptions): NirGraph {
  const dt = opts.dt ?? 1e-4;
  if (!(typeof dt === 'number' && dt > 0 && Number.isFinite(dt)))
    throw new ValueError(`toNir dt: expected a positive number of seconds, found ${describe(opts.dt)}`);
  if (!Array.isArray(opts.inputShape) || !opts.inputShape.every((d) => Number.isSafeInteger(d) && d > 0))
    throw new ValueError(`toNir inputShape: expected [features] or [C, H, W], found ${describe(opts.inputShape)}`);
  const nodes = new Map<string, NirNode>();
  const edges: [string, string][] = [];
  let shape = [...opts.inputShape];
  nodes.set('input', { type: 'Input', shape: [...shape] });
  let prev = 'input';
  model.layers.forEach((layer, i) => {
    const name = String(i);
    const [node, out] = exportLayer(layer, name, shape, dt, opts.nearest ?? false);
    nodes.set(name, node);
    edges.push([prev, name]);
    prev = name;
    shape = out;
  });
  nodes.set('output', { type: 'Output', shape: [...shape] });
  edges.push([prev, 'output']);
  return { type: 'NIRGraph', nodes, edges, metadata: { exporter: 'spikeflow', dt } };
}

/** Per-neuron values in NIR's order: spikeflow stores images channels-last. */
function perNeuron(v: ArrayLike<number>, shape: number[]): NirArray {
  const n = shape.reduce((a, b) => a * b, 1);
  const src = v.length === 1 ? new Float32Array(n).fill(v[0]) : Float32Array.from(v);
  if (shape.length !== 3) return f32(src, shape);
  const [c, h, w] = shape;
  const out = new Float32Array(n);
  for (let ci = 0; ci < c; ci++) for (let p = 0; p < h * w; p++) out[ci * h * w + p] = src[p * c + ci];
  return f32(out, shape);
}

/**
 * A spikeflow neuron layer as recorded in its node's metadata (`spikeflow`): the values its exact
 * dynamics need, per-neuron arrays in NIR's order. fromNir runs a node with these dynamics (the
 * layer's own sequence op, so the same spikes and membranes bit for bit) when the node's NIR fields
 * are the ones nirNeuronOf gives for them and the time step is the same; other tools run the NIR
 * node. Where the two differ (Synaptic, RLeaky, RSynaptic, any reset but Leaky's zero) the node's
 * metadata also says so (`spikeflow_nearest`).
 */
export interface SpikeflowNeuron {
  layer: 'leaky' | 'synaptic' | 'rleaky' | 'rsynaptic';
  reset: 'zero' | 'subtract' | 'none';
  dt: number;
  threshold: number;
  beta: NirArray;
  alpha?: NirArray;
  /** Synaptic, RLeaky, RSynaptic with resetDelay false (the reset right after the spike, NIR's): false; else absent. */
  resetDelay?: false;
}

/** What NIR cannot express of each layer's dynamics (the `spikeflow_nearest` metadata of a nearest export). */
function nearestNote(m: SpikeflowNeuron): string {
  const resetNote =
    m.reset === 'subtract'
      ? 'spikeflow resets by subtracting the threshold; NIR (>= 1.0.6) resets to v_reset'
      : m.reset === 'none'
        ? 'spikeflow does not reset; NIR resets to v_reset'
        : m.layer === 'leaky'
          ? ''
          : "spikeflow's zero reset drops the whole update of the step after a spike (snnTorch's reset_delay=True); NIR restarts that step from v_reset and adds its input (snnTorch's reset_delay=False)";
  return `NIR cannot express this ${m.layer} layer exactly: ${resetNote}. This node is the nearest NIR neuron; spikeflow's fromNir runs the exact dynamics from the spikeflow metadata`;
}

function withMeta(node: NirNode, m: SpikeflowNeuron, nearest: boolean): NirNode {
  const record: Record<string, NirMetaValue> = { layer: m.layer, reset: m.reset, dt: m.dt, threshold: m.threshold, beta: m.beta };
  if (m.alpha) record.alpha = m.alpha;
  if (m.resetDelay === false) record.resetDelay = false;
  const metadata: Record<string, NirMetaValue> = { spikeflow: record };
  if (nearest) {
    metadata.spikeflow_reset = m.layer === 'leaky' ? m.reset : `${m.reset} (${m.layer})`;
    metadata.spikeflow_nearest = nearestNote(m);
  }
  return { ...node, metadata } as NirNode;
}

/**
 * The NIR neuron of a spikeflow layer by snnTorch's mapping (export_nir.py): Leaky -> LIF with tau =
 * dt/(1 - beta), r = tau/dt, v_leak = 0, v_reset = 0 (beta = 1 everywhere: IF with r = 1/dt);
 * Synaptic, RLeaky, RSynaptic -> CubaLIF (LIF for RLeaky) with tau_syn = dt/(1 - alpha), w_in =
 * tau_syn/dt, tau_mem = dt/(1 - beta), r = tau_mem/dt. Float32 values, computed in float64.
 */
export function nirNeuronOf(m: SpikeflowNeuron, shape: number[]): NirNode {
  const { dt, beta } = m;
  const thr = fill(shape, m.threshold);
  const zero = () => fill(shape, 0);
  if (m.layer === 'leaky' && beta.data.every((b) => b === 1))
    return { type: 'IF', r: fill(shape, 1 / dt), v_threshold: thr, v_reset: zero() };
  const tau = map(beta, (b) => dt / (1 - b));
  const lif = { r: map(tau, (t) => t / dt), v_leak: zero(), v_threshold: thr, v_reset: zero() };
  if (m.layer === 'leaky' || m.layer === 'rleaky') return { type: 'LIF', tau, ...lif };
  const tauSyn = map(m.alpha!, (a) => dt / (1 - a));
  return { type: 'CubaLIF', tau_syn: tauSyn, tau_mem: tau, w_in: map(tauSyn, (t) => t / dt), ...lif };
}

const fill = (shape: number[], x: number) => f32(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(x), shape);
const map = (a: NirArray, fn: (x: number) => number) => f32(Array.from(a.data, fn), a.shape);

function exportLayer(layer: Layer, name: string, shape: number[], dt: number, nearest: boolean): [NirNode, number[]] {
  const who = `${name} (${layer.kind})`;
  const refuse = (field: string, why: string): never => {
    throw new NirError(why, who, field);
  };
  const L = layer as unknown as Record<string, unknown> & Layer;
  const torch = (p: string) => {
    const t = layer.parameters().find((q) => q.name === p)?.tensor ?? (L[p] as never);
    return layer.exportParameter ? layer.exportParameter(p, t) : { shape: [...t.shape], data: Float32Array.from(t.data) };
  };
  const size = shape.reduce((a, b) => a * b, 1);
  switch (layer.kind) {
    case 'linear': {
      const w = torch('weight');
      if (shape.length !== 1)
        refuse('input', `a Linear layer takes features; the input here has shape ${shapeStr(shape)} (put a Flatten before it)`);
      const weight = f32(w.data, w.shape);
      const out = [w.shape[0]];
      if (!L.bias) return [{ type: 'Linear', weight }, out];
      return [{ type: 'Affine', weight, bias: f32(torch('bias').data, out) }, out];
    }
    case 'conv2d': {
      const w = torch('weight');
      const [O, , kH, kW] = w.shape;
      const s = L.stride as number;
      const p = L.padding as number;
      const bias = L.bias ? f32(torch('bias').data, [O]) : fill([O], 0);
      const outH = Math.floor((shape[1] + 2 * p - kH) / s) + 1;
      const outW = Math.floor((shape[2] + 2 * p - kW) / s) + 1;
      const node: NirNode = {
        type: 'Conv2d',
        weight: f32(w.data, w.shape),
        bias,
        stride: [s, s],
        padding: [p, p],
        dilation: [1, 1],
        groups: 1,
        input_shape: [shape[1], shape[2]],
      };
      return [node, [O, outH, outW]];
    }
    case 'avgpool2d': {
      const k = L.kernel as number;
      const s = L.stride as number;
      const out = [shape[0], Math.floor((shape[1] - k) / s) + 1, Math.floor((shape[2] - k) / s) + 1];
      return [{ type: 'AvgPool2d', kernel_size: [k, k], stride: [s, s], padding: [0, 0] }, out];
    }
    case 'flatten':
      return [{ type: 'Flatten', start_dim: 0, end_dim: -1, input_type: [...shape] }, [size]];
    case 'leaky': {
      const reset = L.reset as string;
      const beta = perNeuron((L.beta as () => { data: ArrayLike<number> })().data, shape);
      if (reset !== 'zero' && !nearest)
        refuse(
          'reset',
          `NIR's LIF resets to v_reset; this Leaky resets by ${reset === 'subtract' ? 'subtraction' : 'nothing'} (give it reset: 'zero' to export it, or toNir's nearest option)`,
        );
      if (beta.data.some((b) => b === 1) && !beta.data.every((b) => b === 1))
        refuse('beta', 'some neurons have beta = 1 (an IF) and some not: NIR has one neuron type per node');
      const m: SpikeflowNeuron = { layer: 'leaky', reset: reset as SpikeflowNeuron['reset'], dt, threshold: L.threshold as number, beta };
      return [withMeta(nirNeuronOf(m, shape), m, reset !== 'zero'), shape];
    }
    case 'synaptic':
    case 'rleaky':
    case 'rsynaptic': {
      const reset = (L.common as { reset: string }).reset;
      // reset 'zero' with resetDelay false is NIR's step exactly (v from v_reset = 0 after a spike, then beta v + D)
      const exact = reset === 'zero' && L.resetDelay === false;
      if (!exact && !nearest)
        refuse(
          'reset',
          `NIR cannot express this layer's reset (${reset}: ${reset === 'zero' ? "spikeflow's zero reset of Synaptic/RLeaky/RSynaptic with the default resetDelay also drops the next step's input, as snnTorch's reset_delay=True" : 'not a reset to v_reset'}); give the layer reset 'zero' and resetDelay: false (NIR's reset timing) to export it exactly, or use toNir's nearest option to export the nearest NIR neuron (other tools run that; spikeflow reads the exact dynamics back from the node's metadata)`,
        );
      if (shape.length !== 1) refuse('input', `expected features, found shape ${shapeStr(shape)}`);
      const value = (d: string) => perNeuron((L[d] as { value(): { data: ArrayLike<number> } }).value().data, shape);
      const beta = value('beta');
      if (beta.data.some((b) => b === 1)) refuse('beta', 'beta = 1 has no LIF time constant (tau = dt/(1 - beta))');
      const m: SpikeflowNeuron = {
        layer: layer.kind as SpikeflowNeuron['layer'],
        reset: reset as SpikeflowNeuron['reset'],
        dt,
        threshold: (L.common as { thresholdTensor: { data: ArrayLike<number> } }).thresholdTensor.data[0],
        beta,
        ...(layer.kind === 'rleaky' ? {} : { alpha: value('alpha') }),
        ...(exact ? { resetDelay: false as const } : {}),
      };
      const neuron = withMeta(nirNeuronOf(m, shape), m, !exact);
      if (layer.kind === 'synaptic') return [neuron, shape];
      const w = torch('recurrent.weight');
      const H = shape[0];
      const rec: NirNode = L.bias
        ? { type: 'Affine', weight: f32(w.data, [H, H]), bias: f32(torch('recurrent.bias').data, [H]) }
        : { type: 'Linear', weight: f32(w.data, [H, H]) };
      // snnTorch's layout of RSynaptic (export_nir.py): input -> lif <-> w_rec, lif -> output
      const sub: NirGraph = {
        type: 'NIRGraph',
        nodes: new Map<string, NirNode>([
          ['input', { type: 'Input', shape: [H] }],
          ['lif', neuron],
          ['w_rec', rec],
          ['output', { type: 'Output', shape: [H] }],
        ]),
        edges: [
          ['input', 'lif'],
          ['lif', 'w_rec'],
          ['w_rec', 'lif'],
          ['lif', 'output'],
        ],
      };
      return [sub, shape];
    }
    default:
      return refuse('type', `NIR has no equivalent of a ${layer.kind} layer`);
  }
}
