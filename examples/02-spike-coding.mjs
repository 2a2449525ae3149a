/**
 * Example 2: turning numbers into spikes (snnTorch tutorial 1, "spike encoding"), and population coding.
 *
 * Run from a clone after `npm run build`:   node examples/02-spike-coding.mjs
 *
 * Rate coding: a value p in [0, 1] is the probability of a spike at each step (a Bernoulli trial per
 * step). Over many steps the fraction of steps with a spike approaches p: the tutorial's vector of 0.5s
 * spikes about 50% of the time. The draws come from an explicit seeded Rng, so the run is repeatable.
 *
 * Latency coding: a value is one spike, earlier for brighter inputs. The tutorial's RC model charges a
 * capacitor with current x towards threshold: t = tau ln(x / (x - threshold)) (tau 5, threshold 0.01);
 * inputs at or below the threshold never reach it (spikeflow, like snnTorch, clamps them just above the
 * threshold, giving the largest time). The linear code is t = tau (1 - x); with `normalize` the times
 * are stretched over the whole window (tau = T - 1), and with `clip` values below the threshold are silent.
 *
 * Delta modulation: a spike where the signal rose by at least the threshold since the previous step, an
 * "off" spike (-1) where it fell by at least that much. The tutorial's signal
 * [0, 1, 0, 2, 8, -20, 20, -5, 0, 1, 0] with threshold 4 gives [0, 0, 0, 0, 1, -1, 1, -1, 1, 0, 0].
 *
 * Population coding: a value is the pattern of N neurons with Gaussian tuning curves,
 * r_i = exp(-(x - c_i)^2 / (2 sigma^2)), centres c_i evenly over [min, max], sigma = range / (gamma (N - 2)).
 * The neuron whose centre is nearest responds most; `populationDecode` reads the value back.
 */
import {
  Rng,
  Tensor,
  deltaEncode,
  latencyEncode,
  latencyTimes,
  populationCode,
  populationDecode,
  populationResponses,
  rateEncode,
} from '../dist/index.js';

const fmt = (x, d = 4) => x.toFixed(d);

// ---- rate coding ---------------------------------------------------------------------------------------
console.log('Rate coding: P(spike per step) = value');
const rng = new Rng(42);
for (const steps of [10, 100, 10000]) {
  const spikes = rateEncode(Tensor.from(new Float32Array(1).fill(0.5)), steps, rng).x.data;
  const fraction = spikes.reduce((a, b) => a + b, 0) / steps;
  console.log(`  value 0.5, ${String(steps).padStart(5)} steps: spiking ${fmt(100 * fraction, 2)}% of the time (expected 50%)`);
}
const pixels = Float32Array.of(0, 0.1, 0.25, 0.75, 1);
const counts = new Float64Array(pixels.length);
const T = 2000;
const train = rateEncode(Tensor.from(pixels), T, rng).x.data; // [T, 5], time-major
for (let t = 0; t < T; t++) for (let i = 0; i < pixels.length; i++) counts[i] += train[t * pixels.length + i];
console.log(
  `  pixels ${Array.from(pixels, (p) => fmt(p, 2)).join(' ')} over ${T} steps: rates ${Array.from(counts, (c) => fmt(c / T, 3)).join(' ')}`,
);

// ---- latency coding ------------------------------------------------------------------------------------
console.log('');
console.log('Latency coding, RC model: t = tau ln(x / (x - threshold)), tau 5, threshold 0.01');
const xs = Float32Array.of(0.011, 0.02, 0.1, 0.5, 1);
const times = latencyTimes(xs, 100, { tau: 5, threshold: 0.01 });
for (let i = 0; i < xs.length; i++) {
  const hand = 5 * Math.log(xs[i] / (xs[i] - 0.01));
  console.log(`  x ${fmt(xs[i], 3)}: spike time ${fmt(times[i])}  (by hand ${fmt(hand)})`);
}
console.log('Latency coding, linear, normalize, clip, T 100: spike step = round((T - 1)(1 - x)) (half to even), none below 0.01');
const lin = Float32Array.of(0, 0.25, 0.5, 0.75, 1);
const enc = latencyEncode(Tensor.from(lin), 100, { tau: 5, threshold: 0.01, linear: true, normalize: true, clip: true }).data;
for (let i = 0; i < lin.length; i++) {
  let step = -1;
  for (let t = 0; t < 100; t++) if (enc[t * lin.length + i]) step = t;
  console.log(`  x ${fmt(lin[i], 2)}: spike at step ${step === -1 ? 'none' : step}`);
}

// ---- delta modulation ----------------------------------------------------------------------------------
console.log('');
const signal = [0, 1, 0, 2, 8, -20, 20, -5, 0, 1, 0];
const delta = deltaEncode(Tensor.from(signal), { threshold: 4, offSpike: true }).data;
console.log(`Delta modulation, threshold 4, off spikes: signal ${signal.join(' ')}`);
console.log(`  spikes ${Array.from(delta).join(' ')}`);
console.log('  (tutorial: 0 0 0 0 1 -1 1 -1 1 0 0)');

// ---- population coding ---------------------------------------------------------------------------------
console.log('');
const code = populationCode(1, { neurons: 5, min: 0, max: 10 }); // gamma 1.5: sigma = 10 / (1.5 * 3)
console.log(
  `Population coding: 5 Gaussian neurons over [0, 10], centres ${Array.from(code.centres).join(' ')}, sigma ${fmt(code.sigma[0])}`,
);
for (const v of [2.5, 7]) {
  const r = populationResponses(Tensor.from([v], [1, 1]), code).data;
  const decoded = populationDecode(r, code)[0];
  console.log(`  value ${v}: responses ${Array.from(r, (x) => fmt(x)).join(' ')}  decoded ${fmt(decoded, 2)}`);
}
