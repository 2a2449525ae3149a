import { readFile } from 'node:fs/promises';
import { DataError } from '../core/errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { NirGraph } from './graph.js';
import { type ReadNirOptions, readNir } from './read.js';
import { type WriteNirOptions, writeNir } from './write.js';

/** Reads a `.nir` file from disk (Node): readNir with the path named in errors. */
export async function readNirFile(path: string, opts: Omit<ReadNirOptions, 'file'> = {}): Promise<NirGraph> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new DataError(`cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path);
  }
  return readNir(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { ...opts, file: path });
}

/**
 * Writes a `.nir` file (Node): writeNir, then an atomic replace (a temporary file in the same
 * folder, fsync, rename), so a reader never sees a partial file.
 */
export async function writeNirFile(path: string, graph: NirGraph, opts: WriteNirOptions = {}): Promise<void> {
  const bytes = await writeNir(graph, opts);
  await writeFileAtomic(path, bytes);
}
