// SNN vs ANN: the head-to-head of examples/06-snn-vs-ann.mjs in the browser. A Web Worker trains a 64-H-10
// SNN and the ANN of the same shape on the 8x8 UCI digits (same optimiser, batches, seed), scores both on
// the 1797 test images, and counts one inference's operations with estimateOps: accumulates (ACs, a spike
// arriving), multiply-accumulates (MACs) and the energy they would cost in 45 nm CMOS (0.9 pJ per AC,
// 4.6 pJ per MAC; an estimate from operation counts, not a measurement). The page stays responsive: a frame
// counter keeps ticking while the worker trains.
import { ENERGY_PJ, barPlot } from '../../../src/index.js';
import type { CompareMessage, CompareRequest, NetResult } from '../compare.worker.js';
import { card, h, pageShell, select, slider } from '../ui.js';

const fmtInt = (x: number) => Math.round(x).toLocaleString('en-US');

export function mountCompare(el: HTMLElement): () => void {
  const { controls, plots } = pageShell(
    el,
    'SNN vs ANN',
    'The same 64-H-10 network twice: with Leaky spiking neurons run for T steps (trained by BPTT with a surrogate gradient) and with ReLU units run once. Both learn the 8 x 8 digits with Adam on the same batches; then each inference is counted: the ANN multiplies every weight (MACs), the SNN adds a weight only when a spike arrives (ACs) but pays a leak multiply per neuron per step. With direct input the SNN’s first layer sees pixels, not spikes, and costs as much as the whole ANN; choose rate coding to feed it spikes.',
  );
  const noop = () => {};
  const sHidden = slider('cmp-hidden', 'Hidden neurons H', { min: 16, max: 256, step: 16, value: 64, digits: 0 }, noop);
  const sSteps = slider('cmp-steps', 'SNN time steps T', { min: 2, max: 25, step: 1, value: 8, digits: 0 }, noop);
  const sEpochs = slider('cmp-epochs', 'Epochs', { min: 1, max: 10, step: 1, value: 2, digits: 0 }, noop);
  const sBeta = slider('cmp-beta', 'SNN decay β', { min: 0.5, max: 0.99, step: 0.01, value: 0.9 }, noop);
  const sLr = slider('cmp-lr', 'Learning rate (Adam)', { min: 0.0005, max: 0.02, step: 0.0005, value: 0.005, digits: 4 }, noop);
  const enc = select(
    'cmp-encoding',
    'SNN input',
    [
      ['direct', 'direct: pixels as a current every step'],
      ['rate', 'rate coding: Poisson spikes'],
    ],
    'direct',
    noop,
  );
  const start = h('button', { id: 'cmp-start' }, 'Train both');
  const stop = h('button', { class: 'secondary', id: 'cmp-stop', disabled: '' }, 'Stop');
  const barSnn = h('progress', { id: 'cmp-progress-snn', max: '1', value: '0' });
  const barAnn = h('progress', { id: 'cmp-progress-ann', max: '1', value: '0' });
  const status = h('div', { class: 'stats', id: 'cmp-status' }, 'ready');
  const frames = h('b', { id: 'cmp-frames' }, '0');
  controls.append(
    sHidden.el,
    sSteps.el,
    sEpochs.el,
    sBeta.el,
    sLr.el,
    enc.el,
    h('div', { class: 'row' }, start, stop),
    h('div', {}, 'SNN training', barSnn),
    h('div', {}, 'ANN training', barAnn),
    status,
    h('div', { class: 'note' }, 'page frames drawn meanwhile: ', frames),
  );
  const results = card('Head-to-head', 'cmp-results', 'wide');
  const cAcc = card('Test accuracy (%)', 'cmp-acc');
  const cTime = card('Training time (s)', 'cmp-time');
  const cAc = card('Accumulates (ACs) per inference', 'cmp-acs');
  const cMac = card('Multiply-accumulates (MACs) per inference', 'cmp-macs');
  const cE = card(
    `Estimated energy per inference (nJ): ${ENERGY_PJ.accumulate} pJ/AC, ${ENERGY_PJ.multiplyAccumulate} pJ/MAC`,
    'cmp-energy',
    'wide',
  );
  plots.append(results.el, cAcc.el, cTime.el, cAc.el, cMac.el, cE.el);

  let worker: Worker | null = null;
  let raf = 0;
  let frameCount = 0;
  const tick = () => {
    frameCount++;
    frames.textContent = String(frameCount);
    raf = requestAnimationFrame(tick);
  };
  const finish = () => {
    worker?.terminate();
    worker = null;
    cancelAnimationFrame(raf);
    start.disabled = false;
    stop.disabled = true;
  };
  stop.addEventListener('click', () => {
    finish();
    status.textContent = 'stopped';
  });

  const bars = (values: number[], yLabel: string) =>
    barPlot({
      values,
      labels: ['SNN', 'ANN'],
      xLabel: 'network',
      yLabel,
      highlight: values[0] <= values[1] ? 0 : 1,
      width: 420,
      height: 280,
    });

  function show(m: Extract<CompareMessage, { type: 'done' }>): void {
    const { snn, ann } = m;
    const row = (label: string, a: string, b: string, id: string) =>
      h('tr', { id }, h('td', {}, label), h('td', { class: 'snn' }, a), h('td', { class: 'ann' }, b));
    const ops = (r: NetResult) => r.ops;
    results.body.innerHTML = '';
    results.body.append(
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          {},
          h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'SNN'), h('th', {}, 'ANN'))),
          h(
            'tbody',
            {},
            row('test accuracy', `${(100 * snn.accuracy).toFixed(2)}%`, `${(100 * ann.accuracy).toFixed(2)}%`, 'cmp-row-acc'),
            row('training time', `${snn.trainSeconds.toFixed(2)} s`, `${ann.trainSeconds.toFixed(2)} s`, 'cmp-row-time'),
            row(`test time (${m.testN} images)`, `${snn.testSeconds.toFixed(2)} s`, `${ann.testSeconds.toFixed(2)} s`, 'cmp-row-test-time'),
            row('input spikes / sample', m.inputSpikes === undefined ? '– (direct input)' : m.inputSpikes.toFixed(1), '–', 'cmp-row-in'),
            row('hidden spikes / sample', m.hiddenSpikes.toFixed(2), '–', 'cmp-row-hidden'),
            row('ACs / sample', fmtInt(ops(snn).synOps), fmtInt(ops(ann).synOps), 'cmp-row-acs'),
            row('MACs / sample', fmtInt(ops(snn).macs), fmtInt(ops(ann).macs), 'cmp-row-macs'),
            row('energy / sample', `${ops(snn).energyNj.toFixed(2)} nJ`, `${ops(ann).energyNj.toFixed(2)} nJ`, 'cmp-row-energy'),
          ),
        ),
      ),
      h(
        'p',
        { class: 'note' },
        `Per layer (SNN): ${snn.ops.layers.map((l) => `${l.layer} ${fmtInt(l.synOps)} ACs + ${fmtInt(l.macs)} MACs`).join('; ')}. ` +
          `The ANN costs ${(ann.ops.energyNj / snn.ops.energyNj).toFixed(2)}x the SNN's energy (an estimate from operation counts; memory traffic not counted).`,
      ),
    );
    cAcc.body.innerHTML = bars([100 * snn.accuracy, 100 * ann.accuracy], 'accuracy (%)');
    cTime.body.innerHTML = bars([snn.trainSeconds, ann.trainSeconds], 'seconds');
    cAc.body.innerHTML = bars([snn.ops.synOps, ann.ops.synOps], 'ACs');
    cMac.body.innerHTML = bars([snn.ops.macs, ann.ops.macs], 'MACs');
    cE.body.innerHTML = bars([snn.ops.energyNj, ann.ops.energyNj], 'energy (nJ)');
    // the raw numbers, for readers and tests
    status.dataset.snnAccuracy = String(snn.accuracy);
    status.dataset.annAccuracy = String(ann.accuracy);
    status.dataset.hiddenSpikes = String(m.hiddenSpikes);
    if (m.inputSpikes !== undefined) status.dataset.inputSpikes = String(m.inputSpikes);
    status.dataset.done = '1';
  }

  start.addEventListener('click', () => {
    finish();
    for (const k of Object.keys(status.dataset)) delete status.dataset[k];
    for (const c of [results, cAcc, cTime, cAc, cMac, cE]) c.body.innerHTML = '';
    start.disabled = true;
    stop.disabled = false;
    barSnn.value = 0;
    barAnn.value = 0;
    frameCount = 0;
    raf = requestAnimationFrame(tick);
    status.textContent = 'loading data…';
    worker = new Worker(new URL('../compare.worker.ts', import.meta.url), { type: 'module' });
    const req: CompareRequest = {
      dataUrl: new URL('data/digits.json', document.baseURI).href,
      hidden: sHidden.value(),
      steps: sSteps.value(),
      epochs: sEpochs.value(),
      lr: sLr.value(),
      batch: 32,
      beta: sBeta.value(),
      encoding: enc.input.value as CompareRequest['encoding'],
      seed: 1,
      trainLimit: 0,
    };
    worker.onmessage = (ev: MessageEvent<CompareMessage>) => {
      const m = ev.data;
      if (m.type === 'progress') {
        (m.net === 'snn' ? barSnn : barAnn).value = m.step / m.totalSteps;
        status.textContent = `training the ${m.net.toUpperCase()}: step ${m.step} / ${m.totalSteps}, loss ${m.loss.toFixed(3)}`;
      } else if (m.type === 'done') {
        barSnn.value = 1;
        barAnn.value = 1;
        status.textContent = `done: SNN ${(100 * m.snn.accuracy).toFixed(2)}%, ANN ${(100 * m.ann.accuracy).toFixed(2)}%`;
        show(m);
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
