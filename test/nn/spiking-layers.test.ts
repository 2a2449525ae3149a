import { describe, expect, it } from 'vitest';
import { bothKernels } from '../helpers/kernels.js';
import { Tensor } from '../../src/core/tensor.js';
import { Rng } from '../../src/core/rng.js';
import { backward } from '../../src/core/autograd.js';
import { Linear } from '../../src/nn/linear.js';
import { Leaky } from '../../src/nn/leaky-layer.js';
import { Sequential } from '../../src/nn/sequential.js';
import { Synaptic, Alpha } from '../../src/nn/synaptic-layer.js';
import { RLeaky, RSynaptic } from '../../src/nn/recurrent-layer.js';
import { Alif } from '../../src/nn/alif-layer.js';
import { sequentialFromConfig } from '../../src/nn/models.js';
import { ceMembraneLoss, ceRateLoss } from '../../src/train/losses.js';
import { Adam } from '../../src/train/optim.js';
import { fastSigmoid } from '../../src/surrogate/index.js';
import type { Layer } from '../../src/nn/layer.js';
import { ValueError } from '../../src/core/errors.js';

const H = 7;
const makers: Array<[string, (rng: Rng) => Layer, string[]]> = [
  [
    'synaptic',
    () => new Synaptic({ size: H, alpha: 0.8, beta: 0.9, learnAlpha: true, learnBeta: true, learnThreshold: true }),
    ['alpha_logit', 'beta_logit', 'threshold'],
  ],
  ['alpha', () => new Alpha({ size: H, alpha: 0.9, beta: 0.8, threshold: 0.5, learnThreshold: true }), ['threshold']],
  ['rleaky', (rng) => new RLeaky({ size: H, beta: 0.85, learnBeta: true, rng }), ['beta_logit', 'recurrent.weight', 'recurrent.bias']],
  [
    'rsynaptic',
    (rng) => new RSynaptic({ size: H, alpha: 0.7, beta: 0.85, learnAlpha: true, rng, surrogate: fastSigmoid() }),
    ['alpha_logit', 'recurrent.weight', 'recurrent.bias'],
  ],
  [
    'alif',
    () => new Alif({ size: H, beta: 0.9, rho: 0.9, betaA: 0.5, learnBeta: true, learnRho: true, learnBetaA: true, learnThreshold: true }),
    ['beta_logit', 'rho_logit', 'threshold', 'betaA'],
  ],
];

function net(make: (rng: Rng) => Layer, seed = 3): Sequential {
  const rng = new Rng(seed);
  return new Sequential([new Linear(5, H, { rng }), make(rng), new Linear(H, 3, { rng }), new Leaky({ size: 3, beta: 0.9 })]);
}

describe('spiking layers in Sequential: forward, backward, config round trip', () => {
  for (const [kind, make, params] of makers) {
    for (const [kname, k] of bothKernels) {
      it(`${kind} (${kname}): records, named parameters with gradients, rebuilt from config with the same outputs`, () => {
        const model = net(make);
        expect(model.layers[1].kind).toBe(kind);
        const layerParams = model
          .parameters()
          .filter((p) => p.name.startsWith('1.'))
          .map((p) => p.name.slice(2));
        expect(layerParams).toEqual(params);
        const rng = new Rng(8);
        const x = new Tensor(
          Float32Array.from({ length: 4 * 5 }, () => rng.uniform() * 3),
          [4, 5],
        );
        const out = model.forward({ x, steps: 10, constant: true }, k);
        expect(out.records.length).toBe(2);
        expect(out.records[0].spk!.shape).toEqual([10, 4, H]);
        expect(out.records[0].spikes).toBeGreaterThan(0);
        expect(out.records[1].mem).not.toBeNull();
        const loss = ceMembraneLoss(out.records[1].mem!, [0, 1, 2, 1]);
        backward(loss);
        for (const p of model.parameters()) {
          expect(p.tensor.grad, p.name).not.toBeNull();
          expect(
            p.tensor.grad!.some((v) => v !== 0),
            p.name,
          ).toBe(true);
        }
        // config round trip: same structure, weights copied through the checkpoint (torch) layout
        const copy = sequentialFromConfig(model.layers.map((l) => ({ kind: l.kind, config: JSON.parse(JSON.stringify(l.config())) })));
        model.layers.forEach((l, i) => {
          const ps = l.parameters();
          const qs = copy.layers[i].parameters();
          expect(qs.map((q) => q.name)).toEqual(ps.map((p) => p.name));
          ps.forEach((p, j) => {
            const e = l.exportParameter ? l.exportParameter(p.name, p.tensor) : { data: p.tensor.data as Float32Array };
            if (copy.layers[i].importParameter) copy.layers[i].importParameter!(qs[j].name, qs[j].tensor, e.data);
            else (qs[j].tensor.data as Float32Array).set(e.data);
          });
        });
        const again = copy.forward({ x, steps: 10, constant: true }, k);
        expect(Array.from(again.records[1].mem!.data)).toEqual(Array.from(out.records[1].mem!.data));
      });
    }
  }

  it('recurrent weights go to checkpoints in torch layout [out, in]', () => {
    const layer = new RLeaky({ size: 3, beta: 0.5, rng: new Rng(2) });
    const e = layer.exportParameter('recurrent.weight', layer.weight);
    expect(e.shape).toEqual([3, 3]);
    // torch weight[o][i] is what a spike of neuron i adds to neuron o = stored V[i][o]
    expect(e.data[1 * 3 + 2]).toBe(layer.weight.data[2 * 3 + 1]);
  });

  it('a fixed recurrent matrix (learnRecurrent false) gets no gradient but is still saved', () => {
    const layer = new RLeaky({ size: 4, beta: 0.5, rng: new Rng(2), learnRecurrent: false });
    expect(layer.parameters().map((p) => p.name)).toEqual(['recurrent.weight', 'recurrent.bias']);
    expect(layer.weight.requiresGrad).toBe(false);
  });

  it('RSynaptic trains: the loss falls on a small temporal task (Adam)', () => {
    const [[, k]] = bothKernels;
    const rng = new Rng(5);
    const model = new Sequential([
      new Linear(4, 12, { rng }),
      new RSynaptic({ size: 12, alpha: 0.6, beta: 0.8, rng, surrogate: fastSigmoid({ slope: 5 }) }),
      new Linear(12, 2, { rng }),
      new Leaky({ size: 2, beta: 0.8 }),
    ]);
    // class 0: the pulse comes early, class 1: late; the recurrent state must remember it
    const T = 12,
      B = 16;
    const xs = new Float32Array(T * B * 4);
    const labels = Array.from({ length: B }, (_, b) => b % 2);
    for (let b = 0; b < B; b++) for (let j = 0; j < 4; j++) xs[((labels[b] ? 8 : 1) * B + b) * 4 + j] = 2;
    const opt = new Adam(model.trainable(), { lr: 2e-2 });
    const losses: number[] = [];
    for (let it = 0; it < 40; it++) {
      model.zeroGrad();
      const out = model.forward({ x: new Tensor(xs, [T, B, 4]), steps: T, constant: false }, k);
      const loss = ceRateLoss(out.records[1].spk!, labels);
      losses.push(loss.item());
      backward(loss);
      opt.step();
    }
    expect(Math.min(...losses.slice(-5))).toBeLessThan(losses[0] * 0.8);
  });

  it('invalid options give typed errors', () => {
    expect(() => new Alpha({ size: 2, alpha: 0.5, beta: 0.8 })).toThrow(/beta < alpha/);
    expect(() => new Synaptic({ size: 2, alpha: 1.5, beta: 0.8 })).toThrow(ValueError);
    expect(() => new Synaptic({ size: 2, alpha: [0.5], beta: 0.8 })).toThrow(/expected 2 values/);
    expect(() => new RLeaky({ size: 3, beta: 0.5, rng: new Rng(1), reset: 'half' as any })).toThrow(/reset must be subtract, zero or none/);
    expect(() => new Alif({ size: 0, beta: 0.5 })).toThrow(/ALIF size/);
  });
});
