import { UsageError } from '../core/errors.js';
import * as S from '../surrogate/index.js';
import { linePlot } from '../viz/plots.js';
import { writePlot } from '../viz/png.js';
import type { FlagSpec } from './args.js';
import type { CommandContext } from './common.js';
import { prepareOutputFile } from './outputs.js';

export const plotFlags = {
  out: { type: 'string', default: 'surrogates.svg', help: 'the figure, .svg or .png' },
  from: { type: 'float', default: -2, min: -1e3, max: 1e3, help: 'left end of x = mem - threshold' },
  to: { type: 'float', default: 2, min: -1e3, max: 1e3, help: 'right end of x' },
  json: { type: 'bool', default: false, help: 'also print every curve as JSON (x and each d spike / dx)' },
} as const satisfies FlagSpec;

export type PlotOptions = { out: string; from: number; to: number; json: boolean };

/** The surrogates as the tutorials and snnTorch write them, with their formulas (sigmoid and spike-rate escape at slopes that keep one scale). */
const SURROGATES: Array<[S.Surrogate, string]> = [
  [S.fastSigmoid(), 'fast sigmoid: 1 / (25|x| + 1)^2'],
  [S.fastSigmoid({ slope: 10 }), 'fast sigmoid k = 10 (the MNIST tutorial)'],
  [S.atan(), 'atan (snnTorch, alpha 2): 1 / (1 + (pi x)^2)'],
  [S.atanOverPi(), 'tutorial 6 as written: (1/pi) / (1 + (pi x)^2)'],
  [S.atanK({ k: 2 }), '1 / (1 + (pi k x)^2), k = 2'],
  [S.sigmoid({ slope: 4 }), 'sigmoid, slope 4: 4 e^(-4x) / (1 + e^(-4x))^2 (slope 25 peaks at 6.25)'],
  [S.triangle(), 'triangle (textbook): max(0, 1 - |x|)'],
  [S.triangular(), 'snnTorch triangular: +1 left of 0, -1 right'],
  [S.gaussian(), 'gaussian, sigma 0.5'],
  [S.spikeRateEscape({ slope: 1 }), 'spike rate escape, slope 1: e^(-|x - 1|) (peaked at x = 1)'],
  [S.straightThrough(), 'straight-through: 1'],
];

/** `spikeflow plot surrogates`: every surrogate's derivative of the spike on one figure, with its formula. */
export async function runPlot(o: PlotOptions, ctx: CommandContext): Promise<Record<string, unknown>> {
  const [what, extra] = ctx.positionals;
  if (what !== 'surrogates')
    throw new UsageError(`plot: expected what to plot (surrogates), found ${what === undefined ? 'nothing' : `"${what}"`}`);
  if (extra !== undefined) throw new UsageError(`plot: unexpected argument "${extra}"`);
  if (!(o.to > o.from)) throw new UsageError(`--to (${o.to}) must be above --from (${o.from})`);
  if (!/\.(svg|png)$/i.test(o.out)) throw new UsageError(`--out: expected a file name ending in .svg or .png, found "${o.out}"`);
  await prepareOutputFile(o.out, 'out');
  const n = 401;
  const x = Float64Array.from({ length: n }, (_, i) => o.from + ((o.to - o.from) * i) / (n - 1));
  const curves = SURROGATES.map(([s, label]) => ({ name: s.name, label, y: Array.from(x, (v) => s.grad(v)) }));
  const svg = linePlot({
    title: 'Surrogate gradients: d spike / dx at x = mem - threshold (the true derivative is a Dirac at 0)',
    width: 900,
    height: 520,
    xLabel: 'x = mem - threshold',
    yLabel: 'd spike / dx',
    series: curves.map((c) => ({ x, y: Float64Array.from(c.y), label: c.label })),
  });
  await writePlot(o.out, svg);
  process.stderr.write(`wrote ${o.out}: ${curves.length} surrogates over x in [${o.from}, ${o.to}]\n`);
  const result = { out: o.out, surrogates: curves.map((c) => ({ name: c.name, label: c.label, peak: Math.max(...c.y) })) };
  if (o.json) process.stdout.write(`${JSON.stringify({ ...result, x: Array.from(x), curves })}\n`);
  return result;
}
