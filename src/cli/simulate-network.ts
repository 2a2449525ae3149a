import { UsageError } from '../core/errors.js';
import { buildCoba, buildCuba } from '../sim/models.js';
import { rasterPlot } from '../viz/index.js';
import { writePlot } from '../viz/png.js';
import { createProgress } from './progress.js';
import { prepareOutputFile } from './outputs.js';
import { yieldToSignals, type Interrupts } from './interrupt.js';

/** Neurons shown in the raster of --plot (the first ones: excitatory, then the last ones: inhibitory). */
const RASTER_NEURONS = 200;

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
  /** Present when a signal stopped the run: durationMs and the counts are those reached. */
  interrupted?: NodeJS.Signals;
}

/** Biological time run between two looks at the clock and the signals (the progress bar's unit). */
const CHUNK_MS = 100;

/**
 * Runs the network in pieces of CHUNK_MS with a progress bar (simulated time, ETA) on stderr. A SIGINT
 * or SIGTERM stops it after the current piece: the result then covers the time reached, is printed as
 * usual with a line saying so, and the process exits 130 (143).
 */
export async function runSimulateNetwork(
  model: 'cuba' | 'coba',
  o: { duration: string; seed: number; json: boolean; plot?: string },
  interrupts: Interrupts,
): Promise<NetworkSimResult> {
  const durationMs = parseDuration(o.duration);
  if (o.plot !== undefined) {
    if (!/\.(svg|png)$/i.test(o.plot)) throw new UsageError(`--plot: expected a file name ending in .svg or .png, found "${o.plot}"`);
    await prepareOutputFile(o.plot, 'plot');
  }
  const t0 = performance.now();
  // spike times are recorded only for a plot (otherwise only counts: memory stays flat however long the run)
  const b = (model === 'cuba' ? buildCuba : buildCoba)({ seed: o.seed, recordSpikes: o.plot !== undefined });
  const buildSeconds = (performance.now() - t0) / 1000;
  const totalSteps = Math.round(durationMs / b.net.dt);
  const chunk = Math.max(1, Math.round(CHUNK_MS / b.net.dt));
  const bar = createProgress({ total: Math.round(totalSteps * b.net.dt), label: `simulate ${model}`, unit: 'ms' });
  let stopped: NodeJS.Signals | undefined;
  const release = interrupts.takeOver((signal) => (stopped = signal));
  const run = { steps: 0, seconds: 0 };
  try {
    while (run.steps < totalSteps && !stopped) {
      const r = b.net.runSteps(Math.min(chunk, totalSteps - run.steps));
      run.steps += r.steps;
      run.seconds += r.seconds;
      bar.update(Math.round(run.steps * b.net.dt), { spikes: b.spikes.counts.reduce((a, c) => a + c, 0) });
      await yieldToSignals();
    }
  } finally {
    release();
    bar.done();
  }
  const simMs = run.steps * b.net.dt;
  const counts = b.spikes.counts;
  const n = counts.length;
  const nExc = Math.round(n * 0.8);
  let e = 0;
  let i = 0;
  for (let k = 0; k < n; k++) k < nExc ? (e += counts[k]) : (i += counts[k]);
  const hz = (c: number, m: number) => (c * 1000) / (m * simMs);
  const result: NetworkSimResult = {
    model,
    seed: o.seed,
    durationMs: simMs,
    dtMs: b.net.dt,
    neurons: n,
    synapses: b.exc.size + b.inh.size,
    spikes: e + i,
    meanRateHz: hz(e + i, n),
    excRateHz: hz(e, nExc),
    inhRateHz: hz(i, n - nExc),
    buildSeconds,
    runSeconds: run.seconds,
    ...(stopped ? { interrupted: stopped } : {}),
  };
  if (stopped)
    process.stderr.write(
      `spikeflow simulate: interrupted (${stopped}) at ${(simMs / 1000).toFixed(3)} s of the ${(durationMs / 1000).toFixed(3)} s asked: the result below covers the time reached\n`,
    );
  if (o.plot !== undefined) {
    // raster of the first 160 excitatory and the first 40 inhibitory neurons (rows 160..199)
    const shownE = Math.min(nExc, (RASTER_NEURONS * 4) / 5);
    const shownI = Math.min(n - nExc, RASTER_NEURONS / 5);
    const times: number[][] = Array.from({ length: shownE + shownI }, () => []);
    const ids = b.spikes.i;
    const st = b.spikes.stepIndex;
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k];
      const row = id < shownE ? id : id >= nExc && id < nExc + shownI ? shownE + id - nExc : -1;
      if (row >= 0) times[row].push(st[k] * b.net.dt);
    }
    const title = `${model.toUpperCase()}: ${shownE} excitatory (rows 0-${shownE - 1}) and ${shownI} inhibitory neurons, ${result.meanRateHz.toFixed(2)} Hz mean rate`;
    await writePlot(o.plot, rasterPlot({ times, duration: simMs, title, xLabel: 'time (ms)', yLabel: 'neuron' }));
  }
  if (o.json) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    const f = (x: number, d = 2) => x.toFixed(d);
    process.stdout.write(
      [
        `${model.toUpperCase()} (Vogels & Abbott 2005, Brian2's benchmark): ${n} LIF neurons (${nExc} E / ${n - nExc} I), p = 0.02, dt = ${b.net.dt} ms, seed ${o.seed}`,
        `simulated       ${f(simMs / 1000, 3)} s biological time (${run.steps} steps)${stopped ? `, interrupted (${stopped}) before ${f(durationMs / 1000, 3)} s` : ''}`,
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
