import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/** The files an entry point pulls into a browser bundle (esbuild's metafile inputs). */
export async function bundleInputs(entry: string): Promise<string[]> {
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return Object.keys(r.metafile.inputs);
}

/**
 * An entry point bundled minified for browsers: its code, and the module loaded from that bundle alone (written
 * to a temporary file), so a test runs the library as a browser would get it.
 */
export async function browserBundle(entry: string): Promise<{ code: string; load: () => Promise<Record<string, any>> }> {
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  const code = r.outputFiles[0].text;
  return {
    code,
    load: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sf-bundle-'));
      const file = join(dir, 'bundle.mjs');
      writeFileSync(file, code);
      try {
        return await import(pathToFileURL(file).href);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
