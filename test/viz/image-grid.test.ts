import { describe, expect, it } from 'vitest';
import { inflateSync } from 'node:zlib';
import { Rng } from '../../src/index.js';
import { imageGridPlot, RASTER_ABOVE } from '../../src/viz/index.js';
import { base64, encodeIndexedPng, zlibFixed } from '../../src/viz/png-encode.js';
import { diverging, grey } from '../../src/viz/svg.js';
import { svgToPng } from '../../src/viz/png.js';

/** Decodes an 8-bit PNG (palette, RGB or RGBA; any filters) into RGB triples per pixel. */
function decodePng(png: Uint8Array): { width: number; height: number; rgb: (x: number, y: number) => number[] } {
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  expect(Array.from(png.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  let width = 0,
    height = 0,
    type = 0;
  let plte = new Uint8Array(0);
  const idat: Uint8Array[] = [];
  for (let o = 8; o < png.length; ) {
    const len = dv.getUint32(o);
    const name = String.fromCharCode(...png.subarray(o + 4, o + 8));
    const data = png.subarray(o + 8, o + 8 + len);
    if (name === 'IHDR') [width, height, type] = [dv.getUint32(o + 8), dv.getUint32(o + 12), data[9]];
    if (name === 'PLTE') plte = data;
    if (name === 'IDAT') idat.push(data);
    o += len + 12;
  }
  const bpp = type === 3 ? 1 : type === 2 ? 3 : 4;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i];
      const a = i >= bpp ? px[y * stride + i - bpp] : 0;
      const b = y > 0 ? px[(y - 1) * stride + i] : 0;
      const c = i >= bpp && y > 0 ? px[(y - 1) * stride + i - bpp] : 0;
      const p = a + b - c;
      const pr = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      px[y * stride + i] = (x + [0, a, b, (a + b) >> 1, pr][f]) & 255;
    }
  }
  const rgb = (x: number, y: number) => {
    const k = (y * width + x) * bpp;
    return type === 3 ? Array.from(plte.subarray(3 * px[k], 3 * px[k] + 3)) : Array.from(px.subarray(k, k + 3));
  };
  return { width, height, rgb };
}

const parse = (c: string) => c.slice(4, -1).split(',').map(Number);
const near = (a: number[], b: number[], tol: number) => a.every((v, i) => Math.abs(v - b[i]) <= tol);

describe('image grids', () => {
  it('the PNG encoder: zlib stream and base64 that Node reads back', () => {
    const data = Uint8Array.from({ length: 70_000 }, (_, i) => (i % 900 < 300 ? 7 : (i * 31) % 251));
    expect(Buffer.from(inflateSync(zlibFixed(data))).equals(Buffer.from(data))).toBe(true);
    for (const n of [0, 1, 2, 3, 4]) expect(base64(data.subarray(0, n))).toBe(Buffer.from(data.subarray(0, n)).toString('base64'));
    const png = decodePng(encodeIndexedPng(3, 2, Uint8Array.of(0, 1, 1, 1, 0, 0), Uint8Array.of(255, 255, 255, 10, 20, 30)));
    expect([png.width, png.height, png.rgb(1, 0), png.rgb(0, 1), png.rgb(1, 1)]).toEqual([
      3,
      2,
      [10, 20, 30],
      [10, 20, 30],
      [255, 255, 255],
    ]);
    expect(() => encodeIndexedPng(2, 1, Uint8Array.of(0, 2), Uint8Array.of(0, 0, 0))).toThrow(/index 2/);
  });

  it('400 receptive fields of 28 x 28: one embedded raster under 1 MB that decodes to the right pixels', () => {
    const rng = new Rng(3);
    const n = 400;
    const w = Float32Array.from({ length: n * 784 }, (_, i) => (i % 784 < 100 ? 0 : rng.uniform() < 0.3 ? 1 : rng.uniform()));
    const labels = Array.from({ length: n }, (_, k) => String(k % 10));
    const svg = imageGridPlot({ data: w, rows: 28, cols: 28, count: n, cell: 1, labels, title: 'fields' });
    expect(svg.length).toBeLessThan(1_000_000);
    expect(svg.match(/<image /g)?.length).toBe(1);
    expect(svg.match(/<g class="image"/g)?.length).toBe(n);
    expect(svg).not.toMatch(/<rect x="\d+" y="\d+" width="1" height="1"/);
    const labelsBack = [...svg.matchAll(/<text[^>]*text-anchor="middle">([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(labelsBack).toEqual(labels);
    const img =
      /<image class="pixels" x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)" data-pixels="(\d+)x(\d+)"[^>]* href="data:image\/png;base64,([^"]+)"/.exec(
        svg,
      )!;
    const [x0, y0] = [Number(img[1]), Number(img[2])];
    const png = decodePng(Buffer.from(img[7], 'base64'));
    expect([png.width, png.height]).toEqual([Number(img[5]), Number(img[6])]);
    expect([png.width, png.height]).toEqual([Number(img[3]), Number(img[4])]); // cell 1: one screen pixel each
    // each image's top-left pixel sits inside its frame; every pixel has its value's colour (255 levels)
    const frames = [...svg.matchAll(/<rect class="frame" x="([\d.]+)" y="([\d.]+)"/g)].map((m) => [
      Number(m[1]) + 0.5 - x0,
      Number(m[2]) + 0.5 - y0,
    ]);
    expect(frames.length).toBe(n);
    for (let k = 0; k < n; k += 7) {
      let m = 0;
      for (let i = 0; i < 784; i++) m = Math.max(m, Math.abs(w[k * 784 + i]));
      for (let i = 0; i < 784; i++) {
        const [fx, fy] = frames[k];
        const got = png.rgb(fx + (i % 28), fy + Math.floor(i / 28));
        expect(near(got, parse(diverging(w[k * 784 + i] / m)), 2), `image ${k} pixel ${i}: ${got}`).toBe(true);
      }
    }
    expect(png.rgb(frames[0][0] + 28, frames[0][1])).toEqual([255, 255, 255]); // the gap right of the first image
    // resvg draws the raster: a saturated weight of image 0 is dark red in the rendered PNG
    const i = Array.from(w.subarray(0, 784)).indexOf(1);
    const out = decodePng(svgToPng(svg, { scale: 1 }));
    const [fx, fy] = frames[0];
    expect(near(out.rgb(x0 + fx + (i % 28), y0 + fy + Math.floor(i / 28)), parse(diverging(1)), 8)).toBe(true);
  });

  it('small grids stay one rect per pixel; grey grids rasterise with 256 levels; raster can be forced', () => {
    expect(imageGridPlot({ data: new Float32Array(RASTER_ABOVE), rows: 64, cols: 64 })).not.toContain('<image ');
    const digit = Float32Array.from({ length: 784 * 8 }, (_, i) => (i % 29) / 28);
    const svg = imageGridPlot({ data: digit, rows: 28, cols: 28, mode: 'grey', cell: 3, labels: Array(8).fill('x') });
    const img = /data-pixels="(\d+)x(\d+)"[^>]* href="data:image\/png;base64,([^"]+)"/.exec(svg)!;
    const png = decodePng(Buffer.from(img[3], 'base64'));
    const frame = /<rect class="frame" x="([\d.]+)" y="([\d.]+)"/.exec(svg)!;
    const imgAt = /<image class="pixels" x="(\d+)" y="(\d+)"/.exec(svg)!;
    const [fx, fy] = [(Number(frame[1]) + 0.5 - Number(imgAt[1])) / 3, (Number(frame[2]) + 0.5 - Number(imgAt[2])) / 3];
    expect(Number.isInteger(fx) && Number.isInteger(fy)).toBe(true);
    for (let i = 0; i < 784; i += 13) expect(near(png.rgb(fx + (i % 28), fy + Math.floor(i / 28)), parse(grey(digit[i])), 1)).toBe(true);
    expect(imageGridPlot({ data: new Float32Array(16), rows: 4, cols: 4, raster: true })).toContain('<image ');
  });
});
