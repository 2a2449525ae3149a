import { describeFlag, flagSyntax } from './help.js';
import type { Command } from './commands.js';

/** The markers around the generated flag reference in README.md. */
export const FLAGS_BEGIN = '<!-- flags:begin (generated from src/cli by `npm run docs:flags`; edit the flag tables, not this block) -->';
export const FLAGS_END = '<!-- flags:end -->';

/** Text for Markdown: `<` outside code spans escaped (`runs/<dataset>` is no HTML tag). */
function markdownText(s: string): string {
  return s
    .split('`')
    .map((part, i) => (i % 2 ? part : part.replace(/</g, '&lt;')))
    .join('`');
}

/**
 * The README's flag reference: for each command its description and one line per flag with its value
 * type (or choices), description, range and default, from the same tables the parser and --help read.
 */
export function flagReference(commands: Record<string, Command>): string {
  const out: string[] = [];
  for (const [name, c] of Object.entries(commands)) {
    out.push(`#### \`spikeflow ${name}\``, '', c.about, '');
    for (const [flag, d] of Object.entries(c.flags))
      out.push(`- \`${flagSyntax(flag, d)}\`: ${markdownText(describeFlag(flag, d, { docs: true }))}`);
    out.push('');
  }
  return out.join('\n').trimEnd();
}

/**
 * `readme` with the block from the begin marker (any `<!-- flags:begin ... -->` line) to the end marker
 * replaced by the begin marker and `reference`; throws when the markers are missing or out of order.
 */
export function replaceFlagBlock(readme: string, reference: string): string {
  const a = readme.indexOf('<!-- flags:begin');
  const b = readme.indexOf(FLAGS_END);
  if (a < 0 || b < a) throw new Error(`README: expected the markers ${FLAGS_BEGIN} ... ${FLAGS_END}`);
  return `${readme.slice(0, a)}${FLAGS_BEGIN}\n${reference}\n${readme.slice(b)}`;
}
