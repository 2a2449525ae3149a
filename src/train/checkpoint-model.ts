// The parts of a checkpoint that need no file system (Node and the browser): the config.json
// manifest's type, the tensors a model saves, and a model rebuilt from a config and a weights file.
import { DataError } from '../core/errors.js';
import { decodeSafetensors, type SafeTensorInput } from '../interop/safetensors.js';
import { sequentialFromConfig } from '../nn/models.js';
import type { Sequential } from '../nn/sequential.js';

export const CHECKPOINT_FORMAT = 'spikeflow-checkpoint';
export const CONFIG_FILE = 'config.json';
/** The weights file of a version-1 checkpoint (version 2 names its weights file in config.json). */
export const LEGACY_WEIGHTS_FILE = 'model.safetensors';
/** Version-2 weights files are named by their content: model-<first 16 hex digits of the SHA-256>.safetensors. */
export const WEIGHTS_FILE_PATTERN = /^model-[0-9a-f]{16}\.safetensors$/;

/** The weights file a version-2 config.json names, with the size and hash it must have. */
export interface WeightsRef {
  file: string;
  sha256: string;
  bytes: number;
}

/**
 * config.json. Version 2 is the checkpoint's manifest: written last, it names the weights file by
 * content hash, so a checkpoint changes as a whole when config.json is renamed into place.
 */
export interface CheckpointConfig {
  format: typeof CHECKPOINT_FORMAT;
  version: 1 | 2;
  /** Version 2 only (version 1: model.safetensors, unchecked). */
  weights?: WeightsRef;
  layers: Array<{ kind: string; config: Record<string, unknown> }>;
  /** Free-form: how the model was trained and how to feed it (dataset, steps, encoding, metrics). */
  meta: Record<string, unknown>;
}

/** Every parameter of the model under `<layer index>.<name>`, in torch layout (Linear weights [out, in]). */
export function checkpointTensors(model: Sequential): Record<string, SafeTensorInput> {
  const tensors: Record<string, SafeTensorInput> = {};
  model.layers.forEach((layer, i) => {
    for (const p of layer.parameters()) {
      const { shape, data } = layer.exportParameter?.(p.name, p.tensor) ?? {
        shape: [...p.tensor.shape],
        data: (p.tensor.data as Float32Array).slice(),
      };
      tensors[`${i}.${p.name}`] = { dtype: 'F32', shape, data };
    }
  });
  return tensors;
}

/** Checks the parts of a parsed config.json every reader relies on; returns it typed. */
export function checkCheckpointConfig(raw: unknown, file: string): CheckpointConfig {
  const c = raw as Partial<CheckpointConfig> | null;
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new DataError('expected a JSON object', file);
  if (c.format !== CHECKPOINT_FORMAT || (c.version !== 1 && c.version !== 2) || !Array.isArray(c.layers)) {
    throw new DataError(`expected format "${CHECKPOINT_FORMAT}" version 1 or 2 with a layers list`, file);
  }
  if (c.meta !== undefined && (typeof c.meta !== 'object' || c.meta === null || Array.isArray(c.meta))) {
    throw new DataError(`meta: expected an object, found ${JSON.stringify(c.meta)}`, file);
  }
  if (c.version === 2) {
    const w = c.weights as Partial<WeightsRef> | undefined;
    if (typeof w !== 'object' || w === null) throw new DataError('weights: expected {file, sha256, bytes} (version 2)', file);
    if (typeof w.file !== 'string' || !WEIGHTS_FILE_PATTERN.test(w.file)) {
      throw new DataError(
        `weights.file: expected a name like model-0123456789abcdef.safetensors in the same folder, found ${JSON.stringify(w.file)}`,
        file,
      );
    }
    if (typeof w.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(w.sha256) || !w.sha256.startsWith(w.file.slice(6, 22))) {
      throw new DataError(
        `weights.sha256: expected the 64 hex digits of the SHA-256 that the file name begins, found ${JSON.stringify(w.sha256)}`,
        file,
      );
    }
    if (typeof w.bytes !== 'number' || !Number.isSafeInteger(w.bytes) || w.bytes < 8) {
      throw new DataError(`weights.bytes: expected the file size in bytes, found ${JSON.stringify(w.bytes)}`, file);
    }
  }
  return { ...c, meta: c.meta ?? {} } as CheckpointConfig;
}

/** The weights file a config names (version 1: model.safetensors). */
export function weightsFileOf(config: CheckpointConfig): string {
  return config.version === 2 && config.weights ? config.weights.file : LEGACY_WEIGHTS_FILE;
}

/**
 * Rebuilds the model a checked config describes and loads its weights from the safetensors bytes;
 * every mismatch is a DataError naming `configFile` or `weightsFile` and the layer or tensor.
 */
export function modelFromCheckpoint(config: CheckpointConfig, weights: Uint8Array, configFile: string, weightsFile: string): Sequential {
  let model: Sequential;
  try {
    model = sequentialFromConfig(config.layers);
  } catch (e) {
    throw new DataError((e as Error).message, configFile);
  }
  const { tensors } = decodeSafetensors(weights, weightsFile);
  const expected = new Set<string>();
  model.layers.forEach((layer, i) => {
    for (const p of layer.parameters()) {
      const key = `${i}.${p.name}`;
      expected.add(key);
      const t = tensors[key];
      if (!t) throw new DataError(`missing tensor "${key}"`, weightsFile);
      const want = layer.exportParameter ? layer.exportParameter(p.name, p.tensor).shape : [...p.tensor.shape];
      if (t.dtype !== 'F32' || t.shape.join(',') !== want.join(',')) {
        throw new DataError(`tensor "${key}": expected F32 [${want.join(', ')}], found ${t.dtype} [${t.shape.join(', ')}]`, weightsFile);
      }
      if (layer.importParameter) layer.importParameter(p.name, p.tensor, t.data as Float32Array);
      else (p.tensor.data as Float32Array).set(t.data as Float32Array);
    }
  });
  for (const key of Object.keys(tensors)) {
    if (!expected.has(key)) throw new DataError(`unexpected tensor "${key}" (the config has no such parameter)`, weightsFile);
  }
  return model;
}
