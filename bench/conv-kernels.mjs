// Micro-benchmark of the convolution kernels on snnTorch tutorial 6's second conv layer
// (12x12x12 spikes -> 8x8x64, 5x5), one batch of B=128 samples x T=50 steps = 6400 images.
// usage: node bench/conv-kernels.mjs [images] [spike-rate] [simd|relaxed]
// The last argument picks the kernel build (default: relaxed SIMD where this Node can enable it).
// Prints the fastest of 5 timed repetitions (this machine's background noise only ever adds time).
import { createWasmKernelsSync } from '../dist/kernels/wasm.js';
import { enableRelaxedSimd } from '../dist/node.js';
import { Rng } from '../dist/core/rng.js';

const build = process.argv[4] ?? (enableRelaxedSimd() ? 'relaxed' : 'simd');
if (build === 'relaxed') enableRelaxedSimd();
const k = createWasmKernelsSync({ relaxed: build === 'relaxed' });
const n = Number(process.argv[2] ?? 6400);
const rate = Number(process.argv[3] ?? 0.1);
const rng = new Rng(1);
const g = { n: 256, H: 12, W: 12, C: 12, O: 64, kH: 5, kW: 5, stride: 1, pad: 0, outH: 8, outW: 8 };
const inLen = 12 * 12 * 12,
  outLen = 8 * 8 * 64;
const s = Uint8Array.from({ length: n * inLen }, () => (rng.uniform() < rate ? 1 : 0));
const w = Float32Array.from({ length: 300 * 64 }, () => rng.normal() * 0.05);
const y = new Float32Array(n * outLen);
// a max-pooled gradient: one nonzero per 2x2 window and channel
const gOut = new Float32Array(n * outLen);
for (let i = 0; i < n; i++)
  for (let py = 0; py < 4; py++)
    for (let px = 0; px < 4; px++)
      for (let o = 0; o < 64; o++) {
        const dy = rng.uniform() < 0.5 ? 0 : 1,
          dx = rng.uniform() < 0.5 ? 0 : 1;
        gOut[i * outLen + ((2 * py + dy) * 8 + 2 * px + dx) * 64 + o] = rng.normal();
      }
const dw = new Float32Array(300 * 64);
const gIn = new Float32Array(n * inLen);
const pooled = new Float32Array(n * 16 * 64);
const arg = new Int32Array(pooled.length);
const win = new Uint8Array(pooled.length);
function time(label, f) {
  f(); // warm
  let ms = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    f();
    ms = Math.min(ms, performance.now() - t0);
  }
  console.log(`${label.padEnd(26)} ${ms.toFixed(1).padStart(8)} ms`);
}
const chunks = (f) => () => {
  for (let i = 0; i < n; i += 256) f(i, Math.min(256, n - i));
};
const sub = (a, len, i, m) => a.subarray(i * len, (i + m) * len);
console.log(`${n} images, spike rate ${rate}, ${build} build`);
time(
  'convSpikeForward',
  chunks((i, m) => k.convSpikeForward(sub(s, inLen, i, m), w, null, sub(y, outLen, i, m), { ...g, n: m })),
);
time(
  'convSpikeGradW',
  chunks((i, m) => k.convSpikeGradW(sub(s, inLen, i, m), sub(gOut, outLen, i, m), dw, { ...g, n: m })),
);
time(
  'convGradInput (pooled g)',
  chunks((i, m) => k.convGradInput(sub(gOut, outLen, i, m), w, sub(gIn, inLen, i, m), { ...g, n: m })),
);
time('maxPoolForward', () => k.maxPoolForward(y, pooled, arg, { n, H: 8, W: 8, C: 64, k: 2, stride: 2, outH: 4, outW: 4 }));
const pool = { k: 2, stride: 2, outH: 4, outW: 4 };
const bias = new Float32Array(64);
time(
  'convPoolSpikeForward',
  chunks((i, m) =>
    k.convPoolSpikeForward(sub(s, inLen, i, m), w, bias, sub(pooled, 1024, i, m), sub(win, 1024, i, m), { ...g, n: m }, pool),
  ),
);
const gPooled = Float32Array.from({ length: pooled.length }, () => rng.normal());
time(
  'convPoolSpikeBackward',
  chunks((i, m) =>
    k.convPoolSpikeBackward(
      sub(s, inLen, i, m),
      sub(gPooled, 1024, i, m),
      sub(win, 1024, i, m),
      w,
      dw,
      sub(gIn, inLen, i, m),
      { ...g, n: m },
      pool,
    ),
  ),
);
time(
  '  (weight gradient only)',
  chunks((i, m) =>
    k.convPoolSpikeBackward(sub(s, inLen, i, m), sub(gPooled, 1024, i, m), sub(win, 1024, i, m), w, dw, null, { ...g, n: m }, pool),
  ),
);
time(
  '  (input gradient only)',
  chunks((i, m) =>
    k.convPoolSpikeBackward(
      sub(s, inLen, i, m),
      sub(gPooled, 1024, i, m),
      sub(win, 1024, i, m),
      w,
      null,
      sub(gIn, inLen, i, m),
      { ...g, n: m },
      pool,
    ),
  ),
);
