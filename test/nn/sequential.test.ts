import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { snnClassifier } from '../../src/nn/models.js';
import { directEncode, rateEncode } from '../../src/encode/index.js';
import { bothKernels } from '../helpers/kernels.js';

describe('Sequential inference fuses Leaky->Linear without changing results', () => {
  for (const [kname, kernels] of bothKernels) {
    for (const encoding of ['direct', 'rate'] as const) {
      it(`${encoding} input, ${kname} kernels: same output spikes, membrane and spike counts`, () => {
        const rng = new Rng(11);
        const model = snnClassifier({ inputs: 20, hidden: [30, 25], outputs: 10, beta: 0.9 }, rng);
        const x = new Tensor(
          Float32Array.from({ length: 6 * 20 }, () => rng.uniform() * 1.5),
          [6, 20],
        );
        const seq = encoding === 'direct' ? directEncode(x, 7) : rateEncode(x, 7, new Rng(3));
        const plain = model.forward(seq, kernels);
        const fused = model.forward(seq, kernels, { inference: true });
        expect(fused.records.map((r) => r.spikes)).toEqual(plain.records.map((r) => r.spikes));
        expect(fused.records.map((r) => r.neuronSteps)).toEqual(plain.records.map((r) => r.neuronSteps));
        expect(fused.records.slice(0, -1).every((r) => r.spk === null)).toBe(true); // hidden spikes never materialised
        const a = plain.records[2];
        const b = fused.records[2];
        expect(Array.from(b.spk!.data)).toEqual(Array.from(a.spk!.data));
        expect(Array.from(b.mem!.data)).toEqual(Array.from(a.mem!.data));
        expect(plain.records[0].spikes).toBeGreaterThan(0);
      });
    }
  }
});
