import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { backward } from '../../src/core/autograd.js';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import { ceTemporalLoss, mseTemporalLoss, spikeTimes } from '../../src/train/temporal-losses.js';
import { flat, loadFixture } from '../helpers/fixtures.js';

// snnTorch 0.9.4's temporal losses (tools/snntorch-fixtures.py, temporal.json): value and gradient with
// respect to the spikes, for labels with default and given on/off times, tolerance, target times, and
// both inversions of the cross-entropy; plus hand-computed cases.

const fx = loadFixture('temporal');

describe('temporal losses against snnTorch', () => {
  for (const c of fx.cases) {
    it(`${c.name} ${JSON.stringify(c.options)}`, () => {
      const [T, B, C] = [c.input.length, c.input[0].length, c.input[0][0].length];
      const spk = new Tensor(Float32Array.from(flat(c.input)), [T, B, C], { requiresGrad: true });
      const o = c.options;
      const loss =
        c.name === 'ce_temporal_loss'
          ? ceTemporalLoss(spk, c.targets, { inverse: o.inverse })
          : mseTemporalLoss(spk, c.targets, {
              onTarget: o.on_target,
              offTarget: o.off_target,
              tolerance: o.tolerance,
              targetIsTime: o.target_is_time,
            });
      expect(loss.item()).toBeCloseTo(c.value, 6);
      backward(loss);
      const want = flat(c.grad);
      const got = Array.from(spk.grad!);
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 6);
    });
  }
});

describe('temporal losses: hand-computed cases', () => {
  // T = 4, one sample, two outputs: output 0 fires at steps 1 and 3, output 1 never
  const spk = () => new Tensor(Float32Array.of(0, 0, 1, 0, 0, 0, 1, 0), [4, 1, 2], { requiresGrad: true });
  it('spike times: the k-th spike, a shadow spike at T - 1 where there is none', () => {
    const [first, second, third] = spikeTimes(spk(), 3);
    expect(Array.from(first)).toEqual([1, 3]);
    expect(Array.from(second)).toEqual([3, 3]);
    expect(Array.from(third)).toEqual([3, 3]);
  });
  it("snnTorch's label code: with on 0 > off -1 the code is clamped at -1, so both targets are step 0", () => {
    // ((1 - 0)/4)^2 and ((3 - 0)/4)^2, averaged: snnTorch 0.9.4's value (its docs say step T - 1 for class 1)
    expect(mseTemporalLoss(spk(), [0]).item()).toBeCloseTo((1 / 16 + 9 / 16) / 2, 7);
  });
  it('mse: ((1 - 0)/4)^2 and ((3 - 3)/4)^2 averaged; the gradient reaches the first spike with the sign estimator', () => {
    const x = spk();
    const loss = mseTemporalLoss(x, [0], { labelCode: 'one-hot' }); // class 0 should fire at 0, class 1 at T - 1 = 3
    expect(loss.item()).toBeCloseTo(((1 / 4) ** 2 + 0) / 2, 7);
    backward(loss);
    // d/dt of (t/4 - 0)^2 / 2 = t / 16 = 1/16 at t = 1, carried to the spike at step 1 with a minus sign
    expect(x.grad![1 * 2 + 0]).toBeCloseTo(-1 / 16, 7);
    expect(x.grad!.filter((g) => g !== 0).length).toBe(1);
  });
  it('multiSpike compares the first F spikes with F targets (each output its own spikes)', () => {
    const loss = mseTemporalLoss(spk(), [0], { multiSpike: true, onTarget: [1, 3], offTarget: [3, 3], labelCode: 'one-hot' });
    expect(loss.item()).toBeCloseTo(0, 7); // spikes at 1 and 3; the silent output's shadow spikes at 3 and 3
  });
  it('typed errors for bad targets and options', () => {
    expect(() => mseTemporalLoss(spk(), [0, 1])).toThrow(ShapeError);
    expect(() => mseTemporalLoss(spk(), [2])).toThrow(/target\[0\] = 2 is not a class in \[0, 2\)/);
    expect(() => mseTemporalLoss(spk(), [0], { onTarget: [1, 2], offTarget: [3] })).toThrow(ValueError);
    expect(() => mseTemporalLoss(spk(), [0], { onTarget: [1, 2], offTarget: [3, 3] })).toThrow(/several target times need multiSpike/);
    expect(() => mseTemporalLoss(spk(), [1, 2, 3], { targetIsTime: true })).toThrow(/3 target times for 1 samples of 2 outputs/);
    expect(() => ceTemporalLoss(spk(), [0], { inverse: 'log' as never })).toThrow(/inverse must be negate or reciprocal/);
  });
});
