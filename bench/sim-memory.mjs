// node bench/sim-memory.mjs [duration] — memory of a long simulation, sampled while it runs.
// Starts `spikeflow simulate cuba --duration <duration> --json` (default 6000s of biological time, about
// 10 minutes of wall time here) and reads the child's resident set size (VmRSS, /proc; Linux only) every
// BENCH_SAMPLE_S seconds (default 30). Prints the samples and the growth from the first sample after
// start-up (t >= 10 s) to the last; the CLI keeps spike counts only, so nothing should grow.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const duration = process.argv[2] ?? '6000s';
const every = Number(process.env.BENCH_SAMPLE_S ?? 30) * 1000;
const child = spawn(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'simulate', 'cuba', '--duration', duration, '--json'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let out = '';
child.stdout.on('data', (d) => (out += d));
const t0 = Date.now();
const samples = [];
const rssMb = () => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
};
const sample = () => {
  const mb = rssMb();
  if (mb === undefined) return;
  const s = { wallSeconds: Math.round((Date.now() - t0) / 1000), rssMb: Number(mb.toFixed(1)) };
  samples.push(s);
  console.log(JSON.stringify(s));
};
setTimeout(sample, 10_000);
const timer = setInterval(sample, every);
child.on('exit', (code) => {
  clearInterval(timer);
  if (code !== 0) throw new Error(`simulate cuba exited with ${code}`);
  const r = JSON.parse(out.trim().split('\n').pop());
  const first = samples[0];
  const last = samples[samples.length - 1];
  console.log(
    JSON.stringify({
      durationMs: r.durationMs,
      spikes: r.spikes,
      runSeconds: r.runSeconds,
      wallSeconds: (Date.now() - t0) / 1000,
      samples: samples.length,
      firstRssMb: first?.rssMb,
      lastRssMb: last?.rssMb,
      maxRssMb: Math.max(...samples.map((s) => s.rssMb)),
      growthMb: first && last ? Number((last.rssMb - first.rssMb).toFixed(1)) : undefined,
    }),
  );
});
