/**
 * Example 1: the leaky integrate-and-fire (LIF) neuron, in its two tutorial forms.
 *
 * Run from a clone after `npm run build`:   node examples/01-lif-neuron.mjs
 *
 * Part A, the discrete neuron (snnTorch tutorials 2-3, `snn.Leaky`). One step of the recurrence is
 *
 *     U[t] = beta U[t-1] + w X[t] - S[t-1] threshold        S[t] = 1 if U[t] > threshold else 0
 *
 * (reset by subtraction; the reset uses the previous step's spike, as snnTorch does). With beta 0.8,
 * weight w 0.5, threshold 1 and an input spike at every step, U climbs 0.5, 0.9, 1.22 (spike), drops by
 * the threshold at the next step, and so on. The table prints U[t] by hand (the formula above, written
 * out in this file) next to spikeflow's `leakyStep`; the columns must agree. The decay beta comes from a
 * time constant: beta = exp(-dt / tau), so dt = 1 ms and tau = 5 ms give beta = 0.8187 (tutorial 2).
 *
 * Part B, the continuous neuron (the course's Euler LIF): tau_m dV/dt = -(V - V_rest) + R I, stepped by
 * forward Euler, V += dt / tau_m (-(V - V_rest) + R I), spike when V >= threshold, then V = V_reset and
 * held for the refractory period t_ref. With I = 1.8, tau_m = 20 ms, R = 1, threshold 1, t_ref = 4 ms,
 * dt = 1 ms over 200 ms the neuron fires 10 times, at 50 Hz: each inter-spike interval is 16 steps of
 * charging plus 4 refractory steps = 20 ms. The exact solution's interval is
 *     ISI = t_ref + tau_m ln(R I / (R I - V_th)) = 4 + 20 ln(1.8 / 0.8) = 20.22 ms,
 * which `lifAnalyticIsi` computes; Euler on a 1 ms grid rounds it to 20 ms. The same run from the CLI:
 *     npx spikeflow simulate lif --current 1.8 --tau 20 --threshold 1 --refractory 4 --steps 200
 * Below the rheobase (R I <= V_th, here I <= 1) the neuron never fires.
 */
import { leakyStep, leakyInitState, lifAnalyticIsi, lifRheobase, simulateLif } from '../dist/index.js';

const fmt = (x, d = 4) => x.toFixed(d);

// ---- Part A: the discrete Leaky neuron, step by step -------------------------------------------------
const beta = 0.8;
const w = 0.5;
const threshold = 1;
const steps = 8;
console.log('A. Discrete LIF (snnTorch Leaky): U[t] = beta U[t-1] + w X[t] - S[t-1] thr, beta 0.8, w 0.5, thr 1, X[t] = 1');
console.log('   t   w*X[t]   U[t] by hand   U[t] spikeflow   S[t]');
let state = leakyInitState(1);
let uHand = 0;
let sHand = 0;
for (let t = 1; t <= steps; t++) {
  const x = w * 1; // an input spike X[t] = 1 through weight w
  // by hand: the formula of the tutorial, reset by subtraction from the previous step's spike
  uHand = beta * uHand + x - sHand * threshold;
  sHand = uHand > threshold ? 1 : 0;
  // spikeflow: the same step, pure function (state in, state out)
  const r = leakyStep(Float32Array.of(x), state, { beta, threshold, reset: 'subtract' });
  state = r.state;
  console.log(`  ${String(t).padStart(2)}   ${fmt(x, 2)}     ${fmt(uHand)}         ${fmt(state.mem[0])}           ${r.spk[0]}`);
}
const tau = 5;
console.log(`   beta from tau: exp(-dt/tau) with dt 1 ms, tau ${tau} ms = ${fmt(Math.exp(-1 / tau))} (tutorial: 0.819)`);

// ---- Part B: the continuous LIF with forward Euler ----------------------------------------------------
const params = { tauM: 20, R: 1, threshold: 1, vRest: 0, vReset: 0, refractory: 4, dt: 1, method: 'euler' };
const run = simulateLif(1.8, 200, params);
console.log('');
console.log('B. Euler LIF: I 1.8, tau_m 20 ms, R 1, V_th 1, t_ref 4 ms, dt 1 ms, 200 ms');
console.log(`   spikes             ${run.spikeSteps.length}   (tutorial: 10)`);
console.log(`   firing rate        ${fmt(run.rateHz, 1)} Hz   (tutorial: 50 Hz)`);
console.log(`   spike times (ms)   ${run.spikeTimes.join(' ')}`);
const isis = run.spikeTimes.slice(1).map((t, i) => t - run.spikeTimes[i]);
console.log(`   simulated ISI      ${isis[0]} ms (every interval: ${[...new Set(isis)].join(', ')})`);
console.log(`   analytic ISI       ${fmt(lifAnalyticIsi(1.8, params), 2)} ms   (t_ref + tau ln(RI / (RI - V_th)))`);
console.log(
  `   rheobase           ${fmt(lifRheobase(params), 2)}   (I = 0.9 gives ${simulateLif(0.9, 200, params).spikeSteps.length} spikes)`,
);

// The f-I curve: firing rate against constant current, simulated (Euler) and from the analytic ISI.
console.log('   f-I curve:   I     Euler rate (Hz)   analytic rate 1000/ISI (Hz)');
for (const i of [1.2, 1.8, 3, 5]) {
  const r = simulateLif(i, 1000, params); // 1 s
  console.log(
    `              ${fmt(i, 1)}   ${fmt(r.rateHz, 1).padStart(8)}          ${fmt(1000 / lifAnalyticIsi(i, params), 1).padStart(8)}`,
  );
}
