// (d) MNIST: draw a digit; it is preprocessed like MNIST (20 x 20 box, centre of mass) and classified by
// the checkpoint in public/model (trained with `spikeflow train --hidden 128 --epochs 3`). Shows the input,
// hidden and output spike rasters and the output spike counts.
import {
  Tensor,
  defaultKernels,
  directEncode,
  predictByCount,
  rasterPlot,
  spikeCountPlot,
  imageGridPlot,
  receptiveFieldsPlot,
  type Sequential,
} from '../../../src/index.js';
import { loadCheckpointFromUrl } from '../model.js';
import { mnistFromDrawing } from '../preprocess.js';
import { card, h, pageShell } from '../ui.js';

export interface Classification {
  prediction: number;
  counts: number[];
  hidden: Uint8Array | null;
  output: Uint8Array;
  steps: number;
  hiddenSize: number;
  input: Float32Array;
}

export function classify(model: Sequential, input: Float32Array, steps: number): Classification {
  const x = new Tensor(Float32Array.from(input), [1, 784]);
  // not the inference path: that one fuses hidden spikes into the next layer without recording them,
  // and the page draws the hidden raster (one sample, so the extra cost is nothing)
  const { records } = model.forward(directEncode(x, steps), defaultKernels(), { inference: false });
  const out = records[records.length - 1];
  const spk = out.spk!;
  const counts = new Array(10).fill(0);
  for (let t = 0; t < steps; t++) for (let c = 0; c < 10; c++) counts[c] += spk.data[t * 10 + c];
  const hid = records.length > 1 ? records[0].spk : null;
  return {
    prediction: predictByCount(spk)[0],
    counts,
    input,
    steps,
    hidden: hid ? Uint8Array.from(hid.data) : null,
    hiddenSize: hid ? hid.shape[hid.shape.length - 1] : 0,
    output: Uint8Array.from(spk.data),
  };
}

export function mountMnist(el: HTMLElement): () => void {
  const { controls, plots } = pageShell(
    el,
    'MNIST: draw a digit',
    'Draw a digit (0-9) in the box. It is cropped, scaled into a 20 x 20 box and centred by its centre of mass in 28 x 28 pixels, as in MNIST, then fed as a constant current for 25 steps to a 784-128-10 spiking network trained with spikeflow. The class whose output neuron spikes most wins.',
  );
  const canvas = h('canvas', { class: 'draw', id: 'mnist-canvas', width: '280', height: '280' });
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const pred = h('div', { class: 'prediction', id: 'mnist-prediction' }, '…');
  const clear = h('button', { class: 'secondary', id: 'mnist-clear' }, 'Clear');
  const run = h('button', { id: 'mnist-classify' }, 'Classify');
  const status = h('div', { class: 'stats', id: 'mnist-status' }, 'loading model…');
  controls.append(canvas, h('div', { class: 'row' }, clear, run), h('div', {}, 'Prediction'), pred, status);
  const cIn = card('Network input (28 x 28)', 'mnist-input');
  const cCounts = card('Output spike count per class', 'mnist-counts');
  const cOut = card('Output layer spikes', 'mnist-output-raster');
  const cHid = card('Hidden layer spikes (128 neurons)', 'mnist-hidden-raster');
  const cRf = card('First-layer weights: receptive fields of 32 hidden neurons (red +, blue −)', 'mnist-fields', 'wide');
  plots.append(cIn.el, cCounts.el, cOut.el, cHid.el, cRf.el);
  let model: Sequential | null = null;
  let steps = 25;

  const reset = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, 280, 280);
    pred.textContent = '…';
    delete pred.dataset.value;
  };
  reset();
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  let drawing = false;
  let last: [number, number] | null = null;
  const pos = (e: PointerEvent): [number, number] => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) * 280) / r.width, ((e.clientY - r.top) * 280) / r.height];
  };
  canvas.addEventListener('pointerdown', (e) => {
    drawing = true;
    last = pos(e);
    canvas.setPointerCapture?.(e.pointerId);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!drawing || !last) return;
    const p = pos(e);
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 20;
    ctx.beginPath();
    ctx.moveTo(...last);
    ctx.lineTo(...p);
    ctx.stroke();
    last = p;
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    last = null;
    classifyCanvas();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointerleave', end);
  clear.addEventListener('click', reset);
  run.addEventListener('click', () => classifyCanvas());

  function classifyCanvas(): void {
    if (!model) return;
    const { data } = ctx.getImageData(0, 0, 280, 280);
    const gray = new Float32Array(280 * 280);
    for (let i = 0; i < gray.length; i++) gray[i] = data[i * 4] / 255;
    const input = mnistFromDrawing(gray, 280, 280);
    const r = classify(model, input, steps);
    pred.textContent = String(r.prediction);
    pred.dataset.value = String(r.prediction);
    cIn.body.innerHTML = imageGridPlot({ data: input, rows: 28, cols: 28, mode: 'grey', cell: 8 });
    cCounts.body.innerHTML = spikeCountPlot({ counts: r.counts, title: ' ', highlight: r.prediction });
    cOut.body.innerHTML = rasterPlot({
      spikes: r.output,
      steps,
      neurons: 10,
      xLabel: 'time step',
      yLabel: 'output neuron (class)',
      colors: (n) => (n === r.prediction ? '#d55e00' : '#333'),
      height: 260,
    });
    if (r.hidden)
      cHid.body.innerHTML = rasterPlot({
        spikes: r.hidden,
        steps,
        neurons: r.hiddenSize,
        xLabel: 'time step',
        yLabel: 'hidden neuron',
        height: 360,
      });
  }

  void loadCheckpointFromUrl('model').then(({ model: m, config }) => {
    model = m;
    steps = Number(config.meta.steps ?? 25);
    const acc = Number(config.meta.testAccuracy ?? NaN);
    status.textContent = `model loaded: ${config.layers.map((l) => l.kind).join('-')}, ${steps} steps${Number.isFinite(acc) ? `, MNIST test accuracy ${(acc * 100).toFixed(2)}%` : ''}`;
    const first = m.layers[0];
    const w = first.parameters().find((p) => p.name === 'weight');
    if (w) {
      const exported = first.exportParameter?.('weight', w.tensor) ?? { shape: [...w.tensor.shape], data: w.tensor.data as Float32Array };
      if (exported.shape.length === 2 && exported.shape[1] === 784)
        cRf.body.innerHTML = receptiveFieldsPlot({
          weight: exported.data,
          outputs: exported.shape[0],
          rows: 28,
          cols: 28,
          max: 32,
          columns: 16,
          cell: 3,
          title: ' ',
        });
    }
    status.dataset.ready = '1';
  });
  return () => {};
}
