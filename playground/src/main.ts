// The playground's shell: a hash router over the five pages. Each page mounts into #app and returns a cleanup.
import './style.css';
import { initKernels } from '../../src/index.js';
import { mountLif } from './pages/lif.js';
import { mountEncoders } from './pages/encoders.js';
import { mountStdp } from './pages/stdp.js';
import { mountMnist } from './pages/mnist.js';
import { mountTrain } from './pages/train.js';

type Mount = (el: HTMLElement) => (() => void) | undefined;
const pages: Record<string, Mount> = { lif: mountLif, encoders: mountEncoders, stdp: mountStdp, mnist: mountMnist, train: mountTrain };

const app = document.getElementById('app')!;
let cleanup: (() => void) | undefined;

async function route(): Promise<void> {
  const name = location.hash.replace(/^#/, '') || 'lif';
  const mount = pages[name] ?? pages.lif;
  cleanup?.();
  app.innerHTML = '';
  app.dataset.page = name in pages ? name : 'lif';
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a')) a.classList.toggle('active', a.dataset.page === app.dataset.page);
  cleanup = mount(app);
}

await initKernels(); // compile the WASM kernels once, asynchronously (browsers forbid large sync compiles)
window.addEventListener('hashchange', () => void route());
await route();
document.body.dataset.ready = '1';
