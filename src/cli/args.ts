import { UsageError } from '../core/errors.js';

export type FlagDef =
  | { type: 'int' | 'float'; default?: number; min?: number; max?: number; help: string }
  | { type: 'string'; default?: string; help: string }
  | { type: 'bool'; default?: boolean; help: string }
  | { type: 'choice'; choices: readonly string[]; default?: string; help: string };

export type FlagSpec = Record<string, FlagDef>;

type ValueOf<D extends FlagDef> = D extends { type: 'int' | 'float' }
  ? number
  : D extends { type: 'bool' }
    ? boolean
    : D extends { type: 'choice'; choices: readonly (infer C)[] }
      ? C
      : string;

/** Parsed flags: those with a default are always present, the others may be undefined. */
export type Parsed<S extends FlagSpec> = {
  [K in keyof S]: S[K] extends { default: unknown } ? ValueOf<S[K]> : ValueOf<S[K]> | undefined;
};

function closest(name: string, names: string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const n of names) {
    const d = editDistance(name, n);
    if (d < bestD) [best, bestD] = [n, d];
  }
  return bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}

function convert(flag: string, def: FlagDef, raw: string): number | string | boolean {
  switch (def.type) {
    case 'int':
    case 'float': {
      const ok = def.type === 'int' ? /^[+-]?\d+$/.test(raw) : /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(raw);
      const v = Number(raw);
      const range = def.min !== undefined && def.max !== undefined ? ` in [${def.min}, ${def.max}]` : def.min !== undefined ? ` >= ${def.min}` : def.max !== undefined ? ` <= ${def.max}` : '';
      const what = `${def.type === 'int' ? 'an integer' : 'a number'}${range}`;
      if (!ok || !Number.isFinite(v) || (def.min !== undefined && v < def.min) || (def.max !== undefined && v > def.max)) {
        throw new UsageError(`--${flag}: expected ${what}, found "${raw}"`);
      }
      return v;
    }
    case 'bool':
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw new UsageError(`--${flag}: expected true or false, found "${raw}"`);
    case 'choice':
      if (!def.choices.includes(raw)) throw new UsageError(`--${flag}: expected one of ${def.choices.join(', ')}, found "${raw}"`);
      return raw;
    case 'string':
      return raw;
  }
}

/**
 * Parses `--flag value`, `--flag=value`, `--bool` / `--no-bool`, `-h`/`--help` against a spec.
 * Every mistake is a UsageError naming the flag, what was expected and what was found.
 */
export function parseArgs<S extends FlagSpec>(argv: readonly string[], spec: S): { values: Parsed<S>; positionals: string[]; help: boolean } {
  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  let help = false;
  const names = Object.keys(spec);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) throw new UsageError(`unknown option ${arg} (flags are spelled --name)`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let inline: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    let def = spec[name];
    if (!def && name.startsWith('no-') && spec[name.slice(3)]?.type === 'bool' && inline === undefined) {
      name = name.slice(3);
      def = spec[name];
      inline = 'false';
    }
    if (!def) {
      const guess = closest(name, names);
      throw new UsageError(`unknown flag --${name}${guess ? ` (did you mean --${guess}?)` : ''}`);
    }
    if (name in values) throw new UsageError(`--${name} given twice`);
    let raw = inline;
    if (raw === undefined) {
      if (def.type === 'bool') raw = 'true';
      else {
        const next = argv[i + 1];
        if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new UsageError(`--${name}: missing value (${def.help})`);
        raw = next;
        i++;
      }
    }
    values[name] = convert(name, def, raw);
  }
  for (const [name, def] of Object.entries(spec)) {
    if (!(name in values) && def.default !== undefined) values[name] = def.default;
  }
  return { values: values as Parsed<S>, positionals, help };
}

/** Help text listing every flag with its type, default and description. */
export function formatHelp(command: string, description: string, spec: FlagSpec): string {
  const rows = Object.entries(spec).map(([name, d]) => {
    const kind = d.type === 'choice' ? d.choices.join('|') : d.type === 'bool' ? '' : d.type === 'string' ? 'text' : d.type;
    const left = `  --${name}${kind ? ` <${kind}>` : ''}`;
    const dflt = d.default !== undefined && d.type !== 'bool' ? ` (default ${d.default})` : '';
    return [left, `${d.help}${dflt}`] as const;
  });
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return [`usage: ${command} [flags]`, '', description, '', 'flags:', ...rows.map(([l, r]) => l.padEnd(width) + r), '  -h, --help'.padEnd(width) + 'show this help'].join('\n');
}
