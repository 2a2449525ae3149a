import { describe, expect, it } from 'vitest';
import { Tape, newF32, newU8, giveBack, isReleased } from '../../src/core/buffers.js';
import { ReleasedBufferError, ValueError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { backward } from '../../src/core/autograd.js';
import { sum } from '../../src/ops/index.js';
import { Linear, Leaky, Sequential, atan } from '../../src/index.js';
import { spikingTask } from '../../src/train/task.js';
import { runBatch } from '../../src/train/step.js';
import { createWasmKernelsSync } from '../../src/kernels/wasm.js';
import type { Seq } from '../../src/nn/layer.js';

// A user's own training loop through a Tape reuses its step buffers the way runBatch does, with the same
// loss and gradients, and a tensor of an ended run cannot be read by mistake.

const k = createWasmKernelsSync();
const [T, B, F, H, C] = [20, 8, 48, 1700, 10]; // [T, B, H] spikes: 272,000 bytes, above the pooling size

function model(): Sequential {
  const rng = new Rng(1);
  return new Sequential([
    new Linear(F, H, { rng }),
    new Leaky({ size: H, beta: 0.9, surrogate: atan() }),
    new Linear(H, C, { rng }),
    new Leaky({ size: C, beta: 0.8, surrogate: atan() }),
  ]);
}

function batch(s: number): { seq: Seq; y: Int32Array } {
  const rng = new Rng(100 + s);
  const x = new Tensor(
    Float32Array.from({ length: T * B * F }, () => rng.normal() + 0.3),
    [T, B, F],
  );
  return { seq: { x, steps: T, constant: false }, y: Int32Array.from({ length: B }, (_, i) => (i + s) % C) };
}

const sgd = (m: Sequential) => {
  for (const p of m.trainable()) {
    const d = p.data as Float32Array;
    for (let j = 0; j < d.length; j++) d[j] -= 0.5 * p.grad![j];
  }
};
const grads = (m: Sequential) => m.trainable().map((p) => Array.from(p.grad!));

describe('Tape', () => {
  it('a user loop through a tape gives the loss and gradients of the same loop without one and of runBatch, bit for bit', () => {
    const task = spikingTask('membrane');
    const [plain, taped, batched] = [model(), model(), model()];
    const tape = new Tape();
    let hidden: Uint8Array | null = null;
    for (let s = 0; s < 4; s++) {
      const { seq, y } = batch(s);
      plain.zeroGrad();
      const l = task.loss(plain.forward(seq, k), y);
      backward(l);
      const lossPlain = l.item();

      const lossTaped = tape.run(() => {
        taped.zeroGrad();
        const out = taped.forward(seq, k);
        const spk = out.records[0].spk!.data as Uint8Array;
        // from the second run on, the hidden spikes reuse the previous run's array
        if (hidden) expect(spk).toBe(hidden);
        hidden = spk;
        const loss = task.loss(out, y);
        backward(loss);
        return loss.item();
      });

      const r = runBatch(batched, task, seq, y, k, true);

      expect(lossTaped).toBe(lossPlain);
      expect(r.loss).toBe(lossPlain);
      expect(grads(taped)).toEqual(grads(plain));
      expect(grads(batched)).toEqual(grads(plain));
      for (const m of [plain, taped, batched]) sgd(m); // later steps see changed weights
    }
    expect(tape.runs).toBe(4);
    // at least the hidden spikes [T, B, H] (the first Linear's currents stay with the kernels: a dense data input fuses)
    expect(tape.bytes).toBeGreaterThanOrEqual(T * B * H);
  });

  it('releases the tensors on its arrays when a run ends: reading them throws; small results, parameters and their gradients stay', () => {
    const m = model();
    const tape = new Tape();
    const { seq: data, y } = batch(0);
    // an input that requires a gradient runs the first Linear unfused: its output [T, B, H] is a tensor of the run
    const seq = { ...data, x: new Tensor(data.x.data, data.x.shape, { requiresGrad: true }) };
    const { out, loss } = tape.run(() => {
      const out = m.forward(seq, k);
      const loss = spikingTask('membrane').loss(out, y);
      backward(loss);
      expect(out.records[0].spk!.size).toBe(T * B * H); // readable inside the run
      return { out, loss };
    });
    const spk = out.records[0].spk!;
    expect(isReleased(spk.data)).toBe(true);
    expect(() => spk.data[0]).toThrow(ReleasedBufferError);
    expect(() => spk.size).toThrow(ReleasedBufferError);
    expect(() => spk.toFloat32()).toThrow(ReleasedBufferError);
    // the first Linear's output [T, B, H] (the hidden Leaky's input) and its gradient
    const current = spk.parents[0].parents[0];
    expect(current.shape).toEqual([T, B, H]);
    expect(isReleased(current.grad)).toBe(true);
    expect(() => current.grad![0]).toThrow(ReleasedBufferError);
    expect(() => current.data.length).toThrow(ReleasedBufferError);
    expect(() => backward(sum(spk))).toThrow(ReleasedBufferError);
    // the loss is one fresh float, the output layer's records are small: both stay valid
    expect(Number.isFinite(loss.item())).toBe(true);
    expect(out.records[1].spk!.size).toBe(T * B * C);
    for (const p of m.trainable()) {
      expect(p.data.length).toBeGreaterThan(0);
      expect(p.grad!.some((v) => v !== 0)).toBe(true);
    }
  });

  it('runs one synchronous function at a time, and recovers from one that throws', async () => {
    const tape = new Tape();
    expect(() => tape.run(() => tape.run(() => 1))).toThrow(ValueError);
    const p = async () => 1;
    expect(() => tape.run(p)).toThrow(/promise/);
    expect(() => tape.run(3 as unknown as () => number)).toThrow(ValueError);
    let kept: Float32Array | null = null;
    expect(() =>
      tape.run(() => {
        kept = newF32(1 << 16);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(tape.run(() => newF32(1 << 16))).toBe(kept); // released, then reused
  });

  it('an array given back inside a run is handed out again in that run, and kept for the next run', () => {
    const tape = new Tape();
    const [a, d] = tape.run(() => {
      const a = newF32(1 << 16);
      const b = newF32(1 << 16);
      expect(b).not.toBe(a);
      giveBack(a);
      const c = newF32(1 << 16);
      expect(c).toBe(a);
      expect(c.every((v) => v === 0)).toBe(true);
      const d = newU8(1 << 20);
      giveBack(d); // not taken again in this run
      return [a, d];
    });
    expect(tape.bytes).toBe(2 * 4 * (1 << 16) + (1 << 20));
    tape.run(() => {
      expect(newU8(1 << 20)).toBe(d);
      expect([newF32(1 << 16), newF32(1 << 16)]).toContain(a);
    });
  });
});
