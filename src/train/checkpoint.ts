import { readFile, mkdir, open, readdir, stat, unlink } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DataError } from '../core/errors.js';
import { encodeSafetensors } from '../interop/safetensors.js';
import { markPending, settlePending, writeFileAtomic, TEMP_PATTERN, type WriteStepHook } from '../io/atomic.js';
import type { Sequential } from '../nn/sequential.js';
import {
  CHECKPOINT_FORMAT,
  CONFIG_FILE,
  LEGACY_WEIGHTS_FILE,
  WEIGHTS_FILE_PATTERN,
  checkCheckpointConfig,
  checkpointTensors,
  modelFromCheckpoint,
  weightsFileOf,
  type CheckpointConfig,
} from './checkpoint-model.js';
import { checkConfigSize, checkWeightsHeader, checkWeightsSize, validateCheckpointConfig } from './checkpoint-config.js';

export { CHECKPOINT_FORMAT, CONFIG_FILE, LEGACY_WEIGHTS_FILE } from './checkpoint-model.js';
export type { CheckpointConfig, WeightsRef } from './checkpoint-model.js';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** A file's bytes; a folder in its place or a read error is a DataError naming it. */
async function readChecked(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(code === 'EISDIR' ? 'is a folder, expected a file' : `cannot be read (${code ?? (e as Error).message})`, path);
  }
}

/** The parsed and checked config.json of a folder, or undefined when there is none or it is unreadable. */
async function currentConfig(dir: string): Promise<CheckpointConfig | undefined> {
  try {
    const path = join(dir, CONFIG_FILE);
    return checkCheckpointConfig(JSON.parse(await readFile(path, 'utf8')), path);
  } catch {
    return undefined;
  }
}

/** Whether the folder's config.json names this weights file now (for a signal handler: synchronous). */
function namedByConfigSync(dir: string, file: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(dir, CONFIG_FILE), 'utf8')) as CheckpointConfig).weights?.file === file;
  } catch {
    return false;
  }
}

/** fsync of the folder, so the renames in it survive a power cut (not possible everywhere: then skipped). */
async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* folders cannot be opened for fsync on every platform */
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes what earlier saves into `dir` left behind: weights files the manifest does not name (from a
 * replaced checkpoint, or a save killed before its commit) and temporary files of writers that are gone.
 */
async function removeStale(dir: string, keep: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const temp = TEMP_PATTERN.exec(name);
    const stale =
      name !== keep &&
      (WEIGHTS_FILE_PATTERN.test(name) ||
        name === LEGACY_WEIGHTS_FILE ||
        (temp !== null &&
          (temp[1] === CONFIG_FILE || WEIGHTS_FILE_PATTERN.test(temp[1])) &&
          Number(temp[2]) !== process.pid &&
          !processAlive(Number(temp[2]))));
    if (stale) await unlink(join(dir, name)).catch(() => undefined);
  }
}

export interface SaveCheckpointOptions {
  /**
   * Sees each step of the save: weights:open/written/synced/renamed, config:open/written/synced/renamed
   * (the commit), dir-synced, cleaned. Tests interrupt the writer at each one.
   */
  onStep?: WriteStepHook;
}

/**
 * Saves a checkpoint into `dir` so that it changes as a whole or not at all. The weights (safetensors,
 * torch layout: Linear weights [out, in]) go to a new file named by their SHA-256; then config.json,
 * the manifest naming that file, its size and hash, replaces the old one in a single rename (the commit);
 * only then are the replaced weights removed. Interrupted at any point (even by SIGKILL), the folder
 * holds the old checkpoint or the new one, whole; files of an interrupted save are removed by
 * cleanupPendingWrites() (the CLI's SIGINT/SIGTERM handler) or by the next save into the folder.
 */
export async function saveCheckpoint(
  dir: string,
  model: Sequential,
  meta: Record<string, unknown>,
  o: SaveCheckpointOptions = {},
): Promise<CheckpointConfig> {
  await mkdir(dir, { recursive: true });
  const bytes = encodeSafetensors(checkpointTensors(model), { format: 'pt', producer: 'spikeflow' });
  const hash = sha256(bytes);
  const file = `model-${hash.slice(0, 16)}.safetensors`;
  const config: CheckpointConfig = {
    format: CHECKPOINT_FORMAT,
    version: 2,
    weights: { file, sha256: hash, bytes: bytes.length },
    layers: model.layers.map((l) => ({ kind: l.kind, config: l.config() })),
    meta,
  };
  const weightsPath = join(dir, file);
  // the same weights as the checkpoint in place: rewriting them (atomically) keeps it valid throughout;
  // otherwise the new file is not part of any checkpoint until config.json names it
  const inUse = (await currentConfig(dir))?.weights?.file === file;
  if (!inUse) markPending(weightsPath, () => namedByConfigSync(dir, file));
  try {
    await writeFileAtomic(weightsPath, bytes, { onStep: o.onStep, label: 'weights' });
    await writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n', { onStep: o.onStep, label: 'config' });
  } catch (e) {
    if (!inUse) await unlink(weightsPath).catch(() => undefined);
    throw e;
  } finally {
    settlePending(weightsPath);
  }
  await syncDir(dir);
  o.onStep?.('dir-synced');
  await removeStale(dir, file);
  o.onStep?.('cleaned');
  return config;
}

/**
 * Loads a checkpoint written by saveCheckpoint (version 2: the weights file named in config.json must
 * have the size and SHA-256 named there; version 1: model.safetensors). Every mismatch is a DataError
 * naming the file, and the layer or tensor.
 */
export async function loadCheckpoint(dir: string): Promise<{ model: Sequential; config: CheckpointConfig }> {
  const cfgPath = join(dir, CONFIG_FILE);
  if (!existsSync(cfgPath)) throw new DataError('checkpoint file not found', cfgPath);
  checkConfigSize((await stat(cfgPath)).size, cfgPath);
  const text = (await readChecked(cfgPath)).toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new DataError(`not valid JSON (${(e as Error).message})`, cfgPath);
  }
  // every layer's fields, the shape chain and the size budgets, before anything is allocated
  const checked = validateCheckpointConfig(raw, cfgPath);
  const config = checked.config;
  const wPath = join(dir, weightsFileOf(config));
  if (!existsSync(wPath)) throw new DataError(`checkpoint file not found (named by ${cfgPath})`, wPath);
  const size = (await stat(wPath)).size;
  if (config.weights && size !== config.weights.bytes) {
    throw new DataError(
      `expected ${config.weights.bytes} bytes as ${cfgPath} names, found ${size} (damaged or modified after saving)`,
      wPath,
    );
  }
  checkWeightsSize(size, checked, wPath, cfgPath); // the file can hold the tensors the config describes (before reading it)
  const bytes = new Uint8Array(await readChecked(wPath));
  if (config.weights) {
    if (bytes.length !== config.weights.bytes || sha256(bytes) !== config.weights.sha256) {
      throw new DataError(`the file does not match the size and SHA-256 that ${cfgPath} names (damaged or modified after saving)`, wPath);
    }
  }
  checkWeightsHeader(bytes, checked, wPath, cfgPath); // names, dtypes and shapes, before the model is built
  return { model: modelFromCheckpoint(config, bytes, cfgPath, wPath), config };
}
