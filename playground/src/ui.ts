// Small DOM helpers shared by the pages.

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

export interface Slider {
  el: HTMLLabelElement;
  input: HTMLInputElement;
  value(): number;
}

/** A labelled range input with its value shown; `id` becomes the input's id (tests move it by id). */
export function slider(
  id: string,
  label: string,
  o: { min: number; max: number; step: number; value: number; unit?: string; digits?: number },
  onInput: () => void,
): Slider {
  const input = h('input', { type: 'range', id, min: String(o.min), max: String(o.max), step: String(o.step), value: String(o.value) });
  const out = h('output', { for: id });
  const show = () => (out.textContent = `${Number(input.value).toFixed(o.digits ?? 2)}${o.unit ? ' ' + o.unit : ''}`);
  show();
  input.addEventListener('input', () => {
    show();
    onInput();
  });
  const el = h('label', {}, label, out, input);
  return { el, input, value: () => Number(input.value) };
}

export function select(
  id: string,
  label: string,
  options: Array<[string, string]>,
  value: string,
  onChange: () => void,
): { el: HTMLLabelElement; input: HTMLSelectElement } {
  const input = h('select', { id });
  for (const [v, text] of options) input.append(h('option', { value: v }, text));
  input.value = value;
  input.addEventListener('change', onChange);
  return { el: h('label', {}, label, input), input };
}

export function card(title: string, id?: string, cls = ''): { el: HTMLElement; body: HTMLDivElement } {
  const body = h('div', id ? { id } : {});
  const el = h('section', { class: `card ${cls}`.trim() }, h('h3', {}, title), body);
  return { el, body };
}

export function pageShell(el: HTMLElement, title: string, lead: string): { controls: HTMLDivElement; plots: HTMLDivElement } {
  const controls = h('div', { class: 'controls' });
  const plots = h('div', { class: 'plots' });
  el.append(h('h2', {}, title), h('p', { class: 'lead' }, lead), h('div', { class: 'layout' }, controls, plots));
  return { controls, plots };
}

export async function loadJson<T>(path: string): Promise<T> {
  const r = await fetch(new URL(path, document.baseURI));
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return (await r.json()) as T;
}

export function base64Bytes(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Draws a grey image (values 0..max) into a small canvas, white ink on black like the drawing pad. */
export function imageCanvas(px: ArrayLike<number>, rows: number, cols: number, max = 255): HTMLCanvasElement {
  const c = h('canvas', { width: String(cols), height: String(rows) });
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    const v = Math.round((255 * px[i]) / max);
    img.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
  return c;
}

/** An error as the pages show it: the typed error's class (DataError, NirError, ...) and its message. */
export function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
