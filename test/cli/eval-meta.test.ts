import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectOneLineError, runCli, tempDir } from './run-cli.js';

// A checkpoint's config.json with a bad meta field is a data error naming the file and the field
// (exit 1), not a usage error about a flag the user never gave.
describe('eval: invalid meta fields of config.json', () => {
  const out = join(tempDir(), 'ckpt');
  const cfgFile = join(out, 'config.json');
  let original: Record<string, unknown>;
  beforeAll(() => {
    const t = runCli([
      'train',
      '--train-limit',
      '128',
      '--test-limit',
      '32',
      '--hidden',
      '8',
      '--steps',
      '3',
      '--batch',
      '64',
      '--threads',
      '1',
      '--out',
      out,
    ]);
    expect(t.code, t.stderr).toBe(0);
    original = JSON.parse(readFileSync(cfgFile, 'utf8'));
  });
  const withMeta = (meta: Record<string, unknown>) => {
    const cfg = structuredClone(original) as { meta: Record<string, unknown> };
    cfg.meta = { ...cfg.meta, ...meta };
    writeFileSync(cfgFile, JSON.stringify(cfg));
    return runCli(['eval', '--checkpoint', out, '--test-limit', '32']);
  };
  const at = (field: string) =>
    new RegExp(`^spikeflow: ${cfgFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: ${field.replace('.', '\\.')}: `);

  it('meta.encoding, meta.steps and meta.dataset', () => {
    expectOneLineError(withMeta({ encoding: 'banana' }), 1, at('meta.encoding'));
    expect(withMeta({ encoding: 'banana' }).stderr).toMatch(/meta\.encoding: expected direct or rate or latency, found "banana"$/);
    expect(withMeta({ encoding: 'banana' }).stderr).not.toMatch(/--encoding/);
    expectOneLineError(withMeta({ steps: 0 }), 1, at('meta.steps'));
    expect(withMeta({ steps: '8' }).stderr).toMatch(/meta\.steps: expected an integer in \[1, 10000\], found "8"$/);
    expectOneLineError(withMeta({ steps: undefined }), 1, /meta\.steps: expected an integer in \[1, 10000\], found nothing$/);
    expectOneLineError(
      withMeta({ dataset: 'cifar' }),
      1,
      /config\.json: meta\.dataset: expected one of mnist, fashion-mnist, nmnist, shd, dvs-gesture, found "cifar"$/,
    );
    // an event dataset's checkpoint records how its frames were made
    expectOneLineError(withMeta({ dataset: 'nmnist' }), 1, /meta\.encoding: expected "frames" for nmnist, found "direct"$/);
    expectOneLineError(
      withMeta({ dataset: 'shd', encoding: 'frames', frameWindow: 0.5 }),
      1,
      /meta\.frameWindow: expected null or a positive integer \(microseconds\), found 0\.5$/,
    );
    expectOneLineError(
      withMeta({ dataset: 'nmnist', encoding: 'frames', denoise: -1 }),
      1,
      /meta\.denoise: expected a non-negative integer/,
    );
    expectOneLineError(
      withMeta({ dataset: 'iris' }),
      1,
      /config\.json: meta\.dataset: "iris": eval measures MNIST, Fashion-MNIST, N-MNIST and SHD checkpoints/,
    );
    const ok = withMeta({});
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('eval refuses --seed for a direct-encoded checkpoint, and --offline with --data-dir', () => {
    writeFileSync(cfgFile, JSON.stringify(original));
    expectOneLineError(
      runCli(['eval', '--checkpoint', out, '--seed', '3']),
      2,
      /--seed: the checkpoint in .* uses direct encoding, which draws no random numbers/,
    );
    expectOneLineError(runCli(['eval', '--checkpoint', out, '--data-dir', out, '--offline']), 2, /--offline: does nothing with --data-dir/);
  });
});
