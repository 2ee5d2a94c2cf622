/**
 * `mmsn prepare` (image cache) and `mmsn ehr` (EHR feature CSV): the data-preparation steps of the pipeline.
 */
import { join, resolve } from "node:path";
import { buildCache, extractEhrMatrix, type AgeEncoding } from "../../data-loaders/index.js";
import type { EhrGroup } from "../../data-loaders/index.js";
import { printSkipSummary, skipSummary } from "../skips.js";
import { cohortMimicRoots, loadDataset, requireMimicMetadata, requirePath, type DatasetName } from "../data.js";

/**
 * Build the preprocessing cache of a dataset (all splits): shards of uint8 images with shorter side
 * `shortSide`, resumable. Default location `DIR/.cache/<dataset>-<shortSide>`.
 */
export async function prepareCommand(data: string, dataset: DatasetName, shortSide: number, out: string | undefined, progress: boolean, allowSymlinks = false): Promise<void> {
  const ds = loadDataset(data, dataset, { allowSymlinks });
  printSkipSummary([ds.report]);
  const outDir = out ?? join(resolve(data), ".cache", `${dataset}-${shortSide}`);
  const t0 = performance.now();
  const r = await buildCache(ds.ids.map((id, i) => ({ id, path: ds.paths[i]! })), { outDir, shortSide, progress });
  console.log(
    `cache ${outDir}: ${r.manifest.entries.length} images at short side ${shortSide} (${r.written} shards written, ${r.reused} reused` +
      `${r.manifest.failed.length ? `, ${r.manifest.failed.length} unreadable images skipped` : ""}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

/**
 * Extract the paper's EHR features (selected groups, age encoding) for every MIMIC-CXR image and write
 * them as a CSV (`path` + feature columns, the paper's format).
 */
export async function ehrCommand(data: string, groups: readonly EhrGroup[], age: AgeEncoding, outCsv: string): Promise<void> {
  requirePath(resolve(data), "dataset directory --data");
  const { mimicRoot, mimicIvRoot } = cohortMimicRoots(data);
  const ehr = extractEhrMatrix({ mimicIvRoot, metadata: requireMimicMetadata(mimicRoot), selection: { groups, age }, outCsv });
  const skipped = skipSummary([ehr.report]);
  console.log(`EHR features ${ehr.columns.join(", ")} for ${ehr.paths.length} images → ${outCsv}${skipped ? `\n${skipped}` : ""}`);
}
