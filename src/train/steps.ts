/**
 * Steps per epoch. Two different counts, one function each:
 * - `stepsPerEpoch(numImages, batchSize)`: batches in one pass over a dataset, the last partial batch dropped
 *   (drop_last, as the loaders): what an epoch of the data stream is.
 * - `scheduleStepsPerEpoch(steps, epochs)`: the unit of the schedule horizons when a run of `steps` steps
 *   spreads a preset's `epochs` schedule epochs over itself (the CLI's runs).
 */

/** Batches of `batchSize` in one epoch of `numImages` images, the last partial batch dropped: max(1, ⌊n / b⌋). */
export function stepsPerEpoch(numImages: number, batchSize: number): number {
  return Math.max(1, Math.floor(numImages / batchSize));
}

/** Schedule steps per epoch when `steps` optimizer steps cover `epochs` schedule epochs: max(1, round(steps / max(1, epochs))). */
export function scheduleStepsPerEpoch(steps: number, epochs: number): number {
  return Math.max(1, Math.round(steps / Math.max(1, epochs)));
}
