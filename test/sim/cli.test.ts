import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseDuration } from '../../src/cli/simulate-network.js';

// The CLI as a user runs it: the built entry point (npm test builds first).
const main = resolve(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
};

describe('spikeflow simulate cuba|coba', () => {
  it('simulate cuba --duration 100ms --json prints the run as one JSON object', () => {
    const r = run('simulate', 'cuba', '--duration', '100ms', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout.trim());
    for (const k of ['runSeconds', 'buildSeconds', 'meanRateHz', 'synapses', 'spikes']) expect(j).toHaveProperty(k);
    expect(j.model).toBe('cuba');
    expect(j.durationMs).toBeCloseTo(100, 9);
    expect(j.neurons).toBe(4000);
    expect(Math.abs(j.synapses - 320000)).toBeLessThan(2800);
    expect(j.meanRateHz).toBeGreaterThan(3);
    expect(j.meanRateHz).toBeLessThan(9);
    expect(j.spikes).toBe(Math.round((j.meanRateHz * 4000 * 100) / 1000));
    expect(j.runSeconds).toBeGreaterThan(0);
    expect(j.seed).toBe(1);
  });

  it('--plot draws the spike raster of the first neurons: every mark is a recorded spike inside the run', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sf-cuba-')), 'raster.svg');
    const r = run('simulate', 'cuba', '--duration', '100ms', '--plot', file, '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout.trim());
    const svg = readFileSync(file, 'utf8');
    const marks = [...svg.matchAll(/<rect class="spike" data-t="([\d.e+-]+)" data-neuron="(\d+)"/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    // 200 of the 4000 neurons at ~6 Hz for 0.1 s: about 120 marks (5% of all spikes)
    expect(marks.length).toBeGreaterThan(0.02 * j.spikes);
    expect(marks.length).toBeLessThan(0.1 * j.spikes);
    for (const [t, n] of marks) {
      expect(t).toBeGreaterThanOrEqual(0);
      expect(t).toBeLessThan(100);
      expect(n).toBeLessThan(200);
    }
    expect(svg).toContain(`${j.meanRateHz.toFixed(2)} Hz mean rate`);
    expect(run('simulate', 'cuba', '--duration', '10ms', '--plot', 'x.pdf').stderr).toMatch(
      /--plot: expected a file name ending in .svg or .png/,
    );
  });

  it('--seed changes the network; text output names rate, synapses and run time', () => {
    const a = JSON.parse(run('simulate', 'cuba', '--duration', '20ms', '--seed', '2', '--json').stdout);
    const b = JSON.parse(run('simulate', 'cuba', '--duration', '20ms', '--seed', '3', '--json').stdout);
    expect(a.synapses).not.toBe(b.synapses);
    const t = run('simulate', 'coba', '--duration', '0.02s');
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/COBA.*4000 LIF neurons/);
    expect(t.stdout).toMatch(/mean rate\s+[\d.]+ Hz/);
    expect(t.stdout).toMatch(/simulated\s+0\.020 s/);
  });

  it('a bad --duration is one line and exit code 2', () => {
    const r = run('simulate', 'cuba', '--duration', '10 parsecs');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('spikeflow: --duration: expected a time like 100ms or 1s (a bare number is ms), found "10 parsecs"');
    expect(run('simulate', 'cuba', '--seed', '-1').code).toBe(2);
  });

  it('parseDuration: ms, s and bare numbers', () => {
    expect(parseDuration('100ms')).toBe(100);
    expect(parseDuration('1s')).toBe(1000);
    expect(parseDuration('0.25 s')).toBe(250);
    expect(parseDuration('250')).toBe(250);
    expect(parseDuration('1e3ms')).toBe(1000);
    for (const bad of ['', '-5ms', '0s', 'fast', '5 min']) expect(() => parseDuration(bad)).toThrow(/--duration/);
  });
});
