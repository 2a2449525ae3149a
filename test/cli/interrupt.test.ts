import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Interrupts, signalExitCode, type InterruptTarget } from '../../src/cli/interrupt.js';
import { markPending } from '../../src/io/atomic.js';

/** A process stand-in: records handlers, stderr and the exit code (exit throws to stop like the real one). */
function fakeProcess() {
  const handlers = new Map<string, (s: NodeJS.Signals) => void>();
  const t = {
    stderr: '',
    code: undefined as number | undefined,
    handlers,
    target: {
      on: (s: NodeJS.Signals, h: (s: NodeJS.Signals) => void) => handlers.set(s, h),
      off: (s: NodeJS.Signals) => handlers.delete(s),
      exit: (c: number): never => {
        t.code = c;
        throw new Error('exit');
      },
      stderr: { write: (s: string) => (t.stderr += s) },
    } as InterruptTarget,
  };
  return t;
}

describe('Interrupts', () => {
  it('by default: removes the files of unfinished writes, says what was kept, exits 128 + the signal number', () => {
    const p = fakeProcess();
    const i = new Interrupts('train', p.target).install();
    expect([...p.handlers.keys()].sort()).toEqual(['SIGINT', 'SIGTERM']);
    const tmp = join(mkdtempSync(join(tmpdir(), 'sf-int-')), '.config.json.1.x.tmp');
    writeFileSync(tmp, 'partial');
    markPending(tmp);
    i.note('the checkpoint at runs/x was left untouched');
    expect(() => p.handlers.get('SIGTERM')!('SIGTERM')).toThrow('exit');
    expect(existsSync(tmp)).toBe(false);
    expect(p.stderr).toBe('spikeflow train: interrupted (SIGTERM): the checkpoint at runs/x was left untouched\n');
    expect(p.code).toBe(143);
    expect(signalExitCode('SIGINT')).toBe(130);
    i.uninstall();
    expect(p.handlers.size).toBe(0);
  });

  it('a command may take the first signal over (stop and report); a second one exits at once', () => {
    const p = fakeProcess();
    const i = new Interrupts('simulate', p.target).install();
    const seen: string[] = [];
    const release = i.takeOver((s) => seen.push(s));
    p.handlers.get('SIGINT')!('SIGINT');
    expect(seen).toEqual(['SIGINT']);
    expect(p.code).toBeUndefined();
    expect(i.exitCode).toBe(130);
    expect(() => p.handlers.get('SIGINT')!('SIGINT')).toThrow('exit');
    expect(p.code).toBe(130);
    expect(p.stderr).toBe('spikeflow simulate: interrupted (SIGINT)\n');
    // released: the default again
    const q = fakeProcess();
    const j = new Interrupts('simulate', q.target).install();
    j.takeOver(() => seen.push('never'))();
    release();
    expect(() => q.handlers.get('SIGINT')!('SIGINT')).toThrow('exit');
    expect(seen).toEqual(['SIGINT']);
  });
});
