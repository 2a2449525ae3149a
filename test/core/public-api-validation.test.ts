import { describe, expect, it } from 'vitest';
import {
  Adam,
  Alif,
  Alpha,
  AvgPool2d,
  Conv2d,
  DiehlCookNetwork,
  Dropout,
  HodgkinHuxleyGroup,
  IzhikevichGroup,
  Leaky,
  LifGroup,
  Linear,
  MaxPool2d,
  Network,
  PoissonGroup,
  PopulationRateMonitor,
  RLeaky,
  RSynaptic,
  Rng,
  SGD,
  SpikeGeneratorGroup,
  SpikeMonitor,
  Sequential,
  ShapeError,
  SpikeflowError,
  StateMonitor,
  StdpTraceSynapse,
  Synapses,
  Synaptic,
  Tensor,
  alifStep,
  alphaStep,
  allToAll,
  connect,
  deltaEncode,
  directEncode,
  fixedInDegree,
  fixedProbability,
  integrateFireStep,
  izhikevichStep,
  lapicqueStep,
  latencyEncode,
  leakyInitState,
  leakySequence,
  leakyStep,
  populationCode,
  populationEncode,
  rateEncode,
  referenceKernels,
  rleakyStep,
  rsynapticStep,
  simulateLif,
  stdpParams,
  synapticStep,
  alphaSequence,
  alifSequence,
  izhikevichSequence,
  lapicqueSequence,
  rleakySequence,
  rsynapticSequence,
  synapticSequence,
  lifStep,
  lifParams,
  izhikevichInitState,
  stdpWindow,
  stdpPairDw,
  stdpPairingProtocol,
  assignLabels,
  populationDecode,
  atan,
} from '../../src/index.js';

/**
 * Every public entry point, called from plain JavaScript with a missing, wrong-typed or out-of-range
 * option, throws a SpikeflowError at that call whose message names the option (not a TypeError later).
 */
const rng = new Rng(1);
const x3 = new Float32Array(3);
const mem3 = leakyInitState(3);
const seqT = new Tensor(new Float32Array(6), [2, 1, 3]);
const tensor = new Tensor(new Float32Array([0.1, 0.5, 0.9]), [1, 3]);
const any = (v: unknown) => v as never;
const group = () => new SpikeGeneratorGroup({ n: 3, indices: [], times: [] });
const lif = { n: 2, tauM: 10, vRest: -65, vReset: -65, vThreshold: -50 };

const cases: Array<[label: string, call: () => unknown, names: string]> = [
  // layers
  ['Linear without options', () => new Linear(4, 3, any(undefined)), 'Linear options'],
  ['Linear without rng', () => new Linear(4, 3, any({})), 'Linear rng'],
  ['Linear rng of the wrong type', () => new Linear(4, 3, any({ rng: 1 })), 'Linear rng'],
  ['Linear bias not a boolean', () => new Linear(4, 3, any({ rng, bias: 'no' })), 'Linear bias'],
  ['Linear inFeatures a string', () => new Linear(any('4'), 3, { rng }), 'Linear inFeatures'],
  ['Leaky without options', () => new Leaky(any(undefined)), 'Leaky options'],
  ['Leaky without beta', () => new Leaky(any({ size: 3 })), 'Leaky beta'],
  ['Leaky beta out of range', () => new Leaky({ size: 3, beta: 5 }), 'Leaky beta'],
  ['Leaky surrogate a string', () => new Leaky(any({ size: 3, beta: 0.9, surrogate: 'atan' })), 'Leaky: surrogate'],
  ['Leaky learnBeta a string', () => new Leaky(any({ size: 3, beta: 0.9, learnBeta: 'yes' })), 'Leaky learnBeta'],
  ['Leaky reset unknown', () => new Leaky(any({ size: 3, beta: 0.9, reset: 'soft' })), 'Leaky: reset'],
  ['Conv2d without rng', () => new Conv2d(any({ inChannels: 1, outChannels: 2, kernel: 3 })), 'Conv2d rng'],
  ['Conv2d kernel a string', () => new Conv2d(any({ inChannels: 1, outChannels: 2, kernel: '3', rng })), 'Conv2d kernel'],
  ['Conv2d bias a number', () => new Conv2d(any({ inChannels: 1, outChannels: 2, kernel: 3, rng, bias: 1 })), 'Conv2d bias'],
  ['Sequential of a layer, not an array', () => new Sequential(any(new Leaky({ size: 3, beta: 0.9 }))), 'Sequential layers'],
  ['Sequential of a non-layer', () => new Sequential(any([new Leaky({ size: 3, beta: 0.9 }), {}])), 'Sequential layers[1]'],
  ['Dropout p a string', () => new Dropout(any('0.5')), 'Dropout p'],
  ['MaxPool2d kernel 0', () => new MaxPool2d(0), 'MaxPool2d kernel'],
  ['AvgPool2d stride a string', () => new AvgPool2d(2, any('2')), 'AvgPool2d stride'],
  ['Synaptic without beta', () => new Synaptic(any({ size: 3, alpha: 0.9 })), 'Synaptic beta'],
  ['Synaptic surrogate a string', () => new Synaptic(any({ size: 3, alpha: 0.9, beta: 0.8, surrogate: 'atan' })), 'Synaptic: surrogate'],
  ['Synaptic learnAlpha a string', () => new Synaptic(any({ size: 3, alpha: 0.9, beta: 0.8, learnAlpha: 'yes' })), 'Synaptic learnAlpha'],
  ['Alpha alpha a string', () => new Alpha(any({ size: 3, alpha: '0.9', beta: 0.8 })), 'Alpha alpha'],
  ['RLeaky without rng', () => new RLeaky(any({ size: 3, beta: 0.9 })), 'RLeaky rng'],
  ['RSynaptic without options', () => new RSynaptic(any(undefined)), 'RSynaptic options'],
  ['Alif betaA a string', () => new Alif(any({ size: 3, beta: 0.9, betaA: '1' })), 'ALIF betaA'],
  ['Alif learnThreshold a string', () => new Alif(any({ size: 3, beta: 0.9, learnThreshold: 'no' })), 'ALIF learnThreshold'],
  // neuron step functions and sequence ops
  ['leakyStep beta 5', () => leakyStep(x3, mem3, { beta: 5, threshold: 1, reset: 'subtract' }), 'beta'],
  [
    'leakyStep per-neuron beta out of range',
    () => leakyStep(x3, mem3, { beta: Float32Array.of(0.5, 1.5, 0.5), threshold: 1, reset: 'subtract' }),
    'beta[1]',
  ],
  ['leakyStep without threshold', () => leakyStep(x3, mem3, any({ beta: 0.9, reset: 'subtract' })), 'threshold'],
  ['leakyStep without params', () => leakyStep(x3, mem3, any(undefined)), 'leakyStep params'],
  ['leakyStep without state', () => leakyStep(x3, any(undefined), { beta: 0.9, threshold: 1, reset: 'subtract' }), 'leakyStep state'],
  ['integrateFireStep threshold a string', () => integrateFireStep(x3, mem3, any({ threshold: '1', reset: 'zero' })), 'threshold'],
  [
    'synapticStep beta 2',
    () =>
      synapticStep(x3, { syn: new Float32Array(3), mem: new Float32Array(3) }, { alpha: 0.9, beta: 2, threshold: 1, reset: 'subtract' }),
    'beta',
  ],
  ['alphaStep without params', () => alphaStep(x3, { synExc: x3, synInh: x3, mem: x3 }, any(undefined)), 'alphaStep params'],
  ['lapicqueStep without params', () => lapicqueStep(x3, { mem: x3 }, any(undefined)), 'lapicqueStep params'],
  [
    'alifStep rho 3',
    () => alifStep(x3, { mem: x3, adapt: x3, spk: new Uint8Array(3) }, { beta: 0.9, threshold: 1, rho: 3, betaA: 1, reset: 'subtract' }),
    'rho',
  ],
  [
    'rleakyStep without weight',
    () => rleakyStep(x3, { mem: x3, spk: new Uint8Array(3) }, any({ beta: 0.9, threshold: 1, reset: 'subtract', bias: null })),
    'weight',
  ],
  [
    'rsynapticStep without params',
    () => rsynapticStep(x3, { syn: x3, mem: x3, spk: new Uint8Array(3) }, any(undefined)),
    'rsynapticStep params',
  ],
  ['izhikevichStep without params', () => izhikevichStep(x3, { v: x3, u: x3 }, any(undefined)), 'izhikevichStep params'],
  [
    'leakySequence without kernels',
    () =>
      leakySequence(
        new Tensor(new Float32Array(3), [1, 1, 3]),
        any({
          steps: 1,
          constInput: false,
          beta: new Tensor(new Float32Array(3).fill(0.9), [3]),
          threshold: 1,
          reset: 'subtract',
          surrogate: { grad: () => 0, code: 0, param: 2 },
        }),
      ),
    'kernels',
  ],
  ['alphaSequence without options', () => alphaSequence(seqT, any(undefined)), 'alphaSequence options'],
  ['alifSequence without options', () => alifSequence(seqT, any(undefined)), 'alifSequence options'],
  ['izhikevichSequence without options', () => izhikevichSequence(seqT, any(undefined)), 'izhikevichSequence options'],
  ['lapicqueSequence without options', () => lapicqueSequence(seqT, any(undefined)), 'lapicqueSequence options'],
  ['rleakySequence without options', () => rleakySequence(seqT, any(undefined)), 'rleakySequence options'],
  ['rsynapticSequence of an array', () => rsynapticSequence(any([1, 2]), any({ steps: 1 })), 'rsynapticSequence input'],
  ['synapticSequence of an array', () => synapticSequence(any([1, 2]), any({ steps: 1 })), 'synapticSequence input'],
  ['leakySequence of an array', () => leakySequence(any([1, 2]), any({ steps: 1 })), 'leakySequence input'],
  [
    'rleakySequence without recurrent weight',
    () => rleakySequence(seqT, any({ steps: 2, constInput: false, beta: 0.9, threshold: 1, reset: 'zero', surrogate: atan(), bias: null })),
    'RLeaky weight',
  ],
  ['lifStep without state', () => lifStep(1, any(undefined), lifParams()), 'lifStep state'],
  ['izhikevichInitState without params', () => izhikevichInitState(3, any(undefined)), 'izhikevichInitState params'],
  ['simulateLif tau a string', () => simulateLif(1, 10, any({ tau: '5' })), 'tau'],
  // encoders
  ['rateEncode without rng', () => rateEncode(tensor, 10, any(undefined)), 'rateEncode rng'],
  ['rateEncode of an array', () => rateEncode(any([0.1, 0.2]), 10, rng), 'rateEncode x'],
  ['directEncode of an array', () => directEncode(any([0.1]), 10), 'directEncode x'],
  ['latencyEncode tau -1', () => latencyEncode(tensor, 10, { tau: -1 }), 'tau'],
  ['latencyEncode linear a string', () => latencyEncode(tensor, 10, any({ linear: 'yes' })), 'latency linear'],
  ['deltaEncode threshold a string', () => deltaEncode(tensor, any({ threshold: 'x' })), 'delta threshold'],
  ['populationCode without options', () => populationCode(3, any(undefined)), 'population options'],
  ['populationCode min a string', () => populationCode(3, any({ neurons: 4, min: '0', max: 1 })), 'population min'],
  ['populationDecode without a code', () => populationDecode([1], any(undefined)), 'population code'],
  [
    'populationEncode rate mode, rng not an Rng',
    () => populationEncode(tensor, populationCode(3, { neurons: 2, min: 0, max: 1 }), 4, 'rate', any({})),
    'rng',
  ],
  // simulator
  ['PoissonGroup with rng in the options', () => new PoissonGroup(any({ n: 3, rates: 10, rng })), 'PoissonGroup rng'],
  ['PoissonGroup rates a string', () => new PoissonGroup(any({ n: 3, rates: 'abc' }), rng), 'rates'],
  ['PoissonGroup without options', () => new PoissonGroup(any(undefined), rng), 'PoissonGroup options'],
  ['SpikeGeneratorGroup without times', () => new SpikeGeneratorGroup(any({ n: 3, indices: [0] })), 'times'],
  ['SpikeGeneratorGroup period a string', () => new SpikeGeneratorGroup(any({ n: 3, indices: [], times: [], period: '5' })), 'period'],
  ['LifGroup without tauM', () => new LifGroup(any({ n: 2, vRest: -65, vReset: -65, vThreshold: -50 })), 'tauM'],
  ['LifGroup wasm a string', () => new LifGroup(any({ ...lif, wasm: 'no' })), 'wasm'],
  ['LifGroup v a string', () => new LifGroup(any({ ...lif, v: 'ab' })), 'lif v'],
  ['LifGroup without options', () => new LifGroup(any(undefined)), 'LifGroup options'],
  ['IzhikevichGroup a a string', () => new IzhikevichGroup(any({ n: 2, a: 'x' })), 'a'],
  ['HodgkinHuxleyGroup without options', () => new HodgkinHuxleyGroup(any(undefined)), 'HodgkinHuxleyGroup options'],
  ['Synapses without connectivity', () => new Synapses(group(), group(), any(undefined), { weight: 1 }), 'connectivity'],
  ['Synapses without weight', () => new Synapses(group(), group(), connect(allToAll(), 3, 3, rng), any({})), 'weight'],
  ['Synapses source not a group', () => new Synapses(any({}), group(), connect(allToAll(), 3, 3, rng), { weight: 1 }), 'source'],
  [
    'Synapses delay a string',
    () => new Synapses(group(), group(), connect(allToAll(), 3, 3, rng), any({ weight: 1, delay: 'x' })),
    'delay',
  ],
  ['connect without rng for a random rule', () => connect(fixedProbability(0.5), 3, 3, any(undefined)), 'connect rng'],
  ['connect rule not a rule', () => connect(any('all'), 3, 3, rng), 'connect rule'],
  ['fixedProbability allowSelf a string', () => fixedProbability(0.5, any({ allowSelf: 'no' })), 'allowSelf'],
  ['fixedInDegree -1', () => fixedInDegree(-1), 'in-degree'],
  ['SpikeMonitor without group', () => new SpikeMonitor(any(undefined)), 'SpikeMonitor group'],
  ['StateMonitor variables a string', () => new StateMonitor(new LifGroup(lif), any('v'), [0]), 'StateMonitor variables'],
  ['PopulationRateMonitor without group', () => new PopulationRateMonitor(any(undefined)), 'PopulationRateMonitor group'],
  ['Network dt a string', () => new Network(any('0.1')), 'dt'],
  ['Network.addGroup of a non-group', () => new Network().addGroup(any({})), 'addGroup'],
  ['DiehlCookNetwork without rng', () => new DiehlCookNetwork(any(undefined)), 'DiehlCookNetwork rng'],
  ['StdpTraceSynapse without params', () => new StdpTraceSynapse(0.5, any(undefined), 0.1), 'STDP params'],
  ['stdpWindow without params', () => stdpWindow(1, any(undefined)), 'STDP params'],
  ['stdpPairDw times a number', () => stdpPairDw(any(5), [1], stdpParams()), 'STDP preTimes'],
  ['stdpPairingProtocol without options', () => stdpPairingProtocol(any(undefined)), 'stdpPairingProtocol options'],
  ['assignLabels without responses', () => assignLabels(any(undefined), [1], 2), 'assignLabels responses'],
  ['stdpParams aPlus a string', () => stdpParams(any({ aPlus: '1' })), 'aPlus'],
  // optimizers
  ['Adam without parameters', () => new Adam(any(undefined)), 'Adam params'],
  ['Adam parameters not tensors', () => new Adam(any([{}])), 'Adam params[0]'],
  ['Adam betas a number', () => new Adam([], any({ betas: 0.9 })), 'Adam betas'],
  ['Adam eps -1', () => new Adam([], { eps: -1 }), 'Adam eps'],
  ['Adam kernels not kernels', () => new Adam([], any({ kernels: {} })), 'Adam kernels'],
  ['SGD without parameters', () => new SGD(any(undefined)), 'SGD params'],
  ['SGD lr a string', () => new SGD([], any({ lr: '0.1' })), 'SGD lr'],
];

describe('public entry points reject bad options with a typed error naming the option', () => {
  it.each(cases)('%s', (_label, call, names) => {
    let err: unknown = null;
    try {
      call();
    } catch (e) {
      err = e;
    }
    expect(err, 'no error').not.toBeNull();
    expect(err, String(err)).toBeInstanceOf(SpikeflowError);
    expect((err as Error).message).toContain(names);
  });

  it('a found value is described by its type and value', () => {
    expect(() => new Linear(4, 3, any({ rng: 'seed' }))).toThrow(/found "seed"/);
    expect(() => new Leaky(any({ size: 3 }))).toThrow(/found undefined/);
  });

  it('a spiking layer fed the wrong number of features says so (input features vs layer size)', () => {
    const x = new Tensor(new Float32Array(2 * 4).fill(0.5), [2, 4]);
    const seq = directEncode(x, 3);
    const msg = /Leaky: the input has 4 features per step, but the layer has size 3/;
    const alone = new Sequential([new Leaky({ size: 3, beta: 0.9 })]);
    expect(() => alone.forward(seq, referenceKernels)).toThrow(msg);
    expect(() => alone.forward(seq, referenceKernels, { inference: true })).toThrow(msg);
    // after a Linear of 4 outputs, in training and in the fused inference paths
    const after = new Sequential([new Linear(4, 4, { rng }), new Leaky({ size: 3, beta: 0.9 }), new Linear(3, 2, { rng })]);
    for (const input of [seq, rateEncode(x, 3, new Rng(2), 1, referenceKernels)]) {
      for (const inference of [false, true]) {
        expect(() => after.forward(input, referenceKernels, { inference })).toThrow(ShapeError);
        expect(() => after.forward(input, referenceKernels, { inference })).toThrow(/has 4 features per step, but the layer has size 3/);
      }
    }
    expect(() => new Sequential([new Synaptic({ size: 3, alpha: 0.5, beta: 0.9 })]).forward(seq, referenceKernels)).toThrow(
      /Synaptic: the input has 4 features per step, but the layer has size 3/,
    );
  });

  it('the reference kernels are accepted where kernels are asked for', () => {
    expect(() => new Adam([], { kernels: referenceKernels })).not.toThrow();
  });
});
