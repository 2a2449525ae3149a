// Every layer kind of the registry, on the fuzz suite's seed models (which hold a layer of each kind): the
// layer rebuilds from its config() to the same config and parameters, and its contract accepts that config
// and says what the layer really does: the parameters it has (names, torch-layout shapes), its neurons, and
// the features and image it gives to the next layer.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { defaultKernels } from '../../src/kernels/default.js';
import { LAYER_KINDS } from '../../src/nn/registry.js';
import { Fields, type Flow } from '../../src/nn/layer-kind.js';
import { featuresOf, type Layer, type Seq } from '../../src/nn/layer.js';
import { Sequential } from '../../src/nn/sequential.js';
import { sequentialFromConfig } from '../../src/nn/models.js';
import { SEED_MODELS } from '../fuzz/checkpoint-cases.js';

const json = (x: unknown) => JSON.parse(JSON.stringify(x)) as Record<string, unknown>;

/** Parameters as a checkpoint holds them: name and torch-layout shape. */
const paramShapes = (l: Layer): Array<[string, number[]]> =>
  l.parameters().map(({ name, tensor }) => [name, l.exportParameter ? l.exportParameter(name, tensor).shape : [...tensor.shape]]);

describe('layer registry', () => {
  it('the seed models hold a layer of every kind, and only kinds of the registry', () => {
    const seen = new Set(SEED_MODELS.flatMap((m) => m.layers.map((l) => l.kind)));
    expect([...seen].sort()).toEqual([...LAYER_KINDS.keys()].sort());
    for (const [name, k] of LAYER_KINDS) expect(k.kind).toBe(name);
  });

  it('every kind rebuilds from its config(): the same config and parameters', () => {
    for (const m of SEED_MODELS) {
      for (const l of m.layers) {
        const again = LAYER_KINDS.get(l.kind)!.fromConfig(json(l.config()), new Rng(7));
        expect(again.kind).toBe(l.kind);
        expect(json(again.config())).toEqual(json(l.config()));
        expect(paramShapes(again)).toEqual(paramShapes(l));
      }
    }
  });

  it("every kind's contract accepts its own config and agrees with the layer: parameters, neurons, what flows out", () => {
    const kernels = defaultKernels();
    SEED_MODELS.forEach((m, mi) => {
      let flow: Flow = { features: null, image: null, from: "the network's input" };
      let input: Seq | null = null;
      m.layers.forEach((l, i) => {
        const where = `model ${mi}, layers[${i}] (${l.kind})`;
        const f = new Fields('registry.test', where, json(l.config()));
        const out = LAYER_KINDS.get(l.kind)!.contract(f, flow);
        f.noOthers();
        expect(out.params, where).toEqual(paramShapes(l));
        if (input === null) {
          // the first layer fixes the features the model takes
          expect(out.inputFeatures, where).not.toBeNull();
          const n = out.inputFeatures!;
          input = {
            x: Tensor.from(
              Array.from({ length: 2 * n }, (_, j) => ((j * 7) % 5) / 4),
              [2, n],
            ),
            steps: 3,
            constant: true,
          };
        }
        // what the model up to this layer gives (Sequential carries the image over elementwise layers)
        const seq = new Sequential(m.layers.slice(0, i + 1)).forward(input, kernels).out;
        expect(out.neurons, where).toBe(l.spiking ? featuresOf(seq) : 0);
        expect(out.flow.features, where).toBe(featuresOf(seq));
        expect(out.flow.image ?? undefined, where).toEqual(seq.image);
        flow = { ...out.flow, from: `the outputs of ${where}` };
      });
    });
  });

  it('sequentialFromConfig refuses a kind the registry does not have', () => {
    expect(() =>
      sequentialFromConfig([
        { kind: 'linear', config: { in: 2, out: 3 } },
        { kind: 'lstm', config: {} },
      ]),
    ).toThrow('layer 1: unknown kind "lstm"');
  });
});
