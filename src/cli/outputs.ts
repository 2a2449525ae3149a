import { mkdir, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { TEMP_PATTERN } from '../io/atomic.js';
import { CHECKPOINT_FORMAT, CONFIG_FILE, LEGACY_WEIGHTS_FILE } from '../train/checkpoint.js';
import { WEIGHTS_FILE_PATTERN } from '../train/checkpoint-model.js';

// Output paths are checked before the work starts: a run must not train for an hour and then find
// that it cannot write its result, nor replace a result of another kind without being told to.

/** Why a file-system call failed, in words (with the code for searching). */
function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  const words: Record<string, string> = {
    ENOTDIR: 'a part of the path is a file, not a folder',
    EEXIST: 'a file of that name is in the way',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on the device',
    EISDIR: 'it is a folder',
  };
  return code && words[code] ? `${words[code]}, ${code}` : ((e as Error)?.message ?? String(e));
}

/** Tries to create and remove a file in `dir` (permissions, read-only mounts, full disks). */
async function probeWritable(dir: string, what: string): Promise<void> {
  const probe = join(dir, `.spikeflow-write-test.${process.pid}.tmp`);
  try {
    await writeFile(probe, '');
    await unlink(probe);
  } catch (e) {
    throw new UsageError(`${what}: cannot write into the folder ${resolve(dir)} (${reason(e)})`);
  }
}

/**
 * Makes sure results can be written into folder `dir` (given by `--<flag>`): creates it with its
 * parents and checks that a file can be written in it. Otherwise one UsageError naming the flag and path.
 */
export async function prepareOutputDir(dir: string, flag: string): Promise<void> {
  const what = `--${flag} ${dir}`;
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(`${what}: cannot create the folder (${reason(e)})`);
  }
  await probeWritable(dir, what);
}

/** The same for one output file: its folder is created and writable, and the path is not a folder. */
export async function prepareOutputFile(file: string, flag: string): Promise<void> {
  const what = `--${flag} ${file}`;
  const st = await stat(file).catch(() => undefined);
  if (st?.isDirectory()) throw new UsageError(`${what}: is a folder; give a file name`);
  const dir = dirname(file);
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(`${what}: cannot create its folder ${dir} (${reason(e)})`);
  }
  await probeWritable(dir, what);
}

/** What a checkpoint holds: the dataset and model it was trained for (meta.dataset, meta.model of config.json). */
export interface CheckpointKind {
  dataset: string;
  model: string;
}

const kindText = (k: CheckpointKind) => `${k.dataset} ${k.model}`;

/** Files of a checkpoint folder that are spikeflow's own: weights, temporary files, the training curves. */
function isCheckpointFile(name: string): boolean {
  return (
    name === CONFIG_FILE ||
    name === LEGACY_WEIGHTS_FILE ||
    name === 'training.svg' ||
    name === 'conversion.json' ||
    name === 'accuracy-vs-steps.svg' ||
    WEIGHTS_FILE_PATTERN.test(name) ||
    TEMP_PATTERN.test(name)
  );
}

/**
 * What folder `dir` holds: nothing (missing or only spikeflow's leftovers), a checkpoint of some kind
 * (meta.model missing: fc, the only model before csnn), or something else (described).
 */
export async function checkpointFolderContent(dir: string): Promise<{ empty: true } | { kind: CheckpointKind } | { other: string }> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return { empty: true };
  }
  if (names.includes(CONFIG_FILE)) {
    let cfg: { format?: unknown; meta?: { dataset?: unknown; model?: unknown } } | undefined;
    try {
      cfg = JSON.parse(await readFile(join(dir, CONFIG_FILE), 'utf8'));
    } catch {
      cfg = undefined;
    }
    if (cfg?.format !== CHECKPOINT_FORMAT) return { other: `a ${CONFIG_FILE} that is not a spikeflow checkpoint's` };
    const dataset = typeof cfg.meta?.dataset === 'string' ? cfg.meta.dataset : 'unknown-dataset';
    const model = typeof cfg.meta?.model === 'string' ? cfg.meta.model : 'fc';
    return { kind: { dataset, model } };
  }
  const others = names.filter((n) => !isCheckpointFile(n));
  if (!others.length) return { empty: true };
  return {
    other: `files that are not a spikeflow checkpoint (${others.slice(0, 3).join(', ')}${others.length > 3 ? `, ... ${others.length} in all` : ''})`,
  };
}

/**
 * Before training: `dir` may receive a checkpoint of `kind` when it is empty, missing, or holds one
 * of the same kind (replaced at the end). A checkpoint of another kind, or other files, is replaced
 * only with `overwrite` (--overwrite); then the folder is created and checked for writing.
 */
export async function prepareCheckpointDir(dir: string, kind: CheckpointKind, overwrite: boolean, flag = 'out'): Promise<void> {
  const content = await checkpointFolderContent(dir);
  if (!overwrite) {
    const advice = `give --overwrite to replace it, or another --${flag}`;
    if ('kind' in content && (content.kind.dataset !== kind.dataset || content.kind.model !== kind.model)) {
      throw new UsageError(
        `--${flag} ${dir} holds a ${kindText(content.kind)} checkpoint; this run (${kindText(kind)}) would replace it: ${advice}`,
      );
    }
    if ('other' in content) throw new UsageError(`--${flag} ${dir} holds ${content.other}: ${advice}`);
  }
  await prepareOutputDir(dir, flag);
}

/** The default checkpoint folder of a dataset and model: runs/mnist-fc, runs/fashion-mnist-csnn, runs/iris. */
export function defaultCheckpointDir(dataset: string, model: string): string {
  return dataset === 'iris' ? 'runs/iris' : `runs/${dataset}-${model}`;
}
