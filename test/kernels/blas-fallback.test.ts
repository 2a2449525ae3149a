import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// koffi is an optional dependency: where it is not installed (npm ci skipped it, or an unsupported
// platform) the BLAS tier is absent and says why, discovery leaves the WASM kernels, and only a library
// asked for by path is an error. Checked on the built package (npm test builds first) outside this
// repository, where no node_modules holds koffi.

const root = resolve(__dirname, '..', '..');
const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

describe('the BLAS tier without koffi', () => {
  it('discovery falls back to the WASM kernels with the reason; a library path is a BlasError', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spikeflow-nokoffi-'));
    tmp.push(dir);
    cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
    const script = `
      const { enableBlas, loadBlas } = await import(${JSON.stringify(join(dir, 'dist/kernels/node-blas.js'))});
      const { defaultKernels } = await import(${JSON.stringify(join(dir, 'dist/kernels/default.js'))});
      const r = await enableBlas({ blas: 'auto' });
      console.log(JSON.stringify({ tier: r.tier, blas: r.blas, reason: r.reason, same: defaultKernels().blas === undefined }));
      try { await loadBlas({ blas: '/usr/lib/x86_64-linux-gnu/libopenblas.so.0' }); console.log('loaded'); }
      catch (e) { console.log(e.name + ': ' + e.message); }`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: dir, NODE_PATH: '' },
    }).split('\n');
    const r = JSON.parse(out[0]) as { tier: string; blas: unknown; reason: string; same: boolean };
    expect(r.tier).toMatch(/^wasm-(relaxed-)?simd$/);
    expect(r.blas).toBeNull();
    expect(r.same).toBe(true);
    expect(r.reason).toMatch(/optional package koffi .* could not be loaded/);
    // the file may or may not exist here: either way no BLAS can be bound without koffi
    expect(out[1]).toMatch(
      /^BlasError: BLAS library \/usr\/lib\/x86_64-linux-gnu\/libopenblas\.so\.0 \(SPIKEFLOW_BLAS or the blas option\): (no such file|the optional package koffi)/,
    );
  });
});
