/** A live progress line for training and downloads: redrawn in place on a TTY, plain lines otherwise. */
export interface Progress {
  update(done: number, fields?: Record<string, string | number>): void;
  done(): void;
}

export interface ProgressOptions {
  total: number;
  label: string;
  stream?: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  isTTY?: boolean;
  /** Seconds, monotonic (injectable for tests). */
  now?: () => number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function createProgress(o: ProgressOptions): Progress {
  const stream = o.stream ?? process.stderr;
  const tty = o.isTTY ?? Boolean(stream.isTTY);
  const now = o.now ?? (() => performance.now() / 1000);
  const t0 = now();
  let lastDraw = -Infinity;
  let lastPct = -1;
  let lastLine = '';
  let finished = false;

  const render = (done: number, fields: Record<string, string | number>): string => {
    const elapsed = now() - t0;
    const frac = o.total > 0 ? Math.min(1, done / o.total) : 0;
    const eta = done > 0 && o.total > 0 ? (elapsed / done) * (o.total - done) : NaN;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const f = Object.entries(fields).map(([k, v]) => `${k} ${v}`).join('  ');
    const count = o.total > 0 ? `${done}/${o.total}` : `${done}`;
    return `${o.label} ${bar} ${(100 * frac).toFixed(0).padStart(3)}% ${count}${f ? `  ${f}` : ''}  elapsed ${formatDuration(elapsed)}  ETA ${formatDuration(eta)}`;
  };

  return {
    update(done, fields = {}) {
      if (finished) return;
      const t = now();
      lastLine = render(done, fields);
      if (tty) {
        if (t - lastDraw < 0.1 && done < o.total) return;
        lastDraw = t;
        const cols = stream.columns ?? 160;
        stream.write(`\r${lastLine.slice(0, cols - 1)}\x1b[K`);
      } else {
        const pct = o.total > 0 ? Math.floor((10 * done) / o.total) : 0;
        if (pct > lastPct || t - lastDraw >= 30) {
          lastPct = pct;
          lastDraw = t;
          stream.write(`${lastLine}\n`);
        }
      }
    },
    done() {
      if (finished) return;
      finished = true;
      if (tty) stream.write(lastLine ? `\r${lastLine}\x1b[K\n` : '');
    },
  };
}
