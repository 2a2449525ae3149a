// Surrogate gradients: the spike S = H(x) with x = U - threshold, its true derivative (a Dirac delta at the
// threshold, drawn as a spike: zero everywhere else, so no gradient reaches the weights), and each of
// spikeflow's surrogate derivatives with its parameter and formula, all on one plot. The curves are the
// library's own `grad` functions (src/surrogate/index.ts), sampled on a grid; a table lists them at a few x.
import {
  atan,
  atanK,
  atanOverPi,
  fastSigmoid,
  gaussian,
  linePlot,
  sigmoid,
  spikeRateEscape,
  straightThrough,
  triangle,
  triangular,
  type Surrogate,
} from '../../../src/index.js';
import { card, h, pageShell, slider, type Slider } from '../ui.js';

interface ParamSpec {
  key: string;
  label: string;
  min: number;
  max: number;
  step: number;
  value: number;
}

interface SurrogateSpec {
  /** The library's name (Surrogate.name for all but the two atan forms, which are scaledAtan). */
  name: string;
  title: string;
  formula: string;
  params: ParamSpec[];
  on: boolean;
  make: (p: Record<string, number>) => Surrogate;
}

/** Every surrogate of the library, with the parameter the tutorials tune and its formula (x = U − threshold). */
export const SURROGATES: SurrogateSpec[] = [
  {
    name: 'fastSigmoid',
    title: 'fast sigmoid (snnTorch)',
    formula: '1 / (k|x| + 1)²',
    params: [{ key: 'slope', label: 'slope k', min: 1, max: 50, step: 1, value: 25 }],
    on: true,
    make: (p) => fastSigmoid({ slope: p.slope }),
  },
  {
    name: 'atan',
    title: 'arctangent (snnTorch)',
    formula: '(α/2) / (1 + (π α x / 2)²)',
    params: [{ key: 'alpha', label: 'alpha α', min: 0.5, max: 10, step: 0.1, value: 2 }],
    on: true,
    make: (p) => atan({ alpha: p.alpha }),
  },
  {
    name: 'sigmoid',
    title: 'sigmoid (snnTorch, default k 25)',
    formula: 'k e^(−kx) / (1 + e^(−kx))²',
    params: [{ key: 'slope', label: 'slope k', min: 1, max: 50, step: 1, value: 4 }],
    on: true,
    make: (p) => sigmoid({ slope: p.slope }),
  },
  {
    name: 'triangle',
    title: 'triangle (textbook)',
    formula: 'max(0, 1 − |x| / w)',
    params: [{ key: 'width', label: 'width w', min: 0.1, max: 2, step: 0.05, value: 1 }],
    on: true,
    make: (p) => triangle({ width: p.width }),
  },
  {
    name: 'atanOverPi',
    title: 'arctangent, tutorial 6 as written',
    formula: '(1/π) / (1 + (π x)²)',
    params: [],
    on: true,
    make: () => atanOverPi(),
  },
  {
    name: 'atanK',
    title: 'arctangent with k',
    formula: '1 / (1 + (π k x)²)',
    params: [{ key: 'k', label: 'k', min: 0.1, max: 5, step: 0.1, value: 1 }],
    on: false,
    make: (p) => atanK({ k: p.k }),
  },
  {
    name: 'gaussian',
    title: 'Gaussian',
    formula: 'exp(−x² / 2σ²) / (σ √(2π))',
    params: [{ key: 'sigma', label: 'sigma σ', min: 0.1, max: 2, step: 0.05, value: 0.5 }],
    on: false,
    make: (p) => gaussian({ sigma: p.sigma }),
  },
  {
    name: 'triangular',
    title: 'triangular (snnTorch 0.9.4, sign-flipped)',
    formula: '+thr for x < 0, −thr for x ≥ 0',
    params: [{ key: 'threshold', label: 'threshold', min: 0.1, max: 2, step: 0.1, value: 1 }],
    on: false,
    make: (p) => triangular({ threshold: p.threshold }),
  },
  {
    name: 'spikeRateEscape',
    title: 'spike-rate escape (snnTorch)',
    formula: 'k e^(−β |x − 1|)',
    params: [
      { key: 'beta', label: 'beta β', min: 0.1, max: 5, step: 0.1, value: 1 },
      { key: 'slope', label: 'slope k', min: 0.1, max: 25, step: 0.1, value: 1 },
    ],
    on: false,
    make: (p) => spikeRateEscape({ beta: p.beta, slope: p.slope }),
  },
  {
    name: 'straightThrough',
    title: 'straight-through estimator',
    formula: '1',
    params: [],
    on: false,
    make: () => straightThrough(),
  },
];

/** Curve colours: PALETTE without black (the step) and vermilion (the Dirac), then four more distinct ones. */
const COLORS = ['#0072b2', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#882255', '#44aa99', '#999933', '#6a3d9a', '#b8860b'];

/** The x values of the table (x = U − threshold). */
export const SAMPLE_X = [-1, -0.5, -0.1, 0, 0.1, 0.5, 1];
const X_RANGE: [number, number] = [-2, 2];
const N = 801;

export function mountSurrogates(el: HTMLElement): () => void {
  const { controls, plots } = pageShell(
    el,
    'Surrogate gradients',
    'A spike is a step, S = H(U − threshold): its true derivative is a Dirac delta, zero everywhere except at the threshold, so backpropagation would never move a weight. A surrogate keeps the step in the forward pass and uses a smooth bump for dS/dU in the backward pass. Tick surrogates to compare them; their parameters set how wide and tall the bump is.',
  );
  const update = () => render();
  const rows: Array<{ spec: SurrogateSpec; on: HTMLInputElement; sliders: Array<[string, Slider]> }> = [];
  for (const spec of SURROGATES) {
    const on = h('input', { type: 'checkbox', id: `sg-on-${spec.name}` });
    on.checked = spec.on;
    on.addEventListener('change', update);
    const sliders = spec.params.map(
      (q) =>
        [
          q.key,
          slider(
            `sg-${spec.name}-${q.key}`,
            q.label,
            { min: q.min, max: q.max, step: q.step, value: q.value, digits: q.step < 1 ? 2 : 0 },
            update,
          ),
        ] as [string, Slider],
    );
    const box = h(
      'fieldset',
      { class: 'surrogate' },
      h('legend', {}, h('label', { class: 'check' }, on, ` ${spec.title}`)),
      h('div', { class: 'formula' }, h('code', {}, `${spec.name}: dS/dx = ${spec.formula}`)),
      ...sliders.map(([, s]) => s.el),
    );
    controls.append(box);
    rows.push({ spec, on, sliders });
  }
  const plot = card('The spike H(x), its true derivative δ(x), and the surrogates dS/dx (x = U − threshold)', 'sg-plot', 'wide');
  const table = card('Surrogate dS/dx at sample points (the library’s grad)', 'sg-table', 'wide');
  plots.append(plot.el, table.el);

  function render(): void {
    const xs = Float64Array.from({ length: N }, (_, i) => X_RANGE[0] + ((X_RANGE[1] - X_RANGE[0]) * i) / (N - 1));
    const active = rows
      .filter((r) => r.on.checked)
      .map((r) => {
        const p = Object.fromEntries(r.sliders.map(([k, s]) => [k, s.value()]));
        return { spec: r.spec, p, s: r.spec.make(p) };
      });
    // series labels: the library's name, then key=value for each parameter (the test reads them back)
    const curves = active.map(({ spec, p, s }, i) => ({
      x: xs,
      y: xs.map((x) => s.grad(x)),
      label: [spec.name, ...Object.entries(p).map(([k, v]) => `${k}=${v}`)].join(' '),
      color: COLORS[i % COLORS.length],
    }));
    let top = 1.2;
    for (const c of curves) for (const v of c.y) if (v * 1.1 > top) top = v * 1.1;
    let bottom = 0;
    for (const c of curves) for (const v of c.y) if (v < bottom) bottom = v * 1.1;
    const svg = linePlot({
      series: [
        { x: [X_RANGE[0], 0, 0, X_RANGE[1]], y: [0, 0, 1, 1], label: 'spike S = H(x)', color: '#111', dash: '6 3' },
        { x: [0, 0], y: [0, top], label: 'true dS/dx = δ(x) (∞ at 0)', color: '#d55e00' },
        ...curves,
      ],
      xLabel: 'x = U − threshold',
      yLabel: 'S, dS/dx',
      xRange: X_RANGE,
      yRange: [bottom, top],
      width: 900,
      height: 440,
    });
    // an arrowhead on the Dirac line: it points past the top of the axes (infinite height, unit area)
    plot.body.innerHTML = svg.replace(
      /(<g class="series" data-index="1"[^>]*>)(<polyline[^>]*points="([\d.]+),[\d.]+ [\d.]+,([\d.]+)"\/>)/,
      (_m, g, line, x, y) =>
        `${g}${line}<polygon class="dirac-arrow" points="${x},${Number(y) - 2} ${Number(x) - 6},${Number(y) + 10} ${Number(x) + 6},${Number(y) + 10}" fill="#d55e00"/>`,
    );
    const head = h('tr', {}, h('th', {}, 'surrogate'), ...SAMPLE_X.map((x) => h('th', {}, `x = ${x}`)));
    const body = active.map(({ spec, s }) =>
      h(
        'tr',
        { 'data-name': spec.name },
        h('td', {}, spec.name),
        ...SAMPLE_X.map((x) => h('td', { 'data-x': String(x), 'data-value': String(s.grad(x)) }, s.grad(x).toFixed(4))),
      ),
    );
    table.body.innerHTML = '';
    table.body.append(h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, head), h('tbody', {}, ...body))));
    plot.body.dataset.series = String(curves.length);
  }
  render();
  return () => {};
}
