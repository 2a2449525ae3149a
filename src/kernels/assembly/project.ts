import { appendLanes4 } from './compact';
import { seqRowsScratchBytes, seqSampleRows } from './spike-seq';
import { rateRowsScratchBytes, rateSampleRows } from './encode';
import { LeakyScan, stepV } from './leaky';

// Inference fusion of a Leaky layer with the Linear layer it feeds: runs the LIF recurrence and, for
// every spike, adds the spiking neuron's weight row into the next layer's current. The [T, B, H]
// spike and membrane arrays are never written: one sample at a time, its H membrane values stay in
// L1 (scratch), as do its input row (constant input) and its T output rows.
// Same arithmetic and order as leakyForward followed by spikeMatmul, so results agree bit for bit.

// Argument blocks (the fields of the declarations in src/kernels/wasm-exports.ts), after the scan's.
@unmanaged class LeakyProjectArgs extends LeakyScan { w: usize; o: i32; out: usize; accumulate: i32; scratch: usize; }
/** src: the spikes [T, B, K] (seqLeakyProject) or the values [B, K] (rateLeakyProject, with keys and gain). */
@unmanaged class ProjectRowsArgs extends LeakyScan {
  src: usize; keys: usize; gain: f64; w: usize; bias: usize; k: i32; w2: usize; o: i32; out: usize; accumulate: i32; scratch: usize;
}

/** Scratch bytes: one sample's membrane (H floats), its spike list (H + 4 ints), a 16-float row, W padded to 16-float rows. */
export function leakyProjectScratchBytes(h: i32, o: i32): usize {
  return (2 * <usize>h + 36 + <usize>h * <usize>((o + 15) & ~15)) << 2;
}

/**
 * out[t*B + b, 0..o) (+)= sum over neurons h spiking at (t, b) of w[h, 0..o); returns the spike count.
 * input: [T, B*H] or [B*H] when constInput; beta [H]; w [H, o] row-major; out [T*B, o] (followed in
 * memory by the scratch, so the last 16-float chunk of a row may be read past its end).
 * Per (t, b): the LIF update lists the spiking neurons, then each 16-column chunk of the output row is
 * summed in four v128 registers over the listed weight rows (ascending h, onto the existing output,
 * as spikeMatmul does).
 */
export function leakyProject(a: LeakyProjectArgs): i32 {
  const input = a.input, constInput = a.constInput, beta = a.beta, thr = a.threshold, reset = a.reset, t = a.T, nN = a.N, h = a.H;
  const w = a.w, o = a.o, out = a.out, accumulate = a.accumulate, scratch = a.scratch;
  const nB = nN / h;
  const wp = packProjection(w, h, o, scratch);
  if (!accumulate) memory.fill(out, 0, (<usize>t * <usize>nB * <usize>o) << 2);
  let count = 0;
  for (let b = 0; b < nB; b++) {
    const x0 = input + (<usize>(b * h) << 2);
    count += projectSample(x0, constInput ? 0 : <usize>nN << 2, beta, thr, reset, t, h, wp, o, out + (<usize>(b * o) << 2), <usize>(nB * o) << 2, scratch);
  }
  return count;
}

/** Scratch bytes of seqLeakyProject: leakyProject's, one sample's T current rows, the current kernel's. */
export function seqLeakyProjectScratchBytes(t: i32, k: i32, h: i32, o: i32): usize {
  return leakyProjectScratchBytes(h, o) + ((<usize>t * <usize>h) << 2) + seqRowsScratchBytes(t, k, h);
}

/**
 * The input layer of a rate-coded network at inference, fused: for each sample, its T current rows
 * (bias + S W, complement coded: seqSampleRows) into scratch, then leakyProject's LIF scan and
 * projection on them. The [T, B, H] currents are never written out. s: [T, B, K] spikes; w [K, H];
 * bias: H floats or 0; the rest as leakyProject (out [T*B, o]).
 */
export function seqLeakyProject(a: ProjectRowsArgs): i32 {
  return projectRows(false, a);
}

/**
 * The per-sample loop of seqLeakyProject (rate false: s holds [T, B, K] spikes) and rateLeakyProject
 * (rate true: s holds the values [B, K], keys their keys): a sample's T current rows into scratch, then
 * its LIF scan and projection.
 */
@inline function projectRows(rate: bool, a: ProjectRowsArgs): i32 {
  const s = a.src, keys = a.keys, gain = a.gain, w = a.w, bias = a.bias, k = a.k, beta = a.beta, thr = a.threshold, reset = a.reset;
  const t = a.T, h = a.H, nB = a.N / a.H, w2 = a.w2, o = a.o, out = a.out, accumulate = a.accumulate, scratch = a.scratch;
  const wp = packProjection(w2, h, o, scratch);
  const cur = scratch + leakyProjectScratchBytes(h, o);
  const rows = cur + ((<usize>t * <usize>h) << 2);
  if (!accumulate) memory.fill(out, 0, (<usize>t * <usize>nB * <usize>o) << 2);
  const rowB = <usize>h << 2;
  let count = 0;
  for (let b = 0; b < nB; b++) {
    if (rate) {
      const xb = s + ((<usize>b * <usize>k) << 2);
      const bad = rateSampleRows(xb, k, t, gain, load<u32>(keys + (<usize>b << 3)), load<u32>(keys + (<usize>b << 3), 4), w, bias, h, cur, rowB, rows);
      if (bad >= 0) return -1 - (b * k + bad);
    } else seqSampleRows(s, w, bias, t, nB, k, h, b, cur, rowB, 0, rows);
    count += projectSample(cur, rowB, beta, thr, reset, t, h, wp, o, out + (<usize>(b * o) << 2), <usize>(nB * o) << 2, scratch);
  }
  return count;
}

/** Scratch bytes of rateLeakyProject: leakyProject's, one sample's T current rows, rateSampleRows'. */
export function rateLeakyProjectScratchBytes(t: i32, k: i32, h: i32, o: i32): usize {
  return leakyProjectScratchBytes(h, o) + ((<usize>t * <usize>h) << 2) + rateRowsScratchBytes(k, t, h);
}

/**
 * seqLeakyProject for a rate-coded input given as values x [B, K] and per-sample keys (rateSpikes):
 * each sample's currents come from its spikes drawn right there (rateSampleRows), so no spike
 * sequence is stored. Same spikes and sums as rateSpikes then seqLeakyProject. Returns the spike count,
 * or -1 - i for a NaN at x[i] (nothing after that sample written).
 */
export function rateLeakyProject(a: ProjectRowsArgs): i32 {
  return projectRows(true, a);
}

/** W [h, o] copied into scratch as 16-float-padded rows; returns their address. */
function packProjection(w: usize, h: i32, o: i32, scratch: usize): usize {
  const op = (o + 15) & ~15;
  const wp = scratch + (<usize>(2 * h + 36) << 2);
  for (let r = 0; r < h; r++) {
    const src = w + (<usize>(r * o) << 2);
    const dst = wp + (<usize>(r * op) << 2);
    for (let j = 0; j < op; j++) store<f32>(dst + (<usize>j << 2), j < o ? load<f32>(src + (<usize>j << 2)) : 0);
  }
  return wp;
}

/**
 * One sample: the LIF scan over its T input rows (x0 + step * xStride; xStride 0 for a constant input)
 * and, per step, its spiking neurons' rows of wp added into the output row (orow0 + step * oStride).
 */
function projectSample(
  x0: usize, xStride: usize, beta: usize, thr: f32, reset: i32, t: i32, h: i32, wp: usize, o: i32, orow0: usize, oStride: usize, scratch: usize,
): i32 {
  // one copy per reset mode (a constant after inlining): V8 kept the reset and first-step tests inside
  // the per-vector loop, with their operands on the stack
  if (reset == 0) return projectSampleR(x0, xStride, beta, thr, 0, t, h, wp, o, orow0, oStride, scratch);
  if (reset == 1) return projectSampleR(x0, xStride, beta, thr, 1, t, h, wp, o, orow0, oStride, scratch);
  return projectSampleR(x0, xStride, beta, thr, 2, t, h, wp, o, orow0, oStride, scratch);
}

@inline function projectSampleR(
  x0: usize, xStride: usize, beta: usize, thr: f32, reset: i32, t: i32, h: i32, wp: usize, o: i32, orow0: usize, oStride: usize, scratch: usize,
): i32 {
  const op = (o + 15) & ~15;
  const vmem = scratch;
  const list = vmem + (<usize>h << 2);
  const tmp = list + (<usize>(h + 4) << 2);
  const thrv = f32x4.splat(thr);
  const h4 = h & ~3;
  const rowB = <usize>op << 2;
  const four = i32x4.splat(4);
  let count = 0;
  memory.fill(vmem, 0, <usize>h << 2);
  for (let step = 0; step < t; step++) {
    const xr = x0 + <usize>step * xStride;
    let cnt = 0;
    let j = 0;
    // branch-free compaction of the spiking lanes' indices onto the list (a mispredicted branch per 4
    // neurons cost more than the whole LIF update); ids carries the lanes' neuron indices
    let ids = i32x4(0, 1, 2, 3);
    if (step == 0) {
      for (; j < h4; j += 4) {
        const jo = <usize>j << 2;
        const v = v128.load(xr + jo);
        v128.store(vmem + jo, v);
        cnt = appendLanes4(i32x4.bitmask(f32x4.gt(v, thrv)), ids, list, cnt);
        ids = i32x4.add(ids, four);
      }
    } else {
      for (; j < h4; j += 4) {
        const jo = <usize>j << 2;
        const v = stepV(v128.load(vmem + jo), v128.load(xr + jo), v128.load(beta + jo), thrv, reset);
        v128.store(vmem + jo, v);
        cnt = appendLanes4(i32x4.bitmask(f32x4.gt(v, thrv)), ids, list, cnt);
        ids = i32x4.add(ids, four);
      }
    }
    for (; j < h; j++) {
      const jo = <usize>j << 2;
      const x = load<f32>(xr + jo);
      const prev = load<f32>(vmem + jo);
      const bt = load<f32>(beta + jo);
      // leaky.ts's stepS would compute the same, but written here the fused inference ran 12% faster
      // (measured; the optimiser then keeps one copy of the loop per reset mode)
      let v: f32;
      if (step == 0) v = x;
      else {
        const fired = prev > thr;
        if (reset == 0) v = bt * prev + x - (fired ? thr : 0);
        else if (reset == 1) v = bt * (fired ? 0 : prev) + x;
        else v = bt * prev + x;
      }
      store<f32>(vmem + jo, v);
      if (v > thr) {
        store<i32>(list + (<usize>cnt << 2), j);
        cnt++;
      }
    }
    count += cnt;
    if (!cnt) continue;
    const orow = orow0 + <usize>step * oStride;
    for (let c = 0; c < op; c += 16) {
      const co = <usize>c << 2;
      let a0 = v128.load(orow + co), a1 = v128.load(orow + co, 16), a2 = v128.load(orow + co, 32), a3 = v128.load(orow + co, 48);
      for (let q = 0; q < cnt; q++) {
        const r = wp + <usize>load<i32>(list + (<usize>q << 2)) * rowB + co;
        a0 = f32x4.add(a0, v128.load(r)); a1 = f32x4.add(a1, v128.load(r, 16));
        a2 = f32x4.add(a2, v128.load(r, 32)); a3 = f32x4.add(a3, v128.load(r, 48));
      }
      v128.store(tmp, a0); v128.store(tmp, a1, 16); v128.store(tmp, a2, 32); v128.store(tmp, a3, 48);
      const n = min(16, o - c);
      for (let k = 0; k < n; k++) store<f32>(orow + co + (<usize>k << 2), load<f32>(tmp + (<usize>k << 2)));
    }
  }
  return count;
}
