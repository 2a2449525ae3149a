import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectOneLineError, runCli, tempDir } from './run-cli.js';

// spikeflow plot surrogates: every surrogate's derivative on one figure, each curve the formula its label
// states (checked here against the formulas written out again, not against the library).
const formulas: Record<string, (x: number) => number> = {
  'fast sigmoid: 1 / (25|x| + 1)^2': (x) => 1 / (25 * Math.abs(x) + 1) ** 2,
  'fast sigmoid k = 10 (the MNIST tutorial)': (x) => 1 / (10 * Math.abs(x) + 1) ** 2,
  'atan (snnTorch, alpha 2): 1 / (1 + (pi x)^2)': (x) => 1 / (1 + (Math.PI * x) ** 2),
  'tutorial 6 as written: (1/pi) / (1 + (pi x)^2)': (x) => 1 / Math.PI / (1 + (Math.PI * x) ** 2),
  '1 / (1 + (pi k x)^2), k = 2': (x) => 1 / (1 + (Math.PI * 2 * x) ** 2),
  'triangle (textbook): max(0, 1 - |x|)': (x) => Math.max(0, 1 - Math.abs(x)),
  'straight-through: 1': () => 1,
};

describe('plot surrogates', () => {
  it('draws every surrogate with its formula; the curves are those formulas', () => {
    const dir = tempDir();
    const out = join(dir, 's.svg');
    const r = runCli(['plot', 'surrogates', '--out', out, '--from', '-1.5', '--to', '1.5', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.x[0]).toBe(-1.5);
    expect(res.x.at(-1)).toBe(1.5);
    const svg = readFileSync(out, 'utf8');
    expect(res.curves.length).toBeGreaterThanOrEqual(10);
    for (const c of res.curves) expect(svg).toContain(c.label.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    for (const [label, f] of Object.entries(formulas)) {
      const c = res.curves.find((k: { label: string }) => k.label === label);
      expect(c, label).toBeDefined();
      res.x.forEach((x: number, i: number) => expect(c.y[i]).toBeCloseTo(f(x), 10));
    }
  });
  it('one-line errors for a bad subject, range or file name', () => {
    expectOneLineError(runCli(['plot', 'neurons']), 2, /plot: expected what to plot \(surrogates\), found "neurons"/);
    expectOneLineError(runCli(['plot', 'surrogates', '--from', '1', '--to', '0']), 2, /--to \(0\) must be above --from \(1\)/);
    expectOneLineError(runCli(['plot', 'surrogates', '--out', 'x.pdf']), 2, /--out: expected a file name ending in .svg or .png/);
  });
});
