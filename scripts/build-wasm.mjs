// Compiles the AssemblyScript kernels (src/kernels/assembly) to WASM SIMD modules and embeds their
// bytes, base64, in a generated TypeScript module, so Node, workers and browsers load the kernels the
// same way (no fetch, no fs, no bundler plugin). Outputs (all gitignored, rebuilt by `npm run build`):
//   build/spikeflow.wasm                       WASM SIMD (for inspection: wasm-objdump, --print-wasm-code)
//   build/spikeflow-relaxed.wasm               the same source with relaxed SIMD (fused multiply-add)
//   src/kernels/wasm-binary.generated.ts       export const WASM_BASE64: string = '...', WASM_RELAXED_PATCH_BASE64: string = '...'
//                                              (the relaxed build as a patch against the plain one), WASM_RELAXED_LENGTH
//   build/sim-lif.wasm                         the simulator's LifGroup kernels (src/sim/assembly/lif.ts)
//   src/sim/lif-kernel.generated.ts            export const LIF_KERNEL_BASE64 = '...' (flags: see buildSimulatorKernel)
// Flags: SIMD on; -O3; the stub runtime (the kernels allocate nothing: the JS wrapper lays out all
// memory); no assertions; memory imported (and exported), growable to 4 GiB, starting at 16 pages (1 MiB).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

let asc;
try {
  asc = join(dirname(require.resolve('assemblyscript/package.json')), 'bin', 'asc.js');
} catch {
  console.error('build-wasm: the assemblyscript compiler is missing; run `npm ci` first');
  process.exit(1);
}
if (!existsSync(asc)) {
  console.error(`build-wasm: ${asc} not found; run \`npm ci\` first`);
  process.exit(1);
}

const entry = join(root, 'src/kernels/assembly/index.ts');
/** Compiles the kernels with the given extra features into build/<name>.wasm; returns its bytes. */
function compile(name, features) {
  const wasmPath = join(root, 'build', `${name}.wasm`);
  mkdirSync(dirname(wasmPath), { recursive: true });
  execFileSync(
    process.execPath,
    [
      asc,
      entry,
      '--outFile',
      wasmPath,
      ...features.flatMap((f) => ['--enable', f]),
      '-O3',
      '--runtime',
      'stub',
      '--noAssert',
      '--initialMemory',
      '16',
      // The memory is imported (env.memory), with a maximum of 4 GiB: the loader creates it, plain or, for
      // the kernel thread pool (src/kernels/pool.ts), shared by every thread's instance. A shared memory
      // needs a maximum, and the loader turns the import's limits flag byte from 0x01 (min, max) to 0x03
      // (min, max, shared) for it, so one binary serves both (asc's --sharedMemory would need threads
      // everywhere, and an unisolated browser has no shared memory at all).
      '--importMemory',
      '--maximumMemory',
      '65536',
      // WASM_DEBUG=1 keeps the function names (for profiles: `node --cpu-prof` then names every kernel).
      ...(process.env.WASM_DEBUG ? ['--debug'] : []),
    ],
    { stdio: 'inherit', cwd: root },
  );
  return { wasmPath, bytes: readFileSync(wasmPath) };
}

// Two builds of the same source: WASM SIMD alone (runs everywhere SIMD does), and with relaxed SIMD,
// where src/kernels/assembly/simd.ts's madd is a fused multiply-add (the loader picks it where the
// runtime validates it: Chrome >= 114, Node >= 22, Node 20 with --experimental-wasm-relaxed-simd).
const simd = compile('spikeflow', ['simd']);
const relaxed = compile('spikeflow-relaxed', ['simd', 'relaxed-simd']);
if (!WebAssembly.validate(simd.bytes)) {
  console.error('build-wasm: asc produced a module this Node cannot validate (WASM SIMD missing?)');
  process.exit(1);
}
/**
 * The relaxed build as a patch against the plain one (most of their bytes are the same: only the fused
 * multiply-adds differ), so the browser bundle carries one build and a patch (~10x smaller) instead of
 * two builds. Ops, each a LEB128 header h: h odd, copy h >> 1 bytes of the plain build from the LEB128
 * offset that follows; h even, insert the h >> 1 bytes that follow. Greedy matching of 12-byte windows,
 * preferring the candidate nearest the last copy (the builds' code runs in the same order).
 * src/kernels/wasm-module.ts's applyPatch decodes it; checked here by decoding it back.
 */
function makePatch(base, target) {
  const W = 12;
  const key = (b, i) => b.toString('latin1', i, i + W);
  const index = new Map();
  for (let i = 0; i + W <= base.length; i++) {
    const k = key(base, i);
    const list = index.get(k);
    if (list) list.push(i);
    else index.set(k, [i]);
  }
  const out = [];
  const leb = (x) => {
    do {
      let c = x % 128;
      x = Math.floor(x / 128);
      if (x > 0) c |= 128;
      out.push(c);
    } while (x > 0);
  };
  let pending = [];
  const flush = () => {
    if (!pending.length) return;
    leb(pending.length * 2);
    out.push(...pending);
    pending = [];
  };
  let last = 0;
  for (let i = 0; i < target.length; ) {
    const cands = i + W <= target.length ? index.get(key(target, i)) : undefined;
    let best = -1;
    let bestLen = 0;
    for (const c of cands ?? []) {
      let n = 0;
      while (i + n < target.length && c + n < base.length && base[c + n] === target[i + n]) n++;
      if (n > bestLen || (n === bestLen && Math.abs(c - last) < Math.abs(best - last))) {
        best = c;
        bestLen = n;
      }
    }
    if (bestLen >= W) {
      flush();
      leb(bestLen * 2 + 1);
      leb(best);
      last = best + bestLen;
      i += bestLen;
    } else pending.push(target[i++]);
  }
  flush();
  return Buffer.from(out);
}
function applyPatch(base, patch, length) {
  const out = Buffer.alloc(length);
  let o = 0;
  let p = 0;
  const leb = () => {
    let x = 0;
    let s = 0;
    let c;
    do {
      c = patch[p++];
      x += (c & 127) * 2 ** s;
      s += 7;
    } while (c & 128);
    return x;
  };
  while (p < patch.length) {
    const h = leb();
    const n = Math.floor(h / 2);
    if (h & 1) {
      const from = leb();
      base.copy(out, o, from, from + n);
    } else {
      patch.copy(out, o, p, p + n);
      p += n;
    }
    o += n;
  }
  return out;
}
const patch = makePatch(simd.bytes, relaxed.bytes);
if (!applyPatch(simd.bytes, patch, relaxed.bytes.length).equals(relaxed.bytes)) {
  console.error('build-wasm: the relaxed build does not decode back from its patch');
  process.exit(1);
}
const out = join(root, 'src/kernels/wasm-binary.generated.ts');
const tmp = `${out}.tmp`;
writeFileSync(
  tmp,
  '// Generated by scripts/build-wasm.mjs from src/kernels/assembly: do not edit, do not commit.\n' +
    // typed `string`, so the declaration file says `string` instead of repeating the blob as a literal type
    `export const WASM_BASE64: string =\n  '${simd.bytes.toString('base64')}';\n` +
    // the relaxed build: a patch against the plain one (makePatch), and its length
    `export const WASM_RELAXED_PATCH_BASE64: string =\n  '${patch.toString('base64')}';\n` +
    `export const WASM_RELAXED_LENGTH = ${relaxed.bytes.length};\n`,
);
renameSync(tmp, out); // atomic: a concurrent reader never sees a half-written module
console.log(
  `build-wasm: ${simd.bytes.length} + ${relaxed.bytes.length} bytes of WASM (the second as a ${patch.length}-byte patch) -> ${relative(root, simd.wasmPath)}, ${relative(root, relaxed.wasmPath)}, ${relative(root, out)}`,
);

// The simulator's LifGroup kernels (src/sim/assembly/lif.ts): a module of their own, loaded by
// src/sim/lif-kernel.ts. Same SIMD, -O3, stub runtime and no assertions, but the memory is imported
// (env.memory, at least 1 page; each group creates its own WebAssembly.Memory and lays its arrays out
// from byte 0) and Math.exp is imported as env.exp (bit-identical to the TypeScript loop).
function buildSimulatorKernel() {
  const source = join(root, 'src/sim/assembly/lif.ts');
  const wasmPath = join(root, 'build', 'sim-lif.wasm');
  const outPath = join(root, 'src/sim/lif-kernel.generated.ts');
  mkdirSync(dirname(wasmPath), { recursive: true });
  execFileSync(
    process.execPath,
    [
      asc,
      source,
      '--outFile',
      wasmPath,
      '--enable',
      'simd',
      '-O3',
      '--runtime',
      'stub',
      '--noAssert',
      '--importMemory',
      '--initialMemory',
      '1',
      ...(process.env.WASM_DEBUG ? ['--debug'] : []),
    ],
    { stdio: 'inherit', cwd: root },
  );
  const bytes = readFileSync(wasmPath);
  if (!WebAssembly.validate(bytes)) {
    console.error('build-wasm: asc produced a simulator kernel this Node cannot validate (WASM SIMD missing?)');
    process.exit(1);
  }
  const tmpPath = `${outPath}.tmp`;
  writeFileSync(
    tmpPath,
    '// Generated by scripts/build-wasm.mjs from src/sim/assembly/lif.ts: do not edit, do not commit.\n' +
      `export const LIF_KERNEL_BASE64: string =\n  '${bytes.toString('base64')}';\n`,
  );
  renameSync(tmpPath, outPath); // atomic, as above
  console.log(`build-wasm: ${bytes.length} bytes of WASM -> ${relative(root, wasmPath)}, ${relative(root, outPath)}`);
}
buildSimulatorKernel();
