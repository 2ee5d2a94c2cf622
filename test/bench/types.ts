/** One line of `npm run bench`: this package against its reference, measured in the same run. */
export interface BenchRow {
  /** What was measured, e.g. "train step vit_tiny_patch16_224 B=8". */
  readonly name: string;
  /** Throughput unit, e.g. "img/s" (higher is better). */
  readonly unit: string;
  /** This package's throughput. */
  readonly ours: number;
  /** The reference implementation's throughput (PyTorch, scikit-learn, Pillow...). */
  readonly reference: number;
  /** Name and settings of the reference, e.g. "PyTorch 1.13 (OPENBLAS_NUM_THREADS=1, 2 threads)". */
  readonly referenceName: string;
  /** Free-form notes: settings of both sides, backend, sizes. */
  readonly notes?: string;
}
