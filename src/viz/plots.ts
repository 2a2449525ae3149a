// The plots of spikeflow as SVG strings (no DOM): neuron traces, rasters, histograms, f-I curves,
// STDP windows, weight grids and training curves. Every data mark carries a class and data-* attributes
// (spike markers: data-t, data-neuron) so that tests and tools can read the figure back.
import { ValueError } from '../core/errors.js';
import { Panel, PALETTE, esc, extent, legend, legendAbove, niceDomain, r2, svgDoc, type LegendItem } from './svg.js';

export interface PlotSize {
  width?: number;
  height?: number;
  title?: string;
}

export interface Series {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  label?: string;
  color?: string;
  dash?: string;
  /** Draw a dot at every point as well as the line. */
  markers?: boolean;
}

function checkFinitePos(name: string, v: number): void {
  if (!Number.isFinite(v) || v <= 0) throw new ValueError(`${name}: expected a positive number, found ${v}`);
}

function seriesMarkup(p: Panel, s: Series, color: string, i: number): string {
  const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
  let out = `<g class="series" data-index="${i}"${s.label ? ` data-label="${esc(s.label)}"` : ''}>${p.line(s.x, s.y, `stroke="${color}" stroke-width="1.8"${dash}`)}`;
  if (s.markers) {
    for (let k = 0; k < Math.min(s.x.length, s.y.length); k++) {
      if (Number.isFinite(s.x[k]) && Number.isFinite(s.y[k]))
        out += `<circle class="point" cx="${r2(p.sx(s.x[k]))}" cy="${r2(p.sy(s.y[k]))}" r="2.5" fill="${color}"/>`;
    }
  }
  return out + '</g>';
}

/** A general line plot: several series, optional horizontal reference lines, legend. */
export function linePlot(
  o: PlotSize & {
    series: Series[];
    xLabel?: string;
    yLabel?: string;
    xRange?: [number, number];
    yRange?: [number, number];
    hLines?: Array<{ y: number; label?: string; color?: string }>;
  },
): string {
  const W = o.width ?? 640;
  const H = o.height ?? 360;
  const allX = o.series.flatMap((s) => Array.from(s.x));
  const allY = o.series.flatMap((s) => Array.from(s.y)).concat((o.hLines ?? []).map((h) => h.y));
  const xd = o.xRange ?? extent(allX);
  const yd = o.yRange ?? niceDomain(...extent(allY));
  const p = new Panel(70, o.title ? 36 : 16, W - 90, H - (o.title ? 36 : 16) - 50, xd, yd);
  const body: string[] = [p.axes({ xLabel: o.xLabel, yLabel: o.yLabel })];
  const items: LegendItem[] = [];
  for (const [i, h] of (o.hLines ?? []).entries()) {
    const c = h.color ?? '#888';
    body.push(
      `<line class="hline" data-y="${h.y}" x1="${r2(p.x0)}" x2="${r2(p.x0 + p.w)}" y1="${r2(p.sy(h.y))}" y2="${r2(p.sy(h.y))}" stroke="${c}" stroke-dasharray="6 4"/>`,
    );
    if (h.label) items.push({ label: h.label, color: c, dash: '6 4' });
    void i;
  }
  o.series.forEach((s, i) => {
    const c = s.color ?? PALETTE[i % PALETTE.length];
    body.push(seriesMarkup(p, s, c, i));
    if (s.label) items.push({ label: s.label, color: c, dash: s.dash });
  });
  body.push(legend(p, items));
  return svgDoc(W, H, body.join(''), o.title, 'spikeflow-plot line-plot');
}

export interface MembranePlotOptions extends PlotSize {
  /** Membrane potential after each step. */
  v: ArrayLike<number>;
  /** Step length in ms (time of sample k is (k + 1) * dt, the end of the step). */
  dt?: number;
  /** Input current: a constant or one value per step; omit to draw only the membrane panel. */
  current?: number | ArrayLike<number>;
  /** Spike times in ms (e.g. LifRun.spikeTimes); drawn as impulses above the threshold line. */
  spikeTimes?: ArrayLike<number>;
  threshold?: number;
  /** Resting potential: the trace starts there (time 0) when given. */
  vRest?: number;
  /** Length of the time axis in ms (default: the trace's length); lets an animation draw a growing trace on fixed axes. */
  duration?: number;
}

/**
 * The tutorials' neuron figure: input current on top, membrane potential with the threshold (dashed) and
 * the spikes as vertical impulses below. Spike markers are `<line class="spike" data-t="...">` placed at
 * the spike times.
 */
export function membranePlot(o: MembranePlotOptions): string {
  const dt = o.dt ?? 1;
  checkFinitePos('membranePlot dt', dt);
  const n = o.v.length;
  if (n === 0) throw new ValueError('membranePlot: the membrane trace is empty');
  const W = o.width ?? 720;
  const H = o.height ?? (o.current === undefined ? 320 : 460);
  const ts = Float64Array.from({ length: n + 1 }, (_, k) => k * dt);
  const vAll = Float64Array.from({ length: n + 1 }, (_, k) => (k === 0 ? (o.vRest ?? o.v[0]) : o.v[k - 1]));
  const xd: [number, number] = [0, Math.max(o.duration ?? 0, n * dt)];
  const top = o.title ? 36 : 16;
  const body: string[] = [];
  let memTop = top;
  if (o.current !== undefined) {
    const cur =
      typeof o.current === 'number'
        ? new Float64Array(n).fill(o.current)
        : Float64Array.from({ length: n }, (_, k) => (o.current as ArrayLike<number>)[k]);
    // step function: current held over each step
    const cx: number[] = [];
    const cy: number[] = [];
    for (let k = 0; k < n; k++) cx.push(k * dt, (k + 1) * dt), cy.push(cur[k], cur[k]);
    const [clo, chi] = extent(cur);
    const pc = new Panel(
      70,
      top,
      W - 90,
      (H - top - 60) * 0.3,
      xd,
      niceDomain(Math.min(0, clo), chi === clo && chi === 0 ? 1 : Math.max(0, chi), 3),
    );
    body.push(
      `<g class="panel current-panel">${pc.axes({ yLabel: 'input current I', hideXTickLabels: true })}<g class="current">${pc.line(cx, cy, `stroke="${PALETTE[4]}" stroke-width="1.8"`)}</g></g>`,
    );
    memTop = top + pc.h + 24;
  }
  const vTh = o.threshold;
  const [vlo, vhi] = extent(vAll);
  const yd = niceDomain(Math.min(vlo, o.vRest ?? vlo), Math.max(vhi, vTh === undefined ? vhi : vTh * 1.25), 4);
  // the legend goes in a row above the membrane panel, outside the data (spikes reach the panel's top)
  const legendRow = 22;
  const pm = new Panel(70, memTop + legendRow, W - 90, H - memTop - legendRow - 50, xd, yd);
  body.push(`<g class="panel membrane-panel">${pm.axes({ xLabel: 'time (ms)', yLabel: 'membrane potential V' })}`);
  body.push(`<defs>${pm.clipId('mem-clip')}</defs>`);
  const items: LegendItem[] = [{ label: 'membrane V', color: PALETTE[0] }];
  if (vTh !== undefined) {
    body.push(
      `<line class="threshold" data-y="${vTh}" x1="${r2(pm.x0)}" x2="${r2(pm.x0 + pm.w)}" y1="${r2(pm.sy(vTh))}" y2="${r2(pm.sy(vTh))}" stroke="#d55e00" stroke-dasharray="6 4" stroke-width="1.5"/>`,
    );
    items.push({ label: 'threshold', color: '#d55e00', dash: '6 4' });
  }
  body.push(`<g class="membrane" clip-path="url(#mem-clip)">${pm.line(ts, vAll, `stroke="${PALETTE[0]}" stroke-width="1.6"`)}</g>`);
  const spikes = o.spikeTimes ? Array.from(o.spikeTimes) : [];
  const yFrom = pm.sy(vTh ?? yd[1] - (yd[1] - yd[0]) * 0.2);
  const yTo = pm.y0 + 2;
  body.push(`<g class="spikes" stroke="#111" stroke-width="1.4">`);
  for (const t of spikes) {
    const x = r2(pm.sx(t));
    body.push(`<line class="spike" data-t="${t}" x1="${x}" x2="${x}" y1="${r2(yFrom)}" y2="${r2(yTo)}"/>`);
  }
  body.push('</g>');
  if (spikes.length) items.push({ label: `spikes (${spikes.length})`, color: '#111' });
  body.push(legendAbove(pm, items), '</g>');
  return svgDoc(W, H, body.join(''), o.title, 'spikeflow-plot membrane-plot');
}

export interface RasterOptions extends PlotSize {
  /**
   * Either spike times per neuron (`times[n]` = that neuron's spike times), or a 0/1 matrix `[steps, neurons]`
   * (row-major, e.g. a `[T, 1, N]` spike tensor's data) with `steps` and `neurons`.
   */
  times?: ArrayLike<number>[];
  spikes?: ArrayLike<number>;
  steps?: number;
  neurons?: number;
  /** ms per step for the matrix form (default 1; the spike of step k is drawn at time k * dt). */
  dt?: number;
  /** Time range of the x axis (default: [0, steps * dt] or the spikes' extent). */
  duration?: number;
  xLabel?: string;
  yLabel?: string;
  /** Colour per neuron (e.g. by class); default one colour. */
  colors?: (neuron: number) => string;
}

/** Spike raster: one row per neuron, one tick per spike (`<rect class="spike" data-t data-neuron>`). */
export function rasterPlot(o: RasterOptions): string {
  const dt = o.dt ?? 1;
  checkFinitePos('rasterPlot dt', dt);
  let times: number[][];
  let duration: number;
  if (o.times) {
    times = o.times.map((t) => Array.from(t));
    duration = o.duration ?? Math.max(1, ...times.flat()) * 1.02;
  } else if (o.spikes && o.steps !== undefined && o.neurons !== undefined) {
    const { spikes, steps, neurons } = o;
    if (spikes.length < steps * neurons)
      throw new ValueError(`rasterPlot: ${spikes.length} values for ${steps} steps x ${neurons} neurons`);
    times = Array.from({ length: neurons }, () => []);
    for (let t = 0; t < steps; t++) for (let n = 0; n < neurons; n++) if (spikes[t * neurons + n]) times[n].push(t * dt);
    duration = o.duration ?? steps * dt;
  } else throw new ValueError('rasterPlot: give either times or spikes with steps and neurons');
  const N = times.length;
  const W = o.width ?? 640;
  const H = o.height ?? Math.max(200, Math.min(600, 80 + N * 6));
  const top = o.title ? 36 : 16;
  const p = new Panel(70, top, W - 90, H - top - 50, [0, duration], [-0.5, N - 0.5]);
  const yTicks = N <= 12 ? Array.from({ length: N }, (_, i) => i) : undefined;
  const body: string[] = [p.axes({ xLabel: o.xLabel ?? 'time (ms)', yLabel: o.yLabel ?? 'neuron', yTicks, grid: false })];
  const rowH = Math.max(1, Math.min((p.h / Math.max(N, 1)) * 0.8, 14));
  const tickW = Math.max(1.2, Math.min(3, (p.w / Math.max(1, duration / dt)) * 0.7));
  let count = 0;
  body.push(`<g class="spikes">`);
  times.forEach((ts, n) => {
    const color = o.colors?.(n) ?? '#111';
    for (const t of ts) {
      count++;
      body.push(
        `<rect class="spike" data-t="${t}" data-neuron="${n}" x="${r2(p.sx(t) - tickW / 2)}" y="${r2(p.sy(n) - rowH / 2)}" width="${r2(tickW)}" height="${r2(rowH)}" fill="${color}"/>`,
      );
    }
  });
  body.push('</g>');
  return svgDoc(W, H, body.join(''), o.title ?? undefined, 'spikeflow-plot raster-plot').replace(
    '<svg xmlns="http://www.w3.org/2000/svg" ',
    `<svg xmlns="http://www.w3.org/2000/svg" data-spike-count="${count}" `,
  );
}

export interface BarOptions extends PlotSize {
  values: ArrayLike<number>;
  labels?: string[];
  xLabel?: string;
  yLabel?: string;
  /** Index of a bar to emphasise (e.g. the predicted class). */
  highlight?: number;
  yRange?: [number, number];
}

/** Bar chart: spike count per class (output neuron) and similar. Bars are `<rect class="bar" data-value>`. */
export function barPlot(o: BarOptions): string {
  const n = o.values.length;
  if (n === 0) throw new ValueError('barPlot: no values');
  const W = o.width ?? 520;
  const H = o.height ?? 320;
  const top = o.title ? 36 : 16;
  const [, vmax] = extent(Array.from(o.values));
  const yd = o.yRange ?? niceDomain(0, Math.max(vmax, 1), 4);
  const p = new Panel(70, top, W - 90, H - top - 50, [-0.5, n - 0.5], yd);
  const labels = o.labels ?? Array.from({ length: n }, (_, i) => String(i));
  const body = [
    p.axes({
      xLabel: o.xLabel ?? 'class',
      yLabel: o.yLabel ?? 'spike count',
      xTicks: Array.from({ length: n }, (_, i) => i),
      xTickLabels: labels,
    }),
  ];
  const bw = (p.w / n) * 0.7;
  for (let i = 0; i < n; i++) {
    const v = o.values[i];
    const y = p.sy(Math.max(yd[0], Math.min(yd[1], v)));
    const c = i === o.highlight ? PALETTE[1] : PALETTE[0];
    body.push(
      `<rect class="bar${i === o.highlight ? ' highlight' : ''}" data-index="${i}" data-value="${v}" x="${r2(p.sx(i) - bw / 2)}" y="${r2(Math.min(y, p.sy(yd[0])))}" width="${r2(bw)}" height="${r2(Math.abs(p.sy(yd[0]) - y))}" fill="${c}"/>`,
    );
  }
  return svgDoc(W, H, body.join(''), o.title, 'spikeflow-plot bar-plot');
}

/** Spike-count histogram per class: `counts[c]` = spikes of output neuron c (highlight: the prediction). */
export function spikeCountPlot(o: PlotSize & { counts: ArrayLike<number>; classNames?: string[]; highlight?: number }): string {
  let best = 0;
  for (let i = 1; i < o.counts.length; i++) if (o.counts[i] > o.counts[best]) best = i;
  return barPlot({
    ...o,
    values: o.counts,
    labels: o.classNames,
    highlight: o.highlight ?? best,
    title: o.title ?? 'Output spike count per class',
    xLabel: 'class',
    yLabel: 'spike count',
  });
}

/** f-I curve: firing rate against input current, simulated and (optionally) analytic, with the rheobase marked. */
export function fiCurvePlot(
  o: PlotSize & {
    currents: ArrayLike<number>;
    rates: ArrayLike<number>;
    analytic?: ArrayLike<number>;
    rheobase?: number;
    marker?: { current: number; rate: number };
  },
): string {
  const series: Series[] = [{ x: o.currents, y: o.rates, label: 'simulated', markers: true }];
  if (o.analytic)
    series.push({
      x: o.currents,
      y: Array.from(o.analytic, (v) => (Number.isFinite(v) ? v : NaN)),
      label: 'analytic',
      dash: '5 3',
      color: PALETTE[1],
    });
  let svg = linePlot({
    ...o,
    series,
    xLabel: 'input current I',
    yLabel: 'firing rate (Hz)',
    title: o.title ?? 'f-I curve',
    yRange: niceDomain(0, Math.max(1, ...Array.from(o.rates), ...Array.from(o.analytic ?? [], (v) => (Number.isFinite(v) ? v : 0))), 4),
  });
  const extra: string[] = [];
  if (o.rheobase !== undefined || o.marker) {
    // re-derive the panel geometry used by linePlot to place the extra marks
    const W = o.width ?? 640;
    const H = o.height ?? 360;
    const top = 36;
    const [lo, hi] = extent(Array.from(o.currents));
    const yMax = Number(/class="axis y-axis" data-min="[^"]*" data-max="([^"]*)"/.exec(svg)?.[1] ?? 1);
    const p = new Panel(70, top, W - 90, H - top - 50, [lo, hi], [0, yMax]);
    if (o.rheobase !== undefined && o.rheobase >= lo && o.rheobase <= hi) {
      const x = r2(p.sx(o.rheobase));
      extra.push(
        `<line class="rheobase" data-x="${o.rheobase}" x1="${x}" x2="${x}" y1="${r2(p.y0)}" y2="${r2(p.y0 + p.h)}" stroke="#009e73" stroke-dasharray="3 3"/><text x="${x}" y="${r2(p.y0 + 12)}" font-size="10" fill="#009e73" dx="4">rheobase</text>`,
      );
    }
    if (o.marker)
      extra.push(
        `<circle class="operating-point" cx="${r2(p.sx(o.marker.current))}" cy="${r2(p.sy(o.marker.rate))}" r="6" fill="none" stroke="#d55e00" stroke-width="2"/>`,
      );
    svg = svg.replace(/<\/svg>$/, extra.join('') + '</svg>');
  }
  return svg;
}

/** STDP window: weight change against dt = t_post - t_pre (ms); optional measured points. */
export function stdpWindowPlot(
  o: PlotSize & {
    dts: ArrayLike<number>;
    dw: ArrayLike<number>;
    points?: { dts: ArrayLike<number>; dw: ArrayLike<number>; label?: string };
  },
): string {
  const series: Series[] = [{ x: o.dts, y: o.dw, label: 'STDP window' }];
  if (o.points)
    series.push({ x: o.points.dts, y: o.points.dw, label: o.points.label ?? 'measured', markers: true, color: PALETTE[1], dash: '1 0' });
  return linePlot({
    ...o,
    series,
    xLabel: 'Δt = t_post − t_pre (ms)',
    yLabel: 'weight change Δw',
    title: o.title ?? 'STDP window',
    hLines: [{ y: 0, color: '#999' }],
  });
}

// Image grids (and receptive fields) live in image-grid.ts.
export { imageGridPlot, receptiveFieldsPlot } from './image-grid.js';

/** One record of a training history: an epoch or step with whatever metrics were measured then. */
export interface TrainingRecord {
  epoch?: number;
  step?: number;
  loss?: number;
  accuracy?: number;
  testAccuracy?: number;
  testLoss?: number;
}

/**
 * Training curves: loss (left panel) and accuracy (right panel) against step (or epoch when records have
 * no step). Accuracies are fractions in [0, 1] and drawn in percent.
 */
export function trainingCurvesPlot(history: readonly TrainingRecord[], o: PlotSize = {}): string {
  if (!history.length) throw new ValueError('trainingCurvesPlot: the history is empty');
  const useStep = history.every((h) => h.step !== undefined);
  const xs = history.map((h, i) => (useStep ? h.step! : (h.epoch ?? i + 1)));
  const xLabel = useStep ? 'step' : 'epoch';
  const W = o.width ?? 860;
  const H = o.height ?? 340;
  const top = o.title ? 40 : 16;
  const half = (W - 40) / 2;
  const xd: [number, number] = xs.length > 1 ? extent(xs) : [xs[0] - 1, xs[0] + 1];
  const pick = (f: (h: TrainingRecord) => number | undefined) => history.map((h) => f(h) ?? NaN);
  const loss = pick((h) => h.loss);
  const testLoss = pick((h) => h.testLoss);
  const acc = pick((h) => (h.accuracy === undefined ? undefined : h.accuracy * 100));
  const testAcc = pick((h) => (h.testAccuracy === undefined ? undefined : h.testAccuracy * 100));
  const lossExt = extent([...loss, ...testLoss]);
  const pl = new Panel(70, top, half - 80, H - top - 50, xd, niceDomain(Math.min(0, lossExt[0]), lossExt[1], 4));
  const pa = new Panel(half + 80, top, half - 80, H - top - 50, xd, [0, 100]);
  const mk = (xsArr: number[], ys: number[], p: Panel, color: string, dash = '') => {
    let s = p.line(xsArr, ys, `stroke="${color}" stroke-width="1.8"${dash ? ` stroke-dasharray="${dash}"` : ''}`);
    if (xsArr.length <= 60)
      ys.forEach(
        (y, i) =>
          Number.isFinite(y) && (s += `<circle class="point" cx="${r2(p.sx(xsArr[i]))}" cy="${r2(p.sy(y))}" r="2.5" fill="${color}"/>`),
      );
    return s;
  };
  const body: string[] = [];
  const lItems: LegendItem[] = [];
  const aItems: LegendItem[] = [];
  /** One curve (when it has a finite value) and its legend item; the test curves dashed. */
  const series = (items: LegendItem[], p: Panel, cls: string, ys: number[], label: string, i: number) => {
    if (!ys.some(Number.isFinite)) return;
    const dash = cls.startsWith('test') ? '5 3' : '';
    body.push(`<g class="series ${cls}">${mk(xs, ys, p, PALETTE[i], dash)}</g>`);
    items.push(dash ? { label, color: PALETTE[i], dash } : { label, color: PALETTE[i] });
  };
  body.push(`<g class="panel loss-panel">${pl.axes({ xLabel, yLabel: 'loss' })}`);
  series(lItems, pl, 'loss', loss, 'train loss', 0);
  series(lItems, pl, 'test-loss', testLoss, 'test loss', 1);
  body.push(legend(pl, lItems), '</g>');
  body.push(`<g class="panel accuracy-panel">${pa.axes({ xLabel, yLabel: 'accuracy (%)' })}`);
  series(aItems, pa, 'accuracy', acc, 'train accuracy', 2);
  series(aItems, pa, 'test-accuracy', testAcc, 'test accuracy', 3);
  const aPanelLegend = legend(new Panel(pa.x0, pa.y0 + pa.h - aItems.length * 16 - 20, pa.w, 0, xd, [0, 1]), aItems);
  body.push(aPanelLegend, '</g>');
  return svgDoc(W, H, body.join(''), o.title ?? 'Training curves', 'spikeflow-plot training-curves');
}

/** Alias used by the CLI: a training history (one record per epoch or logged step) as an SVG document. */
export function trainingHistorySvg(history: readonly TrainingRecord[], title?: string): string {
  return trainingCurvesPlot(history, { title });
}
