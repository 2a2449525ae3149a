// Inference fusion of a Leaky layer with the Linear layer it feeds: runs the LIF recurrence and, for
// every spike, adds the spiking neuron's weight row into the next layer's current. The [T, B, H]
// spike and membrane arrays are never written: one sample at a time, its H membrane values stay in
// L1 (scratch), as do its input row (constant input) and its T output rows.
// Same arithmetic and order as leakyForward followed by spikeMatmul, so results agree bit for bit.

/** Scratch bytes: the membrane of one sample (H floats) and the padded weight row width. */
export function leakyProjectScratchBytes(h: i32, o: i32): usize {
  return (<usize>h + 16 + <usize>h * <usize>((o + 3) & ~3)) << 2;
}

/**
 * out[t*B + b, 0..o) (+)= sum over neurons h spiking at (t, b) of w[h, 0..o); returns the spike count.
 * input: [T, B*H] or [B*H] when constInput; beta [H]; w [H, o] row-major; out [T*B, o].
 */
export function leakyProject(
  input: usize, constInput: i32, beta: usize, thr: f32, reset: i32, t: i32, nN: i32, h: i32,
  w: usize, o: i32, out: usize, accumulate: i32, scratch: usize,
): i32 {
  const nB = nN / h;
  const op = (o + 3) & ~3; // padded weight row, so each row is whole v128s
  const vmem = scratch;
  const wp = scratch + ((<usize>h + 16) << 2);
  for (let r = 0; r < h; r++) {
    const src = w + (<usize>(r * o) << 2);
    const dst = wp + (<usize>(r * op) << 2);
    for (let j = 0; j < op; j++) store<f32>(dst + (<usize>j << 2), j < o ? load<f32>(src + (<usize>j << 2)) : 0);
  }
  if (!accumulate) memory.fill(out, 0, (<usize>t * <usize>nB * <usize>o) << 2);
  const thrv = f32x4.splat(thr);
  const h4 = h & ~3;
  const rowB = <usize>op << 2;
  let count = 0;
  for (let b = 0; b < nB; b++) {
    memory.fill(vmem, 0, <usize>h << 2);
    for (let step = 0; step < t; step++) {
      const x0 = input + (<usize>(constInput ? b * h : step * nN + b * h) << 2);
      const orow = out + (<usize>((step * nB + b) * o) << 2);
      let j = 0;
      for (; j < h4; j += 4) {
        const jo = <usize>j << 2;
        const x = v128.load(x0 + jo);
        const prev = v128.load(vmem + jo);
        const bt = v128.load(beta + jo);
        let v: v128;
        if (step == 0) v = x;
        else {
          const fired = f32x4.gt(prev, thrv);
          if (reset == 0) v = f32x4.sub(f32x4.add(f32x4.mul(bt, prev), x), v128.and(fired, thrv));
          else if (reset == 1) v = f32x4.add(f32x4.mul(bt, v128.andnot(prev, fired)), x);
          else v = f32x4.add(f32x4.mul(bt, prev), x);
        }
        v128.store(vmem + jo, v);
        let mask = i32x4.bitmask(f32x4.gt(v, thrv));
        while (mask) {
          addRow(orow, wp + <usize>(j + ctz(mask)) * rowB, o);
          count++;
          mask &= mask - 1;
        }
      }
      for (; j < h; j++) {
        const jo = <usize>j << 2;
        const x = load<f32>(x0 + jo);
        const prev = load<f32>(vmem + jo);
        const bt = load<f32>(beta + jo);
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
          addRow(orow, wp + <usize>j * rowB, o);
          count++;
        }
      }
    }
  }
  return count;
}

/** dst[0..o) += row[0..o) (row is zero-padded to a multiple of 4; dst is not). */
@inline function addRow(dst: usize, row: usize, o: i32): void {
  const o4 = o & ~3;
  let j = 0;
  for (; j < o4; j += 4) {
    const p = dst + (<usize>j << 2);
    v128.store(p, f32x4.add(v128.load(p), v128.load(row + (<usize>j << 2))));
  }
  for (; j < o; j++) {
    const p = dst + (<usize>j << 2);
    store<f32>(p, load<f32>(p) + load<f32>(row + (<usize>j << 2)));
  }
}
