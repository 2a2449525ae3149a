import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import { Rng } from '../../src/core/rng.js';
import { backward } from '../../src/core/autograd.js';
import { linear, sum } from '../../src/ops/index.js';
import { leakySequence, leakyScanRows, SCAN_CHUNK_BYTES, SCAN_SPLIT_BYTES } from '../../src/neurons/leaky.js';
import { ValueError } from '../../src/core/errors.js';
import { atan } from '../../src/surrogate/index.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import type { Kernels } from '../../src/kernels/types.js';
import { Linear, Leaky, Sequential } from '../../src/index.js';
import { wasmBuilds } from '../helpers/kernels.js';

// What the Open Neuromorphic benchmark's forward saves for its backward, cut without changing a bit:
// the Leaky scan split over batch rows (each kernel call sees [T, rows, H]: bounded kernel memory), the
// output layer's membrane trace not kept when no loss reads it, and the sum loss (no [T, B, H] seed).

const kernelSets: Array<[string, Kernels]> = [['reference', referenceKernels], ...wasmBuilds()];
const bits = (a: ArrayLike<number> | null | undefined) => (a ? Array.from(a) : a);

/** Kernels that record the neurons per step (N) of every Leaky scan call. */
function recording(k: Kernels): { k: Kernels; calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    k: {
      ...k,
      leakyForward: (a, m) => (calls.push(a.N), k.leakyForward(a, m)),
      leakyBackward: (a) => (calls.push(a.N), k.leakyBackward(a)),
    },
  };
}

describe('the Leaky scan split over batch rows gives the results of one call, bit for bit', () => {
  for (const [name, k0] of kernelSets) {
    // H = 13: tiles with 4-wide and scalar lanes; H = 37 with a Linear of 10 after it (the deferred g W^T)
    for (const [T, B, H] of [
      [6, 5, 13],
      [4, 7, 37],
    ] as const) {
      for (const rows of [1, 2, 3]) {
        for (const mode of ['spikes', 'membrane', 'next linear', 'constant input'] as const) {
          it(`T=${T} B=${B} H=${H}, ${rows} row(s) per call, loss on ${mode} (${name})`, () => {
            const rng = new Rng(7 + rows);
            const constInput = mode === 'constant input';
            const x = Float32Array.from({ length: (constInput ? 1 : T) * B * H }, () => rng.normal() + 0.4);
            const w2 = new Tensor(
              Float32Array.from({ length: H * 10 }, () => rng.normal() * 0.3),
              [H, 10],
            );
            const run = (chunkRows: number | undefined) => {
              const { k, calls } = recording(k0);
              const input = new Tensor(x.slice(), constInput ? [B, H] : [T, B, H], { requiresGrad: true });
              const o = {
                steps: T,
                constInput,
                beta: new Tensor(
                  Float32Array.from({ length: H }, (_, h) => 0.7 + 0.02 * (h % 10)),
                  [H],
                ),
                threshold: 1,
                reset: 'subtract' as const,
                surrogate: atan(),
                kernels: k,
                keepMem: mode !== 'spikes',
                chunkRows,
              };
              const r = leakySequence(input, o);
              let loss: Tensor;
              if (mode === 'membrane') loss = sum(r.mem!);
              else if (mode === 'next linear') {
                const y = linear(r.spk, w2, null, k, { inputGrad: r.offer });
                backward(
                  y,
                  Float32Array.from({ length: y.size }, (_, i) => ((i * 7) % 5) - 2),
                );
                return { spk: bits(r.spk.data), mem: bits(r.mem?.data), count: r.spikes, grad: bits(input.grad), calls };
              } else loss = sum(r.spk);
              backward(loss);
              return { spk: bits(r.spk.data), mem: bits(r.mem?.data), count: r.spikes, grad: bits(input.grad), calls };
            };
            const whole = run(undefined);
            const split = run(rows);
            expect(whole.calls.every((n) => n === B * H)).toBe(true);
            // every call saw at most `rows` samples, and all of them were covered
            expect(split.calls.every((n) => n <= rows * H)).toBe(true);
            expect(split.calls.length).toBe(2 * Math.ceil(B / rows));
            expect(split.spk).toEqual(whole.spk);
            expect(split.mem).toEqual(whole.mem);
            expect(split.count).toBe(whole.count);
            expect(split.grad).toEqual(whole.grad);
            expect(whole.grad!.some((v) => v !== 0)).toBe(true);
          });
        }
      }
    }
  }

  it('by default only scans whose arrays exceed SCAN_SPLIT_BYTES are split, into SCAN_CHUNK_BYTES per call', () => {
    expect(SCAN_SPLIT_BYTES).toBe(64 * 2 ** 20);
    expect(SCAN_CHUNK_BYTES).toBe(16 * 2 ** 20);
    expect(leakyScanRows(25, 128, 1000)).toBe(128); // tutorial 5's hidden layer: 12.8 MB
    expect(leakyScanRows(50, 128, 12 * 12 * 12)).toBe(128); // the CSNN's first Leaky: 44 MB
    expect(leakyScanRows(500, 16, 4096)).toBe(2); // Open Neuromorphic n = 4096: 131 MB, 8 MB a row
    expect(leakyScanRows(500, 16, 1 << 20)).toBe(1); // a row over the chunk size: one row per call
    expect(leakyScanRows(500, 16, 4096, 3)).toBe(3);
    expect(leakyScanRows(5, 4, 10, 9)).toBe(4);
    expect(() => leakyScanRows(5, 4, 10, 0)).toThrow(ValueError);
    expect(() => leakyScanRows(5, 4, 10, 1.5)).toThrow(/chunkRows/);
  });

  it('a learned beta is never split (its gradient sums over the batch)', () => {
    const { k, calls } = recording(referenceKernels);
    const [T, B, H] = [3, 4, 5];
    const input = new Tensor(new Float32Array(T * B * H).fill(0.6), [T, B, H]);
    const o = { steps: T, constInput: false, threshold: 1, reset: 'subtract' as const, surrogate: atan(), kernels: k, chunkRows: 1 };
    leakySequence(input, { ...o, beta: new Tensor(new Float32Array(H).fill(0.9), [H]) });
    expect(calls).toEqual([H, H, H, H]);
    calls.length = 0;
    leakySequence(input, { ...o, beta: new Tensor(new Float32Array(H).fill(0.9), [H], { requiresGrad: true }) });
    expect(calls).toEqual([B * H]);
  });
});

describe('Sequential.forward with outputMem false', () => {
  for (const [name, k] of kernelSets) {
    it(`keeps no membrane trace of the output layer, with the same spikes and gradients (${name})`, () => {
      const rng = new Rng(3);
      const [T, B, n] = [9, 4, 24];
      const x = new Tensor(
        Float32Array.from({ length: T * B * n }, () => rng.normal()),
        [T, B, n],
      );
      const run = (outputMem: boolean | undefined) => {
        const r = new Rng(0);
        const model = new Sequential([new Linear(n, n, { rng: r }), new Leaky({ size: n, beta: 0.95, surrogate: atan() })]);
        const out = model.forward({ x, steps: T, constant: false }, k, outputMem === undefined ? {} : { outputMem });
        const rec = out.records[out.records.length - 1];
        backward(sum(rec.spk!));
        return { mem: rec.mem, spk: bits(rec.spk!.data), grads: model.trainable().map((p) => bits(p.grad)) };
      };
      const kept = run(undefined);
      const notKept = run(false);
      expect(kept.mem).not.toBeNull();
      expect(notKept.mem).toBeNull();
      expect(notKept.spk).toEqual(kept.spk);
      expect(notKept.grads).toEqual(kept.grads);
      expect((notKept.grads[0] as number[]).some((v) => v !== 0)).toBe(true);
    });
  }
});

describe('sum', () => {
  it('is the float64 total, and its gradient is the upstream value in every element', () => {
    const x = new Tensor(Float32Array.of(1.5, -2, 0.25, 3), [2, 2], { requiresGrad: true });
    const h = new Tensor(x.data, [2, 2], { parents: [x], backward: () => x.ensureGrad().set(h.grad!) });
    const s = sum(h);
    expect(s.item()).toBe(2.75);
    backward(s);
    expect(Array.from(x.grad!)).toEqual([1, 1, 1, 1]);
    const spikes = new Tensor(Uint8Array.of(1, 0, 1, 1, 1), [5]);
    expect(sum(spikes).item()).toBe(4);
    expect(() => sum([1, 2] as unknown as Tensor)).toThrow(/sum input: expected a Tensor/);
  });
});
