#!/usr/bin/env node
// The by-hand half of the NIR round-trip check (Python cannot run in CI): reads every fixture of
// test/fixtures/nir with spikeflow's readNir, writes it again with writeNir into OUT_DIR, and writes
// next to each file the values Python nir should read from it (OUT_DIR/<name>.expected.json: the
// fixture's own JSON, adjusted where writeNir must add what old files lack). Then
//
//   node tools/nir-roundtrip.mjs /tmp/nir-out
//   python3 tools/nir-fixtures.py check /tmp/nir-v1.0.7 /tmp/nir-out/*.nir
//
// reads them with the Python nir 1.0.7 reader and compares. Runs from the sources (bundled on the
// fly with esbuild), so no build is needed.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = process.argv[2];
if (!out) {
  console.error('usage: node tools/nir-roundtrip.mjs OUT_DIR');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), 'sf-nir-rt-'));
await build({ entryPoints: [join(root, 'src/nir/index.ts')], bundle: true, platform: 'node', format: 'esm', outfile: join(tmp, 'nir.mjs'), logLevel: 'silent' });
const nir = await import(pathToFileURL(join(tmp, 'nir.mjs')).href);
rmSync(tmp, { recursive: true, force: true });

// the fixtures' convolution input sizes (tools/nir-fixtures.py), which files before 1.0 do not store
const INPUT_SHAPE = { Conv1d: 8, Conv2d: [6, 5] };
const PY_INPUT_SHAPE = { Conv1d: { int: 8 }, Conv2d: { data: [6, 5], dtype: 'int64', shape: [2] } };

/** What NIR 1.0.7 makes of a legacy node: v_reset = 0, and the input_shape writeNir asks for. */
function adjustGraph(g) {
  for (const [name, n] of g.nodes) {
    if (n.type === 'NIRGraph') adjustGraph(n);
    if ((n.type === 'Conv1d' || n.type === 'Conv2d') && n.input_shape === undefined) n.input_shape = INPUT_SHAPE[n.type];
    if ((n.type === 'IF' || n.type === 'LIF' || n.type === 'CubaLIF') && n.v_reset === undefined)
      n.v_reset = { data: new n.v_threshold.data.constructor(n.v_threshold.data.length), shape: [...n.v_threshold.shape] };
    g.nodes.set(name, n);
  }
}

function adjustPy(d) {
  if (d.type === 'NIRGraph') for (const n of Object.values(d.nodes)) adjustPy(n);
  if ((d.type === 'Conv1d' || d.type === 'Conv2d') && d.input_shape === undefined) d.input_shape = PY_INPUT_SHAPE[d.type];
  if ((d.type === 'IF' || d.type === 'LIF' || d.type === 'CubaLIF') && d.v_reset === undefined) {
    const t = d.v_threshold;
    d.v_reset = 'float' in t ? { float: 0 } : { data: t.data.map(() => 0), dtype: t.dtype, shape: t.shape };
  }
}

const fixtures = join(root, 'test/fixtures/nir');
for (const dir of readdirSync(fixtures)) {
  if (dir.endsWith('.md')) continue;
  for (const f of readdirSync(join(fixtures, dir))) {
    if (!f.endsWith('.nir.gz')) continue;
    const name = f.slice(0, -'.nir.gz'.length);
    const json = join(fixtures, dir, `${name}.json`);
    if (!existsSync(json)) continue;
    const g = await nir.readNir(new Uint8Array(gunzipSync(readFileSync(join(fixtures, dir, f)))));
    adjustGraph(g);
    const bytes = await nir.writeNir(g);
    const expected = JSON.parse(readFileSync(json, 'utf8')).read;
    delete expected.version;
    adjustPy(expected);
    writeFileSync(join(out, `${dir}-${name}.nir`), bytes);
    writeFileSync(join(out, `${dir}-${name}.expected.json`), JSON.stringify(expected, null, 1));
    console.log(join(out, `${dir}-${name}.nir`), bytes.length, 'bytes');
  }
}
