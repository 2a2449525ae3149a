import { Tensor } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { ShapeError, ValueError, checkArray, checkInt, checkObject, checkRange, checkRng, checkTensor } from '../core/errors.js';
import type { Seq } from '../core/seq.js';
import { rateEncode } from './index.js';

/**
 * Population coding with Gaussian receptive fields (Bohte, Kok & La Poutre 2002): each input value is
 * seen by `neurons` neurons whose preferred values (centres) are evenly spaced over [min, max] of that
 * feature; neuron i responds exp(-(x - mu_i)^2 / (2 sigma^2)), a value in (0, 1]. The default width
 * sigma = (max - min) / (gamma (neurons - 2)) with gamma = 1.5 is the paper's choice (neighbouring
 * fields overlap); for neurons <= 2 it is half the range.
 */
export interface PopulationOptions {
  /** Neurons per input value (>= 1). */
  neurons: number;
  /** Lower end of each feature's range: one number for all features or one per feature. */
  min: number | ArrayLike<number>;
  /** Upper end of each feature's range. */
  max: number | ArrayLike<number>;
  /** Width of the tuning curves as gamma in sigma = range / (gamma (neurons - 2)); default 1.5. */
  gamma?: number;
}

export interface PopulationCode {
  features: number;
  neurons: number;
  /** centres[f * neurons + i]: preferred value of neuron i of feature f. */
  centres: Float32Array;
  /** sigma[f]: tuning width of feature f's neurons. */
  sigma: Float32Array;
}

function perFeature(name: string, v: number | ArrayLike<number>, features: number): Float64Array {
  if (typeof v === 'number') return new Float64Array(features).fill(v);
  checkArray(`population ${name}`, v);
  if (v.length !== features) throw new ShapeError(`population ${name}: expected ${features} values (one per feature), found ${v.length}`);
  return Float64Array.from(v);
}

/** The receptive fields (centres and widths) for `features` input values. */
export function populationCode(features: number, o: PopulationOptions): PopulationCode {
  checkInt('population features', features, 1);
  checkObject('population options', o);
  checkInt('population neurons', o.neurons, 1);
  const gamma = o.gamma ?? 1.5;
  checkRange('population gamma', gamma, 1e-6, 1e6);
  const lo = perFeature('min', o.min, features);
  const hi = perFeature('max', o.max, features);
  const N = o.neurons;
  const centres = new Float32Array(features * N);
  const sigma = new Float32Array(features);
  for (let f = 0; f < features; f++) {
    if (!(Number.isFinite(lo[f]) && Number.isFinite(hi[f]) && hi[f] > lo[f])) {
      throw new ValueError(`population feature ${f}: expected min < max, found min ${lo[f]}, max ${hi[f]}`);
    }
    const range = hi[f] - lo[f];
    for (let i = 0; i < N; i++) centres[f * N + i] = N === 1 ? (lo[f] + hi[f]) / 2 : lo[f] + (range * i) / (N - 1);
    sigma[f] = N <= 2 ? range / 2 : range / (gamma * (N - 2));
  }
  return { features, neurons: N, centres, sigma };
}

/** Responses in (0, 1] of every neuron to a batch x [B, features] -> [B, features * neurons]. */
export function populationResponses(x: Tensor, code: PopulationCode): Tensor {
  checkTensor('population x', x);
  checkObject('population code (from populationCode())', code);
  const F = code.features;
  const N = code.neurons;
  if (x.shape[x.shape.length - 1] !== F) {
    throw new ShapeError(
      `populationResponses: input has ${x.shape[x.shape.length - 1]} features (shape [${x.shape.join(', ')}]), the code has ${F}`,
    );
  }
  const rows = x.size / F;
  const out = new Float32Array(rows * F * N);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < F; f++) {
      const v = x.data[r * F + f];
      if (Number.isNaN(v)) throw new ValueError(`populationResponses: value ${r * F + f} is NaN`);
      const inv = 1 / (2 * code.sigma[f] * code.sigma[f]);
      for (let i = 0; i < N; i++) {
        const d = v - code.centres[f * N + i];
        out[(r * F + f) * N + i] = Math.exp(-d * d * inv);
      }
    }
  }
  return new Tensor(out, [...x.shape.slice(0, -1), F * N]);
}

export type PopulationMode = 'current' | 'rate' | 'latency';

/**
 * Encodes a batch [B, features] as a sequence over `steps` steps:
 *  - 'current': the responses are a constant input current (direct encoding of the population);
 *  - 'rate': each neuron fires with probability equal to its response at every step (Bernoulli);
 *  - 'latency': each neuron fires once, at step round((1 - response) * (steps - 1)), so the best-tuned
 *    neurons fire first; responses below `minResponse` (default 0.1) stay silent.
 */
export function populationEncode(
  x: Tensor,
  code: PopulationCode,
  steps: number,
  mode: PopulationMode = 'current',
  rng?: Rng,
  minResponse = 0.1,
): Seq {
  checkInt('steps', steps, 1);
  const resp = populationResponses(x, code);
  if (mode === 'current') return { x: resp, steps, constant: true };
  if (mode === 'rate') {
    checkRng('populationEncode rng (rate mode draws random spikes)', rng);
    return rateEncode(resp, steps, rng);
  }
  if (mode !== 'latency') throw new ValueError(`populationEncode: mode must be current, rate or latency, found ${JSON.stringify(mode)}`);
  checkRange('minResponse', minResponse, 0, 1);
  const n = resp.size;
  const out = new Uint8Array(steps * n);
  for (let i = 0; i < n; i++) {
    const a = resp.data[i];
    if (a < minResponse) continue;
    out[Math.round((1 - a) * (steps - 1)) * n + i] = 1;
  }
  return { x: new Tensor(out, [steps, ...resp.shape]), steps, constant: false };
}

/**
 * Decodes a value per feature from population activity [B, features * neurons] (spike counts or
 * responses): the activity-weighted mean of the neurons' preferred values (NaN where all are silent).
 */
export function populationDecode(activity: ArrayLike<number>, code: PopulationCode): Float32Array {
  checkArray('population activity', activity, false);
  checkObject('population code (from populationCode())', code);
  const F = code.features;
  const N = code.neurons;
  if (activity.length % (F * N) !== 0) throw new ShapeError(`populationDecode: ${activity.length} values are not rows of ${F} x ${N}`);
  const rows = activity.length / (F * N);
  const out = new Float32Array(rows * F);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < F; f++) {
      let s = 0;
      let w = 0;
      for (let i = 0; i < N; i++) {
        const a = activity[(r * F + f) * N + i];
        s += a * code.centres[f * N + i];
        w += a;
      }
      out[r * F + f] = w > 0 ? s / w : NaN;
    }
  }
  return out;
}
