// The playground's shell: a hash router over the pages. Each page mounts into #app and returns a cleanup. The NIR,
// events, surrogate and SNN-vs-ANN pages are loaded on demand (their own chunks: the NIR reader brings h5wasm, ~4 MB, when it reads a file).
import './style.css';
import { initKernels } from '../../src/index.js';
import { mountLif } from './pages/lif.js';
import { mountEncoders } from './pages/encoders.js';
import { mountStdp } from './pages/stdp.js';
import { mountMnist } from './pages/mnist.js';
import { mountTrain } from './pages/train.js';

type Mount = (el: HTMLElement) => (() => void) | undefined;
const pages: Record<string, Mount> = {
  lif: mountLif,
  encoders: mountEncoders,
  stdp: mountStdp,
  mnist: mountMnist,
  train: mountTrain,
};
const lazy: Record<string, () => Promise<Mount>> = {
  nir: () => import('./pages/nir.js').then((m) => m.mountNir),
  events: () => import('./pages/events.js').then((m) => m.mountEvents),
  surrogates: () => import('./pages/surrogates.js').then((m) => m.mountSurrogates),
  compare: () => import('./pages/compare.js').then((m) => m.mountCompare),
};

const app = document.getElementById('app')!;
let cleanup: (() => void) | undefined;

let routing = 0;

async function route(): Promise<void> {
  const hash = location.hash.replace(/^#/, '') || 'lif';
  const name = Object.hasOwn(pages, hash) || Object.hasOwn(lazy, hash) ? hash : 'lif';
  const serial = ++routing;
  cleanup?.();
  cleanup = undefined;
  app.innerHTML = '';
  app.dataset.page = name;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a')) a.classList.toggle('active', a.dataset.page === name);
  const mount = Object.hasOwn(lazy, name) ? await lazy[name]() : pages[name];
  if (serial !== routing) return; // another page was chosen meanwhile
  cleanup = mount(app);
}

await initKernels(); // compile the WASM kernels once, asynchronously (browsers forbid large sync compiles)
window.addEventListener('hashchange', () => void route());
await route();
document.body.dataset.ready = '1';
