import { parentPort } from 'node:worker_threads';
import { Tensor, rebindData } from '../core/tensor.js';
import { createWasmKernelsSync } from '../kernels/wasm.js';
import { sequentialFromConfig } from '../nn/models.js';
import { taskFromSpec, type TaskSpec } from './task.js';
import { runBatch } from './step.js';

// Worker side of DataParallel: rebuild the model over the shared parameters, then run shards on demand.
const port = parentPort!;
port.once('message', (init: { layers: Parameters<typeof sequentialFromConfig>[0]; params: Float32Array[]; grads: Float32Array[]; task: TaskSpec }) => {
  try {
    const model = sequentialFromConfig(init.layers);
    const params = model.trainable();
    params.forEach((p, j) => {
      rebindData(p, init.params[j], false); // map the shared weights, no copy
      p.grad = init.grads[j];
    });
    const task = taskFromSpec(init.task);
    const kernels = createWasmKernelsSync();
    port.on('message', (m: { x: Float32Array | Uint8Array; shape: number[]; steps: number; constant: boolean; y: Int32Array; train: boolean }) => {
      try {
        port.postMessage(runBatch(model, task, { x: new Tensor(m.x, m.shape), steps: m.steps, constant: m.constant }, m.y, kernels, m.train));
      } catch (e) {
        port.postMessage({ error: (e as Error).message });
      }
    });
    port.postMessage('ready');
  } catch (e) {
    port.postMessage(String((e as Error).message));
  }
});
