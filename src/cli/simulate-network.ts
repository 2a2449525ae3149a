import { UsageError } from '../core/errors.js';
import { buildCoba, buildCuba } from '../sim/models.js';

/**
 * `spikeflow simulate cuba|coba`: the Vogels & Abbott (2005) benchmark networks exactly as Brian2 runs
 * them (4000 LIF, 3200 E / 800 I, p = 0.02, dt = 0.1 ms; see src/sim/models.ts). `--duration` is
 * biological time: a number with unit ms or s ("100ms", "1s", "0.5s"; a bare number is ms).
 * `runSeconds` times the simulation loop only (as Brian2's cpp_standalone run time), `buildSeconds`
 * the construction of the network (initial conditions and connectivity).
 */
export function parseDuration(s: string): number {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)(?:e([+-]?\d+))?\s*(ms|s)?\s*$/i.exec(s);
  const bad = () => new UsageError(`--duration: expected a time like 100ms or 1s (a bare number is ms), found "${s}"`);
  if (!m) throw bad();
  const x = Number(m[1]) * 10 ** Number(m[2] ?? 0);
  const ms = (m[3] ?? 'ms').toLowerCase() === 's' ? x * 1000 : x;
  if (!Number.isFinite(ms) || ms <= 0 || ms > 1e9) throw bad();
  return ms;
}

export interface NetworkSimResult {
  model: 'cuba' | 'coba';
  seed: number;
  durationMs: number;
  dtMs: number;
  neurons: number;
  synapses: number;
  spikes: number;
  meanRateHz: number;
  excRateHz: number;
  inhRateHz: number;
  buildSeconds: number;
  runSeconds: number;
}

export async function runSimulateNetwork(model: 'cuba' | 'coba', o: { duration: string; seed: number; json: boolean }): Promise<NetworkSimResult> {
  const durationMs = parseDuration(o.duration);
  const t0 = performance.now();
  const b = (model === 'cuba' ? buildCuba : buildCoba)({ seed: o.seed, recordSpikes: false });
  const buildSeconds = (performance.now() - t0) / 1000;
  const run = b.net.run(durationMs);
  const simMs = run.steps * b.net.dt;
  const counts = b.spikes.counts;
  const n = counts.length;
  const nExc = Math.round(n * 0.8);
  let e = 0;
  let i = 0;
  for (let k = 0; k < n; k++) (k < nExc ? (e += counts[k]) : (i += counts[k]));
  const hz = (c: number, m: number) => (c * 1000) / (m * simMs);
  const result: NetworkSimResult = {
    model, seed: o.seed, durationMs: simMs, dtMs: b.net.dt, neurons: n, synapses: b.exc.size + b.inh.size, spikes: e + i,
    meanRateHz: hz(e + i, n), excRateHz: hz(e, nExc), inhRateHz: hz(i, n - nExc), buildSeconds, runSeconds: run.seconds,
  };
  if (o.json) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    const f = (x: number, d = 2) => x.toFixed(d);
    process.stdout.write(
      [
        `${model.toUpperCase()} (Vogels & Abbott 2005, Brian2's benchmark): ${n} LIF neurons (${nExc} E / ${n - nExc} I), p = 0.02, dt = ${b.net.dt} ms, seed ${o.seed}`,
        `simulated       ${f(simMs / 1000, 3)} s biological time (${run.steps} steps)`,
        `synapses        ${result.synapses}`,
        `spikes          ${result.spikes}`,
        `mean rate       ${f(result.meanRateHz)} Hz (E ${f(result.excRateHz)} Hz, I ${f(result.inhRateHz)} Hz)`,
        `build           ${f(buildSeconds, 3)} s`,
        `run             ${f(run.seconds, 3)} s (simulation loop only)`,
      ].join('\n') + '\n',
    );
  }
  return result;
}
