import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Rng } from '../../src/core/rng.js';
import { snnClassifier } from '../../src/nn/models.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint.js';
import { encodeSafetensors } from '../../src/interop/safetensors.js';
import { checkpointTensors } from '../../src/train/checkpoint-model.js';

// Interrupts a checkpoint writer (a child process, test/helpers/checkpoint-writer.mjs, over dist) at
// every step of replacing a good checkpoint, by SIGKILL (nothing runs after) and by SIGINT (the
// handler removes the unfinished files), and finds the old or the new checkpoint whole every time.
const writer = join(import.meta.dirname, '..', 'helpers', 'checkpoint-writer.mjs');
const run = promisify(execFile);
const net = (seed: number) => snnClassifier({ inputs: 12, hidden: [9], outputs: 3, beta: 0.9 }, new Rng(seed));
const OLD = 1;
const NEW = 2;

async function write(dir: string, seed: number, killAt: number, signal: string): Promise<{ steps?: string[]; signal?: string | null }> {
  try {
    const { stdout } = await run(process.execPath, [writer, dir, String(seed), String(killAt), signal]);
    return { steps: JSON.parse(stdout) };
  } catch (e) {
    const err = e as { signal?: string | null; code?: number };
    return { signal: err.signal ?? (err.code === 130 ? 'SIGINT' : `exit ${err.code}`) };
  }
}

/** Which seed's weights the folder's checkpoint holds (it must load). */
async function whichSeed(dir: string): Promise<number> {
  const { model, config } = await loadCheckpoint(dir);
  const got = model.parameters().map((p) => Array.from(p.tensor.data));
  for (const seed of [OLD, NEW]) {
    const want = net(seed)
      .parameters()
      .map((p) => Array.from(p.tensor.data));
    if (JSON.stringify(got) === JSON.stringify(want)) {
      expect(config.meta.seed ?? OLD).toBe(seed); // weights and manifest belong together
      return seed;
    }
  }
  throw new Error('the checkpoint holds weights of neither the old nor the new model');
}

/** A version-1 checkpoint (config.json + model.safetensors) as earlier releases wrote it. */
function writeVersion1(dir: string, seed: number): void {
  const model = net(seed);
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(checkpointTensors(model), { format: 'pt' }));
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      format: 'spikeflow-checkpoint',
      version: 1,
      layers: model.layers.map((l) => ({ kind: l.kind, config: l.config() })),
      meta: {},
    }),
  );
}

describe('checkpoint writer interrupted at every step', async () => {
  const probe = mkdtempSync(join(tmpdir(), 'sf-kill-'));
  const { steps } = await write(probe, NEW, 0, 'SIGKILL');

  it('the save has the expected sequence of steps', () => {
    expect(steps).toEqual([
      'weights:open',
      'weights:written',
      'weights:synced',
      'weights:renamed',
      'config:open',
      'config:written',
      'config:synced',
      'config:renamed',
      'dir-synced',
      'cleaned',
    ]);
  });

  for (const start of ['version 2', 'version 1'] as const) {
    for (const signal of ['SIGKILL', 'SIGINT']) {
      it(`replacing a ${start} checkpoint, ${signal} at each step: the old or the new checkpoint is intact`, async () => {
        const seen = new Set<number>();
        await Promise.all(
          steps!.map(async (_, k) => {
            const dir = mkdtempSync(join(tmpdir(), 'sf-kill-'));
            if (start === 'version 2') await saveCheckpoint(dir, net(OLD), { seed: OLD });
            else writeVersion1(dir, OLD);
            const r = await write(dir, NEW, k + 1, signal);
            const seed = await whichSeed(dir);
            seen.add(seed);
            if (signal === 'SIGKILL') {
              expect(r.signal).toBe('SIGKILL');
              // before the commit (config.json renamed, step 8) the old one is there; from then on the new one
              expect(seed).toBe(k + 1 < 8 ? OLD : NEW);
            } else {
              // the handler runs at the writer's next await: killed there, or finished when none was left
              expect(r.signal === 'SIGINT' || r.steps?.length === steps!.length).toBe(true);
              if (k + 1 < 4) expect(seed).toBe(OLD);
              // it removed every file of the unfinished save: no temporary files, no weights the manifest does not name
              const manifest = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
              const files = readdirSync(dir).filter((f) => f !== 'config.json');
              expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
              if (seed === NEW) expect(files.filter((f) => f.startsWith('model-'))).toContain(manifest.weights.file);
              if (r.signal === 'SIGINT' && seed === OLD)
                expect(files.filter((f) => f.startsWith('model-') && f !== manifest.weights?.file)).toEqual([]);
            }
            // the next save into the folder removes whatever a killed writer left
            await saveCheckpoint(dir, net(NEW), { seed: NEW });
            const manifest = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
            expect(readdirSync(dir).sort()).toEqual(['config.json', manifest.weights.file]);
            expect(await whichSeed(dir)).toBe(NEW);
          }),
        );
        expect([...seen].sort()).toEqual([OLD, NEW]);
      });
    }
  }
});
