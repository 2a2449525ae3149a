/**
 * Example 4: surrogate gradients and backpropagation through time, worked by hand (snnTorch tutorial 5).
 *
 * Run from a clone after `npm run build`:   node examples/04-surrogate-and-bptt-by-hand.mjs
 *
 * The spike S = H(U - threshold) is a step: its derivative is 0 everywhere except at the threshold,
 * so no gradient would ever reach the weights. A surrogate keeps the step in the forward pass and uses a
 * smooth stand-in for dS/dU in the backward pass, with x = U - threshold:
 *     fast sigmoid (slope k):  dS/dU = 1 / (k |x| + 1)^2                 (k = 25: 1 at the threshold)
 *     atan (alpha):            dS/dU = (alpha / 2) / (1 + (pi alpha x / 2)^2)
 *     sigmoid (slope k):       dS/dU = k e^(-k x) / (1 + e^(-k x))^2       (k / 4 at the threshold)
 * These are snnTorch's parameterisations (its atan is the alpha form above). Some course notes write the
 * arctangent as (1/pi) / (1 + (pi x)^2) (= atan({ alpha: 2 }) divided by pi) and the triangle as
 * max(0, 1 - |x|); spikeflow has no built-in by those names yet (its `triangular` is snnTorch 0.9.4's
 * +-threshold form), but `customSurrogate((x) => Math.max(0, 1 - Math.abs(x)))` gives the textbook triangle.
 *
 * BPTT by hand. One input X[t] = 1 for two steps, one weight w, one Leaky neuron (beta 0.8, threshold 1,
 * reset by subtraction, fast sigmoid k = 25), loss L = S[0] + S[1] (the spike count):
 *     U[0] = w X[0]                       S[0] = H(U[0] - 1)
 *     U[1] = beta U[0] + w X[1] - S[0]    S[1] = H(U[1] - 1)
 * Going backwards (the reset term S[0] is detached, as in snnTorch: no gradient flows through it):
 *     dL/dU[1] = s'(U[1] - 1)
 *     dL/dU[0] = s'(U[0] - 1) + beta dL/dU[1]          (the membrane carries the gradient back in time)
 *     dL/dw    = dL/dU[0] X[0] + dL/dU[1] X[1]          (the weight is shared over time: a sum)
 *     dL/dbeta = dL/dU[1] U[0]
 * The script computes these by hand and with spikeflow's backward pass (a Linear(1, 1) without bias and a
 * Leaky layer with learnable beta = sigmoid(p), so dL/dp = dL/dbeta beta (1 - beta)); they must agree.
 * w = 0.6 gives one spike (at t = 1); w = 1.2 spikes at both steps, where the reset shows.
 */
import { Leaky, Linear, Rng, Sequential, Tensor, atan, backward, fastSigmoid, referenceKernels, sigmoid } from '../dist/index.js';

const fmt = (x, d = 6) => x.toFixed(d);

// ---- surrogates ----------------------------------------------------------------------------------------
console.log('Surrogate derivatives dS/dU at x = U - threshold:');
console.log('      x     fastSigmoid(25)  by hand     atan(2)      by hand     sigmoid(25)  by hand');
const fs = fastSigmoid({ slope: 25 });
const at = atan({ alpha: 2 });
const sg = sigmoid({ slope: 25 });
for (const x of [-0.5, -0.1, 0, 0.1, 0.5]) {
  const hFs = 1 / (25 * Math.abs(x) + 1) ** 2;
  const hAt = 1 / (1 + (Math.PI * x) ** 2);
  const hSg = (25 * Math.exp(-25 * x)) / (1 + Math.exp(-25 * x)) ** 2;
  console.log(
    `   ${x.toFixed(1).padStart(4)}   ${fmt(fs.grad(x))}         ${fmt(hFs)}    ${fmt(at.grad(x))}     ${fmt(hAt)}    ${fmt(sg.grad(x))}     ${fmt(hSg)}`,
  );
}

// ---- BPTT by hand --------------------------------------------------------------------------------------
const beta = 0.8;
const k = 25;
const sPrime = (x) => 1 / (k * Math.abs(x) + 1) ** 2;
for (const w of [0.6, 1.2]) {
  // by hand
  const u0 = w;
  const s0 = u0 > 1 ? 1 : 0;
  const u1 = beta * u0 + w - s0;
  const s1 = u1 > 1 ? 1 : 0;
  const dU1 = sPrime(u1 - 1);
  const dU0 = sPrime(u0 - 1) + beta * dU1;
  const dW = dU0 + dU1;
  const dBeta = dU1 * u0;

  // spikeflow: Linear(1 -> 1, no bias) then Leaky, T = 2, batch 1
  const fc = new Linear(1, 1, { rng: new Rng(0), bias: false });
  fc.weight.data[0] = w;
  const lif = new Leaky({ size: 1, beta, learnBeta: true, threshold: 1, reset: 'subtract', surrogate: fastSigmoid({ slope: k }) });
  const net = new Sequential([fc, lif]);
  const out = net.forward({ x: Tensor.from([1, 1], [2, 1, 1]), steps: 2, constant: false }, referenceKernels);
  const { spk, mem } = out.records[0];
  backward(spk, Float32Array.of(1, 1)); // L = S[0] + S[1]: dL/dS[t] = 1
  const dP = lif.betaTensor.grad[0];

  console.log('');
  console.log(`BPTT, w = ${w}, beta 0.8, threshold 1, fast sigmoid k 25, L = S[0] + S[1]`);
  console.log(`   U[0], U[1]     ${fmt(mem.data[0], 4)} ${fmt(mem.data[1], 4)}   (by hand ${fmt(u0, 4)} ${fmt(u1, 4)})`);
  console.log(`   S[0], S[1]     ${spk.data[0]} ${spk.data[1]}             (by hand ${s0} ${s1})`);
  console.log(`   dL/dw          ${fmt(fc.weight.grad[0])}        (by hand ${fmt(dW)})`);
  console.log(`   dL/dbeta       ${fmt(dP / (beta * (1 - beta)))}        (by hand ${fmt(dBeta)})`);
}
