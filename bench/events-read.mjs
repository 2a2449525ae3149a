// Reading and framing N-MNIST against Tonic: every file of nmnist-small (1,000 train + 100 test .bs2
// samples) read from disk and framed with ToFrame(n_time_bins), one thread; spikeflow through its API
// (readNmnist on the file's bytes, toFrame({ nTimeBins })), Tonic through tonic.io.read_mnist_file and
// tonic.transforms.ToFrame from its source on Debian's python3 + numpy (bench/events_read.py), in the same
// run. Both report the events read and the sum of all frames, which must agree.
// usage: node bench/events-read.mjs   Env: NMNIST_SMALL (default ../shared/datasets/nmnist-small),
//        EV_BINS (10), EV_REPS (3), TONIC_SRC (default /tmp/tonic). Prints one JSON line per side and the ratio.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNmnist, toFrame } from '../dist/events/index.js';

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

// one pass: read and frame every file (timed); the frames are kept and summed after the clock stops
function onePass() {
  const frames = [];
  let events = 0;
  for (const f of files) {
    const ev = readNmnist(readFileSync(f), { file: f });
    frames.push(toFrame(ev, { nTimeBins: bins }).data);
    events += ev.t.length;
  }
  return { events, frames };
}

const times = [];
let res;
for (let r = 0; r <= reps; r++) {
  res = undefined;
  const t0 = performance.now();
  res = onePass();
  if (r) times.push((performance.now() - t0) / 1000);
}
let frameSum = 0;
for (const d of res.frames) for (let i = 0; i < d.length; i++) frameSum += d[i];
res.total = frameSum;
const ours = {
  peer: 'spikeflow readNmnist + toFrame',
  files: files.length,
  bins,
  seconds: med(times),
  events: res.events,
  frameSum: res.total,
};
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
  const same = peer.events === ours.events && peer.frameSum === ours.frameSum;
  console.log(
    `\n| ${files.length} N-MNIST files, ToFrame(n_time_bins=${bins}) | seconds | files/s |\n|---|---|---|\n` +
      `| spikeflow | ${ours.seconds.toFixed(3)} | ${(files.length / ours.seconds).toFixed(0)} |\n` +
      `| Tonic | ${peer.seconds.toFixed(3)} | ${(files.length / peer.seconds).toFixed(0)} |\n\n` +
      `spikeflow is ${(peer.seconds / ours.seconds).toFixed(1)}x faster than Tonic (target >= 5x); same events and frames: ${same ? 'yes' : 'NO'}`,
  );
  if (!same) process.exitCode = 1;
}
