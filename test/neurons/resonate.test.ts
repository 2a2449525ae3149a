import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { backward } from '../../src/core/autograd.js';
import { addScalars } from '../../src/ops/index.js';
import { atan } from '../../src/surrogate/index.js';
import { resonateSequence, resonateSpec } from '../../src/neurons/resonate.js';
import { specSequence } from '../../src/neurons/spec.js';
import { sequentialFromConfig } from '../../src/nn/models.js';
import { LAYER_KINDS } from '../../src/nn/registry.js';
import { gradcheck, probe } from '../helpers/gradcheck.js';
import { bothKernels, wasmBuilds } from '../helpers/kernels.js';
import { referenceKernels } from '../../src/kernels/reference.js';

// The resonate-and-fire neuron: the model added as a spec (src/neurons/resonate.ts), one registry line
// (src/nn/registry.ts) and, for its WASM path, a model class (src/kernels/assembly/resonate.ts) with its
// line in the scan's dispatch. Checked against the theory: the impulse response is a damped rotation, the
// neuron is a band-pass filter of pulse trains, and the gradients are the finite differences'.

const T = 24;
const omega = (2 * Math.PI) / 8; // rings with a period of 8 steps

describe('resonate-and-fire: dynamics', () => {
  for (const [name, k] of bothKernels) {
    it(`${name}: an impulse leaves re = decay^t cos(t omega), im = decay^t sin(t omega) (below threshold)`, () => {
      const x = new Float32Array(T);
      x[0] = 0.5;
      const r = resonateSequence(Tensor.from(x, [T, 1, 1]), {
        steps: T,
        constInput: false,
        decay: 0.9,
        omega,
        threshold: 10,
        reset: 'zero',
        surrogate: atan(),
        kernels: k,
      });
      expect(r.spikes).toBe(0);
      for (let t = 0; t < T; t++) {
        expect(r.state.re.data[t]).toBeCloseTo(0.5 * 0.9 ** t * Math.cos(t * omega), 5);
        expect(r.state.im.data[t]).toBeCloseTo(0.5 * 0.9 ** t * Math.sin(t * omega), 5);
      }
    });

    it(`${name}: pulses one period apart fire it; pulses half a period apart cancel`, () => {
      // two samples: pulses every 8 steps (in phase with the ringing) and every 4 (opposite phase)
      const x = new Float32Array(T * 2);
      for (let t = 0; t < T; t++) {
        if (t % 8 === 0) x[t * 2] = 0.6;
        if (t % 4 === 0) x[t * 2 + 1] = 0.6;
      }
      const r = resonateSequence(Tensor.from(x, [T, 2, 1]), {
        steps: T,
        constInput: false,
        decay: 0.95,
        omega,
        threshold: 0.9,
        reset: 'zero',
        surrogate: atan(),
        kernels: k,
      });
      const spikes = [0, 1].map((b) => Array.from({ length: T }, (_, t) => r.spk.data[t * 2 + b]).reduce((a, v) => a + v, 0));
      // in phase: the amplitude 0.6 (1 + 0.95^8 + ...) passes 0.9 at the second pulse (peak of im ~ 0.6 * 1.66 * 0.95^2)
      expect(spikes[0]).toBeGreaterThan(0);
      // out of phase: each pulse meets the ringing at the opposite phase; |im| never exceeds one pulse's 0.6 * 0.95^2
      expect(spikes[1]).toBe(0);
      const imOut = Array.from({ length: T }, (_, t) => r.state.im.data[t * 2 + 1]);
      expect(Math.max(...imOut)).toBeLessThan(0.6);
    });
  }

  it('the zero reset restarts the state after a spike; subtract lowers im by the threshold', () => {
    const x = Tensor.from([2, 0, 0], [3, 1, 1]);
    const run = (reset: 'zero' | 'subtract') =>
      resonateSequence(x, { steps: 3, constInput: false, decay: 1, omega: Math.PI / 2, threshold: 1, reset, surrogate: atan() });
    // t0: re 2, im 0; t1: re 0, im 2 (fires); t2 zero: both 0; t2 subtract: re -2, im 0 - 1
    const z = run('zero');
    expect(Array.from(z.spk.data)).toEqual([0, 1, 0]);
    expect(z.state.re.data[2]).toBe(0);
    expect(z.state.im.data[2]).toBe(0);
    const s = run('subtract');
    expect(s.state.re.data[2]).toBeCloseTo(-2, 6);
    expect(s.state.im.data[2]).toBeCloseTo(-1, 6);
  });
});

describe('resonate-and-fire: gradients', () => {
  // the loss reads the states only, so no surrogate term enters (the reset is detached) and the backward
  // is the exact derivative wherever no spike flips inside +-eps; atan's code runs the WASM backward
  for (const reset of ['subtract', 'zero', 'none'] as const) {
    for (const [name, k] of [['reference', referenceKernels] as const, ...wasmBuilds()]) {
      it(`${name}, reset ${reset}: input, decay, omega and threshold against finite differences`, () => {
        const rng = new Rng(5);
        const Tn = 9;
        const H = 3;
        const x = new Tensor(
          Float32Array.from({ length: Tn * 2 * H }, () => rng.normal() * 0.6 + 0.2),
          [Tn, 2, H],
          { requiresGrad: true },
        );
        const decay = new Tensor(Float32Array.of(0.9, 0.8, 0.95), [H], { requiresGrad: true });
        const om = new Tensor(Float32Array.of(0.4, 0.9, -0.3), [H], { requiresGrad: true });
        const thr = new Tensor(Float32Array.of(0.5), [1], { requiresGrad: true });
        const wr = Float32Array.from({ length: Tn * 2 * H }, () => rng.normal());
        const wi = Float32Array.from({ length: Tn * 2 * H }, () => rng.normal());
        const run = () =>
          specSequence(resonateSpec(reset), x, {
            steps: Tn,
            constInput: false,
            params: { decay, omega: om, threshold: thr },
            surrogate: atan(),
            kernels: k,
          });
        const base = Array.from(run().spk.data).join('');
        expect(base).toMatch(/1/); // the case exercises the reset
        const f = () => {
          const o = run();
          return addScalars(probe(o.state.re, wr), probe(o.state.im, wi));
        };
        const n = gradcheck(f, [x, decay, om, thr], 1e-3, 2e-3, () => Array.from(run().spk.data).join('') === base);
        expect(n).toBeGreaterThan((x.size + 7) * 0.6);
      });
    }
  }

  it('the surrogate carries the loss on spikes back to omega (a trainable band-pass)', () => {
    const x = Tensor.from(
      Array.from({ length: T }, (_, t) => (t % 6 === 0 ? 0.6 : 0)),
      [T, 1, 1],
    );
    const om = new Tensor(Float32Array.of(omega), [1], { requiresGrad: true });
    const r = resonateSequence(x, {
      steps: T,
      constInput: false,
      decay: 0.95,
      omega: om,
      threshold: 0.8,
      reset: 'zero',
      surrogate: atan(),
    });
    backward(r.spk, new Float32Array(T).fill(1));
    expect(Number.isFinite(om.grad![0])).toBe(true);
    expect(om.grad![0]).not.toBe(0);
  });
});

describe('resonate-and-fire: a layer from the registry', () => {
  it('builds from a config, trains its parameters, and rebuilds from its config and weights', () => {
    expect(LAYER_KINDS.has('resonate')).toBe(true);
    const model = sequentialFromConfig([
      { kind: 'linear', config: { in: 4, out: 3, bias: true } },
      { kind: 'resonate', config: { size: 3, decay: 0.9, omega: 0.5, learnOmega: true, learnDecay: true, threshold: 0.5 } },
    ]);
    const names = model.parameters().map((p) => p.name);
    expect(names).toEqual(['0.weight', '0.bias', '1.decay_logit', '1.omega']);
    const k = bothKernels[1][1]; // the WASM kernels
    const rng = new Rng(3);
    const x = Tensor.from(
      Array.from({ length: 16 }, () => rng.uniform() * 2),
      [4, 4],
    );
    const out = model.forward({ x, steps: 12, constant: true }, k);
    const rec = out.records[0];
    expect(rec.spk!.shape).toEqual([12, 4, 3]);
    backward(rec.spk!, new Float32Array(rec.spk!.size).fill(1));
    for (const p of model.parameters()) expect(p.tensor.grad, p.name).not.toBeNull();
    const cfg = JSON.parse(JSON.stringify(model.layers[1].config()));
    expect(cfg).toMatchObject({ size: 3, learnDecay: true, learnOmega: true, reset: 'zero' });
    expect(cfg.omega).toBeUndefined(); // learned: the weights hold it
  });
});
