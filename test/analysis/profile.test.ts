import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { Rng } from '../../src/core/rng.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { Linear } from '../../src/nn/linear.js';
import { Leaky } from '../../src/nn/leaky-layer.js';
import { Sequential } from '../../src/nn/sequential.js';
import { ENERGY_45NM, profileModel, type ProfileRow } from '../../src/analysis/profile.js';
import { profileMarkdown, profileSvg } from '../../src/analysis/profile-report.js';

function linear(w: number[][], b: number[]): Linear {
  const l = new Linear(w[0].length, w.length, { rng: new Rng(0) });
  l.importParameter('weight', l.weight, Float32Array.from(w.flat()));
  l.bias!.data.set(b);
  return l;
}

// Input spikes over T = 2 steps: [1, 0] then [1, 1] (3 events). Linear W1 = [[1.5, 0], [0, 0.5]] -> IF (beta 1):
//   step 0: currents [1.5, 0] -> membrane [1.5, 0] -> neuron 0 spikes; step 1: currents [1.5, 0.5] -> neuron 0:
//   1.5 + 1.5 - 1 = 2 spikes, neuron 1: 0.5 does not. 2 spikes. Linear W2 = [[1, 1]] -> Leaky (beta 0.5):
//   currents 1, 1 -> membrane 1 (not above 1), then 0.5 + 1 = 1.5: 1 spike.
describe('profileModel', () => {
  const model = new Sequential([
    linear(
      [
        [1.5, 0],
        [0, 0.5],
      ],
      [0, 0],
    ),
    new Leaky({ size: 2, beta: 1 }),
    linear([[1, 1]], [0]),
    new Leaky({ size: 1, beta: 0.5 }),
  ]);
  const seq = { x: new Tensor(Uint8Array.of(1, 0, 1, 1), [2, 1, 2]), steps: 2, constant: false };
  const p = profileModel(model, [seq], { kernels: referenceKernels, steps: 2, input: 'rate' });
  const E = ENERGY_45NM;

  it('counts by hand: events x fan-out, bias adds, neuron updates, memory accesses, ANN MACs', () => {
    const pick = (r: ProfileRow) => [
      r.input,
      r.neurons,
      r.events,
      r.acs,
      r.macs,
      r.annMacs,
      r.weightReads,
      r.otherAccesses,
      r.annOtherAccesses,
    ];
    expect(p.rows.map(pick)).toEqual([
      // 3 events x fan-out 2 = 6 ACs + 2 outputs x 2 steps of bias = 10; 6 weight reads; 12 accumulator accesses; ANN: 4 MACs, 4 input reads + 2 writes
      ['spikes', 0, 3, 10, 0, 4, 6, 12, 6],
      // 2 spikes; 2 neurons x 2 steps IF updates (ACs); membrane read + written: 8
      [null, 2, 2, 4, 0, 0, 0, 8, 0],
      // 2 events x fan-out 1 + 1 x 2 bias adds; ANN 2 MACs, 2 reads + 1 write
      ['spikes', 0, 2, 4, 0, 2, 2, 4, 3],
      // 1 spike; beta 0.5: a MAC per neuron per step
      [null, 1, 1, 0, 2, 0, 0, 4, 0],
    ]);
    expect(p.rows.map((r) => r.spikeRate)).toEqual([3 / 4, 2 / 4, 2 / 4, 1 / 2]);
    expect(p.rows[0].computeNj).toBeCloseTo((10 * E.acPj) / 1000, 12);
    expect(p.rows[0].memoryNj).toBeCloseTo((18 * E.sramPj) / 1000, 12);
    expect(p.rows[0].annComputeNj).toBeCloseTo((4 * E.macPj) / 1000, 12);
    expect(p.rows[0].tutorialNj).toBeCloseTo((4 * E.macPj * 0.75) / 1000, 12);
    // break-even of layer 0 (compute): p * T * 2 * 2 * E_AC + 4 bias ACs + 4 IF ACs = 4 E_MAC -> p = (4 * 4.6 - 8 * 0.9) / (8 * 0.9)
    expect(p.rows[0].breakEvenRate!.compute).toBeCloseTo((4 * 4.6 - 8 * 0.9) / (8 * 0.9), 9);
    const sramRate = (4 * 4.6 + 10 * 5 - 4 * 0.9 - 4 * 0.9 - 8 * 5) / (8 * (0.9 + 3 * 5));
    expect(p.rows[0].breakEvenRate!.withMemory).toBeCloseTo(sramRate, 9);
    expect(p.rows[1].breakEvenRate).toBeNull();
  });

  it('totals are the sums of the per-layer rows; the report shows them', () => {
    for (const k of [
      'events',
      'acs',
      'macs',
      'annMacs',
      'weightReads',
      'otherAccesses',
      'computeNj',
      'memoryNj',
      'annComputeNj',
      'annMemoryNj',
    ] as const) {
      expect(p.totals[k], k).toBeCloseTo(
        p.rows.reduce((s, r) => s + r[k], 0),
        12,
      );
    }
    expect(p.totals.neurons).toBe(3);
    const md = profileMarkdown(p, 'tiny');
    expect(md).toContain('| 0:linear |  | 75% | 3 | 10 | 0 | 4 | 6 / 4 |');
    expect(md).toContain('| **total** | 3 |');
    expect(profileSvg(p, 'tiny').match(/class="bar/g)).toHaveLength(8);
  });
});
