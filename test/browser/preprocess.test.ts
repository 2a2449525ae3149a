// The MNIST page's preprocessing (crop, 20x20 box, centre of mass) in Node: real test digits drawn 10x
// larger, as on the 280x280 canvas, then preprocessed, keep the checkpoint's accuracy.
import { describe, expect, it } from 'vitest';
import { join, resolve } from 'node:path';
import { Tensor, defaultKernels, directEncode, predictByCount } from '../../src/index.js';
import { loadCheckpoint, loadMnist } from '../../src/node.js';
import { mnistFromDrawing } from '../../playground/src/preprocess.js';

const root = resolve(__dirname, '..', '..');

describe('playground MNIST preprocessing', () => {
  it('an empty drawing gives an empty image; a blob is scaled into the 20x20 box with its centre of mass at pixel 14', () => {
    expect(mnistFromDrawing(new Float32Array(280 * 280), 280, 280).every((v) => v === 0)).toBe(true);
    const g = new Float32Array(280 * 280);
    for (let y = 10; y < 60; y++) for (let x = 200; x < 225; x++) g[y * 280 + x] = 1; // 25 wide, 50 tall, top-right
    const out = mnistFromDrawing(g, 280, 280);
    let m = 0;
    let cx = 0;
    let cy = 0;
    let rows = 0;
    for (let y = 0; y < 28; y++) {
      let any = false;
      for (let x = 0; x < 28; x++) {
        const v = out[y * 28 + x];
        (m += v), (cx += v * x), (cy += v * y); // pixel indices: MNIST puts the centre of mass at index 14
        any ||= v > 0;
      }
      rows += any ? 1 : 0;
    }
    expect(rows).toBe(20); // the longer side is scaled to 20 pixels
    expect(Math.abs(cx / m - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(cy / m - 14)).toBeLessThanOrEqual(0.5);
  });

  it('300 MNIST test digits drawn at 280x280 and preprocessed: the checkpoint is as accurate as on the raw digits', async () => {
    const { model, config } = await loadCheckpoint(join(root, 'playground', 'public', 'model'));
    const steps = Number(config.meta.steps);
    const mnist = await loadMnist({ dataset: 'mnist', download: false });
    const n = 300;
    const x = new Float32Array(n * 784);
    const raw = new Float32Array(n * 784);
    for (let j = 0; j < n * 784; j++) raw[j] = mnist.test.images[2000 * 784 + j] / 255;
    for (let k = 0; k < n; k++) {
      const i = 2000 + k;
      const big = new Float32Array(280 * 280);
      for (let y = 0; y < 280; y++)
        for (let xx = 0; xx < 280; xx++)
          big[y * 280 + xx] = mnist.test.images[i * 784 + Math.floor(y / 10) * 28 + Math.floor(xx / 10)] / 255;
      x.set(mnistFromDrawing(big, 280, 280), k * 784);
    }
    const accuracy = (input: Float32Array) => {
      const { records } = model.forward(directEncode(new Tensor(input, [n, 784]), steps), defaultKernels(), { inference: false });
      const pred = predictByCount(records[records.length - 1].spk!);
      let correct = 0;
      for (let k = 0; k < n; k++) if (pred[k] === mnist.test.labels[2000 + k]) correct++;
      return correct / n;
    };
    const rawAcc = accuracy(raw);
    expect(rawAcc).toBeGreaterThan(0.9);
    expect(accuracy(x)).toBeGreaterThanOrEqual(rawAcc - 0.01);
  });
});
