import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeSafetensors } from '../../src/interop/safetensors.js';

const main = resolve(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const cache = mkdtempSync(join(tmpdir(), 'spikeflow-cache-'));
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [main, ...args], {
    encoding: 'utf8',
    env: { ...process.env, SPIKEFLOW_OFFLINE: '1', SPIKEFLOW_CACHE: cache },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
};

describe('spikeflow stdp-mnist', () => {
  it('a short run trains, tests, and saves weights, theta and the label assignment atomically', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'spikeflow-stdp-')), 'run');
    const r = run('stdp-mnist', '--train-limit', '30', '--test-limit', '20', '--neurons', '20', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
    for (const k of ['testAccuracy', 'trainAccuracy', 'trainSeconds', 'imagesPerSecond', 'classesAssigned']) expect(j).toHaveProperty(k);
    expect(j.labelsFrom).toBe('frozen network'); // the default label pass re-shows the training images, learning off
    expect(j.labelImages).toBe(30);
    expect(j.testAccuracy).toBeGreaterThanOrEqual(0);
    expect(j.testAccuracy).toBeLessThanOrEqual(1);
    expect(readdirSync(out).sort()).toEqual(['receptive-fields.svg', 'weights.safetensors']);
    // the picture: one 28 x 28 image per neuron, labelled with the class the neuron was assigned
    const svg = readFileSync(join(out, 'receptive-fields.svg'), 'utf8');
    expect(svg.match(/<g class="image"/g)?.length).toBe(20);
    const st = decodeSafetensors(readFileSync(join(out, 'weights.safetensors')));
    expect(st.tensors.weights.shape).toEqual([20, 784]);
    expect(st.tensors.theta.shape).toEqual([20]);
    expect(st.tensors.assignment.shape).toEqual([20]);
    const labels = [...svg.matchAll(/<text[^>]*text-anchor="middle">([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(labels).toEqual(Array.from(st.tensors.assignment.data as Int32Array, (c) => (c >= 0 ? String(c) : '-')));
    expect(st.metadata.trainImages).toBe('30');
    // every neuron's input weights were normalised to 78 before each image, then moved by STDP within [0, 1]
    const w = st.tensors.weights.data as Float32Array;
    for (const x of w) expect(x >= 0 && x <= 1).toBe(true);
    let s = 0;
    for (let i = 0; i < 784; i++) s += w[i];
    expect(s).toBeGreaterThan(60);
    expect(s).toBeLessThan(100);
  });

  it('--label-limit 0 assigns labels from the responses recorded while learning; a smaller limit re-shows the last images', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spikeflow-stdp-'));
    const go = (limit: string) => {
      const out = join(dir, `run-${limit}`);
      const r = run(
        'stdp-mnist',
        '--train-limit',
        '20',
        '--test-limit',
        '5',
        '--neurons',
        '10',
        '--out',
        out,
        '--json',
        '--label-limit',
        limit,
      );
      expect(r.code, r.stderr).toBe(0);
      const st = decodeSafetensors(readFileSync(join(out, 'weights.safetensors')));
      return { j: JSON.parse(r.stdout.trim().split('\n').pop()!), w: Array.from(st.tensors.weights.data as Float32Array) };
    };
    const learning = go('0');
    expect(learning.j.labelsFrom).toBe('learning phase');
    expect(learning.j.labelImages).toBe(20);
    const some = go('12');
    expect(some.j.labelsFrom).toBe('frozen network');
    expect(some.j.labelImages).toBe(12);
    // same seed, same training; the frozen label pass leaves the learned weights untouched
    expect(some.w).toEqual(learning.w);
  });

  it('bad flags are one line with exit code 2', () => {
    const r = run('stdp-mnist', '--train-limit', '5');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--train-limit: expected an integer in \[10, 60000\], found "5"/);
  });
});
