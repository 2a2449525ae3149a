import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { backward } from '../../src/core/autograd.js';
import { addScalars, sum } from '../../src/ops/index.js';
import { leakySequence } from '../../src/neurons/leaky.js';
import { atan } from '../../src/surrogate/index.js';
import { Linear, Leaky, Sequential } from '../../src/index.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { createWasmKernelsSync } from '../../src/kernels/wasm.js';
import { ResetCode, SurrogateCode, type Kernels } from '../../src/kernels/types.js';
import { bothKernels } from '../helpers/kernels.js';

// The gradient of sum(spikes) is one value everywhere: a Leaky op takes it as that value and its backward
// kernel reads one row [N] for every step (gradSpkRow) instead of a [T, N] array. Every result must equal,
// bit for bit, the same backward given the full array (backward(spk, seed of that value)).

const rng = new Rng(77);
const randf = (n: number, s = 1) => Float32Array.from({ length: n }, () => s * rng.normal());
const same = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i] + 0, b[i] + 0)) expect.fail(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

describe('leakyBackward with gradSpkRow equals the expanded [T, N] spike gradient', () => {
  const kernels: Array<[string, Kernels]> = [
    ['reference', referenceKernels],
    ['wasm, 1 thread', createWasmKernelsSync({ threads: 1 })],
    ['wasm, 2 threads', createWasmKernelsSync({ threads: 2 })],
  ];
  for (const [name, k] of kernels) {
    for (const o of [0, 5]) {
      it(`${name}${o ? `, with a gradient through the next Linear (o = ${o})` : ''}`, () => {
        const [T, B, H] = [30, 3, 700];
        const N = B * H;
        const scan = {
          T,
          N,
          H,
          input: randf(T * N, 0.8),
          constInput: false,
          beta: new Float32Array(H).fill(0.9),
          threshold: 1,
          reset: ResetCode.Subtract,
        };
        const { spk } = k.leakyForward(scan, false);
        const row = randf(N);
        const full = new Float32Array(T * N);
        for (let t = 0; t < T; t++) full.set(row, t * N);
        const base = {
          ...scan,
          spk,
          mem: null,
          gradMem: null,
          gradSpkFrom: o ? { g: randf(T * B * o), w: randf(H * o), o } : null,
          surrogate: SurrogateCode.Atan,
          surrogateParam: 2,
        };
        const a = k.leakyBackward({ ...base, gradSpk: row, gradSpkRow: true });
        const b = k.leakyBackward({ ...base, gradSpk: full });
        same(a.gradInput, b.gradInput, 'gradInput');
        same(a.gradBeta, b.gradBeta, 'gradBeta');
      });
    }
  }
  it('a row of the wrong length is a typed error', () => {
    const scan = {
      T: 2,
      N: 4,
      H: 4,
      input: randf(8),
      constInput: false,
      beta: new Float32Array(4).fill(0.9),
      threshold: 1,
      reset: ResetCode.Subtract,
    };
    const { spk } = referenceKernels.leakyForward(scan, false);
    const args = {
      ...scan,
      spk,
      mem: null,
      gradMem: null,
      gradSpk: randf(8),
      gradSpkRow: true,
      surrogate: SurrogateCode.Atan,
      surrogateParam: 2,
    };
    expect(() => referenceKernels.leakyBackward(args)).toThrow(/gradSpk has 8 elements, expected 4/);
  });
});

describe('sum(spikes) as the loss: the same gradients as backward(spikes, uniform seed)', () => {
  const [T, B, F, H] = [12, 4, 24, 40];
  const x = new Tensor(randf(T * B * F), [T, B, F]);
  const model = (opts: { learnThreshold?: boolean } = {}) => {
    const r = new Rng(3);
    return new Sequential([new Linear(F, H, { rng: r }), new Leaky({ size: H, beta: 0.9, surrogate: atan(), ...opts })]);
  };
  const grads = (m: Sequential) => m.trainable().map((p) => Float32Array.from(p.grad!));
  for (const [name, k] of bothKernels) {
    const cases: Array<[string, () => Sequential, Tensor]> = [
      // a dense data input: the fused Linear -> Leaky op (spikeLinearLeaky)
      ['fused dense input', () => model(), x],
      // an input that requires a gradient: Linear, then the Leaky scan (leakySequence)
      ['Leaky scan', () => model(), new Tensor(x.data, x.shape, { requiresGrad: true })],
      // a learned threshold: the per-step kernel path (the row is expanded)
      ['learned threshold', () => model({ learnThreshold: true }), x],
    ];
    for (const [what, make, input] of cases) {
      it(`${what}, plain and scaled sums, with the membrane kept or not (${name})`, () => {
        for (const outputMem of [false, true]) {
          const run = (loss: (spk: Tensor) => Tensor | null) => {
            const m = make();
            const out = m.forward({ x: input, steps: T, constant: false }, k, { outputMem });
            const spk = out.records[0].spk!;
            const l = loss(spk);
            if (l) backward(l);
            return grads(m);
          };
          const ones = (v: number) => (spk: Tensor) => {
            backward(spk, new Float32Array(spk.size).fill(v));
            return null;
          };
          const a = run((spk) => sum(spk));
          a.forEach((g, i) => same(g, run(ones(1))[i], `grad ${i}`));
          expect(a[0].some((v) => v !== 0)).toBe(true);
          // two sums of the same spikes add up (2 everywhere)
          const two = run((spk) => addScalars(sum(spk), sum(spk)));
          two.forEach((g, i) => same(g, run(ones(2))[i], `grad ${i} (two sums)`));
        }
      });
    }
    it(`a sum and an array gradient on the same spikes add up (${name})`, () => {
      const seed = randf(T * B * H);
      const run = (both: boolean) => {
        const m = model();
        const spk = m.forward({ x, steps: T, constant: false }, k, { outputMem: false }).records[0].spk!;
        if (both) {
          // one graph, two losses on the same spikes: an array gradient (seed) and a sum (1 everywhere)
          const weighted = new Tensor(new Float32Array(1), [], {
            parents: [spk],
            backward: () => {
              const g = spk.ensureGrad();
              for (let i = 0; i < g.length; i++) g[i] += seed[i];
            },
          });
          backward(addScalars(weighted, sum(spk)));
        } else {
          const s = Float32Array.from(seed, (v) => Math.fround(v + 1));
          backward(spk, s);
        }
        return grads(m);
      };
      const a = run(true);
      const b = run(false);
      a.forEach((g, i) => same(g, b[i], `grad ${i}`));
    });
  }
  it('leakySequence alone: sum of its spikes', () => {
    const input = new Tensor(randf(T * B * H), [T, B, H], { requiresGrad: true });
    const run = (useSum: boolean) => {
      const inp = new Tensor(input.data, input.shape, { requiresGrad: true });
      const r = leakySequence(inp, {
        steps: T,
        constInput: false,
        beta: new Tensor(new Float32Array(H).fill(0.8), [H]),
        threshold: 1,
        reset: 'subtract',
        surrogate: atan(),
        kernels: bothKernels[1][1],
        keepMem: false,
      });
      if (useSum) backward(sum(r.spk));
      else backward(r.spk, new Float32Array(r.spk.size).fill(1));
      return inp.grad!;
    };
    same(run(true), run(false), 'dL/dinput');
  });
});
