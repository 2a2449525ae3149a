import { describe, expect, expectTypeOf, it } from 'vitest';
import { parseArgs, formatHelp, describeFlag, type FlagSpec } from '../../src/cli/args.js';
import { UsageError, ValueError } from '../../src/core/errors.js';

const spec = {
  epochs: { type: 'int', default: 1, min: 1, help: 'passes over the data' },
  batch: { type: 'int', default: 128, min: 1, max: 65536, help: 'batch size' },
  lr: { type: 'float', default: 5e-4, min: 0, help: 'learning rate' },
  shift: { type: 'float', default: 0, help: 'input offset' },
  dataset: { type: 'choice', choices: ['mnist', 'fashion-mnist'], default: 'mnist', help: 'data set' },
  json: { type: 'bool', default: false, help: 'print JSON' },
  color: { type: 'bool', default: true, help: 'colour output' },
  out: { type: 'string', help: 'output folder' },
  limit: { type: 'int', min: 1, help: 'use the first N samples' },
} as const satisfies FlagSpec;

function usageError(argv: string[]): string {
  try {
    parseArgs(argv, spec);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`no error for ${JSON.stringify(argv)}`);
}

describe('parseArgs', () => {
  it('derives the result type from the spec', () => {
    const { values } = parseArgs([], spec);
    expectTypeOf(values.epochs).toEqualTypeOf<number>();
    expectTypeOf(values.json).toEqualTypeOf<boolean>();
    expectTypeOf(values.dataset).toEqualTypeOf<'mnist' | 'fashion-mnist'>();
    expectTypeOf(values.out).toEqualTypeOf<string | undefined>();
    expectTypeOf(values.limit).toEqualTypeOf<number | undefined>();
  });

  it('fills defaults, and leaves flags without one undefined', () => {
    const r = parseArgs([], spec);
    expect(r.values).toEqual({
      epochs: 1,
      batch: 128,
      lr: 5e-4,
      shift: 0,
      dataset: 'mnist',
      json: false,
      color: true,
      out: undefined,
      limit: undefined,
    });
    expect(r.positionals).toEqual([]);
    expect(r.help).toBe(false);
  });

  it('parses --flag value, --flag=value, bools and positionals', () => {
    const r = parseArgs(
      [
        'train.idx',
        '--epochs',
        '3',
        '--lr=1e-3',
        '--json',
        '--dataset',
        'fashion-mnist',
        '--out=a=b',
        '--no-color',
        'x',
        '--shift',
        '-0.5',
      ],
      spec,
    );
    expect(r.values).toMatchObject({ epochs: 3, lr: 1e-3, json: true, color: false, dataset: 'fashion-mnist', out: 'a=b', shift: -0.5 });
    expect(r.positionals).toEqual(['train.idx', 'x']);
  });

  it('reads explicit boolean values and numbers in every usual spelling', () => {
    expect(parseArgs(['--json=true'], spec).values.json).toBe(true);
    expect(parseArgs(['--json=FALSE'], spec).values.json).toBe(false);
    expect(parseArgs(['--color=0'], spec).values.color).toBe(false);
    expect(parseArgs(['--color=yes'], spec).values.color).toBe(true);
    expect(parseArgs(['--lr', '.5'], spec).values.lr).toBe(0.5);
    expect(parseArgs(['--lr', '2.'], spec).values.lr).toBe(2);
    expect(parseArgs(['--lr', '+3E-2'], spec).values.lr).toBe(0.03);
    expect(parseArgs(['--shift=-1e3'], spec).values.shift).toBe(-1000);
    expect(parseArgs(['--batch', '65536'], spec).values.batch).toBe(65536);
    // a bool flag does not swallow the next word
    expect(parseArgs(['--json', 'file'], spec)).toMatchObject({ values: { json: true }, positionals: ['file'] });
  });

  it('everything after -- is positional, and a lone - is a positional', () => {
    const r = parseArgs(['--epochs', '2', '--', '--json', '-h', '--bogus'], spec);
    expect(r.values.epochs).toBe(2);
    expect(r.values.json).toBe(false);
    expect(r.help).toBe(false);
    expect(r.positionals).toEqual(['--json', '-h', '--bogus']);
    expect(parseArgs(['-'], spec).positionals).toEqual(['-']);
  });

  it('detects -h and --help anywhere before --, even next to mistakes', () => {
    expect(parseArgs(['-h'], spec).help).toBe(true);
    expect(parseArgs(['--epochs', '2', '--help'], spec).help).toBe(true);
    const r = parseArgs(['--epochs', 'abc', '--nope', '-h'], spec);
    expect(r.help).toBe(true);
    expect(r.values.epochs).toBe(1); // only defaults when help is asked for
  });

  it('bad values name the flag, the expectation and what was found', () => {
    expect(usageError(['--epochs', 'abc'])).toBe('--epochs: expected an integer >= 1, found "abc"');
    expect(usageError(['--epochs', '0'])).toBe('--epochs: expected an integer >= 1, found "0"');
    expect(usageError(['--epochs', '2.5'])).toBe('--epochs: expected an integer >= 1, found "2.5"');
    expect(usageError(['--epochs', '99999999999999999999'])).toBe('--epochs: expected an integer >= 1, found "99999999999999999999"');
    expect(usageError(['--batch=70000'])).toBe('--batch: expected an integer in [1, 65536], found "70000"');
    expect(usageError(['--lr', '1e'])).toBe('--lr: expected a number >= 0, found "1e"');
    expect(usageError(['--lr', '-0.1'])).toBe('--lr: expected a number >= 0, found "-0.1"');
    expect(usageError(['--shift', 'NaN'])).toBe('--shift: expected a number, found "NaN"');
    expect(usageError(['--shift', 'Infinity'])).toBe('--shift: expected a number, found "Infinity"');
    expect(usageError(['--shift', '0x10'])).toBe('--shift: expected a number, found "0x10"');
    expect(usageError(['--shift', ' 1'])).toBe('--shift: expected a number, found " 1"');
    expect(usageError(['--dataset', 'cifar'])).toBe('--dataset: expected one of mnist, fashion-mnist, found "cifar"');
    expect(usageError(['--dataset=MNIST'])).toBe('--dataset: expected one of mnist, fashion-mnist, found "MNIST"');
    expect(usageError(['--json=maybe'])).toBe('--json: expected true or false, found "maybe"');
    expect(usageError(['--out='])).toBe('--out: expected a non-empty value, found ""');
  });

  it('missing values, unknown flags and repeats are usage errors', () => {
    expect(usageError(['--out'])).toBe('--out: missing value (expected a non-empty value)');
    expect(usageError(['--epochs', '--json'])).toBe('--epochs: missing value (expected an integer >= 1, found flag --json)');
    expect(usageError(['--epoch', '2'])).toBe('unknown flag --epoch (did you mean --epochs?)');
    expect(usageError(['--Epochs=2'])).toBe('unknown flag --Epochs (did you mean --epochs?)');
    expect(usageError(['--datset', 'mnist'])).toBe('unknown flag --datset (did you mean --dataset?)');
    expect(usageError(['--js'])).toBe('unknown flag --js (did you mean --json?)');
    expect(usageError(['--frobnicate'])).toBe('unknown flag --frobnicate');
    expect(usageError(['--no-jsn'])).toBe('unknown flag --no-jsn (did you mean --no-json?)');
    expect(usageError(['--no-epochs'])).toBe('unknown flag --no-epochs (--epochs expects an integer >= 1, it is not an on/off flag)');
    expect(usageError(['--no-json=1'])).toBe('--no-json: takes no value, found "1" (use --json=1 or --no-json alone)');
    expect(usageError(['-e', '3'])).toBe('unknown option -e (flags are spelled --name)');
    expect(usageError(['-epochs', '3'])).toBe('unknown option -epochs (did you mean --epochs?)');
    expect(usageError(['--epochs', '1', '--epochs', '2'])).toBe('--epochs given twice ("1" then "2"); give it once');
    expect(usageError(['--json', '--no-json'])).toBe('--json given twice ("true" then "false"); give it once');
  });

  it('does not confuse flag names with Object.prototype members', () => {
    expect(usageError(['--constructor', 'x'])).toBe('unknown flag --constructor');
    expect(usageError(['--__proto__=1'])).toMatch(/^unknown flag --__proto__/);
    const s = {
      constructor: { type: 'string', default: 'c', help: 'h' },
      toString: { type: 'int', help: 'h' },
    } as const satisfies FlagSpec;
    expect(parseArgs([], s).values).toEqual({ constructor: 'c', toString: undefined });
    expect(parseArgs(['--toString', '4'], s).values.toString).toBe(4);
  });

  it('rejects a faulty spec (a programming error) with a ValueError naming the flag', () => {
    const bad = (s: unknown) => () => parseArgs([], s as FlagSpec);
    expect(bad({ n: { type: 'int', default: 0, min: 1, help: '' } })).toThrow(ValueError);
    expect(bad({ n: { type: 'int', default: 0, min: 1, help: '' } })).toThrow('flag spec --n: default must be an integer >= 1, found 0');
    expect(bad({ n: { type: 'int', default: 1.5, help: '' } })).toThrow('flag spec --n: default must be an integer, found 1.5');
    expect(bad({ d: { type: 'choice', choices: ['a', 'b'], default: 'c', help: '' } })).toThrow(
      'flag spec --d: default must be one of a, b, found "c"',
    );
    expect(bad({ d: { type: 'choice', choices: [], help: '' } })).toThrow('flag spec --d: choices must be a non-empty list');
    expect(bad({ n: { type: 'float', min: 2, max: 1, help: '' } })).toThrow('flag spec --n: min 2 is above max 1');
    expect(bad({ x: { type: 'list', help: '' } })).toThrow('flag spec --x: type must be int, float, string, bool or choice, found "list"');
    expect(bad({ help: { type: 'bool', help: '' } })).toThrow('flag spec --help: --help and -h are reserved');
    expect(bad({ 'no-cache': { type: 'bool', help: '' } })).toThrow(/flag spec --no-cache: on\/off flags must not start with "no-"/);
    expect(bad({ 'bad name': { type: 'bool', help: '' } })).toThrow(/flag spec --bad name: a flag name must be/);
  });
});

describe('formatHelp', () => {
  it('lists every flag with its value type, range and default', () => {
    const h = formatHelp('spikeflow train', 'Train a spiking classifier.', spec);
    const lines = h.split('\n');
    expect(lines.slice(0, 5)).toEqual(['usage: spikeflow train [flags]', '', 'Train a spiking classifier.', '', 'flags:']);
    // a flag's row with its continuation lines (a long flag puts its description on the next line)
    const row = (flag: string) => {
      const i = lines.findIndex((l) => l.startsWith(`  ${flag}`));
      let j = i + 1;
      while (j < lines.length && /^ {4,}\S/.test(lines[j])) j++;
      return i < 0 ? '' : lines.slice(i, j).join(' ').replace(/\s+/g, ' ');
    };
    expect(row('--epochs <int>')).toMatch(/passes over the data \[>= 1\] \(default 1\)$/);
    expect(row('--batch <int>')).toMatch(/batch size \[1\.\.65536\] \(default 128\)$/);
    expect(row('--lr <float>')).toMatch(/learning rate \[>= 0\] \(default 0\.0005\)$/);
    expect(row('--dataset <mnist|fashion-mnist>')).toMatch(/data set \(default mnist\)$/);
    expect(row('--json ')).toMatch(/print JSON$/);
    expect(row('--color ')).toMatch(/colour output \(default on; --no-color turns it off\)$/);
    expect(row('--out <text>')).toMatch(/output folder$/);
    expect(row('-h, --help')).toMatch(/show this help$/);
    // descriptions start in one column
    const cols = lines
      .filter((l) => l.startsWith('  -') && !l.startsWith('  --dataset'))
      .map((l) => {
        const m = /^( {2}\S.*?\S {2,})\S/.exec(l);
        return m ? m[1].length : -1;
      });
    expect(cols).not.toContain(-1);
    expect(new Set(cols).size).toBe(1);
  });

  it('wraps long descriptions under their column', () => {
    const s = {
      threads: {
        type: 'int',
        default: 4,
        min: 1,
        help: 'threads: the batch is split over this many (main thread plus workers); default: the CPU cores, at most 8',
      },
    } as const satisfies FlagSpec;
    const h = formatHelp('x', 'd', s, { width: 60 });
    const lines = h.split('\n');
    expect(lines.every((l) => l.length <= 60)).toBe(true);
    const first = lines.findIndex((l) => l.startsWith('  --threads <int>'));
    const col = lines[first].indexOf('threads:');
    expect(lines[first + 1].slice(0, col).trim()).toBe('');
    expect(lines[first + 1].slice(col)).toMatch(/^\S/);
    expect(h.replace(/\s+/g, ' ')).toContain('at most 8 [>= 1] (default 4)');
  });

  it('tells which flags were given (defaults are not), --no-x counting as x', () => {
    expect(parseArgs([], spec).given).toEqual(new Set());
    const r = parseArgs(['--epochs', '1', '--no-color', '--out=o', 'pos', '--', '--json'], spec);
    expect(r.given).toEqual(new Set(['epochs', 'color', 'out']));
    // given with its default value still counts as given
    expect(r.values.epochs).toBe(1);
    expect(parseArgs(['--help', '--epochs', '3'], spec).given).toEqual(new Set());
  });

  it('a machine-dependent default is described in the docs and shown with its value in --help', () => {
    const s = { threads: { type: 'int', default: 3, docDefault: 'the CPU cores', min: 1, help: 'threads' } } as const satisfies FlagSpec;
    expect(describeFlag('threads', s.threads)).toBe('threads [>= 1] (default 3: the CPU cores)');
    expect(describeFlag('threads', s.threads, { docs: true })).toBe('threads [>= 1] (default: the CPU cores)');
    expect(() => parseArgs([], { x: { type: 'int', docDefault: '', help: 'x' } } as FlagSpec)).toThrow(ValueError);
  });
});
