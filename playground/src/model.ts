// Loads a spikeflow checkpoint (config.json + the weights file it names, written by `spikeflow train
// --out`) in the browser with the public API, the same way spikeflow/node's loadCheckpoint does from files.
import { checkCheckpointConfig, checkpointFromBytes, weightsFileOf, type CheckpointConfig, type Sequential } from '../../src/index.js';

export interface BrowserCheckpoint {
  model: Sequential;
  config: CheckpointConfig;
}

export async function loadCheckpointFromUrl(base: string): Promise<BrowserCheckpoint> {
  const url = (f: string) => new URL(`${base.replace(/\/$/, '')}/${f}`, document.baseURI);
  const cr = await fetch(url('config.json'));
  if (!cr.ok) throw new Error(`checkpoint ${base}: config.json: HTTP ${cr.status}`);
  const raw: unknown = await cr.json();
  const file = weightsFileOf(checkCheckpointConfig(raw, `${base}/config.json`));
  const wr = await fetch(url(file));
  if (!wr.ok) throw new Error(`checkpoint ${base}: ${file}: HTTP ${wr.status}`);
  return checkpointFromBytes(raw, new Uint8Array(await wr.arrayBuffer()), `${base}/config.json`, `${base}/${file}`);
}
