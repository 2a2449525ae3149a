// (a) LIF neuron lab: input current, tau_m, threshold, reset mode, refractory period and dt as sliders;
// the membrane trace animates in, the f-I curve (simulated and analytic) updates live.
import {
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
export function runLif(current: number, steps: number, p: LifParams, reset: 'zero' | 'subtract'): LifRun {
  if (reset === 'zero') return simulateLif(current, steps, p);
  const v = new Float32Array(steps);
  const spikeSteps: number[] = [];
  let vm = p.vRest;
  let refr = 0;
  const decay = Math.exp(-p.dt / p.tauM);
  for (let t = 0; t < steps; t++) {
    if (refr > 0) refr--;
    else {
      const vInf = p.vRest + p.R * current;
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

export function mountLif(el: HTMLElement): () => void {
  const { controls, plots } = pageShell(
    el,
    'LIF neuron lab',
    'A leaky integrate-and-fire neuron, tau_m dV/dt = -(V - V_rest) + R I, driven by a constant current for 200 ms. Below the rheobase (R I < threshold) it never fires; above it, more current means more spikes.',
  );
  let raf = 0;
  const update = () => render();
  const sI = slider('lif-current', 'Input current I', { min: 0, max: 4, step: 0.05, value: 1.8 }, update);
  const sTau = slider('lif-tau', 'Membrane time constant τ_m', { min: 2, max: 100, step: 1, value: 20, unit: 'ms', digits: 0 }, update);
  const sTh = slider('lif-threshold', 'Threshold V_th', { min: 0.2, max: 3, step: 0.05, value: 1 }, update);
  const reset = select(
    'lif-reset',
    'Reset mode',
    [
      ['zero', 'to V_reset = 0'],
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
  controls.append(sI.el, sTau.el, sTh.el, reset.el, sRef.el, sDt.el, method.el, stats);
  const mem = card('Input current and membrane potential', 'lif-membrane', 'wide');
  const fi = card('f-I curve (simulated dots, analytic dashed)', 'lif-fi');
  plots.append(mem.el, fi.el);

  function render(): void {
    cancelAnimationFrame(raf);
    const dt = sDt.value();
    const tau = sTau.value();
    let p: LifParams;
    try {
      p = lifParams({
        tauM: tau,
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
    const run = runLif(I, steps, p, mode);
    const rheo = lifRheobase(p);
    const isi = lifAnalyticIsi(I, p);
    stats.innerHTML = '';
    stats.append(
      h('span', {}, 'spikes ', h('b', { id: 'lif-spike-count' }, String(run.spikeSteps.length))),
      h('span', {}, 'rate ', h('b', { id: 'lif-rate' }, run.rateHz.toFixed(1)), ' Hz'),
      h('span', {}, 'rheobase ', h('b', { id: 'lif-rheobase' }, rheo.toFixed(2))),
      h('span', {}, 'analytic ', h('b', {}, Number.isFinite(isi) ? (1000 / isi).toFixed(1) : '0'), ' Hz'),
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
        current: new Float32Array(k).fill(I),
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
