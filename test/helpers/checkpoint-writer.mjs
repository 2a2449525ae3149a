// A checkpoint writer for the interruption tests (test/train/checkpoint-kill.test.ts): saves the model
// of one seed into a folder and sends itself a signal at the k-th step of the save.
//   node checkpoint-writer.mjs <dir> <seed> <k (0: never)> <SIGKILL|SIGINT>
import { saveCheckpoint } from '../../dist/train/checkpoint.js';
import { cleanupPendingWrites } from '../../dist/io/atomic.js';
import { snnClassifier } from '../../dist/nn/models.js';
import { Rng } from '../../dist/core/rng.js';

const [dir, seed, killAt, signal] = process.argv.slice(2);
// what the CLI does on SIGINT: remove the files of unfinished writes, then exit
process.on('SIGINT', () => {
  cleanupPendingWrites();
  process.exit(130);
});
const model = snnClassifier({ inputs: 12, hidden: [9], outputs: 3, beta: 0.9 }, new Rng(Number(seed)));
const steps = [];
await saveCheckpoint(
  dir,
  model,
  { seed: Number(seed) },
  {
    onStep: (s) => {
      steps.push(s);
      if (steps.length === Number(killAt)) process.kill(process.pid, signal);
    },
  },
);
process.stdout.write(JSON.stringify(steps) + '\n');
