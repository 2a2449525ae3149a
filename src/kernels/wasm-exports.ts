import { F32, I32, U32, U8, f32, f64, i32, kernel, scratch, type ModuleExports, type Sizers } from './binding.js';

/**
 * Every kernel of the WASM module (src/kernels/assembly), declared once: its fields in the order of its
 * AssemblyScript parameters, or of its argument block (an @unmanaged class there, same names), and how
 * much scratch it needs. wasm.ts calls them through binding.ts's `call`; the module's exports are typed
 * from this table. Names follow the Kernels contract (types.ts), so a call can pass its arguments on.
 */

const scan = { input: F32.in, constInput: i32, beta: F32.in, threshold: f32, reset: i32 };
const convShape = { n: i32, H: i32, W: i32, C: i32, O: i32, kH: i32, kW: i32, stride: i32, pad: i32, outH: i32, outW: i32 };
const gemm = { a: F32.in, b: F32.in, c: F32.acc, m: i32, k: i32, n: i32, transA: i32 };

export const KERNELS = {
  gemm: kernel({ ...gemm, transB: i32, accumulate: i32, scratch }, (x, v) => x.gemmScratchBytes(v.m, v.k, v.n)),
  sparseGemm: kernel({ ...gemm, accumulate: i32, scratch }, (x, v) => x.sparseScratchBytes(v.m, v.k)),
  spikeMatmul: kernel(
    { s: U8.in, w: F32.in, c: F32.acc, m: i32, k: i32, n: i32, accumulate: i32, scratch },
    (x, v) => x.spikeMatmulScratchBytes(v.m, v.k, v.n),
  ),
  spikeMatmulGradW: kernel({ s: U8.in, g: F32.in, dw: F32.inout, m: i32, k: i32, n: i32, scratch }, (x, v) => x.spikeGradWScratchBytes(v.m, v.k, v.n)),
  spikeSeqMatmul: kernel(
    { s: U8.in, w: F32.in, bias: F32.in, c: F32.acc, t: i32, b: i32, k: i32, n: i32, accumulate: i32, scratch },
    (x, v) => x.spikeSeqMatmulScratchBytes(v.t, v.b, v.k, v.n),
  ),
  spikeSeqGradW: kernel(
    { s: U8.in, g: F32.in, dw: F32.inout, t: i32, b: i32, k: i32, n: i32, scratch, gradBias: F32.inout },
    (x, v) => x.spikeSeqGradWScratchBytes(v.t, v.b, v.k, v.n),
  ),
  sumRows: kernel({ x: F32.in, out: F32.acc, m: i32, n: i32, accumulate: i32 }),
  addBias: kernel({ c: F32.inout, bias: F32.in, m: i32, n: i32 }),
  leakyForward: kernel({ ...scan, spk: U8.out, mem: F32.out, T: i32, N: i32, H: i32, scratch }, (x) => x.leakyScratchBytes()),
  leakyBackward: kernel(
    {
      beta: F32.in, threshold: f32, reset: i32, spk: U8.in, mem: F32.in, input: F32.in, gradSpk: F32.in, gradMem: F32.in,
      surrogate: i32, surrogateParam: f32, surrogateParam2: f32, constInput: i32, gradInput: F32.out, gradBeta: F32.out,
      T: i32, N: i32, H: i32, scratch, truncate: i32, dg: F32.in, dw: F32.in, o: i32,
    },
    (x, v) => x.leakyBackwardScratchBytes(v.T, v.H, v.o),
  ),
  leakyProject: kernel(
    { ...scan, T: i32, N: i32, H: i32, w: F32.in, o: i32, out: F32.acc, accumulate: i32, scratch },
    (x, v) => x.leakyProjectScratchBytes(v.H, v.o),
  ),
  seqLeakyProject: kernel(
    {
      s: U8.in, w: F32.in, bias: F32.in, k: i32, beta: F32.in, threshold: f32, reset: i32, T: i32, B: i32, H: i32,
      w2: F32.in, o: i32, out: F32.acc, accumulate: i32, scratch,
    },
    (x, v) => x.seqLeakyProjectScratchBytes(v.T, v.k, v.H, v.o),
  ),
  rateLeakyProject: kernel(
    {
      x: F32.in, keys: U32.in, gain: f64, w: F32.in, bias: F32.in, k: i32, beta: F32.in, threshold: f32, reset: i32, T: i32, B: i32, H: i32,
      w2: F32.in, o: i32, out: F32.acc, accumulate: i32, scratch,
    },
    (x, v) => x.rateLeakyProjectScratchBytes(v.T, v.k, v.H, v.o),
    (r) => r >= 0,
  ),
  convSpikeForward: kernel(
    { s: U8.in, w: F32.in, bias: F32.in, out: F32.out, ...convShape, scratch },
    (x, v) => x.convSpikeScratchBytes(v.H, v.W, v.C, v.kH * v.kW * v.C),
  ),
  convSpikeGradW: kernel({ s: U8.in, g: F32.in, dw: F32.inout, ...convShape, scratch }, (x, v) => x.convGradWScratchBytes(v.H, v.W)),
  convGradInput: kernel({ g: F32.in, w: F32.in, gIn: F32.inout, ...convShape, scratch }, (x, v) => x.convGradInputScratchBytes(v.kH * v.kW * v.C, v.O)),
  maxPoolForward: kernel({ x: F32.in, y: F32.out, arg: I32.out, n: i32, H: i32, W: i32, C: i32, k: i32, stride: i32, outH: i32, outW: i32 }),
  convPoolSpikeForward: kernel(
    { s: U8.in, w: F32.in, bias: F32.in, y: F32.out, arg: I32.out, ...convShape, pk: i32, ps: i32, pH: i32, pW: i32, scratch },
    (x, v) => x.convPoolScratchBytes(v.H, v.W, v.C, v.O, v.outH, v.outW, v.kH * v.kW * v.C),
  ),
  convPoolSpikeBackward: kernel(
    { s: U8.in, gy: F32.in, arg: I32.in, w: F32.in, dw: F32.inout, gIn: F32.inout, wantW: i32, wantIn: i32, ...convShape, pH: i32, pW: i32, scratch },
    (x, v) => x.convPoolScratchBytes(v.H, v.W, v.C, v.O, v.outH, v.outW, v.kH * v.kW * v.C),
  ),
  rateSpikes: kernel(
    { x: F32.in, keys: U32.in, samples: i32, f: i32, steps: i32, gain: f64, out: U8.out, scratch },
    (x, v) => x.rateSampleScratchBytes(v.f),
    (r) => r < 0,
  ),
  adamUpdate: kernel({
    w: F32.inout, g: F32.inout, m: F32.inout, v: F32.inout, n: i32, b1: f32, b2: f32, eps: f32, stepSize: f32, invC2: f32, P: i32, wts: F32.in,
  }),
};

/** The module's exports: memory, heap base, the size functions and the kernels of the table. */
export type Exports = ModuleExports & Sizers & { [K in keyof typeof KERNELS]: (...args: number[]) => number };
