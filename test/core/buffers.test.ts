import { describe, expect, it } from 'vitest';
import { StepBuffers, newF32, newI32, newU8, withStepBuffers } from '../../src/core/buffers.js';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { backward } from '../../src/core/autograd.js';
import { tutorialBatch } from '../helpers/tutorial-models.js';
import { directEncode, rateEncode } from '../../src/encode/index.js';
import { spikingTask } from '../../src/train/task.js';
import { runBatch } from '../../src/train/step.js';
import { createWasmKernelsSync } from '../../src/kernels/wasm.js';

const BIG = 1 << 16; // 64 Ki elements: above the pooling size for every type

describe('step buffers', () => {
  it("a step reuses the previous step's arrays of the same type and length, zero-filled unless overwritten", () => {
    const buffers = new StepBuffers();
    const first = withStepBuffers(buffers, () => {
      const a = newF32(BIG);
      a.fill(3);
      const b = newU8(BIG * 4);
      b.fill(1);
      return { a, b, c: newI32(BIG) };
    });
    withStepBuffers(buffers, () => {
      const a = newF32(BIG);
      expect(a).toBe(first.a);
      expect(a.every((v) => v === 0)).toBe(true); // zero-filled
      const b = newU8(BIG * 4, true);
      expect(b).toBe(first.b);
      expect(b[0]).toBe(1); // handed out as is: the caller overwrites it
      expect(newF32(BIG)).not.toBe(first.a); // a second request in the same step gets another array
      expect(newI32(BIG + 1)).not.toBe(first.c); // another length
    });
    // c was not taken in the second step: dropped, so the set never outgrows one step
    withStepBuffers(buffers, () => expect(newI32(BIG)).not.toBe(first.c));
  });

  it('small arrays and requests outside a step are always fresh', () => {
    const buffers = new StepBuffers();
    const small = withStepBuffers(buffers, () => newF32(100));
    withStepBuffers(buffers, () => expect(newF32(100)).not.toBe(small));
    const outside = newF32(BIG);
    expect(newF32(BIG)).not.toBe(outside);
  });

  it('buffers are recycled when the step throws', () => {
    const buffers = new StepBuffers();
    let kept: Float32Array | null = null;
    expect(() =>
      withStepBuffers(buffers, () => {
        kept = newF32(BIG);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    withStepBuffers(buffers, () => expect(newF32(BIG)).toBe(kept));
  });

  it('a leaf tensor never adopts a step buffer as its gradient (it outlives the step)', () => {
    const buffers = new StepBuffers();
    const leaf = new Tensor(new Float32Array(BIG), [BIG], { requiresGrad: true });
    const grad = withStepBuffers(buffers, () => {
      const y = new Tensor(new Float32Array(BIG), [BIG], { parents: [leaf], backward: () => leaf.ensureGrad().fill(2) });
      backward(y, new Float32Array(BIG).fill(1));
      expect(y.grad!.length).toBe(BIG);
      return leaf.grad!;
    });
    withStepBuffers(buffers, () => {
      for (let i = 0; i < 3; i++) newF32(BIG).fill(9); // whatever the next step does with its buffers
    });
    expect(grad.every((v) => v === 2)).toBe(true);
  });

  // Training steps with reused buffers give what fresh memory gives: the same model state after each step
  // (shapes big enough that the [T, B, ...] arrays are pooled: 8 x 16 x 1000 floats, 128 x 1024 pooled maps)
  for (const model of ['fc', 'csnn'] as const) {
    it(`training steps with reused buffers equal steps on fresh memory (${model})`, () => {
      const k = createWasmKernelsSync();
      const { x, y, make } = tutorialBatch(model, 16);
      const pooled = make();
      const fresh = make();
      const task = spikingTask(model === 'fc' ? 'membrane' : 'rate');
      for (let s = 0; s < 3; s++) {
        const seq = () => (model === 'fc' ? rateEncode(x, 8, new Rng(10 + s), 1, k) : directEncode(x, 8));
        const a = runBatch(pooled, task, seq(), y, k, true); // reuses the previous step's arrays
        // the same step without step buffers: forward, loss and backward by hand
        fresh.zeroGrad();
        const r = fresh.forward(seq(), k, {});
        const l = task.loss(r, y);
        backward(l);
        expect(a.loss).toBe(l.item());
        pooled.trainable().forEach((p, i) => expect(Array.from(p.grad!)).toEqual(Array.from(fresh.trainable()[i].grad!)));
        // apply the same update to both, so later steps see changed weights
        for (const m of [pooled, fresh])
          for (const p of m.trainable()) {
            const d = p.data as Float32Array;
            for (let j = 0; j < d.length; j++) d[j] -= 0.05 * p.grad![j];
          }
      }
    });
  }
});
