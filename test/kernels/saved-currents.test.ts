import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { ValueError } from '../../src/core/errors.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { ResetCode, SurrogateCode, type Kernels, type LeakyBackwardArgs, type SpikeSource } from '../../src/kernels/types.js';
import { wasmBuilds } from '../helpers/kernels.js';
import { createWasmKernelsSync } from '../../src/kernels/wasm.js';

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

/** The case's Leaky backward (its spike gradient, the next Linear's g and w, atan surrogate) with `over` for what differs. */
function caseBackward(
  k: Kernels,
  d: ReturnType<typeof makeCase>,
  over: Partial<LeakyBackwardArgs> & Pick<LeakyBackwardArgs, 'input' | 'spk' | 'mem'>,
) {
  return k.leakyBackward({
    ...d.lif,
    constInput: false,
    gradSpk: d.gradSpk,
    gradMem: null,
    gradSpkFrom: { g: d.g2, w: d.w2, o: 3 },
    surrogate: SurrogateCode.Atan,
    surrogateParam: 2,
    ...over,
  });
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
  const r = caseBackward(k, d, { input, spk: f.spk, mem: null, gradWeightInto: { s, k: K, dw, gradBias: db } });
  return { f, dw, db, gradBeta: r.gradBeta };
}

function fusedBackward(k: Kernels, c: Case, d: ReturnType<typeof makeCase>, f: ReturnType<Kernels['spikeSeqLeakyForward']>) {
  const dw = new Float32Array(c.K * c.H).fill(0.25);
  const db = new Float32Array(c.H).fill(-0.5);
  const r = caseBackward(k, d, {
    input: new Float32Array(0),
    spk: f.spk,
    mem: f.mem,
    gradWeightInto: { k: c.K, dw, gradBias: db },
    saved: f.saved,
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

// A dense data source [T, B, K] (no gradient of its own): the currents are matmul then addBias, and the
// backward's dW and db are the unfused Linear's (matmul with transA, sumRows), bit for bit; with an
// injected gemm (the BLAS tier passes its sgemm) the products run there on views of the kernels' memory.
describe('spikeSeqLeakyForward over a dense source equals matmul, addBias, leakyForward and the Linear backward', () => {
  const denseCase = (T: number, B: number, K: number, H: number) => {
    const d = makeCase({ T, B, K, H, rate: false });
    return { ...d, src: { dense: randf(T * B * K) } };
  };
  function unfusedDense(k: Kernels, T: number, B: number, K: number, H: number, d: ReturnType<typeof denseCase>) {
    const rows = T * B;
    const input = new Float32Array(rows * H);
    k.matmul(d.src.dense, d.w, input, rows, K, H, false, false, false);
    k.addBias(input, d.bias, rows, H);
    const f = k.leakyForward({ ...d.lif, input, constInput: false }, true);
    const r = caseBackward(k, d, { input, spk: f.spk, mem: null });
    const dw = new Float32Array(K * H).fill(0.25);
    const db = new Float32Array(H).fill(-0.5);
    k.matmul(d.src.dense, r.gradInput, dw, K, rows, H, true, false, true);
    k.sumRows(r.gradInput, db, rows, H, true);
    return { f, dw, db, gradBeta: r.gradBeta };
  }
  const sizes: Array<[number, number, number, number]> = [
    [7, 3, 33, 17],
    [25, 2, 50, 40],
    [3, 4, 70, 300], // enough work for the split kernels (two threads)
  ];
  const kernels: Array<[string, Kernels]> = [['reference', referenceKernels], ...wasmBuilds()];
  for (const [name, k] of kernels) {
    for (const [T, B, K, H] of sizes) {
      it(`T=${T} B=${B} K=${K} H=${H}: spikes, membrane, count, dW, db, dbeta (${name})`, () => {
        const d = denseCase(T, B, K, H);
        const want = unfusedDense(k, T, B, K, H, d);
        const c = { T, B, K, H, rate: false };
        // the kernels' own GEMM, then another object's of the same build (an injected gemm writing into views of this one's memory)
        const other = createWasmKernelsSync({ threads: 1, relaxed: !!k.fusedMultiplyAdd });
        for (const src of [d.src, { ...d.src, gemm: other.matmul.bind(other) }]) {
          if (name === 'reference' && src !== d.src) continue;
          const f = k.spikeSeqLeakyForward(src, d.w, d.bias, K, d.lif, true);
          expect(f.count).toBe(want.f.count);
          expectSame(f.spk, want.f.spk, 'spk');
          expectSame(f.mem!, want.f.mem!, 'mem');
          for (const fm of [k.spikeSeqLeakyForward(src, d.w, d.bias, K, d.lif, false), f]) {
            // the second backward runs after another forward took the first one's memory: it recomputes the currents
            const g = fusedBackward(k, c, d, fm);
            expectSame(g.dw, want.dw, 'dW');
            expectSame(g.db, want.db, 'db');
            expectSame(g.gradBeta, want.gradBeta, 'dbeta');
          }
        }
      });
    }
  }

  it('the same bits for 1, 2 and 3 kernel threads', () => {
    const [T, B, K, H] = sizes[2];
    const d = denseCase(T, B, K, H);
    const c = { T, B, K, H, rate: false };
    const results = [1, 2, 3].map((threads) => {
      const k = createWasmKernelsSync({ threads });
      const f = k.spikeSeqLeakyForward(d.src, d.w, d.bias, K, d.lif, false);
      const g = fusedBackward(k, c, d, f);
      k.close?.();
      return { spk: f.spk, ...g };
    });
    for (const r of results.slice(1)) {
      expectSame(r.spk, results[0].spk, 'spk');
      expectSame(r.dw, results[0].dw, 'dW');
      expectSame(r.db, results[0].db, 'db');
      expectSame(r.gradBeta, results[0].gradBeta, 'dbeta');
    }
  });

  it('a dense source of the wrong length is a typed error', () => {
    const d = denseCase(7, 3, 33, 17);
    expect(() => referenceKernels.spikeSeqLeakyForward({ dense: new Float32Array(5) }, d.w, d.bias, 33, d.lif, false)).toThrow(
      /spikeSeqLeakyForward: dense has 5 elements/,
    );
  });
});
