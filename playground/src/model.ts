// Loads a spikeflow checkpoint (config.json + model.safetensors, written by `spikeflow train --out`) in the
// browser with the public API, the same way spikeflow/node's loadCheckpoint does from files.
import { decodeSafetensors, sequentialFromConfig, type Sequential } from '../../src/index.js';

export interface BrowserCheckpoint {
  model: Sequential;
  config: { layers: Array<{ kind: string; config: Record<string, unknown> }>; meta: Record<string, unknown> };
}

export async function loadCheckpointFromUrl(base: string): Promise<BrowserCheckpoint> {
  const url = (f: string) => new URL(`${base.replace(/\/$/, '')}/${f}`, document.baseURI);
  const [cr, wr] = await Promise.all([fetch(url('config.json')), fetch(url('model.safetensors'))]);
  if (!cr.ok || !wr.ok) throw new Error(`checkpoint ${base}: HTTP ${cr.status} / ${wr.status}`);
  const config = (await cr.json()) as BrowserCheckpoint['config'];
  const model = sequentialFromConfig(config.layers);
  const { tensors } = decodeSafetensors(new Uint8Array(await wr.arrayBuffer()), `${base}/model.safetensors`);
  model.layers.forEach((layer, i) => {
    for (const p of layer.parameters()) {
      const t = tensors[`${i}.${p.name}`];
      if (!t) throw new Error(`checkpoint ${base}: missing tensor ${i}.${p.name}`);
      if (layer.importParameter) layer.importParameter(p.name, p.tensor, t.data as Float32Array);
      else (p.tensor.data as Float32Array).set(t.data as Float32Array);
    }
  });
  return { model, config };
}
