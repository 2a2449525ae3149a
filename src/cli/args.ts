import { UsageError, ValueError } from '../core/errors.js';

/**
 * A small typed command-line flag parser. A spec names each flag and its type; the parse result's
 * type is derived from the spec, so with `as const satisfies FlagSpec`:
 *
 *   const spec = {
 *     epochs: { type: 'int', default: 1, min: 1, help: 'passes over the data' },
 *     dataset: { type: 'choice', choices: ['mnist', 'fashion-mnist'], default: 'mnist', help: '...' },
 *     out: { type: 'string', help: '...' },
 *   } as const satisfies FlagSpec;
 *   const { values } = parseArgs(process.argv.slice(2), spec);
 *   values.epochs;  // number
 *   values.dataset; // 'mnist' | 'fashion-mnist'
 *   values.out;     // string | undefined (no default)
 *
 * Accepted forms: `--flag value`, `--flag=value`, `--bool` / `--no-bool` / `--bool=false`, `-h` /
 * `--help` (anywhere before `--`), positionals, and `--` after which everything is positional. Every
 * mistake is a UsageError naming the flag, what was expected and what was found.
 */
export interface NumberFlag {
  type: 'int' | 'float';
  default?: number;
  /** Inclusive bounds. */
  min?: number;
  max?: number;
  help: string;
}
export interface StringFlag {
  type: 'string';
  default?: string;
  help: string;
}
export interface BoolFlag {
  type: 'bool';
  default?: boolean;
  help: string;
}
export interface ChoiceFlag {
  type: 'choice';
  choices: readonly string[];
  default?: string;
  help: string;
}
/**
 * `docDefault` describes a default that depends on the machine (the CPU cores): the reference in the
 * README shows it in place of the value, --help shows both.
 */
export type FlagDef = (NumberFlag | StringFlag | BoolFlag | ChoiceFlag) & { docDefault?: string };
export type FlagSpec = Record<string, FlagDef>;

/** The parsed type of one flag: number, boolean, string, or the union of a choice flag's choices. */
export type FlagValue<D extends FlagDef> = D extends { type: 'int' | 'float' }
  ? number
  : D extends { type: 'bool' }
    ? boolean
    : D extends { type: 'choice'; choices: readonly (infer C extends string)[] }
      ? C
      : string;

/** Parsed flags: those with a default are always present, the others may be undefined. */
export type Parsed<S extends FlagSpec> = {
  -readonly [K in keyof S]: S[K] extends { default: unknown } ? FlagValue<S[K]> : FlagValue<S[K]> | undefined;
};

export interface ParseResult<S extends FlagSpec> {
  values: Parsed<S>;
  /** Arguments that are not flags, in order (including everything after `--`). */
  positionals: string[];
  /** `-h` or `--help` was given (before any `--`); values then hold only the defaults. */
  help: boolean;
  /** The flags written on the command line (`--no-x` counts as x); the others hold their defaults. */
  given: Set<string>;
}

const FLAG_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(up + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length];
}

/** The known flag closest to a misspelt one, if it is close enough to be a plausible typo. */
function suggest(name: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const n of names) {
    const d = editDistance(name.toLowerCase(), n.toLowerCase());
    if (d < bestD) [best, bestD] = [n, d];
  }
  const limit = Math.max(1, Math.min(3, Math.floor(name.length / 3)));
  // within a few edits, or a prefix of it (--js for --json)
  if (bestD <= limit) return best;
  return name.length >= 2 ? names.find((n) => n.toLowerCase().startsWith(name.toLowerCase())) : undefined;
}

function didYouMean(name: string, spec: FlagSpec): string {
  const names = Object.keys(spec);
  // a misspelt --no-x is best answered with --no-x
  const candidates = name.startsWith('no-') ? [...names, ...names.filter((n) => spec[n].type === 'bool').map((n) => `no-${n}`)] : names;
  const s = suggest(name, candidates);
  return s ? ` (did you mean --${s}?)` : '';
}

function rangeText(d: NumberFlag): string {
  if (d.min !== undefined && d.max !== undefined) return ` in [${d.min}, ${d.max}]`;
  if (d.min !== undefined) return ` >= ${d.min}`;
  if (d.max !== undefined) return ` <= ${d.max}`;
  return '';
}

/** What a flag's value must be, as used in messages: "an integer >= 1", "one of a, b", ... */
function expectation(d: FlagDef): string {
  switch (d.type) {
    case 'int':
      return `an integer${rangeText(d)}`;
    case 'float':
      return `a number${rangeText(d)}`;
    case 'bool':
      return 'true or false';
    case 'choice':
      return `one of ${d.choices.join(', ')}`;
    case 'string':
      return 'a non-empty value';
  }
}

function convert(flag: string, d: FlagDef, raw: string): number | string | boolean {
  const bad = (): UsageError => new UsageError(`--${flag}: expected ${expectation(d)}, found "${raw}"`);
  switch (d.type) {
    case 'int':
    case 'float': {
      if (!(d.type === 'int' ? INT : FLOAT).test(raw)) throw bad();
      const v = Number(raw);
      if (d.type === 'int' ? !Number.isSafeInteger(v) : !Number.isFinite(v)) throw bad();
      if ((d.min !== undefined && v < d.min) || (d.max !== undefined && v > d.max)) throw bad();
      return v;
    }
    case 'bool': {
      const s = raw.toLowerCase();
      if (TRUE.has(s)) return true;
      if (FALSE.has(s)) return false;
      throw bad();
    }
    case 'choice':
      if (!d.choices.includes(raw)) throw bad();
      return raw;
    case 'string':
      if (raw === '') throw bad();
      return raw;
  }
}

const checkedSpecs = new WeakSet<object>();

/** Programmer errors in a spec (not the user's fault) are ValueErrors naming the flag. */
function validateSpec(spec: FlagSpec): void {
  if (checkedSpecs.has(spec)) return;
  for (const [name, d] of Object.entries(spec)) {
    const at = `flag spec --${name}`;
    if (!FLAG_NAME.test(name)) throw new ValueError(`${at}: a flag name must be letters, digits, '-', '_' or '.', found "${name}"`);
    if (name === 'help' || name === 'h') throw new ValueError(`${at}: --help and -h are reserved`);
    if (typeof d !== 'object' || d === null) throw new ValueError(`${at}: expected an object {type, help, ...}`);
    if (!['int', 'float', 'string', 'bool', 'choice'].includes(d.type)) {
      throw new ValueError(
        `${at}: type must be int, float, string, bool or choice, found ${JSON.stringify((d as { type: unknown }).type)}`,
      );
    }
    if (d.type === 'bool' && name.startsWith('no-'))
      throw new ValueError(`${at}: on/off flags must not start with "no-" (--no-${name.slice(3)} is derived)`);
    if (d.type === 'int' || d.type === 'float') {
      for (const k of ['min', 'max'] as const) {
        const v = d[k];
        if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v)))
          throw new ValueError(`${at}: ${k} must be a number, found ${String(v)}`);
      }
      if (d.min !== undefined && d.max !== undefined && d.min > d.max) throw new ValueError(`${at}: min ${d.min} is above max ${d.max}`);
    }
    if (d.type === 'choice' && (!Array.isArray(d.choices) || d.choices.length === 0))
      throw new ValueError(`${at}: choices must be a non-empty list`);
    if (d.docDefault !== undefined && (typeof d.docDefault !== 'string' || d.docDefault === ''))
      throw new ValueError(`${at}: docDefault must be a non-empty text`);
    if (d.default !== undefined) {
      const ok =
        d.type === 'int' || d.type === 'float'
          ? typeof d.default === 'number' &&
            (d.type === 'int' ? Number.isSafeInteger(d.default) : Number.isFinite(d.default)) &&
            !(d.min !== undefined && d.default < d.min) &&
            !(d.max !== undefined && d.default > d.max)
          : d.type === 'bool'
            ? typeof d.default === 'boolean'
            : d.type === 'choice'
              ? d.choices.includes(d.default)
              : typeof d.default === 'string';
      if (!ok) throw new ValueError(`${at}: default must be ${expectation(d)}, found ${JSON.stringify(d.default)}`);
    }
  }
  checkedSpecs.add(spec);
}

/** Parses argv (without the node/script/command words) against a spec. */
export function parseArgs<S extends FlagSpec>(argv: readonly string[], spec: S): ParseResult<S> {
  validateSpec(spec);
  const names = Object.keys(spec);
  const values: Record<string, unknown> = {};
  const given = new Map<string, string>();
  const positionals: string[] = [];

  const end = argv.indexOf('--');
  const flagPart = end >= 0 ? argv.slice(0, end) : argv;
  const help = flagPart.some((a) => a === '-h' || a === '--help');

  if (!help) {
    for (let i = 0; i < flagPart.length; i++) {
      const arg = flagPart[i];
      if (!arg.startsWith('--')) {
        if (arg.startsWith('-') && arg.length > 1 && !/^-\.?\d/.test(arg)) {
          const bare = arg.replace(/^-+/, '').split('=')[0];
          const hint = Object.hasOwn(spec, bare) ? ` (did you mean --${bare}?)` : ' (flags are spelled --name)';
          throw new UsageError(`unknown option ${arg}${hint}`);
        }
        positionals.push(arg);
        continue;
      }
      const eq = arg.indexOf('=');
      const written = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      let inline: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
      let name = written;
      let def: FlagDef | undefined = Object.hasOwn(spec, name) ? spec[name] : undefined;
      if (!def && name.startsWith('no-')) {
        const base = name.slice(3);
        const baseDef = Object.hasOwn(spec, base) ? spec[base] : undefined;
        if (baseDef?.type === 'bool') {
          if (inline !== undefined)
            throw new UsageError(`--${written}: takes no value, found "${inline}" (use --${base}=${inline} or --${written} alone)`);
          [name, def, inline] = [base, baseDef, 'false'];
        } else if (baseDef) {
          throw new UsageError(`unknown flag --${written} (--${base} expects ${expectation(baseDef)}, it is not an on/off flag)`);
        }
      }
      if (!def) throw new UsageError(`unknown flag --${written}${didYouMean(written, spec)}`);
      let raw = inline;
      if (raw === undefined) {
        if (def.type === 'bool') raw = 'true';
        else {
          const next = flagPart[i + 1];
          if (next === undefined || (next.startsWith('--') && next.length > 2)) {
            throw new UsageError(
              `--${name}: missing value (expected ${expectation(def)}${next === undefined ? '' : `, found flag ${next}`})`,
            );
          }
          raw = next;
          i++;
        }
      }
      const prev = given.get(name);
      if (prev !== undefined) throw new UsageError(`--${name} given twice ("${prev}" then "${raw}"); give it once`);
      given.set(name, raw);
      values[name] = convert(name, def, raw);
    }
  }
  if (end >= 0) positionals.push(...argv.slice(end + 1));
  for (const name of names) {
    if (!given.has(name)) values[name] = spec[name].default;
  }
  return { values: values as Parsed<S>, positionals, help, given: new Set(given.keys()) };
}

export { formatHelp, describeFlag, flagSyntax } from './help.js';
