// Times the sequence ops of the neuron models built on the shared spec scan (forward + backward) on one
// thread: T = 25, B = 64, H = 256. Usage: node bench/neuron-scan.mjs [dist folder] [reps] [ts]; `ts` runs
// the TypeScript scan instead of the WASM one. Compares the shared scan with the hand-written loops it
// replaced (run it on a build of each; BENCHMARKS.md has the numbers).
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const dist = resolve(process.argv[2] ?? 'dist');
const reps = Number(process.argv[3] ?? 7);
const sf = await import(pathToFileURL(resolve(dist, 'index.js')).href);
// the WASM kernels (builds before the shared scan ignore the option and run their TypeScript loops)
const kernels = process.argv[4] === 'ts' ? null : await sf.createWasmKernels();
const T = 25;
const B = 64;
const H = 256;
const rng = new sf.Rng(1);
const x = new Float32Array(T * B * H).map(() => rng.normal() * 0.6 + 0.3);
const H1 = (v) => sf.Tensor.from(new Float32Array(H).fill(v), [H], { requiresGrad: true });
const models = {
  synaptic: (inp) =>
    sf.synapticSequence(inp, {
      steps: T,
      constInput: false,
      alpha: H1(0.8),
      beta: H1(0.9),
      threshold: 1,
      reset: 'subtract',
      surrogate: sf.atan(),
      kernels,
    }),
  alpha: (inp) =>
    sf.alphaSequence(inp, {
      steps: T,
      constInput: false,
      alpha: 0.9,
      beta: 0.8,
      threshold: 1,
      reset: 'zero',
      surrogate: sf.atan(),
      kernels,
    }),
  alif: (inp) =>
    sf.alifSequence(inp, {
      steps: T,
      constInput: false,
      beta: H1(0.9),
      threshold: 1,
      rho: 0.95,
      betaA: 1.8,
      reset: 'subtract',
      surrogate: sf.atan(),
      kernels,
    }),
  izhikevich: (inp) =>
    sf.izhikevichSequence(sf.scale(inp, 10), {
      steps: T,
      constInput: false,
      a: 0.02,
      b: 0.2,
      c: -65,
      d: 8,
      surrogate: sf.fastSigmoid(0.25),
      kernels,
    }),
};
for (const [name, run] of Object.entries(models)) {
  const times = [];
  for (let i = 0; i < reps; i++) {
    const inp = sf.Tensor.from(x, [T, B, H], { requiresGrad: true });
    const t0 = performance.now();
    const r = run(inp);
    sf.backward(r.spk, new Float32Array(r.spk.size).fill(1));
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(`${name.padEnd(12)} median ${times[reps >> 1].toFixed(1)} ms  min ${times[0].toFixed(1)} ms`);
}
