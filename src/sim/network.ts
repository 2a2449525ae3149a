import { ValueError, checkFunction, checkMethods, checkRange, describe } from '../core/errors.js';
import { checkGroup, type SpikingGroup } from './group.js';
import type { Monitor } from './monitors.js';
import { Synapses } from './synapses.js';

/**
 * A network of groups, synapses and monitors, advanced with a fixed step dt (ms) on an explicit
 * schedule. Every step t (time t*dt) runs, in this order:
 *   1. update     each group integrates its state over the step and applies its threshold
 *                 (spikes of step t; groups in the order they were added)
 *   2. deliver    each synapse group pushes this step's presynaptic spikes into its delay pipeline and
 *                 adds what is due at step t into the target variables (delay 0 arrives now)
 *   3. reset      each group resets the neurons that spiked (after delivery, as in Brian2)
 *   4. plasticity STDP of plastic synapse groups, from this step's pre and post spikes
 *   5. monitors   record
 *   6. operations user callbacks `(step) => void` added with addOperation (change rates, inputs, ...)
 * This is Brian2's default order (groups, thresholds, synapses, resets, end). Nothing allocates inside
 * the loop except the monitors' storage, so memory stays flat over long runs. There is no hidden
 * randomness: the groups that draw random numbers (PoissonGroup) hold their own seeded Rng.
 */
export class Network {
  readonly groups: SpikingGroup[] = [];
  readonly synapses: Synapses[] = [];
  readonly monitors: Monitor[] = [];
  private readonly operations: ((step: number) => void)[] = [];
  /** Steps simulated so far. */
  step = 0;
  private preparedDt = 0;

  constructor(readonly dt = 0.1) {
    checkRange('dt (ms)', dt, 1e-9, 1e6);
  }

  /** Time simulated so far, ms. */
  get t(): number {
    return this.step * this.dt;
  }

  addGroup<G extends SpikingGroup>(g: G): G {
    checkGroup('Network.addGroup', g);
    if (this.groups.includes(g)) throw new ValueError(`group ${g.name} was added twice`);
    this.groups.push(g);
    this.preparedDt = 0;
    return g;
  }

  addSynapses(s: Synapses): Synapses {
    if (!(s instanceof Synapses))
      throw new ValueError(
        `Network.addSynapses: expected Synapses (new Synapses(source, target, connectivity, options)), found ${describe(s)}`,
      );
    for (const g of [s.source, s.target])
      if (!this.groups.includes(g)) throw new ValueError(`synapses ${s.name}: add group ${g.name} to the network first`);
    this.synapses.push(s);
    this.preparedDt = 0;
    return s;
  }

  addMonitor<M extends Monitor>(m: M): M {
    checkMethods('Network.addMonitor', m, ['prepare', 'record'], 'a monitor (SpikeMonitor, StateMonitor, ...)');
    this.monitors.push(m);
    this.preparedDt = 0;
    return m;
  }

  addOperation(f: (step: number) => void): void {
    checkFunction('Network.addOperation', f);
    this.operations.push(f);
  }

  private prepare(): void {
    if (this.preparedDt === this.dt) return;
    for (const g of this.groups) g.prepare(this.dt);
    for (const s of this.synapses) s.prepare(this.dt);
    for (const m of this.monitors) m.prepare(this.dt);
    this.preparedDt = this.dt;
  }

  /** Runs for `durationMs` (rounded to whole steps); returns the steps run and the loop's wall time in seconds. */
  run(durationMs: number): { steps: number; seconds: number } {
    checkRange('duration (ms)', durationMs, 0, 1e12);
    return this.runSteps(Math.round(durationMs / this.dt));
  }

  runSteps(steps: number): { steps: number; seconds: number } {
    if (!Number.isInteger(steps) || steps < 0) throw new ValueError(`steps: expected an integer >= 0, found ${steps}`);
    this.prepare();
    const { groups, synapses, monitors, operations } = this;
    const plastic = synapses.filter((s) => s.stdp);
    const t0 = performance.now();
    const end = this.step + steps;
    for (let t = this.step; t < end; t++) {
      for (let k = 0; k < groups.length; k++) groups[k].update(t);
      for (let k = 0; k < synapses.length; k++) synapses[k].deliver(t);
      for (let k = 0; k < groups.length; k++) groups[k].reset(t);
      for (let k = 0; k < plastic.length; k++) plastic[k].plasticity(t);
      for (let k = 0; k < monitors.length; k++) monitors[k].record(t);
      for (let k = 0; k < operations.length; k++) operations[k](t);
      this.step = t + 1;
    }
    return { steps, seconds: (performance.now() - t0) / 1000 };
  }
}
