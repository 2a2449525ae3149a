/**
 * How a split call's work is shared between the pool's threads (pool.ts, splits.ts), learnt from when each
 * thread finished its part. Equal shares leave a thread waiting whenever the other is slower: a worker wakes
 * ~50-100 us after the caller starts its own part, some kernels' work is uneven along the split (spikes grow
 * over the first time steps, so a split over time gives the later steps more), and on a shared machine one
 * core may simply run slower. Each kind of call (kernel, split length, parts, alignment) keeps its own
 * shares: after every call, each part's speed (its elements over its finish time since the dispatch) sets a
 * target share, and the shares move a tenth of the way towards it, within half and one and a half times
 * the equal share. The shares decide only where the parts' boundaries fall; every splitter computes each
 * output element in one thread in the one-thread order, so the results are the same bits for any shares.
 */
export class SplitBalance {
  private readonly shares = new Map<string, number[]>();
  /** Learn from the calls (default); false: equal shares, as without balancing. */
  enabled = true;
  /** Shares every split with as many parts uses instead (tests: boundaries far from equal); null: none. */
  forced: number[] | null = null;

  /** The shares for a call of this kind with `parts` parts; null: equal. */
  get(key: string, parts: number): number[] | null {
    if (this.forced) return this.forced.length === parts ? this.forced : null;
    const s = this.enabled ? this.shares.get(key) : undefined;
    return s && s.length === parts ? s : null;
  }

  /**
   * Learns from one call of this kind: its parts' lengths (elements) and finish times (ms from the
   * dispatch; NaN for a part that has no time of its own, e.g. one the caller ran for a late worker).
   */
  learn(key: string, lens: readonly number[], times: readonly number[]): void {
    if (!this.enabled || this.forced) return;
    const p = lens.length;
    if (p < 2 || times.length !== p) return;
    let total = 0;
    const speed = new Array<number>(p);
    for (let i = 0; i < p; i++) {
      // a part with no time (or a clock step) teaches nothing about this call
      if (!(times[i] > 0) || !(lens[i] > 0)) return;
      speed[i] = lens[i] / times[i];
      total += speed[i];
    }
    // (a program that calls the kernels on ever new shapes does not grow this without bound)
    if (!this.shares.has(key) && this.shares.size >= MAX_KINDS) this.shares.clear();
    const known = this.shares.get(key);
    const cur = known && known.length === p ? known : new Array<number>(p).fill(1 / p);
    const next = cur.map((s, i) => Math.min(1.5 / p, Math.max(0.5 / p, s + RATE * (speed[i] / total - s))));
    const sum = next.reduce((a, b) => a + b, 0);
    this.shares.set(
      key,
      next.map((s) => s / sum),
    );
  }

  /** What was learnt: the shares of each kind of call (diagnostics). */
  learnt(): ReadonlyMap<string, readonly number[]> {
    return this.shares;
  }

  /** Forgets what was learnt. */
  reset(): void {
    this.shares.clear();
  }
}

/** Kinds of call remembered at most (then the balance starts afresh). */
const MAX_KINDS = 4096;

/** How far the shares move towards each call's target (a tenth: the shares follow a trend over ~10 calls, not one odd call). */
const RATE = 0.1;
