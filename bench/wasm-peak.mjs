// The per-core WebAssembly SIMD floating-point limit of this machine's engine: a tiny WASM module built
// here byte by byte, whose loop updates `chains` independent f32x4 accumulators, acc = acc * y + z,
// either as f32x4.mul then f32x4.add (two roundings; what the plain SIMD build can do) or as one
// f32x4.relaxed_madd (fused where the CPU has FMA; the relaxed-SIMD build). Enough chains hide the
// operations' latency, so the loop runs at the engine's throughput on one thread: the ceiling any
// WASM GEMM on one core can reach. Counted as 8 flops per f32x4 multiply-add (4 lanes x mul + add).
//
//   node bench/wasm-peak.mjs [--json]
// The best of several chain counts and runs is reported (each run ~0.2 s); bench/gemm.mjs compares the
// GEMMs with it.
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--experimental-wasm-relaxed-simd');

const json = process.argv.includes('--json');

/** Unsigned LEB128. */
const uleb = (n) => {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const f32 = (x) => [...new Uint8Array(new Float32Array([x]).buffer)];
const simd = (op) => [0xfd, ...uleb(op)];
const OP = { splat: 0x13, extract: 0x1f, add: 0xe4, mul: 0xe6, madd: 0x105 };
const section = (id, bytes) => [id, ...uleb(bytes.length), ...bytes];
const vec = (items) => [...uleb(items.length), ...items.flat()];

/** The module: export run(iterations: i32) -> f32, `chains` accumulators, fused or not. */
function peakModule(chains, fused) {
  // locals: 0 = iterations (param); 1 = y, 2 = z, 3.. = accumulators (v128)
  const Y = 1;
  const Z = 2;
  const acc = (i) => 3 + i;
  const body = [];
  body.push(0x43, ...f32(0.999), ...simd(OP.splat), 0x21, Y);
  body.push(0x43, ...f32(0.001), ...simd(OP.splat), 0x21, Z);
  for (let i = 0; i < chains; i++) body.push(0x43, ...f32(0.5 + i / 64), ...simd(OP.splat), 0x21, acc(i));
  body.push(0x03, 0x40); // loop
  for (let i = 0; i < chains; i++) {
    if (fused) body.push(0x20, acc(i), 0x20, Y, 0x20, Z, ...simd(OP.madd), 0x21, acc(i));
    else body.push(0x20, acc(i), 0x20, Y, ...simd(OP.mul), 0x20, Z, ...simd(OP.add), 0x21, acc(i));
  }
  // iterations -= 1; loop while nonzero
  body.push(0x20, 0, 0x41, 1, 0x6b, 0x22, 0, 0x0d, 0, 0x0b);
  // the sum of the accumulators' first lanes (so nothing is dead)
  body.push(0x20, acc(0));
  for (let i = 1; i < chains; i++) body.push(0x20, acc(i), ...simd(OP.add));
  body.push(...simd(OP.extract), 0, 0x0b);
  const locals = vec([[...uleb(2 + chains), 0x7b]]);
  const fn = [...locals, ...body];
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, 1, 0x7f, 1, 0x7d]])), // type: (i32) -> f32
    ...section(3, vec([[0]])), // function 0 has type 0
    ...section(7, vec([[3, ...'run'.split('').map((c) => c.charCodeAt(0)), 0x00, 0]])), // export "run"
    ...section(10, vec([[...uleb(fn.length), ...fn]])),
  ];
  return new Uint8Array(bytes);
}

/**
 * This process's on-CPU seconds (getrusage: user + system, to the microsecond): with one busy thread, a
 * loaded machine then does not lower the figure as wall time would.
 */
function clock() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Signed LEB128 (i32.const immediates). */
const sleb = (n) => {
  const out = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
};

/**
 * A GEMM micro-kernel's loop alone, on packed panels that stay in L1 (kc = 256): per k step, NR/4
 * v128 loads of the B panel, MR v128.load32_splat broadcasts of the A panel and MR * NR/4 relaxed
 * madds into MR * NR/4 accumulators (the loop of src/kernels/assembly/gemm.ts's micro4x8 for MR 4,
 * NR 8). Repeated `reps` times over the same panels: no packing, no C traffic, no cache misses, so it
 * measures what the register tile and its loads allow.
 */
function microModule(MR, NR, fused = true, U = 1, shuffleA = false) {
  const NV = NR / 4;
  const KC = 256;
  const aBytes = KC * MR * 4;
  const [AP, BP, END] = [1, 2, 3];
  const acc = (r, j) => 4 + r * NV + j;
  const bv = (j) => 4 + MR * NV + j;
  const av = 4 + MR * NV + NV;
  const body = [];
  body.push(0x03, 0x40); // loop (reps)
  body.push(0x41, 0, 0x21, AP, 0x41, ...sleb(aBytes), 0x21, BP, 0x41, ...sleb(aBytes), 0x21, END);
  body.push(0x03, 0x40); // loop (k)
  for (let u = 0; u < U; u++) {
    for (let j = 0; j < NV; j++) body.push(0x20, BP, ...simd(0x00), 4, ...uleb(16 * NV * u + 16 * j), 0x21, bv(j));
    // shuffleA (MR 4): one v128 load of the four A values, each broadcast by i8x16.shuffle, instead of four load32_splat
    if (shuffleA) body.push(0x20, AP, ...simd(0x00), 4, ...uleb(4 * MR * u), 0x21, av + 1);
    for (let r = 0; r < MR; r++) {
      if (shuffleA) {
        const lanes = [0, 1, 2, 3].flatMap(() => [4 * r, 4 * r + 1, 4 * r + 2, 4 * r + 3]);
        body.push(0x20, av + 1, 0x20, av + 1, ...simd(0x0d), ...lanes, 0x21, av);
      } else body.push(0x20, AP, ...simd(0x09), 2, ...uleb(4 * MR * u + 4 * r), 0x21, av);
      for (let j = 0; j < NV; j++) {
        if (fused) body.push(0x20, av, 0x20, bv(j), 0x20, acc(r, j), ...simd(OP.madd), 0x21, acc(r, j));
        else body.push(0x20, av, 0x20, bv(j), ...simd(OP.mul), 0x20, acc(r, j), ...simd(OP.add), 0x21, acc(r, j));
      }
    }
  }
  body.push(0x20, AP, 0x41, ...sleb(4 * MR * U), 0x6a, 0x22, AP); // ap += 4 MR U (kept on the stack)
  body.push(0x20, BP, 0x41, ...sleb(16 * NV * U), 0x6a, 0x21, BP);
  body.push(0x20, END, 0x49, 0x0d, 0, 0x0b); // ap < end: next k
  body.push(0x20, 0, 0x41, 1, 0x6b, 0x22, 0, 0x0d, 0, 0x0b); // reps -= 1
  body.push(0x20, acc(0, 0));
  for (let i = 1; i < MR * NV; i++) body.push(0x20, 4 + i, ...simd(OP.add));
  body.push(...simd(OP.extract), 0, 0x0b);
  const locals = vec([
    [3, 0x7f],
    [...uleb(MR * NV + NV + 2), 0x7b],
  ]);
  const fn = [...locals, ...body];
  return {
    bytes: new Uint8Array([
      ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
      ...section(1, vec([[0x60, 1, 0x7f, 1, 0x7d]])),
      ...section(3, vec([[0]])),
      ...section(5, vec([[0x00, 1]])), // one page of memory (the panels; zeros)
      ...section(7, vec([[3, ...'run'.split('').map((c) => c.charCodeAt(0)), 0x00, 0]])),
      ...section(10, vec([[...uleb(fn.length), ...fn]])),
    ]),
    flopsPerRep: 2 * MR * NR * KC,
  };
}

/** GFLOP/s of a micro-kernel loop (microModule): the best of `reps` runs of >= 50 ms. */
export function microKernel(MR, NR, fused = true, U = 1, shuffleA = false, reps = 5) {
  const { bytes, flopsPerRep } = microModule(MR, NR, fused, U, shuffleA);
  const run = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.run;
  run(1000);
  let iters = 2000;
  let best = Infinity;
  for (let r = 0; r < reps; ) {
    const t0 = clock();
    run(iters);
    const s = clock() - t0;
    if (s < 0.05) iters *= 2;
    else {
      best = Math.min(best, s / iters);
      r++;
    }
  }
  return { mr: MR, nr: NR, fused, unroll: U, shuffleA, gflops: flopsPerRep / best / 1e9 };
}

/** GFLOP/s of one form: the best of `reps` timed runs after a warm-up. */
function measure(chains, fused, reps = 7) {
  let mod;
  try {
    mod = new WebAssembly.Module(peakModule(chains, fused));
  } catch (e) {
    return { chains, fused, error: String(e.message ?? e) };
  }
  const run = new WebAssembly.Instance(mod).exports.run;
  run(1e5); // tier up
  let iters = 1e6;
  let best = Infinity;
  for (let r = 0; r < reps; ) {
    const t0 = clock();
    const sink = run(iters);
    const s = clock() - t0;
    if (!Number.isFinite(sink)) throw new Error('non-finite accumulator');
    // runs under 50 ms only size the next one
    if (s < 0.05) iters *= 2;
    else {
      best = Math.min(best, s / iters);
      r++;
    }
  }
  return { chains, fused, gflops: (chains * 8) / best / 1e9 };
}

/** The per-core limits: { mulAdd, fused } in GFLOP/s, best over chain counts. */
export function wasmPeak() {
  const rows = [];
  for (const fused of [false, true]) for (const chains of [8, 10, 12]) rows.push(measure(chains, fused));
  const best = (fused) => Math.max(...rows.filter((r) => r.fused === fused && r.gflops).map((r) => r.gflops), 0);
  return { mulAdd: best(false), fused: best(true), rows };
}

/** The micro-kernel loops compared: the current 4x8 tile (8 accumulators) and wider ones. */
export function microKernels() {
  return [
    [4, 8, 1, false],
    [4, 8, 1, true],
    [4, 8, 2, false],
    [5, 8, 1, false],
    [6, 8, 1, false],
    [3, 16, 1, false],
  ].map(([mr, nr, u, sh]) => microKernel(mr, nr, true, u, sh));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const p = wasmPeak();
  p.micro = microKernels();
  if (json) console.log(JSON.stringify(p, null, 2));
  else {
    for (const m of p.micro)
      console.log(
        `  micro-kernel loop ${m.mr}x${m.nr}, k unrolled ${m.unroll}x${m.shuffleA ? ', A broadcast by shuffles' : ''} (${(m.mr * m.nr) / 4} accumulators, L1-resident panels): ${m.gflops.toFixed(1)} GFLOP/s`,
      );
    console.log('WASM SIMD per-core limit (one thread, f32x4, acc = acc * y + z over independent chains)');
    for (const r of p.rows)
      console.log(
        `  ${r.fused ? 'relaxed_madd' : 'mul + add   '} ${String(r.chains).padStart(2)} chains: ${r.error ?? `${r.gflops.toFixed(1)} GFLOP/s`}`,
      );
    console.log(`limit: mul+add ${p.mulAdd.toFixed(1)} GFLOP/s, relaxed madd ${p.fused.toFixed(1)} GFLOP/s`);
  }
}
