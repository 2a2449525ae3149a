import { ValueError } from '../core/errors.js';

/**
 * A progress display for training and downloads.
 *
 * On a terminal it is one line redrawn in place with `\r` (at most ~10 times a second):
 *   epoch 1/3 [#########...............]  38% 180/468  loss 0.412  acc 88.1%  elapsed 12s  ETA 19s
 * Elsewhere (logs, CI, pipes) it writes a plain line at the first update, each time another 10% is
 * done, at least every `logInterval` seconds, and once more at done() if the last state was not
 * written; so logs stay short and readable. The ETA comes from the rate over the last
 * `rateWindow` seconds, so warm-up and slow starts stop counting once they are past.
 */
export interface Progress {
  /** `done` items out of the total are finished; `fields` are shown after the count (e.g. loss). */
  update(done: number, fields?: Record<string, string | number>): void;
  /** Writes the final state (ending the line on a TTY). Later calls to either method are ignored. */
  done(): void;
}

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  /** Terminal width: a TTY line is cut to fit so `\r` redraws in place. */
  columns?: number;
}

export interface ProgressOptions {
  /** Items in all; 0 when unknown (then no bar, percentage or ETA, only the count and rate). */
  total: number;
  label: string;
  /** Default: process.stderr. */
  stream?: ProgressStream;
  /** Default: stream.isTTY. */
  isTTY?: boolean;
  /** Clock in seconds, monotonic. Default: performance.now() / 1000. Inject one for tests. */
  now?: () => number;
  /**
   * Unit of the count. 'B' formats counts as bytes (KiB, MiB, ...); any unit also adds the rate
   * ("2.1 MiB/s", "31.5 batch/s") to the line. Default: none (plain counts, no rate).
   */
  unit?: string;
  /** Minimum seconds between TTY redraws (default 0.1). */
  redrawInterval?: number;
  /** Non-TTY: write a line at least this often, in seconds (default 30). */
  logInterval?: number;
  /** Non-TTY: write a line each time this many more percent are done (default 10). */
  logPercent?: number;
  /** Seconds of recent history the rate (and so the ETA) is measured over (default 10). */
  rateWindow?: number;
  /** Characters inside the bar's brackets (default 24). */
  barWidth?: number;
}

/** "5s", "1m15s", "1h01m", "2d03h"; "--" when unknown (NaN, infinite or negative). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

/** About three significant digits: 0.25, 3.14, 12.3, 123, 1.23k, 45.6M. */
function compact(x: number): string {
  const a = Math.abs(x);
  if (a < 10) return x.toFixed(2).replace(/\.?0+$/, '') || '0';
  if (a < 100) return x.toFixed(1).replace(/\.0$/, '');
  if (a < 1000) return x.toFixed(0);
  const units = ['k', 'M', 'G', 'T'];
  let v = x;
  let i = -1;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Math.abs(v) < 10 ? v.toFixed(2) : Math.abs(v) < 100 ? v.toFixed(1) : v.toFixed(0)}${units[i]}`;
}

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(v)} B` : `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)} ${units[i]}`;
}

/** A count in a unit: bytes for 'B' ("1.50 MiB"), otherwise "1.23k batch" (no unit: "1234"). */
export function formatCount(n: number, unit?: string): string {
  if (!Number.isFinite(n)) return '--';
  if (unit === 'B') return bytes(n);
  return unit ? `${compact(n)} ${unit}` : String(n);
}

/** A rate: "12.3 it/s", "1.23k samples/s", "2.10 MiB/s" for unit 'B'; "--" when unknown. */
export function formatRate(perSecond: number, unit = 'it'): string {
  if (!Number.isFinite(perSecond) || perSecond < 0) return '--';
  return unit === 'B' ? `${bytes(perSecond)}/s` : `${compact(perSecond)} ${unit}/s`;
}

function fieldText(v: string | number): string {
  if (typeof v === 'string') return v;
  if (Number.isInteger(v) || !Number.isFinite(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}

export function createProgress(o: ProgressOptions): Progress {
  if (typeof o.total !== 'number' || !Number.isFinite(o.total) || o.total < 0) {
    throw new ValueError(`createProgress: total must be a finite number >= 0 (0 = unknown), found ${String(o.total)}`);
  }
  const stream: ProgressStream = o.stream ?? process.stderr;
  const tty = o.isTTY ?? Boolean(stream.isTTY);
  const now = o.now ?? (() => performance.now() / 1000);
  const total = o.total;
  const redrawInterval = o.redrawInterval ?? 0.1;
  const logInterval = o.logInterval ?? 30;
  const logPercent = o.logPercent ?? 10;
  const rateWindow = o.rateWindow ?? 10;
  const barWidth = o.barWidth ?? 24;

  const t0 = now();
  /** (time, done) points, one at most every quarter second, covering the last rateWindow seconds. */
  const history: Array<{ t: number; done: number }> = [{ t: t0, done: 0 }];
  let count = 0;
  let fields: Record<string, string | number> = {};
  let updates = 0;
  let written = 0; // the value of `updates` when a line was last written
  let lastWrite = -Infinity;
  let lastBucket = -1;
  let finished = false;

  const rate = (t: number): number => {
    const base = history[0];
    return t > base.t ? (count - base.done) / (t - base.t) : NaN;
  };

  const render = (t: number, final: boolean): string => {
    const parts: string[] = [o.label];
    const r = rate(t);
    if (total > 0) {
      const frac = Math.min(1, count / total);
      const filled = Math.floor(frac * barWidth);
      parts.push(`[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${String(Math.floor(100 * frac)).padStart(3)}%`);
      parts.push(o.unit === 'B' ? `${bytes(count)}/${bytes(total)}` : `${count}/${total}`);
    } else parts.push(formatCount(count, o.unit));
    const head = parts.join(' ');
    const tail: string[] = Object.entries(fields).map(([k, v]) => `${k} ${fieldText(v)}`);
    if (o.unit) tail.push(formatRate(final ? (t > t0 ? count / (t - t0) : NaN) : r, o.unit));
    tail.push(`elapsed ${formatDuration(t - t0)}`);
    if (total > 0 && !final && count < total) tail.push(`ETA ${formatDuration(r > 0 ? (total - count) / r : NaN)}`);
    return [head, ...tail].join('  ');
  };

  const fit = (line: string): string => {
    const cols = stream.columns;
    return cols && cols > 1 && line.length > cols - 1 ? line.slice(0, cols - 1) : line;
  };

  const write = (t: number, final: boolean): void => {
    const line = render(t, final);
    stream.write(tty ? `\r${fit(line)}\x1b[K${final ? '\n' : ''}` : `${line}\n`);
    written = updates;
    lastWrite = t;
  };

  return {
    update(done, f) {
      if (finished) return;
      const t = now();
      count = Number.isFinite(done) && done > 0 ? done : 0;
      if (f) fields = f;
      updates++;
      const last = history[history.length - 1];
      if (t - last.t >= 0.25) history.push({ t, done: count });
      while (history.length > 2 && history[1].t <= t - rateWindow) history.shift();

      const complete = total > 0 && count >= total;
      if (tty) {
        if (written === 0 || complete || t - lastWrite >= redrawInterval) write(t, false);
      } else {
        const bucket = total > 0 ? Math.floor((Math.min(count, total) * 100) / total / logPercent) : 0;
        if (written === 0 || bucket > lastBucket || t - lastWrite >= logInterval) {
          lastBucket = Math.max(lastBucket, bucket);
          write(t, false);
        }
      }
    },
    done() {
      if (finished) return;
      finished = true;
      if (updates === 0) return;
      // On a TTY always: the final state and the newline. Elsewhere only if the last state is unwritten.
      if (tty || written !== updates) write(now(), true);
    },
  };
}
