import { ValueError, checkArray, checkKeys, checkObject, checkRange } from '../core/errors.js';

/**
 * Spike-timing-dependent plasticity (STDP), pair-based.
 *
 * The pair rule, with dt = t_post - t_pre (ms):
 *   dt > 0 (pre before post, causal):      dw = +A+ exp(-dt / tau+)
 *   dt < 0 (post before pre, anti-causal): dw = -A- exp( dt / tau-)
 *   dt = 0:                                dw = 0
 *
 * Pairing schemes over spike trains (Morrison, Diesmann & Gerstner 2008):
 *   'all'     — every pre spike pairs with every post spike (the sum of the window over all pairs);
 *   'nearest' — symmetric nearest-spike: each post spike pairs only with the latest pre spike before it,
 *               each pre spike only with the latest post spike before it.
 *
 * Updates:
 *   'additive'       — dw as above, independent of w;
 *   'multiplicative' — weight-dependent (soft bounds): potentiation A+ (w_max - w) e^{-dt/tau+},
 *                      depression A- (w - w_min) e^{dt/tau-}.
 * After every single update the weight is clipped to the hard bounds [wMin, wMax].
 *
 * Two equivalent ways to run the rule:
 *   - the pair form (`stdpApplyPairs`): events in time order; at a post spike w gains A+ f+(w) times the
 *     sum of e^{-dt/tau+} over the paired pre spikes, at a pre spike w loses A- f-(w) times the sum of
 *     e^{dt/tau-} over the paired post spikes;
 *   - the online trace form (`StdpTraceSynapse`, and the simulator's plastic synapses): a pre trace
 *     x+ and a post trace x- decay exactly per step (x *= e^{-dt/tau}); at a pre spike w -= A- f-(w) x-,
 *     at a post spike w += A+ f+(w) x+, and only then the spiking side's trace is incremented
 *     (x += 1 for 'all', x = 1 for 'nearest' — the reset that implements nearest-spike pairing).
 *     Reading the traces before incrementing them is what makes simultaneous spikes (dt = 0) neutral.
 * On spike times that are whole steps both forms give the same weight (up to rounding).
 */
export type StdpPairing = 'all' | 'nearest';
export type StdpUpdate = 'additive' | 'multiplicative';

export interface StdpParams {
  /** Potentiation amplitude A+ (>= 0). */
  aPlus: number;
  /** Depression amplitude A- (>= 0; the rule subtracts it). */
  aMinus: number;
  /** Potentiation window tau+, ms. */
  tauPlus: number;
  /** Depression window tau-, ms. */
  tauMinus: number;
  wMin: number;
  wMax: number;
  update: StdpUpdate;
  pairing: StdpPairing;
}

export const STDP_DEFAULTS: StdpParams = {
  aPlus: 0.01,
  aMinus: 0.0105,
  tauPlus: 20,
  tauMinus: 20,
  wMin: 0,
  wMax: 1,
  update: 'additive',
  pairing: 'all',
};

/** Fills in defaults and validates; a bad value is a ValueError naming the parameter. */
export function stdpParams(p: Partial<StdpParams> = {}): StdpParams {
  checkKeys('STDP params', p, Object.keys(STDP_DEFAULTS));
  const q = { ...STDP_DEFAULTS, ...p };
  checkRange('STDP aPlus', q.aPlus, 0, 1e9);
  checkRange('STDP aMinus', q.aMinus, 0, 1e9);
  checkRange('STDP tauPlus (ms)', q.tauPlus, 1e-9, 1e12);
  checkRange('STDP tauMinus (ms)', q.tauMinus, 1e-9, 1e12);
  checkRange('STDP wMin', q.wMin, -1e12, 1e12);
  checkRange('STDP wMax', q.wMax, -1e12, 1e12);
  if (q.wMin > q.wMax) throw new ValueError(`STDP bounds: wMin ${q.wMin} is above wMax ${q.wMax}`);
  if (q.update !== 'additive' && q.update !== 'multiplicative') {
    throw new ValueError(`STDP update: expected "additive" or "multiplicative", found ${JSON.stringify(q.update)}`);
  }
  if (q.pairing !== 'all' && q.pairing !== 'nearest') {
    throw new ValueError(`STDP pairing: expected "all" or "nearest", found ${JSON.stringify(q.pairing)}`);
  }
  return q;
}

/** Spike times of the pair functions: two arrays of ms, and the parameters (from stdpParams()). */
function checkSpikeTimes(pre: unknown, post: unknown, p: unknown): void {
  checkArray('STDP preTimes', pre);
  checkArray('STDP postTimes', post);
  checkObject('STDP params', p);
}

/** The pair window: the (additive) weight change of one pre/post pair with dt = t_post - t_pre, ms. */
export function stdpWindow(dt: number, p: StdpParams): number {
  checkObject('STDP params', p);
  if (dt > 0) return p.aPlus * Math.exp(-dt / p.tauPlus);
  if (dt < 0) return -p.aMinus * Math.exp(dt / p.tauMinus);
  return 0;
}

function checkTimes(name: string, t: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(t);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i])) throw new ValueError(`${name}[${i}]: expected a finite spike time (ms), found ${out[i]}`);
    if (i > 0 && out[i] < out[i - 1])
      throw new ValueError(`${name}: spike times must be sorted, found ${out[i - 1]} then ${out[i]} at index ${i}`);
  }
  return out;
}

/**
 * The summed pair window over two spike trains (ms, sorted), without weight dependence or bounds:
 * the total additive dw under the chosen pairing.
 */
export function stdpPairDw(preTimes: ArrayLike<number>, postTimes: ArrayLike<number>, p: StdpParams): number {
  checkSpikeTimes(preTimes, postTimes, p);
  const pre = checkTimes('preTimes', preTimes);
  const post = checkTimes('postTimes', postTimes);
  let dw = 0;
  if (p.pairing === 'all') {
    for (let a = 0; a < pre.length; a++) for (let b = 0; b < post.length; b++) dw += stdpWindow(post[b] - pre[a], p);
    return dw;
  }
  // nearest: each post with the latest earlier pre, each pre with the latest earlier post
  for (const tp of post) {
    const k = lastBefore(pre, tp);
    if (k >= 0) dw += stdpWindow(tp - pre[k], p);
  }
  for (const tq of pre) {
    const k = lastBefore(post, tq);
    if (k >= 0) dw += stdpWindow(post[k] - tq, p);
  }
  return dw;
}

/** Index of the last element strictly below t (-1 if none); a is sorted. */
/**
 * The trace of the spikes at `times` seen at time t: the sum of e^{(s - t) / tau} over the earlier
 * times s (all-to-all pairing), or that of the latest one only (nearest-neighbour); 0 when none.
 */
function traceAt(times: Float64Array, t: number, tau: number, all: boolean): number {
  if (!all) {
    const k = lastBefore(times, t);
    return k >= 0 ? Math.exp((times[k] - t) / tau) : 0;
  }
  let x = 0;
  for (let k = 0; k < times.length && times[k] < t; k++) x += Math.exp((times[k] - t) / tau);
  return x;
}

function lastBefore(a: Float64Array, t: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

const clip = (w: number, p: StdpParams) => (w < p.wMin ? p.wMin : Math.min(w, p.wMax));

/** Applies potentiation with summed window term `x` (= sum of e^{-dt/tau+}) to w, then clips. */
export function stdpPotentiate(w: number, x: number, p: StdpParams): number {
  return clip(w + p.aPlus * (p.update === 'multiplicative' ? p.wMax - w : 1) * x, p);
}

/** Applies depression with summed window term `x` (= sum of e^{dt/tau-}) to w, then clips. */
export function stdpDepress(w: number, x: number, p: StdpParams): number {
  return clip(w - p.aMinus * (p.update === 'multiplicative' ? w - p.wMin : 1) * x, p);
}

/**
 * The pair form over spike trains: walks the pre and post spikes (ms, sorted) in time order and updates
 * one weight at each spike from its pairs (see the file comment). Returns the final weight and the
 * weight after each event.
 */
export function stdpApplyPairs(
  w0: number,
  preTimes: ArrayLike<number>,
  postTimes: ArrayLike<number>,
  p: StdpParams,
): { w: number; trajectory: Float64Array } {
  checkSpikeTimes(preTimes, postTimes, p);
  checkRange('STDP initial weight', w0, p.wMin, p.wMax);
  const pre = checkTimes('preTimes', preTimes);
  const post = checkTimes('postTimes', postTimes);
  const traj = new Float64Array(pre.length + post.length);
  let w = w0;
  let a = 0;
  let b = 0;
  let e = 0;
  const all = p.pairing === 'all';
  while (a < pre.length || b < post.length) {
    // at equal times the order does not matter: dt = 0 pairs contribute nothing
    if (b >= post.length || (a < pre.length && pre[a] <= post[b])) {
      w = stdpDepress(w, traceAt(post, pre[a++], p.tauMinus, all), p);
    } else w = stdpPotentiate(w, traceAt(pre, post[b++], p.tauPlus, all), p);
    traj[e++] = w;
  }
  return { w, trajectory: traj };
}

/**
 * One plastic synapse in the online trace form, advanced one step of `dt` ms at a time. The simulator's
 * plastic synapse groups run the same arithmetic over arrays (per-neuron traces).
 */
export class StdpTraceSynapse {
  /** Presynaptic trace x+ (decays with tau+). */
  xPre = 0;
  /** Postsynaptic trace x- (decays with tau-). */
  xPost = 0;
  private readonly decayPre: number;
  private readonly decayPost: number;

  constructor(
    public w: number,
    readonly params: StdpParams,
    readonly dt: number,
  ) {
    checkObject('STDP params', params);
    stdpParams(params);
    checkRange('STDP dt (ms)', dt, 1e-12, 1e9);
    checkRange('STDP initial weight', w, params.wMin, params.wMax);
    this.decayPre = Math.exp(-dt / params.tauPlus);
    this.decayPost = Math.exp(-dt / params.tauMinus);
  }

  /** One step: traces decay, then the spikes of this step update w, then the traces are incremented. */
  step(preSpike: boolean, postSpike: boolean): number {
    const p = this.params;
    this.xPre *= this.decayPre;
    this.xPost *= this.decayPost;
    if (preSpike) this.w = stdpDepress(this.w, this.xPost, p);
    if (postSpike) this.w = stdpPotentiate(this.w, this.xPre, p);
    if (preSpike) this.xPre = p.pairing === 'nearest' ? 1 : this.xPre + 1;
    if (postSpike) this.xPost = p.pairing === 'nearest' ? 1 : this.xPost + 1;
    return this.w;
  }

  /**
   * Runs whole spike trains given as step indices (sorted); returns the final weight. With `trace`
   * (length >= steps + 1), trace[0] is the starting weight and trace[s + 1] the weight after step s.
   */
  run(preSteps: ArrayLike<number>, postSteps: ArrayLike<number>, steps: number, trace?: Float32Array): number {
    if (trace) trace[0] = this.w;
    let a = 0;
    let b = 0;
    for (let s = 0; s < steps; s++) {
      let pre = false;
      let post = false;
      while (a < preSteps.length && preSteps[a] === s) (pre = true), a++;
      while (b < postSteps.length && postSteps[b] === s) (post = true), b++;
      this.step(pre, post);
      if (trace) trace[s + 1] = this.w;
    }
    return this.w;
  }
}

/**
 * The classic pairing protocol: `pairs` pre/post pairs, one every `periodMs`, the post spike `offsetMs`
 * after the pre spike (negative: before it, anti-causal). Returns the spike times and the final weight
 * under the pair form. With offset +5 ms the weight rises, with -5 ms it falls.
 */
export function stdpPairingProtocol(o: { w0: number; offsetMs: number; pairs: number; periodMs: number; params: StdpParams }): {
  w: number;
  preTimes: Float64Array;
  postTimes: Float64Array;
} {
  checkObject('stdpPairingProtocol options', o);
  const { w0, offsetMs, pairs, periodMs, params } = o;
  if (!Number.isInteger(pairs) || pairs < 1) throw new ValueError(`pairing protocol: pairs must be an integer >= 1, found ${pairs}`);
  checkRange('pairing protocol periodMs', periodMs, Math.abs(offsetMs) + 1e-9, 1e12);
  const start = Math.max(0, -offsetMs);
  const preTimes = Float64Array.from({ length: pairs }, (_, k) => start + k * periodMs);
  const postTimes = preTimes.map((t) => t + offsetMs);
  return { w: stdpApplyPairs(w0, preTimes, postTimes, params).w, preTimes, postTimes };
}
