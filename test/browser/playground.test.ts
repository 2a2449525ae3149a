// The playground in a real browser: Debian's chromium driven by playwright-core (Playwright's own browser
// download does not work offline). Builds the app with Vite, serves the static output from a local HTTP
// server, opens every page, fails on any console error, checks the pages against theory, classifies real
// MNIST test digits drawn onto the canvas, and saves screenshots into test-results/screenshots/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium, serveStatic } from '../helpers/browser.js';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import {
  Rng,
  Tensor,
  annClassifier,
  atan,
  atanK,
  atanOverPi,
  estimateOps,
  fastSigmoid,
  gaussian,
  initKernels,
  lifAnalyticIsi,
  sigmoid,
  simulateLif,
  snnClassifier,
  spikeRateEscape,
  stdpPairingProtocol,
  stdpParams,
  stdpWindow,
  straightThrough,
  triangle,
  triangular,
  type Surrogate,
} from '../../src/index.js';
import { loadMnist } from '../../src/node.js';
import { fromNir, nirTopologicalOrder, readNir } from '../../src/nir/index.js';
import { flattenNir } from '../../src/nir/flat.js';
import { readEvents } from '../../src/events/index.js';

const root = resolve(__dirname, '..', '..');
const dist = join(root, 'playground', 'dist');
const shots = join(root, 'test-results', 'screenshots');
const publicFile = (p: string) => readFileSync(join(root, 'playground', 'public', p));

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
  await initKernels(); // the NIR page's run is checked against fromNir on the same WASM kernels
  await build({ configFile: join(root, 'playground', 'vite.config.ts'), logLevel: 'error' });
  ({ server, base } = await serveStatic(dist));
  browser = await launchChromium();
  mkdirSync(shots, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
});

const backEdgesOf = (g: Parameters<typeof flattenNir>[0]) =>
  nirTopologicalOrder(flattenNir(g) as Parameters<typeof nirTopologicalOrder>[0]).backEdges.length;

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

  it('LIF lab reaches example 1: I 1.8, t_ref 4 ms, dt 1 ms -> 10 spikes, 50 Hz, analytic ISI 20.22 ms; R, V_rest and every input shape as the library computes them', async () => {
    const page = await open('lif');
    const ex1 = { tauM: 20, R: 1, threshold: 1, vRest: 0, vReset: 0, refractory: 4, dt: 1, method: 'euler' as const };
    await setSlider(page, 'lif-dt', 1);
    await setSlider(page, 'lif-refractory', 4);
    await setSlider(page, 'lif-current', 1.8);
    expect(await num(page, '#lif-spike-count')).toBe(10);
    expect(await page.locator('#lif-rate').textContent()).toBe('50.0');
    expect(await page.locator('#lif-isi').textContent()).toBe(lifAnalyticIsi(1.8, ex1).toFixed(2));
    expect(await page.locator('#lif-isi').textContent()).toBe('20.22');
    expect(await page.locator('#lif-sim-isi').textContent()).toBe('20.00');
    // R scales the input: R 2 with I 0.9 is the same drive as R 1 with I 1.8
    await setSlider(page, 'lif-r', 2);
    await setSlider(page, 'lif-current', 0.9);
    expect(await num(page, '#lif-spike-count')).toBe(10);
    expect(await num(page, '#lif-rheobase')).toBe(0.5);
    await setSlider(page, 'lif-r', 1);
    // V_rest (= V_reset) lifts the rheobase's floor: V_rest 0.5 needs only I > 0.5
    await setSlider(page, 'lif-vrest', 0.5);
    expect(await num(page, '#lif-rheobase')).toBe(0.5);
    expect(await num(page, '#lif-spike-count')).toBe(simulateLif(0.9, 200, { ...ex1, vRest: 0.5, vReset: 0.5 }).spikeSteps.length);
    expect(await page.locator('#lif-isi').textContent()).toBe(lifAnalyticIsi(0.9, { ...ex1, vRest: 0.5, vReset: 0.5 }).toFixed(2));
    await setSlider(page, 'lif-vrest', 0);
    await setSlider(page, 'lif-current', 1.8);
    // input shapes, each against simulateLif on the same per-step current
    const count = async () => num(page, '#lif-spike-count');
    const lib = (f: (t: number) => number) =>
      simulateLif(
        Float32Array.from({ length: 200 }, (_, t) => f(t)),
        200,
        ex1,
      ).spikeSteps.length;
    await page.selectOption('#lif-shape', 'step');
    await setSlider(page, 'lif-onset', 100);
    expect(await count()).toBe(lib((t) => (t >= 100 ? 1.8 : 0)));
    expect(await count()).toBe(5);
    expect(await page.locator('#lif-isi').textContent()).toBe('20.22'); // after the onset, the constant-current ISI
    await page.selectOption('#lif-shape', 'pulses');
    await setSlider(page, 'lif-period', 40);
    await setSlider(page, 'lif-width', 25);
    expect(await count()).toBe(lib((t) => (t % 40 < 25 ? 1.8 : 0)));
    expect(await page.locator('#lif-isi-na').count()).toBe(1); // no analytic ISI for a pulse train
    await page.selectOption('#lif-shape', 'noisy');
    await setSlider(page, 'lif-sigma', 1);
    const noisy = async (seed: number) => {
      await setSlider(page, 'lif-seed', seed);
      const rng = new Rng(seed);
      const cur = Float32Array.from({ length: 200 }, () => 1.8 + rng.normal());
      const want = simulateLif(cur, 200, ex1).spikeSteps.length;
      expect(await count()).toBe(want);
      return want;
    };
    const seeds = [await noisy(1), await noisy(2), await noisy(3)];
    expect(await noisy(1)).toBe(seeds[0]); // seeded: the same seed, the same run
    await page.waitForSelector('#lif-membrane[data-done="1"]');
    expect(await page.locator('#lif-membrane .current polyline').count()).toBeGreaterThan(0);
    await shot(page, 'lif-noisy');
    await page.close();
  });

  it("STDP arena reaches the tutorial's numbers: 20 pairings 0.3 -> 0.378 / 0.214, window 0.0607 / -0.0728 at +-10 ms (-0.0567 at -15 ms), w0 a control", async () => {
    const page = await open('stdp');
    // the sliders reach the tutorial's settings (A- in steps of 0.0001)
    await setSlider(page, 'stdp-w0', 0.3);
    await setSlider(page, 'stdp-aplus', 0.005);
    await setSlider(page, 'stdp-aminus', 0.0055);
    await setSlider(page, 'stdp-tau', 20);
    expect(await page.locator('label:has(#stdp-aminus) output').textContent()).toBe('0.0055');
    expect(await page.locator('#stdp-run-pairs').textContent()).toBe('20 pairings');
    await page.click('#stdp-run-pairs');
    expect(await page.locator('#stdp-pairs-causal').textContent()).toBe('0.378');
    expect(await page.locator('#stdp-pairs-anti').textContent()).toBe('0.214');
    const proto = stdpParams({ aPlus: 0.005, aMinus: 0.0055, tauPlus: 20, tauMinus: 20 });
    const causal = stdpPairingProtocol({ w0: 0.3, offsetMs: 5, pairs: 20, periodMs: 1000, params: proto }).w;
    const anti = stdpPairingProtocol({ w0: 0.3, offsetMs: -5, pairs: 20, periodMs: 1000, params: proto }).w;
    expect(Number(await page.locator('#stdp-pairs-causal').getAttribute('data-value'))).toBeCloseTo(causal, 6);
    expect(Number(await page.locator('#stdp-pairs-anti').getAttribute('data-value'))).toBeCloseTo(anti, 6);
    // the trajectory: w after each of the 20 pairings, both protocols (21 points each)
    expect(await page.locator('#stdp-pairs-plot circle.point').count()).toBe(42);
    // the preset sets the same values
    await setSlider(page, 'stdp-w0', 0.5);
    await setSlider(page, 'stdp-aplus', 0.01);
    await page.click('#stdp-preset-protocol');
    expect(await page.locator('#stdp-pairs-causal').textContent()).toBe('0.378');
    expect(await page.locator('#stdp-pairs-anti').textContent()).toBe('0.214');
    // the window at A+ 0.1, A- 0.12, tau 20 ms
    await setSlider(page, 'stdp-aplus', 0.1);
    await setSlider(page, 'stdp-aminus', 0.12);
    const win = stdpParams({ aPlus: 0.1, aMinus: 0.12, tauPlus: 20, tauMinus: 20 });
    for (const [dt, shown] of [
      [10, '0.0607'],
      [-10, '-0.0728'],
      [-15, '-0.0567'],
    ] as const) {
      await setSlider(page, 'stdp-offset', dt);
      expect(await page.locator('#stdp-window-dw').textContent()).toBe(shown);
      expect(stdpWindow(dt, win).toFixed(4)).toBe(shown);
    }
    await page.click('#stdp-preset-window'); // the window preset: the same amplitudes
    expect(await page.locator('#stdp-window-dw').textContent()).toBe('-0.0567');
    // the initial weight drives the online run too: final w - dw = w0
    await setSlider(page, 'stdp-w0', 0.2);
    expect(await page.locator('#stdp-weight line.hline').getAttribute('data-y')).toBe('0.2');
    expect((await num(page, '#stdp-final-w')) - (await num(page, '#stdp-dw'))).toBeCloseTo(0.2, 3);
    await shot(page, 'stdp-tutorial');
    await page.close();
  });

  it("surrogate page: each curve is the library's grad on the plotted grid, the table its values at sample points; the step and the Dirac are drawn", async () => {
    const page = await open('surrogates');
    await page.waitForSelector('#sg-plot svg');
    for (const box of await page.locator('input[id^="sg-on-"]').all()) await box.check();
    await setSlider(page, 'sg-fastSigmoid-slope', 10); // the MNIST tutorial's k
    await setSlider(page, 'sg-atan-alpha', 2);
    await setSlider(page, 'sg-triangle-width', 0.5);
    const make: Record<string, (p: Record<string, number>) => Surrogate> = {
      fastSigmoid: (p) => fastSigmoid({ slope: p.slope }),
      atan: (p) => atan({ alpha: p.alpha }),
      sigmoid: (p) => sigmoid({ slope: p.slope }),
      triangle: (p) => triangle({ width: p.width }),
      atanOverPi: () => atanOverPi(),
      atanK: (p) => atanK({ k: p.k }),
      gaussian: (p) => gaussian({ sigma: p.sigma }),
      triangular: (p) => triangular({ threshold: p.threshold }),
      spikeRateEscape: (p) => spikeRateEscape({ beta: p.beta, slope: p.slope }),
      straightThrough: () => straightThrough(),
    };
    const svg = page.locator('#sg-plot svg');
    const yMin = Number(await svg.locator('.y-axis').getAttribute('data-min'));
    const yMax = Number(await svg.locator('.y-axis').getAttribute('data-max'));
    // linePlot's panel for width 900, height 440 without a title: x0 70, y0 16, 810 x 374 px
    const sy = (y: number) => 16 + 374 - ((y - yMin) / (yMax - yMin)) * 374;
    const series = await svg.locator('g.series').evaluateAll((gs) =>
      gs.map((g) => ({
        label: g.getAttribute('data-label') ?? '',
        points: Array.from(g.querySelectorAll('polyline')).flatMap((pl) =>
          (pl.getAttribute('points') ?? '').split(' ').map((p) => p.split(',').map(Number)),
        ),
      })),
    );
    const seen = new Set<string>();
    for (const { label, points } of series) {
      const [name, ...kv] = label.split(' ');
      if (!Object.hasOwn(make, name)) continue;
      seen.add(name);
      const s = make[name](Object.fromEntries(kv.map((t) => [t.split('=')[0], Number(t.split('=')[1])])));
      expect(points.length, name).toBe(801);
      let worst = 0;
      points.forEach(([, py], i) => {
        worst = Math.max(worst, Math.abs(py - sy(s.grad(-2 + (4 * i) / 800)))); // the page's grid: 801 points on [-2, 2]
      });
      expect(worst, `${label}: largest distance from the library's curve, px`).toBeLessThan(0.02);
      // the table: the library's grad at the sample points, to full precision
      const cells = await page
        .locator(`#sg-table tr[data-name="${name}"] td[data-x]`)
        .evaluateAll((tds) => tds.map((td) => [Number(td.getAttribute('data-x')), Number(td.getAttribute('data-value'))]));
      expect(cells.length).toBe(7);
      // (to 1e-12: Chromium's Math.exp may differ from Node's in the last bit)
      for (const [x, v] of cells) expect(Math.abs(v - s.grad(x)), `${name}(${x})`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(v)));
    }
    expect([...seen].sort()).toEqual(Object.keys(make).sort());
    // fast sigmoid k 10: 1 at the threshold, 1/36 at x = 0.5 (shown to 4 decimals)
    expect(await page.locator('#sg-table tr[data-name="fastSigmoid"] td[data-x="0.5"]').textContent()).toBe('0.0278');
    // the spike itself (a step 0 -> 1 at x = 0) and its true derivative (a vertical spike with an arrowhead)
    expect(series.some((x) => x.label.startsWith('spike S = H(x)'))).toBe(true);
    expect(await svg.locator('polygon.dirac-arrow').count()).toBe(1);
    await shot(page, 'surrogates');
    await page.close();
  });

  it('SNN vs ANN: a Web Worker trains both, both above chance, the bars show what estimateOps gives in Node, the page keeps drawing frames', async () => {
    const page = await open('compare');
    await setSlider(page, 'cmp-epochs', 1);
    await page.click('#cmp-start');
    await page.waitForSelector('#cmp-status[data-done="1"]', { timeout: 60_000 });
    const status = page.locator('#cmp-status');
    const snnAcc = Number(await status.getAttribute('data-snn-accuracy'));
    const annAcc = Number(await status.getAttribute('data-ann-accuracy'));
    expect(snnAcc).toBeGreaterThan(0.5); // chance is 0.1
    expect(annAcc).toBeGreaterThan(0.5);
    const hiddenSpikes = Number(await status.getAttribute('data-hidden-spikes'));
    expect(hiddenSpikes).toBeGreaterThan(0);
    const spec = { inputs: 64, hidden: [64], outputs: 10 };
    const snnOps = estimateOps(snnClassifier({ ...spec, beta: 0.9 }, new Rng(1)), {
      steps: 8,
      constantInput: true,
      spikesIn: [undefined, hiddenSpikes],
    });
    const annOps = estimateOps(annClassifier(spec, new Rng(1)), { steps: 1, constantInput: true, spikesIn: [] });
    const barValues = async (id: string) =>
      page.locator(`#${id} rect.bar`).evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('data-value'))));
    expect(await barValues('cmp-acs')).toEqual([snnOps.synOps, annOps.synOps]);
    expect(await barValues('cmp-macs')).toEqual([snnOps.macs, annOps.macs]);
    expect(await barValues('cmp-energy')).toEqual([snnOps.energyNj, annOps.energyNj]);
    expect(annOps.macs).toBe(64 * 64 + 64 * 10);
    expect(snnOps.macs).toBe(64 * 64 + (64 + 10) * 8); // direct input: the first layer once, a leak per neuron per step
    expect(await barValues('cmp-acc')).toEqual([100 * snnAcc, 100 * annAcc]);
    expect(await page.locator('#cmp-row-energy td.snn').textContent()).toBe(`${snnOps.energyNj.toFixed(2)} nJ`);
    // the main thread kept drawing while the worker trained
    expect(await num(page, '#cmp-frames')).toBeGreaterThan(5);
    await shot(page, 'compare');
    // rate-coded input: the first layer is fed spikes, one AC per input spike and hidden neuron
    await page.selectOption('#cmp-encoding', 'rate');
    await page.click('#cmp-start');
    await page.waitForSelector('#cmp-status[data-done="1"]', { timeout: 60_000 });
    expect(Number(await status.getAttribute('data-snn-accuracy'))).toBeGreaterThan(0.3);
    const inputSpikes = Number(await status.getAttribute('data-input-spikes'));
    const hidden2 = Number(await status.getAttribute('data-hidden-spikes'));
    expect(inputSpikes).toBeGreaterThan(0);
    const rateOps = estimateOps(snnClassifier({ ...spec, beta: 0.9 }, new Rng(1)), {
      steps: 8,
      constantInput: false,
      spikesIn: [inputSpikes, hidden2],
    });
    expect(rateOps.synOps).toBeCloseTo(inputSpikes * 64 + hidden2 * 10, 6);
    expect(await barValues('cmp-acs')).toEqual([rateOps.synOps, annOps.synOps]);
    expect(await barValues('cmp-energy')).toEqual([rateOps.energyNj, annOps.energyNj]);
    await page.close();
  }, 90_000);

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

  it('NIR page: draws the example graph as readNir reads it, runs it as fromNir does, live rasters; typed errors for broken files', async () => {
    const page = await open('nir');
    await page.waitForSelector('#nir-info[data-ready="1"]', { timeout: 30_000 });
    // the graph drawn: one box per node of the flattened graph, one arrow per edge, back edges dashed
    const expectGraph = async (file: string) => {
      const g = await readNir(new Uint8Array(publicFile(`nir/${file}`)));
      const flat = flattenNir(g);
      const { backEdges } = nirTopologicalOrder(flat as Parameters<typeof nirTopologicalOrder>[0]);
      expect(await page.locator('#nir-graph g.node').count(), file).toBe(flat.nodes.size);
      expect(await page.locator('#nir-graph path.edge').count(), file).toBe(flat.edges.length);
      expect(await page.locator('#nir-graph path.back-edge').count(), file).toBe(backEdges.length);
      expect(await page.locator('#nir-graph path.back-edge').first().getAttribute('stroke-dasharray')).toBeTruthy();
      return g;
    };
    const g = await expectGraph('braille.nir');
    expect(backEdgesOf(g)).toBeGreaterThan(0);
    // the run: 100 steps of Bernoulli(0.3) input from Rng(1), dt 1e-4; the spikes equal fromNir's in Node
    await page.waitForSelector('#nir-rasters[data-done="1"]', { timeout: 20_000 });
    const model = fromNir(g, { dt: 1e-4 });
    const [shape] = Object.values(model.inputs);
    const F = shape.reduce((a, b) => a * b, 1);
    const rng = new Rng(1);
    const x = Float32Array.from({ length: 100 * F }, () => (rng.uniform() < 0.3 ? 1 : 0));
    const { records } = model.forward(new Tensor(x, [100, 1, ...shape]));
    const perNode = Object.entries(records)
      .filter(([, r]) => r.spk)
      .map(([path, r]) => [path, r.spk!.data.reduce((a, b) => a + b, 0)] as const);
    const total = perNode.reduce((a, [, n]) => a + n, 0);
    expect(total).toBeGreaterThan(0);
    expect(await page.locator('#nir-rasters .card.raster').count()).toBe(perNode.length);
    for (const [path, n] of perNode)
      expect(Number(await page.locator(`#nir-rasters .card[data-node="${path}"]`).getAttribute('data-spikes')), path).toBe(n);
    expect(await num(page, '#nir-spike-count')).toBe(total);
    const visible = await page
      .locator('#nir-rasters rect.spike')
      .evaluateAll((rs) => rs.filter((r) => (r as SVGElement).style.visibility === 'visible').length);
    expect(visible).toBe(total); // every spike revealed (the examples have fewer than 200 neurons per node)
    await shot(page, 'nir');
    // a drawn input pattern runs too
    await page.selectOption('#nir-input-mode', 'drawn');
    expect(Number(await page.locator('#nir-grid').getAttribute('data-on'))).toBeGreaterThan(0);
    await page.waitForSelector('#nir-rasters[data-done="1"]', { timeout: 20_000 });
    // the second example: a nested graph with a cycle
    await page.selectOption('#nir-example', 'nested-recurrent.nir');
    await page.waitForFunction(() => document.querySelector('#nir-info b')?.textContent === 'nested-recurrent.nir');
    await page.waitForSelector('#nir-info[data-ready="1"]');
    await expectGraph('nested-recurrent.nir');
    expect(await page.locator('#nir-graph g.subgraph').count()).toBe(1);
    // broken files: the typed error as text on the page (and no console error: checked at the end)
    const braille = publicFile('nir/braille.nir');
    for (const [name, bytes, want] of [
      ['truncated.nir', braille.subarray(0, 3000), /^DataError: truncated\.nir: /],
      ['notes.nir', Buffer.from('not a NIR file\n'), /^DataError: notes\.nir: not an HDF5 file/],
    ] as const) {
      await page.setInputFiles('#nir-file', { name, mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });
      await page.waitForSelector('#nir-error:not([hidden])');
      expect(await page.locator('#nir-error').textContent(), name).toMatch(want);
      expect(await page.locator('#nir-graph g.node').count()).toBe(0);
    }
    // dropped, gzipped: snnTorch's subgraph file whose edges name a node it calls otherwise
    const bad = readFileSync(join(root, 'test', 'fixtures', 'nir', 'peers', 'braille_noDelay_bias_zero_subgraph.nir.gz'));
    const dt = await page.evaluateHandle((b) => {
      const d = new DataTransfer();
      d.items.add(new File([new Uint8Array(b)], 'subgraph.nir.gz'));
      return d;
    }, Array.from(bad));
    await page.dispatchEvent('#nir-drop', 'drop', { dataTransfer: dt });
    await page.waitForFunction(() => document.querySelector('#nir-error')?.textContent?.includes('subgraph.nir.gz'));
    expect(await page.locator('#nir-error').getAttribute('data-type')).toBe('NirError');
    expect(await page.locator('#nir-error').textContent()).toMatch(/lif/);
    await shot(page, 'nir-error');
    await page.close();
  }, 60_000);

  it('events page: plays the example to its last event; the emulator turns a drawn stroke into events, a blank canvas into none', async () => {
    const page = await open('events');
    await page.waitForSelector('#ev-info[data-ready="1"]');
    const ev = readEvents(new Uint8Array(publicFile('events/nmnist-sample.bin')), { file: 'nmnist-sample.bin' });
    expect(Number(await page.locator('#ev-shown').getAttribute('data-total'))).toBe(ev.t.length);
    await setSlider(page, 'ev-speed', -1.3); // 0.05x: the 37 ms recording in under a second
    await page.waitForSelector('#ev-player[data-done="1"]', { timeout: 10_000 });
    expect(await num(page, '#ev-shown')).toBe(ev.t.length);
    // ON and OFF colours on the canvas
    const colours = await page.locator('#ev-canvas').evaluate((c) => {
      const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 34, 34).data;
      let warm = 0;
      let cool = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i] > d[i + 2] + 30) warm++;
        if (d[i + 2] > d[i] + 30) cool++;
      }
      return { warm, cool };
    });
    expect(colours.warm).toBeGreaterThan(0);
    expect(colours.cool).toBeGreaterThan(0);
    // play restarts from the beginning; pause stops the counter
    await page.click('#ev-play');
    await page.waitForTimeout(150);
    await page.click('#ev-play');
    const paused = await num(page, '#ev-shown');
    expect(paused).toBeLessThan(ev.t.length);
    await page.waitForTimeout(200);
    expect(await num(page, '#ev-shown')).toBe(paused);
    // a file that is not what it says: the reader's typed error as text
    await page.setInputFiles('#ev-file', {
      name: 'broken.aedat4',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('#!AER-DAT4.0\r\n\u0001\u0002'),
    });
    await page.waitForSelector('#ev-error:not([hidden])');
    expect(await page.locator('#ev-error').textContent()).toMatch(/^DataError: broken\.aedat4/);
    // the emulator: no noise and a blank canvas give no events; a stroke gives events
    await page.locator('#emu-noise').uncheck();
    await page.click('#emu-clear');
    expect(Number(await page.locator('#emu-count').getAttribute('data-value'))).toBe(0);
    const box = (await page.locator('#emu-draw').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.15);
    await page.mouse.down();
    for (let s = 1; s <= 12; s++) await page.mouse.move(box.x + box.width * (0.5 - s * 0.004), box.y + box.height * (0.15 + s * 0.058));
    await page.mouse.up();
    const n = Number(await page.locator('#emu-count').getAttribute('data-value'));
    expect(n).toBeGreaterThan(100);
    expect(await num(page, '#emu-rate')).toBeCloseTo(n / 0.3, -1);
    // with sensor noise, even a blank canvas gives a few events
    await page.locator('#emu-noise').check();
    await page.click('#emu-clear');
    expect(Number(await page.locator('#emu-count').getAttribute('data-value'))).toBeGreaterThan(0);
    await shot(page, 'events');
    await page.close();
  }, 40_000);

  it('every page fits a phone-sized screen (no horizontal scrolling)', async () => {
    for (const name of ['encoders', 'stdp', 'surrogates', 'mnist', 'train', 'compare', 'nir', 'events']) {
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
