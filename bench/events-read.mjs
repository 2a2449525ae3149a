// Reading and framing N-MNIST against Tonic: every file of nmnist-small (1,000 train + 100 test .bs2
// samples) read from disk and framed with ToFrame(n_time_bins), one thread, in the same run.
// spikeflow the way `train --dataset nmnist` loads samples (FileReader, then readNmnistFrames({ nTimeBins }):
// the records decoded straight into the frame counts, into one reused frame buffer) and through the two
// steps (readFileSync, readNmnist, toFrame); Tonic through tonic.io.read_mnist_file and
// tonic.transforms.ToFrame from its source on Debian's python3 + numpy (bench/events_read.py).
// Timed, on both sides: reading and framing each sample (the clock runs around those calls only). Untimed:
// summing the sample's frames (the check that all sides agree), after which the frames are dropped, so
// each side allocates as it does at its best in a data loader (Tonic: a new int16 array per sample, which
// malloc reuses; spikeflow's fused path: one buffer; the two-step path: new arrays per sample, collected).
// Each side reports the median over EV_REPS passes (after a warm-up pass), the events read and the sum of
// all frames, which must agree.
// usage: node bench/events-read.mjs   Env: NMNIST_SMALL (default ../shared/datasets/nmnist-small),
//        EV_BINS (10), EV_REPS (3), TONIC_SRC (default /tmp/tonic). Prints one JSON line per side and the ratio.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNmnist, readNmnistFrames, toFrame } from '../dist/events/index.js';
import { FileReader } from '../dist/events/node.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = process.env.NMNIST_SMALL ?? resolve(here, '..', '..', 'shared', 'datasets', 'nmnist-small');
const bins = Number(process.env.EV_BINS ?? 10);
const reps = Number(process.env.EV_REPS ?? 3);
const med = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];

if (!existsSync(join(dir, 'train1K.txt'))) {
  console.log(JSON.stringify({ bench: 'events-read', skipped: `no nmnist-small in ${dir} (set NMNIST_SMALL)` }));
  process.exit(0);
}
const files = [];
for (const list of ['train1K.txt', 'test100.txt'])
  for (const line of readFileSync(join(dir, list), 'utf8').split(/\r?\n/)) {
    const s = line.trim();
    if (s && !s.startsWith('#')) files.push(join(dir, `${s.split(/\s+/)[0]}.bs2`));
  }

const reader = new FileReader();
const frameSize = bins * 2 * 34 * 34;
const buffer = new Float32Array(frameSize);
// read and frame one sample: its frames (a Float32Array)
const fused = (f) => readNmnistFrames(reader.read(f), { nTimeBins: bins, file: f }, buffer).data;
const twoStep = (f) => toFrame(readNmnist(readFileSync(f), { file: f }), { nTimeBins: bins }).data;

function timed(frame) {
  const times = [];
  let frameSum = 0;
  for (let r = 0; r <= reps; r++) {
    let seconds = 0;
    frameSum = 0;
    for (const f of files) {
      const t0 = performance.now();
      const d = frame(f);
      seconds += performance.now() - t0;
      for (let i = 0; i < d.length; i++) frameSum += d[i];
    }
    if (r) times.push(seconds / 1000);
  }
  return { seconds: med(times), frameSum };
}

const two = timed(twoStep);
const fast = timed(fused);
let events = 0; // counted once, untimed
for (const f of files) events += readNmnist(readFileSync(f)).t.length;
const ours = {
  peer: 'spikeflow FileReader + readNmnistFrames',
  files: files.length,
  bins,
  seconds: fast.seconds,
  events,
  frameSum: fast.frameSum,
};
const oursTwo = {
  peer: 'spikeflow readFileSync + readNmnist + toFrame',
  files: files.length,
  bins,
  seconds: two.seconds,
  events,
  frameSum: two.frameSum,
};
console.log(JSON.stringify(oursTwo));
console.log(JSON.stringify(ours));

const src = process.env.TONIC_SRC ?? '/tmp/tonic';
let peer;
if (!existsSync(join(src, 'tonic', 'io.py'))) peer = { peer: 'Tonic', skipped: `no Tonic source in ${src} (set TONIC_SRC)` };
else {
  const r = spawnSync('/usr/bin/python3', [join(here, 'events_read.py'), dir, String(bins), String(reps)], {
    env: { ...process.env, TONIC_SRC: src, OPENBLAS_NUM_THREADS: '1' },
    encoding: 'utf8',
  });
  peer =
    r.status === 0
      ? JSON.parse(r.stdout.trim().split('\n').pop())
      : { peer: 'Tonic', skipped: (r.stderr || r.error?.message || 'failed').trim().split('\n').pop() };
}
console.log(JSON.stringify(peer));
if (!peer.skipped) {
  const same = [ours, oursTwo].every((o) => peer.events === o.events && peer.frameSum === o.frameSum);
  console.log(
    `\n| ${files.length} N-MNIST files, ToFrame(n_time_bins=${bins}) | seconds | files/s |\n|---|---|---|\n` +
      `| spikeflow (readNmnistFrames) | ${ours.seconds.toFixed(3)} | ${(files.length / ours.seconds).toFixed(0)} |\n` +
      `| spikeflow (readNmnist + toFrame) | ${oursTwo.seconds.toFixed(3)} | ${(files.length / oursTwo.seconds).toFixed(0)} |\n` +
      `| Tonic | ${peer.seconds.toFixed(3)} | ${(files.length / peer.seconds).toFixed(0)} |\n\n` +
      `spikeflow is ${(peer.seconds / ours.seconds).toFixed(1)}x faster than Tonic (target >= 5x; the two-step path ` +
      `${(peer.seconds / oursTwo.seconds).toFixed(1)}x); same events and frames: ${same ? 'yes' : 'NO'}`,
  );
  if (!same) process.exitCode = 1;
}
