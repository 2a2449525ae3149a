// spikeflow public API (works in Node and browsers; Node-only pieces are in `spikeflow/node`).
// A list, module by module: each module's values, then its types (export, export type), so that
// neighbouring blocks look alike without repeating any logic.
export { Tensor, shapeSize } from './core/tensor.js';
export { Rng, rateDraw } from './core/rng.js';
export { backward } from './core/autograd.js';
export { linear, sigmoid as sigmoidOp, relu, scale, addScalars, sum } from './ops/index.js';
export * from './core/errors.js';

export type { Kernels } from './kernels/types.js';
export { kernelThreads, setKernelThreads } from './kernels/types.js';
export { referenceKernels } from './kernels/reference.js';
export { createWasmKernels, createWasmKernelsSync, relaxedSimdSupported } from './kernels/wasm.js';
export type { WasmKernelOptions } from './kernels/wasm.js';
export { defaultKernels, initKernels } from './kernels/default.js';

export { leakyStep, leakyInitState, leakyUpdate, leakySequence } from './neurons/leaky.js';
export type { LeakyParams, LeakyState, ResetMechanism, LeakySequenceOptions } from './neurons/leaky.js';
export { simulateLif, lifStep, lifParams, lifAnalyticIsi, lifRheobase, lifFiCurve, LIF_DEFAULTS } from './neurons/lif.js';
export type { LifParams, LifState, LifRun } from './neurons/lif.js';
export { atan, fastSigmoid, sigmoid, heaviside } from './surrogate/index.js';
export type { Surrogate } from './surrogate/index.js';
export { directEncode, rateEncode, RateSeq } from './encode/index.js';
export { latencyEncode, latencyTimes, deltaEncode } from './encode/latency.js';
export type { LatencyOptions } from './encode/latency.js';

export type { Layer, Seq, ForwardContext, NamedParameter } from './nn/layer.js';
export { Linear } from './nn/linear.js';
export { Leaky } from './nn/leaky-layer.js';
export type { LeakyOptions } from './nn/leaky-layer.js';
export { ReLU } from './nn/relu.js';
export { Sequential } from './nn/sequential.js';
export { snnClassifier, annClassifier, csnnClassifier, sequentialFromConfig, surrogateFromConfig } from './nn/models.js';
export type { CsnnSpec } from './nn/models.js';
export { Conv2d, conv2d, conv2dMaxPool, convGeometry } from './nn/conv.js';
export type { Conv2dOptions, ConvGeometry } from './nn/conv.js';
export { MaxPool2d, AvgPool2d, maxPool2d, avgPool2d } from './nn/pool.js';
export { Flatten } from './nn/flatten.js';
export { Dropout } from './nn/dropout.js';
export { BatchNorm, BatchNorm1d, BatchNorm2d } from './nn/batchnorm.js';
export type { BatchNormOptions } from './nn/batchnorm.js';
export { convertToSnn, foldBatchNorm, percentile, ConversionError, ACCUMULATOR_THRESHOLD } from './convert/convert.js';
export type { ConvertOptions, ConversionReport, Readout } from './convert/convert.js';
export { accuracyVsSteps, accuracyVsStepsSvg, convertedTask, predictAt, DEFAULT_STEPS } from './convert/accuracy.js';
export type { InputCoding, StepsResult } from './convert/accuracy.js';
export type { ImageShape, SpikeRecord } from './nn/layer.js';
export { populationCode, populationResponses, populationEncode, populationDecode } from './encode/population.js';
export type { PopulationOptions, PopulationCode, PopulationMode } from './encode/population.js';
export { firstSpikeTimes, predictByFirstSpike, populationCounts, predictByPopulation } from './decode/index.js';
export { stratifiedKFold } from './train/kfold.js';
export type { Fold } from './train/kfold.js';
export { irisFromRows, IRIS_CLASSES, IRIS_FEATURES } from './data/iris-rows.js';
export type { TabularSet } from './data/iris-rows.js';

export {
  crossEntropyOverTime,
  crossEntropy,
  ceRateLoss,
  ceMembraneLoss,
  ceCountLoss,
  ceMaxMembraneLoss,
  mseCountLoss,
  mseMembraneLoss,
  sumOverTime,
  maxOverTime,
  mse,
  accuracyRate,
  spikeCounts,
  predictByCount,
  l1RateSparsity,
} from './train/losses.js';
export { mseTemporalLoss, ceTemporalLoss, spikeTimes } from './train/temporal-losses.js';
export type { TemporalTargetOptions } from './train/temporal-losses.js';
export { Adam, SGD } from './train/optim.js';
export type { Optimizer } from './train/optim.js';
export { spikingTask, annTask, taskFromSpec } from './train/task.js';
export type { Task, TaskSpec } from './train/task.js';
export { trainEpoch, evaluate, gatherBatch } from './train/trainer.js';
export type { Dataset, Encoder, EpochOptions, EpochResult, EvalResult, BatchInfo } from './train/trainer.js';
export { runBatch, sliceBatch, allFinite, nonFiniteGradient } from './train/step.js';
// step buffers for any training loop (what runBatch uses): tape.run(() => { forward; backward })
export { Tape } from './core/buffers.js';

export { estimateOps, ENERGY_PJ } from './analysis/energy.js';
export type { LayerOps, OpsEstimate } from './analysis/energy.js';
export { parseIdx, isGzip } from './data/idx.js';
export { encodeSafetensors, decodeSafetensors } from './interop/safetensors.js';
export { checkCheckpointConfig, modelFromCheckpoint, weightsFileOf, CHECKPOINT_FORMAT, CONFIG_FILE } from './train/checkpoint-model.js';
export type { CheckpointConfig, WeightsRef } from './train/checkpoint-model.js';
export { validateCheckpointConfig, checkWeightsHeader, checkpointFromBytes } from './train/checkpoint-config.js';
export { readSafetensorsHeader } from './interop/safetensors.js';

export {
  stdpParams,
  stdpWindow,
  stdpPairDw,
  stdpApplyPairs,
  stdpPotentiate,
  stdpDepress,
  stdpPairingProtocol,
  StdpTraceSynapse,
  STDP_DEFAULTS,
} from './plasticity/stdp.js';
export type { StdpParams, StdpPairing, StdpUpdate } from './plasticity/stdp.js';
export { DiehlCookNetwork, assignLabels, predictByAssignment } from './sim/diehl-cook.js';
export type { DiehlCookOptions } from './sim/diehl-cook.js';
export {
  LifGroup,
  IzhikevichGroup,
  HodgkinHuxleyGroup,
  hhRates,
  PoissonGroup,
  SpikeGeneratorGroup,
  connect,
  allToAll,
  oneToOne,
  fixedProbability,
  fixedInDegree,
  custom as customConnection,
  Synapses,
  SpikeMonitor,
  StateMonitor,
  PopulationRateMonitor,
  Network,
  buildCuba,
  buildCoba,
} from './sim/index.js';
export type {
  SpikingGroup,
  PerNeuron,
  LifGroupOptions,
  IzhikevichGroupOptions,
  HodgkinHuxleyGroupOptions,
  ConnectionRule,
  Connectivity,
  SynapsesOptions,
  SynapseValue,
  Monitor,
  BenchmarkNetwork,
  BenchmarkOptions,
} from './sim/index.js';

// Neuron models beyond Leaky (pure step functions and fused multi-step ops), their layers, surrogates.
export {
  triangular,
  spikeRateEscape,
  straightThrough,
  gaussian,
  triangle,
  scaledAtan,
  atanOverPi,
  atanK,
  custom as customSurrogate,
  surrogateConfig,
  surrogateFromName,
} from './surrogate/index.js';
export { synapticStep, synapticInitState, synapticSequence } from './neurons/synaptic.js';
export type { SynapticParams, SynapticState, SynapticSequenceOptions } from './neurons/synaptic.js';
export { alphaStep, alphaInitState, alphaSequence } from './neurons/alpha.js';
export type { AlphaParams, AlphaState, AlphaSequenceOptions } from './neurons/alpha.js';
export { lapicqueStep, lapicqueInitState, lapicqueSequence, lapicqueConstants } from './neurons/lapicque.js';
export type { LapicqueParams, LapicqueState, LapicqueSequenceOptions } from './neurons/lapicque.js';
export { integrateFireStep, integrateFireSequence } from './neurons/if.js';
export type { IntegrateFireParams, IntegrateFireSequenceOptions } from './neurons/if.js';
export { rleakyStep, rleakyInitState, rleakySequence } from './neurons/rleaky.js';
export type { RLeakyParams, RLeakyState, RLeakySequenceOptions } from './neurons/rleaky.js';
export { rsynapticStep, rsynapticInitState, rsynapticSequence } from './neurons/rsynaptic.js';
export type { RSynapticParams, RSynapticState, RSynapticSequenceOptions } from './neurons/rsynaptic.js';
export { alifStep, alifInitState, alifSequence } from './neurons/alif.js';
export type { AlifParams, AlifState, AlifSequenceOptions } from './neurons/alif.js';
export { izhikevichStep, izhikevichInitState, izhikevichSequence, IZHIKEVICH_PRESETS } from './neurons/izhikevich.js';
export type {
  IzhikevichParams,
  IzhikevichPreset,
  IzhikevichOptions,
  IzhikevichState,
  IzhikevichSequenceOptions,
} from './neurons/izhikevich.js';
export { scanSequence } from './neurons/scan.js';
export type { FeatureParam } from './neurons/common.js';
export { Synaptic, Alpha } from './nn/synaptic-layer.js';
export type { SynapticOptions, AlphaOptions } from './nn/synaptic-layer.js';
export { RLeaky, RSynaptic } from './nn/recurrent-layer.js';
export type { RecurrentOptions, RSynapticOptions } from './nn/recurrent-layer.js';
export { Alif } from './nn/alif-layer.js';
export type { AlifOptions } from './nn/alif-layer.js';

// Plots as SVG strings (no DOM): neuron traces, rasters, histograms, f-I curves, STDP windows, weight grids, training curves.
export * from './viz/index.js';
