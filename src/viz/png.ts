// Node-only: SVG plots to PNG through resvg (Rust, prebuilt binaries; no browser, no network).
import { createRequire } from 'node:module';
import { writeFileAtomic } from '../io/atomic.js';
import { ValueError } from '../core/errors.js';

interface ResvgModule {
  Resvg: new (svg: string, opts: Record<string, unknown>) => { render(): { asPng(): Uint8Array; width: number; height: number } };
}

let resvg: ResvgModule | null = null;
function load(): ResvgModule {
  if (!resvg) {
    try {
      resvg = createRequire(import.meta.url)('@resvg/resvg-js') as ResvgModule;
    } catch (e) {
      throw new ValueError(`PNG output needs the npm package @resvg/resvg-js (${(e as Error).message.split('\n')[0]})`);
    }
  }
  return resvg;
}

/** Renders an SVG document to PNG bytes; `scale` multiplies the SVG's own width and height (default 2, for sharp text). */
export function svgToPng(svg: string, o: { scale?: number } = {}): Uint8Array {
  const scale = o.scale ?? 2;
  if (!(scale > 0 && scale <= 16)) throw new ValueError(`svgToPng scale: expected (0, 16], found ${scale}`);
  const width = Number(/<svg[^>]*\swidth="([\d.]+)"/.exec(svg)?.[1] ?? NaN);
  const { Resvg } = load();
  const r = new Resvg(svg, {
    fitTo: Number.isFinite(width) ? { mode: 'width', value: Math.round(width * scale) } : { mode: 'original' },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    background: 'white',
  });
  return r.render().asPng();
}

/** Writes a plot to `path`: PNG when the name ends in .png, otherwise the SVG text. Written atomically. */
export async function writePlot(path: string, svg: string, o: { scale?: number } = {}): Promise<void> {
  if (/\.png$/i.test(path)) await writeFileAtomic(path, svgToPng(svg, o));
  else if (/\.svg$/i.test(path)) await writeFileAtomic(path, svg);
  else throw new ValueError(`plot file: expected a name ending in .svg or .png, found "${path}"`);
}
