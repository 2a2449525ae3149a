import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { createWasmKernelsSync, wasmInternals } from '../../src/kernels/wasm.js';
import type { Kernels } from '../../src/kernels/types.js';
import { wasmBuilds, GEMM_FORMS } from '../helpers/kernels.js';

// The dense GEMM's blocking (src/kernels/assembly/gemm.ts: row blocks of MC = 256, k blocks of at most
// KC = 1024 split evenly, 4x8 tiles with partial edge tiles, A packed along its rows when transposed) on
// sizes that cross every block boundary unevenly: checked against a float64 product computed here, with
// the error bound of a k-term float32 sum, and bit for bit across thread counts with k split into blocks.

const builds = wasmBuilds();

const uniform = (n: number, rng: Rng) => new Float32Array(n).map(() => 2 * rng.uniform() - 1);

/** C (+)= op(A) op(B) in float64, and per element the sum of |terms| (for the rounding bound). */
function product(a: Float32Array, b: Float32Array, c0: Float32Array | null, m: number, k: number, n: number, tA: boolean, tB: boolean) {
  const want = new Float64Array(m * n);
  const mag = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = c0 ? c0[i * n + j] : 0;
      let g = Math.abs(s);
      for (let p = 0; p < k; p++) {
        const t = (tA ? a[p * m + i] : a[i * k + p]) * (tB ? b[j * k + p] : b[p * n + j]);
        s += t;
        g += Math.abs(t);
      }
      want[i * n + j] = s;
      mag[i * n + j] = g;
    }
  }
  return { want, mag };
}

/** |got - want| <= (k + 2) u sum|terms| per element (u = 2^-24): what any order of float32 additions keeps within. */
function expectWithinRounding(got: Float32Array, want: Float64Array, mag: Float64Array, k: number): void {
  const u = 2 ** -24;
  for (let i = 0; i < got.length; i++) {
    const bound = (k + 2) * u * mag[i] + 1e-30;
    if (!(Math.abs(got[i] - want[i]) <= bound)) expect.fail(`element ${i}: ${got[i]} vs ${want[i]} (bound ${bound})`);
  }
}

describe('dense GEMM blocking against a float64 product', () => {
  // [m, k, n]: three row blocks and three k blocks (684, 684, 683) with no size a multiple of 4 or 8;
  // two k blocks of 514 and 513; exactly one block and one tile column; k just past one block with one
  // row; few k steps (k mod 4 = 1) and a partial last column panel; B's panels, which are packed eight at a
  // time when B is not transposed: two full groups, a part group and a partial panel (n = 137)
  const shapes: Array<[number, number, number]> = [
    [517, 2051, 37],
    [259, 1027, 130],
    [256, 1024, 8],
    [1, 1025, 9],
    [301, 5, 1001],
    [13, 3, 137],
  ];
  for (const [m, k, n] of shapes) {
    for (const [tA, tB] of GEMM_FORMS) {
      it(`${m}x${k}x${n}, transA ${tA}, transB ${tB}, written and accumulated`, () => {
        const rng = new Rng(m * 7 + k * 3 + n);
        const a = uniform(m * k, rng);
        const b = uniform(k * n, rng);
        const c0 = uniform(m * n, rng);
        const fresh = product(a, b, null, m, k, n, tA, tB);
        const added = product(a, b, c0, m, k, n, tA, tB);
        for (const [, build] of builds) {
          const c = new Float32Array(m * n).fill(Number.NaN); // written, never read
          build.matmul(a, b, c, m, k, n, tA, tB, false);
          expectWithinRounding(c, fresh.want, fresh.mag, k);
          const acc = c0.slice();
          build.matmul(a, b, acc, m, k, n, tA, tB, true);
          expectWithinRounding(acc, added.want, added.mag, k + 1);
        }
      });
    }
  }
});

describe('dense GEMM with several k blocks: the same bits for 1, 2 and 3 threads', () => {
  const counts = [1, 2, 3];
  const kernels = builds.map(([name]) => counts.map((threads) => createWasmKernelsSync({ threads, relaxed: name === 'relaxed' })));
  afterAll(() => {
    for (const ks of kernels) for (const k of ks) k.close?.();
  });
  const dispatches = (k: Kernels) => wasmInternals(k)?.pool?.dispatches ?? 0;
  // n small: the threads take row blocks (crossing the 256-row blocks); n large: column blocks
  const shapes: Array<[number, number, number]> = [
    [517, 2051, 37],
    [37, 1100, 700],
  ];
  for (const [m, k, n] of shapes) {
    for (const [tA, tB] of GEMM_FORMS) {
      it(`${m}x${k}x${n}, transA ${tA}, transB ${tB}`, () => {
        const rng = new Rng(m + k + n);
        const a = uniform(m * k, rng);
        const b = uniform(k * n, rng);
        const c0 = uniform(m * n, rng);
        for (const ks of kernels) {
          const results = ks.map((kern, i) => {
            const before = dispatches(kern);
            const c = new Float32Array(m * n);
            kern.matmul(a, b, c, m, k, n, tA, tB, false);
            const acc = c0.slice();
            kern.matmul(a, b, acc, m, k, n, tA, tB, true);
            if (counts[i] > 1) expect(dispatches(kern), `threads ${counts[i]} split the call`).toBeGreaterThan(before);
            return [new Uint32Array(c.buffer), new Uint32Array(acc.buffer)];
          });
          for (let i = 1; i < results.length; i++) {
            expect(results[i][0], `written, threads ${counts[i]}`).toEqual(results[0][0]);
            expect(results[i][1], `accumulated, threads ${counts[i]}`).toEqual(results[0][1]);
          }
        }
      });
    }
  }
});
