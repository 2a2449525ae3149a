import type { Exports } from './wasm-exports.js';

/**
 * How the thread pool (pool.ts) splits one kernel call: into parts that each write their own outputs
 * (rows or column blocks of a GEMM, tiles or features of a scan, images of a convolution), so that
 * every output element is computed by one thread with the summation order of the one-thread kernel,
 * and results are bit-identical for any number of threads. Kernels whose outputs are sums over the
 * split dimension (the weight gradients summed over the batch, spikeSeqMatmul's per-sample sums) are
 * not split, except where the kernel itself sums in fixed groups that the parts can take whole (the
 * convolutions' weight gradients, groupedGradW). A split is taken only above a work threshold: below
 * it the dispatch costs more than it saves, and the call runs on one thread as before.
 *
 * A split sees the call's arguments by field name (addresses and scalars, as the kernel will get them)
 * and returns each part's changed fields; `alloc` lays out space above the call's operands (each
 * part's scratch, or space the parts share).
 */

export type Args = Readonly<Record<string, number>>;
export interface SplitContext {
  x: Exports;
  threads: number;
  /** Bytes above everything laid out so far for this call (16-aligned); its address. */
  alloc(bytes: number): number;
  /** A Float32Array view of the memory (remade after a growth). */
  f32(): Float32Array;
  /** ranges() with the shares the pool has learnt for this kind of call (balance.ts): how every splitter cuts its work. */
  ranges(n: number, parts: number, align?: number): Array<[number, number]>;
}
export interface Split {
  parts: Array<Record<string, number>>;
  /** The call's result from the parts' (default: their sum). */
  combine?(results: number[]): number;
  /** Runs after every part, on the caller's thread. */
  after?(): void;
}
export type Splitter = (v: Args, ctx: SplitContext) => Split | null;

/** Work units (multiply-adds, neuron steps) below which one part is not worth a thread. */
const MIN_PART = 1 << 17;

/** Parts for `work` units over at most `max` pieces. */
const partsFor = (ctx: SplitContext, work: number, max: number): number =>
  Math.max(1, Math.min(ctx.threads, max, Math.floor(work / MIN_PART)));

/**
 * [start, end) of part p of `n` items in `parts` runs, boundaries on multiples of `align`: near-equal, or
 * (shares: one fraction per part, summing to 1) each run about its share of the items.
 */
export function ranges(n: number, parts: number, align = 1, shares: readonly number[] | null = null): Array<[number, number]> {
  const units = Math.ceil(n / align);
  const cuts = new Array<number>(parts + 1);
  cuts[0] = 0;
  for (let p = 1, acc = 0; p <= parts; p++) {
    if (p === parts) cuts[p] = units;
    else if (!shares) cuts[p] = Math.floor((units * p) / parts);
    else {
      acc += shares[p - 1];
      cuts[p] = Math.min(units, Math.max(cuts[p - 1], Math.round(units * acc)));
    }
  }
  const out: Array<[number, number]> = [];
  for (let p = 0; p < parts; p++) {
    const a = Math.min(n, cuts[p] * align);
    const b = Math.min(n, cuts[p + 1] * align);
    if (b > a) out.push([a, b]);
  }
  return out;
}

const gemm: Splitter = (v, ctx) => {
  const { m, k, n, transA, transB } = v;
  const parts = partsFor(ctx, m * k * n, Math.max(Math.ceil(n / 8), Math.ceil(m / 4)));
  if (parts < 2) return null;
  // column blocks (multiples of the 8-wide B panels) when there are enough, else row blocks (of 4)
  if (n >= parts * 32 || n >= m) {
    return {
      parts: ctx.ranges(n, parts, 8).map(([j0, j1]) => ({
        b: v.b + (transB ? j0 * k : j0) * 4,
        ldb: transB ? k : n,
        c: v.c + j0 * 4,
        ldc: n,
        n: j1 - j0,
        scratch: ctx.alloc(ctx.x.gemmScratchBytes(m, k, j1 - j0)),
      })),
    };
  }
  return {
    parts: ctx.ranges(m, parts, 4).map(([i0, i1]) => ({
      a: v.a + (transA ? i0 : i0 * k) * 4,
      lda: transA ? m : k,
      c: v.c + i0 * n * 4,
      m: i1 - i0,
      scratch: ctx.alloc(ctx.x.gemmScratchBytes(i1 - i0, k, n)),
    })),
  };
};

const sparseGemm: Splitter = (v, ctx) => {
  const { m, k, n, transA } = v;
  if (v.transB) return null;
  // A's nonzeros set the work; a sparse A (the reason for this kernel) has about a third of them
  const parts = partsFor(ctx, (m * k * n) / 3, Math.ceil(m / 4));
  if (parts < 2) return null;
  return {
    parts: ctx.ranges(m, parts, 4).map(([i0, i1]) => ({
      a: v.a + (transA ? i0 : i0 * k) * 4,
      lda: transA ? m : k,
      c: v.c + i0 * n * 4,
      m: i1 - i0,
      scratch: ctx.alloc(ctx.x.sparseScratchBytes(i1 - i0, k)),
    })),
  };
};

const spikeMatmul: Splitter = (v, ctx) => {
  const { m, k, n } = v;
  // a spike adds one row: about a tenth of the dense work at typical rates
  const parts = partsFor(ctx, (m * k * n) / 10, Math.ceil(m / 16));
  if (parts < 2) return null;
  return {
    parts: ctx.ranges(m, parts, 16).map(([i0, i1]) => ({
      s: v.s + i0 * k,
      c: v.c + i0 * n * 4,
      m: i1 - i0,
      scratch: ctx.alloc(ctx.x.spikeMatmulScratchBytes(i1 - i0, k, n)),
    })),
  };
};

/**
 * A spike sequence's currents: the narrow readout (n <= 16, e.g. 10 classes) in time runs (each row its
 * own sum); the wide kernel, which codes each input over all steps of a sample, in runs of samples
 * (each sample's rows its own).
 */
const spikeSeqMatmul: Splitter = (v, ctx) => {
  const { t, b, k, n } = v;
  const narrow = n <= 16;
  const parts = partsFor(ctx, (t * b * k * n) / 10, narrow ? t : b);
  if (parts < 2) return null;
  const scratch = () => ctx.alloc(ctx.x.spikeSeqMatmulScratchBytes(t, b, k, n));
  if (!narrow) return { parts: ctx.ranges(b, parts).map(([from, to]) => ({ from, to, scratch: scratch() })) };
  return {
    parts: ctx.ranges(t, parts).map(([t0, t1]) => ({
      s: v.s + t0 * b * k,
      c: v.c + t0 * b * n * 4,
      t: t1 - t0,
      scratch: ctx.alloc(ctx.x.spikeSeqMatmulScratchBytes(t1 - t0, b, k, n)),
    })),
  };
};

/**
 * Its weight gradient: each row p of dW sums its terms over all steps and samples in a fixed order, so
 * runs of dW's rows (S's columns, read with S's full row length ks; the wide kernel's sample blocks
 * follow the full width) split; the bias gradient (a sum over rows) stays with the first part.
 */
const spikeSeqGradW: Splitter = (v, ctx) => {
  const { t, b, k, n } = v;
  if (k === 0) return null;
  const parts = partsFor(ctx, (t * b * k * n) / 10, Math.ceil(k / 16));
  if (parts < 2) return null;
  return {
    parts: ctx.ranges(k, parts, 16).map(([k0, k1]) => ({
      s: v.s + k0,
      dw: v.dw + k0 * n * 4,
      gradBias: k0 === 0 ? v.gradBias : 0,
      k: k1 - k0,
      ks: k,
      // the wide kernel lays its scratch out by the full width's sample block
      scratch: ctx.alloc(ctx.x.spikeSeqGradWScratchBytes(t, b, n <= 16 ? k1 - k0 : k, n)),
    })),
  };
};

/** Column blocks (multiples of 16, the kernel's strip): each column is summed down the rows in the one-thread order. */
const sumRows: Splitter = (v, ctx) => {
  const parts = partsFor(ctx, v.m * v.n, Math.ceil(v.n / 16));
  if (parts < 2) return null;
  return { parts: ctx.ranges(v.n, parts, 16).map(([j0, j1]) => ({ x: v.x + j0 * 4, out: v.out + j0 * 4, n: j1 - j0, ld: v.n })) };
};

/** Row blocks: every element is its own sum. */
const addBias: Splitter = (v, ctx) => {
  const parts = partsFor(ctx, v.m * v.n, v.m);
  if (parts < 2) return null;
  return { parts: ctx.ranges(v.m, parts).map(([i0, i1]) => ({ c: v.c + i0 * v.n * 4, m: i1 - i0 })) };
};

/** Adam is elementwise: runs of elements (multiples of 4, the SIMD width). A weighted sum of gradient buffers (P > 0) is laid out by n and stays whole. */
const adamUpdate: Splitter = (v, ctx) => {
  if (v.P > 0) return null;
  const parts = partsFor(ctx, v.n * 4, Math.ceil(v.n / 4));
  if (parts < 2) return null;
  return {
    parts: ctx.ranges(v.n, parts, 4).map(([i0, i1]) => ({
      w: v.w + i0 * 4,
      g: v.g + i0 * 4,
      m: v.m + i0 * 4,
      v: v.v + i0 * 4,
      n: i1 - i0,
    })),
  };
};

const leakyForward: Splitter = (v, ctx) => {
  const tiles = ctx.x.leakyTiles(v.N, v.H);
  const parts = partsFor(ctx, v.T * v.N * 2, tiles);
  if (parts < 2) return null;
  return {
    parts: ctx.ranges(tiles, parts).map(([t0, t1]) => ({ tile0: t0, tile1: t1, scratch: ctx.alloc(ctx.x.leakyScratchBytes()) })),
  };
};

const leakyBackward: Splitter = (v, ctx) => {
  const { T, N, H } = v;
  const tiles = ctx.x.leakyTiles(N, H);
  const count = partsFor(ctx, T * N * (4 + (v.dg ? v.o : 0)), tiles);
  if (count < 2) return null;
  // each neuron's dL/dbeta term goes to gbAll; gradBeta is then summed in neuron order, as one thread adds
  // them (none wanted, gradBeta null: no gbAll, 0 to the kernel, and nothing to sum)
  const gbAll = v.gradBeta ? ctx.alloc(N * 4) : 0;
  const parts = ctx.ranges(tiles, count).map(([t0, t1]) => ({
    gbAll,
    tile0: t0,
    tile1: t1,
    scratch: ctx.alloc(ctx.x.leakyBackwardScratchBytes(T, H, v.o)),
  }));
  if (!gbAll) return { parts };
  return {
    parts,
    after() {
      const f = ctx.f32();
      const g = f.subarray(v.gradBeta / 4, v.gradBeta / 4 + H);
      const all = f.subarray(gbAll / 4, gbAll / 4 + N);
      g.fill(0);
      for (let n = 0, h = 0; n < N; n++) {
        g[h] += all[n]; // float32 storage: each sum is rounded as the kernel's f32 add
        if (++h === H) h = 0;
      }
    },
  };
};

const neuronRanges = (v: Args, ctx: SplitContext, cost: number): Array<Record<string, number>> | null => {
  const parts = partsFor(ctx, v.T * v.N * cost, v.H);
  if (parts < 2) return null;
  return ctx.ranges(v.H, parts).map(([h0, h1]) => ({ h0, h1, scratch: ctx.alloc(ctx.x.neuronScratchBytes()) }));
};
const neuronForward: Splitter = (v, ctx) => {
  const parts = neuronRanges(v, ctx, 16);
  // -2 (unknown model) before -1 (a state left the finite range) before the spike count
  return parts && { parts, combine: (r) => (r.includes(-2) ? -2 : r.includes(-1) ? -1 : r.reduce((s, x) => s + x, 0)) };
};
const neuronBackward: Splitter = (v, ctx) => {
  const parts = neuronRanges(v, ctx, 32);
  return parts && { parts, combine: (r) => Math.min(...r) };
};

/** Convolutions over n images, one image's outputs independent of the others: image runs. */
const images =
  (scratch: (v: Args, x: Exports) => number, moves: (v: Args) => Record<string, [ptr: number, bytesPerImage: number]>): Splitter =>
  (v, ctx) => {
    const work = v.n * v.outH * v.outW * v.O * v.kH * v.kW * v.C;
    const parts = partsFor(ctx, work / 4, v.n);
    if (parts < 2) return null;
    const m = moves(v);
    return {
      parts: ctx.ranges(v.n, parts).map(([i0, i1]) => {
        const over: Record<string, number> = { n: i1 - i0, scratch: ctx.alloc(scratch(v, ctx.x)) };
        for (const [f, [ptr, per]] of Object.entries(m)) if (ptr) over[f] = ptr + i0 * per;
        return over;
      }),
    };
  };
const inImg = (v: Args) => v.H * v.W * v.C;
const outImg = (v: Args) => v.outH * v.outW * v.O;
const poolImg = (v: Args) => v.pH * v.pW * v.O;

const convPoolScratch = (v: Args, x: Exports) => x.convPoolScratchBytes(v.H, v.W, v.C, v.O, v.outH, v.outW, v.kH * v.kW * v.C);
const convPoolMoves = (v: Args): Record<string, [number, number]> => ({
  s: [v.s, inImg(v)],
  gy: [v.gy, poolImg(v) * 4],
  arg: [v.arg, poolImg(v)],
  gIn: [v.gIn, inImg(v) * 4],
});
const convPoolImages = images(convPoolScratch, convPoolMoves);

/**
 * Weight gradients over images (convSpikeGradW, convPoolSpikeBackward with dw): the kernel sums dW over
 * fixed groups of images (one group's sum from zero, in image order; convGradGroup images each), then
 * adds the groups' sums to dW in group order. Each part takes whole groups and writes their sums to its
 * place in a shared area; the caller then adds them all with the kernel's own convSumParts: the same
 * floats in the same order as one thread, for any number of threads.
 */
const groupedGradW =
  (scratch: (v: Args, x: Exports) => number, moves: (v: Args) => Record<string, [ptr: number, bytesPerImage: number]>): Splitter =>
  (v, ctx) => {
    const group = ctx.x.convGradGroup();
    const groups = Math.ceil(v.n / group);
    const work = v.n * v.outH * v.outW * v.O * v.kH * v.kW * v.C;
    const parts = partsFor(ctx, work / 4, groups);
    if (parts < 2) return null;
    const KO = v.kH * v.kW * v.C * v.O;
    const area = ctx.alloc(groups * KO * 4);
    const m = moves(v);
    return {
      parts: ctx.ranges(v.n, parts, group).map(([i0, i1]) => {
        const over: Record<string, number> = { n: i1 - i0, scratch: ctx.alloc(scratch(v, ctx.x)), dwPart: area + (i0 / group) * KO * 4 };
        for (const [f, [ptr, per]] of Object.entries(m)) if (ptr) over[f] = ptr + i0 * per;
        return over;
      }),
      after: () => ctx.x.convSumParts(v.dw, area, groups, KO),
    };
  };
const convPoolGradW = groupedGradW(convPoolScratch, convPoolMoves);

export const SPLITS: Partial<Record<string, Splitter>> = {
  gemm,
  sparseGemm,
  spikeMatmul,
  spikeSeqMatmul,
  spikeSeqGradW,
  sumRows,
  addBias,
  adamUpdate,
  leakyForward,
  leakyBackward,
  neuronForward,
  neuronBackward,
  convSpikeForward: images(
    (v, x) => x.convSpikeScratchBytes(v.H, v.W, v.C, v.kH * v.kW * v.C, v.outH * v.outW),
    (v) => ({ s: [v.s, inImg(v)], out: [v.out, outImg(v) * 4] }),
  ),
  convPoolSpikeForward: images(
    (v, x) => x.convPoolScratchBytes(v.H, v.W, v.C, v.O, v.outH, v.outW, v.kH * v.kW * v.C),
    (v) => ({ s: [v.s, inImg(v)], y: [v.y, poolImg(v) * 4], arg: [v.arg, poolImg(v)] }),
  ),
  convSpikeGradW: groupedGradW(
    (v, x) => x.convGradWScratchBytes(v.H, v.W),
    (v) => ({ s: [v.s, inImg(v)], g: [v.g, outImg(v) * 4] }),
  ),
  convGradInput: images(
    (v, x) => x.convGradInputScratchBytes(v.kH * v.kW * v.C, v.O),
    (v) => ({ g: [v.g, outImg(v) * 4], gIn: [v.gIn, inImg(v) * 4] }),
  ),
  convPoolSpikeBackward: (v, ctx) => (v.dw ? convPoolGradW(v, ctx) : convPoolImages(v, ctx)),
};
