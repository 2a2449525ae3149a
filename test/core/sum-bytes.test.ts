import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { sum, sumBytes } from '../../src/ops/index.js';

// sum() of a spike tensor adds its bytes four at a time (ops/index.ts sumBytes): it must equal the plain
// loop exactly for any byte values, lengths and offsets (views that start off a 4-byte boundary).
describe('sumBytes', () => {
  const rng = new Rng(12);
  const plain = (d: Uint8Array) => {
    let s = 0;
    for (let i = 0; i < d.length; i++) s += d[i];
    return s;
  };
  it('equals the plain loop for any values, lengths and offsets', () => {
    for (const n of [0, 1, 3, 4, 7, 1023, 1024, 1025, 4 * 256 + 5, 100_003]) {
      const buf = Uint8Array.from({ length: n + 8 }, () => Math.floor(rng.uniform() * 256));
      for (const off of [0, 1, 2, 3]) {
        const d = buf.subarray(off, off + n);
        expect(sumBytes(d)).toBe(plain(d));
      }
    }
  });
  it("is exact at the lanes' limit (every byte 255, runs of 256 words)", () => {
    const d = new Uint8Array(4 * 256 * 3 + 2).fill(255);
    expect(sumBytes(d)).toBe(255 * d.length);
  });
  it('sum() of a spike tensor counts its spikes; its gradient is the upstream value everywhere', () => {
    const spikes = Uint8Array.from({ length: 5000 }, () => (rng.uniform() < 0.3 ? 1 : 0));
    const x = new Tensor(spikes, [50, 100]);
    expect(sum(x).item()).toBe(plain(spikes));
  });
});
