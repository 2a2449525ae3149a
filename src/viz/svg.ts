// Low-level SVG building blocks for the plots: scales with "nice" ticks, axes, legends, text escaping.
// Pure string building: no DOM, so every plot works the same in Node, workers and browsers.

/** Default colour cycle (colour-blind friendly, Okabe-Ito). */
export const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#f0e442', '#000000'];

export const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

export function esc(s: string | number): string {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Rounds for SVG coordinates: 2 decimals keeps files small and positions exact to 0.01 px. */
export function r2(x: number): string {
  return String(Math.round(x * 100) / 100);
}

/** "Nice" tick positions covering [lo, hi] (1, 2, 5 x 10^k steps), about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  const start = Math.ceil(lo / step - 1e-9) * step;
  for (let v = start; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/** Extends [lo, hi] outwards to nice round numbers (used when the caller gives no range). */
export function niceDomain(lo: number, hi: number, count = 5): [number, number] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi === lo) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return [lo - d, hi + d];
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  return [Math.floor(lo / step + 1e-9) * step, Math.ceil(hi / step - 1e-9) * step];
}

export function fmtTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(6)));
}

export function extent(values: Iterable<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/** A plotting panel: a rectangle in pixels with a linear data range on each axis. */
export class Panel {
  constructor(
    readonly x0: number,
    readonly y0: number,
    readonly w: number,
    readonly h: number,
    readonly xDomain: [number, number],
    readonly yDomain: [number, number],
  ) {}

  sx(x: number): number {
    const [a, b] = this.xDomain;
    return this.x0 + ((x - a) / (b - a || 1)) * this.w;
  }

  sy(y: number): number {
    const [a, b] = this.yDomain;
    return this.y0 + this.h - ((y - a) / (b - a || 1)) * this.h;
  }

  /** Frame, grid, ticks, tick labels and axis labels; the axis groups carry their data range as attributes. */
  axes(
    o: {
      xLabel?: string;
      yLabel?: string;
      xTicks?: number[];
      yTicks?: number[];
      xTickLabels?: string[];
      grid?: boolean;
      hideXTickLabels?: boolean;
    } = {},
  ): string {
    const xt = o.xTicks ?? niceTicks(this.xDomain[0], this.xDomain[1], Math.max(2, Math.round(this.w / 80)));
    const yt = o.yTicks ?? niceTicks(this.yDomain[0], this.yDomain[1], Math.max(2, Math.round(this.h / 45)));
    const bottom = this.y0 + this.h;
    const parts: string[] = [];
    if (o.grid !== false) {
      parts.push(`<g class="grid" stroke="#e5e5e5" stroke-width="1">`);
      for (const t of yt)
        parts.push(`<line x1="${r2(this.x0)}" x2="${r2(this.x0 + this.w)}" y1="${r2(this.sy(t))}" y2="${r2(this.sy(t))}"/>`);
      parts.push('</g>');
    }
    parts.push(
      `<g class="axis x-axis" data-min="${this.xDomain[0]}" data-max="${this.xDomain[1]}" font-size="11" fill="#333" text-anchor="middle">`,
    );
    parts.push(`<line x1="${r2(this.x0)}" x2="${r2(this.x0 + this.w)}" y1="${r2(bottom)}" y2="${r2(bottom)}" stroke="#333"/>`);
    xt.forEach((t, i) => {
      const x = r2(this.sx(t));
      parts.push(`<line class="tick" data-value="${t}" x1="${x}" x2="${x}" y1="${r2(bottom)}" y2="${r2(bottom + 5)}" stroke="#333"/>`);
      if (!o.hideXTickLabels)
        parts.push(`<text class="tick-label" x="${x}" y="${r2(bottom + 17)}">${esc(o.xTickLabels?.[i] ?? fmtTick(t))}</text>`);
    });
    if (o.xLabel)
      parts.push(`<text class="axis-label" x="${r2(this.x0 + this.w / 2)}" y="${r2(bottom + 34)}" font-size="12">${esc(o.xLabel)}</text>`);
    parts.push('</g>');
    parts.push(
      `<g class="axis y-axis" data-min="${this.yDomain[0]}" data-max="${this.yDomain[1]}" font-size="11" fill="#333" text-anchor="end">`,
    );
    parts.push(`<line x1="${r2(this.x0)}" x2="${r2(this.x0)}" y1="${r2(this.y0)}" y2="${r2(bottom)}" stroke="#333"/>`);
    for (const t of yt) {
      const y = r2(this.sy(t));
      parts.push(`<line class="tick" data-value="${t}" x1="${r2(this.x0 - 5)}" x2="${r2(this.x0)}" y1="${y}" y2="${y}" stroke="#333"/>`);
      parts.push(`<text class="tick-label" x="${r2(this.x0 - 8)}" y="${r2(this.sy(t) + 4)}">${esc(fmtTick(t))}</text>`);
    }
    if (o.yLabel) {
      const cx = this.x0 - 48;
      const cy = this.y0 + this.h / 2;
      parts.push(
        `<text class="axis-label" x="${r2(cx)}" y="${r2(cy)}" font-size="12" text-anchor="middle" transform="rotate(-90 ${r2(cx)} ${r2(cy)})">${esc(o.yLabel)}</text>`,
      );
    }
    parts.push('</g>');
    return parts.join('');
  }

  /** A polyline through the finite points (gaps at NaN / Infinity). */
  line(xs: ArrayLike<number>, ys: ArrayLike<number>, attrs: string): string {
    const segs: string[] = [];
    let cur: string[] = [];
    const n = Math.min(xs.length, ys.length);
    for (let i = 0; i < n; i++) {
      const x = xs[i];
      const y = ys[i];
      if (Number.isFinite(x) && Number.isFinite(y))
        cur.push(`${r2(this.sx(x))},${r2(this.sy(Math.max(this.yDomain[0], Math.min(this.yDomain[1], y))))}`);
      else if (cur.length) segs.push(cur.join(' ')), (cur = []);
    }
    if (cur.length) segs.push(cur.join(' '));
    return segs.map((s) => `<polyline fill="none" ${attrs} points="${s}"/>`).join('');
  }

  clipId(id: string): string {
    return `<clipPath id="${id}"><rect x="${r2(this.x0)}" y="${r2(this.y0)}" width="${r2(this.w)}" height="${r2(this.h)}"/></clipPath>`;
  }
}

export interface LegendItem {
  label: string;
  color: string;
  dash?: string;
  kind?: 'line' | 'box' | 'marker';
}

function legendMark(it: LegendItem, x: number, cy: number): string {
  const mark =
    it.kind === 'box'
      ? `<rect x="${r2(x)}" y="${r2(cy - 5)}" width="16" height="10" fill="${it.color}"/>`
      : `<line x1="${r2(x)}" x2="${r2(x + 16)}" y1="${r2(cy)}" y2="${r2(cy)}" stroke="${it.color}" stroke-width="2"${it.dash ? ` stroke-dasharray="${it.dash}"` : ''}/>`;
  return `${mark}<text x="${r2(x + 22)}" y="${r2(cy + 4)}">${esc(it.label)}</text>`;
}

function legendBox(x: number, y: number, w: number, h: number, rows: string[]): string {
  return `<g class="legend" font-size="11" fill="#222"><rect x="${r2(x)}" y="${r2(y)}" width="${r2(w)}" height="${r2(h)}" fill="#fff" fill-opacity="0.85" stroke="#bbb"/>${rows.join('')}</g>`;
}

/** A legend box in the top-right corner of a panel. */
export function legend(p: Panel, items: LegendItem[]): string {
  if (!items.length) return '';
  const w = Math.max(...items.map((i) => i.label.length)) * 6.5 + 34;
  const h = items.length * 16 + 8;
  const x = p.x0 + p.w - w - 6;
  const y = p.y0 + 6;
  return legendBox(
    x,
    y,
    w,
    h,
    items.map((it, i) => legendMark(it, x + 6, y + 12 + i * 16)),
  );
}

/**
 * A legend in one row just above a panel, right-aligned with it: outside the data area, so it covers no
 * mark (the caller leaves 22 px above the panel).
 */
export function legendAbove(p: Panel, items: LegendItem[]): string {
  if (!items.length) return '';
  const widths = items.map((i) => i.label.length * 6.5 + 34);
  const w = widths.reduce((a, b) => a + b, 0) + 6;
  const h = 18;
  const x = Math.max(p.x0, p.x0 + p.w - w);
  const y = p.y0 - h - 3;
  let cx = x + 6;
  const rows = items.map((it, i) => {
    const m = legendMark(it, cx, y + h / 2);
    cx += widths[i];
    return m;
  });
  return legendBox(x, y, w, h, rows);
}

/** Wraps plot content in an <svg> root with a white background and an optional title. */
export function svgDoc(width: number, height: number, body: string, title?: string, cls = 'spikeflow-plot'): string {
  const t = title
    ? `<text class="title" x="${r2(width / 2)}" y="20" font-size="14" font-weight="bold" text-anchor="middle" fill="#111">${esc(title)}</text>`
    : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="${cls}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">` +
    `<rect class="background" width="${width}" height="${height}" fill="#fff"/>${t}${body}</svg>`
  );
}

/** Diverging colour map for signed values (blue negative, white zero, red positive), t in [-1, 1]. */
export function diverging(t: number): string {
  const c = Math.max(-1, Math.min(1, Number.isFinite(t) ? t : 0));
  const a = Math.abs(c);
  const [r, g, b] =
    c >= 0
      ? [255, Math.round(255 * (1 - a * 0.85)), Math.round(255 * (1 - a))]
      : [Math.round(255 * (1 - a)), Math.round(255 * (1 - a * 0.7)), 255];
  return `rgb(${r},${g},${b})`;
}

/** Grey map, t in [0, 1] (0 white, 1 black: ink on paper, like MNIST rendered). */
export function grey(t: number): string {
  const c = Math.round(255 * (1 - Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0))));
  return `rgb(${c},${c},${c})`;
}
