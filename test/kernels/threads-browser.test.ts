import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Server } from 'node:http';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { browserBundle } from '../helpers/bundle.js';
import { CHROMIUM, launchChromium, serveStatic } from '../helpers/browser.js';

// The kernels' thread pool in a browser (Chromium): inside a Worker of a cross-origin isolated page the
// default kernels run one call on navigator.hardwareConcurrency threads (nested Workers on a shared WASM
// memory); without isolation, and on the page's main thread, on one. A forward and backward of
// Linear -> Leaky gives the same bits either way. Uses the built package (npm test builds first),
// bundled for browsers as an app would bundle it.

const entry = resolve(__dirname, '..', '..', 'dist', 'index.js');

const WORKER = `
import { Rng, Tensor, Linear, Leaky, Sequential, atan, backward, defaultKernels, kernelThreads } from './spikeflow.js';
const kernels = defaultKernels();
const n = 256, T = 20, B = 16;
const rng = new Rng(0);
const model = new Sequential([new Linear(n, n, { rng }), new Leaky({ size: n, beta: 0.95, surrogate: atan() })]);
const x = new Float32Array(T * B * n);
for (let i = 0; i < x.length; i++) x[i] = rng.normal();
let grads = [], spikes = 0;
for (let it = 0; it < 3; it++) {
  const out = model.forward({ x: new Tensor(x, [T, B, n]), steps: T, constant: false }, kernels);
  const spk = out.records[out.records.length - 1].spk;
  spikes += spk.data.reduce((s, v) => s + v, 0);
  backward(spk, new Float32Array(spk.size).fill(1));
  grads = model.trainable().map((p) => Array.from(new Uint32Array(p.grad.buffer, p.grad.byteOffset, p.grad.length)));
}
postMessage({ threads: kernelThreads(kernels), isolated: self.crossOriginIsolated, hc: navigator.hardwareConcurrency, spikes, grads });
`;

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import { initKernels, kernelThreads } from './spikeflow.js';
const main = kernelThreads(await initKernels());
const w = new Worker('./worker.js', { type: 'module' });
w.onmessage = (e) => { window.result = { main, ...e.data }; };
w.onerror = (e) => { window.result = { error: String(e.message) }; };
</script>`;

let dir = '';
let browser: Browser | null = null;
const servers: Server[] = [];
let setupError: Error | null = null;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    setupError = new Error(`browser tests need Chromium at ${CHROMIUM} (Debian: apt-get install -y chromium; or set CHROMIUM_PATH)`);
    return;
  }
  dir = mkdtempSync(join(tmpdir(), 'sf-threads-'));
  writeFileSync(join(dir, 'spikeflow.js'), (await browserBundle(entry)).code);
  writeFileSync(join(dir, 'worker.js'), WORKER);
  writeFileSync(join(dir, 'index.html'), PAGE);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  for (const s of servers) await new Promise((r) => s.close(r));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Result = { main: number; threads: number; isolated: boolean; hc: number; spikes: number; grads: number[][]; error?: string };

async function run(isolated: boolean): Promise<Result> {
  if (setupError) throw setupError;
  const { server, base } = await serveStatic(dir, { isolated });
  servers.push(server);
  const page = await browser!.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/index.html`);
  await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, null, { timeout: 60_000 });
  const r = (await page.evaluate(() => (window as unknown as { result: unknown }).result)) as Result;
  await page.close();
  expect(errors).toEqual([]);
  expect(r.error).toBeUndefined();
  return r;
}

describe('kernel threads in a browser', () => {
  let plain: Result;
  let isolated: Result;
  it('one thread without cross-origin isolation', async () => {
    plain = await run(false);
    expect(plain.isolated).toBe(false);
    expect(plain.threads).toBe(1);
    expect(plain.main).toBe(1);
    expect(plain.spikes).toBeGreaterThan(0);
  }, 120_000);
  it('the worker uses every core when the page is isolated (the main thread never blocks: one); the same gradients', async () => {
    isolated = await run(true);
    expect(isolated.isolated).toBe(true);
    expect(isolated.threads).toBe(isolated.hc);
    expect(isolated.main).toBe(1);
    expect(isolated.spikes).toBe(plain.spikes);
    expect(isolated.grads).toEqual(plain.grads);
  }, 120_000);
});
