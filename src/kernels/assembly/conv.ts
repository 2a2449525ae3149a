// Convolution and pooling kernels over channels-last images: x [n][H][W][C], out [n][outH][outW][O],
// weight [kH][kW][C][O] (the im2col GEMM operand, row (ky, kx, c) holds the O output-channel weights).
//
// Spike-driven forward and weight gradient need no im2col: every input spike (y, x, c) touches the
// outputs (oy, ox) whose window covers it, one kernel tap (ky, kx) each, and there it adds the weight
// row (ky, kx, c) onto the output pixel's O channels (forward), or the output pixel's gradient onto the
// weight-gradient row (dW). Both are contiguous O-float rows: v128 adds, no multiplies. Silent inputs
// cost nothing. Both run in gather form (each output row, or each dW row, summed in registers over a
// list of the spikes that reach it; the weight gradient scatters instead on sparse images and for
// strides other than 1). The input gradient visits only the nonzero output gradients (after max pooling, three
// in four are exact zeros) and adds g times the filter of that output channel onto the input window.

import { addRow, madd } from './simd';

/** dst[0..n) += a * src[0..n) */
@inline function axpy(dst: usize, src: usize, a: f32, n: i32): void {
  const av = f32x4.splat(a);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const d = dst + (<usize>j << 2);
    v128.store(d, madd(av, v128.load(src + (<usize>j << 2)), v128.load(d)));
  }
  for (; j < n; j++) {
    const d = dst + (<usize>j << 2);
    store<f32>(d, load<f32>(d) + a * load<f32>(src + (<usize>j << 2)));
  }
}

/** Channels per pixel in the spike lists, rounded up to whole v128s (4 entries). */
@inline function paddedC(C: i32): i32 {
  return (C + 3) & ~3;
}

/**
 * Lists the spiking channels of every pixel of one image: cnt[pix] (u16 count) and chans[pix*Cp + j]
 * (u32: the channel's byte offset c*O*4 in a weight tap). Branch-free: every channel's offset is
 * written and the count advances by the spike, so the firing pattern costs no mispredictions.
 */
@inline function listSpikes(sImg: usize, npix: i32, C: i32, O: i32, cnt: usize, chans: usize): void {
  const Cp = paddedC(C);
  const rowB = <u32>O << 2;
  for (let p = 0; p < npix; p++) {
    const sp = sImg + <usize>(p * C);
    const lp = chans + (<usize>(p * Cp) << 2);
    let k = 0;
    for (let c = 0; c < C; c++) {
      store<u32>(lp + (<usize>k << 2), <u32>c * rowB);
      k += <i32>(load<u8>(sp + <usize>c) != 0);
    }
    store<u16>(cnt + (<usize>p << 1), <u16>k);
  }
}

/** Bytes of the per-pixel spike counts (u16), rounded up to 16. */
@inline function cntBytes(H: i32, W: i32): usize {
  return ((<usize>(H * W) << 1) + 15) & ~15;
}

/**
 * Entries of the row list of gatherImage: pixels are listed until the next one might not fit, then
 * their rows are summed (a pixel lists at most K entries, and its last tap writes up to a padded
 * channel list past its end).
 */
@inline function listCap(C: i32, K: i32): i32 {
  return max(K + paddedC(C), 8192);
}

/**
 * Scratch bytes of the spike lists of one image (K = kH*kW*C, P = outH*outW output pixels): counts,
 * channel lists, the row list of a block of output pixels and where each pixel's rows start.
 */
@inline function listBytes(H: i32, W: i32, C: i32, K: i32, P: i32): usize {
  return cntBytes(H, W) + (<usize>(H * W * paddedC(C)) << 2) + (<usize>listCap(C, K) << 2) + (<usize>(P + 1) << 2);
}

/**
 * Gather-form spike convolution of one image. For every output pixel, the weight rows of the spikes
 * under its window are first listed (byte offsets: whole padded channel lists are copied with the tap
 * offset added, v128 at a time, and the list advances by the count, so no branch depends on the firing
 * pattern), a block of pixels after another (as many as the list holds: all of them on small images);
 * then each block's rows are summed (sumPixelLists), starting from the bias (bias = 0: none). No
 * read-modify-write of the output.
 */
function gatherImage(
  cnt: usize, chans: usize, plist: usize, w: usize, bias: usize, out: usize,
  H: i32, W: i32, C: i32, O: i32, kH: i32, kW: i32, stride: i32, pad: i32, outH: i32, outW: i32,
): void {
  const rowB = <usize>O << 2;
  const Cp = paddedC(C);
  const K = kH * kW * C;
  const cap = listCap(C, K);
  const starts = plist + (<usize>cap << 2);
  let L = 0;
  let p0 = 0;
  for (let oy = 0; oy < outH; oy++) {
    const y0 = oy * stride - pad;
    const ky0 = max(0, -y0);
    const ky1 = min(kH, H - y0);
    for (let ox = 0; ox < outW; ox++) {
      const p = oy * outW + ox;
      if (L + K + Cp > cap) {
        store<i32>(starts + (<usize>p << 2), L);
        sumPixelLists(out, rowB, bias, w, plist, starts, p0, p, O);
        L = 0;
        p0 = p;
      }
      store<i32>(starts + (<usize>p << 2), L);
      const x0 = ox * stride - pad;
      const kx0 = max(0, -x0);
      const kx1 = min(kW, W - x0);
      for (let ky = ky0; ky < ky1; ky++) {
        for (let kx = kx0; kx < kx1; kx++) {
          const pix = (y0 + ky) * W + x0 + kx;
          const src = chans + (<usize>(pix * Cp) << 2);
          const tap = i32x4.splat(<i32>(<usize>((ky * kW + kx) * C) * rowB));
          const dst = plist + (<usize>L << 2);
          for (let q = 0; q < Cp; q += 4) v128.store(dst + (<usize>q << 2), i32x4.add(v128.load(src + (<usize>q << 2)), tap));
          L += <i32>load<u16>(cnt + (<usize>pix << 1));
        }
      }
    }
  }
  const P = outH * outW;
  store<i32>(starts + (<usize>P << 2), L);
  sumPixelLists(out, rowB, bias, w, plist, starts, p0, P, O);
}

/**
 * out row q (q in [p0, p1), rowB bytes apart) = init (zeros when init is 0) + the rows base + offset
 * for the u32 byte offsets of list entries starts[q] .. starts[q + 1], in list order: as sumListedRows
 * for each pixel, but band by band (16 output channels for every pixel, then the next 16): a band
 * reads a slice of each weight row, and the band's slices of all rows stay in L1 across the pixels
 * where whole rows (300 x 64 floats on tutorial 6's second convolution, 77 KB) would not. Bands of 16
 * floats in four accumulators measured fastest there: 0.80x the time of 32-float bands in eight
 * (and 0.92x, 0.92x, 0.88x that of bands of 8, 12, 24 floats); the gather before bands took 1.08x.
 */
@inline function sumPixelLists(out: usize, rowB: usize, init: usize, base: usize, list: usize, starts: usize, p0: i32, p1: i32, O: i32): void {
  const zero = f32x4.splat(0);
  let j = 0;
  for (; j + 16 <= O; j += 16) {
    const bj = base + (<usize>j << 2);
    for (let q = p0; q < p1; q++) {
      let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
      if (init) {
        const ij = init + (<usize>j << 2);
        a0 = v128.load(ij, 0); a1 = v128.load(ij, 16); a2 = v128.load(ij, 32); a3 = v128.load(ij, 48);
      }
      const end = list + (<usize>load<i32>(starts + (<usize>(q + 1) << 2)) << 2);
      for (let e = list + (<usize>load<i32>(starts + (<usize>q << 2)) << 2); e < end; e += 4) {
        const r = bj + <usize>load<u32>(e);
        a0 = f32x4.add(a0, v128.load(r, 0)); a1 = f32x4.add(a1, v128.load(r, 16)); a2 = f32x4.add(a2, v128.load(r, 32)); a3 = f32x4.add(a3, v128.load(r, 48));
      }
      const d = out + <usize>q * rowB + (<usize>j << 2);
      v128.store(d, a0, 0); v128.store(d, a1, 16); v128.store(d, a2, 32); v128.store(d, a3, 48);
    }
  }
  for (; j + 4 <= O; j += 4) {
    const bj = base + (<usize>j << 2);
    for (let q = p0; q < p1; q++) {
      let a = init ? v128.load(init + (<usize>j << 2)) : zero;
      const end = list + (<usize>load<i32>(starts + (<usize>(q + 1) << 2)) << 2);
      for (let e = list + (<usize>load<i32>(starts + (<usize>q << 2)) << 2); e < end; e += 4) a = f32x4.add(a, v128.load(bj + <usize>load<u32>(e)));
      v128.store(out + <usize>q * rowB + (<usize>j << 2), a);
    }
  }
  for (; j < O; j++) {
    const bj = base + (<usize>j << 2);
    for (let q = p0; q < p1; q++) {
      let a: f32 = init ? load<f32>(init + (<usize>j << 2)) : 0;
      const end = list + (<usize>load<i32>(starts + (<usize>(q + 1) << 2)) << 2);
      for (let e = list + (<usize>load<i32>(starts + (<usize>q << 2)) << 2); e < end; e += 4) a += load<f32>(bj + <usize>load<u32>(e));
      store<f32>(out + <usize>q * rowB + (<usize>j << 2), a);
    }
  }
}

/**
 * Scatter-form weight gradient of one image: for every input channel c (outer, so the 25-ish dW rows of
 * that channel stay in L1), every spike (y, x, c) adds the gradient of each output pixel its window
 * covers onto dW row (ky, kx, c). The covering output rows are oy in [oyLo, oyHi] with
 * oy*stride <= y + pad < oy*stride + kH (the same for columns): computed once per spike, with no
 * per-tap division or test.
 */
function scatterGradW(
  sImg: usize, g: usize, dw: usize,
  H: i32, W: i32, C: i32, O: i32, kH: i32, kW: i32, stride: i32, pad: i32, outH: i32, outW: i32,
): void {
  const rowB = <usize>O << 2;
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < H; y++) {
      const ty = y + pad;
      const oyLo = ty < kH ? 0 : (ty - kH) / stride + 1;
      const oyHi = min(outH - 1, ty / stride);
      if (oyLo > oyHi) continue;
      for (let x = 0; x < W; x++) {
        if (load<u8>(sImg + <usize>((y * W + x) * C + c)) == 0) continue;
        const tx = x + pad;
        const oxLo = tx < kW ? 0 : (tx - kW) / stride + 1;
        const oxHi = min(outW - 1, tx / stride);
        for (let oy = oyLo; oy <= oyHi; oy++) {
          const ky = ty - oy * stride;
          const gRow = g + <usize>(oy * outW) * rowB;
          const dRow = dw + <usize>(ky * kW * C + c) * rowB;
          for (let ox = oxLo; ox <= oxHi; ox++) {
            addRow(dRow + <usize>((tx - ox * stride) * C) * rowB, gRow + <usize>ox * rowB, O);
          }
        }
      }
    }
  }
}

/** Whether the gather form of the weight gradient suits a spike image of len bytes: one in twenty spikes or more. */
@inline function denseEnough(sImg: usize, len: i32): bool {
  return spikeCount(sImg, len) * 20 >= len;
}

/** The bytes of a 0/1 image summed: its spike count. */
@inline function spikeCount(sImg: usize, len: i32): i32 {
  let acc = i32x4.splat(0);
  let i = 0;
  for (; i + 16 <= len; i += 16) {
    acc = i32x4.add(acc, i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(v128.load(sImg + <usize>i))));
  }
  let n = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
  for (; i < len; i++) n += <i32>load<u8>(sImg + <usize>i);
  return n;
}

/**
 * The weight gradient of one image: gather form for stride 1 unless fewer than one input value in
 * twenty spikes. The scatter form costs nothing per silent input, the gather form lists every input
 * position once per kernel column; on tutorial 6's second convolution they cost the same at about 5%
 * (gather 1.7x faster at 15%, the rate of that layer in training, and 2.3x at 30%).
 */
@inline function gradWImage(
  sImg: usize, g: usize, dw: usize, lst: usize,
  H: i32, W: i32, C: i32, O: i32, kH: i32, kW: i32, stride: i32, pad: i32, outH: i32, outW: i32,
): void {
  if (stride == 1 && denseEnough(sImg, H * W * C)) gatherGradW(sImg, g, dw, lst, H, W, C, O, kH, kW, pad, outH, outW, 1, 0, 0);
  else scatterGradW(sImg, g, dw, H, W, C, O, kH, kW, stride, pad, outH, outW);
}

/** Scratch bytes of gatherGradW: a start per input row and one output-pixel offset per input pixel of two images. */
@inline function gradWListBytes(H: i32, W: i32): usize {
  return (<usize>(H + 1) << 2) + (<usize>(2 * H * W) << 2);
}

/**
 * Gather-form weight gradient of `images` images (1 or 2: spike images sStride bytes apart, gradient
 * images gStride bytes apart), for stride 1 (scatterGradW takes other strides). For an input channel c
 * and kernel column kx, the spikes of channel c in the input columns that kx maps onto output columns
 * are listed row by row, each row's spikes of every image (the byte offset from g of the output pixel
 * each one meets at kernel row 0; branch-free: every offset is written, the list advances by the
 * spike), with where each input row starts. Kernel row ky then shifts every offset by -ky output rows
 * and selects a contiguous range of input rows, and dW row (ky, kx, c) gets the sum of the gradient
 * rows in that range, formed in registers 16 channels at a time (one read-modify-write of the dW row
 * per call instead of one per spike and tap: two images per call halve them).
 */
function gatherGradW(
  sImg: usize, g: usize, dw: usize, lst: usize,
  H: i32, W: i32, C: i32, O: i32, kH: i32, kW: i32, pad: i32, outH: i32, outW: i32,
  images: i32, sStride: usize, gStride: usize,
): void {
  const rowB = <usize>O << 2;
  const starts = lst;
  const offs = lst + (<usize>(H + 1) << 2);
  for (let c = 0; c < C; c++) {
    for (let kx = 0; kx < kW; kx++) {
      const xlo = max(0, kx - pad);
      const xhi = min(W, kx - pad + outW);
      if (xlo >= xhi) continue;
      let L = 0;
      for (let y = 0; y < H; y++) {
        store<i32>(starts + (<usize>y << 2), L);
        for (let i = 0; i < images; i++) {
          // byte offset from g of the output pixel met at kernel row 0, in image i's gradient
          let at = <u32>((y + pad) * outW + pad - kx + xlo) * <u32>rowB + <u32>(<usize>i * gStride);
          let sp = sImg + <usize>i * sStride + <usize>((y * W + xlo) * C + c);
          for (let x = xlo; x < xhi; x++, at += <u32>rowB, sp += <usize>C) {
            store<u32>(offs + (<usize>L << 2), at);
            L += <i32>(load<u8>(sp) != 0);
          }
        }
      }
      store<i32>(starts + (<usize>H << 2), L);
      if (L == 0) continue;
      for (let ky = 0; ky < kH; ky++) {
        const ylo = max(0, ky - pad);
        const yhi = min(H, ky - pad + outH);
        if (ylo >= yhi) continue;
        const e0 = load<i32>(starts + (<usize>ylo << 2));
        const e1 = load<i32>(starts + (<usize>yhi << 2));
        if (e0 == e1) continue;
        // g shifted up by ky output rows (address arithmetic wraps; every listed row lands inside g)
        const gk = g - <usize>(ky * outW) * rowB;
        sumListedRows(dw + <usize>((ky * kW + kx) * C + c) * rowB, 0, gk, offs + (<usize>e0 << 2), offs + (<usize>e1 << 2), O, true);
      }
    }
  }
}

/**
 * dst[0..O) = (init, or zeros when init is 0) + the rows base + offset for the u32 byte offsets in
 * [from, end), in list order; with `accumulate`, dst += (zeros + those rows) instead. 16 floats per
 * pass in four registers (the weight gradient's sums measured 0.97x the time of 32-float passes in
 * eight), then 4, then 1.
 */
@inline function sumListedRows(dst: usize, init: usize, base: usize, from: usize, end: usize, O: i32, accumulate: bool): void {
  const zero = f32x4.splat(0);
  let j = 0;
  for (; j + 16 <= O; j += 16) {
    const bj = base + (<usize>j << 2);
    let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
    if (init) {
      const ij = init + (<usize>j << 2);
      a0 = v128.load(ij); a1 = v128.load(ij, 16); a2 = v128.load(ij, 32); a3 = v128.load(ij, 48);
    }
    for (let e = from; e < end; e += 4) {
      const r = bj + <usize>load<u32>(e);
      a0 = f32x4.add(a0, v128.load(r)); a1 = f32x4.add(a1, v128.load(r, 16));
      a2 = f32x4.add(a2, v128.load(r, 32)); a3 = f32x4.add(a3, v128.load(r, 48));
    }
    const d = dst + (<usize>j << 2);
    if (accumulate) {
      a0 = f32x4.add(v128.load(d), a0); a1 = f32x4.add(v128.load(d, 16), a1);
      a2 = f32x4.add(v128.load(d, 32), a2); a3 = f32x4.add(v128.load(d, 48), a3);
    }
    v128.store(d, a0); v128.store(d, a1, 16); v128.store(d, a2, 32); v128.store(d, a3, 48);
  }
  for (; j + 4 <= O; j += 4) {
    const bj = base + (<usize>j << 2);
    let a = init ? v128.load(init + (<usize>j << 2)) : zero;
    for (let e = from; e < end; e += 4) a = f32x4.add(a, v128.load(bj + <usize>load<u32>(e)));
    const d = dst + (<usize>j << 2);
    v128.store(d, accumulate ? f32x4.add(v128.load(d), a) : a);
  }
  for (; j < O; j++) {
    const bj = base + (<usize>j << 2);
    let a: f32 = init ? load<f32>(init + (<usize>j << 2)) : 0;
    for (let e = from; e < end; e += 4) a += load<f32>(bj + <usize>load<u32>(e));
    const d = dst + (<usize>j << 2);
    store<f32>(d, accumulate ? load<f32>(d) + a : a);
  }
}

// Argument blocks of the exported kernels (the fields of their declarations in src/kernels/wasm-exports.ts):
// the geometry of ConvShape (src/kernels/types.ts), then each kernel's operands.
@unmanaged class ConvShape {
  n: i32; H: i32; W: i32; C: i32; O: i32; kH: i32; kW: i32; stride: i32; pad: i32; outH: i32; outW: i32;
}
@unmanaged class ConvForwardArgs extends ConvShape { s: usize; w: usize; bias: usize; out: usize; scratch: usize; }
@unmanaged class ConvGradWArgs extends ConvShape { s: usize; g: usize; dw: usize; dwPart: usize; scratch: usize; }
@unmanaged class ConvGradInputArgs extends ConvShape { g: usize; w: usize; gIn: usize; scratch: usize; }
@unmanaged class ConvPoolArgs extends ConvShape { s: usize; w: usize; bias: usize; y: usize; arg: usize; pk: i32; ps: i32; pH: i32; pW: i32; scratch: usize; }
@unmanaged class ConvPoolBackwardArgs extends ConvShape {
  s: usize; gy: usize; arg: usize; w: usize; dw: usize; gIn: usize; pk: i32; ps: i32; pH: i32; pW: i32; accumulate: i32; dwPart: usize; scratch: usize;
}
@unmanaged class PoolArgs { n: i32; H: i32; W: i32; C: i32; k: i32; stride: i32; outH: i32; outW: i32; x: usize; y: usize; arg: usize; }

/** Scratch bytes of one image of convSpikeGradW: the gather lists (unused for stride > 1). */
export function convGradWScratchBytes(H: i32, W: i32): usize {
  return (gradWListBytes(H, W) + 15) & ~15;
}

/** Scratch bytes of convSpikeGradW for n images: one image's lists, then each group's weight-gradient sum. */
export function convGradWGroupsScratchBytes(H: i32, W: i32, K: i32, O: i32, n: i32): usize {
  return convGradWScratchBytes(H, W) + (<usize>((n + GRAD_GROUP - 1) / GRAD_GROUP) * <usize>(K * O) << 2);
}

/** Scratch bytes of convSpikeForward: the spike lists of one image (K = kH*kW*C, P = outH*outW). */
export function convSpikeScratchBytes(H: i32, W: i32, C: i32, K: i32, P: i32): usize {
  return listBytes(H, W, C, K, P);
}

/** out = conv(s, w) + bias (bias = 0: none) for 0/1 spike images s; out is overwritten. */
export function convSpikeForward(a: ConvForwardArgs): void {
  const n = a.n, H = a.H, W = a.W, C = a.C, O = a.O, kH = a.kH, kW = a.kW, stride = a.stride, pad = a.pad, outH = a.outH, outW = a.outW;
  const s = a.s, w = a.w, bias = a.bias, out = a.out, scratch = a.scratch;
  const outImg = <usize>(outH * outW * O) << 2;
  const inImg = <usize>(H * W * C);
  const chans = scratch + cntBytes(H, W);
  const plist = chans + (<usize>(H * W * paddedC(C)) << 2);
  for (let i = 0; i < n; i++) {
    listSpikes(s + <usize>i * inImg, H * W, C, O, scratch, chans);
    gatherImage(scratch, chans, plist, w, bias, out + <usize>i * outImg, H, W, C, O, kH, kW, stride, pad, outH, outW);
  }
}

/**
 * dw += conv weight gradient for spike images s and output gradient g (gather form for stride 1), summed
 * in groups of GRAD_GROUP images as convPoolSpikeBackward does (dwPart: a thread's groups, see there).
 */
export function convSpikeGradW(a: ConvGradWArgs): void {
  const n = a.n, H = a.H, W = a.W, C = a.C, O = a.O, kH = a.kH, kW = a.kW, stride = a.stride, pad = a.pad, outH = a.outH, outW = a.outW;
  const s = a.s, g = a.g, dw = a.dw, scratch = a.scratch;
  const outImg = <usize>(outH * outW * O) << 2;
  const inImg = <usize>(H * W * C);
  const KO = kH * kW * C * O;
  const partB = <usize>KO << 2;
  const parts = a.dwPart ? a.dwPart : scratch + convGradWScratchBytes(H, W);
  for (let i = 0; i < n; i++) {
    const part = parts + <usize>(i / GRAD_GROUP) * partB;
    if (i % GRAD_GROUP == 0) memory.fill(part, 0, partB);
    gradWImage(s + <usize>i * inImg, g + <usize>i * outImg, part, scratch, H, W, C, O, kH, kW, stride, pad, outH, outW);
  }
  if (!a.dwPart) convSumParts(dw, parts, (n + GRAD_GROUP - 1) / GRAD_GROUP, KO);
}

/** Scratch bytes of convGradInput: the transposed weight [O][kH][kW][C]. */
export function convGradInputScratchBytes(K: i32, O: i32): usize {
  return <usize>K * <usize>O << 2;
}

/**
 * gIn += input gradient of the convolution for output gradient g: for every nonzero g[p, o] the filter
 * of output channel o, scaled by g, is added onto the input window of pixel p.
 */
export function convGradInput(a: ConvGradInputArgs): void {
  const n = a.n, H = a.H, W = a.W, C = a.C, O = a.O, kH = a.kH, kW = a.kW, stride = a.stride, pad = a.pad, outH = a.outH, outW = a.outW;
  const g = a.g, w = a.w, gIn = a.gIn, scratch = a.scratch;
  const K = kH * kW * C;
  // wt[o][k] = w[k][o]
  for (let k = 0; k < K; k++) {
    for (let o = 0; o < O; o++) store<f32>(scratch + (<usize>(o * K + k) << 2), load<f32>(w + (<usize>(k * O + o) << 2)));
  }
  const span = kW * C;
  const inRowB = <usize>(W * C) << 2;
  for (let i = 0; i < n; i++) {
    const gImg = g + (<usize>(i * outH * outW * O) << 2);
    const xImg = gIn + (<usize>(i * H * W * C) << 2);
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const gp = gImg + (<usize>((oy * outW + ox) * O) << 2);
        for (let o = 0; o < O; o++) {
          const gv = load<f32>(gp + (<usize>o << 2));
          if (gv == 0) continue;
          windowAxpy(xImg, scratch + (<usize>(o * K) << 2), gv, oy * stride - pad, ox * stride - pad, H, W, C, kH, kW, span, inRowB);
        }
      }
    }
  }
}

/**
 * Max pooling of one image xImg [H][W][C] into y [outH][outW][C]; arg = idxBase + the index within the
 * image of the first maximal element of each window (torch's choice on ties). C % 4 == 0 runs 4
 * channels per v128 (strict greater-than keeps the first maximum); other C are scalar.
 */
@inline function poolImage(
  xImg: usize, y: usize, arg: usize, idxBase: i32, H: i32, W: i32, C: i32, k: i32, stride: i32, outH: i32, outW: i32,
): void {
  const lane = v128(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0);
  let o: usize = 0;
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      const first = (oy * stride * W + ox * stride) * C;
      let c = 0;
      if ((C & 3) == 0) {
        for (; c < C; c += 4, o += 4) {
          let bv = v128.load(xImg + (<usize>(first + c) << 2));
          let bi = i32x4.add(i32x4.splat(idxBase + first + c), lane);
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) {
              const p = first + (ky * W + kx) * C + c;
              const v = v128.load(xImg + (<usize>p << 2));
              const gt = f32x4.gt(v, bv);
              bv = v128.bitselect(v, bv, gt);
              bi = v128.bitselect(i32x4.add(i32x4.splat(idxBase + p), lane), bi, gt);
            }
          }
          v128.store(y + (o << 2), bv);
          v128.store(arg + (o << 2), bi);
        }
      } else {
        for (; c < C; c++, o++) {
          let best = first + c;
          let bv = load<f32>(xImg + (<usize>best << 2));
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) {
              const p = first + (ky * W + kx) * C + c;
              const v = load<f32>(xImg + (<usize>p << 2));
              if (v > bv) {
                bv = v;
                best = p;
              }
            }
          }
          store<f32>(y + (o << 2), bv);
          store<i32>(arg + (o << 2), idxBase + best);
        }
      }
    }
  }
}

/**
 * Max pooling of one image xImg [H][W][C] into y [outH][outW][C], and in win (u8) the position
 * ky*k + kx within its window of the first maximal element of each window (torch's choice on ties);
 * k*k <= 256. C % 4 == 0 runs 4 channels per v128; other C are scalar.
 */
@inline function poolWindows(xImg: usize, y: usize, win: usize, H: i32, W: i32, C: i32, k: i32, stride: i32, outH: i32, outW: i32): void {
  let o: usize = 0;
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      const first = (oy * stride * W + ox * stride) * C;
      let c = 0;
      if ((C & 3) == 0) {
        for (; c < C; c += 4, o += 4) {
          let bv = v128.load(xImg + (<usize>(first + c) << 2));
          let bi = i32x4.splat(0);
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) {
              const v = v128.load(xImg + (<usize>(first + (ky * W + kx) * C + c) << 2));
              const gt = f32x4.gt(v, bv);
              bv = v128.bitselect(v, bv, gt);
              bi = v128.bitselect(i32x4.splat(ky * k + kx), bi, gt);
            }
          }
          v128.store(y + (o << 2), bv);
          const b16 = i16x8.narrow_i32x4_u(bi, bi);
          v128.store32_lane(win + o, i8x16.narrow_i16x8_u(b16, b16), 0);
        }
      } else {
        for (; c < C; c++, o++) {
          let bv = load<f32>(xImg + (<usize>(first + c) << 2));
          let bi = 0;
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) {
              const v = load<f32>(xImg + (<usize>(first + (ky * W + kx) * C + c) << 2));
              if (v > bv) {
                bv = v;
                bi = ky * k + kx;
              }
            }
          }
          store<f32>(y + (o << 2), bv);
          store<u8>(win + o, <u8>bi);
        }
      }
    }
  }
}

/** Max pooling of n float images (flat indices into x in arg). */
export function maxPoolForward(a: PoolArgs): void {
  const x = a.x, y = a.y, arg = a.arg, n = a.n, H = a.H, W = a.W, C = a.C, k = a.k, stride = a.stride, outH = a.outH, outW = a.outW;
  const inImg = H * W * C;
  const outImg = <usize>(outH * outW * C) << 2;
  for (let i = 0; i < n; i++) {
    poolImage(x + (<usize>(i * inImg) << 2), y + <usize>i * outImg, arg + <usize>i * outImg, i * inImg, H, W, C, k, stride, outH, outW);
  }
}

/** Scratch bytes of convPoolSpikeForward and of one image of convPoolSpikeBackward: one conv output image and the spike lists. */
export function convPoolScratchBytes(H: i32, W: i32, C: i32, O: i32, outH: i32, outW: i32, K: i32): usize {
  const fwd = (<usize>(outH * outW * O) << 2) + listBytes(H, W, C, K, outH * outW);
  const bwd = (<usize>(2 * outH * outW * O) << 2) + (<usize>K * <usize>O << 2) + gradListBytes(outH * outW, O) + gradWListBytes(H, W);
  return (max(fwd, bwd) + 15) & ~15;
}

/**
 * Images per weight-gradient group: the weight gradient of n images is summed group by group (each
 * group's from zero, in image order), then the groups' sums are added to dW in group order. The
 * groups are fixed by the image index alone, so a call split over threads (whole groups per thread,
 * splits.ts) adds exactly the same floats in the same order as one thread.
 */
const GRAD_GROUP: i32 = 32;

/** Images per weight-gradient group (GRAD_GROUP). */
export function convGradGroup(): i32 {
  return GRAD_GROUP;
}

/** Scratch bytes of convPoolSpikeBackward for n images: one image's space, then each group's weight-gradient sum. */
export function convPoolBackwardScratchBytes(H: i32, W: i32, C: i32, O: i32, outH: i32, outW: i32, K: i32, n: i32): usize {
  return convPoolScratchBytes(H, W, C, O, outH, outW, K) + (<usize>((n + GRAD_GROUP - 1) / GRAD_GROUP) * <usize>(K * O) << 2);
}

/** dst[0..len) += parts[0][0..len), then += parts[1], ... (count parts of len floats, back to back): the groups' sums in order. */
export function convSumParts(dst: usize, parts: usize, count: i32, len: i32): void {
  for (let p = 0; p < count; p++) {
    const src = parts + (<usize>p * <usize>len << 2);
    let j = 0;
    for (; j + 4 <= len; j += 4) {
      const d = dst + (<usize>j << 2);
      v128.store(d, f32x4.add(v128.load(d), v128.load(src + (<usize>j << 2))));
    }
    for (; j < len; j++) {
      const d = dst + (<usize>j << 2);
      store<f32>(d, load<f32>(d) + load<f32>(src + (<usize>j << 2)));
    }
  }
}

/**
 * Fused Conv2d (spike input) -> MaxPool2d: each image's conv output is computed into scratch (L1-sized),
 * pooled there, and only the pooled values y and the window argmax (arg, u8: the position ky*pk + kx of
 * the maximum within its window, pk*pk <= 256) leave the kernel.
 */
export function convPoolSpikeForward(a: ConvPoolArgs): void {
  const n = a.n, H = a.H, W = a.W, C = a.C, O = a.O, kH = a.kH, kW = a.kW, stride = a.stride, pad = a.pad, outH = a.outH, outW = a.outW;
  const s = a.s, w = a.w, bias = a.bias, y = a.y, arg = a.arg, pk = a.pk, ps = a.ps, pH = a.pH, pW = a.pW, scratch = a.scratch;
  const inImg = <usize>(H * W * C);
  const poolImg = <usize>(pH * pW * O);
  const conv = scratch;
  const cnt = scratch + (<usize>(outH * outW * O) << 2);
  const chans = cnt + cntBytes(H, W);
  const plist = chans + (<usize>(H * W * paddedC(C)) << 2);
  for (let i = 0; i < n; i++) {
    listSpikes(s + <usize>i * inImg, H * W, C, O, cnt, chans);
    gatherImage(cnt, chans, plist, w, bias, conv, H, W, C, O, kH, kW, stride, pad, outH, outW);
    poolWindows(conv, y + (<usize>i * poolImg << 2), arg + <usize>i * poolImg, outH, outW, O, pk, ps, pH, pW);
  }
}

/**
 * Backward of convPoolSpikeForward for pooled-output gradient gy: dW (dw not 0) from the unpooled gradient
 * image (scatter of gy to the argmax positions), and gIn (gIn not 0) from the nonzero pooled gradients
 * only: each adds g times its output channel's filter onto the input window of its argmax. gIn is
 * accumulated into when `accumulate` is set, else overwritten. dW: each group of GRAD_GROUP images sums
 * into its own space (dwPart + group * K*O floats when dwPart is not 0: a thread's part of a split call,
 * whose caller adds the groups with convSumParts; else the scratch after one image's space, added here).
 */
export function convPoolSpikeBackward(a: ConvPoolBackwardArgs): void {
  const n = a.n, H = a.H, W = a.W, C = a.C, O = a.O, kH = a.kH, kW = a.kW, stride = a.stride, pad = a.pad, outH = a.outH, outW = a.outW;
  const s = a.s, gy = a.gy, arg = a.arg, w = a.w, dw = a.dw, gIn = a.gIn, pk = a.pk, ps = a.ps, pH = a.pH, pW = a.pW, scratch = a.scratch;
  const K = kH * kW * C;
  const inImg = H * W * C;
  const convLen = outH * outW * O;
  const poolLen = pH * pW * O;
  const gImg = scratch; // two unpooled gradient images
  const wt = scratch + (<usize>(2 * convLen) << 2);
  const list = wt + (<usize>(K * O) << 2);
  const wList = list + gradListBytes(outH * outW, O);
  const partB = <usize>(K * O) << 2;
  const parts = a.dwPart ? a.dwPart : scratch + convPoolScratchBytes(H, W, C, O, outH, outW, K);
  if (gIn) {
    for (let k = 0; k < K; k++) {
      for (let o = 0; o < O; o++) store<f32>(wt + (<usize>(o * K + k) << 2), load<f32>(w + (<usize>(k * O + o) << 2)));
    }
  }
  for (let i = 0; i < n; ) {
    // two images at once for the weight gradient where both take its gather form, within one group
    const pair = dw != 0 && stride == 1 && i % GRAD_GROUP + 1 < GRAD_GROUP && i + 1 < n &&
      denseEnough(s + <usize>(i * inImg), inImg) && denseEnough(s + <usize>((i + 1) * inImg), inImg);
    const count = pair ? 2 : 1;
    for (let k = 0; k < count; k++) unpool(gImg + (<usize>(k * convLen) << 2), gy + (<usize>((i + k) * poolLen) << 2), arg + <usize>((i + k) * poolLen), outW, O, pk, ps, pH, pW, convLen);
    if (dw) {
      const part = parts + <usize>(i / GRAD_GROUP) * partB;
      if (i % GRAD_GROUP == 0) memory.fill(part, 0, partB);
      if (pair) gatherGradW(s + <usize>(i * inImg), gImg, part, wList, H, W, C, O, kH, kW, pad, outH, outW, 2, <usize>inImg, <usize>convLen << 2);
      else gradWImage(s + <usize>(i * inImg), gImg, part, wList, H, W, C, O, kH, kW, stride, pad, outH, outW);
    }
    if (gIn) {
      for (let k = 0; k < count; k++) {
        const xImg = gIn + (<usize>((i + k) * inImg) << 2);
        if (!a.accumulate) memory.fill(xImg, 0, <usize>inImg << 2);
        gradInputImage(gImg + (<usize>(k * convLen) << 2), wt, xImg, list, H, W, C, O, kH, kW, stride, pad, outH, outW);
      }
    }
    i += count;
  }
  if (dw && !a.dwPart) convSumParts(dw, parts, (n + GRAD_GROUP - 1) / GRAD_GROUP, K * O);
}

/** The gradient image gImg (convLen floats) of a conv output from its pooled gradient gp and window argmax ap: zero except at the window maxima. */
@inline function unpool(gImg: usize, gp: usize, ap: usize, outW: i32, O: i32, pk: i32, ps: i32, pH: i32, pW: i32, convLen: i32): void {
  memory.fill(gImg, 0, <usize>convLen << 2);
  for (let py = 0; py < pH; py++) {
    for (let px = 0; px < pW; px++) {
      const corner = (py * ps * outW + px * ps) * O;
      for (let o = 0; o < O; o++, gp += 4, ap++) {
        const at = <i32>load<u8>(ap);
        const wy = at / pk;
        const d = gImg + (<usize>(corner + (wy * outW + at - wy * pk) * O + o) << 2);
        store<f32>(d, load<f32>(d) + load<f32>(gp));
      }
    }
  }
}

/** Scratch bytes of gradInputImage's lists: an (address, g) pair per nonzero gradient, a start per pixel. */
@inline function gradListBytes(pixels: i32, O: i32): usize {
  return (<usize>(pixels * O) << 3) + (<usize>(pixels + 1) << 2);
}

/**
 * Input gradient of one image from its (mostly zero) output-gradient image: first the nonzero channel
 * gradients of every output pixel are listed, then, one kernel row ky at a time, each v128 of every
 * pixel's input-window row is computed as sum_o g_o * filter_o (in registers) and added once. Taking
 * the kernel rows in the outer loop keeps the filters' row-ky slices (O x kW*C floats, 15 KB for
 * 64 x 5 x 12) in L1, where all O filters (77 KB) would not fit.
 */
function gradInputImage(
  gImg: usize, wt: usize, xImg: usize, list: usize,
  H: i32, W: i32, C: i32, O: i32, kH: i32, kW: i32, stride: i32, pad: i32, outH: i32, outW: i32,
): void {
  const K = kH * kW * C;
  const span = kW * C;
  const inRowB = <usize>(W * C) << 2;
  const pixels = outH * outW;
  const starts = list + (<usize>(pixels * O) << 3);
  // list the nonzero gradients of every output pixel: (filter address, g); starts[p] .. starts[p + 1]
  let m = 0;
  for (let p = 0; p < pixels; p++) {
    store<i32>(starts + (<usize>p << 2), m);
    const gp = gImg + (<usize>(p * O) << 2);
    for (let o = 0; o < O; o++) {
      // branch-free: every entry is written, the list advances past the nonzero ones only
      const gv = load<f32>(gp + (<usize>o << 2));
      store<u32>(list + (<usize>m << 3), <u32>(wt + (<usize>(o * K) << 2)));
      store<f32>(list + (<usize>m << 3), gv, 4);
      m += <i32>(gv != 0);
    }
  }
  store<i32>(starts + (<usize>pixels << 2), m);
  if (m == 0) return;
  for (let ky = 0; ky < kH; ky++) {
    for (let oy = 0; oy < outH; oy++) {
      const yy = oy * stride - pad + ky;
      if (yy < 0 || yy >= H) continue;
      const rowDst = xImg + <usize>yy * inRowB;
      for (let ox = 0; ox < outW; ox++) {
        const p = oy * outW + ox;
        const first = load<i32>(starts + (<usize>p << 2));
        const count = load<i32>(starts + (<usize>(p + 1) << 2)) - first;
        if (count == 0) continue;
        const pl = list + (<usize>first << 3);
        const x0 = ox * stride - pad;
        if (x0 >= 0 && x0 + kW <= W) {
          windowRow(rowDst + (<usize>(x0 * C) << 2), pl, count, <usize>(ky * span) << 2, span);
        } else {
          for (let kx = 0; kx < kW; kx++) {
            const xx = x0 + kx;
            if (xx < 0 || xx >= W) continue;
            windowRow(rowDst + (<usize>(xx * C) << 2), pl, count, <usize>((ky * span) + kx * C) << 2, C);
          }
        }
      }
    }
  }
}

/**
 * dst[0..n) += sum over the m listed (filter, g) of g * filter[off .. off + n): 24 floats per pass in
 * six accumulators (six independent chains of multiply-adds, and few enough registers that V8 keeps
 * them all: with eight accumulators and two splats it spilled two to the stack on every entry, a
 * store-to-load round trip on their chains), then the leftover 4-float groups in one pass.
 */
@inline function windowRow(dst: usize, list: usize, m: i32, off: usize, n: i32): void {
  let j = 0;
  for (; j + 24 <= n; j += 24) {
    const jb = off + (<usize>j << 2);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0), a4 = f32x4.splat(0), a5 = f32x4.splat(0);
    for (let q = 0; q < m; q++) {
      const e = list + (<usize>q << 3);
      const f = <usize>load<u32>(e) + jb;
      const gv = v128.load32_splat(e, 4);
      a0 = madd(gv, v128.load(f), a0);
      a1 = madd(gv, v128.load(f, 16), a1);
      a2 = madd(gv, v128.load(f, 32), a2);
      a3 = madd(gv, v128.load(f, 48), a3);
      a4 = madd(gv, v128.load(f, 64), a4);
      a5 = madd(gv, v128.load(f, 80), a5);
    }
    const d = dst + (<usize>j << 2);
    v128.store(d, f32x4.add(v128.load(d), a0));
    v128.store(d, f32x4.add(v128.load(d, 16), a1), 16);
    v128.store(d, f32x4.add(v128.load(d, 32), a2), 32);
    v128.store(d, f32x4.add(v128.load(d, 48), a3), 48);
    v128.store(d, f32x4.add(v128.load(d, 64), a4), 64);
    v128.store(d, f32x4.add(v128.load(d, 80), a5), 80);
  }
  // 0..5 groups of 4 floats left: up to three at a time
  while (n - j >= 4) {
    const groups = min(3, (n - j) >> 2);
    const jb = off + (<usize>j << 2);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0);
    for (let q = 0; q < m; q++) {
      const e = list + (<usize>q << 3);
      const f = <usize>load<u32>(e) + jb;
      const gv = v128.load32_splat(e, 4);
      a0 = madd(gv, v128.load(f), a0);
      if (groups > 1) a1 = madd(gv, v128.load(f, 16), a1);
      if (groups > 2) a2 = madd(gv, v128.load(f, 32), a2);
    }
    const d = dst + (<usize>j << 2);
    v128.store(d, f32x4.add(v128.load(d), a0));
    if (groups > 1) v128.store(d, f32x4.add(v128.load(d, 16), a1), 16);
    if (groups > 2) v128.store(d, f32x4.add(v128.load(d, 32), a2), 32);
    j += groups << 2;
  }
  for (; j < n; j++) {
    const jb = off + (<usize>j << 2);
    let a: f32 = 0;
    for (let q = 0; q < m; q++) {
      const e = list + (<usize>q << 3);
      a += load<f32>(e, 4) * load<f32>(<usize>load<u32>(e) + jb);
    }
    const d = dst + (<usize>j << 2);
    store<f32>(d, load<f32>(d) + a);
  }
}

/** gIn window at (y0, x0) += g * filter (kH x kW x C), clipped to the image. */
@inline function windowAxpy(
  xImg: usize, filt: usize, gv: f32, y0: i32, x0: i32, H: i32, W: i32, C: i32, kH: i32, kW: i32, span: i32, inRowB: usize,
): void {
  const inside = x0 >= 0 && x0 + kW <= W;
  for (let ky = 0; ky < kH; ky++) {
    const yy = y0 + ky;
    if (yy < 0 || yy >= H) continue;
    const rowDst = xImg + <usize>yy * inRowB;
    const rowSrc = filt + (<usize>(ky * span) << 2);
    if (inside) axpy(rowDst + (<usize>(x0 * C) << 2), rowSrc, gv, span);
    else {
      for (let kx = 0; kx < kW; kx++) {
        const xx = x0 + kx;
        if (xx < 0 || xx >= W) continue;
        axpy(rowDst + (<usize>(xx * C) << 2), rowSrc + (<usize>(kx * C) << 2), gv, C);
      }
    }
  }
}
