// (c) STDP learning arena: one plastic synapse between a pre and a post neuron. Either a pairing protocol
// (post spike dt ms after each pre spike) or independent Poisson trains; the weight evolves under the
// online trace rule (StdpTraceSynapse), next to the STDP window and the pairing protocol's result.
// The tutorial's numbers (examples/03-stdp.mjs) are one click away: the window presets (A+ 0.1, A- 0.12:
// 0.0607 at +10 ms, -0.0728 at -10 ms, -0.0567 at -15 ms) and the "20 pairings" loop (w 0.3, A+ 0.005,
// A- 0.0055, tau 20 ms, +-5 ms, one pairing a second: 0.378 causal, 0.214 anti-causal).
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
  const sW0 = slider('stdp-w0', 'Initial weight w₀', { min: 0, max: 1, step: 0.01, value: 0.5, digits: 2 }, update);
  const sAp = slider('stdp-aplus', 'A+', { min: 0, max: 0.2, step: 0.0001, value: 0.01, digits: 4 }, update);
  const sAm = slider('stdp-aminus', 'A−', { min: 0, max: 0.2, step: 0.0001, value: 0.0105, digits: 4 }, update);
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
  // the "20 pairings" protocol: pre and post spikes |offset| ms apart, one pairing per second, from w0
  const sPairOff = slider('stdp-pair-offset', 'Pairing |Δt|', { min: 1, max: 40, step: 1, value: 5, unit: 'ms', digits: 0 }, update);
  const sPairs = slider('stdp-pairs', 'Pairings', { min: 1, max: 100, step: 1, value: 20, digits: 0 }, update);
  const stats = h('div', { class: 'stats' });
  // presets: the tutorial's window amplitudes and the 20-pairings loop's settings (examples/03-stdp.mjs)
  const set = (s: { input: HTMLInputElement }, v: number) => {
    s.input.value = String(v);
    s.input.dispatchEvent(new Event('input'));
  };
  const presetWindow = h('button', { class: 'secondary', id: 'stdp-preset-window' }, 'Window: A+ 0.1, A− 0.12');
  presetWindow.addEventListener('click', () => {
    for (const [s, v] of [
      [sAp, 0.1],
      [sAm, 0.12],
      [sTau, 20],
    ] as const)
      set(s, v);
  });
  const presetProto = h('button', { class: 'secondary', id: 'stdp-preset-protocol' }, 'Tutorial: w₀ 0.3, A+ 0.005, A− 0.0055');
  presetProto.addEventListener('click', () => {
    for (const [s, v] of [
      [sW0, 0.3],
      [sAp, 0.005],
      [sAm, 0.0055],
      [sTau, 20],
      [sPairOff, 5],
    ] as const)
      set(s, v);
  });
  const winOut = h('div', { class: 'stats' });
  const runPairs = h('button', { id: 'stdp-run-pairs' }, '20 pairings');
  const pairsOut = h('div', { class: 'stats', id: 'stdp-pairs-result' });
  const syncLabel = () => (runPairs.textContent = `${sPairs.value()} pairings`);
  sPairs.input.addEventListener('input', syncLabel);
  controls.append(
    mode.el,
    sOff.el,
    sPre.el,
    sPost.el,
    sW0.el,
    sAp.el,
    sAm.el,
    sTau.el,
    upd.el,
    h('div', { class: 'row' }, presetWindow, presetProto),
    stats,
    winOut,
    h('h3', {}, 'Pairing protocol'),
    sPairOff.el,
    sPairs.el,
    runPairs,
    pairsOut,
  );
  const cRaster = card('Pre and post spikes (1 s)', 'stdp-raster', 'wide');
  const cW = card('Weight w over time', 'stdp-weight');
  const cWin = card('STDP window (line) and the pairing protocol’s Δw per pair (dots)', 'stdp-window');
  const cPairs = card('Pairing protocol: w after each pairing (press the button)', 'stdp-pairs-plot', 'wide');
  plots.append(cRaster.el, cW.el, cWin.el, cPairs.el);

  function params(): StdpParams {
    const tau = sTau.value();
    return stdpParams({
      aPlus: sAp.value(),
      aMinus: sAm.value(),
      tauPlus: tau,
      tauMinus: tau,
      update: upd.input.value as StdpParams['update'],
    });
  }

  /** The tutorial's loop: w after each of the pairings (index 0: w0), causal (+offset) and anti-causal (-offset). */
  function pairings(): void {
    const p = params();
    const w0 = sW0.value();
    const n = sPairs.value();
    const off = sPairOff.value();
    const traj = (sign: number) =>
      Float32Array.from({ length: n + 1 }, (_, k) =>
        k === 0 ? w0 : stdpPairingProtocol({ w0, offsetMs: sign * off, pairs: k, periodMs: 1000, params: p }).w,
      );
    const causal = traj(1);
    const anti = traj(-1);
    const ks = Float32Array.from({ length: n + 1 }, (_, k) => k);
    cPairs.body.innerHTML = linePlot({
      series: [
        { x: ks, y: causal, label: `causal (post ${off} ms after pre)`, markers: true },
        { x: ks, y: anti, label: `anti-causal (post ${off} ms before pre)`, markers: true },
      ],
      xLabel: 'pairings',
      yLabel: 'weight w',
      hLines: [{ y: w0, label: 'w₀' }],
      height: 320,
    });
    pairsOut.innerHTML = '';
    pairsOut.append(
      h(
        'span',
        {},
        `causal: w ${w0.toFixed(2)} → `,
        h('b', { id: 'stdp-pairs-causal', 'data-value': String(causal[n]) }, causal[n].toFixed(3)),
      ),
      h(
        'span',
        {},
        `anti-causal: w ${w0.toFixed(2)} → `,
        h('b', { id: 'stdp-pairs-anti', 'data-value': String(anti[n]) }, anti[n].toFixed(3)),
      ),
      h('span', {}, `per pairing ${stdpWindow(off, p).toFixed(6)} / ${stdpWindow(-off, p).toFixed(6)}`),
    );
  }
  runPairs.addEventListener('click', pairings);

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
    const p = params();
    const w0 = sW0.value();
    const { pre, post } = trains(p);
    const syn = new StdpTraceSynapse(w0, p, DT);
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
      hLines: [{ y: w0, label: 'initial w' }],
      height: 320,
    });
    const dts = Array.from({ length: 201 }, (_, i) => -100 + i);
    const protoDts = Array.from({ length: 21 }, (_, i) => -50 + i * 5).filter((d) => d !== 0);
    // as many pairs as fit between the hard bounds from w = 0.5 (at most 60), so the dots show the window, not the bounds
    const nPairs = Math.min(60, Math.max(1, Math.floor(0.45 / Math.max(p.aPlus, p.aMinus, 1e-9))));
    const protoDw = protoDts.map(
      (d) => (stdpPairingProtocol({ w0: 0.5, offsetMs: d, pairs: nPairs, periodMs: 1000, params: p }).w - 0.5) / nPairs,
    );
    cWin.body.innerHTML = stdpWindowPlot({
      dts,
      dw: dts.map((d) => stdpWindow(d, p)),
      points: { dts: protoDts, dw: protoDw, label: 'protocol Δw / pair' },
      height: 320,
      title: ' ',
    });
    const dw = syn.w - w0;
    stats.innerHTML = '';
    stats.append(
      h('span', {}, 'final w ', h('b', { id: 'stdp-final-w' }, syn.w.toFixed(4))),
      h('span', {}, 'Δw ', h('b', { id: 'stdp-dw' }, dw.toFixed(4))),
      h('span', {}, `pre ${pre.length} / post ${post.length} spikes`),
    );
    // the window read off at the chosen Δt (one pair's Δw)
    const d = sOff.value();
    winOut.innerHTML = '';
    winOut.append(
      h(
        'span',
        {},
        `window at Δt = ${d} ms: Δw `,
        h('b', { id: 'stdp-window-dw', 'data-value': String(stdpWindow(d, p)) }, stdpWindow(d, p).toFixed(4)),
      ),
    );
    if (cPairs.body.childElementCount) pairings(); // keep the protocol's plot in step with the sliders once shown
  }
  render();
  return () => {};
}
