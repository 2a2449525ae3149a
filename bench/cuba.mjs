// node bench/cuba.mjs — spikeflow's CUBA network next to Brian2 cpp_standalone, measured in the same run.
// Runs ../shared/peers/brian2_cuba.py (a private copy with its own output folder and a seed argument)
// once per seed to generate and compile the C++ project, then alternates: the compiled Brian2 binary
// (its results/last_run_info.txt holds the simulation-loop time) and `node dist/cli/main.js simulate cuba
// --json` (runSeconds: the simulation loop only). Both simulate 1 s of biological time.
// Env: BENCH_SEEDS (default 1,2,3,4,5), BENCH_REPEATS (timed runs per side at the first seed, default 7),
//      BENCH_MODEL (cuba or coba, default cuba), PYTHON (default /usr/bin/python3), SPIKEFLOW_SHARED.
// Prints rates per seed for both, the median loop times and the ratio spikeflow / Brian2 (< 1: faster).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.SPIKEFLOW_SHARED ?? join(root, '..', 'shared');
const python = process.env.PYTHON ?? '/usr/bin/python3';
const model = process.env.BENCH_MODEL ?? 'cuba';
const seeds = (process.env.BENCH_SEEDS ?? '1,2,3,4,5').split(',').map(Number);
const repeats = Number(process.env.BENCH_REPEATS ?? 7);
const cli = join(root, 'dist', 'cli', 'main.js');
if (!existsSync(cli)) throw new Error('dist/ is missing: run `npm run build` first');

const work = mkdtempSync(join(tmpdir(), `spikeflow-brian2-${model}-`));
const outDir = join(work, 'out');
let script;
if (model === 'cuba') {
  // the peer script, with a seed argument and a private output folder
  script = readFileSync(join(shared, 'peers', 'brian2_cuba.py'), 'utf8')
    .replace(/^seed\(1\)$/m, 'seed(int(sys.argv[3]) if len(sys.argv) > 3 else 1)')
    .replaceAll('/tmp/brian2_cuba_out', outDir);
  if (!script.includes('sys.argv[3]')) throw new Error('brian2_cuba.py changed: cannot add the seed argument');
} else {
  script = readFileSync(join(root, 'bench', 'brian2_coba.py'), 'utf8').replaceAll('/tmp/spikeflow_brian2_coba_out', outDir);
}
const scriptPath = join(work, `brian2_${model}.py`);
writeFileSync(scriptPath, script);

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
function brian2(seed) {
  const r = spawnSync(python, [scriptPath, 'cpp_standalone', '1', String(seed)], { encoding: 'utf8' });
  const line = r.stdout.split('\n').find((l) => l.startsWith('target='));
  if (!line) throw new Error(`Brian2 failed (is python3-brian installed?):\n${r.stderr.slice(-2000)}`);
  return { rate: Number(/rate=([\d.]+)Hz/.exec(line)[1]), synapses: Number(/synapses=(\d+)/.exec(line)[1]), run: brian2Binary() };
}
function brian2Binary() {
  const r = spawnSync('./main', [], { cwd: outDir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`Brian2 binary failed: ${r.stderr}`);
  return Number(
    readFileSync(join(outDir, 'results', 'last_run_info.txt'), 'utf8')
      .trim()
      .split(/\s+/)[0],
  );
}
function spikeflow(seed) {
  const r = spawnSync(process.execPath, [cli, 'simulate', model, '--duration', '1s', '--seed', String(seed), '--json'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`spikeflow failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim());
}

console.log(`${model.toUpperCase()}: 4000 LIF, p = 0.02, dt = 0.1 ms, 1 s biological time; seeds ${seeds.join(', ')}`);
console.log('seed  brian2 rate  synapses   spikeflow rate  synapses');
const rows = [];
for (const seed of seeds) {
  const b = brian2(seed);
  const s = spikeflow(seed);
  rows.push({ seed, brian2: b, spikeflow: s });
  console.log(
    `${String(seed).padStart(4)}  ${b.rate.toFixed(2).padStart(8)} Hz  ${String(b.synapses).padStart(8)}  ${s.meanRateHz.toFixed(2).padStart(11)} Hz  ${String(s.synapses).padStart(8)}`,
  );
}
const range = (a) =>
  `${Math.min(...a).toFixed(2)}-${Math.max(...a).toFixed(2)} Hz (mean ${(a.reduce((x, y) => x + y, 0) / a.length).toFixed(2)})`;
console.log(
  `rates over seeds: Brian2 ${range(rows.map((r) => r.brian2.rate))}, spikeflow ${range(rows.map((r) => r.spikeflow.meanRateHz))}`,
);

// timing: the last seed's compiled Brian2 project against spikeflow at the same seed, alternating
const seed = seeds[seeds.length - 1];
const tb = [];
const ts = [];
for (let k = 0; k < repeats; k++) {
  tb.push(brian2Binary());
  ts.push(spikeflow(seed).runSeconds);
}
const mb = median(tb);
const ms = median(ts);
console.log(
  `simulation loop, median of ${repeats} alternating runs (seed ${seed}): Brian2 cpp_standalone ${mb.toFixed(3)} s, spikeflow ${ms.toFixed(3)} s`,
);
console.log(`ratio spikeflow / Brian2 = ${(ms / mb).toFixed(2)} (min: ${Math.min(...tb).toFixed(3)} s vs ${Math.min(...ts).toFixed(3)} s)`);
console.log(
  JSON.stringify({
    model,
    seeds: rows.map((r) => ({ seed: r.seed, brian2RateHz: r.brian2.rate, spikeflowRateHz: r.spikeflow.meanRateHz })),
    brian2RunSeconds: tb,
    spikeflowRunSeconds: ts,
    ratio: ms / mb,
  }),
);
