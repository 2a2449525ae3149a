// node bench/cuba-same-network.mjs — is spikeflow's CUBA (or COBA) integration the same as Brian2's?
// For each seed, spikeflow draws the network (synapses, initial v) and simulates 1 s; Brian2 (numpy
// target, bench/brian2_cuba_network.py) then simulates that same network from the same initial state.
// Prints per seed both total rates and how many of the 4000 neurons have a different spike count.
// Different rates across seeds then come from the random network, not from the integration.
// Env: BENCH_SEEDS (default 1,2,3), BENCH_MODEL (cuba or coba, default cuba), PYTHON (default /usr/bin/python3).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { buildCuba, buildCoba } = await import(join(root, 'dist', 'sim', 'models.js'));
const model = process.env.BENCH_MODEL ?? 'cuba';
if (model !== 'cuba' && model !== 'coba') throw new Error(`BENCH_MODEL: expected cuba or coba, found ${model}`);
const python = process.env.PYTHON ?? '/usr/bin/python3';
const seeds = (process.env.BENCH_SEEDS ?? '1,2,3').split(',').map(Number);
const work = mkdtempSync(join(tmpdir(), `spikeflow-${model}-same-`));
for (const seed of seeds) {
  const b = (model === 'cuba' ? buildCuba : buildCoba)({ seed, recordSpikes: false });
  const file = join(work, `net-${seed}.json`);
  const syn = (s) => ({ pre: Array.from(s.pre), post: Array.from(s.post) });
  writeFileSync(file, JSON.stringify({ model, v0: Array.from(b.group.v), exc: syn(b.exc), inh: syn(b.inh) }));
  b.net.run(1000);
  const ours = b.spikes.counts;
  const r = spawnSync(python, [join(root, 'bench', 'brian2_cuba_network.py'), file], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`Brian2 failed for seed ${seed}:\n${r.stderr}`);
  const theirs = JSON.parse(r.stdout.trim().split('\n').pop()).counts;
  let differ = 0;
  let sumOurs = 0;
  let sumTheirs = 0;
  for (let i = 0; i < ours.length; i++) {
    if (ours[i] !== theirs[i]) differ++;
    sumOurs += ours[i];
    sumTheirs += theirs[i];
  }
  const row = {
    model,
    seed,
    synapses: b.exc.size + b.inh.size,
    spikeflowHz: sumOurs / ours.length,
    brian2Hz: sumTheirs / theirs.length,
    neuronsWithDifferentCount: differ,
  };

  console.log(JSON.stringify(row));
}
