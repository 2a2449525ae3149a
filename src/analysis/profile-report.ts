// The profile as Markdown and as an SVG bar chart (compute + memory energy per layer, SNN beside ANN).
import { barPlot } from '../viz/plots.js';
import type { Profile } from './profile.js';

const f = (x: number, d = 2) => x.toLocaleString('en-US', { maximumFractionDigits: d });
const pct = (x: number) => `${f(100 * x, 2)}%`;

export function profileMarkdown(p: Profile, title: string): string {
  const E = p.energyModel;
  const head =
    '| layer | neurons | spike rate | events | ACs | MACs | ANN MACs | weight reads (SNN / ANN) | compute nJ (SNN / ANN) | compute+SRAM nJ (SNN / ANN) | tutorial formula nJ | break-even input rate (compute / +SRAM) |';
  const rows = p.rows.map((r) =>
    [
      r.layer,
      r.neurons || '',
      r.neurons || r.input === 'spikes' || r.input === 'analog-steps' ? pct(r.spikeRate) : r.input === 'analog' ? 'analog' : '',
      f(r.events, 1),
      f(r.acs, 0),
      f(r.macs, 0),
      f(r.annMacs, 0),
      `${f(r.weightReads, 0)} / ${f(r.annWeightReads, 0)}`,
      `${f(r.computeNj, 1)} / ${f(r.annComputeNj, 1)}`,
      `${f(r.computeNj + r.memoryNj, 1)} / ${f(r.annComputeNj + r.annMemoryNj, 1)}`,
      r.tutorialNj === null ? '' : f(r.tutorialNj, 1),
      r.breakEvenRate ? `${pct(r.breakEvenRate.compute)} / ${pct(r.breakEvenRate.withMemory)}` : '',
    ].join(' | '),
  );
  const t = p.totals;
  return [
    `# ${title}`,
    '',
    `${p.samples} samples, ${p.steps} time step(s), ${p.input} input. Per sample; an ESTIMATE from counted operations and memory accesses, not a measurement.`,
    '',
    head,
    `|${'---|'.repeat(12)}`,
    ...rows.map((r) => `| ${r} |`),
    `| **total** | ${t.neurons} | | ${f(t.events, 1)} | ${f(t.acs, 0)} | ${f(t.macs, 0)} | ${f(t.annMacs, 0)} | ${f(t.weightReads, 0)} / ${f(t.annWeightReads, 0)} | ${f(t.computeNj, 1)} / ${f(t.annComputeNj, 1)} | ${f(t.computeNj + t.memoryNj, 1)} / ${f(t.annComputeNj + t.annMemoryNj, 1)} | ${f(t.tutorialNj, 1)} | |`,
    '',
    `| total per sample | SNN | ANN | SNN / ANN |`,
    '|---|---|---|---|',
    `| compute only | ${f(t.computeNj, 1)} nJ | ${f(t.annComputeNj, 1)} nJ | ${f(t.computeNj / t.annComputeNj, 3)} |`,
    `| compute + SRAM | ${f(t.computeNj + t.memoryNj, 1)} nJ | ${f(t.annComputeNj + t.annMemoryNj, 1)} nJ | ${f((t.computeNj + t.memoryNj) / (t.annComputeNj + t.annMemoryNj), 3)} |`,
    `| compute + DRAM | ${f(t.dramNj, 1)} nJ | ${f(t.annDramNj, 1)} nJ | ${f(t.dramNj / t.annDramNj, 3)} |`,
    '',
    `Energy model (45 nm, Horowitz ISSCC 2014): ${E.acPj} pJ per accumulate, ${E.macPj} pJ per multiply-accumulate, ${E.sramPj} pJ per 32-bit SRAM access, ${E.dramPj} pJ per 32-bit DRAM access.`,
    "The tutorials' formula takes the ANN layer's energy times the spike rate (E_SNN = rate x E_ANN); with the time steps and the",
    `cost of an accumulate it is E_SNN = rate x T x fan-in x fan-out x E_AC against E_ANN = fan-in x fan-out x E_MAC, and each event`,
    'also reads a weight and updates its target (3 accesses), and every neuron reads and writes its membrane every step.',
    '',
  ].join('\n');
}

/** Compute + SRAM energy per layer with any cost, SNN and ANN bars side by side. */
export function profileSvg(p: Profile, title: string): string {
  const rows = p.rows.filter((r) => r.computeNj + r.memoryNj + r.annComputeNj + r.annMemoryNj > 0);
  return barPlot({
    title,
    values: rows.flatMap((r) => [r.computeNj + r.memoryNj, r.annComputeNj + r.annMemoryNj]),
    labels: rows.flatMap((r) => [`${r.layer} SNN`, 'ANN']),
    xLabel: 'layer (SNN, then its ANN twin)',
    yLabel: 'compute + SRAM energy per sample (nJ)',
    width: Math.max(520, 90 * rows.length * 2),
  });
}
