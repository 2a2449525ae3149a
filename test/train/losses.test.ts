import { describe, expect, it } from 'vitest';
import { loadFixture, flat, maxAbsDiff } from '../helpers/fixtures.js';
import { Tensor } from '../../src/core/tensor.js';
import { backward } from '../../src/core/autograd.js';
import {
  accuracyRate,
  ceRateLoss,
  ceMembraneLoss,
  ceCountLoss,
  ceMaxMembraneLoss,
  mseCountLoss,
  mseMembraneLoss,
  l1RateSparsity,
} from '../../src/train/losses.js';

describe('losses match snnTorch (losses.json)', () => {
  const fx = loadFixture('losses');
  const ours: Record<string, (x: Tensor, y: number[]) => Tensor> = {
    ce_rate_loss: ceRateLoss,
    ce_count_loss: ceCountLoss,
    mse_count_loss: (x, y) => mseCountLoss(x, y, { correctRate: 0.8, incorrectRate: 0.2 }),
    ce_max_membrane_loss: ceMaxMembraneLoss,
    mse_membrane_loss: mseMembraneLoss,
  };
  for (const name of Object.keys(ours)) {
    it(`${name}: value and gradient`, () => {
      const c = fx.cases.find((x: any) => x.name === name);
      expect(c, `fixture case ${name}`).toBeDefined();
      const [T, B, C] = [c.input.length, c.input[0].length, c.input[0][0].length];
      const x = Tensor.from(flat(c.input), [T, B, C], { requiresGrad: true });
      const loss = ours[name](x, c.targets);
      expect(Math.abs(loss.item() - c.value)).toBeLessThan(1e-5);
      backward(loss);
      expect(maxAbsDiff(x.grad!, flat(c.grad))).toBeLessThan(1e-5);
    });
  }
  it('accuracy_rate', () => {
    const c = fx.cases.find((x: any) => x.name === 'ce_rate_loss');
    const [T, B, C] = [c.input.length, c.input[0].length, c.input[0][0].length];
    expect(accuracyRate(Tensor.from(flat(c.input), [T, B, C]), c.targets)).toBeCloseTo(fx.accuracy_rate, 6);
  });
});

describe('cross-entropy over time from the theory', () => {
  it('uniform logits give ln(C) per step (summed over T for the membrane loss)', () => {
    const x = Tensor.zeros([4, 2, 10]);
    expect(ceMembraneLoss(x, [3, 7]).item()).toBeCloseTo(4 * Math.log(10), 5);
    expect(ceRateLoss(x, [3, 7]).item()).toBeCloseTo(Math.log(10), 5);
  });
  it('rejects a target that is not a class', () => {
    expect(() => ceRateLoss(Tensor.zeros([1, 1, 3]), [3])).toThrow(/target\[0\] = 3/);
  });
});

describe('l1RateSparsity (snnTorch functional.reg.l1_rate_sparsity)', () => {
  it('is lambda times the spike count, with gradient lambda per entry (divided by the batch with perSample)', () => {
    const spk = new Tensor(Uint8Array.from([1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0]), [2, 3, 2], { requiresGrad: true });
    const l = l1RateSparsity(spk, 0.5);
    expect(l.item()).toBeCloseTo(0.5 * 7, 6);
    backward(l);
    expect(Array.from(spk.grad!)).toEqual(new Array(12).fill(0.5));
    spk.grad = null;
    const m = l1RateSparsity(spk, 0.5, true);
    expect(m.item()).toBeCloseTo((0.5 * 7) / 3, 6);
    backward(m);
    expect(spk.grad![0]).toBeCloseTo(0.5 / 3, 6);
    expect(() => l1RateSparsity(spk, -1)).toThrow(/non-negative/);
  });
});
