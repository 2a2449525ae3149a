import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { DataError } from '../../src/core/errors.js';
import { csnnClassifier, snnClassifier } from '../../src/nn/models.js';
import type { Sequential } from '../../src/nn/sequential.js';
import { encodeSafetensors } from '../../src/interop/safetensors.js';
import { checkpointTensors } from '../../src/train/checkpoint-model.js';
import {
  MAX_CHECKPOINT_ELEMENTS,
  MAX_CHECKPOINT_NEURONS,
  checkConfigSize,
  checkWeightsHeader,
  checkWeightsSize,
  validateCheckpointConfig,
} from '../../src/train/checkpoint-config.js';
import { SEED_MODELS } from './checkpoint-cases.js';
import { LAYER_KINDS } from '../../src/nn/registry.js';

type Layers = Array<{ kind: string; config: Record<string, unknown> }>;
const layersOf = (m: Sequential): Layers => m.layers.map((l) => ({ kind: l.kind, config: l.config() }));
const v1 = (layers: Layers) => ({ format: 'spikeflow-checkpoint', version: 1, layers, meta: {} });
const FILE = 'runs/x/config.json';

/** The message validateCheckpointConfig gives for the layers `edit` makes of `model`'s. */
function problem(model: Sequential, edit: (layers: Layers) => void): string {
  const layers = layersOf(model);
  edit(layers);
  try {
    validateCheckpointConfig(v1(layers), FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return (e as Error).message;
  }
  return 'no error';
}

const fc = () => snnClassifier({ inputs: 12, hidden: [8], outputs: 4, beta: 0.9 }, new Rng(1));
const csnn = () => csnnClassifier({ input: [1, 10, 10], channels: [3], kernel: 3, outputs: 4, dropout: 0.2, beta: 0.8 }, new Rng(1));

describe("validateCheckpointConfig: the layers' contracts", () => {
  it('expects exactly the tensors every kind of model saves, and the features it takes', () => {
    for (const m of SEED_MODELS) {
      const { tensors, inputFeatures } = validateCheckpointConfig(v1(layersOf(m)), FILE);
      const saved = Object.entries(checkpointTensors(m)).map(([name, t]) => ({ name, shape: [...t.shape] }));
      expect(tensors.map(({ name, shape }) => ({ name, shape }))).toEqual(saved);
      const first = m.layers[0].config() as { in?: number; size?: number; inChannels?: number; inputSize?: number[] };
      expect(inputFeatures).toBe(first.in ?? first.size ?? first.inChannels! * first.inputSize![0] * first.inputSize![1]);
    }
  });

  it('names the field, expected and found, for each kind of defect', () => {
    const cases: Array<[Sequential, (l: Layers) => void, string]> = [
      [fc(), (l) => (l[1].kind = 'lif'), `layers[1].kind: expected ${[...LAYER_KINDS.keys()].join(', ')}, found "lif"`],
      [fc(), (l) => delete (l[1] as Partial<Layers[0]>).config, 'layers[1] (leaky).config: expected an object, found nothing'],
      [fc(), (l) => (l[1].config.treshold = 1), 'layers[1] (leaky).config.treshold: unknown field for this layer kind'],
      [fc(), (l) => (l[1].config.reset = 'banana'), 'layers[1] (leaky).config.reset: expected subtract, zero, none, found "banana"'],
      [
        fc(),
        (l) => (l[1].config.beta = 'NaN'),
        'layers[1] (leaky).config.beta: expected a number in [0, 1] or a list of 8 (one per neuron), found "NaN"',
      ],
      [
        fc(),
        (l) => (l[1].config.beta = [0.5, 0.5]),
        'layers[1] (leaky).config.beta: expected one number or 8 (one per neuron), found a list of 2',
      ],
      [
        fc(),
        (l) => (l[1].config.learnBeta = true),
        'layers[1] (leaky).config.beta: expected none (learnBeta is true: the weights file holds beta_logit), found 0.8999999761581421',
      ],
      [
        fc(),
        (l) => (l[1].config.surrogate = { name: 'atan', param: -1 }),
        'layers[1] (leaky).config.surrogate: atan alpha: expected a number in [0.000001, 1000000], found -1',
      ],
      [fc(), (l) => (l[1].config.surrogate = { name: 'atan', slope: 2 }), 'layers[1] (leaky).config.surrogate.slope: unknown field'],
      [fc(), (l) => (l[0].config.bias = 'yes'), 'layers[0] (linear).config.bias: expected true or false, found "yes"'],
      [fc(), (l) => (l[2].config.in = 7), 'layers[2] (linear).config.in: expected 8 (the outputs of layers[1] (leaky)), found 7'],
      [
        fc(),
        (l) => l.splice(2, 0, { kind: 'maxpool2d', config: { kernel: 2, stride: 2 } }),
        'layers[2] (maxpool2d): expected an image input (from a conv2d), found 8 features (the outputs of layers[1] (leaky))',
      ],
      [
        csnn(),
        (l) => (l[2].config.size = 50),
        'layers[2] (leaky).config.size: expected 48 (the 4x4x3 image from layers[1] (maxpool2d)), found 50',
      ],
      [csnn(), (l) => (l[5].config.in = 50), 'layers[5] (linear).config.in: expected 48 (the outputs of layers[4] (dropout)), found 50'],
      [
        csnn(),
        (l) => (l[0].config.kernel = [11, 3]),
        'layers[0] (conv2d).config.kernel: a 11x3 kernel (stride 1, padding 0) does not fit the 10x10 input image',
      ],
      [
        csnn(),
        (l) => (l[0].config.inputSize = [10]),
        'layers[0] (conv2d).config.inputSize: expected [height, width] of integers in [1, 268435456], found a list of 1 value',
      ],
      [
        csnn(),
        (l) => (l[1].config.kernel = 9),
        'layers[1] (maxpool2d).config.kernel: a 9x9 window (stride 2) does not fit the 8x8x3 image from layers[0] (conv2d)',
      ],
      [csnn(), (l) => (l[4].config.p = 1), 'layers[4] (dropout).config.p: expected a number in [0, 0.999999999], found 1'],
      [
        fc(),
        (l) => (l[1] = { kind: 'alpha', config: { size: 8, alpha: 0.5, beta: 0.5 } }),
        'layers[1] (alpha).config.beta: needs 0 < beta < alpha <= 1, found alpha = 0.5, beta = 0.5',
      ],
      [fc(), (l) => (l[1] = { kind: 'rleaky', config: { size: 8, beta: 0.9, learnBeta: false } }), 'no error'],
      [
        fc(),
        (l) => (l[1] = { kind: 'alif', config: { size: 8, beta: 0.9, learnBetaA: true, betaA: 2 } }),
        'layers[1] (alif).config.betaA: expected none (learnBetaA is true: the weights file holds betaA)',
      ],
      [
        fc(),
        (l) => l.splice(0, 2, { kind: 'linear', config: { in: 12, out: 20000 } }, { kind: 'rleaky', config: { size: 20000, beta: 0.9 } }),
        `layers[1] (rleaky): the model would hold 400300000 values (parameters and neuron states) up to this layer, more than the limit of ${MAX_CHECKPOINT_ELEMENTS} (2^28)`,
      ],
      [
        fc(),
        (l) => (l[0] = { kind: 'alif', config: { size: 2 ** 24 + 1, beta: 0.9 } }),
        'layers[0] (alif).config.size: expected an integer in [1, 16777216], found 16777217',
      ],
      [
        fc(),
        (l) => l.splice(0, 1, { kind: 'leaky', config: { size: 2 ** 24, beta: 0.9 } }, { kind: 'linear', config: { in: 2 ** 24, out: 8 } }),
        `layers[2] (leaky): the model would have ${MAX_CHECKPOINT_NEURONS + 8} neurons up to this layer, more than the limit of ${MAX_CHECKPOINT_NEURONS} (2^24)`,
      ],
    ];
    for (const [raw, message] of [
      [[], 'expected a JSON object, found a list of 0 values'],
      [{ ...v1([]), format: 'pytorch' }, 'format: expected "spikeflow-checkpoint", found "pytorch"'],
      [{ ...v1([]), version: '1' }, 'version: expected 1 or 2, found "1"'],
      [{ ...v1([]), layers: {} }, 'expected format "spikeflow-checkpoint" version 1 or 2 with a layers list'],
    ] as const) {
      expect(() => validateCheckpointConfig(raw, FILE)).toThrow(`${FILE}: ${message}`);
    }
    for (const [model, edit, message] of cases) {
      const got = problem(model, edit);
      expect(got.startsWith(message === 'no error' ? message : `${FILE}: ${message}`), `${got}\n  expected: ${message}`).toBe(true);
    }
  });

  it('checks the weights file against the config before reading its tensors, naming both files', () => {
    const model = fc();
    const checked = validateCheckpointConfig(v1(layersOf(model)), FILE);
    const good = encodeSafetensors(checkpointTensors(model));
    const W = 'runs/x/model.safetensors';
    expect(() => checkWeightsSize(good.length, checked, W, FILE)).not.toThrow();
    expect(() => checkWeightsHeader(good, checked, W, FILE)).not.toThrow();
    expect(() => checkWeightsSize(100, checked, W, FILE)).toThrow(
      `${W}: 100 bytes is too small for the tensors ${FILE} describes (at least 568 bytes)`,
    );
    expect(() => checkWeightsSize(2 ** 31, checked, W, FILE)).toThrow(/more than the tensors .* can take/);
    const tensors = checkpointTensors(model);
    const { '2.bias': _dropped, ...missing } = tensors;
    expect(() => checkWeightsHeader(encodeSafetensors(missing), checked, W, FILE)).toThrow(
      `${W}: missing tensor "2.bias" (F32 [4] for layers[2] (linear) of ${FILE})`,
    );
    const other = checkpointTensors(snnClassifier({ inputs: 12, hidden: [9], outputs: 4, beta: 0.9 }, new Rng(1)));
    expect(() => checkWeightsHeader(encodeSafetensors(other), checked, W, FILE)).toThrow(
      `${W}: tensor "0.weight": expected F32 [8, 12], found F32 [9, 12] (for layers[0] (linear) of ${FILE})`,
    );
    expect(() =>
      checkWeightsHeader(
        encodeSafetensors({ ...tensors, '1.beta_logit': { dtype: 'F32', shape: [8], data: new Float32Array(8) } }),
        checked,
        W,
        FILE,
      ),
    ).toThrow(`${W}: unexpected tensor "1.beta_logit" (${FILE} has no such parameter)`);
    expect(() => checkConfigSize(2 ** 30, FILE)).toThrow(`${FILE}: 1073741824 bytes is more than a checkpoint config may take`);
  });
});
