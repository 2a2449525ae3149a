import { describe, expect, it } from 'vitest';
import { ValueError } from '../../src/core/errors.js';
import { concatEvents, makeEvents, searchSorted, sliceIndex, sliceTime, validateEvents } from '../../src/events/index.js';
import { plain } from './helpers.js';

const ev = makeEvents({ x: [0, 1, 2, 3, 4, 5], y: [0, 1, 0, 1, 0, 1], p: [0, 1, 1, 0, 0, 1], t: [10, 20, 20, 30, 40, 50] }, [6, 2, 2]);

describe('Events', () => {
  it('sliceTime is half-open [t0, t1), found by binary search, and shares storage', () => {
    expect([...sliceTime(ev, 20, 40).t]).toEqual([20, 20, 30]);
    expect([...sliceTime(ev, 20, 20).t]).toEqual([]);
    expect([...sliceTime(ev, 0, 10).t]).toEqual([]);
    expect([...sliceTime(ev, 0, 11).t]).toEqual([10]);
    expect([...sliceTime(ev, 50, 51).x]).toEqual([5]);
    expect([...sliceTime(ev, -Infinity, Infinity).t]).toEqual([...ev.t]);
    expect(sliceTime(ev, 20, 40).t.buffer).toBe(ev.t.buffer);
    expect(searchSorted(ev.t, 20)).toBe(1);
    expect(searchSorted(ev.t, 21)).toBe(3);
  });
  it('sliceIndex clamps to the events', () => {
    expect([...sliceIndex(ev, 4, 100).x]).toEqual([4, 5]);
    expect([...sliceIndex(ev, -3, 1).x]).toEqual([0]);
    expect(sliceIndex(ev, 3, 1).t.length).toBe(0);
  });
  it('concatEvents joins parts in order and checks sensor sizes and order', () => {
    const a = sliceTime(ev, 0, 25);
    const b = sliceTime(ev, 25, 100);
    expect(plain(concatEvents([a, b]))).toEqual(plain(ev));
    expect(() => concatEvents([b, a])).toThrow(/timestamps must be sorted/);
    expect(plain(concatEvents([b, a], { sorted: false })).t).toEqual([30, 40, 50, 10, 20, 20]);
    const other = makeEvents({ x: [0], y: [0], p: [0], t: [60] }, [7, 2, 2]);
    expect(() => concatEvents([a, other])).toThrow(/part 1 has sensor size \[7, 2, 2\], expected \[6, 2, 2\]/);
    expect(() => concatEvents([])).toThrow(ValueError);
  });
  it('makeEvents and validateEvents reject what Events cannot be', () => {
    expect(() => makeEvents({ x: [6], y: [0], p: [0], t: [0] }, [6, 2, 2])).toThrow(/event 0: x = 6 is outside the sensor width 6/);
    expect(() => makeEvents({ x: [0], y: [2], p: [0], t: [0] }, [6, 2, 2])).toThrow(/y = 2 is outside/);
    expect(() => makeEvents({ x: [0], y: [0], p: [2], t: [0] }, [6, 2, 2])).toThrow(/polarity 2 is outside 0..1/);
    expect(() => makeEvents({ x: [-1], y: [0], p: [0], t: [0] }, [6, 2, 2])).toThrow(/x\[0\]: expected a non-negative integer/);
    expect(() => makeEvents({ x: [0, 0], y: [0, 0], p: [0, 0], t: [2, 1] }, [6, 2, 2])).toThrow(
      /event 1: timestamp 1 is before the previous one/,
    );
    expect(() => makeEvents({ x: [0], y: [0], p: [0], t: [Number.NaN] }, [6, 2, 2])).toThrow(/not finite/);
    expect(() => makeEvents({ x: [0], y: [0, 1], p: [0], t: [0] }, [6, 2, 2])).toThrow(/y has 2 values but x has 1/);
    expect(() => makeEvents({ x: [0], y: [0], p: [0], t: [0] }, [0, 2, 2])).toThrow(/width/);
    expect(makeEvents({ x: [0, 0], y: [0, 0], p: [0, 0], t: [2, 1] }, [6, 2, 2], { sorted: false }).t.length).toBe(2);
    expect(() => validateEvents({ ...ev, sensorSize: [3, 2, 2] }, { file: 'f.bin' })).toThrow(/f\.bin: event 3: x = 3/);
  });
});
