// (c) STDP learning arena: one plastic synapse between a pre and a post neuron. Either a pairing protocol
// (post spike dt ms after each pre spike) or independent Poisson trains; the weight evolves under the
// online trace rule (StdpTraceSynapse), next to the STDP window and the pairing protocol's result.
import {
  Rng,
  stdpParams,
  stdpWindow,
  stdpPairingProtocol,
  StdpTraceSynapse,
  rasterPlot,
  linePlot,
  stdpWindowPlot,
  type StdpParams,
} from '../../../src/index.js';
import { card, h, pageShell, select, slider } from '../ui.js';

const DT = 0.5; // ms per step
const DURATION = 1000; // ms

export function mountStdp(el: HTMLElement): () => void {
  const { controls, plots } = pageShell(
    el,
    'STDP learning arena',
    'Spike-timing-dependent plasticity: a synapse grows when the presynaptic spike comes shortly before the postsynaptic one (causal) and shrinks when it comes after. Move the timing and rates and watch the weight.',
  );
  const update = () => render();
  const mode = select(
    'stdp-mode',
    'Spike trains',
    [
      ['paired', 'paired: post = pre + Δt'],
      ['poisson', 'independent Poisson'],
    ],
    'paired',
    update,
  );
  const sOff = slider('stdp-offset', 'Δt = t_post − t_pre', { min: -50, max: 50, step: 1, value: 10, unit: 'ms', digits: 0 }, update);
  const sPre = slider('stdp-pre-rate', 'Pre rate', { min: 1, max: 60, step: 1, value: 10, unit: 'Hz', digits: 0 }, update);
  const sPost = slider('stdp-post-rate', 'Post rate (Poisson)', { min: 1, max: 60, step: 1, value: 10, unit: 'Hz', digits: 0 }, update);
  const sAp = slider('stdp-aplus', 'A+', { min: 0, max: 0.05, step: 0.001, value: 0.01, digits: 3 }, update);
  const sAm = slider('stdp-aminus', 'A−', { min: 0, max: 0.05, step: 0.001, value: 0.0105, digits: 4 }, update);
  const sTau = slider('stdp-tau', 'τ+ = τ−', { min: 5, max: 60, step: 1, value: 20, unit: 'ms', digits: 0 }, update);
  const upd = select(
    'stdp-update',
    'Update',
    [
      ['additive', 'additive (hard bounds)'],
      ['multiplicative', 'multiplicative (soft bounds)'],
    ],
    'additive',
    update,
  );
  const stats = h('div', { class: 'stats' });
  controls.append(mode.el, sOff.el, sPre.el, sPost.el, sAp.el, sAm.el, sTau.el, upd.el, stats);
  const cRaster = card('Pre and post spikes (1 s)', 'stdp-raster', 'wide');
  const cW = card('Weight w over time', 'stdp-weight');
  const cWin = card('STDP window (line) and 60-pair protocol Δw (dots)', 'stdp-window');
  plots.append(cRaster.el, cW.el, cWin.el);

  function trains(p: StdpParams): { pre: number[]; post: number[] } {
    const steps = DURATION / DT;
    const rng = new Rng(42);
    const pre: number[] = [];
    const post: number[] = [];
    if (mode.input.value === 'paired') {
      const period = 1000 / sPre.value();
      const off = Math.round(sOff.value() / DT);
      for (let t = Math.max(0, -sOff.value()) + 5; t < DURATION; t += period) {
        const s = Math.round(t / DT);
        if (s < steps && s + off < steps && s + off >= 0) pre.push(s), post.push(s + off);
      }
      post.sort((a, b) => a - b);
    } else {
      for (let s = 0; s < steps; s++) {
        if (rng.uniform() < (sPre.value() * DT) / 1000) pre.push(s);
        if (rng.uniform() < (sPost.value() * DT) / 1000) post.push(s);
      }
    }
    void p;
    return { pre, post };
  }

  function render(): void {
    const tau = sTau.value();
    const p = stdpParams({
      aPlus: sAp.value(),
      aMinus: sAm.value(),
      tauPlus: tau,
      tauMinus: tau,
      update: upd.input.value as StdpParams['update'],
    });
    const { pre, post } = trains(p);
    const syn = new StdpTraceSynapse(0.5, p, DT);
    const steps = DURATION / DT;
    const wt = new Float32Array(steps + 1);
    syn.run(pre, post, steps, wt);
    const times = Float32Array.from({ length: steps + 1 }, (_, i) => i * DT);
    cRaster.body.innerHTML = rasterPlot({
      times: [pre.map((s) => s * DT), post.map((s) => s * DT)],
      duration: DURATION,
      yLabel: 'pre (0) / post (1)',
      colors: (n) => (n ? '#d55e00' : '#0072b2'),
      height: 200,
    });
    cW.body.innerHTML = linePlot({
      series: [{ x: times, y: wt, label: 'w' }],
      xLabel: 'time (ms)',
      yLabel: 'weight w',
      yRange: [0, 1],
      hLines: [{ y: 0.5, label: 'initial w' }],
      height: 320,
    });
    const dts = Array.from({ length: 201 }, (_, i) => -100 + i);
    const protoDts = Array.from({ length: 21 }, (_, i) => -50 + i * 5).filter((d) => d !== 0);
    const protoDw = protoDts.map((d) => (stdpPairingProtocol({ w0: 0.5, offsetMs: d, pairs: 60, periodMs: 1000, params: p }).w - 0.5) / 60);
    cWin.body.innerHTML = stdpWindowPlot({
      dts,
      dw: dts.map((d) => stdpWindow(d, p)),
      points: { dts: protoDts, dw: protoDw, label: 'protocol Δw / pair' },
      height: 320,
      title: ' ',
    });
    const dw = syn.w - 0.5;
    stats.innerHTML = '';
    stats.append(
      h('span', {}, 'final w ', h('b', { id: 'stdp-final-w' }, syn.w.toFixed(4))),
      h('span', {}, 'Δw ', h('b', { id: 'stdp-dw' }, dw.toFixed(4))),
      h('span', {}, `pre ${pre.length} / post ${post.length} spikes`),
    );
  }
  render();
  return () => {};
}
