import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { ValueError } from '../../src/core/errors.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { ResetCode, SurrogateCode, type Kernels, type SpikeSource } from '../../src/kernels/types.js';
import { wasmBuilds } from '../helpers/kernels.js';

// spikeSeqLeakyForward (Linear over spikes -> Leaky, training) keeps the currents with the kernels for
// leakyBackward; both must equal the unfused calls bit for bit, including when a later forward took the
// WASM memory the currents were kept in (the backward then recomputes them).

const rng = new Rng(31);
const randf = (n: number, scale = 1) => Float32Array.from({ length: n }, () => scale * rng.normal());

function expectSame(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i] + 0, b[i] + 0)) expect.fail(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

interface Case {
  T: number;
  B: number;
  K: number;
  H: number;
  rate: boolean;
}

function makeCase(c: Case) {
  const { T, B, K, H } = c;
  const values = Float32Array.from({ length: B * K }, () => (rng.uniform() < 0.3 ? 0 : rng.uniform()));
  const keys = Uint32Array.from({ length: 2 * B }, () => rng.nextU32());
  const spikes = Uint8Array.from({ length: T * B * K }, () => (rng.uniform() < 0.2 ? 1 : 0));
  const src: SpikeSource = c.rate ? { values, keys, gain: 1 } : { spikes };
  const w = randf(K * H, 0.4);
  const bias = randf(H, 0.1);
  const beta = Float32Array.from({ length: H }, () => 0.5 + 0.45 * rng.uniform());
  const lif = { T, N: B * H, H, beta, threshold: 1, reset: ResetCode.Subtract };
  return { src, w, bias, lif, gradSpk: randf(T * B * H), g2: randf(T * B * 3), w2: randf(H * 3) };
}

/** The unfused truth: spikes (drawn for a rate source), currents, leakyForward, then leakyBackward with explicit input and spikes. */
function unfused(k: Kernels, c: Case, d: ReturnType<typeof makeCase>) {
  const { T, B, K, H } = c;
  let s: Uint8Array;
  if ('spikes' in d.src) s = d.src.spikes;
  else {
    s = new Uint8Array(T * B * K);
    expect(k.rateSpikes(d.src.values, d.src.keys, B, T, d.src.gain, s)).toBe(-1);
  }
  const input = new Float32Array(T * B * H);
  k.spikeSeqMatmul(s, d.w, input, T, B, K, H, false, d.bias);
  const f = k.leakyForward({ ...d.lif, input, constInput: false }, true);
  const dw = new Float32Array(K * H).fill(0.25);
  const db = new Float32Array(H).fill(-0.5);
  const r = k.leakyBackward({
    ...d.lif,
    input,
    constInput: false,
    spk: f.spk,
    mem: null,
    gradSpk: d.gradSpk,
    gradMem: null,
    gradSpkFrom: { g: d.g2, w: d.w2, o: 3 },
    gradWeightInto: { s, k: K, dw, gradBias: db },
    surrogate: SurrogateCode.Atan,
    surrogateParam: 2,
  });
  return { f, dw, db, gradBeta: r.gradBeta };
}

function fusedBackward(k: Kernels, c: Case, d: ReturnType<typeof makeCase>, f: ReturnType<Kernels['spikeSeqLeakyForward']>) {
  const dw = new Float32Array(c.K * c.H).fill(0.25);
  const db = new Float32Array(c.H).fill(-0.5);
  const r = k.leakyBackward({
    ...d.lif,
    input: new Float32Array(0),
    constInput: false,
    spk: f.spk,
    mem: f.mem,
    gradSpk: d.gradSpk,
    gradMem: null,
    gradSpkFrom: { g: d.g2, w: d.w2, o: 3 },
    gradWeightInto: { k: c.K, dw, gradBias: db },
    saved: f.saved,
    surrogate: SurrogateCode.Atan,
    surrogateParam: 2,
  });
  expect(r.gradInput.length).toBe(0);
  return { dw, db, gradBeta: r.gradBeta };
}

const cases: Case[] = [
  { T: 7, B: 3, K: 33, H: 17, rate: false }, // wide currents (complement coding), odd sizes
  { T: 5, B: 4, K: 20, H: 12, rate: true }, // narrow currents (H <= 16)
  { T: 25, B: 2, K: 50, H: 40, rate: true },
  { T: 1, B: 3, K: 9, H: 1030, rate: false }, // one step; tiles inside one sample
];

describe('spikeSeqLeakyForward and leakyBackward with saved currents equal the unfused calls', () => {
  for (const [name, k] of [['reference', referenceKernels] as [string, Kernels], ...wasmBuilds()]) {
    for (const c of cases) {
      const tag = `T=${c.T} B=${c.B} K=${c.K} H=${c.H} ${c.rate ? 'rate values' : 'spikes'} (${name})`;
      it(`forward (spikes, membrane, count) and backward (dW, db, dbeta), ${tag}`, () => {
        const d = makeCase(c);
        const want = unfused(k, c, d);
        const f = k.spikeSeqLeakyForward(d.src, d.w, d.bias, c.K, d.lif, true);
        expect(f.count).toBe(want.f.count);
        expectSame(f.spk, want.f.spk, 'spk');
        expectSame(f.mem!, want.f.mem!, 'mem');
        expect(k.spikeSeqLeakyForward(d.src, d.w, d.bias, c.K, d.lif, false).mem).toBeNull();
        const g = fusedBackward(k, c, d, k.spikeSeqLeakyForward(d.src, d.w, d.bias, c.K, d.lif, false));
        expectSame(g.dw, want.dw, 'dW');
        expectSame(g.db, want.db, 'db');
        expectSame(g.gradBeta, want.gradBeta, 'dbeta');
        // with the membrane kept (an output layer): the backward reads it, and the saved spikes for dW,
        // where the forward left them and (f's memory having been taken since) recomputed
        for (const fm of [k.spikeSeqLeakyForward(d.src, d.w, d.bias, c.K, d.lif, true), f]) {
          const gm = fusedBackward(k, c, d, fm);
          expectSame(gm.dw, want.dw, 'dW (membrane kept)');
          expectSame(gm.gradBeta, want.gradBeta, 'dbeta (membrane kept)');
        }
      });
    }

    it(`a later forward's currents do not corrupt an earlier backward: it recomputes them (${name})`, () => {
      const c = cases[2];
      const d1 = makeCase(c);
      const d2 = makeCase(c);
      const want1 = unfused(k, c, d1);
      const want2 = unfused(k, c, d2);
      const f1 = k.spikeSeqLeakyForward(d1.src, d1.w, d1.bias, c.K, d1.lif, false);
      const f2 = k.spikeSeqLeakyForward(d2.src, d2.w, d2.bias, c.K, d2.lif, false); // takes f1's memory (WASM)
      k.matmul(randf(64 * 64), randf(64 * 64), new Float32Array(64 * 64), 64, 64, 64, false, false, false); // scratch traffic
      const g1 = fusedBackward(k, c, d1, f1);
      expectSame(g1.dw, want1.dw, 'dW of the first');
      const g2 = fusedBackward(k, c, d2, f2); // its memory was reused by the first one's recomputation
      expectSame(g2.dw, want2.dw, 'dW of the second');
      expectSame(g2.gradBeta, want2.gradBeta, 'dbeta of the second');
      const again = fusedBackward(k, c, d2, f2); // a second backward over the same saved currents
      expectSame(again.dw, want2.dw, 'dW of a repeated backward');
    });

    it(`a NaN among rate values is reported as -1 - its index (${name})`, () => {
      const c = cases[1];
      const d = makeCase(c);
      const values = (d.src as { values: Float32Array }).values.slice();
      values[27] = NaN;
      const f = k.spikeSeqLeakyForward({ ...(d.src as { keys: Uint32Array; gain: number }), values }, d.w, d.bias, c.K, d.lif, false);
      expect(f.count).toBe(-28);
    });

    it(`bad sizes are a typed error naming the operand (${name})`, () => {
      const d = makeCase(cases[0]);
      expect(() => k.spikeSeqLeakyForward({ spikes: new Uint8Array(5) }, d.w, d.bias, 33, d.lif, false)).toThrow(
        /spikeSeqLeakyForward: S has 5 elements/,
      );
      expect(() => k.spikeSeqLeakyForward({ spikes: new Uint8Array(7 * 3 * 33) }, d.w.subarray(1), d.bias, 33, d.lif, false)).toThrow(
        /W has/,
      );
    });
  }

  it('saved currents belong to the kernels that made them', () => {
    const c = cases[0];
    const d = makeCase(c);
    const [[, wasm]] = wasmBuilds();
    const f = referenceKernels.spikeSeqLeakyForward(d.src, d.w, d.bias, c.K, d.lif, false);
    expect(() => fusedBackward(wasm, c, d, f)).toThrow(ValueError);
    const g = wasm.spikeSeqLeakyForward(d.src, d.w, d.bias, c.K, d.lif, false);
    expect(() => fusedBackward(referenceKernels, c, d, g)).toThrow(/come from the wasm kernels/);
  });
});
