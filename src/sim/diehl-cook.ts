import { ValueError, checkArray, checkInt, checkObject, checkRng } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { allToAll, connect, oneToOne } from './connect.js';
import { PoissonGroup } from './inputs.js';
import { LifGroup } from './lif-group.js';
import { SpikeMonitor } from './monitors.js';
import { Network } from './network.js';
import { Synapses } from './synapses.js';
import { stdpParams } from '../plasticity/stdp.js';

/**
 * Unsupervised digit learning in the style of Diehl & Cook (2015), "Unsupervised learning of digit
 * recognition using spike-timing-dependent plasticity", on the event-driven simulator (dt = 0.5 ms):
 *
 * - input: 784 Poisson neurons, rate = pixel / 255 * 63.75 Hz (times intensity / 2 when re-shown),
 *   350 ms per image, then 150 ms without input so the variables relax;
 * - excitatory layer: N conductance-based LIF neurons (tau 100 ms, rest -65 mV, reset -65 mV, threshold
 *   -52 mV + theta, refractory 5 ms, E_e 0 mV, E_i -100 mV, tau_ge 1 ms, tau_gi 2 ms), adaptive
 *   threshold theta += 0.05 mV per spike, decaying with tau 1e7 ms (frozen while testing);
 * - inhibitory layer: N LIF (tau 10 ms, rest -60, reset -45, threshold -40 mV, refractory 2 ms, E_i -85 mV),
 *   E -> I one-to-one (w 10.4), I -> E to every other excitatory neuron (w 17): lateral inhibition;
 * - input -> E all-to-all, initial weights 0.3 U(0.01, 1.01), STDP in the trace form with nearest-spike
 *   pairing as the paper's code: pre trace tau 20 ms, post trace tau 20 ms, a pre spike depresses by
 *   0.0001 x post trace, a post spike potentiates by 0.01 x pre trace x the slow post trace (tau 40 ms,
 *   read before the spike: the triplet term), bounds [0, 1];
 * - before every image each neuron's input weights are rescaled to sum to 78 (weight normalisation);
 * - an image that makes fewer than 5 excitatory spikes is shown again with the input intensity + 1
 *   (up to intensity 32);
 * - integration: exponential Euler for v (conductances frozen over a step, v relaxes exactly towards the
 *   conductance-weighted reversal potential). The paper's code uses forward Euler at dt = 0.5 ms, which
 *   is unstable when many inhibitory spikes arrive together (dt gi / tau_m > 2): v overshoots, the layer
 *   fires thousands of spikes per image and theta runs away after ~2000 images; exponential Euler
 *   cannot overshoot;
 * - labels: each neuron is assigned the class with its highest mean response over the training
 *   images; a test image is classified as the class whose assigned neurons fire most on average.
 */
export interface DiehlCookOptions {
  neurons?: number;
  dt?: number;
  presentMs?: number;
  restMs?: number;
}

export class DiehlCookNetwork {
  readonly net: Network;
  readonly input: PoissonGroup;
  readonly exc: LifGroup;
  readonly inh: LifGroup;
  readonly inputSynapses: Synapses;
  readonly excSpikes: SpikeMonitor;
  readonly neurons: number;
  readonly presentMs: number;
  readonly restMs: number;
  private readonly rates = new Float64Array(784);

  constructor(rng: Rng, o: DiehlCookOptions = {}) {
    checkRng('DiehlCookNetwork rng', rng);
    checkObject('DiehlCookNetwork options', o);
    const n = (this.neurons = o.neurons ?? 400);
    checkInt('neurons', n, 2, 100_000);
    this.presentMs = o.presentMs ?? 350;
    this.restMs = o.restMs ?? 150;
    const net = (this.net = new Network(o.dt ?? 0.5));
    this.input = net.addGroup(new PoissonGroup({ n: 784, rates: 0, name: 'input' }, rng.fork()));
    this.exc = net.addGroup(
      new LifGroup({
        name: 'exc',
        n,
        tauM: 100,
        vRest: -65,
        vReset: -65,
        vThreshold: -52,
        refractory: 5,
        synapse: 'conductance',
        method: 'exponential-euler',
        tauE: 1,
        tauI: 2,
        eE: 0,
        eI: -100,
        thetaPlus: 0.05,
        tauTheta: 1e7,
        v: -105,
      }),
    );
    this.inh = net.addGroup(
      new LifGroup({
        name: 'inh',
        n,
        tauM: 10,
        vRest: -60,
        vReset: -45,
        vThreshold: -40,
        refractory: 2,
        synapse: 'conductance',
        method: 'exponential-euler',
        tauE: 1,
        tauI: 2,
        eE: 0,
        eI: -85,
        v: -100,
      }),
    );
    const w0 = rng.fork();
    this.inputSynapses = net.addSynapses(
      new Synapses(this.input, this.exc, connect(allToAll(), 784, n, rng), {
        name: 'input->exc',
        on: 'ge',
        weight: () => 0.3 * (w0.uniform() + 0.01),
        stdp: stdpParams({
          aPlus: 0.01,
          aMinus: 0.0001,
          tauPlus: 20,
          tauMinus: 20,
          wMin: 0,
          wMax: 1,
          pairing: 'nearest',
          update: 'additive',
        }),
        tripletTau: 40,
      }),
    );
    net.addSynapses(new Synapses(this.exc, this.inh, connect(oneToOne(), n, n, rng), { name: 'exc->inh', on: 'ge', weight: 10.4 }));
    net.addSynapses(
      new Synapses(this.inh, this.exc, connect(allToAll({ allowSelf: false }), n, n, rng), { name: 'inh->exc', on: 'gi', weight: 17 }),
    );
    this.excSpikes = net.addMonitor(new SpikeMonitor(this.exc, false));
  }

  /** Rescales each neuron's input weights to sum to `total` (78 in the paper). */
  normalize(total = 78): void {
    const n = this.neurons;
    const w = this.inputSynapses.weights;
    const sums = new Float64Array(n);
    for (let i = 0; i < 784; i++) for (let j = 0; j < n; j++) sums[j] += w[i * n + j];
    for (let j = 0; j < n; j++) sums[j] = sums[j] > 0 ? total / sums[j] : 0;
    for (let i = 0; i < 784; i++) for (let j = 0; j < n; j++) w[i * n + j] = Math.min(1, w[i * n + j] * sums[j]);
  }

  /**
   * Shows one image (784 pixels 0..255) for presentMs, then rests for restMs; re-shows with higher
   * intensity while the excitatory layer makes fewer than 5 spikes. Returns the spike count per
   * excitatory neuron (a fresh array) and the intensity used.
   */
  present(pixels: ArrayLike<number>, learn: boolean): { counts: Int32Array; intensity: number } {
    if (pixels.length !== 784) throw new ValueError(`present: expected 784 pixels, found ${pixels.length}`);
    this.exc.adaptation = learn;
    let intensity = 2;
    for (;;) {
      if (learn) this.normalize();
      for (let p = 0; p < 784; p++) this.rates[p] = (pixels[p] / 8) * intensity; // 255 / 8 * 2 = 63.75 Hz
      this.input.setRates(this.rates);
      this.excSpikes.resetCounts();
      this.inputSynapses.learning = learn;
      this.net.run(this.presentMs);
      const counts = this.excSpikes.counts.slice();
      this.input.setRates(0);
      this.net.run(this.restMs);
      let total = 0;
      for (let j = 0; j < counts.length; j++) total += counts[j];
      if (total >= 5 || intensity >= 32) return { counts, intensity };
      intensity += 1;
    }
  }
}

/** Class of each neuron: argmax over classes of its mean response (-1 if it never fired). */
export function assignLabels(responses: Int32Array[], labels: ArrayLike<number>, neurons: number, classes = 10): Int32Array {
  checkArray('assignLabels responses', responses, false);
  checkArray('assignLabels labels', labels);
  const sum = new Float64Array(classes * neurons);
  const cnt = new Float64Array(classes);
  responses.forEach((r, k) => {
    const c = labels[k];
    cnt[c]++;
    for (let j = 0; j < neurons; j++) sum[c * neurons + j] += r[j];
  });
  const out = new Int32Array(neurons).fill(-1);
  for (let j = 0; j < neurons; j++) {
    let best = 0;
    for (let c = 0; c < classes; c++) {
      const m = cnt[c] ? sum[c * neurons + j] / cnt[c] : 0;
      if (m > best) [best, out[j]] = [m, c];
    }
  }
  return out;
}

/** Prediction for one response: the class whose assigned neurons have the highest mean spike count. */
export function predictByAssignment(counts: Int32Array, assignment: Int32Array, classes = 10): number {
  const sum = new Float64Array(classes);
  const num = new Float64Array(classes);
  for (let j = 0; j < counts.length; j++) {
    const c = assignment[j];
    if (c >= 0) {
      sum[c] += counts[j];
      num[c]++;
    }
  }
  let best = -1;
  let arg = 0;
  for (let c = 0; c < classes; c++) {
    const m = num[c] ? sum[c] / num[c] : 0;
    if (m > best) [best, arg] = [m, c];
  }
  return arg;
}
