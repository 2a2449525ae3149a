// The documentation site (npm run docs): builds it into a temporary folder with scripts/build-docs.mjs, then
// - every fenced ts/js code block of docs/*.md and README.md typechecks against the package's own types
//   (spikeflow, spikeflow/node, spikeflow/nir, spikeflow/events mapped to src/ by `paths`; a block is a module);
// - the "coming from snnTorch" page: every snnTorch name (and keyword argument) in its tables is in snnTorch 0.9.4's
//   source (docs/snntorch-names.txt, made by scripts/snntorch-names.mjs), every spikeflow name is an export of an
//   entry point, and every public snnTorch name is either mapped or listed as not in spikeflow;
// - every internal link (href, src) of every page, API reference included, resolves to a file of the site and,
//   with a #fragment, to an element with that id (playground links: to a page of the playground's router);
// - in Chromium (playwright-core, Debian's /usr/bin/chromium or $CHROMIUM_PATH): every hand-written page, the API
//   reference's index and entry-point pages, and every playground page the guides link to load with no console
//   error, no page error, no failed request and no request outside the site.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium, serveStatic } from '../helpers/browser.js';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, relative, resolve } from 'node:path';
import ts from 'typescript';
import type { Browser } from 'playwright-core';

const root = resolve(__dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'spikeflow-docs-'));
const site = join(tmp, 'site');
const ENTRY_POINTS: Record<string, string> = {
  spikeflow: 'src/index.ts',
  'spikeflow/node': 'src/node.ts',
  'spikeflow/nir': 'src/nir/index.ts',
  'spikeflow/nir/node': 'src/nir/node.ts',
  'spikeflow/events': 'src/events/index.ts',
  'spikeflow/events/node': 'src/events/node.ts',
};

// The build runs in a child process from the start, while the code blocks typecheck in this one.
let buildLog = '';
let builder: ReturnType<typeof spawn> | undefined;
const built = new Promise<void>((ok, fail) => {
  const child = (builder = spawn(process.execPath, ['scripts/build-docs.mjs', '--out', site], { cwd: root }));
  const timer = setTimeout(() => child.kill('SIGKILL'), 170_000); // alone on 2 cores: about 20 s
  child.stdout.on('data', (d) => (buildLog += d));
  child.stderr.on('data', (d) => (buildLog += d));
  child.on('exit', (code, signal) => {
    clearTimeout(timer);
    builder = undefined;
    if (code === 0) ok();
    else fail(new Error(`scripts/build-docs.mjs failed (${signal ?? code}):\n${buildLog}`));
  });
});
built.catch(() => {}); // reported by the tests that await it

afterAll(() => {
  builder?.kill('SIGKILL'); // a run of only some of these tests may end before the build
  rmSync(tmp, { recursive: true, force: true });
});

// --- code blocks ---------------------------------------------------------------------------------------------------
interface Block {
  file: string;
  line: number;
  lang: string;
  code: string;
}
const markdownFiles = () => [
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
  'README.md',
];
function codeBlocks(file: string): Block[] {
  const blocks: Block[] = [];
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i].trimStart().startsWith(fence); i++) body.push(lines[i].slice(indent.length));
    blocks.push({ file, line: start + 1, lang: lang.toLowerCase(), code: body.join('\n') });
  }
  return blocks;
}
const TS_LANGS = new Set(['ts', 'typescript', 'tsx']);
const JS_LANGS = new Set(['js', 'javascript', 'mjs', 'jsx']);

let program: ts.Program;
const blockFiles = new Map<string, Block>();
function typecheck(): ts.Program {
  if (program) return program;
  const dir = join(tmp, 'blocks');
  mkdirSync(dir, { recursive: true });
  for (const file of markdownFiles()) {
    for (const b of codeBlocks(file)) {
      if (!TS_LANGS.has(b.lang) && !JS_LANGS.has(b.lang)) continue;
      const name = join(dir, `${file.replace(/[/.]/g, '_')}_L${b.line}.${TS_LANGS.has(b.lang) ? 'ts' : 'mjs'}`);
      // every block is a module (its own scope; top-level await)
      writeFileSync(name, /^\s*(import|export)\s/m.test(b.code) ? b.code : `${b.code}\nexport {};\n`);
      blockFiles.set(name, b);
    }
  }
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    allowJs: true,
    checkJs: true,
    types: ['node'],
    typeRoots: [join(root, 'node_modules', '@types')],
    baseUrl: root,
    paths: Object.fromEntries(Object.entries(ENTRY_POINTS).map(([k, v]) => [k, [v]])),
  };
  program = ts.createProgram([...blockFiles.keys(), ...Object.values(ENTRY_POINTS).map((p) => join(root, p))], options);
  return program;
}

describe('docs: code blocks', () => {
  it('every ts/js block in docs/*.md and README.md typechecks against the package', () => {
    const p = typecheck();
    const problems: string[] = [];
    for (const [name, b] of blockFiles) {
      const sf = p.getSourceFile(name)!;
      for (const d of ts.getPreEmitDiagnostics(p, sf)) {
        const at = d.start !== undefined ? sf.getLineAndCharacterOfPosition(d.start).line : 0;
        problems.push(`${b.file}:${b.line + 1 + at}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
      }
    }
    expect(problems).toEqual([]);
    expect(blockFiles.size).toBeGreaterThan(10);
  });
});

// --- the snnTorch mapping page -----------------------------------------------------------------------------------------
function exportsOfPackage(): Set<string> {
  const p = typecheck();
  const checker = p.getTypeChecker();
  const names = new Set<string>();
  for (const file of Object.values(ENTRY_POINTS)) {
    const sym = checker.getSymbolAtLocation(p.getSourceFile(join(root, file))!)!;
    for (const e of checker.getExportsOfModule(sym)) names.add(e.name);
  }
  return names;
}
/** The section of a Markdown file under the heading whose text starts with `title`, up to the next heading of that level. */
function section(text: string, level: number, title: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${'#'.repeat(level)} ${title}`));
  if (start < 0) throw new Error(`no "${'#'.repeat(level)} ${title}" heading`);
  const end = lines.findIndex((l, i) => i > start && new RegExp(`^#{1,${level}} `).test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}
/** Rows of the Markdown tables in `text` (header and separator rows dropped), as cells. */
function tableRows(text: string): string[][] {
  const rows: string[][] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('|') || !/^\|[\s:|-]+\|$/.test(lines[i + 1] ?? '')) continue;
    for (i += 2; i < lines.length && lines[i].startsWith('|'); i++) {
      rows.push(
        lines[i]
          .replaceAll('\\|', '\uE000') // an escaped | inside a cell
          .split('|')
          .slice(1, -1)
          .map((c) => c.replaceAll('\uE000', '|').trim()),
      );
    }
  }
  return rows;
}
const codeSpans = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
const leadingName = (span: string) => /^[A-Za-z_][\w.]*/.exec(span)?.[0] ?? '';

describe('docs: coming from snnTorch', () => {
  let snn = '';
  let rows: string[][] = [];
  const listed = new Map<string, Set<string>>();
  beforeAll(() => {
    snn = section(readFileSync(join(root, 'docs', 'coming-from.md'), 'utf8'), 2, 'snnTorch');
    rows = tableRows(snn);
    for (const line of readFileSync(join(root, 'docs', 'snntorch-names.txt'), 'utf8').split('\n')) {
      if (!line.trim() || line.startsWith('#')) continue;
      const [name, ...params] = line.trim().split(/\s+/);
      listed.set(name, new Set(params));
    }
  });

  it('every snnTorch name and keyword in its tables is in snnTorch 0.9.4', () => {
    expect(rows.length).toBeGreaterThan(30);
    const unknown: string[] = [];
    for (const row of rows) {
      for (const span of codeSpans(row[0])) {
        const name = leadingName(span);
        const params = listed.get(name);
        if (!params) {
          unknown.push(`${span}: ${name} is not a public name of snnTorch`);
          continue;
        }
        for (const kw of span.matchAll(/[(,]\s*([A-Za-z_]\w*)\s*=/g)) {
          if (!params.has(kw[1])) unknown.push(`${span}: ${name} has no parameter ${kw[1]}`);
        }
      }
    }
    expect(unknown).toEqual([]);
  });

  it('every spikeflow name in its tables is an export of the package', () => {
    const exported = exportsOfPackage();
    const missing: string[] = [];
    let checked = 0;
    for (const row of rows) {
      for (const span of codeSpans(row[1])) {
        if (/^(--|spikeflow |'|")/.test(span)) continue; // CLI flags and commands, option values
        const name = leadingName(span).split('.')[0];
        checked++;
        if (!exported.has(name)) missing.push(`${span}: ${name} is not exported by spikeflow`);
      }
    }
    expect(checked).toBeGreaterThan(30);
    expect(missing).toEqual([]);
  });

  it('every public snnTorch name is mapped or listed as not in spikeflow', () => {
    const mapped = new Set(rows.flatMap((r) => codeSpans(r[0]).map(leadingName)));
    const absent = new Set(codeSpans(section(snn, 3, 'Not in spikeflow')).map(leadingName));
    for (const name of absent) expect(listed.has(name), `${name} (not in spikeflow) is not a name of snnTorch`).toBe(true);
    const both = [...mapped].filter((n) => absent.has(n));
    expect(both, 'both mapped and listed as absent').toEqual([]);
    const uncovered = [...listed.keys()].filter((n) => !mapped.has(n) && !absent.has(n));
    expect(uncovered).toEqual([]);
  });
});

// --- links --------------------------------------------------------------------------------------------------------------
function htmlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...htmlFiles(p));
    else if (e.name.endsWith('.html')) out.push(p);
  }
  return out;
}
const idCache = new Map<string, Set<string>>();
function idsOf(file: string): Set<string> {
  let ids = idCache.get(file);
  if (!ids) {
    const html = readFileSync(file, 'utf8');
    ids = new Set([...html.matchAll(/\s(?:id|name)="([^"]*)"/g)].map((m) => m[1]));
    idCache.set(file, ids);
  }
  return ids;
}
const decodeAttr = (s: string) =>
  s
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");

describe('docs: the built site', () => {
  let manifest: { pages: string[]; api: Record<string, string>; playground: boolean };
  const playgroundRoutes = new Set<string>();
  beforeAll(async () => {
    await built;
    manifest = JSON.parse(readFileSync(join(site, 'site.json'), 'utf8'));
  }, 180_000);

  it('has every guide, the mapping page, the API reference of the four entry points and the playground', () => {
    for (const p of [
      'index.html',
      'neurons.html',
      'coding.html',
      'surrogates-bptt.html',
      'training-mnist.html',
      'snn-vs-ann.html',
      'stdp-simulation.html',
      'nir.html',
      'events.html',
      'conversion.html',
      'coming-from.html',
      'examples/index.html',
      'api/index.html',
      'playground/index.html',
    ]) {
      expect(existsSync(join(site, p)), p).toBe(true);
    }
    for (const m of ['spikeflow', 'spikeflow/node', 'spikeflow/nir', 'spikeflow/events']) expect(manifest.api[m], m).toBeTruthy();
    for (const name of ['leakyStep', 'Leaky', 'readNir', 'readEvents', 'loadMnist']) expect(manifest.api[name], name).toBeTruthy();
  });

  it('every guide links its example and its playground page', () => {
    const guides = [
      'neurons',
      'coding',
      'surrogates-bptt',
      'training-mnist',
      'snn-vs-ann',
      'stdp-simulation',
      'nir',
      'events',
      'conversion',
    ];
    for (const g of guides) {
      const html = readFileSync(join(site, `${g}.html`), 'utf8');
      expect(html, `${g}: a link to playground/index.html#page`).toMatch(/href="playground\/index\.html#\w+"/);
      if (!['nir', 'events', 'conversion'].includes(g))
        expect(html, `${g}: a link to its example`).toMatch(/href="examples\/\d\d-[\w-]+\.html"/);
    }
  });

  it('every internal link resolves to a page of the site and its anchor', () => {
    const broken: string[] = [];
    const files = htmlFiles(site);
    expect(files.length).toBeGreaterThan(200);
    for (const file of files) {
      const html = readFileSync(file, 'utf8');
      const from = relative(site, file);
      for (const m of html.matchAll(/\s(href|src)="([^"]*)"/g)) {
        const url = decodeAttr(m[2]);
        if (/^([a-z][a-z0-9+.-]*:|\/\/)/i.test(url)) continue; // http(s), mailto, data: the browser test checks nothing outside loads
        const [pathAndQuery, hash] = url.split('#');
        const path = pathAndQuery.split('?')[0];
        let target = path === '' ? file : normalize(join(dirname(file), decodeURIComponent(path)));
        if (!target.startsWith(site)) {
          broken.push(`${from}: ${url} leaves the site`);
          continue;
        }
        if (existsSync(target) && statSync(target).isDirectory()) target = join(target, 'index.html');
        if (!existsSync(target)) {
          broken.push(`${from}: ${url}: no such file`);
          continue;
        }
        if (!hash) continue;
        const rel = relative(site, target).split('\\').join('/');
        if (rel === 'playground/index.html') playgroundRoutes.add(hash);
        else if (target.endsWith('.html') && !idsOf(target).has(decodeURIComponent(hash)))
          broken.push(`${from}: ${url}: no #${hash} in ${rel}`);
      }
    }
    expect(broken).toEqual([]);
    expect(playgroundRoutes.size).toBeGreaterThanOrEqual(5);
  });

  describe('in Chromium', () => {
    let server: Server;
    let browser: Browser;
    let base = '';
    let setupError: Error | null = null;
    beforeAll(async () => {
      await built;
      if (!existsSync(CHROMIUM)) {
        setupError = new Error(
          `the docs browser test needs Chromium at ${CHROMIUM} (Debian: apt-get install -y chromium; or set CHROMIUM_PATH)`,
        );
        return;
      }
      ({ server, base } = await serveStatic(site));
      browser = await launchChromium();
    }, 180_000);
    afterAll(async () => {
      await browser?.close();
      await new Promise((r) => (server ? server.close(r) : r(undefined)));
    });

    /** One tab for every page: the handlers note what goes wrong while `current` is shown. */
    async function tab(): Promise<{ page: import('playwright-core').Page; errors: string[]; show: (path: string) => void }> {
      if (setupError) throw setupError;
      const errors: string[] = [];
      let current = '';
      const page = await browser.newPage();
      page.on('console', (m) => m.type() === 'error' && errors.push(`${current}: console error: ${m.text()}`));
      page.on('pageerror', (e) => errors.push(`${current}: page error: ${e.message}`));
      page.on('requestfailed', (r) => errors.push(`${current}: request failed: ${r.url()}`));
      page.on('response', (r) => r.status() >= 400 && errors.push(`${current}: ${r.status()} ${r.url()}`));
      await page.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith(base) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
        errors.push(`${current}: request outside the site: ${url}`);
        return route.abort();
      });
      return { page, errors, show: (path) => (current = path) };
    }

    it('every hand-written page and the API reference load without errors', async () => {
      const paths = [
        ...manifest.pages,
        'api/index.html',
        'api/hierarchy.html',
        ...['spikeflow', 'spikeflow/node', 'spikeflow/nir', 'spikeflow/events', 'Leaky', 'leakyStep', 'readNir'].map(
          (n) => manifest.api[n],
        ),
      ];
      const { page, errors, show } = await tab();
      for (const p of paths) {
        show(p);
        const res = await page.goto(`${base}/${p}`, { waitUntil: 'load' });
        if (!res?.ok()) errors.push(`${p}: ${res?.status()}`);
        if (!(await page.locator('h1').count())) errors.push(`${p}: no <h1>`);
      }
      await page.close();
      expect(errors).toEqual([]);
    });

    it('every playground page the guides link to exists and loads without errors', async () => {
      expect(playgroundRoutes.size).toBeGreaterThan(0);
      const { page, errors, show } = await tab();
      let first = true;
      for (const route of playgroundRoutes) {
        show(`playground/index.html#${route}`);
        if (first) {
          await page.goto(`${base}/playground/index.html#${route}`);
          await page.waitForSelector('body[data-ready="1"]', { timeout: 20_000 });
          first = false;
        } else {
          await page.evaluate((r) => (location.hash = r), route);
        }
        // the router falls back to the LIF page for an unknown hash: the page shown must be the one linked
        await page
          .waitForFunction(
            (r) => document.getElementById('app')?.dataset.page === r && document.getElementById('app')!.childElementCount > 0,
            route,
            { timeout: 5_000 },
          )
          .catch(() => {});
        const shown = await page.locator('#app').getAttribute('data-page');
        if (shown !== route) errors.push(`playground/index.html#${route}: no such playground page (showed #${shown})`);
        await page.waitForTimeout(250);
      }
      await page.close();
      expect(errors).toEqual([]);
    });
  });
});
