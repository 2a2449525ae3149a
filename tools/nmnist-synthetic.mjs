// Writes test/fixtures/nmnist-synth: a tiny synthetic event dataset in the nmnist-small layout
// (<id>.bs2 files in N-MNIST's 5-byte format, labels in train1K.txt / test100.txt), two classes of a
// bar sweeping a 34x34 sensor: class 0 a vertical bar moving right, class 1 a horizontal bar moving
// down. ON events on the leading edge, OFF events on the trailing edge, each edge pixel firing with
// probability 0.6 at a jittered time, plus 20 noise events. Every random choice from spikeflow's
// seeded Rng (build first: npx tsc -p tsconfig.build.json). Usage: node tools/nmnist-synthetic.mjs
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../dist/core/rng.js';

const out = new URL('../test/fixtures/nmnist-synth/', import.meta.url).pathname;
const TRAIN = 24;
const TEST = 12;
const rng = new Rng(18);

/** One sample's events [x, y, p, t] sorted by t. */
function sample(label) {
  const ev = [];
  const start = 4 + rng.int(4); // first bar position
  const lo = 3 + rng.int(6); // extent of the bar along its length
  const hi = 25 + rng.int(6);
  const stepUs = 9000 + rng.int(3000); // time per pixel of motion
  for (let k = 0; k < 22; k++) {
    const pos = start + k;
    const t0 = k * stepUs;
    for (let s = lo; s <= hi; s++) {
      for (const [edge, p] of [
        [pos + 1, 1],
        [pos - 1, 0],
      ]) {
        if (edge < 0 || edge > 33 || rng.uniform() >= 0.6) continue;
        const t = t0 + rng.int(stepUs);
        ev.push(label === 0 ? [edge, s, p, t] : [s, edge, p, t]);
      }
    }
  }
  const end = 22 * stepUs;
  for (let i = 0; i < 20; i++) ev.push([rng.int(34), rng.int(34), rng.int(2), rng.int(end)]);
  return ev.sort((a, b) => a[3] - b[3]);
}

/** N-MNIST's record: x, y, then polarity in bit 23 and the time in bits 22..0 (big-endian). */
function encode(ev) {
  const b = new Uint8Array(5 * ev.length);
  ev.forEach(([x, y, p, t], i) => {
    const w = (p << 23) | t;
    b.set([x, y, (w >>> 16) & 0xff, (w >>> 8) & 0xff, w & 0xff], 5 * i);
  });
  return b;
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const lists = { 'train1K.txt': [], 'test100.txt': [] };
for (let i = 0; i < TRAIN + TEST; i++) {
  const id = i < TRAIN ? i + 1 : 60001 + i - TRAIN;
  const label = i % 2;
  writeFileSync(join(out, `${id}.bs2`), encode(sample(label)));
  lists[i < TRAIN ? 'train1K.txt' : 'test100.txt'].push(`${id}\t${label}`);
}
for (const [name, rows] of Object.entries(lists)) writeFileSync(join(out, name), `#sample #class\n${rows.join('\n')}\n`);
process.stdout.write(`${out}: ${TRAIN} train + ${TEST} test samples\n`);
