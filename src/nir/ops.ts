import { Tensor, accumulateOwnedGrad } from '../core/tensor.js';
import type { Surrogate } from '../surrogate/index.js';
import type { Window2d } from './shapes.js';

/**
 * The differentiable elementwise ops the NIR graph executor needs beyond spikeflow's layers: fan-in
 * sums, a per-feature Scale, Delay, Threshold, and the layout change of images (NIR/torch [C, H, W]
 * <-> spikeflow's channels-last [H, W, C]). Sequences are [T, B, F] (any leading dims: `rows` x F).
 */

/** Sum of same-sized tensors (spikes count as 0/1 floats); one input passes through unchanged. */
export function addAll(xs: Tensor[]): Tensor {
  if (xs.length === 1) return xs[0];
  const y = new Float32Array(xs[0].size);
  for (const x of xs) {
    const d = x.data;
    for (let i = 0; i < y.length; i++) y[i] += d[i];
  }
  const out: Tensor = new Tensor(y, xs[0].shape, {
    parents: xs,
    backward: () => {
      for (const x of xs) if (x.requiresGrad) accumulateOwnedGrad(x, out.grad!.slice());
    },
  });
  return out;
}

/** y[r, f] = x[r, f] * s[f] (s has F values, or 1 shared). */
export function mulFeature(x: Tensor, s: Tensor): Tensor {
  const F = x.shape[x.shape.length - 1];
  const xd = x.data;
  const sd = s.data;
  const one = s.size === 1;
  const y = new Float32Array(x.size);
  for (let i = 0; i < y.length; i++) y[i] = xd[i] * sd[one ? 0 : i % F];
  const out: Tensor = new Tensor(y, x.shape, {
    parents: [x, s],
    backward: () => {
      const g = out.grad!;
      if (x.requiresGrad) {
        const gx = new Float32Array(x.size);
        for (let i = 0; i < g.length; i++) gx[i] = g[i] * sd[one ? 0 : i % F];
        accumulateOwnedGrad(x, gx);
      }
      if (s.requiresGrad) {
        const gs = s.ensureGrad();
        for (let i = 0; i < g.length; i++) gs[one ? 0 : i % F] += g[i] * xd[i];
      }
    },
  });
  return out;
}

/** y[t, b, f] = x[t - k[f], b, f] (0 before the start): a delay of k[f] whole steps per feature. */
export function delaySteps(x: Tensor, k: Int32Array): Tensor {
  const [T] = x.shape;
  const F = x.shape[x.shape.length - 1];
  const per = x.size / T;
  const xd = x.data;
  const y = new Float32Array(x.size);
  const src = (t: number, j: number) => t - k[k.length === 1 ? 0 : j % F];
  for (let t = 0; t < T; t++)
    for (let j = 0; j < per; j++) {
      const s = src(t, j);
      if (s >= 0) y[t * per + j] = xd[s * per + j];
    }
  const out: Tensor = new Tensor(y, x.shape, {
    parents: [x],
    backward: () => {
      const g = out.grad!;
      const gx = new Float32Array(x.size);
      for (let t = 0; t < T; t++)
        for (let j = 0; j < per; j++) {
          const s = src(t, j);
          if (s >= 0) gx[s * per + j] += g[t * per + j];
        }
      accumulateOwnedGrad(x, gx);
    },
  });
  return out;
}

/** Spikes H(x - thr[f]) (1 where x > thr), with the surrogate's derivative for x and thr. */
export function thresholdOp(x: Tensor, thr: Tensor, surrogate: Surrogate): Tensor {
  const F = x.shape[x.shape.length - 1];
  const xd = x.data;
  const td = thr.data;
  const one = thr.size === 1;
  const at = (i: number) => xd[i] - td[one ? 0 : i % F];
  const y = new Uint8Array(x.size);
  for (let i = 0; i < y.length; i++) y[i] = at(i) > 0 ? 1 : 0;
  const out: Tensor = new Tensor(y, x.shape, {
    parents: [x, thr],
    backward: () => {
      const g = out.grad!;
      const gx = new Float32Array(x.size);
      for (let i = 0; i < g.length; i++) gx[i] = g[i] * surrogate.grad(at(i));
      if (x.requiresGrad) accumulateOwnedGrad(x, gx.slice());
      if (thr.requiresGrad) {
        const gt = thr.ensureGrad();
        for (let i = 0; i < g.length; i++) gt[one ? 0 : i % F] -= gx[i];
      }
    },
  });
  return out;
}

/** Reorders every sample of x from [C, H, W] to [H, W, C] (`back`: the other way). Keeps spikes as spikes. */
export function permuteImage(x: Tensor, c: number, h: number, w: number, back = false): Tensor {
  const n = c * h * w;
  const samples = x.size / n;
  // one channel (or one pixel): both orders are the same
  if (c === 1 || h * w === 1) return x;
  // perm[i]: where value i of a [C, H, W] sample goes in the [H, W, C] sample
  const perm = new Int32Array(n);
  for (let ci = 0; ci < c; ci++) for (let p = 0; p < h * w; p++) perm[ci * h * w + p] = p * c + ci;
  const xd = x.data;
  const y = xd instanceof Uint8Array ? new Uint8Array(x.size) : new Float32Array(x.size);
  if (xd instanceof Uint8Array) permuteBytes(xd, y as Uint8Array, c, h * w, samples, back);
  else permuteFloats(xd as Float32Array, y as Float32Array, c, h * w, samples, back);
  if (!x.requiresGrad) return new Tensor(y, x.shape);
  const out: Tensor = new Tensor(y, x.shape, {
    parents: [x],
    backward: () => {
      const g = out.grad!;
      const gx = new Float32Array(x.size);
      for (let s = 0; s < samples; s++) {
        const b = s * n;
        for (let i = 0; i < n; i++) {
          if (back) gx[b + perm[i]] += g[b + i];
          else gx[b + i] += g[b + perm[i]];
        }
      }
      accumulateOwnedGrad(x, gx);
    },
  });
  return out;
}

// [C, HW] <-> [HW, C] per sample, one copy per array type so each loop stays monomorphic
function permuteBytes(src: Uint8Array, dst: Uint8Array, c: number, hw: number, samples: number, back: boolean): void {
  const n = c * hw;
  for (let b = 0; b < samples * n; b += n)
    for (let ci = 0; ci < c; ci++) {
      const cb = b + ci * hw;
      if (back) for (let p = 0, q = b + ci; p < hw; p++, q += c) dst[cb + p] = src[q];
      else for (let p = 0, q = b + ci; p < hw; p++, q += c) dst[q] = src[cb + p];
    }
}
function permuteFloats(src: Float32Array, dst: Float32Array, c: number, hw: number, samples: number, back: boolean): void {
  const n = c * hw;
  for (let b = 0; b < samples * n; b += n)
    for (let ci = 0; ci < c; ci++) {
      const cb = b + ci * hw;
      if (back) for (let p = 0, q = b + ci; p < hw; p++, q += c) dst[cb + p] = src[q];
      else for (let p = 0, q = b + ci; p < hw; p++, q += c) dst[q] = src[cb + p];
    }
}

/** The membrane after each step's reset: v where no spike, v_reset (per feature) where one. Not differentiable in v_reset. */
export function afterReset(v: Tensor, spk: Tensor, vReset: ArrayLike<number>): Tensor {
  const F = v.shape[v.shape.length - 1];
  const y = new Float32Array(v.size);
  const vd = v.data;
  const sd = spk.data;
  for (let i = 0; i < y.length; i++) y[i] = sd[i] ? vReset[vReset.length === 1 ? 0 : i % F] : vd[i];
  const out: Tensor = new Tensor(y, v.shape, {
    parents: [v],
    backward: () => {
      const g = out.grad!;
      const gv = new Float32Array(v.size);
      for (let i = 0; i < g.length; i++) gv[i] = sd[i] ? 0 : g[i];
      accumulateOwnedGrad(v, gv);
    },
  });
  return out;
}

/** One step [1, ...] repeated T times: [T, ...] (the gradient sums over the steps). Keeps spikes as spikes. */
export function repeatSteps(x: Tensor, T: number): Tensor {
  if (T === 1) return x;
  const n = x.size;
  const xd = x.data;
  const y = xd instanceof Uint8Array ? new Uint8Array(T * n) : new Float32Array(T * n);
  for (let t = 0; t < T; t++) y.set(xd, t * n);
  const shape = [T, ...x.shape.slice(1)];
  if (!x.requiresGrad) return new Tensor(y, shape);
  const out: Tensor = new Tensor(y, shape, {
    parents: [x],
    backward: () => {
      const g = out.grad!;
      const gx = new Float32Array(n);
      for (let t = 0; t < T; t++) for (let i = 0; i < n; i++) gx[i] += g[t * n + i];
      accumulateOwnedGrad(x, gx);
    },
  });
  return out;
}

/**
 * The general geometry of a convolution or pool: nir/shapes.ts's Window2d (per-axis kernel, stride, dilation,
 * padding, groups) less what the loops do not read (the padding below and right follows from outH, outW).
 */
export type WindowGeom = Omit<Window2d, 'pB' | 'pR' | 'fast'>;

/** Index of (channel c, row y, column x) in a sample of `chans` channels: channels-last [H, W, C] or channels-first [C, H, W]. */
const imgAt = (last: boolean, chans: number, h: number, w: number) =>
  last ? (c: number, y: number, x: number) => (y * w + x) * chans + c : (c: number, y: number, x: number) => (c * h + y) * w + x;

/**
 * torch's conv2d in full generality (stride, dilation and padding per axis, groups) by direct loops,
 * differentiable in x, the weight and the bias: the path for the forms spikeflow's conv kernels do not
 * run. x holds samples of [C, H, W] values (channels-last when `channelsLast`, else channels-first as
 * Conv1d's [C, L]); weight is [kH*kW*C/groups, O] (row (ky*kW + kx)*C/groups + c, as nn/conv.ts's
 * im2col operand); bias [O]; the output has samples of [O, outH, outW] in the same layout.
 */
export function convGeneral(x: Tensor, g: WindowGeom, weight: Tensor, bias: Tensor, channelsLast: boolean): Tensor {
  const { C, H, W, kH, kW, sH, sW, dH, dW, pT, pL, groups, outH, outW } = g;
  const O = bias.size;
  const Cg = C / groups;
  const Og = O / groups;
  const inN = C * H * W;
  const outN = O * outH * outW;
  const samples = x.size / inN;
  const xi = imgAt(channelsLast, C, H, W);
  const yi = imgAt(channelsLast, O, outH, outW);
  const xd = x.isSpikes ? x.toFloat32() : (x.data as Float32Array);
  const wd = weight.data as Float32Array;
  const bd = bias.data as Float32Array;
  const y = new Float32Array(samples * outN);
  /** Calls f(input index, weight index, output index) for every product of sample s. */
  const each = (s: number, f: (i: number, w: number, o: number) => void) => {
    const xb = s * inN;
    const yb = s * outN;
    for (let o = 0; o < O; o++) {
      const c0 = Math.floor(o / Og) * Cg;
      for (let oy = 0; oy < outH; oy++)
        for (let ox = 0; ox < outW; ox++) {
          const out = yb + yi(o, oy, ox);
          for (let ky = 0; ky < kH; ky++) {
            const iy = oy * sH - pT + ky * dH;
            if (iy < 0 || iy >= H) continue;
            for (let kx = 0; kx < kW; kx++) {
              const ix = ox * sW - pL + kx * dW;
              if (ix < 0 || ix >= W) continue;
              const wr = (ky * kW + kx) * Cg;
              for (let c = 0; c < Cg; c++) f(xb + xi(c0 + c, iy, ix), (wr + c) * O + o, out);
            }
          }
        }
    }
  };
  const acc = new Float64Array(y.length);
  for (let s = 0; s < samples; s++) {
    each(s, (i, w, o) => {
      acc[o] += xd[i] * wd[w];
    });
    for (let o = 0; o < O; o++) for (let oy = 0; oy < outH; oy++) for (let ox = 0; ox < outW; ox++) acc[s * outN + yi(o, oy, ox)] += bd[o];
  }
  y.set(acc);
  const shape = [...x.shape.slice(0, -1), outN];
  const out: Tensor = new Tensor(y, shape, {
    parents: [x, weight, bias],
    backward: () => {
      const gy = out.grad!;
      const gx = x.requiresGrad ? new Float64Array(x.size) : null;
      const gw = weight.requiresGrad ? new Float64Array(weight.size) : null;
      for (let s = 0; s < samples; s++)
        each(s, (i, w, o) => {
          if (gx) gx[i] += gy[o] * wd[w];
          if (gw) gw[w] += gy[o] * xd[i];
        });
      if (gx) accumulateOwnedGrad(x, Float32Array.from(gx));
      if (gw) {
        const d = weight.ensureGrad();
        for (let i = 0; i < gw.length; i++) d[i] += gw[i];
      }
      if (bias.requiresGrad) {
        const d = bias.ensureGrad();
        for (let s = 0; s < samples; s++)
          for (let o = 0; o < O; o++)
            for (let oy = 0; oy < outH; oy++) for (let ox = 0; ox < outW; ox++) d[o] += gy[s * outN + yi(o, oy, ox)];
      }
    },
  });
  return out;
}

/**
 * (Its window loops have the shape of kernels/reference-conv.ts's on purpose: that one is the reference of
 * the fast kernels' forms, these run the general forms with per-axis geometry.)
 * A sum or average pool over channels-last [H, W, C] samples with torch's semantics: zero padding per
 * axis, per-axis kernel and stride; the average divides by kH*kW, the padding included (torch's
 * AvgPool2d count_include_pad=True, snnTorch's and Norse's import of NIR's AvgPool2d). Differentiable in x.
 */
export function poolGeneral(x: Tensor, g: WindowGeom, average: boolean): Tensor {
  const { C, H, W, kH, kW, sH, sW, pT, pL, outH, outW } = g;
  const inN = C * H * W;
  const outN = C * outH * outW;
  const samples = x.size / inN;
  const xd = x.isSpikes ? x.toFloat32() : (x.data as Float32Array);
  const scaleBy = average ? 1 / (kH * kW) : 1;
  const each = (s: number, f: (i: number, o: number) => void) => {
    for (let oy = 0; oy < outH; oy++)
      for (let ox = 0; ox < outW; ox++)
        for (let ky = 0; ky < kH; ky++) {
          const iy = oy * sH - pT + ky;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < kW; kx++) {
            const ix = ox * sW - pL + kx;
            if (ix < 0 || ix >= W) continue;
            const ib = s * inN + (iy * W + ix) * C;
            const ob = s * outN + (oy * outW + ox) * C;
            for (let c = 0; c < C; c++) f(ib + c, ob + c);
          }
        }
  };
  const acc = new Float64Array(samples * outN);
  for (let s = 0; s < samples; s++)
    each(s, (i, o) => {
      acc[o] += xd[i];
    });
  const y = new Float32Array(acc.length);
  for (let i = 0; i < y.length; i++) y[i] = acc[i] * scaleBy;
  const out: Tensor = new Tensor(y, [...x.shape.slice(0, -1), outN], {
    parents: [x],
    backward: () => {
      const gy = out.grad!;
      const gx = new Float32Array(x.size);
      for (let s = 0; s < samples; s++)
        each(s, (i, o) => {
          gx[i] += gy[o] * scaleBy;
        });
      accumulateOwnedGrad(x, gx);
    },
  });
  return out;
}
