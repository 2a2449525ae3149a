// (f) NIR: open a .nir file (drag and drop, file chooser or a built-in example), draw its graph (nodes with
// types and shapes, edges, back edges dashed) and run it with spikeflow's NIR executor on an input (random
// spikes, random currents or a pattern drawn on a time x channel grid), revealing each spiking node's raster
// step by step while the graph's boxes light up with their spikes. A broken file gives the reader's typed
// error as text. This page is loaded on demand (main.ts), and h5wasm only when a file is read.
import { Rng, Tensor, rasterPlot } from '../../../src/index.js';
import { fromNir, type NirGraph, type NirModel, readNir } from '../../../src/nir/index.js';
import { nirGraphSvg, summarizeNir } from '../../../src/nir/inspect.js';
import { card, errorText, h, pageShell, select, slider } from '../ui.js';

const EXAMPLES: Array<[string, string]> = [
  ['braille.nir', 'Braille reader (snnTorch, recurrent CubaLIF)'],
  ['nested-recurrent.nir', 'Nested recurrent graph (NIR 1.0.7)'],
];
const DTS: Array<[string, string]> = ['1e-5', '1e-4', '2e-4', '5e-4', '1e-3', '2e-3', '5e-3'].map((v) => [v, `${v} s`]);
/** Neurons drawn per raster at most (the rest are counted, not drawn). */
const MAX_ROWS = 200;
/** Rows of the drawing grid at most: with more input channels, each row drives a block of them. */
const MAX_GRID_ROWS = 48;

interface Loaded {
  name: string;
  graph: NirGraph;
}

interface Raster {
  path: string;
  rects: SVGRectElement[];
  next: number;
  /** Fraction of the node's neurons spiking at each step (for the graph's boxes). */
  activity: Float32Array;
  box: SVGRectElement | null;
  baseFill: string;
}

async function gunzipIfNeeded(bytes: Uint8Array): Promise<Uint8Array> {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export function mountNir(el: HTMLElement): () => void {
  const { controls, plots } = pageShell(
    el,
    'NIR graphs: open, draw, run',
    'Open a .nir file (the Neuromorphic Intermediate Representation that snnTorch, Norse, Sinabs, Rockpool, Lava and the neuromorphic chips exchange) by dropping it here or choosing it, or pick an example. Its graph is drawn (recurrent back edges dashed: they deliver the previous step) and it runs on spikeflow with forward-Euler steps of dt on the input below; each spiking node shows its raster as the steps go by.',
  );
  let loaded: Loaded | null = null;
  let model: NirModel | null = null;
  let raf = 0;
  let pattern = new Uint8Array(0);
  let gridRows = 1;
  let seed = 1;

  // ---- file controls
  const drop = h('div', { class: 'dropzone', id: 'nir-drop', tabindex: '0' }, 'Drop a .nir file here, or ');
  const fileInput = h('input', { type: 'file', id: 'nir-file', accept: '.nir,.h5,.hdf5,.gz' });
  const choose = h('button', { class: 'secondary', id: 'nir-choose' }, 'choose one…');
  drop.append(choose, fileInput);
  const example = select('nir-example', 'Example', EXAMPLES, EXAMPLES[0][0], () => void loadExample(example.input.value));
  const loadEx = h('button', { class: 'secondary', id: 'nir-load-example' }, 'Load example');
  const errorBox = h('div', { class: 'error', id: 'nir-error', role: 'alert', hidden: '' });
  const info = h('div', { class: 'stats', id: 'nir-info' }, 'no file yet');

  // ---- run controls
  const rerun = () => run();
  const sSteps = slider('nir-steps', 'Time steps T', { min: 10, max: 400, step: 10, value: 100, digits: 0 }, () => {
    resizePattern();
    drawGrid();
    run();
  });
  const dtSel = select('nir-dt', 'dt (forward Euler)', DTS, '1e-4', () => {
    rebuild();
    run();
  });
  const mode = select(
    'nir-input-mode',
    'Input',
    [
      ['spikes', 'random spikes (Bernoulli per step)'],
      ['currents', 'random constant currents'],
      ['drawn', 'drawn pattern (grid below)'],
    ],
    'spikes',
    () => {
      gridCard.el.hidden = mode.input.value !== 'drawn';
      run();
    },
  );
  const sRate = slider('nir-rate', 'Spike probability per step', { min: 0.02, max: 1, step: 0.02, value: 0.3 }, rerun);
  const sGain = slider('nir-gain', 'Input amplitude', { min: 0.1, max: 20, step: 0.1, value: 1, digits: 1 }, rerun);
  const reseed = h('button', { class: 'secondary', id: 'nir-reseed' }, 'New random input');
  const runBtn = h('button', { id: 'nir-run', disabled: '' }, 'Run');
  const runInfo = h('div', { class: 'stats', id: 'nir-run-info' });
  controls.append(
    drop,
    h('div', { class: 'row' }, example.el, loadEx),
    errorBox,
    info,
    sSteps.el,
    dtSel.el,
    mode.el,
    sRate.el,
    sGain.el,
    h('div', { class: 'row' }, runBtn, reseed),
    runInfo,
  );

  const graphCard = card('Graph', 'nir-graph', 'wide');
  const gridCard = card('Input pattern: click or drag to toggle cells (time → , input channels ↓)', 'nir-grid-card', 'wide');
  const grid = h('canvas', { id: 'nir-grid', class: 'grid', width: '800', height: '200' });
  gridCard.body.append(grid);
  gridCard.el.hidden = true;
  const rasters = h('div', { id: 'nir-rasters', class: 'plots wide' });
  plots.append(graphCard.el, gridCard.el, rasters);

  // ---- loading
  const showError = (e: unknown) => {
    errorBox.hidden = false;
    errorBox.textContent = errorText(e);
    errorBox.dataset.type = e instanceof Error ? e.name : 'Error';
  };
  const clearError = () => {
    errorBox.hidden = true;
    errorBox.textContent = '';
    delete errorBox.dataset.type;
  };

  async function loadBytes(bytes: Uint8Array, name: string): Promise<void> {
    cancelAnimationFrame(raf);
    clearError();
    info.textContent = `reading ${name}…`;
    delete info.dataset.ready;
    loaded = null;
    model = null;
    runBtn.disabled = true;
    graphCard.body.innerHTML = '';
    rasters.innerHTML = '';
    runInfo.textContent = '';
    try {
      const graph = await readNir(await gunzipIfNeeded(bytes), { file: name });
      loaded = { name, graph };
      const s = summarizeNir(graph);
      graphCard.body.innerHTML = nirGraphSvg(graph, name);
      const back = s.edges.filter((e) => e.back).length;
      const inputs = s.nodes.filter((n) => n.type === 'Input' && !n.path.includes('/'));
      info.replaceChildren(
        h('span', {}, 'file ', h('b', {}, name)),
        h('span', {}, 'NIR ', h('b', {}, graph.version ?? '?')),
        h('span', {}, h('b', { id: 'nir-node-count' }, String(s.nodes.filter((n) => n.type !== 'NIRGraph').length)), ' nodes'),
        h('span', {}, h('b', { id: 'nir-edge-count' }, String(s.edges.length)), ' edges'),
        h('span', {}, h('b', { id: 'nir-back-count' }, String(back)), ' back edges'),
        h('span', {}, 'input ', h('b', {}, inputs.map((n) => `[${n.outShape?.join(', ') ?? '?'}]`).join(' ') || '–')),
      );
      info.dataset.ready = '1';
    } catch (e) {
      info.textContent = `${name}: not loaded`;
      showError(e);
      return;
    }
    rebuild();
    resizePattern(true);
    drawGrid();
    run();
  }

  async function loadExample(file: string): Promise<void> {
    try {
      const r = await fetch(new URL(`nir/${file}`, document.baseURI));
      if (!r.ok) throw new Error(`nir/${file}: HTTP ${r.status}`);
      await loadBytes(new Uint8Array(await r.arrayBuffer()), file);
    } catch (e) {
      showError(e);
    }
  }

  const loadFile = async (f: File) => loadBytes(new Uint8Array(await f.arrayBuffer()), f.name);
  choose.addEventListener('click', () => fileInput.click());
  fileInput.addEventListener('change', () => {
    const f = fileInput.files?.[0];
    if (f) void loadFile(f);
    fileInput.value = '';
  });
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer?.files?.[0];
    if (f) void loadFile(f);
  });
  loadEx.addEventListener('click', () => void loadExample(example.input.value));
  reseed.addEventListener('click', () => {
    seed++;
    run();
  });
  runBtn.addEventListener('click', () => run());

  // ---- the model
  function rebuild(): void {
    model = null;
    runBtn.disabled = true;
    if (!loaded) return;
    try {
      model = fromNir(loaded.graph, { dt: Number(dtSel.input.value) });
      runBtn.disabled = false;
    } catch (e) {
      showError(e);
    }
  }

  const firstInputSize = () => {
    const shapes = model ? Object.values(model.inputs) : [];
    return shapes.length ? shapes[0].reduce((a, b) => a * b, 1) : 1;
  };

  // ---- the drawn pattern: T columns x gridRows rows (row r drives a block of input channels)
  function resizePattern(reset = false): void {
    const T = sSteps.value();
    const F = firstInputSize();
    const rows = Math.min(F, MAX_GRID_ROWS);
    const old = pattern;
    const oldT = old.length / gridRows || 0;
    const next = new Uint8Array(T * rows);
    if (!reset && rows === gridRows && oldT > 0)
      for (let t = 0; t < T; t++) for (let r = 0; r < rows; r++) next[t * rows + r] = old[(t % oldT) * rows + r];
    else
      for (let t = 0; t < T; t++)
        for (let r = 0; r < rows; r++) {
          // a sweep across the channels, firing every other step
          const centre = ((t / T) * rows * 1.5) % rows;
          next[t * rows + r] = Math.abs(r - centre) < Math.max(1, rows / 6) && t % 2 === 0 ? 1 : 0;
        }
    pattern = next;
    gridRows = rows;
  }

  function drawGrid(): void {
    const T = sSteps.value();
    const rows = gridRows;
    grid.height = Math.max(60, Math.min(300, rows * 10));
    const ctx = grid.getContext('2d')!;
    const cw = grid.width / T;
    const ch = grid.height / rows;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, grid.width, grid.height);
    ctx.fillStyle = '#12263a';
    for (let t = 0; t < T; t++)
      for (let r = 0; r < rows; r++) if (pattern[t * rows + r]) ctx.fillRect(t * cw, r * ch, Math.max(1, cw - 0.5), Math.max(1, ch - 0.5));
    grid.dataset.on = String(pattern.reduce((a, b) => a + b, 0));
  }

  let painting = -1;
  const cellAt = (e: PointerEvent): [number, number] => {
    const b = grid.getBoundingClientRect();
    const t = Math.floor(((e.clientX - b.left) / b.width) * sSteps.value());
    const r = Math.floor(((e.clientY - b.top) / b.height) * gridRows);
    return [Math.min(sSteps.value() - 1, Math.max(0, t)), Math.min(gridRows - 1, Math.max(0, r))];
  };
  const paint = (e: PointerEvent) => {
    const [t, r] = cellAt(e);
    const i = t * gridRows + r;
    if (painting < 0) painting = pattern[i] ? 0 : 1;
    if (pattern[i] === painting) return;
    pattern[i] = painting;
    drawGrid();
  };
  grid.addEventListener('pointerdown', (e) => {
    painting = -1;
    grid.setPointerCapture?.(e.pointerId);
    paint(e);
  });
  grid.addEventListener('pointermove', (e) => {
    if (painting >= 0) paint(e);
  });
  const endPaint = () => {
    if (painting < 0) return;
    painting = -1;
    run();
  };
  grid.addEventListener('pointerup', endPaint);
  grid.addEventListener('pointercancel', endPaint);

  // ---- the input
  function inputFor(shape: number[], T: number, k: number, rng: Rng): Tensor {
    const F = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(T * F);
    const gain = sGain.value();
    const m = mode.input.value;
    if (m === 'drawn' && k === 0) {
      for (let t = 0; t < T; t++)
        for (let f = 0; f < F; f++) data[t * F + f] = pattern[t * gridRows + Math.floor((f * gridRows) / F)] ? gain : 0;
    } else if (m === 'currents') {
      const level = Float32Array.from({ length: F }, () => gain * rng.uniform());
      for (let t = 0; t < T; t++) data.set(level, t * F);
    } else {
      const p = sRate.value();
      for (let i = 0; i < data.length; i++) data[i] = rng.uniform() < p ? gain : 0;
    }
    return new Tensor(data, [T, 1, ...shape]);
  }

  // ---- running and the live rasters
  function run(): void {
    cancelAnimationFrame(raf);
    if (!model || !loaded) return;
    clearError();
    const T = sSteps.value();
    const dtMs = Number(dtSel.input.value) * 1000;
    const rng = new Rng(seed);
    const names = Object.keys(model.inputs);
    const given: Record<string, Tensor> = {};
    names.forEach((n, k) => {
      given[n] = inputFor(model!.inputs[n], T, k, rng);
    });
    let result: ReturnType<NirModel['forward']>;
    const t0 = performance.now();
    try {
      result = model.forward(names.length === 1 ? given[names[0]] : given);
    } catch (e) {
      showError(e);
      return;
    }
    const ms = performance.now() - t0;
    rasters.innerHTML = '';
    const shown: Raster[] = [];
    let total = 0;
    const svg = graphCard.body.querySelector('svg');
    for (const [path, rec] of Object.entries(result.records)) {
      if (!rec.spk) continue;
      const N = rec.spk.size / T;
      const rows = Math.min(N, MAX_ROWS);
      const spikes = new Uint8Array(T * rows);
      const activity = new Float32Array(T);
      let count = 0;
      for (let t = 0; t < T; t++) {
        let a = 0;
        for (let n = 0; n < N; n++) {
          const s = rec.spk.data[t * N + n] ? 1 : 0;
          a += s;
          if (n < rows) spikes[t * rows + n] = s;
        }
        activity[t] = a / N;
        count += a;
      }
      total += count;
      const c = card(`${path}: ${N} neurons${N > rows ? ` (first ${rows} drawn)` : ''}, ${count} spikes`, undefined, 'raster');
      c.el.dataset.node = path;
      c.el.dataset.spikes = String(count);
      c.body.innerHTML = rasterPlot({
        spikes,
        steps: T,
        neurons: rows,
        dt: dtMs,
        duration: T * dtMs,
        xLabel: 'time (ms)',
        yLabel: 'neuron',
        height: Math.max(160, Math.min(420, 70 + rows * 6)),
      });
      rasters.append(c.el);
      const rects = [...c.body.querySelectorAll<SVGRectElement>('rect.spike')];
      rects.sort((a, b) => Number(a.dataset.t) - Number(b.dataset.t));
      for (const r of rects) r.style.visibility = 'hidden';
      const box = svg?.querySelector<SVGRectElement>(`g.node[data-path="${CSS.escape(path)}"] rect`) ?? null;
      shown.push({ path, rects, next: 0, activity, box, baseFill: box?.getAttribute('fill') ?? '#fff' });
    }
    if (!shown.length)
      rasters.append(h('p', { class: 'note' }, 'This graph has no spiking node (of the neurons, only IF, LIF and CubaLIF spike).'));
    runInfo.replaceChildren(
      h('span', {}, h('b', {}, `${T}`), ' steps of ', h('b', {}, `${dtMs.toPrecision(2)} ms`)),
      h('span', {}, 'run in ', h('b', {}, `${ms.toFixed(1)} ms`)),
      h('span', {}, h('b', { id: 'nir-spike-count', 'data-total': String(total) }, '0'), ` / ${total} spikes shown`),
    );
    rasters.dataset.done = '0';
    animate(shown, T, dtMs);
  }

  function animate(shown: Raster[], T: number, dtMs: number): void {
    const counter = document.getElementById('nir-spike-count');
    const perFrame = Math.max(1, Math.ceil(T / 90)); // about 1.5 s at 60 frames per second
    let k = 0;
    let revealed = 0;
    const frame = () => {
      k = Math.min(T, k + perFrame);
      const tk = (k - 1) * dtMs + 1e-9;
      for (const r of shown) {
        while (r.next < r.rects.length && Number(r.rects[r.next].dataset.t) <= tk) {
          r.rects[r.next++].style.visibility = 'visible';
          revealed++;
        }
        if (r.box) {
          const a = r.activity[k - 1];
          r.box.setAttribute(
            'fill',
            a > 0 ? `rgb(255, ${Math.round(235 - 140 * Math.min(1, a * 2))}, ${Math.round(200 - 180 * Math.min(1, a * 2))})` : r.baseFill,
          );
        }
      }
      if (counter) counter.textContent = String(revealed);
      if (k < T) raf = requestAnimationFrame(frame);
      else {
        for (const r of shown) r.box?.setAttribute('fill', r.baseFill);
        rasters.dataset.done = '1';
      }
    };
    raf = requestAnimationFrame(frame);
  }

  void loadExample(EXAMPLES[0][0]);
  return () => cancelAnimationFrame(raf);
}
