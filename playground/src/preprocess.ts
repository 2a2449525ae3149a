// MNIST-style preprocessing of a drawing (LeCun et al.): crop to the ink's bounding box, scale it
// (area averaging, aspect kept) to fit a 20 x 20 box, then place it in a 28 x 28 image so that its centre
// of mass sits at the centre: pixel index (14, 14), i.e. 14.5 in pixel-edge coordinates. That convention
// is MNIST's own: re-preprocessing real MNIST digits with it leaves them where they were (with 14.0
// instead, the checkpoint loses ~3 points of accuracy on them).

/**
 * gray: row-major intensities in [0, 1] of a w x h drawing (ink = high); `ink`: the level that counts for the
 * bounding box; `box`: the size the longer side is scaled to; `centre`: where the centre of mass goes (pixel
 * edges). Returns 784 values in [0, 1].
 */
export function mnistFromDrawing(gray: Float32Array, w: number, h: number, ink = 0.05, box = 20, centre = 14.5): Float32Array {
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      if (gray[y * w + x] > ink) (x0 = Math.min(x0, x)), (x1 = Math.max(x1, x)), (y0 = Math.min(y0, y)), (y1 = Math.max(y1, y));
  const out = new Float32Array(784);
  if (x1 < 0) return out;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const s = box / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * s));
  const th = Math.max(1, Math.round(bh * s));
  // area-average the box into tw x th
  const small = new Float32Array(tw * th);
  for (let ty = 0; ty < th; ty++) {
    const sy0 = y0 + (ty * bh) / th;
    const sy1 = y0 + ((ty + 1) * bh) / th;
    for (let tx = 0; tx < tw; tx++) {
      const sx0 = x0 + (tx * bw) / tw;
      const sx1 = x0 + ((tx + 1) * bw) / tw;
      let acc = 0;
      let area = 0;
      for (let y = Math.floor(sy0); y < Math.ceil(sy1); y++) {
        const fy = Math.min(y + 1, sy1) - Math.max(y, sy0);
        for (let x = Math.floor(sx0); x < Math.ceil(sx1); x++) {
          const fx = Math.min(x + 1, sx1) - Math.max(x, sx0);
          acc += gray[y * w + x] * fx * fy;
          area += fx * fy;
        }
      }
      small[ty * tw + tx] = area > 0 ? acc / area : 0;
    }
  }
  let m = 0;
  let cx = 0;
  let cy = 0;
  for (let y = 0; y < th; y++)
    for (let x = 0; x < tw; x++) {
      const v = small[y * tw + x];
      m += v;
      cx += v * (x + 0.5);
      cy += v * (y + 0.5);
    }
  cx /= m || 1;
  cy /= m || 1;
  const ox = Math.round(centre - cx);
  const oy = Math.round(centre - cy);
  for (let y = 0; y < th; y++)
    for (let x = 0; x < tw; x++) {
      const X = x + ox;
      const Y = y + oy;
      if (X >= 0 && X < 28 && Y >= 0 && Y < 28) out[Y * 28 + X] = Math.min(1, small[y * tw + x]);
    }
  return out;
}
