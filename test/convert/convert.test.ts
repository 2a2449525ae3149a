import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { Rng } from '../../src/core/rng.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { Linear } from '../../src/nn/linear.js';
import { Conv2d } from '../../src/nn/conv.js';
import { ReLU } from '../../src/nn/relu.js';
import { AvgPool2d, MaxPool2d } from '../../src/nn/pool.js';
import { Flatten } from '../../src/nn/flatten.js';
import { Dropout } from '../../src/nn/dropout.js';
import { BatchNorm1d, BatchNorm2d } from '../../src/nn/batchnorm.js';
import { Leaky } from '../../src/nn/leaky-layer.js';
import { Sequential } from '../../src/nn/sequential.js';
import { directEncode } from '../../src/encode/index.js';
import { ConversionError, convertToSnn, foldBatchNorm, percentile } from '../../src/convert/convert.js';
import { accuracyVsSteps, accuracyVsStepsSvg } from '../../src/convert/accuracy.js';

const k = referenceKernels;

/** Linear from torch-layout weight rows [out][in] and a bias. */
function linear(w: number[][], b: number[]): Linear {
  const l = new Linear(w[0].length, w.length, { rng: new Rng(0) });
  l.importParameter('weight', l.weight, Float32Array.from(w.flat()));
  l.bias!.data.set(b);
  return l;
}

// The hand-computed case: 2 inputs -> Linear -> ReLU -> Linear (2 logits).
//   W1 = [[1, 0.5], [0.5, -1]], b1 = [0, 0.25];   W2 = [[1, 1], [-0.5, 1]], b2 = [0, 0.1]
// Calibration inputs [1, 0.5], [0.5, 0.5], [0.2, 1]:
//   ReLU activations [1.25, 0.25], [0.75, 0], [0.7, 0]  -> positives 0.25, 0.7, 0.75, 1.25: max 1.25, median 0.725
//   logits [1.5, -0.275], [0.75, -0.275], [0.7, -0.25]  -> positives 0.7, 0.75, 1.5: max 1.5, median 0.75
const handAnn = () =>
  new Sequential([
    linear(
      [
        [1, 0.5],
        [0.5, -1],
      ],
      [0, 0.25],
    ),
    new ReLU(),
    linear(
      [
        [1, 1],
        [-0.5, 1],
      ],
      [0, 0.1],
    ),
  ]);
const calib = Tensor.from([1, 0.5, 0.5, 0.5, 0.2, 1], [3, 2]);

/** Spikes per neuron per step of every spiking layer for one input held for T steps. */
function rates(snn: Sequential, x: number[], T: number): number[][] {
  const r = snn.forward(directEncode(Tensor.from(x, [1, x.length]), T), k, { keepAllMem: true, inference: true });
  return r.records.map((rec) => {
    const H = rec.spk!.shape[2];
    return Array.from({ length: H }, (_, h) => {
      let s = 0;
      for (let t = 0; t < T; t++) s += rec.spk!.data[t * H + h];
      return s / T;
    });
  });
}

describe('convertToSnn: data-based normalisation', () => {
  it('scales by the maximum activation: W_l lambda_{l-1} / lambda_l, b_l / lambda_l (hand-computed)', () => {
    const { snn, report } = convertToSnn(handAnn(), calib, { percentile: 100, readout: 'count', kernels: k });
    expect(report.layers.map((l) => l.scale)).toEqual([1.25, 1.5]);
    expect(snn.layers.map((l) => l.kind)).toEqual(['linear', 'leaky', 'linear', 'leaky']);
    const [l1, if1, l2, if2] = snn.layers as [Linear, Leaky, Linear, Leaky];
    const w1 = l1.exportParameter('weight', l1.weight).data;
    [1, 0.5, 0.5, -1].forEach((v, i) => expect(w1[i]).toBeCloseTo(v / 1.25, 6));
    [0, 0.2].forEach((v, i) => expect(l1.bias!.data[i]).toBeCloseTo(v, 6));
    const w2 = l2.exportParameter('weight', l2.weight).data;
    [1, 1, -0.5, 1].forEach((v, i) => expect(w2[i]).toBeCloseTo((v * 1.25) / 1.5, 6));
    [0, 0.1 / 1.5].forEach((v, i) => expect(l2.bias!.data[i]).toBeCloseTo(v, 6));
    for (const n of [if1, if2]) {
      expect([n.beta().data[0], n.threshold, n.reset]).toEqual([1, 1, 'subtract']);
    }
  });

  it('scales by a percentile of the positive activations (numpy interpolation; hand-computed)', () => {
    const { report } = convertToSnn(handAnn(), calib, { percentile: 50, readout: 'count', kernels: k });
    expect(report.layers[0].scale).toBeCloseTo(0.725, 6);
    expect(report.layers[1].scale).toBeCloseTo(0.75, 6);
    expect(report.layers[0].maxActivation).toBeCloseTo(1.25, 6);
    expect(report.layers[1].weightFactor).toBeCloseTo(0.725 / 0.75, 6);
    expect(percentile(Float32Array.of(4, 1, 3, 2), 100)).toBe(4);
    expect(percentile(Float32Array.of(4, 1, 3, 2), 99.9)).toBeCloseTo(3 + 0.997, 5);
    expect(percentile(new Float32Array(0), 50)).toBe(0);
  });

  it('after T steps the first IF layer rates equal the normalised ReLU activations within 1/T, the second within 1/T plus the error its input carries', () => {
    // IF with reset by subtraction after T steps: count = total input - final membrane (+ the last step's spike),
    // so |rate - mean input per step| <= m/T where m = max(1, the largest input one step can bring): 1 for the
    // first layer (inputs in [0, 1]). The second layer's mean input differs from its normalised activation by
    // sum_j |W'_ij| |r1_j - a1_j|, the first layer's error carried through (about one step of latency per layer),
    // and one step can bring it sum_j max(W'_ij, 0) + max(b'_i, 0) when its inputs spike together.
    const { snn } = convertToSnn(handAnn(), calib, { percentile: 100, readout: 'count', kernels: k });
    const l2 = snn.layers[2] as Linear;
    const w2 = l2.exportParameter('weight', l2.weight).data; // [out, in]
    const b2 = l2.bias!.data;
    const cases: Array<[number[], number[], number[]]> = [
      // input, ReLU activations / 1.25, ReLU(logits) / 1.5
      [
        [1, 0.5],
        [1, 0.2],
        [1, 0],
      ],
      [
        [0.5, 0.5],
        [0.6, 0],
        [0.5, 0],
      ],
      [
        [0.2, 1],
        [0.56, 0],
        [0.7 / 1.5, 0],
      ],
      [
        [0.8, 0.3],
        [0.76, 0.28],
        [1.3 / 1.5, 0],
      ],
    ];
    for (const T of [16, 64, 256]) {
      for (const [x, a1, a2] of cases) {
        const [r1, r2] = rates(snn, x, T);
        a1.forEach((a, i) => expect(Math.abs(r1[i] - a), `T ${T}, x ${x}, layer 1 neuron ${i}`).toBeLessThanOrEqual(1 / T + 1e-9));
        a2.forEach((a, i) => {
          const carried = a1.reduce((s, aj, j) => s + Math.abs(w2[i * 2 + j]) * Math.abs(r1[j] - aj), 0);
          const m = Math.max(1, Math.max(w2[i * 2], 0) + Math.max(w2[i * 2 + 1], 0) + Math.max(b2[i], 0));
          expect(Math.abs(r2[i] - a), `T ${T}, x ${x}, layer 2 neuron ${i}`).toBeLessThanOrEqual(m / T + carried + 1e-6);
        });
      }
    }
  });

  it('membrane readout: the output accumulator integrates T times the logits and never spikes', async () => {
    const { snn } = convertToSnn(handAnn(), calib, { readout: 'membrane', kernels: k });
    const out = snn.layers[3] as Leaky;
    expect([out.reset, out.beta().data[0]]).toEqual(['none', 1]);
    const data = { inputs: Float32Array.of(1, 0.5, 0.2, 1), labels: Uint8Array.of(0, 0), n: 2, features: 2 };
    const r = await accuracyVsSteps(snn, data, {
      steps: [32, 8],
      input: 'direct',
      readout: 'membrane',
      rng: new Rng(1),
      kernels: k,
      ann: handAnn(),
    });
    expect(r.points).toEqual([
      { steps: 8, accuracy: 1 },
      { steps: 32, accuracy: 1 },
    ]);
    expect(r.annAccuracy).toBe(1);
    expect(r.spikeRates[1]).toBe(0);
    expect(r.ratesOverSteps).toBe(32);
    const svg = accuracyVsStepsSvg(r);
    expect(svg).toContain('class="hline" data-y="100"');
    expect(svg.match(/class="point"/g)).toHaveLength(2);
  });
});

describe('BatchNorm folding', () => {
  it('the folded ANN gives the unfolded ANN activations to 1e-5 (Linear + BatchNorm1d, Conv2d + BatchNorm2d)', () => {
    const rng = new Rng(3);
    const bn1 = new BatchNorm1d({ channels: 6 });
    const bn2 = new BatchNorm2d({ channels: 3, eps: 1e-3 });
    for (const bn of [bn1, bn2]) {
      const C = bn.channels;
      bn.weight.data.set(Float32Array.from({ length: C }, () => 0.5 + rng.uniform()));
      bn.bias.data.set(Float32Array.from({ length: C }, () => rng.normal()));
      bn.runningMean.data.set(Float32Array.from({ length: C }, () => rng.normal()));
      bn.runningVar.data.set(Float32Array.from({ length: C }, () => 0.1 + 2 * rng.uniform()));
    }
    const ann = new Sequential([
      new Conv2d({ inChannels: 1, outChannels: 3, kernel: 3, inputSize: [6, 6], rng }),
      bn2,
      new ReLU(),
      new AvgPool2d(2),
      new Flatten(),
      new Dropout(0.3, 1),
      new Linear(12, 6, { rng }),
      bn1,
      new ReLU(),
      new Linear(6, 4, { rng }),
    ]);
    const folded = foldBatchNorm(ann);
    expect(folded.layers.map((l) => l.kind)).toEqual(['conv2d', 'relu', 'avgpool2d', 'flatten', 'linear', 'relu', 'linear']);
    const x = Tensor.from(
      Array.from({ length: 5 * 36 }, () => rng.uniform()),
      [5, 36],
    );
    // activations after each ReLU and the logits, unfolded vs folded
    const at = (m: Sequential, upTo: number) =>
      new Sequential(m.layers.slice(0, upTo)).forward(directEncode(x, 1), k, { inference: true }).out.x.data;
    for (const [a, f] of [
      [3, 2],
      [9, 6],
      [10, 7],
    ]) {
      const ya = at(ann, a);
      const yf = at(folded, f);
      expect(yf.length).toBe(ya.length);
      for (let i = 0; i < ya.length; i++) expect(Math.abs(ya[i] - yf[i]), `layer ${a}, value ${i}`).toBeLessThan(1e-5);
    }
    const { snn, report } = convertToSnn(ann, x, { kernels: k });
    expect(report.layers.map((l) => [l.annLayer, l.foldedBatchNorm])).toEqual([
      [0, 1],
      [6, 7],
      [9, null],
    ]);
    expect(snn.layers.map((l) => l.kind)).toEqual(['conv2d', 'leaky', 'avgpool2d', 'flatten', 'linear', 'leaky', 'linear', 'leaky']);
  });
});

describe('refusals', () => {
  it('MaxPool2d is refused naming the layer and AvgPool2d', () => {
    const rng = new Rng(1);
    const ann = new Sequential([
      new Conv2d({ inChannels: 1, outChannels: 2, kernel: 3, inputSize: [6, 6], rng }),
      new ReLU(),
      new MaxPool2d(2),
      new Flatten(),
      new Linear(8, 2, { rng }),
    ]);
    const x = Tensor.from(new Float32Array(36), [1, 36]);
    expect(() => convertToSnn(ann, x, { kernels: k })).toThrow(ConversionError);
    expect(() => convertToSnn(ann, x, { kernels: k })).toThrow(/^layer 2 \(maxpool2d\): .*AvgPool2d/);
  });

  it('spiking layers, a BatchNorm without a weighted layer before it, and an ANN not ending in logits are refused', () => {
    const rng = new Rng(1);
    const x = Tensor.from([0.5, 0.5], [1, 2]);
    const snnLike = new Sequential([new Linear(2, 2, { rng }), new Leaky({ size: 2, beta: 0.9 })]);
    expect(() => convertToSnn(snnLike, x, { kernels: k })).toThrow('layer 1 (leaky): expected an ANN of linear, conv2d');
    const bnFirst = new Sequential([new BatchNorm1d({ channels: 2 }), new Linear(2, 2, { rng })]);
    expect(() => convertToSnn(bnFirst, x, { kernels: k })).toThrow(
      'layer 0 (batchnorm1d): BatchNorm can be folded only into a Linear or Conv2d',
    );
    const endsRelu = new Sequential([new Linear(2, 2, { rng }), new ReLU()]);
    expect(() => convertToSnn(endsRelu, x, { kernels: k })).toThrow('layer 1 (relu): expected the ANN to end with its logits');
    expect(() => convertToSnn(handAnn(), x, { kernels: k, percentile: 0 })).toThrow('percentile');
  });
});
