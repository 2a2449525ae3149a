// Extracts snnTorch's public names (and their parameters) from its Python source into
// docs/snntorch-names.txt, the list that test/docs/site.test.ts checks the "coming from snnTorch" page
// against (so the test needs no snnTorch checkout). One line per name: the qualified name as the docs
// write it, then its parameters, space-separated:
//   snn.Leaky beta threshold spike_grad ... reset_delay      (a class: the parameters of its __init__)
//   surrogate.atan alpha                                     (a function)
// Prefixes: `snn.` what `import snntorch as snn` gives (the neurons and layers), then the submodules:
// `surrogate.`, `spikegen.`, `functional.` (acc, loss, reg, probe are star-imported into it), `functional.quant.`,
// `functional.stdp_learner.`, `utils.`, `backprop.`, `spikeplot.`, `export_nir.`, `import_nir.`,
// `spikevision.spikedata.`. Names starting with `_` are private and left out.
//
//   node scripts/snntorch-names.mjs [path/to/snntorch/package]    (default: $SNNTORCH_SRC or /tmp/peers/snntorch/snntorch)
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = resolve(process.argv[2] ?? process.env.SNNTORCH_SRC ?? '/tmp/peers/snntorch/snntorch');
const out = join(root, 'docs', 'snntorch-names.txt');

const read = (rel) => readFileSync(join(src, rel), 'utf8');

/** The text between the '(' at `open` and its matching ')'. */
function balanced(text, open) {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(' || text[i] === '[' || text[i] === '{') depth++;
    else if (text[i] === ')' || text[i] === ']' || text[i] === '}') {
      depth--;
      if (depth === 0) return text.slice(open + 1, i);
    }
  }
  throw new Error(`unbalanced parentheses at ${open}`);
}

/** Parameter names of a Python parameter list (annotations, defaults, self and the * / separators dropped). */
function params(list) {
  const names = [];
  let depth = 0;
  let cur = '';
  for (const ch of `${list},`) {
    if ('([{'.includes(ch)) depth++;
    if (')]}'.includes(ch)) depth--;
    if (ch === ',' && depth === 0) {
      const name = cur.replace(/#.*$/gm, '').trim().replace(/^\*+/, '').split(/[:=]/)[0].trim();
      if (/^[A-Za-z_]\w*$/.test(name) && name !== 'self' && name !== 'cls') names.push(name);
      cur = '';
    } else cur += ch;
  }
  return names;
}

/** Public top-level functions and classes of a Python file, each with its parameters (a class: its __init__'s). */
function definitions(text) {
  const defs = new Map();
  const re = /^(def|class)\s+([A-Za-z]\w*)\s*[(:]/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const [, kind, name] = m;
    if (name.startsWith('_')) continue;
    if (kind === 'def') {
      defs.set(name, params(balanced(text, text.indexOf('(', m.index))));
      continue;
    }
    // the class body: up to the next top-level class or def (docstrings may hold text in column 0)
    const rest = text.slice(m.index + m[0].length);
    const end = rest.search(/\n(class|def)\s/);
    const body = end < 0 ? rest : rest.slice(0, end);
    const init = /\n {4}def\s+__init__\s*\(/.exec(body); // a method: four spaces in (docstring examples are deeper)
    defs.set(name, init ? params(balanced(body, init.index + init[0].length - 1)) : []);
  }
  return defs;
}

const names = new Map();
const add = (prefix, defs, only) => {
  for (const [name, ps] of defs) if (!only || only.has(name)) names.set(`${prefix}${name}`, ps);
};

// snn.*: the neurons __init__ imports by name; the layers module star-imports its files
const neuronInit = read('_neurons/__init__.py');
const imported = new Map();
for (const m of neuronInit.matchAll(/^from \.(\w+) import (\w+)/gm)) {
  const file = imported.get(m[1]) ?? new Set();
  file.add(m[2]);
  imported.set(m[1], file);
}
for (const [file, only] of imported) add('snn.', definitions(read(`_neurons/${file}.py`)), only);
for (const m of read('_layers/__init__.py').matchAll(/^from \.(\w+) import \*/gm)) add('snn.', definitions(read(`_layers/${m[1]}.py`)));

for (const mod of ['surrogate', 'spikegen', 'utils', 'backprop', 'spikeplot', 'export_nir', 'import_nir']) {
  add(`${mod}.`, definitions(read(`${mod}.py`)));
}
const starred = new Set([...read('functional/__init__.py').matchAll(/^from \.(\w+) import \*/gm)].map((m) => m[1]));
for (const file of readdirSync(join(src, 'functional'))) {
  const mod = file.replace(/\.py$/, '');
  if (!file.endsWith('.py') || mod.startsWith('_')) continue;
  add(starred.has(mod) ? 'functional.' : `functional.${mod}.`, definitions(read(`functional/${file}`)));
}
for (const m of read('spikevision/spikedata/__init__.py').matchAll(/^from \.(\w+) import (\w+)/gm)) {
  add('spikevision.spikedata.', definitions(read(`spikevision/spikedata/${m[1]}.py`)), new Set([m[2]]));
}

const version = /__version__\s*=\s*'([^']+)'/.exec(read('_version.py'))?.[1] ?? 'unknown';
const lines = [...names].sort(([a], [b]) => a.localeCompare(b)).map(([n, ps]) => [n, ...ps].join(' '));
writeFileSync(
  out,
  `# snnTorch ${version} public names and their parameters, from its source by scripts/snntorch-names.mjs; do not edit\n${lines.join('\n')}\n`,
);
console.log(`${lines.length} names (snnTorch ${version}) -> ${out}`);
