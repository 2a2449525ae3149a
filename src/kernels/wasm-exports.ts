import { F32, F64, I32, U32, U8, f32, f64, i32, kernel, scratch, type ModuleExports, type Sizers } from './binding.js';

/**
 * Every kernel of the WASM module (src/kernels/assembly), declared once: its fields in the order of its
 * AssemblyScript parameters, or of its argument block (an @unmanaged class there, same names and order;
 * binding.ts's MAX_POSITIONAL decides which), and how much scratch it needs. wasm.ts calls them through
 * binding.ts's `call`; the module's exports are typed from this table. Names follow the Kernels contract
 * (types.ts), so a call can pass its arguments on.
 */

/** The scan's fields, first in the argument blocks of the Leaky kernels (LeakyScan in assembly/leaky.ts). */
const scan = { input: F32.in, constInput: i32, beta: F32.in, threshold: f32, reset: i32, T: i32, N: i32, H: i32 };
/** The geometry first in the convolutions' argument blocks (ConvShape in assembly/conv.ts). */
const convShape = { n: i32, H: i32, W: i32, C: i32, O: i32, kH: i32, kW: i32, stride: i32, pad: i32, outH: i32, outW: i32 };
// lda, ldb, ldc: leading dimensions (0: dense), set by the thread pool's splits (splits.ts), as are the ranges below
const gemm = {
  a: F32.in,
  b: F32.in,
  c: F32.acc,
  m: i32,
  k: i32,
  n: i32,
  transA: i32,
  transB: i32,
  accumulate: i32,
  scratch,
  lda: i32,
  ldb: i32,
  ldc: i32,
};
/** seqLeakyProject and rateLeakyProject: one block (ProjectRowsArgs), whose source is spikes or values. */
const project = { keys: U32.in, gain: f64, w: F32.in, bias: F32.in, k: i32, w2: F32.in, o: i32, out: F32.acc, accumulate: i32, scratch };

/** The neuron scan's block (NeuronArgs in assembly/neuron-scan.ts; NeuronBlockArgs in neuron-block.ts). */
const neuron = {
  model: i32,
  variant: i32,
  T: i32,
  N: i32,
  H: i32,
  constInput: i32,
  x32: F32.in,
  x64: F64.in,
  prev: F32.in,
  prevSpk: U8.in,
  params: F64.in,
  st: F32.out,
  spk: U8.out,
  scratch,
  h0: i32,
  h1: i32,
};

export const KERNELS = {
  gemm: kernel(gemm, (x, v) => x.gemmScratchBytes(v.m, v.k, v.n)),
  sparseGemm: kernel(gemm, (x, v) => x.sparseScratchBytes(v.m, v.k)),
  spikeMatmul: kernel({ s: U8.in, w: F32.in, c: F32.acc, m: i32, k: i32, n: i32, accumulate: i32, scratch }, (x, v) =>
    x.spikeMatmulScratchBytes(v.m, v.k, v.n),
  ),
  spikeMatmulGradW: kernel({ s: U8.in, g: F32.in, dw: F32.inout, m: i32, k: i32, n: i32, scratch }, (x, v) =>
    x.spikeGradWScratchBytes(v.m, v.k, v.n),
  ),
  spikeSeqMatmul: kernel(
    { s: U8.in, w: F32.in, bias: F32.in, c: F32.acc, t: i32, b: i32, k: i32, n: i32, accumulate: i32, from: i32, to: i32, scratch },
    (x, v) => x.spikeSeqMatmulScratchBytes(v.t, v.b, v.k, v.n),
  ),
  spikeSeqGradW: kernel(
    { s: U8.in, g: F32.in, dw: F32.inout, gradBias: F32.inout, t: i32, b: i32, k: i32, n: i32, ks: i32, scratch },
    (x, v) => x.spikeSeqGradWScratchBytes(v.t, v.b, v.k, v.n),
  ),
  sumRows: kernel({ x: F32.in, out: F32.acc, m: i32, n: i32, accumulate: i32, ld: i32 }),
  softmaxRows: kernel({ x: F32.in, probs: F32.out, stat: F64.out, rows: i32, C: i32, scratch }, (_x, v) => v.C * 8),
  softmaxRowsBackward: kernel({ gx: F32.inout, probs: F32.in, targets: I32.in, rows: i32, B: i32, C: i32, g: f64 }),
  addBias: kernel({ c: F32.inout, bias: F32.in, m: i32, n: i32 }),
  leakyForward: kernel({ ...scan, spk: U8.out, mem: F32.out, scratch, tile0: i32, tile1: i32 }, (x) => x.leakyScratchBytes()),
  leakyBackward: kernel(
    {
      ...scan,
      spk: U8.in,
      mem: F32.in,
      gradSpk: F32.in,
      gradMem: F32.in,
      gradInput: F32.out,
      gradBeta: F32.out,
      dg: F32.in,
      dw: F32.in,
      o: i32,
      surrogate: i32,
      surrogateParam: f32,
      surrogateParam2: f32,
      truncate: i32,
      scratch,
      gbAll: i32,
      tile0: i32,
      tile1: i32,
      gradSpkRow: i32,
    },
    (x, v) => x.leakyBackwardScratchBytes(v.T, v.H, v.o),
  ),
  leakyProject: kernel({ ...scan, w: F32.in, o: i32, out: F32.acc, accumulate: i32, scratch }, (x, v) =>
    x.leakyProjectScratchBytes(v.H, v.o),
  ),
  seqLeakyProject: kernel({ ...scan, s: U8.in, ...project }, (x, v) => x.seqLeakyProjectScratchBytes(v.T, v.k, v.H, v.o)),
  rateLeakyProject: kernel(
    { ...scan, x: F32.in, ...project },
    (x, v) => x.rateLeakyProjectScratchBytes(v.T, v.k, v.H, v.o),
    (r) => r >= 0,
  ),
  convSpikeForward: kernel({ ...convShape, s: U8.in, w: F32.in, bias: F32.in, out: F32.out, scratch }, (x, v) =>
    x.convSpikeScratchBytes(v.H, v.W, v.C, v.kH * v.kW * v.C, v.outH * v.outW),
  ),
  // dwPart: a thread's weight-gradient groups (splits.ts)
  convSpikeGradW: kernel({ ...convShape, s: U8.in, g: F32.in, dw: F32.inout, dwPart: i32, scratch }, (x, v) =>
    x.convGradWGroupsScratchBytes(v.H, v.W, v.kH * v.kW * v.C, v.O, v.n),
  ),
  convGradInput: kernel({ ...convShape, g: F32.in, w: F32.in, gIn: F32.inout, scratch }, (x, v) =>
    x.convGradInputScratchBytes(v.kH * v.kW * v.C, v.O),
  ),
  maxPoolForward: kernel({
    n: i32,
    H: i32,
    W: i32,
    C: i32,
    k: i32,
    stride: i32,
    outH: i32,
    outW: i32,
    x: F32.in,
    y: F32.out,
    arg: I32.out,
  }),
  convPoolSpikeForward: kernel(
    { ...convShape, s: U8.in, w: F32.in, bias: F32.in, y: F32.out, arg: U8.out, pk: i32, ps: i32, pH: i32, pW: i32, scratch },
    (x, v) => x.convPoolScratchBytes(v.H, v.W, v.C, v.O, v.outH, v.outW, v.kH * v.kW * v.C),
  ),
  convPoolSpikeBackward: kernel(
    // gIn is copied in only when accumulating into it; dwPart: a thread's weight-gradient groups (splits.ts)
    {
      ...convShape,
      s: U8.in,
      gy: F32.in,
      arg: U8.in,
      w: F32.in,
      dw: F32.inout,
      gIn: F32.acc,
      pk: i32,
      ps: i32,
      pH: i32,
      pW: i32,
      accumulate: i32,
      dwPart: i32,
      scratch,
    },
    (x, v) => x.convPoolBackwardScratchBytes(v.H, v.W, v.C, v.O, v.outH, v.outW, v.kH * v.kW * v.C, v.n),
  ),
  rateSpikes: kernel(
    { x: F32.in, keys: U32.in, samples: i32, f: i32, steps: i32, gain: f64, out: U8.out, scratch },
    (x, v) => x.rateSampleScratchBytes(v.f),
    (r) => r < 0,
  ),
  neuronForward: kernel(neuron, (x) => x.neuronScratchBytes()),
  neuronBackward: kernel(
    {
      ...neuron,
      st: F32.in,
      spk: U8.in,
      gState: F32.in,
      gSpk: F32.in,
      carry: F64.inout,
      carrySpk: F64.inout,
      gx: F32.out,
      gp: F64.inout,
      surrogate: i32,
      surrogateParam: f32,
      surrogateParam2: f32,
    },
    (x) => x.neuronScratchBytes(),
  ),
  adamUpdate: kernel({
    w: F32.inout,
    g: F32.in,
    m: F32.inout,
    v: F32.inout,
    wts: F32.in,
    n: i32,
    P: i32,
    b1: f32,
    b2: f32,
    eps: f32,
    stepSize: f32,
    invC2: f32,
  }),
};

/** The module's exports: memory, heap base, the size functions and the kernels of the table. */
export type Exports = ModuleExports &
  Sizers & { [K in keyof typeof KERNELS]: (...args: number[]) => number } & {
    leakyTiles(N: number, H: number): number;
    convGradGroup(): number;
    convSumParts(dst: number, parts: number, count: number, len: number): void;
  };
