import { describe, expect, it } from 'vitest';
import { haveFixtures, loadFixture, maxAbsDiff } from './helpers/fixtures.js';
import { atan, fastSigmoid, sigmoid, heaviside } from '../src/surrogate/index.js';

describe.skipIf(!haveFixtures)('surrogates match snnTorch (surrogates.json)', () => {
  const cases = haveFixtures ? loadFixture('surrogates').cases : [];
  const ours: Record<string, (p: any) => ReturnType<typeof atan>> = {
    atan: (p) => atan({ alpha: p.alpha }),
    fast_sigmoid: (p) => fastSigmoid({ slope: p.slope }),
    sigmoid: (p) => sigmoid({ slope: p.slope }),
  };
  for (const name of Object.keys(ours)) {
    it(name, () => {
      const c = cases.find((x: any) => x.name === name);
      expect(c).toBeDefined();
      const s = ours[name](c.params);
      expect(maxAbsDiff(c.x.map((x: number) => heaviside(x)), c.forward)).toBe(0);
      expect(maxAbsDiff(c.x.map((x: number) => s.grad(x)), c.grad)).toBeLessThan(1e-5);
    });
  }
});

describe('surrogates from the theory', () => {
  it('are the derivatives of their smooth step functions (finite differences)', () => {
    const smooth: Array<[ReturnType<typeof atan>, (x: number) => number]> = [
      [atan({ alpha: 2 }), (x) => Math.atan((Math.PI / 2) * 2 * x) / Math.PI + 0.5],
      [fastSigmoid({ slope: 25 }), (x) => x / (1 + 25 * Math.abs(x))],
      [sigmoid({ slope: 25 }), (x) => 1 / (1 + Math.exp(-25 * x))],
    ];
    const h = 1e-6;
    for (const [s, f] of smooth) {
      for (let x = -1.5; x <= 1.5; x += 0.0731) {
        const fd = (f(x + h) - f(x - h)) / (2 * h);
        expect(Math.abs(s.grad(x) - fd)).toBeLessThan(1e-4 * Math.max(1, fd));
      }
    }
  });
  it('reject invalid parameters', () => {
    expect(() => atan({ alpha: -1 })).toThrow(/atan alpha/);
    expect(() => fastSigmoid({ slope: Number.NaN })).toThrow(/slope/);
  });
});
