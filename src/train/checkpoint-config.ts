// A checkpoint's config.json checked against the layers' contracts, and its weights file's header against
// the config, before a model is built: nothing is allocated for a config that cannot load, and every
// defect is a DataError naming the file, the layer (index and kind) and the field, expected vs found.
import { DataError } from '../core/errors.js';
import { MAX_HEADER_BYTES, readSafetensorsHeader } from '../interop/safetensors.js';
import { CHECKPOINT_FORMAT, checkCheckpointConfig, modelFromCheckpoint, type CheckpointConfig } from './checkpoint-model.js';
import type { Sequential } from '../nn/sequential.js';
import { LAYER_KINDS } from '../nn/registry.js';
import { Fields, MAX_ELEMENTS, MAX_NEURONS, show, type Flow } from '../nn/layer-kind.js';

/**
 * The most values a checkpoint may make the loader hold: parameters plus per-neuron states, 2^28
 * (1 GiB of float32). Also the bound on any one size field and on the features of one sample.
 */
export const MAX_CHECKPOINT_ELEMENTS = MAX_ELEMENTS;
/** The most neurons all spiking layers of a checkpoint may have together (2^24); also the bound on one layer's size. */
export const MAX_CHECKPOINT_NEURONS = MAX_NEURONS;

/** The largest config.json read (64 MiB: far beyond any model's, whose per-neuron lists are the bulk). */
export const MAX_CONFIG_BYTES = 64 * 2 ** 20;

/** Before config.json is read: refuses a file too large to be a checkpoint's config (without reading it). */
export function checkConfigSize(size: number, file: string): void {
  if (size > MAX_CONFIG_BYTES)
    throw new DataError(`${size} bytes is more than a checkpoint config may take (${MAX_CONFIG_BYTES} bytes)`, file);
}

/** A parameter tensor the weights file must hold for a config: name, torch-layout shape, its layer. */
export interface ExpectedTensor {
  name: string;
  shape: number[];
  /** "layers[3] (linear)" */
  layer: string;
}

export interface CheckedCheckpointConfig {
  config: CheckpointConfig;
  /** Every parameter the model will have, in layer order: exactly the tensors the weights file must hold. */
  tensors: ExpectedTensor[];
  /** Features per sample the model takes (null when the config does not fix them). */
  inputFeatures: number | null;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const hasOwn = (o: object, k: string): boolean => Object.hasOwn(o, k);

/**
 * Checks a parsed config.json: the manifest (format, version, weights, meta: checkCheckpointConfig), then
 * every layer's kind and fields (types, bounds, enums), the shape chain through the Sequential (each layer
 * takes what the one before gives: a Linear's outputs are the next Leaky's size; conv and pool geometry)
 * and budgets of MAX_CHECKPOINT_ELEMENTS values and MAX_CHECKPOINT_NEURONS neurons. Nothing is allocated.
 * Returns the config typed, with the tensors its weights file must hold.
 */
export function validateCheckpointConfig(raw: unknown, file: string): CheckedCheckpointConfig {
  if (!isObject(raw)) throw new DataError(`expected a JSON object, found ${show(raw)}`, file);
  const field = (k: string): unknown => (hasOwn(raw, k) ? raw[k] : undefined);
  if (field('format') !== CHECKPOINT_FORMAT)
    throw new DataError(`format: expected "${CHECKPOINT_FORMAT}", found ${show(field('format'))}`, file);
  if (field('version') !== 1 && field('version') !== 2)
    throw new DataError(`version: expected 1 or 2, found ${show(field('version'))}`, file);
  const config = checkCheckpointConfig(raw, file);
  const { tensors, inputFeatures } = checkLayerConfigs(config.layers, file);
  return { config, tensors, inputFeatures };
}

/** The layers part of validateCheckpointConfig (for configs that do not come from config.json). */
export function checkLayerConfigs(layers: unknown, file: string): { tensors: ExpectedTensor[]; inputFeatures: number | null } {
  if (!Array.isArray(layers)) throw new DataError(`layers: expected a list, found ${show(layers)}`, file);
  let flow: Flow = { features: null, image: null, from: "the network's input" };
  let inputFeatures: number | null = null;
  let total = 0;
  let neurons = 0;
  const tensors: ExpectedTensor[] = [];
  layers.forEach((entry: unknown, i) => {
    if (!isObject(entry)) throw new DataError(`layers[${i}]: expected an object {kind, config}, found ${show(entry)}`, file);
    const kind = hasOwn(entry, 'kind') ? entry.kind : undefined;
    if (typeof kind !== 'string' || !LAYER_KINDS.has(kind)) {
      throw new DataError(`layers[${i}].kind: expected ${[...LAYER_KINDS.keys()].join(', ')}, found ${show(kind)}`, file);
    }
    const where = `layers[${i}] (${kind})`;
    const extra = Object.keys(entry).find((k) => k !== 'kind' && k !== 'config');
    if (extra !== undefined) throw new DataError(`${where}.${extra}: unknown field (a layer has kind and config)`, file);
    const c = hasOwn(entry, 'config') ? entry.config : undefined;
    if (!isObject(c)) throw new DataError(`${where}.config: expected an object, found ${show(c)}`, file);
    const f = new Fields(file, where, c);
    const out = LAYER_KINDS.get(kind)!.contract(f, flow);
    f.noOthers();
    // the input the model takes: fixed by the first layer that fixes anything (relu, dropout, flatten do not)
    if (flow.features === null && flow.image === null && inputFeatures === null) inputFeatures = out.inputFeatures;
    for (const [name, shape] of out.params) {
      tensors.push({ name: `${i}.${name}`, shape, layer: where });
      total += shape.reduce((a, b) => a * b, 1);
    }
    total += out.neurons;
    neurons += out.neurons;
    if (neurons > MAX_NEURONS)
      f.fail(null, `the model would have ${neurons} neurons up to this layer, more than the limit of ${MAX_NEURONS} (2^24)`);
    if (total > MAX_CHECKPOINT_ELEMENTS) {
      f.fail(
        null,
        `the model would hold ${total} values (parameters and neuron states) up to this layer, more than the limit of ${MAX_CHECKPOINT_ELEMENTS} (2^28)`,
      );
    }
    const im = out.flow.image;
    flow = { ...out.flow, from: im ? `the ${im.h ?? '?'}x${im.w ?? '?'}x${im.c} image from ${where}` : `the outputs of ${where}` };
  });
  return { tensors, inputFeatures };
}

const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** Bytes of float32 data the expected tensors take. */
function dataBytes(tensors: readonly ExpectedTensor[]): number {
  return tensors.reduce((s, t) => s + 4 * t.shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * Before the weights file is read: its size must fit the tensors the config describes (the data they
 * take, an 8-byte length and a header of at most MAX_HEADER_BYTES), so a wrong or hostile file is refused
 * without reading it.
 */
export function checkWeightsSize(size: number, checked: CheckedCheckpointConfig, weightsFile: string, configFile: string): void {
  const need = 8 + dataBytes(checked.tensors);
  if (size < need)
    throw new DataError(`${size} bytes is too small for the tensors ${configFile} describes (at least ${need} bytes)`, weightsFile);
  if (size > need + MAX_HEADER_BYTES) {
    throw new DataError(
      `${size} bytes is more than the tensors ${configFile} describes can take (at most ${need + MAX_HEADER_BYTES} bytes)`,
      weightsFile,
    );
  }
}

/**
 * Checks the weights file's header (safetensors: names, dtypes, shapes) against the tensors the config
 * describes, without copying any data: a missing, misshapen or unexpected tensor is a DataError naming the
 * weights file, the tensor and the layer of `configFile` it belongs to.
 */
export function checkWeightsHeader(bytes: Uint8Array, checked: CheckedCheckpointConfig, weightsFile: string, configFile: string): void {
  const { entries } = readSafetensorsHeader(bytes, weightsFile);
  const expected = new Set<string>();
  for (const t of checked.tensors) {
    expected.add(t.name);
    if (!hasOwn(entries, t.name))
      throw new DataError(`missing tensor "${t.name}" (F32 ${fmt(t.shape)} for ${t.layer} of ${configFile})`, weightsFile);
    const e = entries[t.name];
    if (e.dtype !== 'F32' || fmt(e.shape) !== fmt(t.shape)) {
      throw new DataError(
        `tensor "${t.name}": expected F32 ${fmt(t.shape)}, found ${e.dtype} ${fmt(e.shape)} (for ${t.layer} of ${configFile})`,
        weightsFile,
      );
    }
  }
  for (const name of Object.keys(entries)) {
    if (!expected.has(name)) throw new DataError(`unexpected tensor "${name}" (${configFile} has no such parameter)`, weightsFile);
  }
}

/**
 * A checkpoint from its parsed config.json and its weights file's bytes (the browser's loader; Node's
 * loadCheckpoint reads the files and checks sizes and hashes first): the config is validated, then the
 * weights header against it, before the model is built. Every defect is a DataError naming the file.
 */
export function checkpointFromBytes(
  rawConfig: unknown,
  weights: Uint8Array,
  configFile: string,
  weightsFile: string,
): { model: Sequential; config: CheckpointConfig } {
  const checked = validateCheckpointConfig(rawConfig, configFile);
  checkWeightsHeader(weights, checked, weightsFile, configFile);
  return { model: modelFromCheckpoint(checked.config, weights, configFile, weightsFile), config: checked.config };
}
