import { existsSync, realpathSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import {
  BlasError,
  type BlasInfo,
  type BlasKernelOptions,
  type BlasKernels,
  type BlasLibrary,
  type BlasVendor,
  blasKernels,
  blasInfoOf,
  kernelTier,
} from './blas.js';
import { defaultKernels, setDefaultKernels } from './default.js';
import type { Kernels } from './types.js';

/**
 * Node only: finds a system BLAS, binds its cblas_sgemm through koffi (an optional dependency, imported
 * on first use) and installs the BLAS tier (blas.ts) as the default kernels. Never imported by the
 * browser entry (src/index.ts); spikeflow/node exports it.
 *
 * Which library: SPIKEFLOW_BLAS (or the `blas` option) is 'off' (WASM only), a library path (that one,
 * or a BlasError), or unset / 'auto': the first optimized BLAS among OpenBLAS (libopenblas.so.0, the
 * ILP64 libopenblas64_), MKL (libmkl_rt), BLIS, and on macOS Accelerate, in the usual library
 * directories. A library that says it is none of these (no openblas_get_config, MKL_Get_Version_String
 * or bli_info_get_version_str: e.g. the netlib reference BLAS Debian may link as libblas.so.3, slower
 * than the WASM kernels) is never picked by discovery: the probe says why it was passed over; given
 * explicitly, it is used and reported as a reference BLAS.
 */

/** The parts of koffi used here (typed locally: koffi is optional, and may be absent when this compiles). */
interface KoffiLib {
  func(decl: string): (...args: unknown[]) => unknown;
  unload(): void;
}
interface Koffi {
  load(path: string): KoffiLib;
  version?: string;
}

export interface BlasOptions extends BlasKernelOptions {
  /**
   * 'auto' or true: discovery (the default, or what SPIKEFLOW_BLAS says when this is absent); 'off' or
   * false: WASM only; any other string: the path of the library to use.
   */
  blas?: string | boolean;
  /** BLAS threads; default: the wrapped kernels' threads where they have a pool, else the cores (os.availableParallelism()). */
  threads?: number;
  /** Read SPIKEFLOW_BLAS when `blas` is absent (default true). */
  env?: boolean;
}

/** What a search for a BLAS found. */
export interface BlasProbe {
  /** How the choice was made: discovery, turned off, or a path given. */
  setting: 'auto' | 'off' | 'path';
  /** The library bound, or null. */
  library: BlasLibrary | null;
  /** Why there is none (or '' when there is one). */
  reason: string;
  /** Each library looked at and what came of it, in order. */
  tried: string[];
}

/** The kernel tier now in place (enableBlas's answer, and what `spikeflow info` prints). */
export interface TierReport {
  /** e.g. 'wasm-relaxed-simd+blas' (kernelTier). */
  tier: string;
  blas: BlasInfo | null;
  /** Why the tier has no BLAS ('' when it has one). */
  reason: string;
  probe: BlasProbe;
}

const OFF = new Set(['off', '0', 'false', 'no', 'none', 'wasm']);

/** The setting: the option, else (with env) SPIKEFLOW_BLAS, else auto. */
export function blasSetting(opts: BlasOptions = {}): { setting: 'auto' | 'off' | 'path'; path: string } {
  const raw = opts.blas ?? ((opts.env ?? true) ? process.env.SPIKEFLOW_BLAS : undefined);
  if (raw === undefined || raw === true || raw === '' || raw === 'auto') return { setting: 'auto', path: '' };
  if (raw === false || OFF.has(String(raw).toLowerCase())) return { setting: 'off', path: '' };
  if (typeof raw !== 'string') throw new BlasError(`blas: expected 'auto', 'off' or a library path, found ${String(raw)}`);
  return { setting: 'path', path: raw };
}

let koffiPromise: Promise<Koffi | string> | null = null;

/** koffi, or why it cannot be had. The specifier is a variable so that no bundler follows it. */
function koffi(): Promise<Koffi | string> {
  const name = 'koffi';
  koffiPromise ??= import(name).then(
    (m: { default?: Koffi } & Koffi) => m.default ?? m,
    (e: Error) => `the optional package koffi (the FFI binding) could not be loaded: ${e.message.split('\n')[0]}`,
  );
  return koffiPromise;
}

/** Library file names to look for, best first, on this platform. */
function candidateNames(): string[] {
  if (process.platform === 'darwin')
    return [
      '/System/Library/Frameworks/Accelerate.framework/Accelerate',
      'libopenblas.0.dylib',
      'libopenblas.dylib',
      'libmkl_rt.2.dylib',
      'libmkl_rt.dylib',
      'libblis.dylib',
    ];
  if (process.platform === 'win32') return ['libopenblas.dll', 'openblas.dll', 'mkl_rt.2.dll', 'mkl_rt.dll'];
  return [
    'libopenblas.so.0',
    'libopenblas.so',
    'libopenblas64_.so.0',
    'libopenblas64_.so',
    'libmkl_rt.so.2',
    'libmkl_rt.so',
    'libblis.so.4',
    'libblis.so',
    // often an alternative link to OpenBLAS, sometimes to the netlib reference: identified before use
    'libblas.so.3',
  ];
}

function candidateDirs(): string[] {
  const env = process.env;
  const dirs = [...(env.LD_LIBRARY_PATH ?? env.DYLD_LIBRARY_PATH ?? '').split(':').filter(Boolean)];
  if (env.CONDA_PREFIX) dirs.push(join(env.CONDA_PREFIX, 'lib'));
  if (env.MKLROOT) dirs.push(join(env.MKLROOT, 'lib'), join(env.MKLROOT, 'lib', 'intel64'));
  const triple = process.arch === 'arm64' ? 'aarch64-linux-gnu' : process.arch === 'x64' ? 'x86_64-linux-gnu' : '';
  if (process.platform === 'darwin')
    dirs.push('/opt/homebrew/opt/openblas/lib', '/usr/local/opt/openblas/lib', '/opt/homebrew/lib', '/usr/local/lib');
  else
    dirs.push(
      '/usr/local/lib',
      ...(triple ? [`/usr/lib/${triple}`, `/lib/${triple}`] : []),
      '/usr/lib64',
      '/usr/lib',
      '/opt/OpenBLAS/lib',
      '/opt/intel/oneapi/mkl/latest/lib',
    );
  return [...new Set(dirs)];
}

/** Files to try: each name in each directory where it exists, then the bare names the system loader may still find. */
function candidates(): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const names = candidateNames();
  for (const name of names) {
    if (name.startsWith('/')) {
      out.push(name);
      continue;
    }
    for (const dir of candidateDirs()) {
      const f = join(dir, name);
      if (!existsSync(f)) continue;
      const real = resolved(f);
      if (seen.has(real)) continue;
      seen.add(real);
      out.push(f);
    }
  }
  // nothing on disk under a known directory: let the system loader search its own path
  if (!out.some((f) => !f.startsWith('/System/'))) out.push(...names.filter((n) => !n.startsWith('/')));
  return out;
}

function resolved(f: string): string {
  try {
    return realpathSync(f);
  } catch {
    return f;
  }
}

type Fn = (...args: unknown[]) => unknown;
const fn = (lib: KoffiLib, decl: string): Fn | null => {
  try {
    return lib.func(decl);
  } catch {
    return null;
  }
};

/** Binds cblas_sgemm and identifies the library; throws BlasError when it has no cblas_sgemm. */
function bind(k: Koffi, file: string): BlasLibrary {
  let lib: KoffiLib;
  try {
    lib = k.load(file);
  } catch (e) {
    throw new BlasError(`${file}: cannot be loaded (${(e as Error).message.split('\n')[0]})`);
  }
  // LP64 first, then OpenBLAS's ILP64 build (64-bit integers, symbols suffixed 64_)
  let sfx = '';
  let int = 'int';
  let gemm = fn(lib, 'void cblas_sgemm(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int)');
  if (!gemm) {
    sfx = '64_';
    int = 'int64_t';
    gemm = fn(
      lib,
      `void cblas_sgemm64_(int, int, int, ${int}, ${int}, ${int}, float, const float *, ${int}, const float *, ${int}, float, float *, ${int})`,
    );
  }
  if (!gemm) {
    lib.unload();
    throw new BlasError(`${file}: no cblas_sgemm (not a CBLAS library)`);
  }
  const real = resolved(file);
  let vendor: BlasVendor = 'unknown';
  let config = '';
  let getThreads: (() => number) | null = null;
  let setThreads: ((n: number) => void) | null = null;
  const obConfig = fn(lib, `const char *openblas_get_config${sfx}(void)`);
  const mklVersion = fn(lib, 'void MKL_Get_Version_String(_Out_ uint8_t *buf, int len)');
  const blis = fn(lib, 'const char *bli_info_get_version_str(void)');
  if (obConfig) {
    vendor = 'OpenBLAS';
    const core = fn(lib, `const char *openblas_get_corename${sfx}(void)`);
    config = `${String(obConfig())}${core ? ` (core ${String(core())})` : ''}`;
    const g = fn(lib, `int openblas_get_num_threads${sfx}(void)`);
    const s = fn(lib, `void openblas_set_num_threads${sfx}(int)`);
    if (g) getThreads = () => Number(g());
    if (s) setThreads = (n) => void s(n);
  } else if (mklVersion) {
    vendor = 'MKL';
    const buf = new Uint8Array(256);
    mklVersion(buf, buf.length);
    config = new TextDecoder().decode(buf.subarray(0, Math.max(0, buf.indexOf(0)))).trim();
    const g = fn(lib, 'int MKL_Get_Max_Threads(void)');
    const s = fn(lib, 'void MKL_Set_Num_Threads(int)');
    if (g) getThreads = () => Number(g());
    if (s) setThreads = (n) => void s(n);
  } else if (blis) {
    vendor = 'BLIS';
    config = `BLIS ${String(blis())}`;
  } else if (/Accelerate\.framework|vecLib/.test(file)) {
    vendor = 'Accelerate';
    config = 'Apple Accelerate (threads: VECLIB_MAXIMUM_THREADS)';
  }
  const info: BlasInfo = {
    path: real,
    vendor,
    config,
    threads: getThreads ? getThreads() : null,
    reference: vendor === 'unknown',
    ilp64: sfx !== '',
  };
  if (info.reference) info.config = `${basename(real)}: not a known optimized BLAS (netlib reference?)`;
  const g = gemm;
  return {
    info,
    sgemm(transA, transB, m, n, kk, alpha, a, lda, b, ldb, beta, c, ldc) {
      g(101, transA ? 112 : 111, transB ? 112 : 111, m, n, kk, alpha, a, lda, b, ldb, beta, c, ldc);
    },
    ...(setThreads
      ? {
          setThreads(n: number) {
            setThreads(n);
            info.threads = getThreads ? getThreads() : n;
          },
        }
      : {}),
    unload: () => lib.unload(),
  } as BlasLibrary;
}

const bound = new Map<string, BlasLibrary>();

/**
 * Looks for a BLAS as the options (or SPIKEFLOW_BLAS) say. A path that cannot be used throws BlasError;
 * discovery that finds nothing usable answers library null with the reason.
 */
export async function loadBlas(opts: BlasOptions = {}): Promise<BlasProbe> {
  const { setting, path } = blasSetting(opts);
  if (setting === 'off') return { setting, library: null, reason: 'turned off (SPIKEFLOW_BLAS=off or the blas option)', tried: [] };
  const k = await koffi();
  if (typeof k === 'string') {
    if (setting === 'path') throw new BlasError(`BLAS library ${path} (SPIKEFLOW_BLAS or the blas option): ${k}`);
    return { setting, library: null, reason: k, tried: [] };
  }
  if (setting === 'path') {
    if (path.includes('/') && !existsSync(path))
      throw new BlasError(`BLAS library ${path} (SPIKEFLOW_BLAS or the blas option): no such file`);
    const key = resolved(path);
    let lib = bound.get(key);
    if (!lib) {
      lib = bind(k, path);
      bound.set(key, lib);
    }
    return { setting, library: lib, reason: '', tried: [`${path}: ${lib.info.vendor}`] };
  }
  const tried: string[] = [];
  for (const file of candidates()) {
    const key = resolved(file);
    let lib = bound.get(key);
    if (!lib) {
      try {
        lib = bind(k, file);
      } catch (e) {
        tried.push(file.startsWith('/') ? (e as Error).message : `${file}: not found by the system loader`);
        continue;
      }
      if (lib.info.reference) {
        tried.push(
          `${file} -> ${lib.info.path}: not a known optimized BLAS (netlib reference?): passed over; SPIKEFLOW_BLAS=<path> forces it`,
        );
        (lib as { unload?: () => void }).unload?.();
        continue;
      }
      bound.set(key, lib);
    }
    tried.push(`${file}: ${lib.info.vendor}`);
    return { setting, library: lib, reason: '', tried };
  }
  return {
    setting,
    library: null,
    reason: `no optimized BLAS found (looked for ${candidateNames()
      .map((n) => basename(n))
      .join(', ')})`,
    tried,
  };
}

function threadsFor(inner: Kernels, opts: BlasOptions): number {
  const t = opts.threads ?? (inner.threads && inner.threads > 1 ? inner.threads : availableParallelism());
  if (!Number.isInteger(t) || t < 1) throw new BlasError(`blas threads: expected a positive integer, found ${String(t)}`);
  return t;
}

/**
 * `inner` (default: the default kernels) with its dense GEMMs on the BLAS the options pick, and the
 * report of what was found. Without a BLAS (turned off, none found, koffi missing) the kernels are
 * `inner` itself; a library path that cannot be used throws BlasError.
 */
export async function withBlas(
  inner: Kernels = defaultKernels(),
  opts: BlasOptions = {},
): Promise<{ kernels: Kernels; report: TierReport }> {
  const plain = blasInfoOf(inner) ? (inner as BlasKernels).inner : inner;
  const probe = await loadBlas(opts);
  const lib = probe.library;
  if (!lib) return { kernels: plain, report: { tier: kernelTier(plain), blas: null, reason: probe.reason, probe } };
  lib.setThreads?.(threadsFor(plain, opts));
  const kernels = blasKernels(plain, lib, opts);
  return { kernels, report: { tier: kernelTier(kernels), blas: lib.info, reason: '', probe } };
}

/**
 * Makes defaultKernels() the BLAS tier where one is found (and allowed: SPIKEFLOW_BLAS, the `blas`
 * option), else leaves it the WASM kernels; answers what is in place. The CLI calls it at start; in a
 * Node program call it once before training.
 */
export async function enableBlas(opts: BlasOptions = {}): Promise<TierReport> {
  const { kernels, report } = await withBlas(defaultKernels(), opts);
  setDefaultKernels(kernels);
  return report;
}
