// The emulated N-MNIST: MNIST digits recorded by the DVS emulator with N-MNIST's three saccades, written in
// nmnist-small's layout (<id>.bs2 files, train1K.txt / test100.txt, PROVENANCE.txt). `spikeflow events
// emulate` writes one where the user says; `train`/`eval --dataset nmnist` make one in the cache and use it
// when the real N-MNIST is not there (no --data-dir, nothing cached, no download), and say so.
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Rng } from '../core/rng.js';
import { emulateSaccades } from '../events/emulator.js';
import { writeNmnist } from '../events/nmnist.js';
import type { MnistData } from './mnist.js';
import { datasetCache } from './download.js';

export interface EmulateNmnistOptions {
  /** Record only the first N training digits (default: all). */
  trainLimit?: number;
  /** Record only the first N test digits (default: all). */
  testLimit?: number;
  /** Seed of the emulator's pixel mismatch and noise (default 0). */
  seed?: number;
  /** How the dataset was asked for, for PROVENANCE.txt (e.g. the command line). */
  madeBy: string;
  /** Digits recorded so far, after each one. */
  onDigit?: (done: number, total: number) => void;
  /** Polled before each digit: true stops the recording (nothing is written). */
  stop?: () => boolean;
}

export interface EmulatedNmnist {
  train: number;
  test: number;
  events: number;
}

/**
 * Records the MNIST digits into `out` (which must not exist or be empty): everything goes into a partial
 * folder beside it, renamed into place only when complete, so `out` never holds half a dataset. Train ids
 * 1..N are MNIST train 0..N-1; test ids 60001.. are MNIST t10k 0... Returns null when `stop` stopped it.
 */
export async function writeEmulatedNmnist(mnist: MnistData, out: string, o: EmulateNmnistOptions): Promise<EmulatedNmnist | null> {
  const { train, test } = mnist;
  const nTrain = Math.min(o.trainLimit ?? train.n, train.n);
  const nTest = Math.min(o.testLimit ?? test.n, test.n);
  const tmp = join(dirname(out), `.${basename(out)}.${process.pid}.partial`);
  await rm(tmp, { recursive: true, force: true });
  const rng = new Rng(o.seed ?? 0);
  let events = 0;
  let done = 0;
  const total = nTrain + nTest;
  try {
    await mkdir(tmp, { recursive: true });
    const lists: Record<'train' | 'test', string[]> = { train: ['#sample\t#class'], test: ['#sample\t#class'] };
    for (const [split, data, n, base] of [
      ['train', train, nTrain, 0],
      ['test', test, nTest, 60000],
    ] as const) {
      const px = data.rows * data.cols;
      for (let k = 0; k < n; k++) {
        if (o.stop?.()) {
          await rm(tmp, { recursive: true, force: true });
          return null;
        }
        const ev = emulateSaccades(data.images.subarray(k * px, (k + 1) * px), data.rows, data.cols, { rng });
        const id = base + k + 1;
        await writeFile(join(tmp, `${id}.bs2`), writeNmnist(ev));
        lists[split].push(`${id}\t${data.labels[k]}`);
        events += ev.t.length;
        o.onDigit?.(++done, total);
      }
    }
    await writeFile(join(tmp, 'train1K.txt'), `${lists.train.join('\n')}\n`);
    await writeFile(join(tmp, 'test100.txt'), `${lists.test.join('\n')}\n`);
    await writeFile(
      join(tmp, 'PROVENANCE.txt'),
      `Emulated N-MNIST written by \`${o.madeBy}\`:\n` +
        `the ${mnist.source} MNIST digits (${mnist.location}) recorded by spikeflow's DVS emulator with N-MNIST's\n` +
        `three saccades (src/events/emulator.ts, emulateSaccades), seed ${o.seed ?? 0}. Train ids 1..${nTrain} are MNIST train 0..${nTrain - 1};\n` +
        `test ids 60001..${60000 + nTest} are MNIST t10k 0..${nTest - 1}. Not real N-MNIST recordings.\n`,
    );
    if (existsSync(out)) await rmdir(out);
    await rename(tmp, out);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return { train: nTrain, test: nTest, events };
}

/** Whether `dir` holds a complete emulated (or nmnist-small) dataset: both label lists are written last. */
const complete = (dir: string) => existsSync(join(dir, 'train1K.txt')) && existsSync(join(dir, 'test100.txt'));

/**
 * The emulated N-MNIST in the cache, recorded first if it is not there: all 70,000 digits in
 * `<cache>/nmnist-emulated`, or, for a run that asks for fewer (limits, or the test split alone), only those
 * in `<cache>/nmnist-emulated-<train>-<test>` (unless the whole one is there). Seed 0: the same digits give the
 * same events on every machine. The MNIST digits come from `loadDigits` (the cache, a download, or the
 * embedded copy).
 */
export async function cachedEmulatedNmnist(o: {
  cacheDir?: string;
  trainLimit?: number;
  testLimit?: number;
  testOnly?: boolean;
  loadDigits: () => Promise<MnistData>;
  onDigit?: (done: number, total: number) => void;
}): Promise<{ dir: string; recorded: boolean }> {
  const full = datasetCache(o, 'nmnist-emulated');
  if (complete(full)) return { dir: full, recorded: false };
  const train = o.testOnly ? 0 : o.trainLimit;
  const whole = train === undefined && o.testLimit === undefined;
  const dir = whole ? full : datasetCache(o, `nmnist-emulated-${train ?? 'all'}-${o.testLimit ?? 'all'}`);
  if (complete(dir)) return { dir, recorded: false };
  const mnist = await o.loadDigits();
  await writeEmulatedNmnist(mnist, dir, {
    trainLimit: train,
    testLimit: o.testLimit,
    seed: 0,
    madeBy: 'spikeflow train/eval --dataset nmnist (the real N-MNIST was not available)',
    onDigit: o.onDigit,
  });
  return { dir, recorded: true };
}
