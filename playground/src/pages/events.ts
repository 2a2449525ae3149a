// (g) Event camera: play an event file (N-MNIST .bin, AEDAT 2/3/4, Prophesee .dat / EVT 2.0 .raw, .npy) as an
// animation in which events accumulate and fade (ON warm, OFF cool), with play/pause, speed, fading and a
// seek bar; next to it the DVS emulator turns a digit drawn on a canvas into events live, the N-MNIST way
// (three saccades over the static image, 34 x 34 sensor), with the event count and rate over time.
import { Rng } from '../../../src/index.js';
import { emulateSaccades, type Events, isSorted, readEvents, searchSorted, selectEvents } from '../../../src/events/index.js';
import { mnistFromDrawing } from '../preprocess.js';
import { card, errorText, h, pageShell, select, slider } from '../ui.js';

const EXAMPLES: Array<[string, string]> = [
  ['nmnist-sample.bin', 'N-MNIST recording (300 events)'],
  ['davis-sample.aedat4', 'DVXplorer, AEDAT 4 (1,862 events)'],
];
const ON: readonly [number, number, number] = [255, 176, 32];
const OFF: readonly [number, number, number] = [40, 150, 255];
const BG: readonly [number, number, number] = [11, 15, 20];
/** The emulated recording: three saccades of 100 ms. */
const SACCADES_US = 300_000;

/**
 * Plays events on a canvas of the sensor's size: each pixel holds an ON and an OFF level; an event adds 1
 * to its pixel's level, which then decays as exp(-age / tau) in event time.
 */
class Player {
  readonly canvas: HTMLCanvasElement;
  private ctx: CanvasRenderingContext2D;
  private img: ImageData | null = null;
  private on = new Float32Array(0);
  private off = new Float32Array(0);
  ev: Events | null = null;
  private t0 = 0;
  /** Duration of the events in microseconds. */
  span = 0;
  /** Playback time since the first event (microseconds) and the next event to show. */
  now = 0;
  next = 0;
  playing = false;
  constructor(
    id: string,
    public speed: number,
    public tau: number,
    public loop: boolean,
  ) {
    this.canvas = h('canvas', { id, class: 'events', width: '34', height: '34' });
    this.ctx = this.canvas.getContext('2d')!;
  }

  /** `t0`: the time playback starts at (default the first event's), `span`: its length (default up to the last event). */
  setEvents(ev: Events, o: { t0?: number; span?: number } = {}): void {
    const [w, hgt] = ev.sensorSize;
    if (!isSorted(ev)) {
      const idx = Array.from(ev.t, (_, i) => i).sort((a, b) => ev.t[a] - ev.t[b] || a - b);
      ev = selectEvents(ev, idx);
    }
    this.ev = ev;
    this.t0 = o.t0 ?? (ev.t.length ? ev.t[0] : 0);
    this.span = o.span ?? (ev.t.length ? ev.t[ev.t.length - 1] - this.t0 : 0);
    if (this.canvas.width !== w || this.canvas.height !== hgt || !this.img) {
      this.canvas.width = w;
      this.canvas.height = hgt;
      this.img = this.ctx.createImageData(w, hgt);
      this.on = new Float32Array(w * hgt);
      this.off = new Float32Array(w * hgt);
    }
    this.seek(0);
  }

  /** Shows the state at `t` microseconds after the first event (events up to and including t). */
  seek(t: number): void {
    this.now = Math.max(0, Math.min(t, this.span));
    this.on.fill(0);
    this.off.fill(0);
    const ev = this.ev;
    if (!ev) {
      this.draw();
      return;
    }
    const from = searchSorted(ev.t, this.t0 + this.now - 8 * this.tau);
    this.next = from;
    // events before `from` have faded below exp(-8); the loop below counts them as shown
    this.add(this.t0 + this.now);
    this.next = Math.max(this.next, from);
    this.draw();
  }

  /** Events shown so far. */
  get shown(): number {
    return this.next;
  }

  /** Adds every event up to absolute time `tAbs`, each weighted by its age then. */
  private add(tAbs: number): void {
    const ev = this.ev!;
    const w = ev.sensorSize[0];
    while (this.next < ev.t.length && ev.t[this.next] <= tAbs) {
      const i = this.next++;
      const a = Math.exp(-(tAbs - ev.t[i]) / this.tau);
      const k = ev.y[i] * w + ev.x[i];
      if (k >= this.on.length) continue;
      if (ev.p[i]) this.on[k] += a;
      else this.off[k] += a;
    }
  }

  /** Advances playback by `wallMs` milliseconds of wall-clock time; returns whether it reached the end. */
  tick(wallMs: number): boolean {
    if (!this.playing || !this.ev) return false;
    let dt = wallMs * 1000 * this.speed;
    if (this.now + dt > this.span) {
      if (this.loop && this.now >= this.span) {
        this.seek(0);
        return false;
      }
      dt = this.span - this.now;
    }
    this.now += dt;
    const f = Math.exp(-dt / this.tau);
    for (let i = 0; i < this.on.length; i++) {
      this.on[i] *= f;
      this.off[i] *= f;
    }
    this.add(this.t0 + this.now);
    this.draw();
    const ended = this.now >= this.span && this.next >= this.ev.t.length;
    if (ended && !this.loop) this.playing = false;
    return ended;
  }

  draw(): void {
    const img = this.img;
    if (!img) return;
    const d = img.data;
    for (let k = 0; k < this.on.length; k++) {
      const a = Math.min(1, this.on[k]);
      const b = Math.min(1, this.off[k]);
      for (let c = 0; c < 3; c++) d[k * 4 + c] = Math.min(255, BG[c] + a * ON[c] + b * OFF[c]);
      d[k * 4 + 3] = 255;
    }
    this.ctx.putImageData(img, 0, 0);
  }
}

function describeEvents(ev: Events): Array<[string, string]> {
  const n = ev.t.length;
  const span = n ? ev.t[n - 1] - ev.t[0] : 0;
  let on = 0;
  for (let i = 0; i < n; i++) on += ev.p[i] ? 1 : 0;
  return [
    ['format', String(ev.meta?.format ?? '?')],
    ['events', n.toLocaleString('en')],
    ['sensor', `${ev.sensorSize[0]} x ${ev.sensorSize[1]}`],
    ['duration', `${(span / 1000).toFixed(1)} ms`],
    ['rate', span > 0 ? `${((n / span) * 1e3).toFixed(1)} k events/s` : '–'],
    ['ON', n ? `${((100 * on) / n).toFixed(0)}%` : '–'],
  ];
}

export function mountEvents(el: HTMLElement): () => void {
  const { controls, plots } = pageShell(
    el,
    'Event camera: play a recording, emulate one',
    "An event camera (DVS) reports per-pixel brightness changes as events (x, y, polarity, time in microseconds) instead of frames. Play a recording: each event lights its pixel, ON (brighter) in orange, OFF (darker) in blue, fading with the chosen time constant. Below, draw a digit: spikeflow's DVS emulator sweeps the sensor over it in N-MNIST's three saccades and turns it into events as you draw.",
  );
  let raf = 0;
  const speedOf = (v: number) => 10 ** v;
  const player = new Player('ev-canvas', speedOf(-1.7), 5000, false);

  // ---- the recording
  const drop = h('div', { class: 'dropzone', id: 'ev-drop', tabindex: '0' }, 'Drop an event file here, or ');
  const fileInput = h('input', { type: 'file', id: 'ev-file', accept: '.bin,.bs2,.aedat,.aedat4,.dat,.raw,.npy' });
  const choose = h('button', { class: 'secondary', id: 'ev-choose' }, 'choose one…');
  drop.append(choose, fileInput);
  const example = select('ev-example', 'Example', EXAMPLES, EXAMPLES[0][0], () => void loadExample(example.input.value));
  const errorBox = h('div', { class: 'error', id: 'ev-error', role: 'alert', hidden: '' });
  const info = h('div', { class: 'stats', id: 'ev-info' }, 'no file yet');
  const playBtn = h('button', { id: 'ev-play' }, 'Play');
  const sSpeed = slider('ev-speed', 'Speed (log10 of real time)', { min: -3, max: 0, step: 0.1, value: -1.7, digits: 1 }, () => {
    player.speed = speedOf(sSpeed.value());
    speedOut.textContent = `${player.speed < 0.01 ? player.speed.toPrecision(1) : player.speed.toFixed(2)}x real time`;
  });
  const speedOut = h('div', { class: 'note', id: 'ev-speed-x' }, '0.02x real time');
  const sTau = slider('ev-tau', 'Fading time constant', { min: 0.5, max: 50, step: 0.5, value: 5, unit: 'ms', digits: 1 }, () => {
    player.tau = sTau.value() * 1000;
    player.seek(player.now);
  });
  const loopBox = h('input', { type: 'checkbox', id: 'ev-loop' });
  loopBox.addEventListener('change', () => {
    player.loop = loopBox.checked;
  });
  controls.append(
    drop,
    example.el,
    errorBox,
    info,
    h('div', { class: 'row' }, playBtn, h('label', { class: 'check' }, loopBox, 'loop')),
    sSpeed.el,
    speedOut,
    sTau.el,
  );
  const seek = h('input', { type: 'range', id: 'ev-seek', min: '0', max: '1000', step: '1', value: '0' });
  const shown = h('b', { id: 'ev-shown', 'data-total': '0' }, '0');
  const total = h('span', {}, ' / 0');
  const clock = h('span', { id: 'ev-time' }, 't = 0.0 ms');
  const cPlay = card('Recording (ON orange, OFF blue)', 'ev-player');
  cPlay.body.append(player.canvas, seek, h('div', { class: 'stats' }, h('span', {}, shown, total, ' events shown'), clock));
  plots.append(cPlay.el);

  const showError = (e: unknown) => {
    errorBox.hidden = false;
    errorBox.textContent = errorText(e);
    errorBox.dataset.type = e instanceof Error ? e.name : 'Error';
  };
  const updateCounter = () => {
    shown.textContent = String(player.shown);
    clock.textContent = `t = ${(player.now / 1000).toFixed(1)} / ${(player.span / 1000).toFixed(1)} ms`;
    seek.value = String(player.span > 0 ? Math.round((1000 * player.now) / player.span) : 0);
  };
  const setPlaying = (on: boolean) => {
    player.playing = on;
    playBtn.textContent = on ? 'Pause' : 'Play';
    if (on) delete cPlay.body.dataset.done;
  };

  function loadBytes(bytes: Uint8Array, name: string): void {
    errorBox.hidden = true;
    errorBox.textContent = '';
    let ev: Events;
    try {
      ev = readEvents(bytes, { file: name });
    } catch (e) {
      showError(e);
      info.textContent = player.ev ? `${name}: not loaded (still showing the previous file)` : `${name}: not loaded`;
      return;
    }
    player.setEvents(ev);
    shown.dataset.total = String(ev.t.length);
    total.textContent = ` / ${ev.t.length}`;
    info.replaceChildren(
      h('span', {}, 'file ', h('b', {}, name)),
      ...describeEvents(ev).map(([k, v]) => h('span', {}, `${k} `, h('b', {}, v))),
    );
    info.dataset.ready = '1';
    updateCounter();
    setPlaying(true);
  }

  async function loadExample(file: string): Promise<void> {
    try {
      const r = await fetch(new URL(`events/${file}`, document.baseURI));
      if (!r.ok) throw new Error(`events/${file}: HTTP ${r.status}`);
      loadBytes(new Uint8Array(await r.arrayBuffer()), file);
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
  playBtn.addEventListener('click', () => {
    if (!player.ev) return;
    if (!player.playing && player.now >= player.span) player.seek(0);
    setPlaying(!player.playing);
    updateCounter();
  });
  seek.addEventListener('input', () => {
    player.seek((Number(seek.value) / 1000) * player.span);
    updateCounter();
  });

  // ---- the emulator
  const emu = new Player('emu-canvas', 0.2, 10_000, true);
  const pad = h('canvas', { class: 'draw', id: 'emu-draw', width: '280', height: '280' });
  const pctx = pad.getContext('2d', { willReadFrequently: true })!;
  const clear = h('button', { class: 'secondary', id: 'emu-clear' }, 'Clear');
  const noise = h('input', { type: 'checkbox', id: 'emu-noise', checked: '' });
  const sThr = slider('emu-threshold', 'Contrast threshold (log intensity)', { min: 0.1, max: 1, step: 0.05, value: 0.5 }, () => emulate());
  noise.addEventListener('change', () => emulate());
  const count = h('b', { id: 'emu-count', 'data-value': '0' }, '0');
  const rate = h('b', { id: 'emu-rate' }, '0');
  const polarity = h('span', { id: 'emu-polarity' });
  const rateCanvas = h('canvas', { id: 'emu-rate-plot', class: 'rate', width: '600', height: '120' });
  const cDraw = card('Draw a digit', 'emu-pad');
  cDraw.body.append(
    pad,
    h('div', { class: 'row' }, clear, h('label', { class: 'check' }, noise, 'sensor noise (leak and shot noise)')),
    h('div', { class: 'controls-inline' }, sThr.el),
  );
  const cEmu = card('Emulated DVS, 34 x 34, three saccades (looping at 0.2x)', 'emu-view');
  cEmu.body.append(
    emu.canvas,
    h('div', { class: 'stats' }, h('span', {}, count, ' events'), h('span', {}, rate, ' events/s'), polarity),
    rateCanvas,
  );
  plots.append(cDraw.el, cEmu.el);

  let emuRate = new Float32Array(60);
  let emuSeed = 1;
  function emulate(): void {
    const { data } = pctx.getImageData(0, 0, 280, 280);
    const gray = new Float32Array(280 * 280);
    for (let i = 0; i < gray.length; i++) gray[i] = data[i * 4] / 255;
    const digit = mnistFromDrawing(gray, 280, 280);
    const quiet = noise.checked ? {} : { leakRate: 0, shotNoiseRate: 0 };
    const thr = sThr.value();
    const ev = emulateSaccades(digit, 28, 28, { rng: new Rng(emuSeed), maxValue: 1, thresholdOn: thr, thresholdOff: thr, ...quiet });
    const n = ev.t.length;
    let on = 0;
    for (let i = 0; i < n; i++) on += ev.p[i] ? 1 : 0;
    count.textContent = String(n);
    count.dataset.value = String(n);
    rate.textContent = `${((n / SACCADES_US) * 1e6).toFixed(0)}`;
    polarity.textContent = n ? `ON ${on}, OFF ${n - on}` : '';
    // events per 5 ms bin: the rate curve
    emuRate = new Float32Array(60);
    for (let i = 0; i < n; i++) emuRate[Math.min(59, Math.floor(ev.t[i] / 5000))]++;
    const now = emu.now;
    emu.setEvents(ev, { t0: 0, span: SACCADES_US });
    emu.seek(now);
    emu.playing = true;
    drawRate();
  }

  function drawRate(): void {
    const ctx = rateCanvas.getContext('2d')!;
    const W = rateCanvas.width;
    const H = rateCanvas.height;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, W, H);
    const max = Math.max(1, ...emuRate);
    const bw = W / emuRate.length;
    ctx.fillStyle = '#0072b2';
    for (let b = 0; b < emuRate.length; b++) {
      const hh = ((H - 22) * emuRate[b]) / max;
      ctx.fillRect(b * bw + 0.5, H - 18 - hh, bw - 1, hh);
    }
    ctx.fillStyle = '#444';
    ctx.font = '13px system-ui, sans-serif';
    ctx.fillText(`events per 5 ms (max ${max}); saccades start at 0, 100 and 200 ms`, 4, H - 3);
    const x = (emu.now / SACCADES_US) * W;
    ctx.strokeStyle = '#d55e00';
    ctx.beginPath();
    ctx.moveTo(x, 0);
    ctx.lineTo(x, H - 18);
    ctx.stroke();
  }

  const resetPad = () => {
    pctx.fillStyle = '#000';
    pctx.fillRect(0, 0, 280, 280);
  };
  resetPad();
  let drawing = false;
  let last: [number, number] | null = null;
  let dirty = false;
  const pos = (e: PointerEvent): [number, number] => {
    const r = pad.getBoundingClientRect();
    return [((e.clientX - r.left) * 280) / r.width, ((e.clientY - r.top) * 280) / r.height];
  };
  pad.addEventListener('pointerdown', (e) => {
    drawing = true;
    last = pos(e);
    pad.setPointerCapture?.(e.pointerId);
  });
  pad.addEventListener('pointermove', (e) => {
    if (!drawing || !last) return;
    const p = pos(e);
    pctx.strokeStyle = '#fff';
    pctx.lineWidth = 20;
    pctx.lineCap = 'round';
    pctx.beginPath();
    pctx.moveTo(...last);
    pctx.lineTo(...p);
    pctx.stroke();
    last = p;
    dirty = true; // re-emulated on the next animation frame: live while drawing
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    last = null;
    emulate();
    dirty = false;
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointerleave', end);
  clear.addEventListener('click', () => {
    resetPad();
    emuSeed++;
    emulate();
  });

  // ---- one animation loop for both players
  let before = performance.now();
  const frame = (now: number) => {
    const wall = Math.min(100, now - before);
    before = now;
    if (dirty) {
      dirty = false;
      emulate();
    }
    if (player.playing) {
      const ended = player.tick(wall);
      updateCounter();
      if (ended && !player.playing) {
        setPlaying(false);
        cPlay.body.dataset.done = '1';
      }
    }
    emu.tick(wall);
    drawRate();
    raf = requestAnimationFrame(frame);
  };
  raf = requestAnimationFrame(frame);
  emulate();
  void loadExample(EXAMPLES[0][0]);
  return () => cancelAnimationFrame(raf);
}
