// (b) Encoders explorer: rate (Bernoulli), latency (first spike time) and delta coding of an MNIST digit
// or of a few values over time, plus population coding of a few values (Gaussian receptive fields).
import {
  Rng,
  Tensor,
  rateEncode,
  latencyEncode,
  deltaEncode,
  populationCode,
  populationEncode,
  rasterPlot,
  imageGridPlot,
} from '../../../src/index.js';
import { base64Bytes, card, h, imageCanvas, loadJson, pageShell, select, slider } from '../ui.js';

interface Samples {
  rows: number;
  cols: number;
  n: number;
  labels: number[];
  images: string;
}

const DIGIT_COLOR = (n: number) => `hsl(${(Math.floor(n / 28) * 137) % 360} 55% 35%)`;

export function mountEncoders(el: HTMLElement): () => void {
  const { controls, plots } = pageShell(
    el,
    'Encoders explorer',
    'How a static input becomes spikes. Rate coding fires each pixel with probability equal to its brightness at every step; latency coding fires it once, brighter pixels first; delta coding fires when a signal changes by more than a threshold; population coding spreads one value over neurons with Gaussian tuning curves.',
  );
  let samples: Samples | null = null;
  let pixels: Uint8Array = new Uint8Array(0);
  let digit = 0;
  const update = () => render();
  const sSteps = slider('enc-steps', 'Time steps T', { min: 5, max: 100, step: 1, value: 25, digits: 0 }, update);
  const sGain = slider('enc-gain', 'Rate gain', { min: 0.05, max: 1, step: 0.05, value: 1 }, update);
  const sThr = slider(
    'enc-latency-threshold',
    'Latency threshold (dimmer pixels stay silent)',
    { min: 0.05, max: 0.9, step: 0.05, value: 0.2 },
    update,
  );
  const lin = select(
    'enc-latency-mode',
    'Latency code',
    [
      ['linear', 'linear'],
      ['log', 'logarithmic (RC charging)'],
    ],
    'linear',
    update,
  );
  const sDelta = slider('enc-delta', 'Delta threshold', { min: 0.02, max: 0.5, step: 0.01, value: 0.1 }, update);
  const sPop = slider('enc-pop', 'Population neurons per value', { min: 3, max: 20, step: 1, value: 10, digits: 0 }, update);
  const thumbs = h('div', { class: 'thumbs', id: 'enc-digits' });
  const stats = h('div', { class: 'stats' });
  controls.append(h('div', {}, 'Digit'), thumbs, sSteps.el, sGain.el, sThr.el, lin.el, sDelta.el, sPop.el, stats);
  const cImg = card('Input digit (28 x 28)', 'enc-image');
  const cRate = card('Rate coding: 784 pixels x T steps', 'enc-rate');
  const cLat = card('Latency coding: one spike per bright pixel', 'enc-latency');
  const cDelta = card('Delta coding of 4 signals (on spikes / off spikes)', 'enc-delta-plot');
  const cPop = card('Population coding of 3 values', 'enc-population');
  plots.append(cImg.el, cRate.el, cLat.el, cDelta.el, cPop.el);

  void loadJson<Samples>('data/mnist-samples.json').then((s) => {
    samples = s;
    const all = base64Bytes(s.images);
    for (let i = 0; i < s.n; i++) {
      const b = h(
        'button',
        { title: `digit ${s.labels[i]}`, 'data-index': String(i) },
        imageCanvas(all.subarray(i * 784, (i + 1) * 784), 28, 28),
      );
      b.addEventListener('click', () => {
        digit = i;
        render();
      });
      thumbs.append(b);
    }
    pixels = all;
    render();
  });

  function render(): void {
    if (!samples) return;
    for (const b of thumbs.querySelectorAll('button')) b.classList.toggle('sel', b.dataset.index === String(digit));
    const T = sSteps.value();
    const img = Float32Array.from(pixels.subarray(digit * 784, (digit + 1) * 784), (v) => v / 255);
    const x = new Tensor(img, [1, 784]);
    cImg.body.innerHTML = imageGridPlot({
      data: img,
      rows: 28,
      cols: 28,
      mode: 'grey',
      cell: 8,
      labels: [`label ${samples.labels[digit]}`],
    });
    const rate = rateEncode(x, T, new Rng(digit + 1), sGain.value());
    const rateSpikes = rate.x.data;
    let rateCount = 0;
    for (const v of rateSpikes) rateCount += v;
    cRate.body.innerHTML = rasterPlot({
      spikes: rateSpikes,
      steps: T,
      neurons: 784,
      xLabel: 'time step',
      yLabel: 'pixel',
      colors: DIGIT_COLOR,
      height: 360,
    });
    const lat = latencyEncode(x, T, { linear: lin.input.value === 'linear', normalize: true, clip: true, threshold: sThr.value() });
    let latCount = 0;
    for (const v of lat.data) latCount += v;
    cLat.body.innerHTML = rasterPlot({
      spikes: lat.data,
      steps: T,
      neurons: 784,
      xLabel: 'time step',
      yLabel: 'pixel',
      colors: DIGIT_COLOR,
      height: 360,
    });
    // delta: four smooth signals over T steps
    const sig = new Float32Array(T * 4);
    for (let t = 0; t < T; t++) for (let c = 0; c < 4; c++) sig[t * 4 + c] = 0.5 + 0.45 * Math.sin((2 * Math.PI * (c + 1) * t) / T + c);
    const d = deltaEncode(new Tensor(sig, [T, 4]), { threshold: sDelta.value(), offSpike: true });
    const on: number[][] = [[], [], [], [], [], [], [], []];
    for (let t = 0; t < T; t++)
      for (let c = 0; c < 4; c++) {
        const v = d.data[t * 4 + c];
        if (v > 0) on[c * 2].push(t);
        else if (v < 0) on[c * 2 + 1].push(t);
      }
    cDelta.body.innerHTML = rasterPlot({
      times: on,
      duration: T,
      xLabel: 'time step',
      yLabel: 'signal c: on (2c) / off (2c+1)',
      colors: (n) => (n % 2 ? '#0072b2' : '#d55e00'),
      height: 260,
    });
    const N = sPop.value();
    const code = populationCode(3, { neurons: N, min: 0, max: 1 });
    const vals = [0.15, 0.5, 0.9];
    const pop = populationEncode(new Tensor(Float32Array.from(vals), [1, 3]), code, T, 'rate', new Rng(7));
    cPop.body.innerHTML = rasterPlot({
      spikes: pop.x.data,
      steps: T,
      neurons: 3 * N,
      xLabel: 'time step',
      yLabel: `neuron (value ${vals.join(', ')})`,
      colors: (n) => ['#0072b2', '#d55e00', '#009e73'][Math.floor(n / N)],
      height: 300,
    });
    stats.innerHTML = '';
    stats.append(
      h('span', {}, 'rate spikes ', h('b', { id: 'enc-rate-count' }, String(rateCount))),
      h('span', {}, 'latency spikes ', h('b', { id: 'enc-latency-count' }, String(latCount))),
    );
  }
  return () => {};
}
