import { describe, expect, it } from 'vitest';
import { parseArgs, formatHelp, type FlagSpec } from '../../src/cli/args.js';
import { createProgress, formatDuration } from '../../src/cli/progress.js';
import { UsageError } from '../../src/core/errors.js';

const spec = {
  epochs: { type: 'int', default: 1, min: 1, help: 'passes' },
  lr: { type: 'float', default: 5e-4, min: 0, help: 'learning rate' },
  dataset: { type: 'choice', choices: ['mnist', 'fashion-mnist'], default: 'mnist', help: 'data' },
  json: { type: 'bool', default: false, help: 'json' },
  out: { type: 'string', help: 'folder' },
} as const satisfies FlagSpec;

describe('flag parser', () => {
  it('parses every form and fills defaults', () => {
    const r = parseArgs(['--epochs', '3', '--lr=1e-3', '--json', '--dataset', 'fashion-mnist', 'pos'], spec);
    expect(r.values).toEqual({ epochs: 3, lr: 1e-3, json: true, dataset: 'fashion-mnist', out: undefined });
    expect(r.positionals).toEqual(['pos']);
    expect(parseArgs(['--no-json'], spec).values.json).toBe(false);
    expect(parseArgs(['-h'], spec).help).toBe(true);
  });
  it('names the flag, the expectation and what was found', () => {
    const err = (argv: string[]) => () => parseArgs(argv, spec);
    expect(err(['--epochs', 'abc'])).toThrow(UsageError);
    expect(err(['--epochs', 'abc'])).toThrow('--epochs: expected an integer >= 1, found "abc"');
    expect(err(['--epochs', '0'])).toThrow('--epochs: expected an integer >= 1, found "0"');
    expect(err(['--lr', '1e'])).toThrow('--lr: expected a number >= 0, found "1e"');
    expect(err(['--dataset', 'cifar'])).toThrow('--dataset: expected one of mnist, fashion-mnist, found "cifar"');
    expect(err(['--epoch', '2'])).toThrow('unknown flag --epoch (did you mean --epochs?)');
    expect(err(['--out'])).toThrow('--out: missing value');
    expect(err(['--epochs', '1', '--epochs', '2'])).toThrow('--epochs given twice');
  });
  it('help lists every flag with its default', () => {
    const h = formatHelp('spikeflow train', 'train', spec);
    for (const f of ['--epochs <int>', '--lr <float>', '--dataset <mnist|fashion-mnist>', '--json', '--out <text>']) expect(h).toContain(f);
    expect(h).toContain('(default 0.0005)');
  });
});

describe('progress bar', () => {
  const sink = (isTTY: boolean) => {
    const out: string[] = [];
    return { out, stream: { write: (s: string) => out.push(s), isTTY } };
  };
  it('redraws one line on a TTY with rate-based ETA', () => {
    let t = 0;
    const s = sink(true);
    const p = createProgress({ total: 10, label: 'ep', stream: s.stream, now: () => t });
    t = 4;
    p.update(4, { loss: '0.5' });
    expect(s.out[0].startsWith('\r')).toBe(true);
    expect(s.out[0]).toContain(' 40% 4/10');
    expect(s.out[0]).toContain('loss 0.5');
    expect(s.out[0]).toContain('ETA 6s'); // 1 s per item, 6 items left
    t = 4.05;
    p.update(5, {});
    expect(s.out).toHaveLength(1); // throttled
    t = 10;
    p.update(10, {});
    p.done();
    expect(s.out[s.out.length - 1].endsWith('\n')).toBe(true);
  });
  it('writes plain lines at 0%, 10%, ..., 100% when not a TTY', () => {
    let t = 0;
    const s = sink(false);
    const p = createProgress({ total: 100, label: 'ep', stream: s.stream, now: () => t });
    for (let i = 1; i <= 100; i++) {
      t = i;
      p.update(i);
    }
    expect(s.out).toHaveLength(11);
    expect(s.out[10]).toContain('100% 100/100');
    expect(s.out.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
  });
  it('formats durations', () => {
    expect([formatDuration(5), formatDuration(75), formatDuration(3700), formatDuration(NaN)]).toEqual(['5s', '1m15s', '1h01m', '--']);
  });
});
