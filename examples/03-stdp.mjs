/**
 * Example 3: spike-timing-dependent plasticity (STDP), the pair rule.
 *
 * Run from a clone after `npm run build`:   node examples/03-stdp.mjs
 *
 * With dt = t_post - t_pre (ms), one pre/post pair changes the weight by
 *     dt > 0 (pre before post, causal):       dw = +A+ exp(-dt / tau+)      (potentiation)
 *     dt < 0 (post before pre, anti-causal):  dw = -A- exp( dt / tau-)      (depression)
 *
 * 1. The window. The tutorial's values 0.0607 and -0.0567 come from A+ = 0.1, A- = 0.12 and
 *    tau+ = tau- = 20 ms: 0.1 e^(-10/20) = 0.0607 at dt = +10 ms, and -0.12 e^(-15/20) = -0.0567 at
 *    dt = -15 ms. (At dt = -10 ms the same parameters give -0.0728; -0.0567 at dt = -10 ms would need
 *    tau- = 13.3 ms. The table prints the window at several dt so both can be read off.)
 *
 * 2. The "20 pairings" protocol. A pre spike and a post spike 5 ms apart, repeated 20 times, far enough
 *    apart (1 s) that only the pairs themselves interact. Starting from w = 0.3:
 *      causal (post 5 ms after pre):        each pairing adds      A+ e^(-5/20) = 0.005  x 0.7788 = 0.003894,
 *                                            20 of them: 0.3 + 0.0779 = 0.378
 *      anti-causal (post 5 ms before pre):  each pairing subtracts A- e^(-5/20) = 0.0055 x 0.7788 = 0.004283,
 *                                            20 of them: 0.3 - 0.0857 = 0.214
 *    so the protocol's amplitudes are A+ = 0.005, A- = 0.0055 (tau 20 ms). With spikeflow's defaults
 *    (A+ 0.01, A- 0.0105) the same protocol gives 0.456 and 0.136.
 *
 * 3. The same rule online, with traces (how a simulator runs it): a pre trace x+ and a post trace x-
 *    decay by e^(-dt/tau) per step; a post spike adds A+ x+ to w, a pre spike subtracts A- x-. On spike
 *    times on the step grid the trace form gives the same weight as the pair form.
 */
import { StdpTraceSynapse, stdpPairingProtocol, stdpParams, stdpWindow } from '../dist/index.js';

const fmt = (x, d = 4) => x.toFixed(d);

// ---- 1. the window -------------------------------------------------------------------------------------
const win = stdpParams({ aPlus: 0.1, aMinus: 0.12, tauPlus: 20, tauMinus: 20 });
console.log('1. STDP window, A+ 0.1, A- 0.12, tau+ = tau- = 20 ms');
for (const dt of [-20, -15, -10, -5, 5, 10, 15, 20]) {
  const hand = dt > 0 ? 0.1 * Math.exp(-dt / 20) : -0.12 * Math.exp(dt / 20);
  console.log(`   dw(${dt > 0 ? '+' : ''}${dt} ms) = ${fmt(stdpWindow(dt, win))}   (by hand ${fmt(hand)})`);
}
console.log('   tutorial: dw(+10 ms) = 0.0607, dw(-15 ms) = -0.0567');

// ---- 2. the 20 pairings protocol -----------------------------------------------------------------------
const proto = stdpParams({ aPlus: 0.005, aMinus: 0.0055, tauPlus: 20, tauMinus: 20 });
console.log('');
console.log('2. 20 pairings 5 ms apart (one every 1000 ms), w0 0.3, A+ 0.005, A- 0.0055, tau 20 ms');
console.log(`   per pairing: +${fmt(stdpWindow(5, proto), 6)} causal, ${fmt(stdpWindow(-5, proto), 6)} anti-causal`);
const causal = stdpPairingProtocol({ w0: 0.3, offsetMs: 5, pairs: 20, periodMs: 1000, params: proto });
const anti = stdpPairingProtocol({ w0: 0.3, offsetMs: -5, pairs: 20, periodMs: 1000, params: proto });
console.log(`   causal:      w 0.3 -> ${fmt(causal.w)}   (tutorial: 0.378)`);
console.log(`   anti-causal: w 0.3 -> ${fmt(anti.w)}   (tutorial: 0.214)`);
const defaults = stdpParams();
const dCausal = stdpPairingProtocol({ w0: 0.3, offsetMs: 5, pairs: 20, periodMs: 1000, params: defaults });
const dAnti = stdpPairingProtocol({ w0: 0.3, offsetMs: -5, pairs: 20, periodMs: 1000, params: defaults });
console.log(`   spikeflow defaults (A+ 0.01, A- 0.0105): causal ${fmt(dCausal.w)}, anti-causal ${fmt(dAnti.w)}`);

// ---- 3. the online trace form --------------------------------------------------------------------------
// Spike times as step indices on a 1 ms grid: pre at 0, 1000, ..., post 5 steps later (or earlier).
const pre = Array.from({ length: 20 }, (_, k) => 5 + 1000 * k);
const postAfter = pre.map((t) => t + 5);
const postBefore = pre.map((t) => t - 5);
const traceCausal = new StdpTraceSynapse(0.3, proto, 1).run(pre, postAfter, 20_000);
const traceAnti = new StdpTraceSynapse(0.3, proto, 1).run(pre, postBefore, 20_000);
console.log('');
console.log('3. Trace form, dt 1 ms, the same protocol');
console.log(`   causal:      w 0.3 -> ${fmt(traceCausal)}`);
console.log(`   anti-causal: w 0.3 -> ${fmt(traceAnti)}`);
