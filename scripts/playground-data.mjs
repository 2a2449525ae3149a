// Writes the playground's small data files (run after `npm run build`; committed outputs, so the web app
// needs nothing at run time):
//   playground/public/data/mnist-samples.json  20 MNIST test digits (28x28 uint8, base64) for the encoders page
//   playground/public/data/digits.json         UCI optdigits 8x8 (values 0..16), train 3823 / test 1797, for in-browser training
// (npm run playground:data). The MNIST checkpoint in playground/public/model comes from the CLI (npm run playground:model):
//   node dist/cli/main.js train --epochs 3 --hidden 128 --out playground/public/model
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMnist } from '../dist/node.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'playground', 'public', 'data');
mkdirSync(out, { recursive: true });

const mnist = await loadMnist({ dataset: 'mnist', download: false });
const n = 20;
const images = Buffer.from(mnist.test.images.subarray(0, n * 784)).toString('base64');
writeFileSync(
  join(out, 'mnist-samples.json'),
  JSON.stringify({
    source: 'MNIST test set, samples 0-19',
    rows: 28,
    cols: 28,
    n,
    labels: Array.from(mnist.test.labels.subarray(0, n)),
    images,
  }) + '\n',
);

const digitsDir = process.env.DIGITS_DIR ?? join(root, '..', 'shared', 'datasets', 'digits');
function readOpt(file) {
  const rows = readFileSync(join(digitsDir, file), 'utf8')
    .trim()
    .split('\n')
    .filter((l) => /^\d/.test(l));
  const px = new Uint8Array(rows.length * 64);
  const labels = [];
  rows.forEach((l, i) => {
    const v = l.split(',').map(Number);
    px.set(v.slice(0, 64), i * 64);
    labels.push(v[64]);
  });
  return { n: rows.length, labels, images: Buffer.from(px).toString('base64') };
}
writeFileSync(
  join(out, 'digits.json'),
  JSON.stringify({
    source: 'UCI optdigits (E. Alpaydin, C. Kaynak), 8x8 blocks, values 0-16',
    rows: 8,
    cols: 8,
    max: 16,
    train: readOpt('optdigits.tra'),
    test: readOpt('optdigits.tes'),
  }) + '\n',
);
console.log(`wrote ${out}/mnist-samples.json and digits.json`);
