import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { Rng } from '../../src/core/rng.js';
import { backward } from '../../src/core/autograd.js';
import { ValueError } from '../../src/core/errors.js';
import { addScalars, sigmoid } from '../../src/ops/index.js';
import { atan, custom, fastSigmoid } from '../../src/surrogate/index.js';
import { synapticSequence, synapticStep } from '../../src/neurons/synaptic.js';
import { rleakySequence, rleakyStep } from '../../src/neurons/rleaky.js';
import { rsynapticSequence, rsynapticStep } from '../../src/neurons/rsynaptic.js';
import { leakySequence } from '../../src/neurons/leaky.js';
import { Synaptic } from '../../src/nn/synaptic-layer.js';
import { RLeaky, RSynaptic } from '../../src/nn/recurrent-layer.js';
import { Linear } from '../../src/nn/linear.js';
import { Sequential } from '../../src/nn/sequential.js';
import { sequentialFromConfig } from '../../src/nn/models.js';
import { checkLayerConfigs } from '../../src/train/checkpoint-config.js';
import { DataError } from '../../src/core/errors.js';
import { gradcheck, probe } from '../helpers/gradcheck.js';
import { bothKernels } from '../helpers/kernels.js';

/**
 * resetDelay false on Synaptic, RLeaky and RSynaptic (snnTorch's reset_delay=False, NIR's reset): with
 * reset 'zero' the membrane is zeroed right after its spike, so the next step starts from 0 and adds
 * its whole input: mem[t] = beta (1 - S[t-1]) mem[t-1] + D[t] (spikeflow records mem before the reset).
 */
const s = atan();
const seq = (v: number[]) => new Tensor(Float32Array.from(v), [v.length, 1, 1]);
const V1 = (w: number) => new Tensor(Float32Array.of(w), [1, 1]);

/** The spikes exactly and the membrane to 1e-6 of a one-neuron run, step by step. */
function expectTrace(r: { spk: { data: ArrayLike<number> }; mem: { data: ArrayLike<number> } }, spk: number[], mem: number[]): void {
  expect(Array.from(r.spk.data)).toEqual(spk);
  mem.forEach((v, i) => expect(r.mem.data[i]).toBeCloseTo(v, 6));
}
describe('resetDelay false: hand-computed three steps', () => {
  for (const [kname, kernels] of bothKernels) {
    it(`Synaptic (alpha 0.5, beta 0.5, thr 1, I = 1.5, 0.4, 0.4; ${kname})`, () => {
      // syn: 1.5, 0.75 + 0.4 = 1.15, 0.575 + 0.4 = 0.975
      // new: mem 1.5 (spike), 0 * 0.5 + 1.15 = 1.15 (spike), 0 + 0.975 (no spike)
      // default (reset_delay=True): mem 1.5 (spike), 0 (the whole update dropped), 0.5 * 0 + 0.975
      const o = { steps: 3, constInput: false, alpha: 0.5, beta: 0.5, threshold: 1, reset: 'zero' as const, surrogate: s, kernels };
      const r = synapticSequence(seq([1.5, 0.4, 0.4]), { ...o, resetDelay: false });
      expectTrace(r, [1, 1, 0], [1.5, 1.15, 0.975]);
      [1.5, 1.15, 0.975].forEach((v, i) => expect(r.syn.data[i]).toBeCloseTo(v, 6));
      const d = synapticSequence(seq([1.5, 0.4, 0.4]), o);
      expectTrace(d, [1, 0, 0], [1.5, 0, 0.975]);
    });

    it(`RLeaky (beta 0.5, V 0.3, thr 1, I = 1.5, 0.4, 0.9; ${kname})`, () => {
      // new: mem 1.5 (spike), 0 + 0.4 + 0.3 = 0.7, 0.35 + 0.9 = 1.25 (spike)
      // default: 1.5 (spike), 0, 0 + 0.9 (no spike)
      const o = {
        steps: 3,
        constInput: false,
        beta: 0.5,
        threshold: 1,
        reset: 'zero' as const,
        surrogate: s,
        weight: V1(0.3),
        bias: null,
        kernels,
      };
      const r = rleakySequence(seq([1.5, 0.4, 0.9]), { ...o, resetDelay: false });
      expectTrace(r, [1, 0, 1], [1.5, 0.7, 1.25]);
      const d = rleakySequence(seq([1.5, 0.4, 0.9]), o);
      expectTrace(d, [1, 0, 0], [1.5, 0, 0.9]);
    });

    it(`RSynaptic (alpha 0.5, beta 0.5, V 0.3, thr 1, I = 1.5, 0.4, 0.4; ${kname})`, () => {
      // new: syn 1.5, 0.75 + 0.4 + 0.3 = 1.45, 0.725 + 0.4 + 0.3 = 1.425; mem = syn each step (reset each time): spikes 1, 1, 1
      // default: mem 1.5 (spike), 0 (no spike), syn 0.725 + 0.4 = 1.125 -> mem 1.125 (spike)
      const o = {
        steps: 3,
        constInput: false,
        alpha: 0.5,
        beta: 0.5,
        threshold: 1,
        reset: 'zero' as const,
        surrogate: s,
        weight: V1(0.3),
        bias: null,
        kernels,
      };
      const r = rsynapticSequence(seq([1.5, 0.4, 0.4]), { ...o, resetDelay: false });
      expectTrace(r, [1, 1, 1], [1.5, 1.45, 1.425]);
      const d = rsynapticSequence(seq([1.5, 0.4, 0.4]), o);
      expectTrace(d, [1, 0, 1], [1.5, 0, 1.125]);
    });
  }

  it('the step functions take the option and agree with the sequences', () => {
    let st = { syn: new Float32Array(1), mem: new Float32Array(1) };
    const spikes: number[] = [];
    for (const x of [1.5, 0.4, 0.4]) {
      const r = synapticStep(Float32Array.of(x), st, { alpha: 0.5, beta: 0.5, threshold: 1, reset: 'zero', resetDelay: false });
      spikes.push(r.spk[0]);
      st = r.state;
    }
    expect(spikes).toEqual([1, 1, 0]);
    expect(st.mem[0]).toBeCloseTo(0.975, 6);
    let rl = { mem: new Float32Array(1), spk: new Uint8Array(1) };
    const rlSpk: number[] = [];
    for (const x of [1.5, 0.4, 0.9]) {
      const r = rleakyStep(Float32Array.of(x), rl, {
        beta: 0.5,
        threshold: 1,
        reset: 'zero',
        weight: Float32Array.of(0.3),
        bias: null,
        resetDelay: false,
      });
      rlSpk.push(r.spk[0]);
      rl = r.state;
    }
    expect(rlSpk).toEqual([1, 0, 1]);
    let rs = { syn: new Float32Array(1), mem: new Float32Array(1), spk: new Uint8Array(1) };
    const rsSpk: number[] = [];
    for (const x of [1.5, 0.4, 0.4]) {
      const r = rsynapticStep(Float32Array.of(x), rs, {
        alpha: 0.5,
        beta: 0.5,
        threshold: 1,
        reset: 'zero',
        weight: Float32Array.of(0.3),
        bias: null,
        resetDelay: false,
      });
      rsSpk.push(r.spk[0]);
      rs = r.state;
    }
    expect(rsSpk).toEqual([1, 1, 1]);
    expect(rs.mem[0]).toBeCloseTo(1.425, 6);
  });

  it('resetDelay false needs reset zero; a non-boolean is a ValueError', () => {
    const base = { steps: 3, constInput: false, alpha: 0.5, beta: 0.5, threshold: 1, surrogate: s };
    expect(() => synapticSequence(seq([1, 1, 1]), { ...base, reset: 'subtract', resetDelay: false })).toThrow(ValueError);
    expect(() => synapticSequence(seq([1, 1, 1]), { ...base, reset: 'subtract', resetDelay: false })).toThrow(
      /resetDelay false .*needs reset 'zero', found reset 'subtract'/,
    );
    expect(() => synapticSequence(seq([1, 1, 1]), { ...base, reset: 'zero', resetDelay: 'no' as never })).toThrow(
      /resetDelay: expected true or false/,
    );
    expect(() => new RLeaky({ size: 2, beta: 0.9, reset: 'none', resetDelay: false, rng: new Rng(1) })).toThrow(/RLeaky: resetDelay false/);
    expect(() => new Synaptic({ size: 2, alpha: 0.5, beta: 0.9, resetDelay: false })).toThrow(/found reset 'subtract'/);
  });
});

describe('resetDelay false: gradients', () => {
  const rng = new Rng(33);
  const randn = (n: number, sc = 1) => Float32Array.from({ length: n }, () => rng.normal() * sc);
  const leaf = (d: Float32Array, shape: number[]) => new Tensor(d, shape, { requiresGrad: true });
  const zero = custom(() => 0, { name: 'zero' });
  const T = 8;
  const B = 2;
  const H = 3;

  /** Central differences of a weighted sum of the smooth outputs with a zero surrogate, vetoing coordinates where a spike flips. */
  function fd(run: () => { spk: Tensor } & Record<string, unknown>, keys: string[], leaves: Tensor[]) {
    const first = run();
    const ws = keys.map((k) => randn((first[k] as Tensor).size));
    const pattern = () => Array.from(run().spk.data).join('');
    const base = pattern();
    expect(base).toMatch(/1.*1/); // the case resets
    const f = () => {
      const o = run();
      return addScalars(...keys.map((k, i) => probe(o[k] as Tensor, ws[i])));
    };
    const n = gradcheck(f, leaves, 1e-3, 2e-3, () => pattern() === base);
    expect(n).toBeGreaterThan(leaves.reduce((a, l) => a + l.size, 0) * 0.6);
  }

  for (const [kname, kernels] of bothKernels) {
    it(`Synaptic: input, alpha, beta, threshold by finite differences (${kname})`, () => {
      const x = leaf(
        randn(T * B * H, 0.5).map((v) => v + 0.35),
        [T, B, H],
      );
      const pa = leaf(randn(H, 0.5), [H]);
      const pb = leaf(
        randn(H, 0.5).map((v) => v + 1),
        [H],
      );
      const thr = leaf(Float32Array.of(0.9), [1]);
      fd(
        () =>
          synapticSequence(x, {
            steps: T,
            constInput: false,
            alpha: sigmoid(pa),
            beta: sigmoid(pb),
            threshold: thr,
            reset: 'zero',
            resetDelay: false,
            surrogate: zero,
            kernels,
          }),
        ['mem', 'syn'],
        [x, pa, pb, thr],
      );
    });

    it(`RLeaky and RSynaptic: input, decays, threshold, V, bias by finite differences (${kname})`, () => {
      const x = leaf(
        randn(T * B * H, 0.5).map((v) => v + 0.4),
        [T, B, H],
      );
      const pa = leaf(randn(H, 0.5), [H]);
      const pb = leaf(randn(H, 0.5), [H]);
      const thr = leaf(Float32Array.from([0.8, 1.0, 0.9]), [H]);
      const V = leaf(randn(H * H, 0.4), [H, H]);
      const vb = leaf(randn(H, 0.1), [H]);
      const common = {
        steps: T,
        constInput: false,
        threshold: thr,
        reset: 'zero' as const,
        resetDelay: false,
        surrogate: zero,
        weight: V,
        bias: vb,
        kernels,
      };
      fd(() => rleakySequence(x, { ...common, beta: sigmoid(pb) }), ['mem'], [x, pb, thr, V, vb]);
      fd(() => rsynapticSequence(x, { ...common, alpha: sigmoid(pa), beta: sigmoid(pb) }), ['mem', 'syn'], [x, pa, pb, thr, V, vb]);
    });

    it(`with the surrogate: Synaptic (alpha 0) and RLeaky (V 0) equal the fused Leaky kernel with reset zero (${kname})`, () => {
      // Leaky's zero reset has this timing (its fused kernel matches snnTorch's BPTT: test/train/bptt.test.ts)
      const x0 = randn(T * B * H, 0.5).map((v) => v + 0.4);
      const sur = fastSigmoid({ slope: 5 });
      const grads = (run: (x: Tensor, beta: Tensor) => { spk: Tensor; mem: Tensor }) => {
        const x = leaf(x0.slice(), [T, B, H]);
        const p = leaf(Float32Array.from([0.3, -0.2, 1.1]), [H]);
        const r = run(x, sigmoid(p));
        const w = new Rng(5);
        const ws = Float32Array.from({ length: T * B * H }, () => w.normal());
        const wm = Float32Array.from({ length: T * B * H }, () => w.normal());
        backward(addScalars(probe(r.spk, ws), probe(r.mem, wm)));
        return { spk: Array.from(r.spk.data), mem: Array.from(r.mem.data), gx: Array.from(x.grad!), gp: Array.from(p.grad!) };
      };
      const o = { steps: T, constInput: false, threshold: 1, reset: 'zero' as const, surrogate: sur, kernels };
      const ref = grads((x, beta) => leakySequence(x, { ...o, beta }));
      expect(ref.spk.filter((v) => v === 1).length).toBeGreaterThan(3);
      const V = new Tensor(new Float32Array(H * H), [H, H], { requiresGrad: true });
      const others = [
        grads((x, beta) => synapticSequence(x, { ...o, alpha: 0, beta, resetDelay: false })),
        grads((x, beta) => rleakySequence(x, { ...o, beta, weight: V, bias: null, resetDelay: false })),
      ];
      const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 4));
      for (const g of others) {
        expect(g.spk).toEqual(ref.spk);
        close(g.mem, ref.mem);
        close(g.gx, ref.gx);
        close(g.gp, ref.gp);
      }
      // the default timing differs on this input (so the option is not a no-op)
      const dflt = grads((x, beta) => synapticSequence(x, { ...o, alpha: 0, beta }));
      expect(dflt.spk).not.toEqual(ref.spk);
    });
  }
});

describe('resetDelay in layers and checkpoint configs', () => {
  it('config carries resetDelay false (only then) and rebuilds the same model', () => {
    const rng = new Rng(4);
    const model = new Sequential([
      new Linear(3, 4, { rng }),
      new Synaptic({ size: 4, alpha: 0.6, beta: 0.8, threshold: 0.5, reset: 'zero', resetDelay: false }),
      new RLeaky({ size: 4, beta: 0.8, threshold: 0.5, reset: 'zero', resetDelay: false, rng }),
      new RSynaptic({ size: 4, alpha: 0.5, beta: 0.8, threshold: 0.5, reset: 'zero', resetDelay: false, rng }),
      new Synaptic({ size: 4, alpha: 0.6, beta: 0.8, threshold: 0.5, reset: 'zero' }),
    ]);
    const layers = model.layers.map((l) => ({ kind: l.kind, config: JSON.parse(JSON.stringify(l.config())) as Record<string, unknown> }));
    expect(layers.slice(1, 4).map((l) => l.config.resetDelay)).toEqual([false, false, false]);
    expect('resetDelay' in layers[4].config).toBe(false);
    checkLayerConfigs(layers, 'model.json'); // the checkpoint contract accepts the field
    const again = sequentialFromConfig(layers);
    expect(again.layers.slice(1).map((l) => (l as unknown as { resetDelay: boolean }).resetDelay)).toEqual([false, false, false, true]);
    expect(JSON.stringify(again.layers.map((l) => l.config()))).toBe(JSON.stringify(layers.map((l) => l.config)));
    // the same input gives the same spikes in the rebuilt model (weights copied)
    again.layers.forEach((l, i) =>
      l.parameters().forEach((p, j) => (p.tensor.data as Float32Array).set(model.layers[i].parameters()[j].tensor.data)),
    );
    const x = new Tensor(
      Float32Array.from({ length: 6 * 2 * 3 }, () => rng.uniform() * 2),
      [6, 2, 3],
    );
    const run = (m: Sequential) =>
      Array.from(m.forward({ x, steps: 6, constant: false }, bothKernels[0][1]).records.flatMap((r) => Array.from(r.spk!.data)));
    expect(run(again)).toEqual(run(model));
  });

  it('the checkpoint contract: resetDelay a boolean, false only with reset zero', () => {
    const cfg = (reset: string, resetDelay: unknown) => [
      { kind: 'linear', config: new Linear(3, 4, { rng: new Rng(1) }).config() },
      { kind: 'rsynaptic', config: { size: 4, alpha: 0.5, beta: 0.8, reset, resetDelay } },
    ];
    expect(() => checkLayerConfigs(cfg('subtract', false), 'model.json')).toThrow(DataError);
    expect(() => checkLayerConfigs(cfg('subtract', false), 'model.json')).toThrow(
      /config\.resetDelay: false .*needs reset "zero", found reset "subtract"/,
    );
    expect(() => checkLayerConfigs(cfg('zero', 'yes'), 'model.json')).toThrow(/config\.resetDelay: expected true or false/);
    expect(() => checkLayerConfigs(cfg('zero', false), 'model.json')).not.toThrow();
  });
});
