// node bench/ab-threads.mjs DIST_A DIST_B: training on two builds of spikeflow (their dist folders, e.g. a worktree
// of an earlier commit built with npm run build) in one process, in alternating blocks (A B, B A, ...), so that a
// machine whose speed drifts treats them alike; prints each block's samples/s and the median of the paired ratios
// B/A. Unlike ab.mjs (one thread), the kernels run on KT threads (default 2). MODEL=fc (784-1000-10, T 25, direct,
// the default) or csnn (tutorial 6, T 50); R blocks of NB batches (defaults 12 and 15) after a warm-up.
const dists = process.argv.slice(2, 4);
if (dists.length !== 2) throw new Error('usage: node bench/ab-threads.mjs DIST_A DIST_B');
const KT = Number(process.env.KT ?? 2);
const NB = Number(process.env.NB ?? 15);
const R = Number(process.env.R ?? 12);
const MODEL = process.env.MODEL ?? 'fc';
const libs = [];
for (const d of dists) {
  const lib = { ...(await import(`${d}/index.js`)), ...(await import(`${d}/node.js`)) };
  lib.enableRelaxedSimd?.();
  libs.push(lib);
}
const data = await libs[0].loadMnist({ dataset: 'mnist', download: false });
const train = { inputs: data.train.images, labels: data.train.labels, n: data.train.n, features: 784 };
const fc = MODEL === 'fc';
const setups = libs.map((L) => {
  const model = fc
    ? L.snnClassifier({ inputs: 784, hidden: [1000], outputs: 10, beta: 0.95 }, new L.Rng(0))
    : L.csnnClassifier(
        { input: [1, 28, 28], channels: [12, 64], outputs: 10, beta: 0.5, surrogate: L.fastSigmoid({ slope: 25 }) },
        new L.Rng(0),
      );
  const kernels = L.defaultKernels();
  L.setKernelThreads(kernels, KT);
  const o = {
    model,
    task: L.spikingTask(fc ? 'membrane' : 'rate'),
    optimizer: new L.Adam(model.trainable(), { lr: fc ? 5e-4 : 1e-2 }),
    encoder: (x) => L.directEncode(x, fc ? 25 : 50),
    batchSize: 128,
    rng: new L.Rng(0),
    kernels,
  };
  return { L, o };
});
for (const { L, o } of setups) await L.trainEpoch(train, { ...o, maxBatches: fc ? 10 : 4 });
const res = [[], []];
for (let r = 0; r < R; r++) {
  for (const i of r % 2 ? [1, 0] : [0, 1]) {
    const { L, o } = setups[i];
    res[i].push((await L.trainEpoch(train, { ...o, maxBatches: NB })).samplesPerSec);
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const ratios = res[1].map((b, i) => b / res[0][i]);
for (const [i, name] of ['A', 'B'].entries()) console.log(name, dists[i], res[i].map((x) => x.toFixed(0)).join(' '));
console.log(`B/A: median of the paired ratios ${median(ratios).toFixed(3)} (${MODEL}, ${KT} kernel threads, ${R} blocks of ${NB} batches)`);
process.exit(0);
