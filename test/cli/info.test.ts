import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, main, tempDir } from './run-cli.js';

// `spikeflow info`: the kernel tier the commands run, the engine's SIMD features and the BLAS found,
// checked against this process's own view (Node version, cores) and against itself (the tier says
// +blas exactly when a BLAS was found). With SPIKEFLOW_REQUIRE_BLAS=1 (CI installs libopenblas0) a
// missing BLAS fails; SPIKEFLOW_BLAS=off and a bogus path check the fallback and the error.

const required = process.env.SPIKEFLOW_REQUIRE_BLAS === '1';

function run(args: string[], env: Record<string, string | undefined> = {}) {
  const e: Record<string, string | undefined> = { ...process.env, SPIKEFLOW_OFFLINE: '1', ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k];
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env: e as NodeJS.ProcessEnv, cwd: tempDir() });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
}

interface Info {
  node: string;
  cores: number;
  tier: string;
  threads: number;
  wasm: { simd: boolean; relaxedSimd: boolean; fusedMultiplyAdd: boolean };
  crossOriginIsolated: boolean | null;
  blas: {
    setting: string;
    found: boolean;
    vendor?: string;
    path?: string;
    config?: string;
    threads?: number | null;
    reference?: boolean;
    reason?: string;
    tried: string[];
  };
}

describe('spikeflow info', () => {
  it('--json: the tier, SIMD features, threads and the BLAS found (or why none), consistent with each other', () => {
    const r = run(['info', '--json'], { SPIKEFLOW_BLAS: undefined });
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout) as Info;
    expect(info.node).toBe(process.version);
    expect(info.cores).toBe(availableParallelism());
    expect(info.wasm.simd).toBe(true);
    // the CLI turns relaxed SIMD on where Node has it behind a flag: then the kernels fuse their multiply-adds
    expect(info.wasm.fusedMultiplyAdd).toBe(info.wasm.relaxedSimd);
    expect(info.tier).toMatch(/^wasm-(relaxed-)?simd(\+blas)?$/);
    expect(info.tier.startsWith(info.wasm.fusedMultiplyAdd ? 'wasm-relaxed-simd' : 'wasm-simd')).toBe(true);
    expect(Number.isInteger(info.threads) && info.threads >= 1).toBe(true);
    expect(info.crossOriginIsolated).toBeNull();
    expect(info.blas.setting).toBe('auto');
    expect(info.tier.endsWith('+blas')).toBe(info.blas.found);
    if (required) expect(info.blas.found, `no BLAS: ${info.blas.reason}`).toBe(true);
    if (info.blas.found) {
      expect(['OpenBLAS', 'MKL', 'Accelerate', 'BLIS']).toContain(info.blas.vendor);
      expect(info.blas.reference).toBe(false);
      if (info.blas.vendor !== 'Accelerate') expect(existsSync(info.blas.path!)).toBe(true);
      // the CLI gives the BLAS every core (no kernel thread pool of more threads here)
      if (info.blas.threads !== null) expect(info.blas.threads).toBe(info.threads > 1 ? info.threads : availableParallelism());
      expect(info.blas.tried.at(-1)).toMatch(new RegExp(`: ${info.blas.vendor}$`));
    } else expect(info.blas.reason!.length).toBeGreaterThan(0);
  });

  it('as text: one line each for the tier, the WASM features, the threads and the BLAS', () => {
    const r = run(['info'], { SPIKEFLOW_BLAS: undefined });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^spikeflow \d+\.\d+\.\d+, Node v\d+/);
    expect(r.stdout).toMatch(/\nkernels: +wasm-(relaxed-)?simd(\+blas)?\n/);
    expect(r.stdout).toMatch(/\nwasm: +SIMD yes, relaxed SIMD (yes \(validated\)|no), fused multiply-add (yes|no)\n/);
    expect(r.stdout).toMatch(/\nthreads: +\d+ per kernel call\n/);
    expect(r.stdout).toMatch(/\nblas: +(OpenBLAS|MKL|Accelerate|BLIS|none \()/);
  });

  it('SPIKEFLOW_BLAS=off: the WASM tier, and the reason', () => {
    const r = run(['info', '--json'], { SPIKEFLOW_BLAS: 'off' });
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout) as Info;
    expect(info.tier).toMatch(/^wasm-(relaxed-)?simd$/);
    expect(info.blas).toMatchObject({ setting: 'off', found: false });
    expect(info.blas.reason).toMatch(/turned off/);
  });

  it('a library path that does not exist: info says why, and a training command stops with one line', () => {
    const r = run(['info', '--json', '--blas', '/nonexistent/libopenblas.so.0']);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout) as Info;
    expect(info.blas).toMatchObject({ setting: 'path', found: false });
    expect(info.blas.reason).toMatch(/\/nonexistent\/libopenblas\.so\.0 .*no such file/);
    const t = run(['train', '--epochs', '1'], { SPIKEFLOW_BLAS: '/nonexistent/libopenblas.so.0' });
    expectOneLineError(t, 1, /^spikeflow: BLAS library \/nonexistent\/libopenblas\.so\.0 .*: no such file$/);
  });

  it('the training and evaluation commands say which tier they run on', () => {
    const info = JSON.parse(run(['info', '--json'], { SPIKEFLOW_BLAS: undefined }).stdout) as Info;
    // eval of a checkpoint that is not there: the tier line comes first, then the error
    const e = run(['eval', '--checkpoint', 'no-such-run'], { SPIKEFLOW_BLAS: undefined });
    expect(e.code).not.toBe(0);
    expect(e.stderr.split('\n')[0]).toMatch(new RegExp(`^using kernels ${info.tier.replace('+', '\\+')} \\(`));
    const off = run(['eval', '--checkpoint', 'no-such-run'], { SPIKEFLOW_BLAS: 'off' });
    expect(off.stderr.split('\n')[0]).toMatch(/^using kernels wasm-(relaxed-)?simd \(no BLAS: turned off/);
  });
});
