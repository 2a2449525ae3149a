// Writes test/fixtures/dvs-gesture: a tiny synthetic dataset in Tonic's DVSGesture layout
// (ibmGestureTrain/ and ibmGestureTest/, <user>_<lighting>/<class>.npy, each an (N, 4) int32 array of
// x, y, p, t with t in milliseconds on the 128 x 128 DVS128 sensor). Class c is a blob moving across the
// sensor in direction c * 360/11 degrees over 400 ms (ON events ahead of it, OFF behind), plus a few
// noise events: the whole train/eval path can run on it, no accuracy is claimed.
// Also test/fixtures/dvs-gesture-official/DvsGesture: IBM's release layout (trials_to_train.txt,
// trials_to_test.txt, AEDAT 3.1 recordings with <name>_labels.csv), the recordings being copies of
// test/fixtures/events/gesture.aedat (150 events of a real DVS Gesture recording, t 202..22732 us).
// usage: node tools/dvs-gesture-fixture.mjs
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'dvs-gesture');
let state = 20261204;
const rand = () => {
  // mulberry32
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

function npy(rows) {
  const header = `{'descr': '<i4', 'fortran_order': False, 'shape': (${rows.length}, 4), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  const h = `${header}${' '.repeat(pad % 64)}\n`;
  const out = new Uint8Array(10 + h.length + rows.length * 16);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]);
  for (let i = 0; i < h.length; i++) out[10 + i] = h.charCodeAt(i);
  const v = new DataView(out.buffer, 10 + h.length);
  rows.forEach((r, i) => r.forEach((x, k) => v.setInt32((i * 4 + k) * 4, x, true)));
  return out;
}

function sample(c, start) {
  const a = (2 * Math.PI * c) / 11;
  const rows = [];
  for (let k = 0; k < 160; k++) {
    const s = rand(); // progress along the path
    const on = rand() < 0.5;
    const d = (on ? 6 : -6) + (rand() - 0.5) * 4; // ahead (ON) or behind (OFF) the blob's centre
    const px = 64 + Math.cos(a) * (s * 80 - 40 + d) + (rand() - 0.5) * 10;
    const py = 64 + Math.sin(a) * (s * 80 - 40 + d) + (rand() - 0.5) * 10;
    rows.push([Math.round(px), Math.round(py), on ? 1 : 0, start + Math.floor(s * 400)]);
  }
  for (let k = 0; k < 20; k++) rows.push([Math.floor(rand() * 128), Math.floor(rand() * 128), rand() < 0.5 ? 1 : 0, start + Math.floor(rand() * 400)]);
  const ok = rows.filter((r) => r[0] >= 0 && r[0] < 128 && r[1] >= 0 && r[1] < 128);
  ok.sort((p, q) => p[3] - q[3]);
  return npy(ok);
}

rmSync(root, { recursive: true, force: true });
const splits = { ibmGestureTrain: ['user01_fluorescent', 'user02_led'], ibmGestureTest: ['user24_natural'] };
for (const [split, users] of Object.entries(splits))
  for (const u of users)
    for (let c = 0; c < 11; c++) {
      const f = join(root, split, u, `${c}.npy`);
      mkdirSync(dirname(f), { recursive: true });
      writeFileSync(f, sample(c, 1000 + Math.floor(rand() * 50000)));
    }
console.log(`wrote ${root}`);

const official = join(root, '..', 'dvs-gesture-official', 'DvsGesture');
rmSync(join(official, '..'), { recursive: true, force: true });
mkdirSync(official, { recursive: true });
const recordings = {
  'user01_fluorescent.aedat': [[1, 202, 8000], [5, 8000, 15000], [11, 15000, 22733]],
  'user02_led.aedat': [[3, 1000, 12000], [8, 12000, 20000]],
};
for (const [name, rows] of Object.entries(recordings)) {
  copyFileSync(join(root, '..', 'events', 'gesture.aedat'), join(official, name));
  const csv = ['class,startTime_usec,endTime_usec', ...rows.map((r) => r.join(','))].join('\r\n');
  writeFileSync(join(official, name.replace('.aedat', '_labels.csv')), `${csv}\r\n`);
}
writeFileSync(join(official, 'trials_to_train.txt'), 'user01_fluorescent.aedat\n');
writeFileSync(join(official, 'trials_to_test.txt'), 'user02_led.aedat\n');
console.log(`wrote ${official}`);
