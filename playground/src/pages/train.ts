// (e) Train in the browser: a Web Worker trains a small SNN on the 8x8 digits (3823 train / 1797 test)
// with a progress bar and live loss / accuracy curves.
import { trainingCurvesPlot, type TrainingRecord } from '../../../src/index.js';
import type { TrainMessage, TrainRequest } from '../train.worker.js';
import { card, h, pageShell, slider } from '../ui.js';

export function mountTrain(el: HTMLElement): () => void {
  const { controls, plots } = pageShell(
    el,
    'Train in the browser',
    'A 64-H-10 spiking network learns the UCI 8 x 8 handwritten digits (3823 training, 1797 test images) by backpropagation through time with a surrogate gradient, in a Web Worker on WebAssembly SIMD kernels.',
  );
  const sEpochs = slider('train-epochs', 'Epochs', { min: 1, max: 30, step: 1, value: 5, digits: 0 }, () => {});
  const sHidden = slider('train-hidden', 'Hidden neurons', { min: 16, max: 512, step: 16, value: 128, digits: 0 }, () => {});
  const sSteps = slider('train-steps', 'Time steps', { min: 2, max: 25, step: 1, value: 8, digits: 0 }, () => {});
  const sLr = slider('train-lr', 'Learning rate', { min: 0.0005, max: 0.02, step: 0.0005, value: 0.005, digits: 4 }, () => {});
  const start = h('button', { id: 'train-start' }, 'Train');
  const stop = h('button', { class: 'secondary', id: 'train-stop', disabled: '' }, 'Stop');
  const bar = h('progress', { id: 'train-progress', max: '1', value: '0' });
  const status = h('div', { class: 'stats', id: 'train-status' }, 'ready');
  controls.append(sEpochs.el, sHidden.el, sSteps.el, sLr.el, h('div', { class: 'row' }, start, stop), bar, status);
  const curves = card('Loss and accuracy', 'train-curves', 'wide');
  plots.append(curves.el);
  let worker: Worker | null = null;

  const finish = () => {
    worker?.terminate();
    worker = null;
    start.disabled = false;
    stop.disabled = true;
  };
  stop.addEventListener('click', () => {
    finish();
    status.textContent = 'stopped';
  });
  start.addEventListener('click', () => {
    finish();
    const batchHist: TrainingRecord[] = [];
    const epochHist: Array<{ step: number; testAccuracy: number }> = [];
    start.disabled = true;
    stop.disabled = false;
    delete status.dataset.testAccuracy;
    status.textContent = 'loading data…';
    bar.value = 0;
    worker = new Worker(new URL('../train.worker.ts', import.meta.url), { type: 'module' });
    const req: TrainRequest = {
      dataUrl: new URL('data/digits.json', document.baseURI).href,
      epochs: sEpochs.value(),
      hidden: sHidden.value(),
      steps: sSteps.value(),
      lr: sLr.value(),
      batch: 32,
      seed: 1,
    };
    let lastDraw = 0;
    const draw = () => {
      const recs: TrainingRecord[] = batchHist.map((r) => ({ ...r }));
      for (const e of epochHist) {
        const r = recs.find((x) => x.step === e.step);
        if (r) r.testAccuracy = e.testAccuracy;
      }
      if (recs.length) curves.body.innerHTML = trainingCurvesPlot(recs, { title: ' ', width: 900, height: 340 });
    };
    worker.onmessage = (ev: MessageEvent<TrainMessage>) => {
      const m = ev.data;
      if (m.type === 'batch') {
        batchHist.push({ step: m.step, loss: m.loss, accuracy: m.accuracy });
        bar.value = m.step / m.totalSteps;
        status.textContent = `step ${m.step} / ${m.totalSteps}: loss ${m.loss.toFixed(3)}, accuracy ${(m.accuracy * 100).toFixed(1)}%, ${m.samplesPerSec.toFixed(0)} samples/s`;
        if (performance.now() - lastDraw > 150) draw(), (lastDraw = performance.now());
      } else if (m.type === 'epoch') {
        epochHist.push({ step: m.step, testAccuracy: m.testAccuracy });
        const last = batchHist[batchHist.length - 1];
        if (last && last.step !== m.step) batchHist.push({ step: m.step, loss: m.loss, accuracy: m.accuracy });
        draw();
      } else if (m.type === 'done') {
        bar.value = 1;
        draw();
        status.textContent = `done in ${m.seconds.toFixed(1)} s: test accuracy ${(m.testAccuracy * 100).toFixed(2)}%`;
        status.dataset.testAccuracy = String(m.testAccuracy);
        finish();
      } else {
        status.textContent = `error: ${m.message}`;
        finish();
      }
    };
    worker.onerror = (e) => {
      status.textContent = `worker error: ${e.message}`;
      finish();
    };
    worker.postMessage(req);
  });
  return finish;
}
