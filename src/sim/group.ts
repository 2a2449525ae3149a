import { ValueError, checkInt, checkMethods, describe } from '../core/errors.js';

/**
 * What the simulator needs from anything that emits spikes (neuron groups and input groups).
 *
 * Each step the network calls `update(step)`, which integrates the group's state from t = step*dt to
 * t + dt and then applies the threshold, leaving the indices of the neurons that spiked at time t in
 * `spikes[0 .. spikeCount)`. The threshold of neuron i reads only neuron i's freshly updated state, so
 * doing both in one pass gives the same result as two phases, one memory sweep cheaper. `reset(step)`
 * runs after spike delivery and applies the reset to this step's spiking neurons.
 */
export interface SpikingGroup {
  readonly name: string;
  readonly size: number;
  /** Indices of the neurons that spiked this step, in increasing order; valid up to spikeCount. */
  readonly spikes: Int32Array;
  spikeCount: number;
  /** Called by the network before a run (and again when dt changes): precompute per-step constants. */
  prepare(dt: number): void;
  update(step: number): void;
  reset(step: number): void;
  /** Names of the state variables (targets for synapses and state monitors). */
  readonly variableNames: readonly string[];
  /** The live array of one state variable (synapses add into it, monitors read it). */
  variable(name: string): Float64Array;
}

/** Looks a variable up in a table, or throws a ValueError listing the valid names. */
export function lookupVariable(group: string, vars: Record<string, Float64Array>, name: string): Float64Array {
  const v = Object.hasOwn(vars, name) ? vars[name] : undefined;
  if (!v) throw new ValueError(`${group}: no state variable "${name}" (variables: ${Object.keys(vars).join(', ')})`);
  return v;
}

/** Throws ValueError unless `g` is a SpikingGroup (duck-typed: its methods). */
export function checkGroup(name: string, g: unknown): asserts g is SpikingGroup {
  checkMethods(name, g, ['prepare', 'update', 'reset', 'variable'], 'a neuron group (LifGroup, PoissonGroup, ...)');
}

export function checkSize(what: string, n: number): void {
  checkInt(`${what} size`, n, 1, 2 ** 28);
}

/** A per-neuron value: one number for all, or one per neuron (length checked). */
export type PerNeuron = number | ArrayLike<number>;

export function fillPerNeuron(name: string, target: Float64Array, v: PerNeuron): void {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new ValueError(`${name}: expected a finite number, found ${v}`);
    target.fill(v);
    return;
  }
  if (!Array.isArray(v) && !ArrayBuffer.isView(v))
    throw new ValueError(`${name}: expected a number or one per neuron, found ${describe(v)}`);
  if (v.length !== target.length) throw new ValueError(`${name}: expected ${target.length} values (one per neuron), found ${v.length}`);
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) throw new ValueError(`${name}[${i}]: expected a finite number, found ${describe(v[i])}`);
    target[i] = v[i];
  }
}

/** Refractory period (ms) in whole steps, as Brian2 counts it: round(refractory / dt). */
export function refractorySteps(refractoryMs: number, dt: number): number {
  return Math.round(refractoryMs / dt);
}

/** "Never spiked" marker for last-spike steps: far enough in the past for any refractory period. */
export const NEVER = -(2 ** 30);
