// The playground in a real browser: Debian's chromium driven by playwright-core (Playwright's own browser
// download does not work offline). Builds the app with Vite, serves the static output from a local HTTP
// server, opens every page, fails on any console error, checks the pages against theory, classifies real
// MNIST test digits drawn onto the canvas, and saves screenshots into test-results/screenshots/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { simulateLif } from '../../src/index.js';
import { loadMnist } from '../../src/node.js';

const root = resolve(__dirname, '..', '..');
const dist = join(root, 'playground', 'dist');
const shots = join(root, 'test-results', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.safetensors': 'application/octet-stream',
  '.wasm': 'application/wasm',
};

let server: Server;
let browser: Browser;
let base = '';
const errors: string[] = [];
// Set up once; a missing browser makes every test fail with this message (never a silent skip).
let setupError: Error | null = null;

async function open(hash: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
  if (setupError) throw setupError;
  const page = await browser.newPage({ viewport });
  page.on('console', (m) => m.type() === 'error' && errors.push(`${hash}: console error: ${m.text()}`));
  page.on('pageerror', (e) => errors.push(`${hash}: page error: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`${hash}: request failed: ${r.url()}`));
  // offline: the app may load nothing but its own files
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(base) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    errors.push(`${hash}: request outside the app: ${url}`);
    return route.abort();
  });
  await page.goto(`${base}/index.html#${hash}`);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 20_000 });
  return page;
}
const num = async (page: Page, sel: string) => Number(await page.locator(sel).textContent());
async function setSlider(page: Page, id: string, value: number | string): Promise<void> {
  await page.locator(`#${id}`).fill(String(value));
}
async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    setupError = new Error(`browser tests need Chromium at ${CHROMIUM} (Debian: apt-get install -y chromium; or set CHROMIUM_PATH)`);
    return;
  }
  await build({ configFile: join(root, 'playground', 'vite.config.ts'), logLevel: 'error' });
  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split(/[?#]/)[0])).replace(/^(\.\.[/\\])+/, '');
    const file = join(dist, path === '/' ? 'index.html' : path);
    if (!file.startsWith(dist) || !existsSync(file)) return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  mkdirSync(shots, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
});

describe('playground in Chromium', () => {
  it('LIF lab: spike count matches the library; none below the rheobase, more with more current', async () => {
    const page = await open('lif');
    await setSlider(page, 'lif-dt', 1);
    await setSlider(page, 'lif-refractory', 0);
    await setSlider(page, 'lif-current', 0.9);
    expect(await num(page, '#lif-spike-count')).toBe(0);
    const counts: number[] = [];
    for (const I of [1.2, 1.8, 3]) {
      await setSlider(page, 'lif-current', I);
      const c = await num(page, '#lif-spike-count');
      expect(c).toBe(simulateLif(I, 200, { tauM: 20, threshold: 1, dt: 1 }).spikeSteps.length);
      counts.push(c);
    }
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts[1]).toBeGreaterThan(counts[0]);
    expect(counts[2]).toBeGreaterThan(counts[1]);
    // raising the threshold above R*I silences the neuron; a longer refractory period lowers the rate
    await setSlider(page, 'lif-threshold', 3);
    await setSlider(page, 'lif-current', 2.9);
    expect(await num(page, '#lif-spike-count')).toBe(0);
    await setSlider(page, 'lif-threshold', 1);
    await setSlider(page, 'lif-current', 3);
    await setSlider(page, 'lif-refractory', 10);
    expect(await num(page, '#lif-spike-count')).toBeLessThan(counts[2]);
    // the animated trace ends with one spike marker per spike, at the reported count
    await page.waitForSelector('#lif-membrane[data-done="1"]');
    const markers = await page.locator('#lif-membrane line.spike').count();
    expect(markers).toBe(await num(page, '#lif-spike-count'));
    expect(await page.locator('#lif-fi circle.point').count()).toBe(41);
    await shot(page, 'lif');
    // phone-sized screen: no horizontal scrolling
    const phone = await open('lif', { width: 390, height: 844 });
    expect(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);
    await shot(phone, 'lif-phone');
    await phone.close();
    await page.close();
  });

  it('encoders: rasters for rate, latency, delta and population coding; gain scales the rate spikes', async () => {
    const page = await open('encoders');
    await page.waitForSelector('#enc-digits button');
    await page.locator('#enc-digits button[data-index="3"]').click();
    const rate1 = await num(page, '#enc-rate-count');
    const lat = await num(page, '#enc-latency-count');
    expect(lat).toBeGreaterThan(50); // one spike per bright pixel
    expect(lat).toBeLessThan(784);
    await setSlider(page, 'enc-gain', 0.25);
    const rate2 = await num(page, '#enc-rate-count');
    expect(rate2).toBeLessThan(rate1 * 0.4);
    expect(rate2).toBeGreaterThan(rate1 * 0.1);
    for (const id of ['enc-rate', 'enc-latency', 'enc-delta-plot', 'enc-population'])
      expect(await page.locator(`#${id} rect.spike`).count()).toBeGreaterThan(0);
    await shot(page, 'encoders');
    await page.close();
  });

  it('STDP arena: causal pairing potentiates, anti-causal depresses', async () => {
    const page = await open('stdp');
    await setSlider(page, 'stdp-offset', 10);
    expect(await num(page, '#stdp-dw')).toBeGreaterThan(0);
    await setSlider(page, 'stdp-offset', -10);
    expect(await num(page, '#stdp-dw')).toBeLessThan(0);
    expect(await page.locator('#stdp-window circle.point').count()).toBe(20);
    await shot(page, 'stdp');
    await page.close();
  });

  it('MNIST: at least 9 of 10 real test digits drawn on the canvas are classified correctly', async () => {
    const page = await open('mnist');
    await page.waitForSelector('#mnist-status[data-ready="1"]', { timeout: 20_000 });
    const mnist = await loadMnist({ dataset: 'mnist', download: false });
    let correct = 0;
    const got: string[] = [];
    for (let k = 0; k < 10; k++) {
      const i = 1000 + k * 37;
      const px = Array.from(mnist.test.images.subarray(i * 784, (i + 1) * 784));
      await page.click('#mnist-clear');
      await page.evaluate((pixels) => {
        const ctx = (document.getElementById('mnist-canvas') as HTMLCanvasElement).getContext('2d')!;
        pixels.forEach((v, j) => {
          if (!v) return;
          ctx.fillStyle = `rgb(${v},${v},${v})`;
          ctx.fillRect((j % 28) * 10, Math.floor(j / 28) * 10, 10, 10);
        });
      }, px);
      await page.click('#mnist-classify');
      const pred = Number(await page.locator('#mnist-prediction').getAttribute('data-value'));
      got.push(`${mnist.test.labels[i]}->${pred}`);
      if (pred === mnist.test.labels[i]) correct++;
    }
    expect(correct, got.join(' ')).toBeGreaterThanOrEqual(9);
    expect(
      (await page.locator('#mnist-counts rect.bar').count()) + (await page.locator('#mnist-counts rect.bar.highlight').count()),
    ).toBeGreaterThan(0);
    // a stroke drawn with the mouse: a vertical line is a one
    await page.click('#mnist-clear');
    const box = (await page.locator('#mnist-canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.15);
    await page.mouse.down();
    for (let s = 1; s <= 12; s++) await page.mouse.move(box.x + box.width * (0.5 - s * 0.004), box.y + box.height * (0.15 + s * 0.058));
    await page.mouse.up();
    await page.waitForSelector('#mnist-prediction[data-value]');
    expect(await page.locator('#mnist-prediction').getAttribute('data-value')).toBe('1');
    expect(await page.locator('#mnist-hidden-raster rect.spike').count()).toBeGreaterThan(0);
    expect(await page.locator('#mnist-fields g.image').count()).toBe(32);
    await shot(page, 'mnist');
    await page.close();
  });

  it('train in the browser: a Web Worker trains the 8x8 digits SNN past 85% test accuracy', async () => {
    const page = await open('train');
    await setSlider(page, 'train-epochs', 2);
    await page.click('#train-start');
    await page.waitForSelector('#train-status[data-test-accuracy]', { timeout: 90_000 });
    const acc = Number(await page.locator('#train-status').getAttribute('data-test-accuracy'));
    expect(acc).toBeGreaterThan(0.85);
    expect(await page.locator('#train-progress').evaluate((e) => (e as HTMLProgressElement).value)).toBe(1);
    expect(await page.locator('#train-curves circle.point').count()).toBeGreaterThan(0);
    await shot(page, 'train');
    await page.close();
  });

  it('every page fits a phone-sized screen (no horizontal scrolling)', async () => {
    for (const name of ['encoders', 'stdp', 'mnist', 'train']) {
      const page = await open(name, { width: 390, height: 844 });
      await page.waitForTimeout(300);
      const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
      expect(fits, name).toBe(true);
      await shot(page, `${name}-phone`);
      await page.close();
    }
  });

  it('no console errors on any page', () => {
    if (setupError) throw setupError;
    expect(errors).toEqual([]);
  });
});
