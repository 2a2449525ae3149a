import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { commands } from '../../src/cli/commands.js';
import { FLAGS_BEGIN, FLAGS_END, flagReference, replaceFlagBlock } from '../../src/cli/flag-docs.js';

const root = resolve(__dirname, '..', '..');
const readme = readFileSync(resolve(root, 'README.md'), 'utf8');

// The README's flag reference is generated from the parser's flag tables; drift fails here.
describe("README's flag reference", () => {
  it('equals what `npm run docs:flags` generates from the flag tables', () => {
    const a = readme.indexOf(FLAGS_BEGIN);
    const b = readme.indexOf(FLAGS_END);
    expect(a, 'README.md lacks the begin marker').toBeGreaterThanOrEqual(0);
    expect(b).toBeGreaterThan(a);
    expect(readme.slice(a + FLAGS_BEGIN.length + 1, b - 1)).toBe(flagReference(commands));
  });

  it('lists every flag of every command, with its choices and default', () => {
    const ref = flagReference(commands);
    for (const [name, c] of Object.entries(commands)) {
      expect(ref).toContain(`#### \`spikeflow ${name}\``);
      for (const flag of Object.keys(c.flags)) expect(ref).toMatch(new RegExp(`^- \`--${flag}[ \`]`, 'm'));
    }
    expect(ref).toContain('`--loss <membrane|rate|count|mse-count|mse-temporal|ce-temporal>`');
    expect(ref).toContain(
      '`--surrogate <atan|fast-sigmoid|sigmoid|triangular|spike-rate-escape|straight-through|gaussian|triangle|atan-over-pi|atan-k>`',
    );
    expect(ref).toMatch(/`--tbptt <int>`: truncated BPTT/);
    // no machine-dependent value: the thread count's default is described
    expect(ref).toContain('(default: the CPU cores)');
  });

  it('replaceFlagBlock rewrites only the block, and the script (from dist) finds the README current', () => {
    const doc = `intro\n${FLAGS_BEGIN}\nold\n${FLAGS_END}\noutro\n`;
    expect(replaceFlagBlock(doc, 'new')).toBe(`intro\n${FLAGS_BEGIN}\nnew\n${FLAGS_END}\noutro\n`);
    expect(() => replaceFlagBlock('no markers', 'x')).toThrow(/flags:begin/);
    const r = spawnSync(process.execPath, [resolve(root, 'scripts', 'readme-flags.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
});
