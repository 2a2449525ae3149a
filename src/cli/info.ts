import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { SpikeflowError } from '../core/errors.js';
import { defaultKernels } from '../kernels/default.js';
import { withBlas, blasSetting } from '../kernels/node-blas.js';
import { kernelThreads } from '../kernels/types.js';
import { relaxedSimdSupported } from '../kernels/wasm.js';
import type { FlagSpec } from './args.js';
import type { CommandContext } from './common.js';

export const infoFlags = {
  json: { type: 'bool', default: false, help: 'print the report as one JSON object' },
  blas: {
    type: 'string',
    help: "the BLAS to probe: 'auto' (discovery), 'off', or a library path (default: SPIKEFLOW_BLAS, else auto)",
  },
} as const satisfies FlagSpec;

export type InfoOptions = { json: boolean; blas?: string };

/** What `spikeflow info` reports (its --json object). */
export interface InfoReport {
  spikeflow: string;
  node: string;
  platform: string;
  cpu: string;
  cores: number;
  /** The kernel tier the other commands run: wasm-simd, wasm-relaxed-simd, with +blas when the dense GEMMs go to a native BLAS. */
  tier: string;
  wasm: {
    simd: boolean;
    /** The relaxed-SIMD build validates on this engine (WebAssembly.validate of the module itself). */
    relaxedSimd: boolean;
    /** The kernels in use fuse their multiply-adds (the relaxed build). */
    fusedMultiplyAdd: boolean;
  };
  /** Threads one kernel call may use (the kernel thread pool, caller included). */
  threads: number;
  /** Browsers only: shared memory (and so kernel threads) needs cross-origin isolation; null in Node. */
  crossOriginIsolated: boolean | null;
  blas: {
    setting: 'auto' | 'off' | 'path';
    found: boolean;
    vendor?: string;
    path?: string;
    config?: string;
    threads?: number | null;
    reference?: boolean;
    ilp64?: boolean;
    /** Why there is none. */
    reason?: string;
    /** Each library looked at and what came of it. */
    tried: string[];
  };
}

const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The report: the tier the CLI runs (SPIKEFLOW_BLAS or --blas honoured), the engine's SIMD features, the BLAS found or why none. */
export async function infoReport(o: { blas?: string } = {}): Promise<InfoReport> {
  const plain = defaultKernels();
  let tier: string;
  let blas: InfoReport['blas'];
  const setting = blasSetting(o.blas === undefined ? {} : { blas: o.blas }).setting;
  try {
    const { report } = await withBlas(plain, o.blas === undefined ? {} : { blas: o.blas });
    tier = report.tier;
    const b = report.blas;
    blas = b
      ? {
          setting,
          found: true,
          vendor: b.vendor,
          path: b.path,
          config: b.config,
          threads: b.threads,
          reference: b.reference,
          ilp64: b.ilp64,
          tried: report.probe.tried,
        }
      : { setting, found: false, reason: report.reason, tried: report.probe.tried };
  } catch (e) {
    // a library path that cannot be used: the commands would stop on it; say so here instead
    if (!(e instanceof SpikeflowError)) throw e;
    tier = `${plain.fusedMultiplyAdd ? 'wasm-relaxed-simd' : 'wasm-simd'} (the other commands stop: ${e.message})`;
    blas = { setting, found: false, reason: e.message, tried: [] };
  }
  const coi = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  return {
    spikeflow: version(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpus()[0]?.model?.trim() ?? 'unknown',
    cores: availableParallelism(),
    tier,
    wasm: { simd: WebAssembly.validate(SIMD_PROBE), relaxedSimd: relaxedSimdSupported(), fusedMultiplyAdd: plain.fusedMultiplyAdd },
    threads: kernelThreads(plain),
    crossOriginIsolated: typeof coi === 'boolean' ? coi : null,
    blas,
  };
}

function text(r: InfoReport): string {
  const b = r.blas;
  const blasLines = b.found
    ? [
        `blas:        ${b.vendor}${b.reference ? ' (a reference BLAS: slower than the WASM kernels)' : ''}${b.ilp64 ? ' (ILP64)' : ''}`,
        `  library:   ${b.path}`,
        `  config:    ${b.config}`,
        `  threads:   ${b.threads ?? 'not settable from here'}`,
      ]
    : [`blas:        none (${b.reason})`];
  return [
    `spikeflow ${r.spikeflow}, Node ${r.node}, ${r.platform}`,
    `cpu:         ${r.cpu}, ${r.cores} cores`,
    `kernels:     ${r.tier}`,
    `wasm:        SIMD ${r.wasm.simd ? 'yes' : 'no'}, relaxed SIMD ${r.wasm.relaxedSimd ? 'yes (validated)' : 'no'}, fused multiply-add ${r.wasm.fusedMultiplyAdd ? 'yes' : 'no'}`,
    `threads:     ${r.threads} per kernel call`,
    ...(r.crossOriginIsolated === null ? [] : [`crossOriginIsolated: ${r.crossOriginIsolated}`]),
    ...blasLines,
    `  setting:   ${b.setting}${b.setting === 'auto' ? ' (SPIKEFLOW_BLAS=off for WASM only, =<path> for one library)' : ''}`,
    ...(b.tried.length ? ['  looked at:', ...b.tried.map((t) => `    ${t}`)] : []),
  ].join('\n');
}

/** `spikeflow info`: the kernel tier, threads, SIMD features and the BLAS found, as text or JSON. */
export async function runInfo(o: InfoOptions, _ctx: CommandContext): Promise<InfoReport> {
  const r = await infoReport(o);
  process.stdout.write(`${o.json ? JSON.stringify(r) : text(r)}\n`);
  return r;
}
