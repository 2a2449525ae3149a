// Loads a spikeflow checkpoint (config.json + the weights file it names, written by `spikeflow train
// --out`) in the browser with the public API, the same way spikeflow/node's loadCheckpoint does from files.
import { checkCheckpointConfig, modelFromCheckpoint, weightsFileOf, type CheckpointConfig, type Sequential } from '../../src/index.js';

export interface BrowserCheckpoint {
  model: Sequential;
  config: CheckpointConfig;
}

export async function loadCheckpointFromUrl(base: string): Promise<BrowserCheckpoint> {
  const url = (f: string) => new URL(`${base.replace(/\/$/, '')}/${f}`, document.baseURI);
  const cr = await fetch(url('config.json'));
  if (!cr.ok) throw new Error(`checkpoint ${base}: config.json: HTTP ${cr.status}`);
  const config = checkCheckpointConfig(await cr.json(), `${base}/config.json`);
  const file = weightsFileOf(config);
  const wr = await fetch(url(file));
  if (!wr.ok) throw new Error(`checkpoint ${base}: ${file}: HTTP ${wr.status}`);
  const model = modelFromCheckpoint(config, new Uint8Array(await wr.arrayBuffer()), `${base}/config.json`, `${base}/${file}`);
  return { model, config };
}
