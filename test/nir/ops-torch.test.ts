import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backward } from '../../src/core/autograd.js';
import { Tensor } from '../../src/core/tensor.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import type { NirGraph, NirNode } from '../../src/nir/index.js';
import { fromNir } from '../../src/nir/index.js';
import { nirConvWeight } from '../../src/nir/trained.js';
import { wasmBuilds } from '../helpers/kernels.js';
import { FIXTURES } from './helpers.js';

// NIR's Conv1d, Conv2d, SumPool2d and AvgPool2d in every form against torch (tools/nir-ops-fixtures.py:
// torch.nn.functional.conv1d/conv2d/avg_pool2d in float64 on float32 inputs): forward, and the
// gradients in the input, weight and bias, to 1e-5. Run through fromNir, so each form takes the path
// spikeflow picks for it (the fast conv/pool kernels, or ops.ts's general one).

interface Case {
  kind: 'conv1d' | 'conv2d' | 'avg_pool2d' | 'sum_pool2d';
  stride: number | number[];
  padding: number | number[] | 'same' | 'valid';
  dilation?: number | number[];
  groups?: number;
  kernel?: number[];
  x: number[];
  xShape: number[];
  w?: number[];
  wShape?: number[];
  b?: number[];
  y: number[];
  yShape: number[];
  gy: number[];
  gx: number[];
  gw?: number[];
  gb?: number[];
}

const fixture = JSON.parse(readFileSync(join(FIXTURES, 'ops', 'torch-ops.json'), 'utf8')) as { cases: Case[] };
const arr = (data: number[], shape: number[]) => ({ data: Float32Array.from(data), shape });

function node(c: Case): NirNode {
  const [, C, ...size] = c.xShape;
  if (c.kind === 'avg_pool2d' || c.kind === 'sum_pool2d')
    return {
      type: c.kind === 'avg_pool2d' ? 'AvgPool2d' : 'SumPool2d',
      kernel_size: c.kernel!,
      stride: c.stride,
      padding: c.padding as number[],
    };
  const base = {
    weight: arr(c.w!, c.wShape!),
    bias: arr(c.b!, [c.b!.length]),
    stride: c.stride,
    padding: c.padding,
    dilation: c.dilation!,
    groups: c.groups!,
  };
  void C;
  return c.kind === 'conv1d' ? { type: 'Conv1d', ...base, input_shape: size[0] } : { type: 'Conv2d', ...base, input_shape: size };
}

function graph(c: Case): NirGraph {
  return {
    type: 'NIRGraph',
    nodes: new Map<string, NirNode>([
      ['input', { type: 'Input', shape: c.xShape.slice(1) }],
      ['op', node(c)],
      ['output', { type: 'Output', shape: c.yShape.slice(1) }],
    ]),
    edges: [
      ['input', 'op'],
      ['op', 'output'],
    ],
  };
}

const close = (got: ArrayLike<number>, want: number[], what: string) => {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++)
    if (!(Math.abs(got[i] - want[i]) <= 1e-5 * Math.max(1, Math.abs(want[i])))) expect(got[i], `${what}[${i}]`).toBe(want[i]);
};

const describeCase = (c: Case) =>
  `${c.kind} x ${JSON.stringify(c.xShape)}${c.wShape ? ` w ${JSON.stringify(c.wShape)}` : ` kernel ${JSON.stringify(c.kernel)}`} stride ${JSON.stringify(c.stride)} padding ${JSON.stringify(c.padding)}${c.dilation !== undefined ? ` dilation ${JSON.stringify(c.dilation)} groups ${c.groups}` : ''}`;

describe('NIR conv and pool nodes against torch', () => {
  for (const [kname, kernels] of [['reference', referenceKernels] as const, wasmBuilds()[0]]) {
    for (const c of fixture.cases) {
      it(`${kname}: ${describeCase(c)}: output and gradients`, () => {
        const m = fromNir(graph(c));
        const N = c.xShape[0];
        const x = new Tensor(Float32Array.from(c.x), [1, ...c.xShape], { requiresGrad: true });
        const r = m.forward(x, { kernels });
        const y = r.outputs.output;
        expect(y.shape).toEqual([1, N, ...c.yShape.slice(1)]);
        close(y.data, c.y, 'y');
        backward(y, Float32Array.from(c.gy));
        close(x.grad!, c.gx, 'dL/dx');
        if (c.w) {
          const p = Object.fromEntries(m.parameters().map((q) => [q.name, q.tensor]));
          const gw = nirConvWeight(new Tensor(p['op.weight'].grad!, p['op.weight'].shape), c.wShape!);
          close(gw.data, c.gw!, 'dL/dweight');
          close(p['op.bias'].grad!, c.gb!, 'dL/dbias');
        }
      });
    }
  }
  it("hand-computed: Conv1d 'same' with an even kernel pads at the end; AvgPool2d counts the padding, SumPool2d sums", () => {
    const run = (n: NirNode, inShape: number[], outShape: number[], x: number[]) => {
      const g: NirGraph = {
        type: 'NIRGraph',
        nodes: new Map<string, NirNode>([
          ['input', { type: 'Input', shape: inShape }],
          ['op', n],
          ['output', { type: 'Output', shape: outShape }],
        ]),
        edges: [
          ['input', 'op'],
          ['op', 'output'],
        ],
      };
      return Array.from(fromNir(g).forward(Tensor.from(x, [1, 1, ...inShape])).outputs.output.data);
    };
    const conv = { weight: arr([1, 1], [1, 1, 2]), bias: arr([0], [1]), stride: 1, dilation: 1, groups: 1, input_shape: 4 };
    // torch: 'same' with K = 2 pads 0 before and 1 after: y[i] = x[i] + x[i + 1]
    expect(run({ type: 'Conv1d', ...conv, padding: 'same' }, [1, 4], [1, 4], [1, 2, 3, 4])).toEqual([3, 5, 7, 4]);
    expect(run({ type: 'Conv1d', ...conv, padding: 'valid' }, [1, 4], [1, 3], [1, 2, 3, 4])).toEqual([3, 5, 7]);
    // dilation 2, stride 2, padding 1: y[j] = x[2j - 1] + x[2j + 1] (0-based, zero outside)
    expect(run({ type: 'Conv1d', ...conv, padding: 1, stride: 2, dilation: 2 }, [1, 4], [1, 2], [1, 2, 3, 4])).toEqual([0 + 2, 2 + 4]);
    // a 2x2 image of ones, 2x2 windows with stride 2 and padding 1: each window holds one pixel of four
    const pool = { kernel_size: [2, 2], stride: [2, 2], padding: [1, 1] };
    expect(run({ type: 'AvgPool2d', ...pool }, [1, 2, 2], [1, 2, 2], [1, 1, 1, 1])).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(run({ type: 'SumPool2d', ...pool }, [1, 2, 2], [1, 2, 2], [1, 2, 3, 4])).toEqual([1, 2, 3, 4]);
  });

  it('covers the forms: per-axis geometry, dilation, groups, same/valid, pool padding', () => {
    const k = fixture.cases.map((c) => c.kind);
    expect(k.filter((x) => x === 'conv1d').length).toBeGreaterThanOrEqual(3);
    expect(fixture.cases.some((c) => c.padding === 'same' && c.kind === 'conv2d')).toBe(true);
    expect(fixture.cases.some((c) => (c.groups ?? 1) > 1 && c.kind === 'conv2d')).toBe(true);
    expect(fixture.cases.some((c) => c.kind === 'avg_pool2d' && (c.padding as number[]).some((p) => p > 0))).toBe(true);
  });
});
