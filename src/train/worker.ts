import { parentPort } from 'node:worker_threads';
import { Tensor, rebindData } from '../core/tensor.js';
import { createWasmKernelsSync } from '../kernels/wasm.js';
import { sequentialFromConfig } from '../nn/models.js';
import { taskFromSpec, type TaskSpec } from './task.js';
import { runBatch } from './step.js';
import type { AdamCoefficients } from './optim.js';
import type { AdamState } from '../kernels/types.js';
import { reduceRange } from './reduce.js';
import { RateSeq } from '../encode/index.js';

// Worker side of DataParallel: rebuild the model over the shared parameters, then run batch shards
// and slices of the gradient reduction + Adam update on demand.
interface Init {
  layers: Parameters<typeof sequentialFromConfig>[0];
  params: Float32Array[];
  grads: Float32Array[][];
  self: number;
  task: TaskSpec;
  m: Float32Array[] | null;
  v: Float32Array[] | null;
  /** the main thread's kernel build, so every thread sums in the same way */
  relaxed: boolean;
}
type Msg =
  | {
      type: 'batch';
      x: Float32Array | Uint8Array;
      shape: number[];
      steps: number;
      constant: boolean;
      y: Int32Array;
      train: boolean;
      /** set for a rate-coded shard: x holds its values, the spikes are drawn here */
      rate?: { keys: Uint32Array; gain: number };
    }
  | { type: 'update'; weights: number[]; coefs: AdamCoefficients | null }
  | { type: 'release' };

const port = parentPort!;
port.once('message', (init: Init) => {
  try {
    const model = sequentialFromConfig(init.layers);
    const params = model.trainable();
    params.forEach((p, j) => {
      rebindData(p, init.params[j], false); // map the shared weights, no copy
      p.grad = init.grads[init.self][j];
    });
    const task = taskFromSpec(init.task);
    // one kernel thread per worker: the batch is already split over the threads (no oversubscription)
    const kernels = createWasmKernelsSync({ relaxed: init.relaxed, threads: 1 });
    const P = init.grads.length;
    const held: Array<AdamState | null> = init.params.map(() => null);
    port.on('message', (m: Msg) => {
      try {
        if (m.type === 'batch') {
          const x = new Tensor(m.x, m.shape);
          const seq = m.rate ? new RateSeq(x, m.rate.keys, m.steps, m.rate.gain, kernels) : { x, steps: m.steps, constant: m.constant };
          port.postMessage(runBatch(model, task, seq, m.y, kernels, m.train));
          return;
        }
        if (m.type === 'release') {
          // the moments this thread's kernels hold go back into the shared arrays
          for (const s of held) if (s) kernels.adamStateFree(s);
          held.fill(null);
          port.postMessage({ loss: 0, predictions: new Int32Array(0), spikeCounts: [], neuronSteps: [] });
          return;
        }
        init.params.forEach((w, j) => {
          const n = w.length;
          const from = Math.floor((init.self * n) / P);
          const to = Math.floor(((init.self + 1) * n) / P);
          const grads = init.grads.slice(0, m.weights.length).map((g) => g[j].subarray(from, to)); // threads past the weights had no samples
          // Adam sums the threads' gradients in its own pass, with this thread's slice of the moments
          // held by its kernels between steps; other optimizers step on the main thread
          if (m.coefs && init.m && init.v) {
            held[j] ??= kernels.adamState(init.m[j].subarray(from, to), init.v[j].subarray(from, to));
            kernels.adamStep(w.subarray(from, to), { grads, weights: m.weights }, held[j]!, m.coefs);
          } else reduceRange(grads, m.weights, 0, to - from);
        });
        port.postMessage({ loss: 0, predictions: new Int32Array(0), spikeCounts: [], neuronSteps: [] });
      } catch (e) {
        port.postMessage({ error: (e as Error).message });
      }
    });
    port.postMessage('ready');
  } catch (e) {
    port.postMessage(String((e as Error).message));
  }
});
