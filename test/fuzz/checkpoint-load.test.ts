import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.js';
import { DataError } from '../../src/core/errors.js';
import { snnClassifier } from '../../src/nn/models.js';
import type { Sequential } from '../../src/nn/sequential.js';
import { encodeSafetensors } from '../../src/interop/safetensors.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { checkpointTensors } from '../../src/train/checkpoint-model.js';
import { validateCheckpointConfig } from '../../src/train/checkpoint-config.js';
import { TIMEOUT, cases, contractBreach, fuzz, report } from './harness.js';
import { makeCheckpointCase, runModel } from './checkpoint-cases.js';

// The whole load path: loadCheckpoint on folders written here (version 1: config.json and
// model.safetensors; version 2: the manifest naming model-<sha16>.safetensors).

type Layers = Array<{ kind: string; config: Record<string, unknown> }>;
const layersOf = (m: Sequential): Layers => m.layers.map((l) => ({ kind: l.kind, config: l.config() }));
const fc = () => snnClassifier({ inputs: 12, hidden: [8], outputs: 4, beta: 0.9 }, new Rng(1));

/** A version-1 checkpoint folder (config.json and model.safetensors) of `model`, its config edited by `edit`. */
function folder(model: Sequential, edit: (layers: Layers) => void): { dir: string; cfg: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sf-ckcfg-'));
  const layers = layersOf(model);
  edit(layers);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ format: 'spikeflow-checkpoint', version: 1, layers, meta: {} }));
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(checkpointTensors(model)));
  return { dir, cfg: join(dir, 'config.json') };
}

async function loadError(dir: string): Promise<{ error: unknown; ms: number }> {
  const t0 = performance.now();
  try {
    await loadCheckpoint(dir);
  } catch (error) {
    return { error, ms: performance.now() - t0 };
  }
  throw new Error('expected loadCheckpoint to fail');
}

/**
 * Whether loadCheckpoint checks configs before building the model (a cheap probe: a Leaky size that
 * differs from its Linear). The hostile cases run only then: unchecked, one of them allocates 4 GB.
 */
async function refuseUnchecked(): Promise<void> {
  const said = await loadCheckpoint(folder(fc(), (l) => (l[1].config.size = 5)).dir).then(
    () => 'it loaded',
    (e: Error) => e.message,
  );
  if (!said.includes('layers[1] (leaky).config.size')) {
    throw new Error(
      `loadCheckpoint does not validate the config before allocating (validateCheckpointConfig): a mismatched Leaky size: ${said}; the hostile cases are not run`,
    );
  }
}

describe("the issue's examples through loadCheckpoint", () => {
  it('a Leaky size or Linear in of 1e9 fails in under 1 s with a DataError naming the file, the layer and the field', async () => {
    await refuseUnchecked();
    for (const [edit, message] of [
      [(l: Layers) => (l[1].config.size = 1e9), 'layers[1] (leaky).config.size: expected an integer in [1, 16777216], found 1000000000'],
      [(l: Layers) => (l[0].config.in = 1e9), 'layers[0] (linear).config.in: expected an integer in [1, 268435456], found 1000000000'],
    ] as const) {
      const { dir, cfg } = folder(fc(), edit);
      const { error, ms } = await loadError(dir);
      expect(error).toBeInstanceOf(DataError);
      expect((error as Error).message).toBe(`${cfg}: ${message}`);
      expect(ms).toBeLessThan(1000);
    }
  });

  it('a Leaky whose size differs from the Linear before it: a DataError naming the file and both layers', async () => {
    const { dir, cfg } = folder(fc(), (l) => (l[1].config.size = 5));
    const { error } = await loadError(dir);
    expect(error).toBeInstanceOf(DataError);
    expect((error as Error).message).toBe(`${cfg}: layers[1] (leaky).config.size: expected 8 (the outputs of layers[0] (linear)), found 5`);
  });
});

describe('fuzz: loadCheckpoint', () => {
  it(
    `${cases(2000)} folders, versions 1 and 2: typed errors naming a file in the folder, or a model that runs`,
    async () => {
      await refuseUnchecked();
      const dir = mkdtempSync(join(tmpdir(), 'sf-fuzz-ckpt-'));
      try {
        const s = await fuzz(
          2,
          cases(2000),
          (rng) => {
            const c = makeCheckpointCase(rng);
            for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true });
            const roll = rng.uniform(); // now and then a folder in place of one of the files
            const cfgPath = join(dir, 'config.json');
            const wPath = join(dir, c.version === 2 ? c.weightsFile : 'model.safetensors');
            if (roll < 0.01) mkdirSync(cfgPath);
            else writeFileSync(cfgPath, c.config);
            if (roll >= 0.01 && roll < 0.03) mkdirSync(wPath);
            else writeFileSync(wPath, c.weights);
            return roll < 0.03 ? { ...c, label: `${c.label}, a folder in place of ${roll < 0.01 ? 'config.json' : 'the weights'}` } : c;
          },
          async () => {
            const { model, config } = await loadCheckpoint(dir);
            runModel(model, validateCheckpointConfig(config, 'loaded').inputFeatures);
          },
          (_c, o) => contractBreach(o, [join(dir, 'config.json'), join(dir, 'model')]),
        );
        console.log(report('loadCheckpoint', s));
        expect(s.failures).toEqual([]);
        expect(s.ok).toBeGreaterThan(s.cases / 20);
        expect(s.maxMs).toBeLessThan(2000);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    TIMEOUT,
  );
});
