import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import type { Tensor } from '../../src/core/tensor.js';
import {
  centerCrop,
  cropTime,
  denoise,
  downsample,
  type Events,
  flipLR,
  flipPolarity,
  flipUD,
  makeEvents,
  mergePolarities,
  randomFlipPolarity,
  refractoryPeriod,
  type SensorSize,
  type ToFrameOptions,
  timeSkew,
  toFrame,
  toVoxelGrid,
} from '../../src/events/index.js';
import { type EventsJson, FIXTURES, plain, readJson } from './helpers.js';

interface Case {
  input: string;
  transform: string;
  params: Record<string, number | boolean | number[]>;
  events?: EventsJson;
  tensor?: { shape: number[]; index: number[]; value: number[] };
}
const doc = readJson<{ tonic_commit: string; inputs: Record<string, EventsJson & { sensor_size: SensorSize }>; cases: Case[] }>(
  join(FIXTURES, 'tonic', 'transforms.json'),
);

const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
function frameOptions(params: Case['params']): ToFrameOptions {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [camel(k), v])) as ToFrameOptions;
}

function apply(c: Case, ev: Events): Events | Tensor {
  const p = c.params;
  switch (c.transform) {
    case 'ToFrame':
      return toFrame(ev, frameOptions(p));
    case 'MergePolarities+ToFrame':
      return toFrame(mergePolarities(ev), frameOptions(p));
    case 'Denoise':
      return denoise(ev, p.filter_time as number);
    case 'RefractoryPeriod':
      return refractoryPeriod(ev, p.delta as number);
    case 'Downsample':
      return downsample(ev, {
        spatialFactor: p.spatial_factor as number | [number, number] | undefined,
        timeFactor: p.time_factor as number | undefined,
        targetSize: p.target_size as [number, number] | undefined,
      });
    case 'CropTime':
      return cropTime(ev, p.min as number, p.max as number | undefined);
    case 'CenterCrop':
      return centerCrop(ev, p.size as [number, number]);
    case 'MergePolarities':
      return mergePolarities(ev);
    case 'TimeSkew':
      return timeSkew(ev, p.coefficient as number, p.offset as number);
    case 'RandomFlipPolarity':
      return flipPolarity(ev);
    case 'RandomFlipLR':
      return flipLR(ev);
    case 'RandomFlipUD':
      return flipUD(ev);
    case 'ToVoxelGrid':
      return toVoxelGrid(ev, p.n_time_bins as number);
    default:
      throw new Error(`no mapping for ${c.transform}`);
  }
}

function input(name: string): Events {
  const i = doc.inputs[name];
  return makeEvents(i, i.sensor_size);
}

describe(`transforms against Tonic ${doc.tonic_commit.slice(0, 7)} (test/fixtures/tonic/transforms.json)`, () => {
  it('the fixture covers every transform on every input', () => {
    expect(doc.cases.length).toBeGreaterThan(100);
    expect(new Set(doc.cases.map((c) => c.input))).toEqual(new Set(['nmnist', 'ncars', 'aedat4', 'edges']));
  });
  for (const [k, c] of doc.cases.entries()) {
    it(`${k}: ${c.transform} ${JSON.stringify(c.params)} on ${c.input}`, () => {
      const ev = input(c.input);
      const before = plain(ev);
      const out = apply(c, ev);
      expect(plain(ev)).toEqual(before); // the input is left as it was
      if (c.events) {
        expect(plain(out as Events)).toEqual(c.events);
        return;
      }
      const want = c.tensor!;
      const tensor = out as Tensor;
      expect(tensor.shape).toEqual(want.shape);
      const dense = new Float64Array(tensor.size);
      want.index.forEach((i, j) => {
        dense[i] = want.value[j];
      });
      const tol = c.transform === 'ToVoxelGrid' ? 1e-6 : 0; // float32 output of Tonic's float64 grid; counts exact
      const wrong: string[] = [];
      for (let i = 0; i < dense.length && wrong.length < 5; i++) {
        if (Math.abs(tensor.data[i] - dense[i]) > tol * Math.max(1, Math.abs(dense[i])))
          wrong.push(`[${i}] ${tensor.data[i]} != ${dense[i]}`);
      }
      expect(wrong).toEqual([]);
    });
  }
});

describe('transform details', () => {
  const ev = input('edges');
  it('randomFlipPolarity with p = 1 always flips, with p = 0 (almost) never', () => {
    expect(plain(randomFlipPolarity(ev, new Rng(1), 1))).toEqual(plain(flipPolarity(ev)));
    expect(plain(randomFlipPolarity(ev, new Rng(1), 0))).toEqual(plain(ev));
  });
  it('output sensor sizes: downsample, centerCrop, mergePolarities', () => {
    expect(downsample(ev, { spatialFactor: 0.5 }).sensorSize).toEqual([2, 2, 2]);
    expect(downsample(ev, { targetSize: [3, 2] }).sensorSize).toEqual([3, 2, 2]);
    expect(centerCrop(ev, [2, 2]).sensorSize).toEqual([2, 2, 2]);
    expect(mergePolarities(ev).sensorSize).toEqual([4, 3, 1]);
  });
  it('toFrame on no events: one empty frame (timeWindow, eventCount) or the bin count, [T, P, H, W]', () => {
    const none = makeEvents({ x: [], y: [], p: [], t: [] }, [5, 3, 2]);
    expect(toFrame(none, { timeWindow: 10 }).shape).toEqual([1, 2, 3, 5]);
    expect(toFrame(none, { eventCount: 10 }).shape).toEqual([1, 2, 3, 5]);
    expect(toFrame(none, { nTimeBins: 4 }).shape).toEqual([4, 2, 3, 5]);
    expect(toFrame(none, { nEventBins: 3 }).shape).toEqual([3, 2, 3, 5]);
  });
  it('typed errors for bad options', () => {
    expect(() => toFrame(ev, {})).toThrow(/exactly one of/);
    expect(() => toFrame(ev, { timeWindow: 10, eventCount: 3 })).toThrow(/exactly one of/);
    expect(() => toFrame(ev, { timeWindow: 10, overlap: 10 })).toThrow(/overlap 10 must be less than timeWindow 10/);
    expect(() => toFrame(ev, { nTimeBins: 3, overlap: 1 })).toThrow(/\[0, 1\)/);
    expect(() => toFrame(ev, { timeWindow: 10, overlp: 1 } as ToFrameOptions)).toThrow(/unknown option "overlp"/);
    expect(() => toFrame({ ...ev, sensorSize: [4, 3, 1] }, { timeWindow: 10 })).toThrow(/one-polarity sensor/);
    const unsorted = makeEvents({ x: [0, 1], y: [0, 0], p: [0, 0], t: [5, 1] }, [2, 1, 2], { sorted: false });
    expect(() => toFrame(unsorted, { timeWindow: 2 })).toThrow(/must be sorted; event 1/);
    expect(() => toVoxelGrid(makeEvents({ x: [0], y: [0], p: [0], t: [5] }, [2, 1, 2]), 3)).toThrow(/same timestamp/);
    expect(() => toVoxelGrid(mergePolarities(ev), 3)).toThrow(/2 polarities/);
  });
});
