import { describe, expect, it } from 'vitest';
import { bothKernels } from '../helpers/kernels.js';
import { gradcheck, probe } from '../helpers/gradcheck.js';
import { Tensor } from '../../src/core/tensor.js';
import { Rng } from '../../src/core/rng.js';
import { backward } from '../../src/core/autograd.js';
import { Conv2d, conv2d, conv2dMaxPool, convGeometry, spikeChunkImages } from '../../src/nn/conv.js';
import { MaxPool2d, AvgPool2d, maxPool2d, avgPool2d } from '../../src/nn/pool.js';
import { Flatten, chwFromHwc } from '../../src/nn/flatten.js';
import { Dropout } from '../../src/nn/dropout.js';
import { Sequential } from '../../src/nn/sequential.js';
import { Linear } from '../../src/nn/linear.js';
import { csnnClassifier, sequentialFromConfig } from '../../src/nn/models.js';
import type { ForwardContext } from '../../src/nn/layer.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import { createWasmKernelsSync } from '../../src/kernels/wasm.js';
import { ShapeError, ValueError } from '../../src/core/errors.js';

const rng = new Rng(11);
const randn = (n: number, s = 1) => Float32Array.from({ length: n }, () => rng.normal() * s);

/**
 * Direct convolution from the definition, torch's layouts: x [N, C, H, W], w [O, C, kH, kW],
 * out [N, O, oH, oW]. The independent truth for the im2col/GEMM implementation.
 */
function naiveConv(
  x: Float32Array,
  n: number,
  C: number,
  H: number,
  W: number,
  w: Float32Array,
  b: Float32Array | null,
  O: number,
  k: number,
  stride: number,
  pad: number,
) {
  const oH = Math.floor((H + 2 * pad - k) / stride) + 1;
  const oW = Math.floor((W + 2 * pad - k) / stride) + 1;
  const out = new Float64Array(n * O * oH * oW);
  for (let i = 0; i < n; i++)
    for (let o = 0; o < O; o++)
      for (let oy = 0; oy < oH; oy++)
        for (let ox = 0; ox < oW; ox++) {
          let s = b ? b[o] : 0;
          for (let c = 0; c < C; c++)
            for (let ky = 0; ky < k; ky++)
              for (let kx = 0; kx < k; kx++) {
                const y = oy * stride - pad + ky;
                const xx = ox * stride - pad + kx;
                if (y < 0 || y >= H || xx < 0 || xx >= W) continue;
                s += x[((i * C + c) * H + y) * W + xx] * w[((o * C + c) * k + ky) * k + kx];
              }
          out[((i * O + o) * oH + oy) * oW + ox] = s;
        }
  return { out, oH, oW };
}

/** [N, C, H, W] -> [N, H, W, C] */
function toHwc(x: ArrayLike<number>, n: number, C: number, H: number, W: number): Float32Array {
  const y = new Float32Array(n * C * H * W);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < C; c++)
      for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) y[((i * H + h) * W + w) * C + c] = x[((i * C + c) * H + h) * W + w];
  return y;
}

const ctx = (kernels = referenceKernels): ForwardContext => ({ kernels, records: [] });

describe('Conv2d', () => {
  const cases = [
    { C: 3, H: 9, W: 7, O: 5, k: 3, stride: 1, pad: 0 },
    { C: 2, H: 8, W: 8, O: 4, k: 3, stride: 2, pad: 1 },
    { C: 1, H: 12, W: 12, O: 6, k: 5, stride: 1, pad: 2 },
  ];
  for (const [kname, kern] of bothKernels) {
    for (const c of cases) {
      for (const spikes of [false, true]) {
        it(`matches the direct convolution (${kname}, ${spikes ? 'spike' : 'float'} input, C${c.C} ${c.H}x${c.W} k${c.k} s${c.stride} p${c.pad})`, () => {
          const n = 3;
          const layer = new Conv2d({
            inChannels: c.C,
            outChannels: c.O,
            kernel: c.k,
            stride: c.stride,
            padding: c.pad,
            inputSize: [c.H, c.W],
            rng: new Rng(3),
          });
          const xt = spikes
            ? Float32Array.from({ length: n * c.C * c.H * c.W }, () => (rng.uniform() < 0.3 ? 1 : 0))
            : randn(n * c.C * c.H * c.W);
          const xh = toHwc(xt, n, c.C, c.H, c.W);
          const x = spikes ? new Tensor(Uint8Array.from(xh), [n, xh.length / n]) : new Tensor(xh, [n, xh.length / n]);
          const out = layer.forward({ x, steps: 1, constant: true }, ctx(kern));
          const wTorch = layer.exportParameter('weight', layer.weight);
          expect(wTorch.shape).toEqual([c.O, c.C, c.k, c.k]);
          const ref = naiveConv(xt, n, c.C, c.H, c.W, wTorch.data, layer.bias!.data as Float32Array, c.O, c.k, c.stride, c.pad);
          expect(out.image).toEqual({ c: c.O, h: ref.oH, w: ref.oW });
          const want = toHwc(ref.out, n, c.O, ref.oH, ref.oW);
          const got = out.x.data as Float32Array;
          expect(got.length).toBe(want.length);
          for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 4);
        });
      }
    }

    it(`passes a finite-difference check for weight, bias and input (${kname})`, () => {
      const g = convGeometry({ c: 2, h: 6, w: 5 }, 3, 3, 3, 2, 1);
      const x = new Tensor(randn(2 * 6 * 5 * 2), [2, 60], { requiresGrad: true });
      const w = new Tensor(randn(18 * 3, 0.5), [18, 3], { requiresGrad: true });
      const b = new Tensor(randn(3), [3], { requiresGrad: true });
      const probeW = randn(2 * g.outH * g.outW * 3);
      const checked = gradcheck(() => probe(conv2d(x, g, w, b, kern), probeW), [x, w, b]);
      expect(checked).toBe(x.size + w.size + b.size);
    });

    it(`weight gradient with spike input equals the float-input gradient (${kname})`, () => {
      const g = convGeometry({ c: 3, h: 7, w: 7 }, 4, 3, 3, 1, 0);
      const s = Uint8Array.from({ length: 4 * 147 }, () => (rng.uniform() < 0.2 ? 1 : 0));
      const gy = randn(4 * g.outH * g.outW * 4);
      const grads = [new Tensor(s, [4, 147]), new Tensor(Float32Array.from(s), [4, 147])].map((x) => {
        const w = new Tensor(randn(27 * 4).fill(0.1), [27, 4], { requiresGrad: true });
        backward(conv2d(x, g, w, null, kern), gy);
        return w.grad!;
      });
      for (let i = 0; i < grads[0].length; i++) expect(grads[0][i]).toBeCloseTo(grads[1][i], 4);
    });
  }

  it('checks its input: channels, sizes, kernel that does not fit', () => {
    const layer = new Conv2d({ inChannels: 2, outChannels: 3, kernel: 3, rng: new Rng(0) });
    // 50 features = a square 5x5 image with 2 channels
    expect(layer.forward({ x: new Tensor(new Float32Array(2 * 50), [2, 50]), steps: 1, constant: true }, ctx()).image).toEqual({
      c: 3,
      h: 3,
      w: 3,
    });
    expect(() => layer.forward({ x: new Tensor(new Float32Array(2 * 30), [2, 30]), steps: 1, constant: true }, ctx())).toThrow(ShapeError);
    expect(() => layer.forward({ x: new Tensor(new Float32Array(2 * 30), [2, 30]), steps: 1, constant: true }, ctx())).toThrow(/square/);
    expect(() =>
      layer.forward({ x: new Tensor(new Float32Array(8), [1, 8]), steps: 1, constant: true, image: { c: 2, h: 2, w: 2 } }, ctx()),
    ).toThrow(/does not fit/);
    expect(() =>
      layer.forward({ x: new Tensor(new Float32Array(27), [1, 27]), steps: 1, constant: true, image: { c: 3, h: 3, w: 3 } }, ctx()),
    ).toThrow(/2 input channels/);
    expect(() => new Conv2d({ inChannels: 0, outChannels: 3, kernel: 3, rng: new Rng(0) })).toThrow(ValueError);
  });
});

describe('pooling and flatten', () => {
  it('max pooling takes the window maximum and routes the gradient to the first maximal element (like torch)', () => {
    // one 4x4 single-channel image with a tie in the first window
    const x = new Tensor(Float32Array.of(1, 3, 2, 0, 3, 0, 5, 6, 7, 8, 1, 1, 0, 9, 1, 1), [1, 16], { requiresGrad: true });
    const y = maxPool2d(x, { c: 1, h: 4, w: 4, k: 2, stride: 2, outH: 2, outW: 2 });
    expect(Array.from(y.data)).toEqual([3, 6, 9, 1]);
    backward(y, Float32Array.of(1, 2, 3, 4));
    expect(Array.from(x.grad!)).toEqual([0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 4, 0, 0, 3, 0, 0]);
  });

  it('max pooling of spikes is their OR and stays spikes', () => {
    const x = new Tensor(Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 0), [1, 8]);
    const y = maxPool2d(x, { c: 2, h: 2, w: 2, k: 2, stride: 2, outH: 1, outW: 1 });
    expect(y.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(y.data)).toEqual([0, 1]);
  });

  it('average pooling and max pooling pass a finite-difference check (channels-last, stride < kernel)', () => {
    const g = { c: 3, h: 5, w: 6, k: 3, stride: 2, outH: 2, outW: 2 };
    const x = new Tensor(randn(2 * 90), [2, 90], { requiresGrad: true });
    const p = randn(2 * 12);
    expect(gradcheck(() => probe(avgPool2d(x, g), p), [x])).toBe(180);
    expect(gradcheck(() => probe(maxPool2d(x, g), p), [x], 1e-3)).toBe(180);
  });

  it('layers read the image shape from the sequence; pooling without an image is an error', () => {
    const x = new Tensor(randn(2 * 4 * 4 * 3), [2, 48]);
    const out = new MaxPool2d(2).forward({ x, steps: 1, constant: true, image: { c: 3, h: 4, w: 4 } }, ctx());
    expect(out.image).toEqual({ c: 3, h: 2, w: 2 });
    expect(new AvgPool2d(2, 1).forward({ x, steps: 1, constant: true, image: { c: 3, h: 4, w: 4 } }, ctx()).image).toEqual({
      c: 3,
      h: 3,
      w: 3,
    });
    expect(() => new MaxPool2d(2).forward({ x, steps: 1, constant: true }, ctx())).toThrow(/not an image/);
  });

  it('flatten produces torch order [C, H, W] and its gradient is the inverse permutation', () => {
    // torch tensor [1, 2, 2, 3] with values 0..11 in [C, H, W] order
    const chw = Float32Array.from({ length: 12 }, (_, i) => i);
    const hwc = toHwc(chw, 1, 2, 2, 3);
    const x = new Tensor(hwc, [1, 12], { requiresGrad: true });
    const y = new Flatten().forward({ x, steps: 1, constant: true, image: { c: 2, h: 2, w: 3 } }, ctx());
    expect(Array.from(y.x.data)).toEqual(Array.from(chw));
    expect(y.image).toBeUndefined();
    backward(y.x, chw);
    expect(Array.from(x.grad!)).toEqual(Array.from(hwc));
    expect(chwFromHwc(new Tensor(Uint8Array.of(1, 0, 0, 1), [1, 4]), 2, 1, 2).data).toBeInstanceOf(Uint8Array);
  });
});

describe('Dropout', () => {
  it('zeroes about p of the elements, scales the rest by 1/(1-p), gives a fresh mask per step, and is off in inference', () => {
    const d = new Dropout(0.25, 5);
    const x = new Tensor(new Float32Array(1000).fill(2), [1, 1000], { requiresGrad: true });
    const out = d.forward({ x, steps: 4, constant: true }, ctx());
    expect(out.x.shape).toEqual([4, 1, 1000]);
    const y = out.x.data;
    let zeros = 0;
    for (const v of y) {
      if (v === 0) zeros++;
      else expect(v).toBeCloseTo(2 / 0.75, 6);
    }
    // binomial(4000, 0.25): mean 1000, sd 27.4; 5 sd bounds
    expect(zeros).toBeGreaterThan(1000 - 137);
    expect(zeros).toBeLessThan(1000 + 137);
    let differ = 0;
    for (let i = 0; i < 1000; i++) if ((y[i] === 0) !== (y[1000 + i] === 0)) differ++;
    expect(differ).toBeGreaterThan(200); // two independent masks disagree on ~37.5%
    // gradient: the constant input receives the sum over steps of the kept, scaled gradients
    backward(out.x, new Float32Array(4000).fill(1));
    for (let i = 0; i < 1000; i++) {
      let kept = 0;
      for (let t = 0; t < 4; t++) if (y[t * 1000 + i] !== 0) kept++;
      expect(x.grad![i]).toBeCloseTo(kept / 0.75, 5);
    }
    const inf = d.forward({ x, steps: 4, constant: true }, { ...ctx(), inference: true });
    expect(inf.x).toBe(x);
    // same seed, same masks
    const again = new Dropout(0.25, 5).forward({ x, steps: 4, constant: true }, ctx());
    expect(Array.from(again.x.data)).toEqual(Array.from(y));
    expect(() => new Dropout(1)).toThrow(ValueError);
  });
});

describe('csnnClassifier (tutorial 6: 12C5-MP2-64C5-MP2-1024FC10)', () => {
  it('has the tutorial-6 shapes, rebuilds from its config, and its checkpoint layout is torch-compatible', () => {
    const net = csnnClassifier({ input: [1, 28, 28], channels: [12, 64], outputs: 10, beta: 0.5 }, new Rng(1));
    expect(net.layers.map((l) => l.kind)).toEqual([
      'conv2d',
      'maxpool2d',
      'leaky',
      'conv2d',
      'maxpool2d',
      'leaky',
      'flatten',
      'linear',
      'leaky',
    ]);
    const shapes = net.parameters().map((p) => `${p.name}:${p.tensor.shape.join('x')}`);
    expect(shapes).toEqual(['0.weight:25x12', '0.bias:12', '3.weight:300x64', '3.bias:64', '7.weight:1024x10', '7.bias:10']);
    const x = new Tensor(
      Float32Array.from({ length: 2 * 784 }, () => rng.uniform()),
      [2, 784],
    );
    const { out, records } = net.forward({ x, steps: 5, constant: true }, referenceKernels);
    expect(out.x.shape).toEqual([5, 2, 10]);
    expect(records.map((r) => r.neuronSteps)).toEqual([5 * 2 * 1728, 5 * 2 * 1024, 5 * 2 * 10]);
    const copy = sequentialFromConfig(net.layers.map((l) => ({ kind: l.kind, config: l.config() })));
    net.layers.forEach((l, i) =>
      l.parameters().forEach((p, j) => {
        const q = copy.layers[i].parameters()[j];
        const ex = l.exportParameter ? l.exportParameter(p.name, p.tensor) : { data: p.tensor.data as Float32Array };
        if (copy.layers[i].importParameter) copy.layers[i].importParameter!(q.name, q.tensor, ex.data);
        else (q.tensor.data as Float32Array).set(ex.data);
      }),
    );
    const again = copy.forward({ x, steps: 5, constant: true }, referenceKernels);
    expect(Array.from(again.out.x.data)).toEqual(Array.from(out.x.data));
  });

  it('gradients through the whole network match finite differences (small CSNN, wasm kernels)', () => {
    const kern = bothKernels[1][1];
    const net = new Sequential([
      new Conv2d({ inChannels: 1, outChannels: 3, kernel: 3, inputSize: [8, 8], rng: new Rng(2) }),
      new MaxPool2d(2),
      new AvgPool2d(1),
      new Flatten(),
    ]);
    const x = new Tensor(randn(2 * 64), [2, 64]);
    const p = randn(2 * 27);
    const params = net.trainable();
    const f = () => probe(net.forward({ x, steps: 1, constant: true }, kern).out.x, p);
    expect(gradcheck(f, params, 1e-3)).toBe(params.reduce((s, t) => s + t.size, 0));
  });

  for (const [kname, kern] of bothKernels) {
    for (const input of ['spikes', 'floats'] as const) {
      it(`Flatten -> Linear reorders the weight rows instead of the activations: equal to the two layers one by one, gradients included (${input}, ${kname})`, () => {
        const image = { c: 5, h: 3, w: 2 };
        const n = 30;
        const lin = new Linear(n, 7, { rng: new Rng(6) });
        const T = 3,
          B = 4;
        const data =
          input === 'spikes'
            ? Uint8Array.from({ length: T * B * n }, () => (rng.uniform() < 0.4 ? 1 : 0))
            : Float32Array.from({ length: T * B * n }, () => rng.normal());
        const gy = randn(T * B * 7);
        const run = (viaSequential: boolean) => {
          lin.weight.grad = null;
          lin.bias!.grad = null;
          const x = new Tensor(data, [T, B, n], { requiresGrad: true });
          const seq = { x, steps: T, constant: false, image };
          const c = { kernels: kern, records: [] };
          const out = viaSequential
            ? new Sequential([new Flatten(), lin]).forward(seq, kern).out
            : lin.forward(new Flatten().forward(seq, c), c);
          backward(out.x, gy);
          return {
            y: Array.from(out.x.data),
            image: out.image,
            gw: Array.from(lin.weight.grad!),
            gb: Array.from(lin.bias!.grad!),
            gx: Array.from(x.grad!),
          };
        };
        const a = run(true);
        const b = run(false);
        expect(a.image).toBeUndefined();
        for (const key of ['y', 'gw', 'gb', 'gx'] as const) {
          expect(a[key].length).toBe(b[key].length);
          a[key].forEach((v, i) => expect(v, `${key}[${i}]`).toBeCloseTo(b[key][i], 5));
        }
      });
    }
    it(`a spike-input Conv2d -> MaxPool2d runs fused and equals the two layers run one by one, gradients included (${kname})`, () => {
      const conv = new Conv2d({ inChannels: 4, outChannels: 8, kernel: 3, inputSize: [9, 9], rng: new Rng(4) });
      const pool = new MaxPool2d(2);
      const spikes = Uint8Array.from({ length: 3 * 2 * 324 }, () => (rng.uniform() < 0.3 ? 1 : 0));
      const gy = randn(3 * 2 * 3 * 3 * 8);
      const run = (fused: boolean) => {
        conv.weight.grad = null;
        conv.bias!.grad = null;
        const x = new Tensor(spikes, [3, 2, 324], { requiresGrad: true });
        const seq = { x, steps: 3, constant: false };
        const c = { kernels: kern, records: [] };
        const out = fused ? new Sequential([conv, pool]).forward(seq, kern).out : pool.forward(conv.forward(seq, c), c);
        backward(out.x, gy);
        return {
          y: Array.from(out.x.data),
          image: out.image,
          gw: Array.from(conv.weight.grad!),
          gb: Array.from(conv.bias!.grad!),
          gx: Array.from(x.grad!),
        };
      };
      const a = run(true);
      const b = run(false);
      expect(a.image).toEqual({ c: 8, h: 3, w: 3 });
      for (const key of ['y', 'gw', 'gb', 'gx'] as const) {
        a[key].forEach((v, i) => expect(v, `${key}[${i}]`).toBeCloseTo(b[key][i], 4));
      }
    });
  }
});

describe('spike-driven convolutions in chunks of images', () => {
  it('spikeChunkImages: within the byte budget, whole multiples of 256 images where 256 fit, at least one', () => {
    const cases: Array<[number, number, number]> = [
      [1728, 1024, 24 << 20],
      [1728, 4096, 24 << 20],
      [2312, 10800, 24 << 20],
      [1e6, 1e6, 24 << 20],
      [100, 100, 1000],
      [1728, 1024, 256 * 17856],
      [1728, 1024, 256 * 17856 - 1],
      [1728, 1024, 513 * 17856],
    ];
    for (const [inSize, outSize, budget] of cases) {
      const n = spikeChunkImages(inSize, outSize, budget);
      const per = 5 * inSize + 9 * outSize;
      const fit = Math.floor(budget / per);
      expect(Number.isInteger(n) && n >= 1, `${inSize}, ${outSize}, ${budget}`).toBe(true);
      if (fit >= 1) expect(n * per).toBeLessThanOrEqual(budget);
      if (fit >= 256) {
        expect(n % 256).toBe(0);
        expect(n + 256).toBeGreaterThan(fit);
      } else expect(n).toBe(Math.max(1, fit));
    }
    // tutorial 6's second convolution fused with its pooling: 12x12x12 spikes in, 4x4x64 pooled out
    expect(spikeChunkImages(1728, 1024)).toBe(1280);
    expect(spikeChunkImages(1728, 1024, 256 * 17856 - 1)).toBe(255);
  });

  // more images than one call takes: the layer's calls must give what one kernel call over all of them gives
  for (const threads of [1, 2]) {
    it(`conv2dMaxPool over two calls' worth of images equals one kernel call over all of them, bit for bit (${threads} thread${threads > 1 ? 's' : ''})`, () => {
      const k = createWasmKernelsSync({ threads });
      const g = convGeometry({ c: 12, h: 12, w: 12 }, 64, 5, 5, 1, 0);
      const images = spikeChunkImages(1728, 1024) + 77;
      const r = new Rng(21);
      const spikes = Uint8Array.from({ length: images * 1728 }, () => (r.uniform() < 0.1 ? 1 : 0));
      const wData = Float32Array.from({ length: 300 * 64 }, () => r.normal() * 0.05);
      const bData = Float32Array.from({ length: 64 }, () => r.normal() * 0.1);
      const gy = Float32Array.from({ length: images * 1024 }, () => r.normal());
      const x = new Tensor(spikes, [images, 1728], { requiresGrad: true });
      const w = new Tensor(wData.slice(), [300, 64], { requiresGrad: true });
      const b = new Tensor(bData.slice(), [64], { requiresGrad: true });
      const out = conv2dMaxPool(x, g, 2, 2, w, b, k);
      backward(out, gy);
      // one call each over all the images
      const shape = { n: images, H: 12, W: 12, C: 12, O: 64, kH: 5, kW: 5, stride: 1, pad: 0, outH: 8, outW: 8 };
      const pool = { k: 2, stride: 2, outH: 4, outW: 4 };
      const y = new Float32Array(images * 1024);
      const arg = new Uint8Array(images * 1024);
      k.convPoolSpikeForward(spikes, wData, bData, y, arg, shape, pool);
      const dw = new Float32Array(300 * 64);
      const gIn = new Float32Array(images * 1728);
      k.convPoolSpikeBackward(spikes, gy, arg, wData, dw, gIn, shape, pool, false);
      const same = (a: ArrayLike<number>, e: ArrayLike<number>, what: string) => {
        expect(a.length, what).toBe(e.length);
        let bad = -1;
        for (let i = 0; i < e.length && bad < 0; i++) if (!Object.is(a[i], e[i])) bad = i;
        expect(bad, `${what}: first differing element`).toBe(-1);
      };
      same(out.data, y, 'pooled output');
      same(w.grad!, dw, 'weight gradient');
      same(x.grad!, gIn, 'input gradient');
      k.close?.();
    });
  }
});
