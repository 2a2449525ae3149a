import { ValueError, checkArray, checkBool, checkInt, checkObject, checkRange, checkRng } from '../core/errors.js';
import type { Rng } from '../core/rng.js';

/**
 * Connection rules as values. `connect(rule, nPre, nPost, rng)` returns the connectivity in CSR form
 * (rows = presynaptic neurons, sorted by post index within a row). Self-connections (i == j, which only
 * mean something when the source and target are the same group) are allowed unless `allowSelf: false`,
 * as in Brian2's `connect(p=...)`.
 *
 * - allToAll():                every pair
 * - oneToOne():                i -> i (nPre must equal nPost)
 * - fixedProbability(p):       each pair independently with probability p (Brian2's connect(p=p));
 *                              `preRange`/`postRange` [lo, hi) restrict the candidates (Brian2's
 *                              condition 'i<3200'); sampled by geometric skipping, O(synapses) time
 * - fixedInDegree(k):          every post neuron gets exactly k distinct pre neurons, uniformly
 * - custom((i, j) => boolean): a predicate over all pairs
 */
export type ConnectionRule =
  | { kind: 'all-to-all'; allowSelf: boolean }
  | { kind: 'one-to-one' }
  | { kind: 'fixed-probability'; p: number; allowSelf: boolean; preRange?: [number, number]; postRange?: [number, number] }
  | { kind: 'fixed-in-degree'; k: number; allowSelf: boolean }
  | { kind: 'custom'; predicate: (i: number, j: number) => boolean };

export function allToAll(o: { allowSelf?: boolean } = {}): ConnectionRule {
  checkRuleOptions('allToAll', o);
  return { kind: 'all-to-all', allowSelf: o.allowSelf ?? true };
}
export const oneToOne = (): ConnectionRule => ({ kind: 'one-to-one' });
export function fixedProbability(
  p: number,
  o: { allowSelf?: boolean; preRange?: [number, number]; postRange?: [number, number] } = {},
): ConnectionRule {
  checkRange('connection probability p', p, 0, 1);
  checkRuleOptions('fixedProbability', o);
  if (o.preRange !== undefined) checkArray('fixedProbability preRange', o.preRange);
  if (o.postRange !== undefined) checkArray('fixedProbability postRange', o.postRange);
  return { kind: 'fixed-probability', p, allowSelf: o.allowSelf ?? true, preRange: o.preRange, postRange: o.postRange };
}
export function fixedInDegree(k: number, o: { allowSelf?: boolean } = {}): ConnectionRule {
  checkInt('in-degree k', k, 0);
  checkRuleOptions('fixedInDegree', o);
  return { kind: 'fixed-in-degree', k, allowSelf: o.allowSelf ?? true };
}
export function custom(predicate: (i: number, j: number) => boolean): ConnectionRule {
  if (typeof predicate !== 'function') throw new ValueError('custom connection rule: expected a function (i, j) => boolean');
  return { kind: 'custom', predicate };
}

function checkRuleOptions(who: string, o: { allowSelf?: boolean }): void {
  checkObject(`${who} options`, o);
  checkBool(`${who} allowSelf`, o.allowSelf);
}

export interface Connectivity {
  nPre: number;
  nPost: number;
  /** Synapses of pre neuron i are rowPtr[i] .. rowPtr[i+1]-1. */
  rowPtr: Int32Array;
  /** Post index of each synapse. */
  post: Int32Array;
}

/** Growable Int32 buffer (doubling). */
class IntBuf {
  a = new Int32Array(1024);
  n = 0;
  push(x: number): void {
    if (this.n === this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = x;
  }
}

function checkRangeArg(name: string, r: [number, number] | undefined, n: number): [number, number] {
  if (!r) return [0, n];
  const [lo, hi] = r;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi > n || lo > hi)
    throw new ValueError(`${name}: expected integers 0 <= lo <= hi <= ${n}, found [${lo}, ${hi}]`);
  return [lo, hi];
}

export function connect(rule: ConnectionRule, nPre: number, nPost: number, rng: Rng): Connectivity {
  checkObject('connect rule (allToAll(), fixedProbability(p), ...)', rule);
  checkInt('nPre', nPre, 1);
  checkInt('nPost', nPost, 1);
  if (rule.kind === 'fixed-probability' || rule.kind === 'fixed-in-degree')
    checkRng(`connect rng (a ${rule.kind} rule draws at random)`, rng);
  const rowPtr = new Int32Array(nPre + 1);
  const post = new IntBuf();
  const finish = (): Connectivity => ({ nPre, nPost, rowPtr, post: post.a.slice(0, post.n) });
  switch (rule.kind) {
    case 'all-to-all':
      for (let i = 0; i < nPre; i++) {
        for (let j = 0; j < nPost; j++) if (rule.allowSelf || i !== j) post.push(j);
        rowPtr[i + 1] = post.n;
      }
      return finish();
    case 'one-to-one':
      if (nPre !== nPost) throw new ValueError(`one-to-one connection: source has ${nPre} neurons, target ${nPost}; they must be equal`);
      for (let i = 0; i < nPre; i++) {
        post.push(i);
        rowPtr[i + 1] = post.n;
      }
      return finish();
    case 'fixed-probability': {
      const [plo, phi] = checkRangeArg('preRange', rule.preRange, nPre);
      const [qlo, qhi] = checkRangeArg('postRange', rule.postRange, nPost);
      const p = rule.p;
      const logq = Math.log1p(-p);
      for (let i = 0; i < nPre; i++) {
        if (i >= plo && i < phi && p > 0) {
          if (p >= 1) {
            for (let j = qlo; j < qhi; j++) if (rule.allowSelf || i !== j) post.push(j);
          } else {
            // geometric skipping: the gap to the next accepted candidate is Geometric(p)
            let j = qlo - 1;
            for (;;) {
              j += 1 + Math.floor(Math.log(1 - rng.uniform()) / logq);
              if (j >= qhi) break;
              if (rule.allowSelf || i !== j) post.push(j);
            }
          }
        }
        rowPtr[i + 1] = post.n;
      }
      return finish();
    }
    case 'fixed-in-degree': {
      const k = rule.k;
      const candidates = rule.allowSelf ? nPre : nPre - 1;
      if (k > candidates) throw new ValueError(`fixed in-degree ${k}: only ${candidates} distinct presynaptic neurons available`);
      // choose k distinct pre for each post (partial Fisher-Yates), then transpose to CSR by pre
      const pool = new Int32Array(nPre);
      const pre = new Int32Array(k * nPost);
      for (let j = 0; j < nPost; j++) {
        let m = 0;
        for (let i = 0; i < nPre; i++) if (rule.allowSelf || i !== j) pool[m++] = i;
        for (let s = 0; s < k; s++) {
          const r = s + rng.int(m - s);
          const t = pool[s];
          pool[s] = pool[r];
          pool[r] = t;
          pre[j * k + s] = pool[s];
        }
      }
      const count = new Int32Array(nPre + 1);
      for (let s = 0; s < pre.length; s++) count[pre[s] + 1]++;
      for (let i = 0; i < nPre; i++) count[i + 1] += count[i];
      rowPtr.set(count);
      const out = new Int32Array(pre.length);
      const fill = count.slice(0, nPre);
      for (let j = 0; j < nPost; j++) for (let s = 0; s < k; s++) out[fill[pre[j * k + s]]++] = j; // j increasing: rows sorted
      return { nPre, nPost, rowPtr, post: out };
    }
    case 'custom':
      for (let i = 0; i < nPre; i++) {
        for (let j = 0; j < nPost; j++) if (rule.predicate(i, j)) post.push(j);
        rowPtr[i + 1] = post.n;
      }
      return finish();
    default:
      throw new ValueError(`unknown connection rule ${JSON.stringify((rule as { kind: unknown }).kind)}`);
  }
}
