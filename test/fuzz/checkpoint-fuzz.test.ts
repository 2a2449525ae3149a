import { describe, expect, it } from 'vitest';
import { TIMEOUT, cases, contractBreach, fuzz, report } from './harness.js';
import { loadFromBytes, makeCheckpointCase, runModel } from './checkpoint-cases.js';

describe('fuzz: checkpoint config and weights checks', () => {
  it(
    `${cases(2000)} structured cases: typed errors naming the file, or a model that runs`,
    async () => {
      const cfgFile = 'runs/fuzz/config.json';
      const wFile = 'runs/fuzz/model.safetensors';
      const s = await fuzz(
        1,
        cases(2000),
        (rng) => makeCheckpointCase(rng),
        (c) => {
          const { model, inputFeatures } = loadFromBytes(c, cfgFile, wFile);
          runModel(model, inputFeatures);
        },
        (_c, o) => contractBreach(o, [cfgFile, wFile]),
      );
      console.log(report('checkpoint checks from bytes', s));
      expect(s.failures).toEqual([]);
      expect(s.ok).toBeGreaterThan(s.cases / 20); // the mutations leave some loadable: successes are exercised too
      expect(s.maxMs).toBeLessThan(2000);
    },
    TIMEOUT,
  );
});
