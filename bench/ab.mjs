// node bench/ab.mjs DIST_A DIST_B [...]: the same training and inference runs on two or more builds of spikeflow
// (their dist folders, e.g. a worktree of an earlier commit built with npm run build), loaded side by side in one
// process and alternated over four rounds, so that a machine whose speed drifts treats them alike. 784-1000-10,
// T = 25, B = 128, one thread: 25 timed training batches after 3, inference over 5,000 test images. ENCS=direct|rate.
const dists = process.argv.slice(2);
const mods = [];
for (const d of dists) {
  const lib = await import(`${d}/index.js`);
  const node = await import(`${d}/node.js`);
  node.enableRelaxedSimd?.();
  mods.push(lib);
}
const node = await import(`${dists[0]}/node.js`);
const data = await node.loadMnist({ dataset: 'mnist', download: false });
const train = { inputs: data.train.images, labels: data.train.labels, n: data.train.n, features: 784 };
const test = { inputs: data.test.images, labels: data.test.labels, n: data.test.n, features: 784 };
const out = {};
for (let r = 0; r < 4; r++) {
  for (let i = 0; i < mods.length; i++) {
    const lib = mods[i];
    for (const enc of (process.env.ENCS ?? 'direct,rate').split(',')) {
      const encoder = enc === 'direct' ? (x) => lib.directEncode(x, 25) : (x, rng) => lib.rateEncode(x, 25, rng);
      const model = lib.snnClassifier({ inputs: 784, hidden: [1000], outputs: 10, beta: 0.95 }, new lib.Rng(1));
      const k = lib.defaultKernels();
      const opt = new lib.Adam(model.trainable(), { lr: 5e-4 });
      const o = { model, task: lib.spikingTask(), optimizer: opt, encoder, rng: new lib.Rng(2), kernels: k, batchSize: 128 };
      await lib.trainEpoch(train, { ...o, maxBatches: 3 });
      const t = await lib.trainEpoch(train, { ...o, maxBatches: 25 });
      const ev = await lib.evaluate(
        { ...test, n: 5000, inputs: test.inputs.subarray(0, 5000 * 784), labels: test.labels.subarray(0, 5000) },
        { ...o },
      );
      for (const [key, v] of [
        [`${enc} train`, t.samplesPerSec],
        [`${enc} infer`, ev.samplesPerSec],
      ])
        (out[key] ??= dists.map(() => []))[i].push(v);
    }
  }
}
for (const [key, arr] of Object.entries(out)) {
  const best = arr.map((a) => Math.max(...a));
  const med = arr.map((a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]);
  console.log(
    key.padEnd(14),
    'best',
    best.map(Math.round).join(' / '),
    ` ratio ${(best[1] / best[0]).toFixed(3)}`,
    '| median',
    med.map(Math.round).join(' / '),
    ` ratio ${(med[1] / med[0]).toFixed(3)}`,
  );
}
