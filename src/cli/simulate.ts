import { UsageError } from '../core/errors.js';
import { refuseGiven, type CommandContext } from './common.js';
import { prepareOutputFile } from './outputs.js';
import { simulateLif, lifAnalyticIsi, lifFiCurve, lifParams, lifRheobase, type LifParams } from '../neurons/lif.js';
import type { FlagSpec } from './args.js';
import { runSimulateNetwork } from './simulate-network.js';
import { membranePlot, fiCurvePlot } from '../viz/index.js';
import { writePlot } from '../viz/png.js';

export const simulateFlags = {
  current: { type: 'float', default: 1.8, help: 'lif: constant input current I' },
  tau: { type: 'float', default: 20, min: 1e-6, help: 'lif: membrane time constant tau_m, ms' },
  resistance: { type: 'float', default: 1, help: 'lif: membrane resistance R (> 0)' },
  threshold: { type: 'float', default: 1, help: 'lif: spike threshold V_th (above V_reset)' },
  'v-rest': { type: 'float', default: 0, help: 'lif: resting potential V_rest' },
  'v-reset': { type: 'float', default: 0, help: 'lif: reset potential V_reset' },
  refractory: { type: 'float', default: 0, min: 0, help: 'lif: refractory period, ms (steps when dt = 1)' },
  dt: { type: 'float', default: 1, min: 1e-6, help: 'lif: time step, ms' },
  steps: { type: 'int', default: 200, min: 1, max: 100_000_000, help: 'lif: number of time steps' },
  method: {
    type: 'choice',
    choices: ['euler', 'exact'],
    default: 'euler',
    help: 'lif: forward Euler (the tutorials) or exact exponential integration',
  },
  sweep: { type: 'bool', default: false, help: 'lif: print the f-I curve (firing rate against current) instead of one run' },
  'sweep-from': { type: 'float', default: 0, help: 'lif: first current of the sweep' },
  'sweep-to': { type: 'float', help: 'lif: last current of the sweep (default: 4x the rheobase)' },
  'sweep-points': { type: 'int', default: 21, min: 2, max: 100_000, help: 'lif: currents in the sweep' },
  json: { type: 'bool', default: false, help: 'print one JSON object on stdout' },
  plot: {
    type: 'string',
    help: 'draw into out.svg or out.png: lif: input current, membrane, threshold, spikes (--sweep: the f-I curve); cuba/coba: spike raster',
  },
  duration: { type: 'string', default: '1s', help: 'cuba/coba: biological time, e.g. 100ms or 1s (a bare number is ms)' },
  seed: { type: 'int', default: 1, min: 0, max: 4294967295, help: 'cuba/coba: seed of the initial conditions and connectivity' },
} as const satisfies FlagSpec;

export type SimulateOptions = {
  current: number;
  tau: number;
  resistance: number;
  threshold: number;
  'v-rest': number;
  'v-reset': number;
  refractory: number;
  dt: number;
  steps: number;
  method: string;
  sweep: boolean;
  'sweep-from': number;
  'sweep-to'?: number;
  'sweep-points': number;
  json: boolean;
  plot?: string;
  duration: string;
  seed: number;
};

/** The flags of the single-neuron model (refused with the network models). */
const LIF_ONLY = [
  'current',
  'tau',
  'resistance',
  'threshold',
  'v-rest',
  'v-reset',
  'refractory',
  'dt',
  'steps',
  'method',
  'sweep',
  'sweep-from',
  'sweep-to',
  'sweep-points',
];

/** Values the flag table's ranges cannot express, for which the neuron would mean nothing. */
function checkLifValues(o: SimulateOptions): void {
  if (!(o.resistance > 0))
    throw new UsageError(`--resistance: expected a number > 0, found ${o.resistance} (the input current reaches the membrane as R x I)`);
  if (!(o.threshold > o['v-reset'])) {
    throw new UsageError(
      `--threshold (${o.threshold}) must be above --v-reset (${o['v-reset']}): otherwise the neuron is above threshold right after every reset`,
    );
  }
  if (o.sweep && o['sweep-to'] !== undefined && !(o['sweep-to'] > o['sweep-from'])) {
    throw new UsageError(`--sweep-to (${o['sweep-to']}) must be above --sweep-from (${o['sweep-from']})`);
  }
}

const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'inf');

/** `spikeflow simulate lif`: the single-neuron lab of the tutorials (spike count, rate, spike times, f-I curve). */
export async function runSimulate(o: SimulateOptions, ctx: CommandContext): Promise<Record<string, unknown>> {
  const { positionals, given } = ctx;
  const model = positionals[0];
  if ((model === 'cuba' || model === 'coba') && positionals.length === 1) {
    refuseGiven(
      given,
      LIF_ONLY,
      `applies to simulate lif only (${model} runs Brian2's fixed benchmark network; it takes --duration, --seed, --plot, --json)`,
    );
    return { ...(await runSimulateNetwork(model, o, ctx.interrupts)) };
  }
  if (model !== 'lif')
    throw new UsageError(`simulate: expected a model (lif, cuba or coba), found ${model === undefined ? 'nothing' : `"${model}"`}`);
  if (positionals.length > 1) throw new UsageError(`simulate: unexpected argument "${positionals[1]}"`);
  refuseGiven(
    given,
    ['duration', 'seed'],
    'applies to simulate cuba|coba only (lif: --steps and --dt set the duration; it draws no random numbers)',
  );
  if (o.sweep)
    refuseGiven(given, ['current'], 'does nothing with --sweep (the sweep sets the currents: --sweep-from, --sweep-to, --sweep-points)');
  else refuseGiven(given, ['sweep-from', 'sweep-to', 'sweep-points'], 'applies with --sweep only');
  checkLifValues(o);
  if (o.plot !== undefined) {
    if (!/\.(svg|png)$/i.test(o.plot)) throw new UsageError(`--plot: expected a file name ending in .svg or .png, found "${o.plot}"`);
    await prepareOutputFile(o.plot, 'plot');
  }
  const p: LifParams = lifParams({
    tauM: o.tau,
    R: o.resistance,
    threshold: o.threshold,
    vRest: o['v-rest'],
    vReset: o['v-reset'],
    refractory: o.refractory,
    dt: o.dt,
    method: o.method as LifParams['method'],
  });
  const durationMs = o.steps * o.dt;
  const header = `LIF: tau_m ${o.tau} ms, R ${o.resistance}, threshold ${o.threshold}, V_rest ${o['v-rest']}, V_reset ${o['v-reset']}, refractory ${o.refractory} ms, dt ${o.dt} ms (${o.method}), ${o.steps} steps = ${durationMs} ms`;
  if (o.sweep) {
    const to = o['sweep-to'] ?? 4 * Math.max(lifRheobase(p), 1e-9);
    if (!(to > o['sweep-from']))
      throw new UsageError(
        `--sweep-from (${o['sweep-from']}) must be below the last current of the sweep (${to}: 4x the rheobase); give --sweep-to`,
      );
    const n = o['sweep-points'];
    const currents = Array.from({ length: n }, (_, i) => o['sweep-from'] + ((to - o['sweep-from']) * i) / (n - 1));
    const curve = lifFiCurve(currents, o.steps, p).map((r) => ({ ...r, analyticHz: 1000 / lifAnalyticIsi(r.current, p) }));
    const result = { model: 'lif', params: p, steps: o.steps, rheobase: lifRheobase(p), fiCurve: curve };
    if (o.plot !== undefined) {
      const title = `LIF f-I curve (tau_m ${o.tau} ms, threshold ${o.threshold}, refractory ${o.refractory} ms)`;
      await writePlot(
        o.plot,
        fiCurvePlot({
          currents: curve.map((r) => r.current),
          rates: curve.map((r) => r.rateHz),
          analytic: curve.map((r) => r.analyticHz),
          rheobase: lifRheobase(p),
          title,
        }),
      );
    }
    if (o.json) process.stdout.write(JSON.stringify(result) + '\n');
    else {
      const lines = [
        header,
        `rheobase ${fmt(lifRheobase(p), 4)}`,
        '',
        'current    rate (Hz)   analytic (Hz)',
        ...curve.map((r) => `${fmt(r.current, 4).padStart(9)}  ${fmt(r.rateHz).padStart(10)}  ${fmt(r.analyticHz).padStart(13)}`),
      ];
      process.stdout.write(lines.join('\n') + '\n');
    }
    return result;
  }
  const run = simulateLif(o.current, o.steps, p);
  const isi = lifAnalyticIsi(o.current, p);
  const result = {
    model: 'lif',
    params: p,
    current: o.current,
    steps: o.steps,
    durationMs,
    spikeCount: run.spikeSteps.length,
    rateHz: run.rateHz,
    analyticRateHz: 1000 / isi,
    analyticIsiMs: isi,
    spikeTimesMs: run.spikeTimes,
    spikeSteps: run.spikeSteps,
  };
  if (o.plot !== undefined) {
    const title = `LIF neuron: I = ${o.current}, tau_m ${o.tau} ms, threshold ${o.threshold} (${run.spikeSteps.length} spikes)`;
    await writePlot(
      o.plot,
      membranePlot({
        v: run.v,
        dt: o.dt,
        current: o.current,
        spikeTimes: run.spikeTimes,
        threshold: o.threshold,
        vRest: o['v-rest'],
        title,
      }),
    );
  }
  if (o.json) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    process.stdout.write(
      [
        `${header}, I = ${o.current}`,
        `spike count     ${run.spikeSteps.length}`,
        `firing rate     ${fmt(run.rateHz)} Hz (analytic steady state: ${fmt(1000 / isi)} Hz, ISI ${fmt(isi)} ms)`,
        `spike times     ${run.spikeTimes.length ? run.spikeTimes.map((t) => fmt(t, o.dt < 1 ? 3 : 0)).join(', ') + ' ms' : 'none (below the rheobase ' + fmt(lifRheobase(p), 4) + ')'}`,
      ].join('\n') + '\n',
    );
  }
  return result;
}
