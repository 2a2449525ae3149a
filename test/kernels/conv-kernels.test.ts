import { describe, expect, it } from 'vitest';
import { referenceKernels } from '../../src/kernels/reference.js';
import { wasmBuilds } from '../helpers/kernels.js';
import type { ConvShape, PoolShape } from '../../src/kernels/types.js';
import { Rng } from '../../src/core/rng.js';
import { ShapeError } from '../../src/core/errors.js';

const rng = new Rng(5);
const randn = (n: number) => Float32Array.from({ length: n }, () => rng.normal());

function convShape(n: number, H: number, W: number, C: number, O: number, k: number, stride: number, pad: number): ConvShape {
  return {
    n,
    H,
    W,
    C,
    O,
    kH: k,
    kW: k,
    stride,
    pad,
    outH: Math.floor((H + 2 * pad - k) / stride) + 1,
    outW: Math.floor((W + 2 * pad - k) / stride) + 1,
  };
}

const close = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  expect(worst).toBeLessThan(1e-4); // float32 sums of up to ~300 terms in another order
};

for (const [build, wasm] of wasmBuilds()) {
  describe(`conv kernels: WASM, ${build} build (gather or scatter order), against the reference (definition order)`, () => {
    const shapes = [
      convShape(3, 12, 12, 12, 64, 5, 1, 0), // tutorial 6 second conv
      convShape(2, 9, 7, 3, 10, 3, 2, 1), // odd sizes, stride 2, padding, O not a multiple of 16
      convShape(2, 6, 6, 5, 7, 4, 3, 2), // stride larger than... padding near the kernel size
      convShape(1, 5, 5, 1, 1, 5, 1, 0), // single output pixel and channel
      convShape(2, 7, 6, 3, 37, 3, 1, 2), // stride 1 with padding (the gather-form weight gradient), O = 32 + 4 + 1
      // 22x22 outputs of 300-row windows: at 25% spikes ~36,000 listed rows, more than the forward's row list holds at once (8,192), so it sums them block by block
      convShape(2, 22, 22, 12, 6, 5, 1, 2),
    ];
    for (const g of shapes) {
      const tag = `n${g.n} ${g.H}x${g.W}x${g.C} -> ${g.outH}x${g.outW}x${g.O}, k${g.kH} s${g.stride} p${g.pad}`;
      // stride 1: 25% spikes take the gather-form weight gradient, 2% the scatter form (below 5%)
      for (const rate of g.stride === 1 ? [0.25, 0.02] : [0.25])
        it(`spike forward, weight gradient and input gradient agree (${tag}, ${rate * 100}% spikes)`, () => {
          const s = Uint8Array.from({ length: g.n * g.H * g.W * g.C }, () => (rng.uniform() < rate ? 1 : 0));
          const w = randn(g.kH * g.kW * g.C * g.O);
          const outLen = g.n * g.outH * g.outW * g.O;
          const yR = new Float32Array(outLen).fill(7); // overwritten, not accumulated
          const yW = new Float32Array(outLen).fill(7);
          const bias = randn(g.O);
          referenceKernels.convSpikeForward(s, w, bias, yR, g);
          wasm.convSpikeForward(s, w, bias, yW, g);
          close(yW, yR);
          const gOut = randn(outLen).map((v) => (rng.uniform() < 0.6 ? 0 : v)); // zeros as after max pooling
          const dwR = randn(w.length);
          const dwW = dwR.slice(); // accumulated onto
          referenceKernels.convSpikeGradW(s, gOut, dwR, g);
          wasm.convSpikeGradW(s, gOut, dwW, g);
          close(dwW, dwR);
          const giR = randn(s.length);
          const giW = giR.slice();
          referenceKernels.convGradInput(gOut, w, giR, g);
          wasm.convGradInput(gOut, w, giW, g);
          close(giW, giR);
        });

      // 2x2 pooling needs a conv output of at least 2x2 (the 1x1-output shape has none, so no such test)
      if (g.outH >= 2 && g.outW >= 2)
        it(`fused conv + max pool equals conv then pool, forward and backward (${tag})`, () => {
          const pool = { k: 2, stride: 2, outH: Math.floor((g.outH - 2) / 2) + 1, outW: Math.floor((g.outW - 2) / 2) + 1 };
          const s = Uint8Array.from({ length: g.n * g.H * g.W * g.C }, () => (rng.uniform() < 0.25 ? 1 : 0));
          const w = randn(g.kH * g.kW * g.C * g.O);
          const bias = randn(g.O);
          const per = pool.outH * pool.outW * g.O;
          const conv = new Float32Array(g.n * g.outH * g.outW * g.O);
          referenceKernels.convSpikeForward(s, w, bias, conv, g);
          const pg = { n: g.n, H: g.outH, W: g.outW, C: g.O, ...pool };
          const yRef = new Float32Array(g.n * per);
          const argRef = new Int32Array(g.n * per);
          referenceKernels.maxPoolForward(conv, yRef, argRef, pg);
          const gy = randn(g.n * per);
          // the window position of each flat argmax: (its conv row - the window's first row) * k + (column - first column)
          const winRef = Uint8Array.from(argRef, (a, j) => {
            const i = Math.floor(j / per);
            const pix = Math.floor((a - i * g.outH * g.outW * g.O) / g.O);
            const q = Math.floor((j % per) / g.O);
            const [py, px] = [Math.floor(q / pool.outW), q % pool.outW];
            return (Math.floor(pix / g.outW) - 2 * py) * 2 + (pix % g.outW) - 2 * px;
          });
          for (const k of [referenceKernels, wasm]) {
            const y = new Float32Array(g.n * per);
            const arg = new Uint8Array(g.n * per);
            k.convPoolSpikeForward(s, w, bias, y, arg, g, pool);
            close(y, yRef);
            expect(arg).toEqual(winRef);
            // unpooled gradient -> the unfused kernels give the truth
            const gConv = new Float32Array(conv.length);
            for (let j = 0; j < argRef.length; j++) gConv[argRef[j]] += gy[j];
            const dwWant = new Float32Array(w.length);
            const giWant = new Float32Array(s.length);
            referenceKernels.convSpikeGradW(s, gConv, dwWant, g);
            referenceKernels.convGradInput(gConv, w, giWant, g);
            const dw = new Float32Array(w.length);
            const gi = new Float32Array(s.length);
            k.convPoolSpikeBackward(s, gy, arg, w, dw, gi, g, pool);
            close(dw, dwWant);
            close(gi, giWant);
          }
        });
    }

    it('reject inconsistent geometry and operand sizes on both sets', () => {
      const g = convShape(1, 6, 6, 2, 3, 3, 1, 0);
      for (const k of [referenceKernels, wasm]) {
        expect(() => k.convSpikeForward(new Uint8Array(72), new Float32Array(54), null, new Float32Array(48), { ...g, outH: 5 })).toThrow(
          ShapeError,
        );
        expect(() => k.convSpikeForward(new Uint8Array(71), new Float32Array(54), null, new Float32Array(48), g)).toThrow(/input has 71/);
        expect(() => k.convSpikeForward(new Uint8Array(72), new Float32Array(54), new Float32Array(2), new Float32Array(48), g)).toThrow(
          /bias/,
        );
        expect(() => k.convGradInput(new Float32Array(48), new Float32Array(53), new Float32Array(72), g)).toThrow(/weight/);
        // the fused kernels keep each argmax's window position in one byte: 16x16 windows at most
        const big = convShape(1, 17, 17, 1, 1, 1, 1, 0);
        const p17 = { k: 17, stride: 17, outH: 1, outW: 1 };
        const [s, w1, y1] = [new Uint8Array(289), new Float32Array(1), new Float32Array(1)];
        expect(() => k.convPoolSpikeForward(s, w1, null, y1, new Uint8Array(1), big, p17)).toThrow(/larger than the fused/);
      }
    });
  });
}

describe('maxPoolForward', () => {
  for (const [build, wasm] of wasmBuilds())
    for (const C of [8, 3]) {
      it(`WASM (${build} build) equals the reference, first maximum on ties (C = ${C}: ${C % 4 ? 'scalar' : 'SIMD'} path)`, () => {
        const g: PoolShape = { n: 2, H: 7, W: 6, C, k: 2, stride: 2, outH: 3, outW: 3 };
        // small integers: many ties
        const x = Float32Array.from({ length: g.n * g.H * g.W * C }, () => Math.floor(rng.uniform() * 3));
        const outs = [referenceKernels, wasm].map((k) => {
          const y = new Float32Array(g.n * 9 * C);
          const arg = new Int32Array(y.length);
          k.maxPoolForward(x, y, arg, g);
          return { y, arg };
        });
        expect(Array.from(outs[1].y)).toEqual(Array.from(outs[0].y));
        expect(Array.from(outs[1].arg)).toEqual(Array.from(outs[0].arg));
        // the reference picks the first maximum in window order: check one window by hand
        const c = 1;
        const win = [0, 1, 6, 7].map((p) => p * C + c);
        const best = win.reduce((b, p) => (x[p] > x[b] ? p : b), win[0]);
        expect(outs[0].arg[c]).toBe(best);
      });
    }
});
