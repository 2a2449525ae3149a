import { openSync, closeSync, renameSync, unlinkSync, write, fsync } from 'node:fs';
import { promisify } from 'node:util';
import { basename, dirname, join } from 'node:path';

/**
 * Files this process has created but not yet made final: temporary files of atomic writes in flight,
 * and content files a multi-file commit (a checkpoint) has placed but not yet referenced. A SIGINT or
 * SIGTERM handler calls cleanupPendingWrites() so an interrupted run leaves nothing behind. This is
 * bookkeeping of the process's own files, read only by that cleanup; it changes no behaviour.
 */
const pending = new Map<string, (() => boolean) | undefined>();

/**
 * Marks a file as not yet final: cleanupPendingWrites() removes it unless settlePending() comes first
 * or `keep()` (asked at cleanup time, synchronously) says it has become part of a finished write (a
 * rename can complete before the code after it runs, and a signal handler can run in between).
 */
export function markPending(path: string, keep?: () => boolean): void {
  pending.set(path, keep);
}

/** The file is final (or gone): cleanupPendingWrites() leaves it alone. */
export function settlePending(path: string): void {
  pending.delete(path);
}

/**
 * Removes every file of an unfinished atomic write or checkpoint of this process; returns the paths
 * removed. Synchronous, so a signal handler can call it just before exiting.
 */
export function cleanupPendingWrites(): string[] {
  const removed: string[] = [];
  for (const [p, keep] of pending) {
    try {
      if (keep?.()) continue;
      unlinkSync(p);
      removed.push(p);
    } catch {
      /* renamed into place or never created */
    }
  }
  pending.clear();
  return removed;
}

/** Observes the steps of a write (tests interrupt the writer at each one). */
export type WriteStepHook = (step: string) => void;

/** The prefix of every temporary file name (`.<target>.<pid>.<time>.tmp`), for stale-file cleanup. */
export const TEMP_PATTERN = /^\.(.+)\.(\d+)\.[0-9a-z]+\.tmp$/;

function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
}

const writeP = promisify(write);
const fsyncP = promisify(fsync);

/**
 * Writes a file so that readers see either the old content or the complete new content, never a
 * partial file: write to a temporary file in the same folder, fsync, then rename over the target.
 * `onStep` sees 'open', 'written', 'synced', 'renamed' (prefixed by `label:` when a label is given).
 * The steps that create or rename a name run synchronously, so a signal handler (which runs between
 * JavaScript tasks) never meets a half-made one: cleanupPendingWrites() then removes what is pending.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  o: { onStep?: WriteStepHook; label?: string } = {},
): Promise<void> {
  const step = (s: string) => o.onStep?.(o.label ? `${o.label}:${s}` : s);
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const tmp = tempName(path);
  markPending(tmp);
  let fd = -1;
  try {
    fd = openSync(tmp, 'w');
    step('open');
    for (let off = 0; off < bytes.length; ) off += (await writeP(fd, bytes, off, bytes.length - off)).bytesWritten;
    step('written');
    await fsyncP(fd);
    step('synced');
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
    settlePending(tmp);
    step('renamed');
  } catch (e) {
    if (fd >= 0)
      try {
        closeSync(fd);
      } catch {
        /* already closed */
      }
    try {
      unlinkSync(tmp);
    } catch {
      /* not created, or renamed */
    }
    settlePending(tmp);
    throw e;
  }
}
