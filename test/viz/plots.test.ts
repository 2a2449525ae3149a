import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { simulateLif, lifFiCurve, lifRheobase, stdpParams, stdpWindow } from '../../src/index.js';
import {
  membranePlot,
  rasterPlot,
  spikeCountPlot,
  fiCurvePlot,
  stdpWindowPlot,
  imageGridPlot,
  trainingCurvesPlot,
  niceTicks,
} from '../../src/viz/index.js';
import { svgToPng, writePlot } from '../../src/viz/png.js';

// Reads the figure back: attribute values of every element with a given class.
function marks(svg: string, cls: string): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (const m of svg.matchAll(new RegExp(`<(\\w+) class="${cls}"([^>]*)/?>`, 'g'))) {
    const attrs: Record<string, string> = { tag: m[1] };
    for (const a of m[2].matchAll(/([\w-]+)="([^"]*)"/g)) attrs[a[1]] = a[2];
    out.push(attrs);
  }
  return out;
}
function axis(svg: string, which: 'x' | 'y', nth = 0): { min: number; max: number; ticks: Array<{ value: number; pos: number }> } {
  const groups = [...svg.matchAll(new RegExp(`<g class="axis ${which}-axis" data-min="([^"]*)" data-max="([^"]*)"[^>]*>(.*?)</g>`, 'g'))];
  const g = groups[nth];
  const ticks = [...g[3].matchAll(/class="tick" data-value="([^"]*)" x1="([^"]*)" x2="[^"]*" y1="([^"]*)"/g)].map((t) => ({
    value: Number(t[1]),
    pos: Number(which === 'x' ? t[2] : t[3]),
  }));
  return { min: Number(g[1]), max: Number(g[2]), ticks };
}
/** Linear map from data to pixels recovered from two ticks. */
function scaleFrom(ticks: Array<{ value: number; pos: number }>): (v: number) => number {
  const [a, b] = [ticks[0], ticks[ticks.length - 1]];
  return (v) => a.pos + ((v - a.value) / (b.value - a.value)) * (b.pos - a.pos);
}
const wellFormed = (svg: string) => {
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg.endsWith('</svg>')).toBe(true);
  const open = (svg.match(/<g[\s>]/g) ?? []).length;
  expect((svg.match(/<\/g>/g) ?? []).length).toBe(open);
  expect(svg).not.toMatch(/NaN|undefined|Infinity/);
};

describe('viz: SVG plots', () => {
  it('nice ticks cover the range with round steps', () => {
    expect(niceTicks(0, 200, 8)).toEqual([0, 25, 50, 75, 100, 125, 150, 175, 200]);
    expect(niceTicks(-1, 1, 4)).toEqual([-1, -0.5, 0, 0.5, 1]);
  });

  it('membrane plot: spike markers sit at the simulated spike times, threshold line at the threshold', () => {
    const run = simulateLif(1.8, 200, { tauM: 20, threshold: 1, refractory: 4 });
    expect(run.spikeTimes.length).toBe(10);
    const svg = membranePlot({ v: run.v, dt: 1, current: 1.8, spikeTimes: run.spikeTimes, threshold: 1, title: 'LIF' });
    wellFormed(svg);
    const spikes = marks(svg, 'spike');
    expect(spikes.length).toBe(run.spikeTimes.length);
    // two panels: current and membrane; the membrane panel (second x axis) spans the run
    const x = axis(svg, 'x', 1);
    expect([x.min, x.max]).toEqual([0, 200]);
    const sx = scaleFrom(x.ticks);
    spikes.forEach((s, i) => {
      expect(Number(s['data-t'])).toBe(run.spikeTimes[i]);
      expect(Number(s.x1)).toBeCloseTo(sx(run.spikeTimes[i]), 1);
    });
    const y = axis(svg, 'y', 1);
    const th = marks(svg, 'threshold')[0];
    expect(Number(th.y1)).toBeCloseTo(scaleFrom(y.ticks)(1), 1);
    expect(y.min).toBeLessThanOrEqual(0);
    expect(y.max).toBeGreaterThanOrEqual(1);
    expect(svg).toContain('>threshold</text>');
    expect(svg).toContain('>time (ms)</text>');
  });

  it('membrane plot below the rheobase has no spike markers', () => {
    const run = simulateLif(0.9, 100, {});
    const svg = membranePlot({ v: run.v, current: 0.9, spikeTimes: run.spikeTimes, threshold: 1 });
    expect(marks(svg, 'spike').length).toBe(0);
  });

  it('raster from a [T, N] spike matrix: one mark per spike at its step and row', () => {
    const T = 30;
    const N = 5;
    const spk = new Uint8Array(T * N);
    const want: Array<[number, number]> = [];
    for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) if ((t * 7 + n * 3) % 11 === 0) (spk[t * N + n] = 1), want.push([t, n]);
    const svg = rasterPlot({ spikes: spk, steps: T, neurons: N, dt: 2, title: 'raster' });
    wellFormed(svg);
    const got = marks(svg, 'spike').map((m) => [Number(m['data-t']) / 2, Number(m['data-neuron'])]);
    expect(got.sort()).toEqual(want.sort());
    expect(svg).toContain(`data-spike-count="${want.length}"`);
    expect(axis(svg, 'x').max).toBe(60);
  });

  it('spike-count histogram: one bar per class, the tallest highlighted, heights proportional', () => {
    const counts = [3, 0, 12, 5, 1, 0, 0, 7, 2, 4];
    const svg = spikeCountPlot({ counts });
    wellFormed(svg);
    const bars = marks(svg, 'bar').concat(marks(svg, 'bar highlight'));
    expect(bars.length).toBe(10);
    expect(marks(svg, 'bar highlight')[0]['data-index']).toBe('2');
    const h = (i: number) => Number(bars.find((b) => b['data-index'] === String(i))!.height);
    expect(h(2) / h(0)).toBeCloseTo(4, 1);
    expect(h(1)).toBe(0);
  });

  it('f-I curve: points at the simulated rates, rheobase marked', () => {
    const currents = Array.from({ length: 11 }, (_, i) => i * 0.4);
    const fi = lifFiCurve(currents, 1000, { tauM: 20 });
    const svg = fiCurvePlot({ currents, rates: fi.map((r) => r.rateHz), rheobase: lifRheobase({}) });
    wellFormed(svg);
    const pts = marks(svg, 'point');
    expect(pts.length).toBe(11);
    const sy = scaleFrom(axis(svg, 'y').ticks);
    pts.forEach((p, i) => expect(Number(p.cy)).toBeCloseTo(sy(fi[i].rateHz), 0));
    expect(Number(marks(svg, 'rheobase')[0].x1)).toBeCloseTo(scaleFrom(axis(svg, 'x').ticks)(1), 1);
  });

  it('STDP window: potentiation for positive dt, depression for negative', () => {
    const p = stdpParams({});
    const dts = Array.from({ length: 81 }, (_, i) => i - 40);
    const svg = stdpWindowPlot({ dts, dw: dts.map((d) => stdpWindow(d, p)) });
    wellFormed(svg);
    const y = axis(svg, 'y');
    expect(y.min).toBeLessThan(0);
    expect(y.max).toBeGreaterThan(0);
    expect(svg).toContain('STDP window');
  });

  it('image grid: one group per image, pixel colours follow the values', () => {
    const data = new Float32Array(3 * 4 * 4);
    data[0] = 1; // image 0, top-left: +max -> red
    data[16 + 5] = -1; // image 1 at (1, 1): -max -> blue
    const svg = imageGridPlot({ data, rows: 4, cols: 4, cell: 5 });
    wellFormed(svg);
    expect((svg.match(/class="image"/g) ?? []).length).toBe(3);
    expect(svg).toContain('fill="rgb(255,38,0)"');
    expect(svg).toContain('fill="rgb(0,77,255)"');
  });

  it('training curves: loss and accuracy panels with one point per record', () => {
    const history = [1, 2, 3].map((epoch) => ({ epoch, loss: 1 / epoch, accuracy: 0.8 + epoch * 0.05, testAccuracy: 0.78 + epoch * 0.05 }));
    const svg = trainingCurvesPlot(history);
    wellFormed(svg);
    expect(marks(svg, 'point').length).toBe(9);
    expect(axis(svg, 'y', 1)).toMatchObject({ min: 0, max: 100 });
    expect(svg).toContain('>test accuracy</text>');
    expect(() => trainingCurvesPlot([])).toThrow(/empty/);
  });

  it('membrane plot: the legend sits above the membrane panel, clear of the data, the last spikes and the current panel', () => {
    const run = simulateLif(1.8, 200, { refractory: 2 });
    expect(run.spikeTimes.length).toBeGreaterThan(3);
    for (const current of [undefined, 1.8]) {
      const svg = membranePlot({ v: run.v, spikeTimes: run.spikeTimes, threshold: 1, vRest: 0, current, title: 'LIF' });
      wellFormed(svg);
      const num = (m: RegExpExecArray) => m.slice(1, 5).map(Number);
      const [px, py, pw, ph] = num(/<clipPath id="mem-clip"><rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/.exec(svg)!);
      const [lx, ly, lw, lh] = num(
        /<g class="legend"[^>]*><rect x="([\d.-]+)" y="([\d.-]+)" width="([\d.]+)" height="([\d.]+)"/.exec(svg)!,
      );
      // the legend box and the membrane panel (all its data: trace, threshold, spike impulses) do not overlap
      expect(ly + lh <= py || ly >= py + ph || lx + lw <= px || lx >= px + pw, `legend ${[lx, ly, lw, lh]} panel ${[px, py, pw, ph]}`).toBe(
        true,
      );
      for (const sp of marks(svg, 'spike')) expect(Number(sp.y2)).toBeGreaterThanOrEqual(ly + lh);
      expect(lx).toBeGreaterThanOrEqual(0);
      expect(ly).toBeGreaterThan(20); // below the title
      if (current !== undefined) {
        // below the current panel's x axis and its tick marks
        const bottom = Number(/<g class="axis x-axis"[^>]*><line x1="[^"]*" x2="[^"]*" y1="([\d.]+)"/.exec(svg)![1]);
        expect(ly).toBeGreaterThan(bottom + 5);
      }
    }
  });

  it('PNG export: valid signature, IHDR size = SVG size x scale', async () => {
    const svg = membranePlot({ v: simulateLif(1.5, 50).v, threshold: 1, width: 300, height: 200 });
    const png = svgToPng(svg, { scale: 2 });
    expect(Array.from(png.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    const dv = new DataView(png.buffer, png.byteOffset);
    expect(String.fromCharCode(...png.subarray(12, 16))).toBe('IHDR');
    expect([dv.getUint32(16), dv.getUint32(20)]).toEqual([600, 400]);
    const dir = mkdtempSync(join(tmpdir(), 'sf-viz-'));
    await writePlot(join(dir, 'a.svg'), svg);
    expect(readFileSync(join(dir, 'a.svg'), 'utf8')).toBe(svg);
    await expect(writePlot(join(dir, 'a.jpg'), svg)).rejects.toThrow(/\.svg or \.png/);
  });

  it('spikeflow simulate lif --plot writes the neuron figure (svg and png)', () => {
    const cli = resolve(__dirname, '..', '..', 'dist', 'cli', 'main.js');
    const dir = mkdtempSync(join(tmpdir(), 'sf-plot-'));
    const out = execFileSync(
      'node',
      [cli, 'simulate', 'lif', '--current', '1.8', '--refractory', '4', '--steps', '200', '--json', '--plot', join(dir, 'n.svg')],
      { encoding: 'utf8' },
    );
    const r = JSON.parse(out);
    const svg = readFileSync(join(dir, 'n.svg'), 'utf8');
    expect(marks(svg, 'spike').map((m) => Number(m['data-t']))).toEqual(r.spikeTimesMs);
    execFileSync('node', [cli, 'simulate', 'lif', '--sweep', '--plot', join(dir, 'fi.png')]);
    expect(readFileSync(join(dir, 'fi.png')).subarray(1, 4).toString()).toBe('PNG');
    expect(() => execFileSync('node', [cli, 'simulate', 'lif', '--plot', join(dir, 'x.gif')], { stdio: 'pipe' })).toThrow(/svg or \.png/);
  });
});
