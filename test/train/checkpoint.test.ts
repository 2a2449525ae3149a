import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
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
    const model = snnClassifier(
      {
        inputs: 6,
        hidden: [5],
        outputs: 3,
        beta: 0.8,
        learnBeta: true,
        reset: 'zero',
        threshold: 0.7,
        surrogate: fastSigmoid({ slope: 10 }),
      },
      new Rng(1),
    );
    const manifest = await saveCheckpoint(dir, model, { note: 'x' });
    const weightsFile = manifest.weights!.file;
    expect(readdirSync(dir).sort()).toEqual(['config.json', weightsFile]);
    // named by content: the SHA-256 of the file, whose first 16 hex digits name it
    const bytes = readFileSync(join(dir, weightsFile));
    expect(manifest.weights).toEqual({
      file: `model-${manifest.weights!.sha256.slice(0, 16)}.safetensors`,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.length,
    });
    const { model: back, config } = await loadCheckpoint(dir);
    expect(config.meta).toEqual({ note: 'x' });
    const a = model.parameters();
    const b = back.parameters();
    expect(b.map((p) => p.name)).toEqual(a.map((p) => p.name));
    a.forEach((p, i) => expect(Array.from(b[i].tensor.data)).toEqual(Array.from(p.tensor.data)));
    expect(back.layers.map((l) => l.config())).toEqual(model.layers.map((l) => l.config()));
    // torch layout: "0.weight" is [out, in] and element [o][i] equals our W[i][o]
    const { tensors } = decodeSafetensors(new Uint8Array(bytes));
    expect(tensors['0.weight'].shape).toEqual([5, 6]);
    const w = model.parameters()[0].tensor.data;
    expect(tensors['0.weight'].data[2 * 6 + 4]).toBe(w[4 * 5 + 2]);
  });

  it('rejects mismatched and damaged files with DataErrors naming the file and tensor', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sf-ckpt-'));
    const { weights } = await saveCheckpoint(dir, snnClassifier({ inputs: 4, hidden: [3], outputs: 2, beta: 0.9 }, new Rng(2)), {});
    const cfgPath = join(dir, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    cfg.layers[0].config.in = 7;
    writeFileSync(cfgPath, JSON.stringify(cfg));
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      /model-[0-9a-f]{16}\.safetensors: tensor "0\.weight": expected F32 \[3, 7\], found F32 \[3, 4\]/,
    );
    // weights changed after saving: the manifest's size and hash say so
    const wPath = join(dir, weights!.file);
    const good = readFileSync(wPath);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 1] ^= 1;
    cfg.layers[0].config.in = 4;
    writeFileSync(cfgPath, JSON.stringify(cfg));
    writeFileSync(wPath, flipped);
    await expect(loadCheckpoint(dir)).rejects.toThrow(
      /model-[0-9a-f]{16}\.safetensors: the file does not match the size and SHA-256 that .*config\.json names/,
    );
    writeFileSync(wPath, good.subarray(0, 100));
    await expect(loadCheckpoint(dir)).rejects.toThrow(/expected \d+ bytes as .*config\.json names, found 100/);
    writeFileSync(wPath, good);
    await expect(loadCheckpoint(dir)).resolves.toBeTruthy();
    // the manifest may only name a content-named file in the same folder
    for (const file of ['../model-0123456789abcdef.safetensors', 'model.safetensors', '/etc/passwd']) {
      writeFileSync(cfgPath, JSON.stringify({ ...cfg, weights: { ...cfg.weights, file } }));
      await expect(loadCheckpoint(dir)).rejects.toThrow(
        /config\.json: weights\.file: expected a name like model-0123456789abcdef\.safetensors/,
      );
    }
    writeFileSync(cfgPath, JSON.stringify({ ...cfg, weights: undefined }));
    await expect(loadCheckpoint(dir)).rejects.toThrow(/config\.json: weights: expected \{file, sha256, bytes\}/);
    writeFileSync(cfgPath, '{not json');
    await expect(loadCheckpoint(dir)).rejects.toBeInstanceOf(DataError);
    await expect(loadCheckpoint(dir)).rejects.toThrow(/config\.json: not valid JSON/);
  });
});
