// spikeflow plots: SVG strings with no DOM dependency (Node, workers, browsers). PNG export: spikeflow/node.
export {
  linePlot,
  membranePlot,
  rasterPlot,
  barPlot,
  spikeCountPlot,
  fiCurvePlot,
  stdpWindowPlot,
  trainingCurvesPlot,
  trainingHistorySvg,
} from './plots.js';
export { imageGridPlot, receptiveFieldsPlot, RASTER_ABOVE } from './image-grid.js';
export type { ImageGridOptions } from './image-grid.js';
export type { PlotSize, Series, MembranePlotOptions, RasterOptions, BarOptions, TrainingRecord } from './plots.js';
export { niceTicks, niceDomain, PALETTE } from './svg.js';
