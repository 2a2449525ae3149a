import { ValueError, checkArray, checkMethods, checkObject, describe } from '../core/errors.js';
import { stdpParams, type StdpParams } from '../plasticity/stdp.js';
import type { Connectivity } from './connect.js';
import { checkGroup, type SpikingGroup } from './group.js';

/**
 * A synapse group from `source` to `target`, stored sparse: CSR by presynaptic neuron (rowPtr, post),
 * one weight (Float64Array) and one integer delay in steps (Int32Array) per synapse. A presynaptic
 * spike at step t adds each synapse's weight to the target variable (`on_pre: target += w`) at step
 * t + delay. Delays go through a ring buffer of (maxDelay + 1) x nPost accumulators, allocated once;
 * when every delay is 0 the buffer is skipped and weights are added directly. Delays are given in ms
 * and rounded to whole steps (as Brian2 does).
 *
 * Plasticity (optional, `stdp`): the online trace form of src/plasticity/stdp.ts on every synapse, with
 * one pre trace per source neuron and one post trace per target neuron (exact for all-to-all pairing
 * and for nearest-spike pairing with reset). Pre events are the presynaptic spike steps (the delay is
 * treated as dendritic-free axonal transmission delay and does not shift the plasticity window); post
 * events are the target's spikes. Within a step: traces decay, pre spikes depress using the post trace,
 * post spikes potentiate using the pre trace, then the traces of this step's spikes are incremented.
 * Weight changes take effect from the next delivery.
 */
export type SynapseValue = number | ArrayLike<number> | ((pre: number, post: number) => number);

export interface SynapsesOptions {
  name?: string;
  /**
   * Variable of the target group that spikes add into ('ge', 'gi', 'v', ...). Omitted: the synapses
   * transmit nothing and only learn (e.g. plasticity driven by a teacher spike generator).
   */
  on?: string;
  weight: SynapseValue;
  /** ms, default 0. */
  delay?: SynapseValue;
  stdp?: Partial<StdpParams>;
  /**
   * Triplet term (ms; STDP only): potentiation at a post spike is additionally multiplied by a second,
   * slower post trace x2 (time constant tripletTau) read before this spike increments it — the
   * minimal triplet rule of Pfister & Gerstner (2006) as used in Diehl & Cook's (2015) code
   * (tc_post2 = 40 ms). The first post spike after a long silence then potentiates little.
   */
  tripletTau?: number;
}

export class Synapses {
  readonly name: string;
  readonly rowPtr: Int32Array;
  readonly post: Int32Array;
  /** Presynaptic index of each synapse. */
  readonly pre: Int32Array;
  readonly weights: Float64Array;
  /** Per-synapse delay in ms as given; `delaySteps` holds the rounded steps after prepare(). */
  readonly delayMs: Float64Array;
  readonly delaySteps: Int32Array;
  readonly stdp: StdpParams | undefined;
  /** false: STDP is paused (weights and traces stay as they are), e.g. while testing. */
  learning = true;
  readonly targetVar: Float64Array | undefined;
  /** Pre and post traces (STDP only). */
  readonly xPre: Float64Array;
  readonly xPost: Float64Array;
  /** Slow post trace of the triplet term (empty without tripletTau). */
  readonly xPost2: Float64Array;
  readonly tripletTau: number | undefined;
  private decayPost2 = 0;
  private ring = new Float64Array(0);
  private ringDirty = new Uint8Array(0);
  private ringLen = 1;
  private colPtr = new Int32Array(0);
  private colSyn = new Int32Array(0);
  private decayPre = 0;
  private decayPost = 0;

  constructor(
    readonly source: SpikingGroup,
    readonly target: SpikingGroup,
    conn: Connectivity,
    o: SynapsesOptions,
  ) {
    checkGroup('Synapses source', source);
    checkGroup('Synapses target', target);
    checkMethods('Synapses connectivity', conn, [], 'the connectivity from connect(rule, nPre, nPost, rng)');
    checkArray('Synapses connectivity rowPtr', conn.rowPtr, false);
    checkArray('Synapses connectivity post', conn.post, false);
    checkObject('Synapses options', o);
    this.name = o.name ?? `${source.name}->${target.name}`;
    if (conn.nPre !== source.size || conn.nPost !== target.size) {
      throw new ValueError(
        `${this.name}: connectivity is ${conn.nPre}x${conn.nPost}, but the groups have ${source.size} and ${target.size} neurons`,
      );
    }
    this.targetVar = o.on === undefined ? undefined : target.variable(o.on);
    this.rowPtr = conn.rowPtr;
    this.post = conn.post;
    const m = conn.post.length;
    this.pre = new Int32Array(m);
    for (let i = 0; i < conn.nPre; i++) this.pre.fill(i, conn.rowPtr[i], conn.rowPtr[i + 1]);
    this.weights = this.values('weight', o.weight, false);
    this.delayMs = this.values('delay', o.delay ?? 0, true);
    this.delaySteps = new Int32Array(m);
    this.stdp = o.stdp ? stdpParams(o.stdp) : undefined;
    this.xPre = new Float64Array(this.stdp ? source.size : 0);
    this.xPost = new Float64Array(this.stdp ? target.size : 0);
    this.tripletTau = o.tripletTau;
    if (o.tripletTau !== undefined) {
      if (!this.stdp) throw new ValueError(`${this.name}: tripletTau needs stdp`);
      if (!(o.tripletTau > 0) || !Number.isFinite(o.tripletTau))
        throw new ValueError(`${this.name} tripletTau: expected a time constant > 0 ms, found ${o.tripletTau}`);
    }
    this.xPost2 = new Float64Array(o.tripletTau !== undefined ? target.size : 0);
    if (this.stdp) {
      const p = this.stdp;
      for (let k = 0; k < m; k++) {
        if (this.weights[k] < p.wMin || this.weights[k] > p.wMax)
          throw new ValueError(`${this.name} weight[${k}] = ${this.weights[k]} is outside the STDP bounds [${p.wMin}, ${p.wMax}]`);
      }
      this.buildColumns();
    }
  }

  get size(): number {
    return this.post.length;
  }

  private values(what: string, v: SynapseValue, nonNegative: boolean): Float64Array {
    const m = this.post.length;
    const out = new Float64Array(m);
    if (typeof v !== 'number' && typeof v !== 'function' && !Array.isArray(v) && !ArrayBuffer.isView(v)) {
      throw new ValueError(
        `${this.name} ${what}: expected a number, one per synapse or a function (pre, post) => value, found ${describe(v)}`,
      );
    }
    if (typeof v === 'number') out.fill(v);
    else if (typeof v === 'function') for (let k = 0; k < m; k++) out[k] = v(this.pre[k], this.post[k]);
    else {
      if (v.length !== m) throw new ValueError(`${this.name} ${what}: expected ${m} values (one per synapse), found ${v.length}`);
      for (let k = 0; k < m; k++) out[k] = v[k];
    }
    for (let k = 0; k < m; k++) {
      if (!Number.isFinite(out[k]) || (nonNegative && out[k] < 0)) {
        throw new ValueError(
          `${this.name} ${what}[${k}] (synapse ${this.pre[k]}->${this.post[k]}): expected a finite number${nonNegative ? ' >= 0 ms' : ''}, found ${out[k]}`,
        );
      }
    }
    return out;
  }

  private buildColumns(): void {
    const nPost = this.target.size;
    const col = new Int32Array(nPost + 1);
    for (let k = 0; k < this.post.length; k++) col[this.post[k] + 1]++;
    for (let j = 0; j < nPost; j++) col[j + 1] += col[j];
    const fill = col.slice(0, nPost);
    const syn = new Int32Array(this.post.length);
    for (let k = 0; k < this.post.length; k++) syn[fill[this.post[k]]++] = k;
    this.colPtr = col;
    this.colSyn = syn;
  }

  /** Rounds delays to steps and (re)allocates the ring buffer; called by the network before a run. */
  prepare(dt: number): void {
    let max = 0;
    for (let k = 0; k < this.delayMs.length; k++) {
      const d = Math.round(this.delayMs[k] / dt);
      this.delaySteps[k] = d;
      if (d > max) max = d;
    }
    const len = max + 1;
    if (len > 1 && (len !== this.ringLen || this.ring.length !== len * this.target.size)) {
      this.ring = new Float64Array(len * this.target.size);
      this.ringDirty = new Uint8Array(len);
    }
    this.ringLen = len;
    if (this.stdp) {
      this.decayPre = Math.exp(-dt / this.stdp.tauPlus);
      this.decayPost = Math.exp(-dt / this.stdp.tauMinus);
      if (this.tripletTau !== undefined) this.decayPost2 = Math.exp(-dt / this.tripletTau);
    }
  }

  /** Schedule phase "deliver": this step's source spikes enter the pipeline; what is due now arrives. */
  deliver(step: number): void {
    const { rowPtr, post, weights, targetVar, source } = this;
    if (!targetVar) return;
    const spikes = source.spikes;
    const ns = source.spikeCount;
    if (this.ringLen === 1) {
      for (let s = 0; s < ns; s++) {
        const i = spikes[s];
        const end = rowPtr[i + 1];
        for (let k = rowPtr[i]; k < end; k++) targetVar[post[k]] += weights[k];
      }
      return;
    }
    const { ring, ringDirty, delaySteps, ringLen } = this;
    const n = this.target.size;
    for (let s = 0; s < ns; s++) {
      const i = spikes[s];
      const end = rowPtr[i + 1];
      for (let k = rowPtr[i]; k < end; k++) {
        const slot = (step + delaySteps[k]) % ringLen;
        ring[slot * n + post[k]] += weights[k];
        ringDirty[slot] = 1;
      }
    }
    const slot = step % ringLen;
    if (ringDirty[slot]) {
      const base = slot * n;
      for (let j = 0; j < n; j++) {
        const x = ring[base + j];
        if (x !== 0) {
          targetVar[j] += x;
          ring[base + j] = 0;
        }
      }
      ringDirty[slot] = 0;
    }
  }

  /** Schedule phase "plasticity" (STDP only). */
  plasticity(_step: number): void {
    const p = this.stdp;
    if (!p || !this.learning) return;
    const { xPre, xPost, decayPre, decayPost, rowPtr, post, pre, weights, colPtr, colSyn, source, target } = this;
    for (let i = 0; i < xPre.length; i++) xPre[i] *= decayPre;
    for (let j = 0; j < xPost.length; j++) xPost[j] *= decayPost;
    const xPost2 = this.xPost2;
    const triplet = xPost2.length > 0;
    for (let j = 0; j < xPost2.length; j++) xPost2[j] *= this.decayPost2;
    const { aPlus, aMinus, wMin, wMax } = p;
    const mult = p.update === 'multiplicative';
    const nearest = p.pairing === 'nearest';
    // pre spikes: depression from the post traces
    for (let s = 0; s < source.spikeCount; s++) {
      const i = source.spikes[s];
      const end = rowPtr[i + 1];
      for (let k = rowPtr[i]; k < end; k++) {
        const x = xPost[post[k]];
        if (x === 0) continue;
        let w = weights[k];
        w -= aMinus * (mult ? w - wMin : 1) * x;
        weights[k] = w < wMin ? wMin : Math.min(w, wMax);
      }
    }
    // post spikes: potentiation from the pre traces
    for (let s = 0; s < target.spikeCount; s++) {
      const j = target.spikes[s];
      const end = colPtr[j + 1];
      const f2 = triplet ? xPost2[j] : 1;
      if (f2 === 0) continue;
      for (let c = colPtr[j]; c < end; c++) {
        const k = colSyn[c];
        const x = xPre[pre[k]] * f2;
        if (x === 0) continue;
        let w = weights[k];
        w += aPlus * (mult ? wMax - w : 1) * x;
        weights[k] = w < wMin ? wMin : Math.min(w, wMax);
      }
    }
    for (let s = 0; s < source.spikeCount; s++) {
      const i = source.spikes[s];
      xPre[i] = nearest ? 1 : xPre[i] + 1;
    }
    for (let s = 0; s < target.spikeCount; s++) {
      const j = target.spikes[s];
      xPost[j] = nearest ? 1 : xPost[j] + 1;
      if (triplet) xPost2[j] = nearest ? 1 : xPost2[j] + 1;
    }
  }

  /** In-degree of every target neuron. */
  inDegrees(): Int32Array {
    const d = new Int32Array(this.target.size);
    for (let k = 0; k < this.post.length; k++) d[this.post[k]]++;
    return d;
  }
}
