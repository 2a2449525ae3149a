// Builds the documentation site (npm run docs), offline, into docs-site/ (or --out DIR):
//   index.html, <guide>.html     the hand-written pages of docs/*.md (Markdown by `marked`)
//   readme.html, benchmarks.html README.md and BENCHMARKS.md
//   examples/                    examples/README.md and each examples/*.mjs as a page (its source)
//   api/                         the API reference, TypeDoc over the four entry points' TSDoc comments
//   playground/                  the playground (Vite build), so that the guides' links to its pages work offline
//
// Links in the Markdown are checked and rewritten here; one that points nowhere stops the build:
//   [text](api:leakyStep)                the API page of an export (api:spikeflow/nir.readNir when a name is
//                                        in several entry points; api:spikeflow/nir for an entry point's page)
//   [text](playground:lif)               the playground page #lif
//   [text](../examples/01-lif-neuron.mjs), [text](snntorch.md#reset), [text](BENCHMARKS.md)
//                                        repository-relative links to what the site renders
//
//   node scripts/build-docs.mjs [--out DIR] [--no-playground] [--no-api]
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Marked } from 'marked';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const outArg = argv.indexOf('--out');
const out = resolve(outArg >= 0 ? argv[outArg + 1] : join(root, 'docs-site'));
const t0 = Date.now();
const log = (msg) => console.log(`[docs ${((Date.now() - t0) / 1000).toFixed(1)} s] ${msg}`);

export const ENTRY_POINTS = {
  spikeflow: 'src/index.ts',
  'spikeflow/node': 'src/node.ts',
  'spikeflow/nir': 'src/nir/index.ts',
  'spikeflow/events': 'src/events/index.ts',
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// --- the playground: a Vite build in a child process, running while TypeDoc works -------------------------------
function buildPlayground() {
  if (flag('--no-playground')) return Promise.resolve();
  const steps = [];
  if (!existsSync(join(root, 'src', 'kernels', 'wasm-binary.generated.ts'))) steps.push(['node', ['scripts/build-wasm.mjs']]);
  const script = `const { build } = await import('vite');
await build({ configFile: 'playground/vite.config.ts', logLevel: 'error', build: { outDir: ${JSON.stringify(join(out, 'playground'))}, emptyOutDir: true } });`;
  steps.push([process.execPath, ['--input-type=module', '-e', script]]);
  return steps.reduce(
    (prev, [cmd, args]) =>
      prev.then(
        () =>
          new Promise((ok, fail) => {
            const child = spawn(cmd, args, { cwd: root, stdio: 'inherit' });
            child.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`${cmd} ${args[0]} exited with ${code}`))));
          }),
      ),
    Promise.resolve(),
  );
}
const playground = buildPlayground().then(() => log('playground built'));
playground.catch(() => {}); // awaited below

// --- the API reference -----------------------------------------------------------------------------------------
/** name -> site-relative URL of its API page ('spikeflow/nir.readNir' and, where unambiguous, 'readNir'). */
const api = new Map();
if (!flag('--no-api')) {
  const { Application, PageEvent } = await import('typedoc');
  const app = await Application.bootstrapWithPlugins({
    entryPoints: Object.values(ENTRY_POINTS).map((p) => join(root, p)),
    tsconfig: join(root, 'tsconfig.json'),
    name: 'spikeflow API reference',
    readme: 'none',
    skipErrorChecking: true, // the build (tsc) checks the sources; TypeDoc only reads them
    disableSources: true, // no "defined in" links to a code host: the site is offline
    excludePrivate: true,
    logLevel: 'Error',
    validation: { notExported: false, invalidLink: true, rewrittenLink: true },
  });
  const project = await app.convert();
  if (!project) throw new Error('TypeDoc could not convert the entry points');
  // TypeDoc names the modules after their files (index, node, nir, events): name them as they are imported
  const moduleNames = { index: 'spikeflow', node: 'spikeflow/node', nir: 'spikeflow/nir', events: 'spikeflow/events' };
  for (const m of project.children ?? []) m.name = moduleNames[m.name] ?? m.name;
  const modules = new Set(Object.keys(ENTRY_POINTS));
  const count = new Map();
  app.renderer.on(PageEvent.END, (page) => {
    const model = page.model;
    const url = `api/${page.url}`;
    if (model?.name && modules.has(model.name) && model.kind === 2 /* Module */) api.set(model.name, url);
    const parent = model?.parent;
    if (parent && modules.has(parent.name)) {
      api.set(`${parent.name}.${model.name}`, url);
      count.set(model.name, (count.get(model.name) ?? 0) + 1);
      api.set(model.name, url);
    }
  });
  await app.generateDocs(project, join(out, 'api'));
  for (const [name, n] of count) if (n > 1) api.delete(name); // in several entry points: qualify it
  log(`API reference: ${api.size} names`);
}

// --- the Markdown pages ----------------------------------------------------------------------------------------
const escapeHtml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const decode = (s) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
export const slug = (text) =>
  text
    .toLowerCase()
    .trim()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

const docs = readdirSync(join(root, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .sort();
const examples = readdirSync(join(root, 'examples'))
  .filter((f) => f.endsWith('.mjs'))
  .sort();
/** repository-relative source -> site-relative page */
const pages = new Map([
  ...docs.map((f) => [`docs/${f}`, f.replace(/\.md$/, '.html')]),
  ['README.md', 'readme.html'],
  ['BENCHMARKS.md', 'benchmarks.html'],
  ['examples/README.md', 'examples/index.html'],
  ...examples.map((f) => [`examples/${f}`, `examples/${f.replace(/\.mjs$/, '.html')}`]),
]);
const titles = new Map();

/** Where a link in `source` (repository-relative) goes, relative to its page; throws on a link to nothing. */
function rewrite(href, source) {
  const page = pages.get(source);
  const rel = (target) => posix.relative(posix.dirname(page), target) || posix.basename(target);
  if (/^[a-z]+:\/\//i.test(href) || href.startsWith('mailto:') || href.startsWith('#')) return href;
  if (href.startsWith('api:')) {
    const name = href.slice(4);
    if (flag('--no-api')) return rel('api/index.html');
    const url = api.get(name);
    if (!url) throw new Error(`${source}: ${href}: no such export in the API reference (qualify a name several entry points export)`);
    return rel(url);
  }
  if (href.startsWith('playground:')) return `${rel('playground/index.html')}#${href.slice('playground:'.length)}`;
  const [path, hash] = href.split('#');
  const target = posix.normalize(posix.join(posix.dirname(source), path));
  const to = pages.get(target);
  if (!to) throw new Error(`${source}: link ${href} -> ${target}: not a page of the site`);
  return rel(to) + (hash ? `#${hash}` : '');
}

function markdown(source) {
  const ids = new Map();
  const md = new Marked({ gfm: true });
  md.use({
    walkTokens(token) {
      if (token.type === 'link') token.href = rewrite(token.href, source);
    },
    renderer: {
      heading(token) {
        const inner = this.parser.parseInline(token.tokens);
        const base = slug(decode(inner.replace(/<[^>]*>/g, '')));
        const n = ids.get(base) ?? 0;
        ids.set(base, n + 1);
        const id = n ? `${base}-${n}` : base;
        if (!titles.has(source)) titles.set(source, decode(inner.replace(/<[^>]*>/g, '')));
        return `<h${token.depth} id="${id}"><a class="anchor" href="#${id}">#</a>${inner}</h${token.depth}>\n`;
      },
    },
  });
  return md.parse(readFileSync(join(root, source), 'utf8'));
}

const NAV = [
  ['docs/index.md', 'Home'],
  ['docs/neurons.md', 'Neurons'],
  ['docs/coding.md', 'Coding'],
  ['docs/surrogates-bptt.md', 'Surrogates & BPTT'],
  ['docs/training-mnist.md', 'Training MNIST'],
  ['docs/snn-vs-ann.md', 'SNN vs ANN & energy'],
  ['docs/stdp-simulation.md', 'STDP & simulation'],
  ['docs/nir.md', 'NIR'],
  ['docs/events.md', 'Event data'],
  ['docs/conversion.md', 'Conversion'],
  ['docs/coming-from.md', 'Coming from snnTorch / Norse / Brian2'],
  ['examples/README.md', 'Examples'],
  ['README.md', 'README'],
];
for (const [src] of NAV) if (!pages.has(src)) throw new Error(`navigation: ${src} is not a page`);

function layout(source, title, body) {
  const page = pages.get(source);
  const rel = (target) => posix.relative(posix.dirname(page), target) || posix.basename(target);
  const nav = NAV.map(
    ([src, label]) => `<a href="${rel(pages.get(src))}"${src === source ? ' class="active"' : ''}>${escapeHtml(label)}</a>`,
  );
  if (!flag('--no-api')) nav.push(`<a href="${rel('api/index.html')}">API reference</a>`);
  if (!flag('--no-playground')) nav.push(`<a href="${rel('playground/index.html')}">Playground</a>`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · spikeflow</title>
<link rel="stylesheet" href="${rel('style.css')}">
</head>
<body>
<nav id="nav">${nav.join('\n')}</nav>
<main>
${body}
</main>
</body>
</html>
`;
}

const write = (page, html) => {
  const file = join(out, page);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, html);
};

for (const [source, page] of pages) {
  if (source.endsWith('.mjs')) continue;
  const body = markdown(source);
  write(page, layout(source, titles.get(source) ?? source, body));
}
for (const f of examples) {
  const source = `examples/${f}`;
  const text = readFileSync(join(root, source), 'utf8');
  const body = `<h1 id="${slug(f)}">examples/${escapeHtml(f)}</h1>
<p>Run it from a clone after <code>npm run build</code>: <code>node examples/${escapeHtml(f)}</code>. The examples test
(<code>test/examples.test.ts</code>) runs it and checks the numbers it prints. <a href="index.html">All examples</a>.</p>
<pre><code class="language-js">${escapeHtml(text)}</code></pre>`;
  write(pages.get(source), layout(source, `examples/${f}`, body));
}
cpSync(join(root, 'docs', 'style.css'), join(out, 'style.css'));
log(`${pages.size} pages from docs/, README.md, BENCHMARKS.md and examples/`);

await playground;
writeFileSync(
  join(out, 'site.json'),
  `${JSON.stringify({ pages: [...pages.values()], api: Object.fromEntries(api), playground: !flag('--no-playground') }, null, 1)}\n`,
);
log(`site in ${relative(process.cwd(), out) || '.'}`);
