import { readFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../core/errors.js';
import { encodeSafetensors, decodeSafetensors } from '../interop/safetensors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { sequentialFromConfig } from '../nn/models.js';
import type { Sequential } from '../nn/sequential.js';

export const CHECKPOINT_FORMAT = 'spikeflow-checkpoint';
export const WEIGHTS_FILE = 'model.safetensors';
export const CONFIG_FILE = 'config.json';

export interface CheckpointConfig {
  format: typeof CHECKPOINT_FORMAT;
  version: 1;
  layers: Array<{ kind: string; config: Record<string, unknown> }>;
  /** Free-form: how the model was trained and how to feed it (dataset, steps, encoding, metrics). */
  meta: Record<string, unknown>;
}

/**
 * Saves weights (safetensors, torch layout: Linear weights [out, in] so torch can load them) and a
 * JSON config into `dir`. Each file is written to a temporary name and renamed, so an interrupted
 * save never leaves a half-written checkpoint in place of a good one.
 */
export async function saveCheckpoint(dir: string, model: Sequential, meta: Record<string, unknown>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tensors: Parameters<typeof encodeSafetensors>[0] = {};
  model.layers.forEach((layer, i) => {
    for (const p of layer.parameters()) {
      const { shape, data } = layer.exportParameter?.(p.name, p.tensor) ?? { shape: [...p.tensor.shape], data: (p.tensor.data as Float32Array).slice() };
      tensors[`${i}.${p.name}`] = { dtype: 'F32', shape, data };
    }
  });
  const config: CheckpointConfig = {
    format: CHECKPOINT_FORMAT,
    version: 1,
    layers: model.layers.map((l) => ({ kind: l.kind, config: l.config() })),
    meta,
  };
  await writeFileAtomic(join(dir, WEIGHTS_FILE), encodeSafetensors(tensors, { format: 'pt', producer: 'spikeflow' }));
  await writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
}

/** Loads a checkpoint written by saveCheckpoint; every mismatch is a DataError naming file and tensor. */
export async function loadCheckpoint(dir: string): Promise<{ model: Sequential; config: CheckpointConfig }> {
  const cfgPath = join(dir, CONFIG_FILE);
  const wPath = join(dir, WEIGHTS_FILE);
  for (const p of [cfgPath, wPath]) if (!existsSync(p)) throw new DataError('checkpoint file not found', p);
  let config: CheckpointConfig;
  try {
    config = JSON.parse(await readFile(cfgPath, 'utf8'));
  } catch (e) {
    throw new DataError(`not valid JSON (${(e as Error).message})`, cfgPath);
  }
  if (config?.format !== CHECKPOINT_FORMAT || config.version !== 1 || !Array.isArray(config.layers)) {
    throw new DataError(`expected format "${CHECKPOINT_FORMAT}" version 1 with a layers list`, cfgPath);
  }
  let model: Sequential;
  try {
    model = sequentialFromConfig(config.layers);
  } catch (e) {
    throw new DataError((e as Error).message, cfgPath);
  }
  const { tensors } = decodeSafetensors(new Uint8Array(await readFile(wPath)), wPath);
  const expected = new Set<string>();
  model.layers.forEach((layer, i) => {
    for (const p of layer.parameters()) {
      const key = `${i}.${p.name}`;
      expected.add(key);
      const t = tensors[key];
      if (!t) throw new DataError(`missing tensor "${key}"`, wPath);
      const want = layer.exportParameter ? layer.exportParameter(p.name, p.tensor).shape : [...p.tensor.shape];
      if (t.dtype !== 'F32' || t.shape.join(',') !== want.join(',')) {
        throw new DataError(`tensor "${key}": expected F32 [${want.join(', ')}], found ${t.dtype} [${t.shape.join(', ')}]`, wPath);
      }
      if (layer.importParameter) layer.importParameter(p.name, p.tensor, t.data as Float32Array);
      else (p.tensor.data as Float32Array).set(t.data as Float32Array);
    }
  });
  for (const key of Object.keys(tensors)) {
    if (!expected.has(key)) throw new DataError(`unexpected tensor "${key}" (the config has no such parameter)`, wPath);
  }
  return { model, config };
}
