import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.js';
import { snnClassifier } from '../../src/nn/models.js';
import { saveCheckpoint, loadCheckpoint } from '../../src/train/checkpoint.js';
import { decodeSafetensors } from '../../src/interop/safetensors.js';
import { DataError } from '../../src/core/errors.js';
import { fastSigmoid } from '../../src/surrogate/index.js';

describe('checkpoints', () => {
  it('round-trip every parameter and the layer config; weights are stored in torch layout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sf-ckpt-'));
    const model = snnClassifier({ inputs: 6, hidden: [5], outputs: 3, beta: 0.8, learnBeta: true, reset: 'zero', threshold: 0.7, surrogate: fastSigmoid({ slope: 10 }) }, new Rng(1));
    await saveCheckpoint(dir, model, { note: 'x' });
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors']);
    const { model: back, config } = await loadCheckpoint(dir);
    expect(config.meta).toEqual({ note: 'x' });
    const a = model.parameters();
    const b = back.parameters();
    expect(b.map((p) => p.name)).toEqual(a.map((p) => p.name));
    a.forEach((p, i) => expect(Array.from(b[i].tensor.data)).toEqual(Array.from(p.tensor.data)));
    expect(back.layers.map((l) => l.config())).toEqual(model.layers.map((l) => l.config()));
    // torch layout: "0.weight" is [out, in] and element [o][i] equals our W[i][o]
    const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
    expect(tensors['0.weight'].shape).toEqual([5, 6]);
    const w = model.parameters()[0].tensor.data;
    expect(tensors['0.weight'].data[2 * 6 + 4]).toBe(w[4 * 5 + 2]);
  });

  it('rejects mismatched and damaged files with DataErrors naming the file and tensor', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sf-ckpt-'));
    await saveCheckpoint(dir, snnClassifier({ inputs: 4, hidden: [3], outputs: 2, beta: 0.9 }, new Rng(2)), {});
    const cfgPath = join(dir, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    cfg.layers[0].config.in = 7;
    writeFileSync(cfgPath, JSON.stringify(cfg));
    await expect(loadCheckpoint(dir)).rejects.toThrow(/model\.safetensors: tensor "0\.weight": expected F32 \[3, 7\], found F32 \[3, 4\]/);
    writeFileSync(cfgPath, '{not json');
    await expect(loadCheckpoint(dir)).rejects.toBeInstanceOf(DataError);
    await expect(loadCheckpoint(dir)).rejects.toThrow(/config\.json: not valid JSON/);
  });
});
