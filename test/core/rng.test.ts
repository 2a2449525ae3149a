import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';

describe('Rng', () => {
  it('same seed, same stream; different seeds, different streams', () => {
    const a = new Rng(5),
      b = new Rng(5),
      c = new Rng(6);
    const sa = Array.from({ length: 50 }, () => a.nextU32());
    expect(Array.from({ length: 50 }, () => b.nextU32())).toEqual(sa);
    expect(Array.from({ length: 50 }, () => c.nextU32())).not.toEqual(sa);
    expect(sa.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32)).toBe(true);
  });

  it('fillU32 draws exactly the values (and leaves the state) that as many nextU32 calls would', () => {
    const a = new Rng(42),
      b = new Rng(42);
    a.nextU32();
    b.nextU32();
    const buf = new Uint32Array(1000);
    a.fillU32(buf, 777);
    for (let i = 0; i < 777; i++) expect(buf[i]).toBe(b.nextU32());
    expect(buf[777]).toBe(0); // n limits the fill
    expect(a.nextU32()).toBe(b.nextU32());
    expect(a.uniform()).toBe(b.uniform());
  });

  it('uniform values lie in [0, 1) with mean near 1/2', () => {
    const r = new Rng(1);
    let sum = 0;
    for (let i = 0; i < 20000; i++) {
      const u = r.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
    }
    expect(Math.abs(sum / 20000 - 0.5)).toBeLessThan(0.01);
  });
});
