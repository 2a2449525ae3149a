import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from '../core/errors.js';
import { readAedat3 } from '../events/aedat.js';
import { type Events, sliceTime } from '../events/events.js';
import { toFrame } from '../events/frame.js';
import { FileReader } from '../events/node.js';
import { readNpy } from '../events/npy.js';
import { denoise, downsample } from '../events/transforms.js';
import { cachedDataset } from './download.js';
import { FrameSetBuilder } from './frames.js';
import { checkFrameOptions, type EventData, type EventDatasetOptions, type FrameOptions } from './nmnist.js';
import { extractTarGz } from './tar.js';

/** DVS Gesture's sensor (DVS128): 128 x 128 pixels, 2 polarities. */
export const DVS_GESTURE_SENSOR = [128, 128, 2] as const;
/** The side of the frames the CSNN reads: the 128 x 128 sensor downsampled by 4 (Tonic's Downsample). */
export const DVS_GESTURE_SIDE = 32;
/** Values per frame: channels-last 32 x 32 x 2. */
export const DVS_GESTURE_FRAME = DVS_GESTURE_SIDE * DVS_GESTURE_SIDE * 2;
/** 11 classes: hand clap, right/left hand wave, right/left arm clockwise/counter-clockwise, arm roll, air drums, air guitar, other. */
export const DVS_GESTURE_CLASSES = 11;

/**
 * The archives Tonic's DVSGesture downloads (Amir et al. 2017, IBM; Tonic's preprocessed copy on figshare:
 * recordings cut into one sample per gesture, `<user>_<lighting>/<class>.npy` with columns x, y, p, t in
 * milliseconds), with the MD5 sums Tonic pins (tonic/datasets/dvsgesture.py).
 */
export const DVS_GESTURE_ARCHIVES = {
  train: {
    url: 'https://figshare.com/ndownloader/files/38022171',
    file: 'ibmGestureTrain.tar.gz',
    md5: '3a8f0d4120a166bac7591f77409cb105',
    folder: 'ibmGestureTrain',
  },
  test: {
    url: 'https://figshare.com/ndownloader/files/38020584',
    file: 'ibmGestureTest.tar.gz',
    md5: '56070e45dadaa85fff82e0fbfbc06de5',
    folder: 'ibmGestureTest',
  },
} as const;

type Split = 'train' | 'test';

/**
 * DVS Gesture: dataDir holding ibmGestureTrain/ and ibmGestureTest/ (Tonic's layout) or IBM's DvsGesture/;
 * the cache's dvs-gesture/ folder; archives default DVS_GESTURE_ARCHIVES.
 */
export type LoadDvsGestureOptions = EventDatasetOptions;

/** Reads one sample of Tonic's layout: an (N, 4) array x, y, p, t (ms) to events in microseconds. */
export function readGestureSample(bytes: Uint8Array, file: string): Events {
  return readNpy(bytes, { file, timeScale: 1000, sensorSize: DVS_GESTURE_SENSOR });
}

/**
 * One sample's frames, channels-last [T, 32, 32, 2]: Tonic's Denoise (optional), Downsample(spatial_factor
 * = 0.25), then ToFrame: n_time_bins = steps over the sample's span, or with frameWindow W, `steps`
 * frames [t0 + kW, t0 + (k+1)W) from the sample's first event t0 (the samples are cut from longer
 * recordings, so their times do not start at 0).
 */
export function gestureFrames(ev: Events, o: FrameOptions): Float32Array {
  const d = downsample(o.denoise ? denoise(ev, o.denoise) : ev, { spatialFactor: DVS_GESTURE_SIDE / DVS_GESTURE_SENSOR[0] });
  const t0 = d.t.length ? d.t[0] : 0;
  const f =
    o.frameWindow !== undefined
      ? toFrame(d, { timeWindow: o.frameWindow, startTime: t0, endTime: t0 + o.steps * o.frameWindow })
      : toFrame(d, { nTimeBins: o.steps });
  const [T, P, H, W] = f.shape;
  const out = new Float32Array(o.steps * DVS_GESTURE_FRAME);
  if (H !== DVS_GESTURE_SIDE || W !== DVS_GESTURE_SIDE) throw new DataError(`frames of ${W}x${H}, expected 32x32`);
  const src = f.data as Float32Array;
  const plane = H * W;
  // no events: ToFrame gives one empty frame with timeWindow; the sample is `steps` empty frames
  for (let t = 0; t < Math.min(T, o.steps); t++)
    for (let p = 0; p < P; p++) for (let i = 0; i < plane; i++) out[t * P * plane + i * P + p] = src[t * P * plane + p * plane + i];
  return out;
}

/** A split's samples: <user>_<lighting>/<class>.npy, ordered by folder then class. */
async function samplesOf(root: string): Promise<{ path: string; label: number }[]> {
  let dirs: string[];
  try {
    dirs = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (e) {
    throw new DataError(`cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, root);
  }
  const out: { path: string; label: number }[] = [];
  for (const d of dirs.sort()) {
    const files = (await readdir(join(root, d))).filter((n) => n.endsWith('.npy'));
    const rows = files.map((n) => ({ n, label: Number(n.slice(0, -4)) }));
    for (const r of rows) {
      if (!(Number.isInteger(r.label) && r.label >= 0 && r.label < DVS_GESTURE_CLASSES))
        throw new DataError(`expected <class>.npy with class 0..${DVS_GESTURE_CLASSES - 1}, found ${r.n}`, join(root, d));
    }
    rows.sort((a, b) => a.label - b.label);
    for (const r of rows) out.push({ path: join(root, d, r.n), label: r.label });
  }
  if (out.length === 0) throw new DataError('no samples (expected <user>_<lighting>/<class>.npy files)', root);
  return out;
}

const OFFICIAL_LISTS: Record<Split, string> = { train: 'trials_to_train.txt', test: 'trials_to_test.txt' };

/** The folder of the official release (IBM's DvsGesture/: trials_to_train.txt, trials_to_test.txt, the recordings), if `dir` is or holds one. */
function officialRoot(dir: string): string | null {
  for (const d of [dir, join(dir, 'DvsGesture')])
    if (existsSync(join(d, OFFICIAL_LISTS.train)) && existsSync(join(d, OFFICIAL_LISTS.test))) return d;
  return null;
}

/** Reads `class,startTime_usec,endTime_usec` rows (classes 1..11 in the file, 0..10 here). */
export function parseGestureLabels(text: string, file: string): { label: number; start: number; end: number }[] {
  const out: { label: number; start: number; end: number }[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const s = line.trim();
    if (s === '' || /^class\b/i.test(s)) return;
    const m = /^(\d+)\s*,\s*(\d+)\s*,\s*(\d+)$/.exec(s);
    if (!m)
      throw new DataError(`line ${i + 1}: expected "class,startTime_usec,endTime_usec", found ${JSON.stringify(s.slice(0, 60))}`, file);
    const label = Number(m[1]) - 1;
    if (label < 0 || label >= DVS_GESTURE_CLASSES)
      throw new DataError(`line ${i + 1}: class ${m[1]}, expected 1..${DVS_GESTURE_CLASSES}`, file);
    const start = Number(m[2]);
    const end = Number(m[3]);
    if (!(end > start)) throw new DataError(`line ${i + 1}: the gesture ends (${end}) before it starts (${start})`, file);
    out.push({ label, start, end });
  });
  if (out.length === 0) throw new DataError('no gestures listed', file);
  return out;
}

/**
 * A split of the official release: each recording listed in trials_to_<split>.txt (AEDAT 3.1) cut by its
 * <name>_labels.csv into one sample per gesture, the events with start <= t < end.
 */
async function officialSamples(root: string, split: Split): Promise<{ events: Events; label: number }[]> {
  const list = join(root, OFFICIAL_LISTS[split]);
  const names = (await readFile(list, 'utf8'))
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.endsWith('.aedat'));
  if (names.length === 0) throw new DataError('no .aedat recordings listed', list);
  const out: { events: Events; label: number }[] = [];
  for (const name of names) {
    const path = join(root, name);
    const csv = join(root, name.replace(/\.aedat$/, '_labels.csv'));
    let bytes: Uint8Array;
    let text: string;
    try {
      bytes = new Uint8Array(await readFile(path));
      text = await readFile(csv, 'utf8');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new DataError(`cannot be read (${err.code ?? err.message})`, err.path ?? path);
    }
    const ev = readAedat3(bytes, { file: path });
    for (const g of parseGestureLabels(text, csv)) out.push({ events: sliceTime(ev, g.start, g.end), label: g.label });
  }
  return out;
}

/**
 * Loads DVS Gesture as 32x32x2 frames: from `dataDir` (Tonic's layout: ibmGestureTrain/ and
 * ibmGestureTest/; or IBM's official DvsGesture/: AEDAT 3.1 recordings listed in trials_to_train.txt and
 * trials_to_test.txt, cut by their _labels.csv), else the cache, else downloads Tonic's archives (MD5-verified, extracted) into the
 * cache. Every sample is decoded and framed once, here.
 */
export async function loadDvsGesture(o: LoadDvsGestureOptions): Promise<EventData> {
  checkFrameOptions(o);
  const splits: Split[] = o.testOnly ? ['test'] : ['train', 'test'];
  const have = (dir: string, s: Split) => existsSync(join(dir, DVS_GESTURE_ARCHIVES[s].folder));
  let dir: string;
  let source: EventData['source'];
  if (o.dataDir !== undefined) {
    if (!existsSync(o.dataDir)) throw new DataError('no such folder', o.dataDir);
    dir = o.dataDir;
    source = 'data-dir';
    const official = officialRoot(dir);
    if (official) return loadOfficial(official, o, splits);
    const missing = splits.find((s) => !have(dir, s));
    if (missing)
      throw new DataError(
        `expected ${DVS_GESTURE_ARCHIVES[missing].folder}/<user>_<lighting>/<class>.npy (Tonic's DVSGesture layout)`,
        dir,
      );
  } else {
    ({ dir, source } = await cachedDataset('dvs-gesture', DVS_GESTURE_ARCHIVES, splits, o, {
      extract: (archive, into) => extractTarGz(archive, into, { keep: (name) => name.endsWith('.npy') }),
      entries: '<user>_<lighting>/<class>.npy',
      hint: "Give --data-dir a folder with Tonic's ibmGestureTrain/ and ibmGestureTest/",
    }));
  }
  o.onSource?.(`using dvs-gesture (tonic layout) from ${dir}`);
  const reader = new FileReader();
  const load = async (split: Split, limit?: number) => {
    const all = await samplesOf(join(dir, DVS_GESTURE_ARCHIVES[split].folder));
    const samples = all.slice(0, limit ?? all.length);
    const b = new FrameSetBuilder(o.steps, DVS_GESTURE_FRAME);
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i];
      b.add(gestureFrames(readGestureSample(reader.read(s.path), s.path), o), s.label);
      if ((i + 1) % 50 === 0 || i + 1 === samples.length) o.onFrames?.(split, i + 1, samples.length);
    }
    return b.finish();
  };
  const test = await load('test', o.testLimit);
  const train = o.testOnly ? new FrameSetBuilder(o.steps, DVS_GESTURE_FRAME).finish() : await load('train', o.trainLimit);
  return { train, test, source, location: dir, layout: 'tonic' };
}

/** Loads the official release's splits (AEDAT 3.1 recordings cut by their label files) as frames. */
async function loadOfficial(root: string, o: LoadDvsGestureOptions, splits: Split[]): Promise<EventData> {
  o.onSource?.(`using dvs-gesture (official layout) from ${root}`);
  const load = async (split: Split, limit?: number) => {
    const b = new FrameSetBuilder(o.steps, DVS_GESTURE_FRAME);
    if (!splits.includes(split)) return b.finish();
    const all = await officialSamples(root, split);
    const samples = all.slice(0, limit ?? all.length);
    samples.forEach((s, i) => {
      b.add(gestureFrames(s.events, o), s.label);
      if ((i + 1) % 50 === 0 || i + 1 === samples.length) o.onFrames?.(split, i + 1, samples.length);
    });
    return b.finish();
  };
  const test = await load('test', o.testLimit);
  const train = await load('train', o.trainLimit);
  return { train, test, source: 'data-dir', location: root, layout: 'official' };
}
