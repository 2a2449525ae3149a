import { LIF_KERNEL_BASE64 } from './lif-kernel.generated.js';

/**
 * The WASM SIMD (f64x2) kernels of LifGroup's exact current-based update, forward-Euler
 * conductance-based update (without adaptive threshold) and exponential-Euler conductance-based update
 * (with optional adaptive threshold), with the group's state laid out
 * in its own fixed-size WebAssembly.Memory so the JS arrays (v, ge, gi, I, theta, lastSpike, spikes) are views
 * onto it: synapses and monitors use them as ordinary typed arrays, and the kernel reads them in place.
 * Same arithmetic, same order of operations as the TypeScript loop in lif-group.ts (results are
 * bit-identical; tested), about 3x faster. Source: src/sim/assembly/lif.ts, compiled by `npm run build:wasm`
 * (scripts/build-wasm.mjs) into the gitignored lif-kernel.generated.ts. The types are of the kernels
 * as lifKernelState returns them: bound to the group's state (StateLayout), taking the step's scalars.
 */
export type CubaExactKernel = (
  step: number,
  refSteps: number,
  c0: number,
  a: number,
  ia: number,
  be: number,
  bi: number,
  de: number,
  di: number,
  vt: number,
) => number;

// The kernels' scalars after the state (the shared part is bound by lifKernelState): CobaEulerKernel
// and CobaExpEulerKernel parallel CubaExactKernel (step, refSteps, ..., de, di, vt), but each lists its
// own model's constants, so they stay three types.
export type CobaEulerKernel = (
  step: number,
  refSteps: number,
  k: number,
  vRest: number,
  eE: number,
  eI: number,
  de: number,
  di: number,
  vt: number,
) => number;

export type CobaExpEulerKernel = (
  step: number,
  refSteps: number,
  k: number,
  a: number,
  vRest: number,
  eE: number,
  eI: number,
  de: number,
  di: number,
  vt: number,
  thetaDecay: number,
  adapt: number,
) => number;

/**
 * What every kernel export takes first: the neuron count and the byte offsets of the group's arrays v,
 * ge, gi, I, lastSpike and spikes in its memory (cobaExpEuler then the offset of theta). lifKernelState
 * binds them, so a group calls its kernels with the step's scalars only.
 */
type StateLayout = [n: number, pv: number, pge: number, pgi: number, pI: number, plast: number, pspk: number];

type Export<K extends (...a: never[]) => number, Before extends unknown[] = []> = (
  ...args: [...StateLayout, ...Before, ...Parameters<K>]
) => number;

export interface LifKernelState {
  v: Float64Array;
  ge: Float64Array;
  gi: Float64Array;
  I: Float64Array;
  theta: Float64Array;
  lastSpike: Int32Array;
  spikes: Int32Array;
  cubaExact: CubaExactKernel;
  cobaEuler: CobaEulerKernel;
  cobaExpEuler: CobaExpEulerKernel;
}

// The compiled module (pure code, no state) is compiled once and shared; each group has its own memory.
let compiled: WebAssembly.Module | null | undefined;

function compile(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    const bin = atob(LIF_KERNEL_BASE64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    compiled = new WebAssembly.Module(bytes);
  } catch {
    compiled = null; // no WebAssembly or no SIMD: the caller falls back to the TypeScript loop
  }
  return compiled;
}

/** State arrays for n neurons in a fresh WASM memory plus the bound kernel, or undefined when unavailable. */
export function lifKernelState(n: number): LifKernelState | undefined {
  if (typeof WebAssembly === 'undefined') return undefined;
  const mod = compile();
  if (!mod) return undefined;
  const bytes = n * (5 * 8 + 2 * 4);
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
  // Math.exp is imported so the kernel's large-argument exponentials are the host's, bit for bit
  const inst = new WebAssembly.Instance(mod, { env: { memory, exp: Math.exp } });
  const buf = memory.buffer;
  const layout: StateLayout = [n, 0, 8 * n, 16 * n, 24 * n, 40 * n, 44 * n];
  return {
    v: new Float64Array(buf, 0, n),
    ge: new Float64Array(buf, 8 * n, n),
    gi: new Float64Array(buf, 16 * n, n),
    I: new Float64Array(buf, 24 * n, n),
    theta: new Float64Array(buf, 32 * n, n),
    lastSpike: new Int32Array(buf, 40 * n, n),
    spikes: new Int32Array(buf, 44 * n, n),
    cubaExact: (inst.exports.cubaExact as Export<CubaExactKernel>).bind(null, ...layout),
    cobaEuler: (inst.exports.cobaEuler as Export<CobaEulerKernel>).bind(null, ...layout),
    cobaExpEuler: (inst.exports.cobaExpEuler as Export<CobaExpEulerKernel, [ptheta: number]>).bind(null, ...layout, 32 * n),
  };
}
