import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError, ValueError } from '../core/errors.js';
import { FileReader } from '../events/node.js';
import { readNmnist, readNmnistFrames } from '../events/nmnist.js';
import { toFrame } from '../events/frame.js';
import { denoise } from '../events/transforms.js';
import type { Events } from '../events/events.js';
import { type CachedDatasetOptions, cachedDataset } from './download.js';
import { type FrameSet, FrameSetBuilder } from './frames.js';
import { extractZip } from './zip.js';

/** N-MNIST's sensor: 34 x 34 pixels, 2 polarities. */
export const NMNIST_SENSOR = [34, 34, 2] as const;
/** Values per N-MNIST frame: channels-last 34 x 34 x 2. */
export const NMNIST_FRAME = 34 * 34 * 2;

/** How event samples become frames. */
export interface FrameOptions {
  /** Frames per sample (time steps). */
  steps: number;
  /**
   * Frame length in microseconds: frames [k W, (k + 1) W) from t = 0, `steps` of them (events after
   * steps x W are dropped). Without it: Tonic's ToFrame(n_time_bins = steps) over each sample's span.
   */
  frameWindow?: number;
  /** Tonic's Denoise(filter_time) in microseconds before framing (0 or undefined: none). */
  denoise?: number;
}

/**
 * The official archives (Orchard et al. 2015, on Mendeley Data), with the MD5 sums Tonic pins
 * (tonic/datasets/nmnist.py). Each holds Train/<digit>/<id>.bin or Test/<digit>/<id>.bin.
 */
export const NMNIST_ARCHIVES = {
  train: {
    url: 'https://data.mendeley.com/public-files/datasets/468j46mzdv/files/39c25547-014b-4137-a934-9d29fa53c7a0/file_downloaded',
    file: 'train.zip',
    md5: '20959b8e626244a1b502305a9e6e2031',
    folder: 'Train',
  },
  test: {
    url: 'https://data.mendeley.com/public-files/datasets/468j46mzdv/files/05a4d654-7e03-4c15-bdfa-9bb2bcbea494/file_downloaded',
    file: 'test.zip',
    md5: '69ca8762b2fe404d9b9bad1103e97832',
    folder: 'Test',
  },
} as const;

type Split = 'train' | 'test';

/** One sample on disk and its label. */
export interface EventSample {
  path: string;
  label: number;
}

/** What the event-dataset loaders (N-MNIST, DVS Gesture) take besides the frames. */
export interface EventDatasetOptions extends FrameOptions, CachedDatasetOptions {
  /** A folder holding the dataset in one of the layouts its loader reads. When given, nothing else is tried. */
  dataDir?: string;
  trainLimit?: number;
  testLimit?: number;
  /** Load the test split only (eval): the training set comes back empty. */
  testOnly?: boolean;
  /** Samples framed so far, per split. */
  onFrames?: (split: Split, done: number, total: number) => void;
}

/**
 * N-MNIST: dataDir in the nmnist-small layout (`<id>.bs2` files, labels in train1K.txt / test100.txt) or
 * the official one (Train/<digit>/<id>.bin, Test/<digit>/<id>.bin); the cache's nmnist/ folder; archives
 * default NMNIST_ARCHIVES.
 */
export type LoadNmnistOptions = EventDatasetOptions;

export interface EventData {
  train: FrameSet;
  test: FrameSet;
  source: 'data-dir' | 'cache' | 'download';
  location: string;
  /** 'nmnist-small' or 'official' (the folder layout read). */
  layout: string;
}

/** Reads "#sample #class" lists: one `<id> <label>` per line (tabs or spaces, CRLF or LF). */
export function parseLabelList(text: string, file: string): Array<{ id: string; label: number }> {
  const out: Array<{ id: string; label: number }> = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const s = line.trim();
    if (s === '' || s.startsWith('#')) return;
    const m = /^(\d+)\s+(\d+)$/.exec(s);
    if (!m) throw new DataError(`line ${i + 1}: expected "<sample id> <class>", found ${JSON.stringify(s.slice(0, 60))}`, file);
    const label = Number(m[2]);
    if (label > 9) throw new DataError(`line ${i + 1}: class ${label}, expected 0..9`, file);
    out.push({ id: m[1], label });
  });
  if (out.length === 0) throw new DataError('no samples listed', file);
  return out;
}

const SMALL_LISTS: Record<Split, string> = { train: 'train1K.txt', test: 'test100.txt' };

async function smallLayout(dir: string, split: Split): Promise<EventSample[]> {
  const list = join(dir, SMALL_LISTS[split]);
  const rows = parseLabelList(await readFile(list, 'utf8'), list);
  return rows.map(({ id, label }) => {
    const path = join(dir, `${id}.bs2`);
    if (!existsSync(path)) throw new DataError(`sample ${id} is listed in ${SMALL_LISTS[split]} but its file is missing`, path);
    return { path, label };
  });
}

/** Train/<digit>/<id>.bin: every sample, ordered by its numeric id (N-MNIST's ids follow MNIST's order). */
async function officialLayout(root: string): Promise<EventSample[]> {
  let digits: string[];
  try {
    digits = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory() && /^\d$/.test(d.name)).map((d) => d.name);
  } catch (e) {
    throw new DataError(`cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, root);
  }
  const out: Array<EventSample & { id: number }> = [];
  for (const d of digits) {
    const dir = join(root, d);
    for (const n of await readdir(dir))
      if (n.endsWith('.bin')) out.push({ path: join(dir, n), label: Number(d), id: Number.parseInt(n, 10) });
  }
  if (out.length === 0) throw new DataError('no .bin files in digit folders (expected <digit>/<id>.bin, digits 0..9)', root);
  out.sort((a, b) => a.id - b.id || (a.path < b.path ? -1 : 1));
  return out.map(({ path, label }) => ({ path, label }));
}

/** Which layout a folder holds; null if neither. */
function layoutOf(dir: string): 'nmnist-small' | 'official' | null {
  if (existsSync(join(dir, SMALL_LISTS.train)) && existsSync(join(dir, SMALL_LISTS.test))) return 'nmnist-small';
  if (existsSync(join(dir, 'Train')) && existsSync(join(dir, 'Test'))) return 'official';
  return null;
}

async function samplesOf(dir: string, layout: 'nmnist-small' | 'official', split: Split): Promise<EventSample[]> {
  return layout === 'nmnist-small' ? smallLayout(dir, split) : officialLayout(join(dir, NMNIST_ARCHIVES[split].folder));
}

export function checkFrameOptions(o: FrameOptions): void {
  if (!Number.isInteger(o.steps) || o.steps < 1) throw new ValueError(`steps: expected a positive integer, found ${o.steps}`);
  if (o.frameWindow !== undefined && !(Number.isInteger(o.frameWindow) && o.frameWindow >= 1))
    throw new ValueError(`frameWindow: expected a positive integer (microseconds), found ${o.frameWindow}`);
  if (o.denoise !== undefined && !(Number.isInteger(o.denoise) && o.denoise >= 0))
    throw new ValueError(`denoise: expected a non-negative integer (microseconds), found ${o.denoise}`);
}

/**
 * One sample's frames, channels-last ([T, H, W, P]: the layout Conv2d reads), from Tonic's ToFrame
 * ([T, P, H, W]) after an optional Denoise.
 */
export function nmnistFrames(ev: Events, o: FrameOptions): Float32Array {
  const e = o.denoise ? denoise(ev, o.denoise) : ev;
  const f =
    o.frameWindow !== undefined
      ? toFrame(e, { timeWindow: o.frameWindow, startTime: 0, endTime: o.steps * o.frameWindow })
      : toFrame(e, { nTimeBins: o.steps });
  const [T, P, H, W] = f.shape;
  if (T !== o.steps) throw new ValueError(`nmnistFrames: ToFrame gave ${T} frames, expected ${o.steps}`);
  const src = f.data as Float32Array;
  const out = new Float32Array(src.length);
  const plane = H * W;
  for (let t = 0; t < T; t++)
    for (let p = 0; p < P; p++) for (let i = 0; i < plane; i++) out[t * P * plane + i * P + p] = src[t * P * plane + p * plane + i];
  return out;
}

/**
 * Decodes and frames the samples (each once), into a FrameSet. Without denoise, each file is decoded
 * straight into its frames (readNmnistFrames, channels-last, into one reused buffer); with it, through
 * the events (nmnistFrames).
 */
export async function frameSamples(
  samples: EventSample[],
  o: FrameOptions,
  onFrames?: (done: number, total: number) => void,
): Promise<FrameSet> {
  const b = new FrameSetBuilder(o.steps, NMNIST_FRAME);
  const reader = new FileReader();
  const buffer = new Float32Array(o.steps * NMNIST_FRAME);
  const frameOpts =
    o.frameWindow !== undefined ? { timeWindow: o.frameWindow, startTime: 0, endTime: o.steps * o.frameWindow } : { nTimeBins: o.steps };
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    const bytes = reader.read(s.path);
    if (o.denoise) b.add(nmnistFrames(readNmnist(bytes, { file: s.path }), o), s.label);
    else {
      const f = readNmnistFrames(bytes, { ...frameOpts, channelsLast: true, file: s.path }, buffer);
      if (f.shape[0] !== o.steps) throw new ValueError(`nmnistFrames: ToFrame gave ${f.shape[0]} frames, expected ${o.steps}`);
      b.add(f.data, s.label);
    }
    if ((i + 1) % 100 === 0 || i + 1 === samples.length) onFrames?.(i + 1, samples.length);
    if ((i + 1) % 1000 === 0) await new Promise((r) => setImmediate(r)); // let progress output and signals through
  }
  return b.finish();
}

/**
 * Loads N-MNIST as frames: from `dataDir` when given (nmnist-small or the official layout), else from
 * the cache, else downloads the official archives (MD5-verified, extracted) into the cache. Every
 * sample is decoded and framed once, here.
 */
export async function loadNmnist(o: LoadNmnistOptions): Promise<EventData> {
  checkFrameOptions(o);
  const splits: Split[] = o.testOnly ? ['test'] : ['train', 'test'];
  let dir: string;
  let source: EventData['source'];
  if (o.dataDir !== undefined) {
    if (!existsSync(o.dataDir)) throw new DataError('no such folder', o.dataDir);
    dir = o.dataDir;
    source = 'data-dir';
  } else {
    ({ dir, source } = await cachedDataset('nmnist', NMNIST_ARCHIVES, splits, o, {
      extract: (zip, into) => extractZip(zip, into, { keep: (name) => name.endsWith('.bin') }),
      entries: '<digit>/<id>.bin',
      hint: 'Give --data-dir a folder with train1K.txt/test100.txt and <id>.bs2 files, or Train/ and Test/ of the official N-MNIST',
    }));
  }
  const layout = layoutOf(dir);
  if (!layout)
    throw new DataError(
      'expected train1K.txt and test100.txt with <id>.bs2 files (the nmnist-small layout), or Train/<digit>/*.bin and Test/<digit>/*.bin (official N-MNIST)',
      dir,
    );
  o.onSource?.(`using nmnist (${layout} layout) from ${dir}`);
  const load = async (split: Split, limit?: number) => {
    const all = await samplesOf(dir, layout, split);
    return frameSamples(all.slice(0, limit ?? all.length), o, (d, t) => o.onFrames?.(split, d, t));
  };
  const test = await load('test', o.testLimit);
  const train = o.testOnly ? new FrameSetBuilder(o.steps, NMNIST_FRAME).finish() : await load('train', o.trainLimit);
  return { train, test, source, location: dir, layout };
}
