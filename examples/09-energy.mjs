/**
 * Example 9: when does an SNN save energy? The operation-count estimate, worked through with numbers.
 *
 * Run from a clone after `npm run build`:   node examples/09-energy.mjs
 *
 * The estimate (not a measurement: real chips also pay for memory traffic, which this ignores) counts the
 * arithmetic of one inference and prices it with 45 nm CMOS figures (Horowitz, ISSCC 2014):
 *     multiply-accumulate (MAC, an ANN's w * x + ...)   4.6 pJ
 *     accumulate (AC, a spike arriving: just + w)        0.9 pJ
 *     E = MACs x 4.6 pJ + ACs x 0.9 pJ
 *
 * ANN 784-1000-10: every weight is used once: 784 x 1000 + 1000 x 10 = 794,000 MACs = 3652.4 nJ.
 *
 * SNN 784-1000-10, T = 25 steps, rate-coded input. Each input spike costs 1000 ACs (its fan-out), each
 * hidden spike 10; each Leaky neuron multiplies its membrane by beta once per step, 1010 x 25 = 25,250
 * MACs. With 2,500 input spikes (about 13% of the 784 x 25 input slots, roughly MNIST's mean pixel
 * intensity) and 1,250 hidden spikes (5% of 1000 x 25) per sample:
 *     ACs  = 2,500 x 1000 + 1,250 x 10 = 2,512,500        -> 2261.25 nJ
 *     MACs = 25,250                                        ->  116.15 nJ
 *     E    = 2377.4 nJ, 1.54x less than the ANN
 * Break-even: the SNN stops saving energy at (3652.4 nJ - 116.15 nJ - 11.25 nJ) / (1000 x 0.9 pJ) =
 * 3916.7 input spikes per sample, i.e. when more than 20% of the inputs spike at each step.
 * With direct input (the pixels as a current, examples 5 and 6) the first layer is an ANN layer computed
 * once, 784,000 MACs, and the SNN costs more than the ANN whatever its spikes.
 *
 * `estimateOps` counts the same operations layer by layer from a model and the spike counts; the script
 * prints its numbers next to the hand computation.
 */
import { ENERGY_PJ, Rng, annClassifier, estimateOps, snnClassifier } from '../dist/index.js';

const { accumulate: ac, multiplyAccumulate: mac } = ENERGY_PJ;
const spec = { inputs: 784, hidden: [1000], outputs: 10 };
const T = 25;
const nJ = (acs, macs) => (acs * ac + macs * mac) / 1000;
console.log(`Energy per operation (45 nm): AC ${ac} pJ, MAC ${mac} pJ`);

// ---- the ANN -------------------------------------------------------------------------------------------
const annMacsHand = 784 * 1000 + 1000 * 10;
const ann = estimateOps(annClassifier(spec, new Rng(0)), { steps: 1, constantInput: true, spikesIn: [] });
console.log('');
console.log('ANN 784-1000-10');
console.log(`   MACs     ${ann.macs}   (by hand 784 x 1000 + 1000 x 10 = ${annMacsHand})`);
console.log(`   energy   ${ann.energyNj.toFixed(2)} nJ   (by hand ${nJ(0, annMacsHand).toFixed(2)} nJ)`);

// ---- the SNN, rate-coded input -------------------------------------------------------------------------
const inputSpikes = 2500;
const hiddenSpikes = 1250;
const snnModel = snnClassifier({ ...spec, beta: 0.95 }, new Rng(0));
const snn = estimateOps(snnModel, { steps: T, constantInput: false, spikesIn: [inputSpikes, hiddenSpikes] });
const acsHand = inputSpikes * 1000 + hiddenSpikes * 10;
const leakHand = (1000 + 10) * T;
console.log('');
console.log(`SNN 784-1000-10, T ${T}, rate input: ${inputSpikes} input spikes, ${hiddenSpikes} hidden spikes per sample`);
for (const l of snn.layers)
  console.log(`   layer ${l.layer.padEnd(9)} ACs ${String(l.synOps).padStart(9)}   MACs ${String(l.macs).padStart(6)}`);
console.log(`   ACs      ${snn.synOps}   (by hand ${inputSpikes} x 1000 + ${hiddenSpikes} x 10 = ${acsHand})`);
console.log(`   MACs     ${snn.macs}   (by hand (1000 + 10) x ${T} = ${leakHand})`);
console.log(`   energy   ${snn.energyNj.toFixed(2)} nJ   (by hand ${nJ(acsHand, leakHand).toFixed(2)} nJ)`);
console.log(`   ANN / SNN energy ${(ann.energyNj / snn.energyNj).toFixed(2)}x`);
const breakEven = (nJ(0, annMacsHand) * 1000 - leakHand * mac - hiddenSpikes * 10 * ac) / (1000 * ac);
console.log(
  `   break-even: ${breakEven.toFixed(1)} input spikes per sample = ${((100 * breakEven) / (784 * T)).toFixed(1)}% of inputs per step`,
);

// ---- the SNN, direct input -----------------------------------------------------------------------------
const direct = estimateOps(snnModel, { steps: T, constantInput: true, spikesIn: [undefined, hiddenSpikes] });
console.log('');
console.log(`SNN, direct input (first layer on analog pixels, once): ${hiddenSpikes} hidden spikes per sample`);
console.log(`   MACs     ${direct.macs}   (by hand 784 x 1000 + (1000 + 10) x ${T} = ${784 * 1000 + leakHand})`);
console.log(`   energy   ${direct.energyNj.toFixed(2)} nJ   (by hand ${nJ(hiddenSpikes * 10, 784 * 1000 + leakHand).toFixed(2)} nJ)`);
