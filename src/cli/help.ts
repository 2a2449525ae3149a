import type { FlagDef, FlagSpec } from './args.js';

// --help text and the README's flag reference, from the flag tables the parser reads.

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

/** How a flag is written: `--epochs <int>`, `--dataset <mnist|iris>`, `--json`. */
export function flagSyntax(name: string, d: FlagDef): string {
  const kind = d.type === 'choice' ? d.choices.join('|') : d.type === 'bool' ? '' : d.type === 'string' ? 'text' : d.type;
  return `--${name}${kind ? ` <${kind}>` : ''}`;
}

/**
 * A flag's description with its range and default, as --help and the README's flag reference show it
 * (`docs`: a machine-dependent default by its description only).
 */
export function describeFlag(name: string, d: FlagDef, o: { docs?: boolean } = {}): string {
  let s = d.help;
  if ((d.type === 'int' || d.type === 'float') && (d.min !== undefined || d.max !== undefined)) {
    s += ` [${d.min !== undefined && d.max !== undefined ? `${d.min}..${d.max}` : d.min !== undefined ? `>= ${d.min}` : `<= ${d.max}`}]`;
  }
  if (d.type === 'bool') {
    if (d.default === true) s += ` (default on; --no-${name} turns it off)`;
  } else if (d.docDefault && (o.docs || d.default === undefined)) s += ` (default: ${d.docDefault})`;
  else if (d.default !== undefined) s += ` (default ${d.default}${d.docDefault ? `: ${d.docDefault}` : ''})`;
  return s;
}

/**
 * Help text: a usage line, the description, and one row per flag with its value type (or the
 * choices), its range, default and description, wrapped to `width` columns.
 */
export function formatHelp(command: string, description: string, spec: FlagSpec, opts: { width?: number } = {}): string {
  const width = Math.max(40, opts.width ?? 100);
  const rows: Array<[string, string]> = Object.entries(spec).map(([name, d]) => [`  ${flagSyntax(name, d)}`, describeFlag(name, d)]);
  rows.push(['  -h, --help', 'show this help']);
  const col = Math.min(Math.max(...rows.map(([l]) => l.length)) + 2, 34);
  const body: string[] = [];
  for (const [left, right] of rows) {
    const text = wrap(right, width - col);
    if (left.length + 2 > col) body.push(left, ...text.map((t) => ' '.repeat(col) + t));
    else body.push(left.padEnd(col) + text[0], ...text.slice(1).map((t) => ' '.repeat(col) + t));
  }
  return [`usage: ${command} [flags]`, '', ...wrap(description, width), '', 'flags:', ...body].join('\n');
}
