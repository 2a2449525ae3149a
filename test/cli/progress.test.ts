import { describe, expect, it } from 'vitest';
import { createProgress, formatCount, formatDuration, formatRate, type ProgressOptions } from '../../src/cli/progress.js';
import { ValueError } from '../../src/core/errors.js';

/** A fake stream that records writes, and a clock the test moves by hand (seconds). */
function setup(isTTY: boolean, opts: Partial<ProgressOptions> = {}, columns?: number) {
  const out: string[] = [];
  const clock = { t: 100 };
  const stream = { write: (s: string) => out.push(s), isTTY, columns };
  const p = createProgress({ total: 10, label: 'epoch 1/2', stream, now: () => clock.t, ...opts });
  return { out, clock, p, at: (t: number) => (clock.t = 100 + t) };
}

describe('progress on a TTY', () => {
  it('draws one line redrawn with \\r: bar, percentage, count, fields, elapsed, ETA from the rate', () => {
    const { out, p, at } = setup(true);
    at(4);
    p.update(4, { loss: 0.51234, acc: '88.1%', 'samples/s': 1200 });
    expect(out).toEqual([
      '\repoch 1/2 [#########...............]  40% 4/10  loss 0.5123  acc 88.1%  samples/s 1200  elapsed 4s  ETA 6s\x1b[K',
    ]);
  });

  it('throttles redraws to one per 0.1 s but always draws completion; done() ends the line', () => {
    const { out, p, at } = setup(true);
    at(1);
    p.update(1);
    at(1.05);
    p.update(2);
    at(1.09);
    p.update(3);
    expect(out).toHaveLength(1);
    at(1.2);
    p.update(4);
    expect(out).toHaveLength(2);
    expect(out[1]).toContain(' 40% 4/10');
    at(1.21);
    p.update(10); // complete: drawn despite the throttle
    expect(out).toHaveLength(3);
    expect(out[2]).toContain('100% 10/10');
    expect(out[2]).not.toContain('ETA');
    at(2);
    p.done();
    expect(out).toHaveLength(4);
    expect(out[3]).toBe('\repoch 1/2 [########################] 100% 10/10  elapsed 2s\x1b[K\n');
    // nothing after done()
    p.update(3);
    p.done();
    expect(out).toHaveLength(4);
    expect(out.slice(0, 3).every((s) => s.startsWith('\r') && !s.includes('\n'))).toBe(true);
  });

  it('done() draws the latest state even when its update was throttled', () => {
    const { out, p, at } = setup(true);
    at(1);
    p.update(1, { loss: 2 });
    at(1.01);
    p.update(7, { loss: 1 });
    p.done();
    expect(out).toHaveLength(2);
    expect(out[1]).toContain(' 70% 7/10  loss 1  elapsed 1s');
    expect(out[1].endsWith('\n')).toBe(true);
  });

  it('ETA uses the rate over the last rateWindow seconds only', () => {
    const { out, p, at } = setup(true, { total: 2000, rateWindow: 5 });
    for (let s = 1; s <= 10; s++) {
      at(s);
      p.update(s); // 1 item per second
    }
    expect(out.at(-1)).toContain('ETA 33m10s'); // 1990 left at 1/s
    for (let s = 11; s <= 20; s++) {
      at(s);
      p.update(10 + 50 * (s - 10)); // then 50 items per second
    }
    // at t = 20: done = 510, window base is the point at t = 15 (260): (510 - 260) / 5 = 50/s; 1490 left
    expect(out.at(-1)).toContain('510/2000');
    expect(out.at(-1)).toContain('ETA 30s');
    // the overall average (510 / 20 = 25.5/s) would say 58s
  });

  it('with a unit: shows the rate; bytes are formatted in binary units', () => {
    const { out, p, at } = setup(true, { total: 10 * 1024 * 1024, unit: 'B', label: 'download train-images' });
    at(2);
    p.update(3 * 1024 * 1024);
    expect(out[0]).toBe('\rdownload train-images [#######.................]  30% 3.00 MiB/10.0 MiB  1.50 MiB/s  elapsed 2s  ETA 5s\x1b[K');
  });

  it('unknown total (0): no bar, percentage or ETA; the count and rate only', () => {
    const { out, p, at } = setup(true, { total: 0, unit: 'B', label: 'download x' });
    at(4);
    p.update(2048);
    expect(out[0]).toBe('\rdownload x 2.00 KiB  512 B/s  elapsed 4s\x1b[K');
  });

  it('cuts the line to the terminal width so \\r redraws in place', () => {
    const { out, p, at } = setup(true, {}, 30);
    at(1);
    p.update(5, { loss: 1 });
    expect(out[0]).toBe('\r' + 'epoch 1/2 [############............]  50% 5/10'.slice(0, 29) + '\x1b[K');
    p.done();
    expect(out[1]).toBe('\r' + 'epoch 1/2 [############............]'.slice(0, 29) + '\x1b[K\n');
  });
});

describe('progress in logs (not a TTY)', () => {
  it('writes plain lines at the first update and every 10%', () => {
    const { out, p, at } = setup(false, { total: 100, label: 'ep' });
    for (let i = 1; i <= 100; i++) {
      at(i * 0.1);
      p.update(i);
    }
    expect(out).toHaveLength(11);
    expect(out[0]).toBe('ep [........................]   1% 1/100  elapsed 0s  ETA 10s\n');
    expect(out.map((l) => /(\d+)% /.exec(l)![1])).toEqual(['1', '10', '20', '30', '40', '50', '60', '70', '80', '90', '100']);
    expect(out.every((l) => l.endsWith('\n') && !l.includes('\r') && !l.includes('\x1b'))).toBe(true);
    p.done(); // the last state was written already
    expect(out).toHaveLength(11);
  });

  it('writes at least every logInterval seconds when progress is slow, and the final state at done()', () => {
    const { out, p, at } = setup(false, { total: 1000, logInterval: 30 });
    at(1);
    p.update(1);
    for (let s = 2; s <= 95; s++) {
      at(s);
      p.update(s); // 0.1% per second: no 10% step in 95 s
    }
    expect(out).toHaveLength(4); // t = 1, 31, 61, 91
    expect(out.map((l) => /elapsed (\S+)/.exec(l)![1])).toEqual(['1s', '31s', '1m01s', '1m31s']);
    expect(out[3]).toContain('ETA 15m09s'); // 1 item/s, 909 left
    at(96);
    p.update(96, { loss: 0.2 });
    p.done();
    expect(out).toHaveLength(5);
    expect(out[4]).toBe('epoch 1/2 [##......................]   9% 96/1000  loss 0.2  elapsed 1m36s\n');
  });

  it('unknown total: time-based lines only', () => {
    const { out, p, at } = setup(false, { total: 0, logInterval: 10, unit: 'item' });
    for (let s = 1; s <= 25; s++) {
      at(s);
      p.update(s * 1000);
    }
    expect(out).toEqual([
      'epoch 1/2 1.00k item  1.00k item/s  elapsed 1s\n',
      'epoch 1/2 11.0k item  1.00k item/s  elapsed 11s\n',
      'epoch 1/2 21.0k item  1.00k item/s  elapsed 21s\n',
    ]);
  });

  it('takes isTTY from the stream unless told, and writes nothing if never updated', () => {
    const tty = setup(true);
    tty.at(1);
    tty.p.update(1);
    expect(tty.out[0].startsWith('\r')).toBe(true);
    const forced = setup(true, { isTTY: false });
    forced.at(1);
    forced.p.update(1);
    expect(forced.out[0].startsWith('epoch')).toBe(true);
    const idle = setup(true);
    idle.p.done();
    expect(idle.out).toEqual([]);
  });

  it('rejects a bad total', () => {
    expect(() => createProgress({ total: -1, label: 'x', stream: { write: () => 0 } })).toThrow(ValueError);
    expect(() => createProgress({ total: NaN, label: 'x', stream: { write: () => 0 } })).toThrow(
      /total must be a finite number >= 0 \(0 = unknown\), found NaN/,
    );
  });
});

describe('formatting helpers', () => {
  it('formatDuration', () => {
    expect([0, 0.4, 5, 59.4, 59.6, 75, 3599, 3700, 86399, 90000].map(formatDuration)).toEqual([
      '0s',
      '0s',
      '5s',
      '59s',
      '1m00s',
      '1m15s',
      '59m59s',
      '1h01m',
      '23h59m',
      '1d01h',
    ]);
    expect([NaN, Infinity, -1].map(formatDuration)).toEqual(['--', '--', '--']);
  });

  it('formatRate', () => {
    expect(formatRate(0)).toBe('0 it/s');
    expect(formatRate(0.25)).toBe('0.25 it/s');
    expect(formatRate(Math.PI)).toBe('3.14 it/s');
    expect(formatRate(12.34, 'batch')).toBe('12.3 batch/s');
    expect(formatRate(123.4, 'samples')).toBe('123 samples/s');
    expect(formatRate(1234, 'samples')).toBe('1.23k samples/s');
    expect(formatRate(45_600_000)).toBe('45.6M it/s');
    expect(formatRate(1536, 'B')).toBe('1.50 KiB/s');
    expect(formatRate(500, 'B')).toBe('500 B/s');
    expect([NaN, Infinity, -1].map((x) => formatRate(x))).toEqual(['--', '--', '--']);
  });

  it('formatCount', () => {
    expect(formatCount(1234)).toBe('1234');
    expect(formatCount(1234, 'samples')).toBe('1.23k samples');
    expect(formatCount(11_490_434, 'B')).toBe('11.0 MiB');
    expect(formatCount(3 * 2 ** 30, 'B')).toBe('3.00 GiB');
  });
});
