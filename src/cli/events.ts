import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { SpikeflowError, UsageError, ValueError } from '../core/errors.js';
import { loadMnist } from '../data/mnist.js';
import { writeEmulatedNmnist } from '../data/nmnist-emulated.js';
import type { Events } from '../events/events.js';
import { EVENT_FORMATS, type EventFormat } from '../events/formats.js';
import { toFrame } from '../events/frame.js';
import { readEventFile } from '../events/node.js';
import { imageGridPlot } from '../viz/image-grid.js';
import { linePlot } from '../viz/plots.js';
import { writePlot } from '../viz/png.js';
import type { FlagSpec } from './args.js';
import { type CommandContext, refuseGiven } from './common.js';
import { prepareOutputFile } from './outputs.js';

export const eventsFlags = {
  json: { type: 'bool', default: false, help: 'print one JSON object on stdout (the summary)' },
  plot: {
    type: 'string',
    help: 'inspect: draw the events into this .png or .svg file: frames as a strip (ON red, OFF blue) above the event rate over time',
  },
  frames: { type: 'int', default: 8, min: 1, max: 64, help: 'inspect: frames in the --plot strip (equal time bins)' },
  format: {
    type: 'choice',
    choices: EVENT_FORMATS,
    help: 'inspect: the file format (default: told from the first bytes and the file name)',
  },
  dataset: { type: 'choice', choices: ['mnist'], default: 'mnist', help: 'emulate: the images to record (the MNIST digits)' },
  'data-dir': {
    type: 'string',
    help: 'emulate: a folder with the four MNIST IDX files (default: the cache, a download, or the embedded copy)',
  },
  out: {
    type: 'string',
    help: 'emulate: the folder to write (<id>.bs2 files, train1K.txt and test100.txt: the nmnist-small layout); made atomically, must not exist or be empty',
  },
  'train-limit': { type: 'int', min: 1, help: 'emulate: record only the first N training digits (default: all 60,000)' },
  'test-limit': { type: 'int', min: 1, help: 'emulate: record only the first N test digits (default: all 10,000)' },
  seed: { type: 'int', default: 0, min: 0, max: 2 ** 32 - 1, help: "emulate: seed of the emulator's mismatch and noise" },
} as const satisfies FlagSpec;

export type EventsOptions = {
  json: boolean;
  plot?: string;
  frames: number;
  format?: EventFormat;
  dataset: 'mnist';
  'data-dir'?: string;
  out?: string;
  'train-limit'?: number;
  'test-limit'?: number;
  seed: number;
};

const INSPECT_ONLY = ['plot', 'frames', 'format'];
const EMULATE_ONLY = ['dataset', 'data-dir', 'out', 'train-limit', 'test-limit', 'seed'];

/** `spikeflow events inspect FILE` and `spikeflow events emulate --dataset mnist --out DIR`. */
export async function runEvents(o: EventsOptions, ctx: CommandContext): Promise<void> {
  const [sub, ...rest] = ctx.positionals;
  if (sub === 'inspect') {
    refuseGiven(ctx.given, EMULATE_ONLY, 'applies to `spikeflow events emulate` only');
    if (rest.length !== 1)
      throw new UsageError(`spikeflow events inspect: expected one event file, found ${rest.length ? `"${rest.join(' ')}"` : 'none'}`);
    if (!ctx.given.has('plot')) refuseGiven(ctx.given, ['frames'], 'sets the frames of --plot; give --plot too');
    return inspect(rest[0], o);
  }
  if (sub === 'emulate') {
    refuseGiven(ctx.given, INSPECT_ONLY, 'applies to `spikeflow events inspect` only');
    if (rest.length) throw new UsageError(`spikeflow events emulate: unexpected argument "${rest[0]}" (give --dataset and --out)`);
    return emulate(o, ctx);
  }
  throw new UsageError(
    `spikeflow events: expected a sub-command, inspect or emulate, found ${sub === undefined ? 'none' : `"${sub}"`} (spikeflow events inspect recording.aedat4; spikeflow events emulate --dataset mnist --out nmnist-emulated)`,
  );
}

/** What `events inspect` reports. */
export interface EventSummary {
  format: string;
  events: number;
  /** [width, height, polarities]. */
  sensorSize: number[];
  /** First and last timestamp, microseconds. */
  tStart: number | null;
  tEnd: number | null;
  /** tEnd - tStart in microseconds (0 without events). */
  durationUs: number;
  /** Events per second over the duration (null when it is 0). */
  rate: number | null;
  /** Events per polarity, 0 (OFF) first. */
  polarity: number[];
  /** Share of ON events (polarity 1) among all, two-polarity sensors; null otherwise. */
  onFraction: number | null;
  /** Whether the timestamps never go backwards. */
  sorted: boolean;
}

export function summarizeEvents(ev: Events): EventSummary {
  const n = ev.t.length;
  const polarity = new Array<number>(ev.sensorSize[2]).fill(0);
  let sorted = true;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    polarity[ev.p[i]]++;
    const t = ev.t[i];
    if (t < lo) lo = t;
    if (t > hi) hi = t;
    if (i > 0 && t < ev.t[i - 1]) sorted = false;
  }
  const duration = n ? hi - lo : 0;
  return {
    format: String(ev.meta?.format ?? 'unknown'),
    events: n,
    sensorSize: [...ev.sensorSize],
    tStart: n ? lo : null,
    tEnd: n ? hi : null,
    durationUs: duration,
    rate: duration > 0 ? (n / duration) * 1e6 : null,
    polarity,
    onFraction: ev.sensorSize[2] === 2 && n ? polarity[1] / n : null,
    sorted,
  };
}

const fmtUs = (us: number) => (us >= 1e6 ? `${(us / 1e6).toFixed(3)} s` : us >= 1e3 ? `${(us / 1e3).toFixed(2)} ms` : `${us} us`);

export function formatEventSummary(s: EventSummary, file: string): string {
  const lines = [
    `${file}: ${s.format}, sensor ${s.sensorSize[0]} x ${s.sensorSize[1]}, ${s.sensorSize[2]} polarit${s.sensorSize[2] === 1 ? 'y' : 'ies'}`,
    `events    ${s.events.toLocaleString('en-US')}`,
    `time      ${s.tStart === null ? 'none' : `${s.tStart} .. ${s.tEnd} us (${fmtUs(s.durationUs)})${s.sorted ? '' : ', NOT sorted'}`}`,
    `rate      ${s.rate === null ? 'n/a' : `${Math.round(s.rate).toLocaleString('en-US')} events/s`}`,
    `polarity  ${s.polarity.map((c, p) => `${p}: ${c.toLocaleString('en-US')}`).join(', ')}${s.onFraction === null ? '' : ` (ON ${(100 * s.onFraction).toFixed(1)}%)`}`,
  ];
  return lines.join('\n');
}

/** The plot of `events inspect`: a strip of frames (ON - OFF per pixel) above the event-rate curve. */
export function eventsPlotSvg(ev: Events, frames: number, title: string): string {
  const [w, h, np] = ev.sensorSize;
  const width = 760;
  const parts: string[] = [];
  let y = 0;
  if (ev.t.length) {
    const f = toFrame(ev, { nTimeBins: frames });
    const [T] = f.shape;
    const img = new Float32Array(T * h * w);
    for (let k = 0; k < T; k++)
      for (let i = 0; i < h * w; i++) {
        const on = np > 1 ? f.data[(k * np + 1) * h * w + i] : f.data[k * np * h * w + i];
        const off = np > 1 ? f.data[(k * np + 0) * h * w + i] : 0;
        img[k * h * w + i] = on - off;
      }
    const t0 = ev.t[0];
    const span = ev.t[ev.t.length - 1] - t0;
    const labels = Array.from({ length: T }, (_, k) => fmtUs(Math.round(t0 + (k * span) / T)));
    const cell = Math.max(1, Math.min(8, Math.floor((width - 20) / (T * (w + 6)))));
    const strip = imageGridPlot({ data: img, rows: h, cols: w, count: T, columns: T, cell, labels, shared: true, title });
    const sh = Number(/height="([\d.]+)"/.exec(strip)?.[1] ?? 200);
    parts.push(`<svg x="0" y="0"${strip.slice(4)}`);
    y = sh;
    // the rate: events per bin over 100 bins
    const bins = 100;
    const counts = new Float64Array(bins);
    for (let i = 0; i < ev.t.length; i++) counts[Math.min(bins - 1, Math.floor(((ev.t[i] - t0) / (span || 1)) * bins))]++;
    const binS = (span || 1) / bins / 1e6;
    const xs = Array.from({ length: bins }, (_, k) => ((k + 0.5) * (span || 1)) / bins / 1e3 + t0 / 1e3);
    const rate = linePlot({
      series: [{ x: xs, y: Array.from(counts, (c) => c / binS), label: 'events/s' }],
      xLabel: 'time (ms)',
      yLabel: 'events per second',
      width,
      height: 300,
    });
    parts.push(`<svg x="0" y="${y}"${rate.slice(4)}`);
    y += 300;
  } else {
    y = 60;
    parts.push(`<text x="20" y="36" font-size="14">${title}: no events</text>`);
  }
  const sw = Math.max(width, ...parts.map((p) => Number(/width="([\d.]+)"/.exec(p)?.[1] ?? 0)));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${sw}" height="${y}" viewBox="0 0 ${sw} ${y}"><rect width="${sw}" height="${y}" fill="#fff"/>${parts.join('')}</svg>`;
}

async function inspect(file: string, o: EventsOptions): Promise<void> {
  if (o.plot !== undefined) {
    if (!/\.(svg|png)$/i.test(o.plot)) throw new UsageError(`--plot: expected a file name ending in .png or .svg, found "${o.plot}"`);
    await prepareOutputFile(o.plot, 'plot');
  }
  const ev = await readEventFile(file, o.format ? { format: o.format } : {});
  const summary = summarizeEvents(ev);
  if (o.plot !== undefined) await writePlot(o.plot, eventsPlotSvg(ev, o.frames, basename(file)));
  if (o.json) process.stdout.write(`${JSON.stringify({ file, ...summary, ...(o.plot ? { plot: o.plot } : {}) })}\n`);
  else {
    process.stdout.write(`${formatEventSummary(summary, file)}\n`);
    if (o.plot !== undefined) process.stdout.write(`frames and event rate drawn into ${o.plot}\n`);
  }
}

/** The folder must be new or empty: a dataset is never written over another. */
async function checkOutFolder(out: string, given: string): Promise<void> {
  if (!existsSync(out)) return;
  let names: string[];
  try {
    names = await readdir(out);
  } catch (e) {
    throw new UsageError(
      `--out ${out}: exists and is not a readable folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  if (names.length) throw new UsageError(`--out ${given}: the folder exists and holds ${names.length} entries; give a new or empty folder`);
}

async function emulate(o: EventsOptions, ctx: CommandContext): Promise<void> {
  if (o.out === undefined) throw new UsageError('spikeflow events emulate: --out is required (the folder to write the dataset into)');
  const out = resolve(o.out);
  await checkOutFolder(out, o.out);
  const parent = dirname(out);
  try {
    await mkdir(parent, { recursive: true });
  } catch (e) {
    throw new UsageError(`--out ${o.out}: cannot create its parent folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const mnist = await loadMnist({
    dataset: o.dataset,
    dataDir: o['data-dir'],
    onSource: (m) => process.stderr.write(`${m}\n`),
  });
  // the first Ctrl-C stops after the current digit; the partial folder is removed, --out left as it was
  const release = ctx.interrupts.takeOver(() => {});
  const t0 = performance.now();
  let written: Awaited<ReturnType<typeof writeEmulatedNmnist>>;
  try {
    written = await writeEmulatedNmnist(mnist, out, {
      trainLimit: o['train-limit'],
      testLimit: o['test-limit'],
      seed: o.seed,
      madeBy: `spikeflow events emulate --dataset ${o.dataset} --seed ${o.seed}`,
      stop: () => Boolean(ctx.interrupts.signal),
      onDigit: (done, total) => {
        if (done % 1000 === 0 && !o.json)
          process.stderr.write(`emulated ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} digits\n`);
      },
    });
  } catch (e) {
    release();
    if (e instanceof SpikeflowError) throw e;
    throw new ValueError(`--out ${o.out}: cannot write the dataset (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (written === null) {
    release();
    process.stderr.write(`spikeflow events: interrupted (${ctx.interrupts.signal}): nothing written to ${o.out}\n`);
    return;
  }
  const { train: nTrain, test: nTest, events } = written;
  const total = nTrain + nTest;
  release();
  const seconds = (performance.now() - t0) / 1000;
  const summary = {
    out: o.out,
    dataset: o.dataset,
    train: nTrain,
    test: nTest,
    events,
    meanEvents: total ? events / total : 0,
    seed: o.seed,
    seconds: Number(seconds.toFixed(2)),
  };
  if (o.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else
    process.stdout.write(
      `wrote ${o.out}: ${nTrain} train + ${nTest} test emulated N-MNIST samples (${Math.round(summary.meanEvents)} events each on average) in ${seconds.toFixed(1)} s; ` +
        `train on it with \`spikeflow train --dataset nmnist --data-dir ${o.out}\`\n`,
    );
}
