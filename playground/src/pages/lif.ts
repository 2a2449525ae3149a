// (a) LIF neuron lab: input current (constant, step, pulse train or seeded noise), tau_m, R, V_rest, threshold,
// reset mode, refractory period and dt as sliders; the membrane trace animates in, the analytic ISI is shown
// where it applies (a constant current, or a step after its onset), and the f-I curve (simulated and
// analytic) updates live. Example 1's Euler LIF (I 1.8, tau_m 20 ms, R 1, V_th 1, t_ref 4 ms, dt 1 ms):
// 10 spikes, 50 Hz, analytic ISI 20.22 ms.
import {
  Rng,
  simulateLif,
  lifParams,
  lifRheobase,
  lifAnalyticIsi,
  membranePlot,
  fiCurvePlot,
  type LifParams,
  type LifRun,
} from '../../../src/index.js';
import { card, h, pageShell, select, slider } from '../ui.js';

const DURATION_MS = 200;

/**
 * One run of the tutorials' LIF with reset either to V_reset (the library's simulateLif) or by subtracting
 * the threshold (snnTorch's default reset for Leaky), same Euler / exact integration and refractory period.
 */
export function runLif(current: number | ArrayLike<number>, steps: number, p: LifParams, reset: 'zero' | 'subtract'): LifRun {
  if (reset === 'zero') return simulateLif(current, steps, p);
  const v = new Float32Array(steps);
  const spikeSteps: number[] = [];
  let vm = p.vRest;
  let refr = 0;
  const decay = Math.exp(-p.dt / p.tauM);
  for (let t = 0; t < steps; t++) {
    if (refr > 0) refr--;
    else {
      const vInf = p.vRest + p.R * (typeof current === 'number' ? current : current[t]);
      vm = p.method === 'exact' ? vInf + (vm - vInf) * decay : vm + (p.dt / p.tauM) * (vInf - vm);
      if (vm >= p.threshold) {
        vm -= p.threshold;
        spikeSteps.push(t);
        refr = Math.round(p.refractory / p.dt);
      }
    }
    v[t] = vm;
  }
  return { v, spikeSteps, spikeTimes: spikeSteps.map((s) => (s + 1) * p.dt), rateHz: spikeSteps.length / ((steps * p.dt) / 1000) };
}

export type InputShape = 'constant' | 'step' | 'pulses' | 'noisy';

/**
 * The input current, one value per step of length dt (ms): constant I; a step from 0 to I at `onset` ms;
 * a pulse train of height I, `width` ms on every `period` ms (from t = 0); or I plus Gaussian noise of
 * standard deviation sigma drawn afresh each step from Rng(seed) (the same seed, the same current).
 */
export function inputCurrent(
  shape: InputShape,
  steps: number,
  dt: number,
  o: { I: number; onset: number; period: number; width: number; sigma: number; seed: number },
): Float32Array {
  const cur = new Float32Array(steps);
  const rng = new Rng(o.seed);
  for (let t = 0; t < steps; t++) {
    const time = t * dt; // the start of step t
    if (shape === 'constant') cur[t] = o.I;
    else if (shape === 'step') cur[t] = time >= o.onset ? o.I : 0;
    else if (shape === 'pulses') cur[t] = time % o.period < o.width ? o.I : 0;
    else cur[t] = o.I + o.sigma * rng.normal();
  }
  return cur;
}

export function mountLif(el: HTMLElement): () => void {
  const { controls, plots } = pageShell(
    el,
    'LIF neuron lab',
    'A leaky integrate-and-fire neuron, tau_m dV/dt = -(V - V_rest) + R I, driven for 200 ms by a constant current, a step, a pulse train or a noisy current. Below the rheobase (V_rest + R I < threshold) a constant current never makes it fire; above it, more current means more spikes.',
  );
  let raf = 0;
  const update = () => render();
  const sI = slider('lif-current', 'Input current I', { min: 0, max: 4, step: 0.05, value: 1.8 }, update);
  const shape = select(
    'lif-shape',
    'Input shape',
    [
      ['constant', 'constant I'],
      ['step', 'step: 0, then I from the onset'],
      ['pulses', 'pulse train of height I'],
      ['noisy', 'noisy: I + σ ξ (seeded)'],
    ],
    'constant',
    () => {
      showShape();
      render();
    },
  );
  const sOnset = slider('lif-onset', 'Step onset', { min: 0, max: 180, step: 1, value: 50, unit: 'ms', digits: 0 }, update);
  const sPeriod = slider('lif-period', 'Pulse period', { min: 2, max: 100, step: 1, value: 40, unit: 'ms', digits: 0 }, update);
  const sWidth = slider('lif-width', 'Pulse width', { min: 1, max: 100, step: 1, value: 20, unit: 'ms', digits: 0 }, update);
  const sSigma = slider('lif-sigma', 'Noise σ (per step)', { min: 0, max: 3, step: 0.05, value: 0.5 }, update);
  const sSeed = slider('lif-seed', 'Noise seed', { min: 1, max: 100, step: 1, value: 1, digits: 0 }, update);
  const shapeControls: Record<InputShape, HTMLElement[]> = {
    constant: [],
    step: [sOnset.el],
    pulses: [sPeriod.el, sWidth.el],
    noisy: [sSigma.el, sSeed.el],
  };
  const showShape = () => {
    const on = new Set(shapeControls[shape.input.value as InputShape]);
    for (const e of [sOnset.el, sPeriod.el, sWidth.el, sSigma.el, sSeed.el]) e.hidden = !on.has(e);
  };
  showShape();
  const sTau = slider('lif-tau', 'Membrane time constant τ_m', { min: 2, max: 100, step: 1, value: 20, unit: 'ms', digits: 0 }, update);
  const sR = slider('lif-r', 'Membrane resistance R', { min: 0.1, max: 5, step: 0.05, value: 1 }, update);
  const sRest = slider('lif-vrest', 'Resting potential V_rest (= V_reset)', { min: -1, max: 0.9, step: 0.05, value: 0 }, update);
  const sTh = slider('lif-threshold', 'Threshold V_th', { min: 0.2, max: 3, step: 0.05, value: 1 }, update);
  const reset = select(
    'lif-reset',
    'Reset mode',
    [
      ['zero', 'to V_reset = V_rest'],
      ['subtract', 'subtract threshold'],
    ],
    'zero',
    update,
  );
  const sRef = slider('lif-refractory', 'Refractory period', { min: 0, max: 20, step: 0.5, value: 2, unit: 'ms', digits: 1 }, update);
  const sDt = slider('lif-dt', 'Time step dt', { min: 0.1, max: 2, step: 0.1, value: 0.5, unit: 'ms', digits: 1 }, update);
  const method = select(
    'lif-method',
    'Integration',
    [
      ['euler', 'forward Euler'],
      ['exact', 'exact exponential'],
    ],
    'euler',
    update,
  );
  const stats = h('div', { class: 'stats' });
  controls.append(
    shape.el,
    sI.el,
    sOnset.el,
    sPeriod.el,
    sWidth.el,
    sSigma.el,
    sSeed.el,
    sTau.el,
    sR.el,
    sRest.el,
    sTh.el,
    reset.el,
    sRef.el,
    sDt.el,
    method.el,
    stats,
  );
  const mem = card('Input current and membrane potential', 'lif-membrane', 'wide');
  const fi = card('f-I curve for constant currents (simulated dots, analytic dashed)', 'lif-fi');
  plots.append(mem.el, fi.el);

  function render(): void {
    cancelAnimationFrame(raf);
    const dt = sDt.value();
    const tau = sTau.value();
    let p: LifParams;
    try {
      p = lifParams({
        tauM: tau,
        R: sR.value(),
        vRest: sRest.value(),
        vReset: sRest.value(),
        threshold: sTh.value(),
        refractory: sRef.value(),
        dt: Math.min(dt, tau / 2),
        method: method.input.value as LifParams['method'],
      });
    } catch (e) {
      stats.textContent = (e as Error).message;
      return;
    }
    const steps = Math.round(DURATION_MS / p.dt);
    const mode = reset.input.value as 'zero' | 'subtract';
    const I = sI.value();
    const kind = shape.input.value as InputShape;
    const current = inputCurrent(kind, steps, p.dt, {
      I,
      onset: sOnset.value(),
      period: sPeriod.value(),
      width: sWidth.value(),
      sigma: sSigma.value(),
      seed: sSeed.value(),
    });
    const run = runLif(current, steps, p, mode);
    const rheo = lifRheobase(p);
    // the analytic ISI holds for a constant current (from V_reset), so for the step after its onset too;
    // with subtractive reset the neuron restarts above V_rest, so the formula does not apply
    const analyticApplies = (kind === 'constant' || kind === 'step') && mode === 'zero';
    const isi = lifAnalyticIsi(I, p);
    const isis = run.spikeTimes.slice(1).map((t, i) => t - run.spikeTimes[i]);
    const meanIsi = isis.length ? isis.reduce((a, b) => a + b, 0) / isis.length : NaN;
    stats.innerHTML = '';
    stats.append(
      h('span', {}, 'spikes ', h('b', { id: 'lif-spike-count' }, String(run.spikeSteps.length))),
      h('span', {}, 'rate ', h('b', { id: 'lif-rate' }, run.rateHz.toFixed(1)), ' Hz'),
      h('span', {}, 'rheobase ', h('b', { id: 'lif-rheobase' }, rheo.toFixed(2))),
      h('span', {}, 'mean simulated ISI ', h('b', { id: 'lif-sim-isi' }, Number.isFinite(meanIsi) ? meanIsi.toFixed(2) : '–'), ' ms'),
      analyticApplies
        ? h(
            'span',
            {},
            'analytic ISI ',
            h('b', { id: 'lif-isi' }, Number.isFinite(isi) ? isi.toFixed(2) : '∞'),
            ' ms (',
            h('b', { id: 'lif-analytic-rate' }, Number.isFinite(isi) ? (1000 / isi).toFixed(1) : '0'),
            ' Hz)',
          )
        : h('span', { id: 'lif-isi-na' }, 'analytic ISI: only for a constant current (or a step, after its onset) with reset to V_rest'),
    );
    const hi = Math.max(4, I * 1.1, rheo * 2);
    const currents = Array.from({ length: 41 }, (_, i) => (hi * i) / 40);
    const rates = currents.map((c) => runLif(c, steps, p, mode).rateHz);
    const analytic =
      mode === 'zero'
        ? currents.map((c) => {
            const t = lifAnalyticIsi(c, p);
            return Number.isFinite(t) ? 1000 / t : 0;
          })
        : undefined;
    fi.body.innerHTML = fiCurvePlot({
      currents,
      rates,
      analytic,
      rheobase: rheo,
      marker: { current: I, rate: run.rateHz },
      width: 560,
      height: 340,
      title: ' ',
    });
    // animate: reveal the trace over ~0.8 s
    const t0 = performance.now();
    const frame = () => {
      const k = Math.max(1, Math.min(steps, Math.round(((performance.now() - t0) / 800) * steps)));
      const shown = run.spikeTimes.filter((t) => t <= k * p.dt);
      mem.body.innerHTML = membranePlot({
        v: run.v.subarray(0, k),
        dt: p.dt,
        current: current.subarray(0, k),
        spikeTimes: shown,
        threshold: p.threshold,
        vRest: p.vRest,
        duration: steps * p.dt,
        width: 900,
        height: 420,
      });
      mem.body.dataset.done = k >= steps ? '1' : '0';
      if (k < steps) raf = requestAnimationFrame(frame);
    };
    frame();
  }
  render();
  return () => cancelAnimationFrame(raf);
}
