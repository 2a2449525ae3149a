import { describe, expect, it } from 'vitest';
import { gatherBatch } from '../../src/train/trainer.js';

// gatherBatch: the rows of a batch in the order given, uint8 pixels scaled to [0, 1] (v / 255 rounded to
// float32), float inputs as they are; into a reused array (the trainer's) with nothing left from before.

describe('gatherBatch', () => {
  const F = 5;
  const u8 = Uint8Array.from({ length: 4 * F }, (_, i) => (i * 37) % 256);
  const labels = Uint8Array.of(3, 1, 4, 1);
  const idx = [2, 0, 3];

  it('uint8 rows scaled by 1/255, in the order of the index; labels alike', () => {
    const { x, y } = gatherBatch({ inputs: u8, labels, n: 4, features: F }, idx, 0, 3);
    expect(x.shape).toEqual([3, F]);
    const want = idx.flatMap((r) => Array.from(u8.subarray(r * F, (r + 1) * F), (v) => Math.fround(v / 255)));
    expect(Array.from(x.data)).toEqual(want);
    expect(Array.from(y)).toEqual([4, 3, 1]);
  });

  it('float rows copied exactly; into a reused array, only its first rows, every stale value replaced', () => {
    const f32 = Float32Array.from({ length: 4 * F }, (_, i) => Math.fround(i * 0.1 - 0.7));
    const into = new Float32Array(5 * F).fill(Number.NaN);
    const { x } = gatherBatch({ inputs: f32, labels, n: 4, features: F }, idx, 1, 3, into);
    expect(x.data.buffer).toBe(into.buffer);
    expect(x.data.length).toBe(2 * F);
    expect(Array.from(x.data)).toEqual([...f32.subarray(0, F), ...f32.subarray(3 * F, 4 * F)]);
    expect(Number.isNaN(into[2 * F])).toBe(true); // beyond the batch: untouched
  });
});
