import { describe, expect, it } from 'vitest';
import { type ArraySpace, StepBuffers, Tape, newF32, withStepBuffers, zeroFill } from '../../src/core/buffers.js';
import { backward } from '../../src/core/autograd.js';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { createWasmKernelsSync, wasmInternals } from '../../src/kernels/wasm.js';
import { referenceKernels as ref } from '../../src/kernels/reference.js';
import { directEncode } from '../../src/encode/index.js';
import { snnClassifier } from '../../src/nn/models.js';
import { tutorialBatch } from '../helpers/tutorial-models.js';
import { spikingTask } from '../../src/train/task.js';
import { runBatch } from '../../src/train/step.js';
import { Adam } from '../../src/train/optim.js';
import { type Dataset, evaluate, trainEpoch } from '../../src/train/trainer.js';
import type { Kernels } from '../../src/kernels/types.js';

// Resident arrays (Kernels.arraySpace): views of a held region of the WASM kernels' shared memory, which
// every kernel call reads and writes in place instead of copying them in and out. Checked here against
// ordinary arrays and the TypeScript reference: plain operands, outputs that overlap an input (copied
// then, not written in place), a kernel that fails (its resident output untouched), and a Tape whose
// runs take their arrays from the space after the first (the same losses and gradients, bit for bit).

const k = createWasmKernelsSync({ threads: 2 });
const space = k.arraySpace!;
const uniform = (n: number, rng: Rng) => Float32Array.from({ length: n }, () => rng.uniform() * 2 - 1);
const resident = (from: Float32Array): Float32Array => {
  const a = space.alloc(Float32Array, from.length)!;
  a.set(from);
  return a;
};

describe('resident arrays', () => {
  it('the WASM kernels on a shared memory have an array space; its arrays are zeroed views of that memory', () => {
    expect(space).toBeDefined();
    const a = space.alloc(Float32Array, 1000)!;
    expect(a.buffer instanceof SharedArrayBuffer).toBe(true);
    expect(a.every((v) => v === 0)).toBe(true);
    expect(a.byteOffset + a.byteLength).toBeLessThanOrEqual(wasmInternals(k)!.memory.buffer.byteLength);
    a.fill(5);
    space.free(a);
    const b = space.alloc(Float32Array, 1000)!; // the same region again, zeroed
    expect(b.byteOffset).toBe(a.byteOffset);
    expect(b.every((v) => v === 0)).toBe(true);
    space.free(b);
  });

  it("zeroFill zeroes an array of the kernels' memory by the module's native fill, exactly its elements; an ordinary one as well", () => {
    const [a, b, c] = [space.alloc(Float32Array, 1001)!, space.alloc(Float32Array, 37)!, space.alloc(Uint8Array, 19)!];
    a.fill(3);
    b.fill(4);
    c.fill(5);
    // a view inside b: only its elements change
    expect(zeroFill(b.subarray(5, 30))).toBe(true); // the module's fill
    expect(Array.from(b)).toEqual(Array.from({ length: 37 }, (_, i) => (i >= 5 && i < 30 ? 0 : 4)));
    expect(zeroFill(a)).toBe(true);
    expect(a.every((v) => v === 0)).toBe(true);
    expect(c.every((v) => v === 5)).toBe(true); // the neighbours keep their values
    const plain = new Int32Array(9).fill(-2);
    expect(zeroFill(plain)).toBe(false); // TypedArray.fill
    expect(Array.from(plain)).toEqual(new Array(9).fill(0));
    for (const x of [a, b, c]) space.free(x);
  });

  it('refuses (null) an array that would end past 2 GiB, keeping the rest of the memory for the calls; nothing is taken', () => {
    const before = wasmInternals(k)!.memory.buffer.byteLength;
    expect(space.alloc(Float32Array, 2 ** 29)).toBeNull(); // 2 GiB of floats
    expect(wasmInternals(k)!.memory.buffer.byteLength).toBe(before);
    const a = space.alloc(Uint8Array, 1 << 20); // a small one still fits
    expect(a).not.toBeNull();
    space.free(a!);
  });

  it('matmul and sumRows on resident operands equal the reference; the memory may grow in between', () => {
    const rng = new Rng(1);
    const [m, kk, n] = [67, 129, 83];
    const a = uniform(m * kk, rng);
    const b = uniform(kk * n, rng);
    const c0 = uniform(m * n, rng);
    const ra = resident(a);
    const rb = resident(b);
    const rc = resident(c0);
    const big = space.alloc(Float32Array, 1 << 24)!; // 64 MiB more: the memory grows, older views stay valid
    k.matmul(ra, rb, rc, m, kk, n, false, false, true);
    const want = c0.slice();
    ref.matmul(a, b, want, m, kk, n, false, false, true);
    for (let i = 0; i < want.length; i++) expect(rc[i]).toBeCloseTo(want[i], 4);
    const sums = resident(new Float32Array(n));
    k.sumRows(rc, sums, m, n, false);
    const wantSums = new Float32Array(n);
    ref.sumRows(want, wantSums, m, n, false);
    for (let j = 0; j < n; j++) expect(sums[j]).toBeCloseTo(wantSums[j], 3);
    for (const x of [ra, rb, rc, big, sums]) space.free(x);
  });

  it('an output overlapping an input is computed as with separate arrays (copied, not written in place)', () => {
    const rng = new Rng(2);
    const [m, kk, n] = [40, 40, 40];
    const both = resident(uniform(m * kk + m * n, rng));
    // C overlaps A by half of A: C = A B must read all of A before any of C is written
    const a = both.subarray(0, m * kk);
    const c = both.subarray((m * kk) / 2, (m * kk) / 2 + m * n);
    const b = resident(uniform(kk * n, rng));
    const want = new Float32Array(m * n);
    ref.matmul(a.slice(), b.slice(), want, m, kk, n, false, false, false);
    k.matmul(a, b, c, m, kk, n, false, false, false);
    for (let i = 0; i < want.length; i++) expect(c[i]).toBeCloseTo(want[i], 4);
    space.free(both);
    space.free(b);
    // addBias with the bias in C's first row: every row adds the bias as it was (in place, row 0 would change it first)
    const rows = 300;
    const cb = resident(uniform(rows * n, rng));
    const bias = cb.subarray(0, n);
    const wantB = cb.slice();
    ref.addBias(wantB, bias.slice(), rows, n);
    k.addBias(cb, bias, rows, n);
    expect(Array.from(cb)).toEqual(Array.from(wantB));
    space.free(cb);
  });

  it('a kernel that fails leaves its resident output untouched (rateSpikes on a NaN value)', () => {
    const x = new Float32Array(300 * 1000).fill(0.5);
    x[123_456] = Number.NaN;
    const keys = Uint32Array.from({ length: 600 }, (_, i) => i * 7919);
    const out = space.alloc(Uint8Array, 4 * x.length)!;
    out.fill(7);
    expect(k.rateSpikes(x, keys, 300, 4, 1, out)).toBe(123_456);
    expect(out.every((v) => v === 7)).toBe(true);
    space.free(out);
  });

  it('step buffers take the space only between steps, drop to it what no step wants, and give all back on a switch', () => {
    const live = new Set<ArrayBufferView>();
    let allocs = 0;
    const fake: ArraySpace = {
      alloc(ctor, n) {
        allocs++;
        const a = new ctor(new ArrayBuffer(n * ctor.BYTES_PER_ELEMENT), 0, n);
        live.add(a);
        return a;
      },
      free(a) {
        expect(live.delete(a)).toBe(true);
      },
    };
    const buffers = new StepBuffers();
    buffers.useSpace(fake);
    const BIG = 1 << 16;
    const first = withStepBuffers(buffers, () => newF32(BIG));
    expect(live.has(first)).toBe(false); // made in the step: an ordinary array
    expect(allocs).toBe(1); // its replacement for the next step, taken when the step ended
    const second = withStepBuffers(buffers, () => newF32(BIG));
    expect(live.has(second)).toBe(true);
    withStepBuffers(buffers, () => newF32(BIG + 4)); // another length: the old one is dropped, back to the space
    expect(live.has(second)).toBe(false);
    expect(live.size).toBe(1);
    buffers.useSpace(null); // a switch gives the free ones back
    expect(live.size).toBe(0);
  });

  it("runBatch moves the parameters and their gradients into the kernels' memory; Adam then updates them in place, to the same bits", () => {
    // the same kernels without an array space: every array stays ordinary and is copied in and out
    const noSpace = Object.create(k, { arraySpace: { value: undefined } }) as Kernels;
    const rng = new Rng(5);
    const B = 32;
    const x = new Tensor(
      Float32Array.from({ length: B * 784 }, () => (rng.uniform() < 0.3 ? rng.uniform() : 0)),
      [B, 784],
    );
    const y = Int32Array.from({ length: B }, (_, i) => (i * 3) % 10);
    const make = () => snnClassifier({ inputs: 784, hidden: [300], outputs: 10, beta: 0.9 }, new Rng(2));
    const [inSpace, plain] = [make(), make()];
    const before = inSpace.trainable().map((p) => p.data);
    const [optS, optP] = [
      new Adam(inSpace.trainable(), { lr: 1e-2, kernels: k }),
      new Adam(plain.trainable(), { lr: 1e-2, kernels: noSpace }),
    ];
    const task = spikingTask('membrane');
    for (let s = 0; s < 3; s++) {
      const a = runBatch(inSpace, task, directEncode(x, 10), y, k, true);
      const b = runBatch(plain, task, directEncode(x, 10), y, noSpace, true);
      expect(a.loss).toBe(b.loss);
      optS.step();
      optP.step();
    }
    inSpace.trainable().forEach((p, i) => {
      expect(p.data).not.toBe(before[i]); // moved (values copied) on the first step
      expect(p.data.buffer instanceof SharedArrayBuffer).toBe(true);
      expect(p.grad!.buffer instanceof SharedArrayBuffer).toBe(true); // the gradient from the second step on
      expect(Array.from(p.data)).toEqual(Array.from(plain.trainable()[i].data));
      expect(Array.from(p.grad!)).toEqual(Array.from(plain.trainable()[i].grad!));
    });
    for (const p of plain.trainable()) expect(p.data.buffer instanceof SharedArrayBuffer).toBe(false);
  });

  it("trainEpoch and evaluate gather each batch's inputs into one array of the kernels' space, given back at the end; the same results as without", async () => {
    const rng = new Rng(8);
    const [n, F] = [96, 50];
    const data: Dataset = {
      inputs: Uint8Array.from({ length: n * F }, () => (rng.uniform() < 0.4 ? Math.floor(rng.uniform() * 256) : 0)),
      labels: Uint8Array.from({ length: n }, (_, i) => i % 4),
      n,
      features: F,
    };
    // every array the trainer takes from the space, and whether it gave it back
    const taken = new Map<ArrayBufferView, boolean>();
    const counting: ArraySpace = {
      alloc: (ctor, len) => {
        const a = space.alloc(ctor, len);
        if (a && len === 16 * F) taken.set(a, false);
        return a;
      },
      free: (a) => {
        if (taken.has(a)) taken.set(a, true);
        space.free(a);
      },
    };
    const run = async (kernels: Kernels) => {
      const model = snnClassifier({ inputs: F, hidden: [24], outputs: 4, beta: 0.9 }, new Rng(3));
      const shared: boolean[] = [];
      const encoder = (x: Tensor) => {
        shared.push(x.data.buffer instanceof SharedArrayBuffer);
        return directEncode(x, 6);
      };
      const o = { model, task: spikingTask('membrane'), encoder, kernels, rng: new Rng(4) };
      const tr = await trainEpoch(data, { ...o, optimizer: new Adam(model.trainable(), { lr: 1e-2, kernels }), batchSize: 16 });
      const ev = await evaluate(data, { ...o, batchSize: 16 });
      return { loss: tr.loss, accuracy: tr.accuracy, predictions: Array.from(ev.predictions), shared };
    };
    const inSpace = await run(Object.create(k, { arraySpace: { value: counting } }) as Kernels);
    const plain = await run(Object.create(k, { arraySpace: { value: undefined } }) as Kernels);
    expect(inSpace.loss).toBe(plain.loss);
    expect(inSpace.accuracy).toBe(plain.accuracy);
    expect(inSpace.predictions).toEqual(plain.predictions);
    expect(inSpace.shared).toEqual(new Array(12).fill(true)); // 6 training and 6 test batches, read in place
    expect(plain.shared).toEqual(new Array(12).fill(false));
    expect([...taken.values()]).toEqual([true, true]); // one array for the epoch, one for the evaluation, both given back
  });

  for (const model of ['fc', 'csnn'] as const) {
    it(`a Tape on the kernels' space: the same losses and gradients as ordinary arrays, bit for bit, arrays resident from run 2 (${model})`, () => {
      // B = 40: the first layer's [8, B, ...] spikes above the pooling size (256 KiB)
      const { x, y, make } = tutorialBatch(model, 40);
      const [inSpace, plain] = [make(), make()];
      const [tapeS, tapeP] = [new Tape(k), new Tape()];
      const task = spikingTask(model === 'fc' ? 'membrane' : 'rate');
      for (let s = 0; s < 3; s++) {
        const run = (m: typeof inSpace, tape: Tape) =>
          tape.run(() => {
            m.zeroGrad();
            const r = m.forward(directEncode(x, 8), k, {});
            const shared = r.records[0].spk!.data.buffer instanceof SharedArrayBuffer;
            const l = task.loss(r, y);
            backward(l);
            return { loss: l.item(), shared };
          });
        const a = run(inSpace, tapeS);
        const b = run(plain, tapeP);
        expect(a.shared).toBe(s > 0);
        expect(b.shared).toBe(false);
        expect(a.loss).toBe(b.loss);
        inSpace.trainable().forEach((p, i) => expect(Array.from(p.grad!)).toEqual(Array.from(plain.trainable()[i].grad!)));
        for (const m of [inSpace, plain])
          for (const p of m.trainable()) {
            const d = p.data as Float32Array;
            for (let j = 0; j < d.length; j++) d[j] -= 0.05 * p.grad![j];
          }
      }
    });
  }
});
