import { describe, expect, it } from 'vitest';
import { referenceKernels as ref, complementFlips } from '../../src/kernels/reference.js';
import { createWasmKernelsSync } from '../../src/kernels/wasm.js';
import { Rng } from '../../src/core/rng.js';

// The complement-coded spike-sequence kernels: bit-for-bit equal to the reference, and equal (up to
// float rounding) to the plain spike kernels, whose product they compute by another route.

const wasm = createWasmKernelsSync();
const rng = new Rng(7);
const randf = (n: number) => Float32Array.from({ length: n }, () => rng.normal());

/** A rate-coded sequence [T, B, K]: each (b, i) fires with its own probability, many near 0 or 1. */
function rateSeq(t: number, b: number, k: number): Uint8Array {
  const levels = [0, 0.03, 0.2, 0.5, 0.8, 0.97, 1];
  const p = Float64Array.from({ length: b * k }, () => levels[Math.floor(rng.uniform() * levels.length)]);
  const s = new Uint8Array(t * b * k);
  for (let ti = 0; ti < t; ti++) for (let i = 0; i < b * k; i++) s[ti * b * k + i] = rng.uniform() < p[i] ? 1 : 0;
  return s;
}

function expectSame(a: ArrayLike<number>, b: ArrayLike<number>): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i] + 0, b[i] + 0)) expect.fail(`element ${i}: ${a[i]} vs ${b[i]}`);
}

function expectClose(a: Float32Array, b: Float32Array, rel = 2e-5): void {
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i] - b[i]) <= rel * scale)) expect.fail(`element ${i}: ${a[i]} vs ${b[i]}`);
}

// [T, B, K, N]: tails of K (16-input chunks) and N (4-float vectors, 16-float lines), B past one gradient
// block (8 samples), a single step (nothing flips), N = 16 (the plain narrow path).
const shapes = [
  [1, 3, 5, 20],
  [2, 4, 17, 33],
  [3, 5, 16, 17],
  [25, 8, 40, 17],
  [5, 3, 300, 47],
  [4, 70, 20, 64],
  [3, 300, 10, 24],
  [7, 2, 33, 16],
  [25, 4, 784, 100],
  [9, 30, 129, 40],
  // gradient blocks of 6 samples (T x K past the block rule's budget); a long sequence (counts past 16 bits)
  [100, 7, 400, 20],
  [32767, 1, 3, 17],
];

describe('spikeSeqMatmul / spikeSeqGradW (complement coding)', () => {
  for (const [t, b, k, n] of shapes) {
    it(`T=${t} B=${b} K=${k} N=${n}: WASM equals the reference bit for bit, both equal the plain spike kernels`, () => {
      const s = rateSeq(t, b, k),
        w = randf(k * n),
        c0 = randf(t * b * n);
      for (const acc of [false, true]) {
        const c1 = c0.slice(),
          c2 = c0.slice(),
          plain = c0.slice();
        ref.spikeSeqMatmul(s, w, c1, t, b, k, n, acc);
        wasm.spikeSeqMatmul(s, w, c2, t, b, k, n, acc);
        expectSame(c2, c1);
        wasm.spikeMatmul(s, w, plain, t * b, k, n, acc);
        expectClose(c2, plain);
      }
      const g = randf(t * b * n),
        dw0 = randf(k * n);
      const d1 = dw0.slice(),
        d2 = dw0.slice(),
        plain = dw0.slice();
      ref.spikeSeqGradW(s, g, d1, t, b, k, n);
      wasm.spikeSeqGradW(s, g, d2, t, b, k, n);
      expectSame(d2, d1);
      wasm.spikeMatmulGradW(s, g, plain, t * b, k, n);
      expectClose(d2, plain);
    });

    it(`T=${t} B=${b} K=${k} N=${n}: the fused bias equals addBias; the fused bias gradient sums per sample, then over samples`, () => {
      const s = rateSeq(t, b, k),
        w = randf(k * n),
        bias = randf(n),
        g = randf(t * b * n);
      const c1 = new Float32Array(t * b * n),
        c2 = new Float32Array(t * b * n),
        c3 = new Float32Array(t * b * n);
      ref.spikeSeqMatmul(s, w, c1, t, b, k, n, false, bias);
      wasm.spikeSeqMatmul(s, w, c2, t, b, k, n, false, bias);
      wasm.spikeSeqMatmul(s, w, c3, t, b, k, n, false);
      wasm.addBias(c3, bias, t * b, n);
      expectSame(c2, c1);
      // wide layers start each sample's base row from the bias (another order of the same sum); narrow
      // ones add it after the product
      if (n <= 16) expectSame(c1, c3);
      else expectClose(c1, c3);
      const gb0 = randf(n),
        dw0 = randf(k * n);
      const [gb1, gb2, gb3] = [gb0.slice(), gb0.slice(), gb0.slice()];
      const [d1, d2, d3] = [dw0.slice(), dw0.slice(), dw0.slice()];
      ref.spikeSeqGradW(s, g, d1, t, b, k, n, gb1);
      wasm.spikeSeqGradW(s, g, d2, t, b, k, n, gb2);
      wasm.spikeSeqGradW(s, g, d3, t, b, k, n);
      // the bias gradient's order, written out: each sample's sum over steps (from zero), then over samples
      for (let bi = 0; bi < b; bi++) {
        for (let j = 0; j < n; j++) {
          let v = 0;
          for (let ti = 0; ti < t; ti++) v = Math.fround(v + g[(ti * b + bi) * n + j]);
          gb3[j] = Math.fround(gb3[j] + v);
        }
      }
      expectSame(d1, d3);
      expectSame(d2, d3);
      expectSame(gb1, gb3);
      expectSame(gb2, gb3);
      // the same sums as sumRows up to float32 rounding
      const gb4 = gb0.slice();
      wasm.sumRows(g, gb4, t * b, n, true);
      expectClose(gb2, gb4);
    });
  }

  for (const [t, b, k, h, o] of [
    [25, 6, 784, 40, 10],
    [7, 3, 33, 17, 5],
    [4, 70, 20, 64, 3],
  ]) {
    it(`seqLeakyProject T=${t} B=${b} K=${k} H=${h} O=${o} equals spikeSeqMatmul (+bias) then leakyProject, bit for bit`, () => {
      const s = rateSeq(t, b, k),
        w = randf(k * h).map((v) => v * 0.3),
        bias = randf(h),
        w2 = randf(h * o);
      const beta = Float32Array.from({ length: h }, () => 0.5 + 0.5 * rng.uniform());
      const lif = { T: t, N: b * h, H: h, beta, threshold: 1, reset: 0 as const };
      for (const acc of [false, true]) {
        const out0 = randf(t * b * o);
        const cur = new Float32Array(t * b * h);
        wasm.spikeSeqMatmul(s, w, cur, t, b, k, h, false, bias);
        const expected = out0.slice();
        const count = wasm.leakyProject({ ...lif, input: cur, constInput: false }, w2, o, expected, acc);
        expect(count).toBeGreaterThan(0);
        for (const kern of [wasm, ref]) {
          const out = out0.slice();
          expect(kern.seqLeakyProject(s, w, bias, k, lif, w2, o, out, acc)).toBe(count);
          expectSame(out, expected);
        }
      }
    });
  }

  for (const [t, b, k, h, o, gain] of [
    [25, 5, 784, 40, 10, 1],
    [7, 3, 33, 17, 5, 1.7],
    [4, 9, 21, 64, 3, 0.6],
    [1, 6, 13, 20, 3, 1],
    [40, 2, 50, 16, 4, 1.2],
  ]) {
    it(`rateLeakyProject T=${t} B=${b} K=${k} H=${h} O=${o} equals rateSpikes then seqLeakyProject, bit for bit`, () => {
      const levels = [0, 0, 0.03, 0.2, 0.5, 0.8, 0.97, 1];
      const x = Float32Array.from({ length: b * k }, () => levels[Math.floor(rng.uniform() * levels.length)] * (0.9 + 0.2 * rng.uniform()));
      const keys = new Uint32Array(2 * b);
      rng.fillU32(keys);
      const w = randf(k * h).map((v) => v * 0.3),
        bias = randf(h),
        w2 = randf(h * o);
      const beta = Float32Array.from({ length: h }, () => 0.5 + 0.5 * rng.uniform());
      const lif = { T: t, N: b * h, H: h, beta, threshold: 1, reset: 0 as const };
      const s = new Uint8Array(t * b * k);
      expect(wasm.rateSpikes(x, keys, b, t, gain, s)).toBe(-1);
      for (const acc of [false, true]) {
        const out0 = randf(t * b * o);
        const expected = out0.slice();
        const count = wasm.seqLeakyProject(s, w, bias, k, lif, w2, o, expected, acc);
        expect(count).toBeGreaterThan(0);
        for (const kern of [wasm, ref]) {
          const out = out0.slice();
          expect(kern.rateLeakyProject(x, keys, gain, w, bias, k, lif, w2, o, out, acc)).toBe(count);
          expectSame(out, expected);
        }
      }
      const bad = x.slice();
      bad[k + 2] = NaN; // sample 1
      for (const kern of [wasm, ref])
        expect(kern.rateLeakyProject(bad, keys, gain, w, bias, k, lif, w2, o, randf(t * b * o), false)).toBe(-1 - (k + 2));
    });
  }

  it('rateLeakyProject rejects values, keys or a gain that do not fit', () => {
    const lif = { T: 2, N: 4, H: 2, beta: Float32Array.of(0.9, 0.9), threshold: 1, reset: 0 as const };
    for (const kern of [wasm, ref]) {
      expect(() => kern.rateLeakyProject(randf(5), new Uint32Array(4), 1, randf(6), null, 3, lif, randf(4), 2, randf(8), false)).toThrow(
        /rateLeakyProject: x has 5 elements, expected 6/,
      );
      expect(() => kern.rateLeakyProject(randf(6), new Uint32Array(2), 1, randf(6), null, 3, lif, randf(4), 2, randf(8), false)).toThrow(
        /rateLeakyProject: keys has 2 elements, expected 4/,
      );
      expect(() => kern.rateLeakyProject(randf(6), new Uint32Array(4), -1, randf(6), null, 3, lif, randf(4), 2, randf(8), false)).toThrow(
        /gain must be a finite number >= 0/,
      );
      expect(() => kern.rateLeakyProject(randf(6), new Uint32Array(4), 1, randf(6), null, 3, lif, randf(4), 2, randf(7), false)).toThrow(
        /leakyProject: out has 7 elements, expected 8/,
      );
    }
  });

  for (const [t, b, k, h, o] of [
    [25, 6, 784, 40, 10],
    [7, 3, 33, 12, 5],
    [5, 4, 20, 24, 3],
  ]) {
    it(`leakyBackward with gradWeightInto T=${t} B=${b} K=${k} H=${h} equals leakyBackward then spikeSeqGradW, bit for bit`, () => {
      const s = rateSeq(t, b, k),
        w = randf(k * h).map((v) => v * 0.3),
        bias = randf(h),
        w2 = randf(h * o);
      const beta = Float32Array.from({ length: h }, () => 0.5 + 0.5 * rng.uniform());
      const input = new Float32Array(t * b * h);
      wasm.spikeSeqMatmul(s, w, input, t, b, k, h, false, bias);
      const scan = { T: t, N: b * h, H: h, input, constInput: false, beta, threshold: 1, reset: 0 as const };
      const { spk } = wasm.leakyForward(scan, false);
      const g2 = randf(t * b * o);
      for (const kern of [wasm, ref]) {
        const args = {
          ...scan,
          spk,
          mem: null,
          gradSpk: null,
          gradMem: null,
          gradSpkFrom: { g: g2, w: w2, o },
          surrogate: 0,
          surrogateParam: 2,
        };
        const plain = kern.leakyBackward(args);
        const dwWant = randf(k * h),
          gbWant = randf(h);
        const dw = dwWant.slice(),
          gb = gbWant.slice();
        kern.spikeSeqGradW(s, plain.gradInput, dwWant, t, b, k, h, gbWant);
        const fused = kern.leakyBackward({ ...args, gradWeightInto: { s, k, dw, gradBias: gb } });
        expect(fused.gradInput.length).toBe(0);
        expectSame(fused.gradBeta, plain.gradBeta);
        expectSame(dw, dwWant);
        expectSame(gb, gbWant);
      }
      expect(() =>
        wasm.leakyBackward({
          ...scan,
          constInput: true,
          input: new Float32Array(b * h),
          spk,
          mem: null,
          gradSpk: null,
          gradMem: null,
          surrogate: 0,
          surrogateParam: 2,
          gradWeightInto: { s, k, dw: randf(k * h), gradBias: null },
        }),
      ).toThrow(/gradWeightInto needs a time-varying input/);
      expect(() =>
        ref.leakyBackward({
          ...scan,
          spk,
          mem: null,
          gradSpk: null,
          gradMem: null,
          surrogate: 0,
          surrogateParam: 2,
          gradWeightInto: { s, k, dw: randf(k * h - 1), gradBias: null },
        }),
      ).toThrow(/gradWeightInto.dw has/);
    });
  }

  it('flips exactly the inputs active at more than (T + 1) / 2 steps', () => {
    // T = 4, B = 2, K = 3; counts per (b, i): b0 = [4, 3, 2], b1 = [0, 1, 3]; flipped where 2c > 5: c >= 3.
    const t = 4,
      b = 2,
      k = 3;
    const counts = [
      [4, 3, 2],
      [0, 1, 3],
    ];
    const s = new Uint8Array(t * b * k);
    for (let bi = 0; bi < b; bi++) for (let i = 0; i < k; i++) for (let ti = 0; ti < counts[bi][i]; ti++) s[(ti * b + bi) * k + i] = 1;
    expect([...complementFlips(s, t, b, k)!]).toEqual([1, 1, 0, 0, 0, 1]);
    expect(complementFlips(new Uint8Array(t * b * k), t, b, k)).toBeNull();
    // a single step never flips: the base row would cost as much as the spike
    expect(complementFlips(Uint8Array.of(1, 1, 1), 1, 1, 3)).toBeNull();
  });

  it('a flipped input costs nothing at the steps where it spikes (hand case)', () => {
    // One sample, T = 3, input 0 always on, input 1 on at step 1 only; W rows w0, w1 (N = 17).
    const t = 3,
      b = 1,
      k = 2,
      n = 17;
    const w = Float32Array.from({ length: k * n }, (_, i) => (i < n ? 1 + i : -0.5 * (i - n)));
    const s = Uint8Array.of(1, 0, 1, 1, 1, 0);
    for (const kern of [ref, wasm]) {
      const c = new Float32Array(t * n);
      kern.spikeSeqMatmul(s, w, c, t, b, k, n, false);
      for (let ti = 0; ti < t; ti++) {
        for (let j = 0; j < n; j++) expect(c[ti * n + j]).toBe(w[j] + (ti === 1 ? w[n + j] : 0));
      }
    }
  });

  it('any nonzero byte counts as a spike, as in spikeMatmul', () => {
    const t = 5,
      b = 2,
      k = 20,
      n = 18;
    const s = rateSeq(t, b, k).map((v, i) => (v ? [1, 2, 255][i % 3] : 0));
    const w = randf(k * n);
    const c1 = new Float32Array(t * b * n),
      c2 = new Float32Array(t * b * n);
    ref.spikeSeqMatmul(s, w, c1, t, b, k, n, false);
    wasm.spikeSeqMatmul(s, w, c2, t, b, k, n, false);
    expectSame(c2, c1);
    const plain = new Float32Array(t * b * n);
    ref.spikeMatmul(s, w, plain, t * b, k, n, false);
    expectClose(c1, plain);
  });

  it('wrong sizes are rejected with the operand named', () => {
    for (const kern of [ref, wasm]) {
      expect(() => kern.spikeSeqMatmul(new Uint8Array(11), randf(6), randf(8), 2, 2, 3, 2, false)).toThrow(
        /spikeSeqMatmul: S has 11 elements, expected 12/,
      );
      expect(() => kern.spikeSeqMatmul(new Uint8Array(12), randf(6), randf(7), 2, 2, 3, 2, false)).toThrow(/C has 7 elements, expected 8/);
      expect(() => kern.spikeSeqGradW(new Uint8Array(12), randf(7), randf(6), 2, 2, 3, 2)).toThrow(
        /spikeSeqGradW: G has 7 elements, expected 8/,
      );
      expect(() => kern.spikeSeqGradW(new Uint8Array(12), randf(8), randf(6), 2, -2, 3, 2)).toThrow(/b must be a non-negative integer/);
      expect(() => kern.spikeSeqMatmul(new Uint8Array(12), randf(6), randf(8), 2, 2, 3, 2, false, randf(3))).toThrow(
        /spikeSeqMatmul: bias has 3 elements, expected 2/,
      );
      expect(() => kern.spikeSeqGradW(new Uint8Array(12), randf(8), randf(6), 2, 2, 3, 2, randf(1))).toThrow(
        /spikeSeqGradW: bias has 1 elements, expected 2/,
      );
      const lif = { T: 2, N: 4, H: 2, beta: Float32Array.of(0.9, 0.9), threshold: 1, reset: 0 as const };
      expect(() => kern.seqLeakyProject(new Uint8Array(11), randf(6), null, 3, lif, randf(4), 2, randf(8), false)).toThrow(
        /seqLeakyProject: S has 11 elements, expected 12/,
      );
      expect(() => kern.seqLeakyProject(new Uint8Array(12), randf(6), null, 3, lif, randf(4), 2, randf(7), false)).toThrow(
        /leakyProject: out has 7 elements, expected 8/,
      );
      expect(() => kern.seqLeakyProject(new Uint8Array(12), randf(6), null, 3, { ...lif, N: 3 }, randf(4), 2, randf(8), false)).toThrow(
        /N = 3 is not a multiple of H = 2/,
      );
    }
  });
});
