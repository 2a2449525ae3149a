import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';

// The CLI as a user runs it: the built entry point (npm test builds first), offline, with its own
// data cache; `cwd` is a fresh folder unless given, so default output folders (runs/...) land there.
export const main = resolve(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const cache = mkdtempSync(join(tmpdir(), 'spikeflow-cache-'));
const env = { ...process.env, SPIKEFLOW_OFFLINE: '1', SPIKEFLOW_CACHE: cache };

export const tempDir = (prefix = 'spikeflow-cli-') => mkdtempSync(join(tmpdir(), prefix));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], o: { cwd?: string; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env: { ...env, ...o.env }, cwd: o.cwd ?? tempDir() });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
}

/** A user error is one line on stderr naming the problem, a non-zero exit, and no stack trace. */
export function expectOneLineError(r: CliResult, code: number, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.split('\n').filter((l) => !/^(data:|using |downloading )/.test(l));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/**
 * Starts the CLI, sends `sig` once stderr matches `when`, and resolves with the exit code and output
 * (`signal` set when the process died of a signal instead of exiting). A run still going after
 * `timeoutMs` is killed (the test then fails on its output, and leaves no process behind).
 */
export function interruptCli(
  args: string[],
  when: RegExp,
  sig: NodeJS.Signals,
  o: { cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult & { signal: NodeJS.Signals | null; sentAfterMs: number }> {
  return new Promise((done, fail) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [main, ...args], { env, cwd: o.cwd ?? tempDir() });
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    let stdout = '';
    let stderr = '';
    let sentAfterMs = -1;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (sentAfterMs < 0 && when.test(stderr)) {
        sentAfterMs = Date.now() - t0;
        child.kill(sig);
      }
    });
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr: stderr.trim(), sentAfterMs });
    });
  });
}
