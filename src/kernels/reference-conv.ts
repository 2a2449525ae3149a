import type { ConvPool, ConvShape, Kernels, PoolShape } from './types.js';
import { checkBias, checkConv, checkConvPool, checkPool } from './validate.js';

/**
 * Reference convolution and pooling kernels, written from the definitions (output pixel by output
 * pixel, window by window) rather than the scatter order of the WASM kernels, so tests compare two
 * independent computations.
 */

/** Calls f(outIndexBase, inIndexBase, weightRowBase) for every (image, output pixel, tap) inside the input. */
function eachTap(g: ConvShape, f: (outPix: number, inPix: number, wRow: number) => void): void {
  const { n, H, W, C, O, kH, kW, stride, pad, outH, outW } = g;
  for (let i = 0; i < n; i++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const outPix = ((i * outH + oy) * outW + ox) * O;
        for (let ky = 0; ky < kH; ky++) {
          const y = oy * stride - pad + ky;
          if (y < 0 || y >= H) continue;
          for (let kx = 0; kx < kW; kx++) {
            const x = ox * stride - pad + kx;
            if (x < 0 || x >= W) continue;
            f(outPix, ((i * H + y) * W + x) * C, (ky * kW + kx) * C * O);
          }
        }
      }
    }
  }
}

type ConvKernels = Pick<
  Kernels,
  'convSpikeForward' | 'convSpikeGradW' | 'convGradInput' | 'maxPoolForward' | 'convPoolSpikeForward' | 'convPoolSpikeBackward'
>;

export const referenceConvKernels: ConvKernels = {
  convSpikeForward(s, w, bias, out, g) {
    checkConv('convSpikeForward', g, s, w, out);
    checkBias('convSpikeForward', bias, g.O);
    const { C, O } = g;
    for (let i = 0; i < out.length; i++) out[i] = bias ? bias[i % O] : 0;
    eachTap(g, (op, ip, wr) => {
      for (let c = 0; c < C; c++) if (s[ip + c]) for (let o = 0; o < O; o++) out[op + o] += w[wr + c * O + o];
    });
  },
  convSpikeGradW(s, gOut, dw, g) {
    checkConv('convSpikeGradW', g, s, dw, gOut);
    const { C, O } = g;
    eachTap(g, (op, ip, wr) => {
      for (let c = 0; c < C; c++) if (s[ip + c]) for (let o = 0; o < O; o++) dw[wr + c * O + o] += gOut[op + o];
    });
  },
  convGradInput(gOut, w, gIn, g) {
    checkConv('convGradInput', g, gIn, w, gOut);
    const { C, O } = g;
    eachTap(g, (op, ip, wr) => {
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let o = 0; o < O; o++) s += gOut[op + o] * w[wr + c * O + o];
        gIn[ip + c] += s;
      }
    });
  },
  maxPoolForward(x, y, arg, g: PoolShape) {
    checkPool('maxPoolForward', g, x, y, arg);
    const { n, H, W, C, k, stride, outH, outW } = g;
    let j = 0;
    for (let i = 0; i < n; i++) {
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          for (let c = 0; c < C; c++, j++) {
            let best = -1;
            for (let ky = 0; ky < k; ky++) {
              for (let kx = 0; kx < k; kx++) {
                const p = ((i * H + oy * stride + ky) * W + ox * stride + kx) * C + c;
                if (best < 0 || x[p] > x[best]) best = p;
              }
            }
            y[j] = x[best];
            arg[j] = best;
          }
        }
      }
    }
  },
  convPoolSpikeForward(s, w, bias, y, arg, g, p) {
    checkConvPool('convPoolSpikeForward', g, p, s, w, y, arg);
    const conv = new Float32Array(g.n * g.outH * g.outW * g.O);
    referenceConvKernels.convSpikeForward(s, w, bias, conv, g);
    const flat = new Int32Array(arg.length);
    referenceConvKernels.maxPoolForward(conv, y, flat, {
      n: g.n,
      H: g.outH,
      W: g.outW,
      C: g.O,
      k: p.k,
      stride: p.stride,
      outH: p.outH,
      outW: p.outW,
    });
    // arg: the position within its window of the flat index of each maximum
    visitPooled(g, p, (j, i, py, px) => {
      const pix = Math.floor((flat[j] - i * g.outH * g.outW * g.O) / g.O);
      arg[j] = (Math.floor(pix / g.outW) - py * p.stride) * p.k + (pix % g.outW) - px * p.stride;
    });
  },
  convPoolSpikeBackward(s, gy, arg, w, dw, gIn, g, p, accumulate = true) {
    checkConvPool('convPoolSpikeBackward', g, p, s, w, gy, arg);
    if (gIn && !accumulate) gIn.fill(0);
    const gConv = new Float32Array(g.n * g.outH * g.outW * g.O);
    visitPooled(g, p, (j, i, py, px, o) => {
      const wy = Math.floor(arg[j] / p.k);
      const wx = arg[j] % p.k;
      gConv[((i * g.outH + py * p.stride + wy) * g.outW + px * p.stride + wx) * g.O + o] += gy[j];
    });
    if (dw) referenceConvKernels.convSpikeGradW(s, gConv, dw, g);
    if (gIn) referenceConvKernels.convGradInput(gConv, w, gIn, g);
  },
};

/** Calls f(j, image, py, px, o) for every pooled output j, in order. */
function visitPooled(g: ConvShape, p: ConvPool, f: (j: number, i: number, py: number, px: number, o: number) => void): void {
  let j = 0;
  for (let i = 0; i < g.n; i++)
    for (let py = 0; py < p.outH; py++) for (let px = 0; px < p.outW; px++) for (let o = 0; o < g.O; o++, j++) f(j, i, py, px, o);
}
