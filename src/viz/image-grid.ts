// Grids of small images (weight matrices, receptive fields, input digits) as SVG. Up to RASTER_ABOVE
// pixels each pixel is a <rect>; larger grids draw all their pixels as one embedded PNG (an <image> with
// a data: URL, scaled without smoothing), so 400 receptive fields of 28 x 28 weigh a few hundred kB
// instead of 21 MB of rects. Either way every image has its <g class="image"> with a frame (and label).
import { ValueError } from '../core/errors.js';
import { base64, encodeIndexedPng } from './png-encode.js';
import { diverging, esc, grey, svgDoc } from './svg.js';
import type { PlotSize } from './plots.js';

/** Grids with more pixels than this are drawn as one embedded raster (auto mode). */
export const RASTER_ABOVE = 4096;

export interface ImageGridOptions extends PlotSize {
  data: ArrayLike<number>;
  rows: number;
  cols: number;
  count?: number;
  columns?: number;
  /** Screen pixels per image pixel. */
  cell?: number;
  mode?: 'diverging' | 'grey';
  shared?: boolean;
  labels?: string[];
  /** true: one embedded PNG for all pixels; false: one <rect> per pixel; default: a raster above RASTER_ABOVE pixels. */
  raster?: boolean;
}

/**
 * A grid of images: `data` holds `count` images of `rows x cols` values each, row-major, one after
 * another (a Linear weight `[out, in]` with in = rows*cols is exactly this). Signed data uses a
 * blue-white-red map scaled to the largest |value| per image (or overall with `shared: true`);
 * `mode: 'grey'` draws [0, 1] intensities. In a raster the colour map has 255 levels (diverging: t =
 * (i - 127) / 127 for i in 0..254; grey: i / 255).
 */
export function imageGridPlot(o: ImageGridOptions): string {
  const { rows, cols } = o;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1)
    throw new ValueError(`imageGridPlot: rows and cols must be positive integers, found ${rows} x ${cols}`);
  const per = rows * cols;
  const count = o.count ?? Math.floor(o.data.length / per);
  if (count < 1 || count * per > o.data.length)
    throw new ValueError(`imageGridPlot: ${o.data.length} values cannot hold ${count} images of ${rows} x ${cols}`);
  const columns = o.columns ?? Math.ceil(Math.sqrt(count));
  const gridRows = Math.ceil(count / columns);
  const cell = o.cell ?? Math.max(1, Math.floor(Math.min(6, 640 / (columns * cols))));
  const raster = o.raster ?? count * per > RASTER_ABOVE;
  // a raster puts gaps and label rows on its own pixel grid: whole image pixels
  const whole = (px: number) => (raster ? Math.ceil(px / cell) * cell : px);
  const gap = whole(6);
  const labelH = o.labels ? whole(14) : 0;
  const top = o.title ? 36 : 10;
  const stepX = cols * cell + gap;
  const stepY = rows * cell + gap + labelH;
  const W = o.width ?? columns * stepX + gap + 10;
  const H = o.height ?? top + gridRows * stepY + gap;
  const mode = o.mode ?? 'diverging';
  const scales = new Float64Array(count);
  let globalMax = 0;
  if (o.shared) for (let i = 0; i < count * per; i++) globalMax = Math.max(globalMax, Math.abs(o.data[i]));
  for (let k = 0; k < count; k++) {
    let m = globalMax;
    if (!o.shared) for (let i = 0; i < per; i++) m = Math.max(m, Math.abs(o.data[k * per + i]));
    scales[k] = m || 1;
  }
  const x0 = gap + 5;
  const body: string[] = [];
  if (raster) body.push(rasterImage(o, { count, per, columns, gridRows, cell, stepX, stepY, x0, y0: top, mode, scales }));
  for (let k = 0; k < count; k++) {
    const gx = x0 + (k % columns) * stepX;
    const gy = top + Math.floor(k / columns) * stepY;
    const px: string[] = [];
    if (!raster) {
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const v = o.data[k * per + r * cols + c];
          const fill = mode === 'grey' ? grey(v) : diverging(v / scales[k]);
          if (fill === 'rgb(255,255,255)') continue; // background already white
          px.push(`<rect x="${gx + c * cell}" y="${gy + r * cell}" width="${cell}" height="${cell}" fill="${fill}"/>`);
        }
      }
    }
    const frameFill = raster ? 'none' : '#fff';
    body.push(
      `<g class="image" data-index="${k}" shape-rendering="crispEdges"><rect class="frame" x="${gx - 0.5}" y="${gy - 0.5}" width="${cols * cell + 1}" height="${rows * cell + 1}" fill="${frameFill}" stroke="#999"/>${px.join('')}</g>`,
    );
    if (o.labels?.[k] !== undefined)
      body.push(
        `<text x="${gx + (cols * cell) / 2}" y="${gy + rows * cell + 12}" font-size="10" text-anchor="middle">${esc(o.labels[k])}</text>`,
      );
  }
  return svgDoc(W, H, body.join(''), o.title, 'spikeflow-plot image-grid');
}

interface RasterLayout {
  count: number;
  per: number;
  columns: number;
  gridRows: number;
  cell: number;
  stepX: number;
  stepY: number;
  x0: number;
  y0: number;
  mode: 'diverging' | 'grey';
  scales: Float64Array;
}

/** Palette index of a value: diverging 0..254 (127 is zero: white), grey 0..255 (0 is white). */
function levelOf(v: number, mode: 'diverging' | 'grey', scale: number): number {
  const t = Number.isFinite(v) ? v : 0;
  if (mode === 'grey') return Math.round(255 * Math.max(0, Math.min(1, t)));
  return 127 + Math.round(127 * Math.max(-1, Math.min(1, t / scale)));
}

function palette(mode: 'diverging' | 'grey'): Uint8Array {
  const n = mode === 'grey' ? 256 : 255;
  const p = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) {
    const rgb = (mode === 'grey' ? grey(i / 255) : diverging((i - 127) / 127)).slice(4, -1).split(',').map(Number);
    p.set(rgb, 3 * i);
  }
  return p;
}

/** All the grid's pixels as one PNG, one image pixel per raster pixel, gaps white; placed under the frames. */
function rasterImage(o: ImageGridOptions, g: RasterLayout): string {
  const { rows, cols } = o;
  const sx = g.stepX / g.cell;
  const sy = g.stepY / g.cell;
  const w = g.columns * sx;
  const h = g.gridRows * sy;
  const idx = new Uint8Array(w * h).fill(g.mode === 'grey' ? 0 : 127);
  for (let k = 0; k < g.count; k++) {
    const ox = (k % g.columns) * sx;
    const oy = Math.floor(k / g.columns) * sy;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) idx[(oy + r) * w + ox + c] = levelOf(o.data[k * g.per + r * cols + c], g.mode, g.scales[k]);
    }
  }
  const png = encodeIndexedPng(w, h, idx, palette(g.mode));
  return (
    `<image class="pixels" x="${g.x0}" y="${g.y0}" width="${w * g.cell}" height="${h * g.cell}" data-pixels="${w}x${h}" preserveAspectRatio="none" ` +
    `image-rendering="optimizeSpeed" style="image-rendering:pixelated" href="data:image/png;base64,${base64(png)}"/>`
  );
}

/** Weight matrix of a Linear layer (`[out, in]`, in = rows*cols) as one receptive field per output neuron. */
export function receptiveFieldsPlot(
  o: PlotSize & {
    weight: ArrayLike<number>;
    outputs: number;
    rows: number;
    cols: number;
    max?: number;
    columns?: number;
    cell?: number;
    raster?: boolean;
  },
): string {
  const count = Math.min(o.outputs, o.max ?? 64);
  return imageGridPlot({ ...o, data: o.weight, count, title: o.title ?? `Receptive fields (${count} of ${o.outputs} neurons)` });
}
