/**
 * Event data (DVS / event cameras): the Events structure, readers of the common file formats (all
 * browser-safe, from bytes; streaming file readers for Node are in ./node.ts) and Tonic's transforms.
 */
export {
  type Aedat2Layout,
  type Aedat2Options,
  Aedat2Decoder,
  type Aedat3Options,
  Aedat3Decoder,
  readAedat2,
  readAedat3,
} from './aedat.js';
export { type Aedat4Options, type Aedat4Stream, Aedat4Decoder, readAedat4 } from './aedat4.js';
export { ChunkDecoder, type ReadOptions } from './decoder.js';
export {
  type DvsOptions,
  DvsEmulator,
  emulateSaccades,
  emulateVideo,
  NMNIST_DVS_DEFAULTS,
  NMNIST_SACCADES,
  type SaccadeOptions,
} from './emulator.js';
export {
  checkSensorSize,
  cloneEvents,
  concatEvents,
  type EventArrays,
  type EventMeta,
  type Events,
  emptyEvents,
  eventsOf,
  filterEvents,
  isSorted,
  makeEvents,
  type SensorSize,
  searchSorted,
  selectEvents,
  sliceIndex,
  sliceTime,
  validateEvents,
} from './events.js';
export { detectEventFormat, EVENT_FORMATS, type EventFileOptions, type EventFormat, eventDecoder, readEvents } from './formats.js';
export {
  type Slices,
  sliceByEventBins,
  sliceByEventCount,
  sliceByTime,
  sliceByTimeBins,
  type ToFrameOptions,
  toFrame,
  toVoxelGrid,
} from './frame.js';
export { NmnistDecoder, type NmnistFrameOptions, type NmnistOptions, readNmnist, readNmnistFrames, writeNmnist } from './nmnist.js';
export { NpyDecoder, type NpyOptions, readNpy } from './npy.js';
export { Evt2RawDecoder, type PropheseeOptions, PropheseeDatDecoder, readEvt2Raw, readPropheseeDat } from './prophesee.js';
export {
  dropEvent,
  randomCrop,
  randomFlipLR,
  randomFlipPolarity,
  randomFlipUD,
  randomRefractoryPeriod,
  type SpatialJitterOptions,
  spatialJitter,
  type TimeJitterOptions,
  timeJitter,
} from './random.js';
export {
  centerCrop,
  cropTime,
  type DownsampleOptions,
  denoise,
  downsample,
  flipLR,
  flipPolarity,
  flipUD,
  mergePolarities,
  refractoryPeriod,
  timeSkew,
} from './transforms.js';
