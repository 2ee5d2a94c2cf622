/**
 * `mmsn prepare` (image cache) and `mmsn ehr` (EHR feature CSV): the data-preparation steps of the pipeline.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildCache, extractEhrFeatures, type AgeEncoding } from "../../data-loaders/index.js";
import type { EhrGroup } from "../../data-loaders/index.js";
import { COHORT_LAYOUT, loadDataset, requirePath, type DatasetName } from "../data.js";

/**
 * Build the preprocessing cache of a dataset (all splits): shards of uint8 images with shorter side
 * `shortSide`, resumable. Default location `DIR/.cache/<dataset>-<shortSide>`.
 */
export async function prepareCommand(data: string, dataset: DatasetName, shortSide: number, out: string | undefined, progress: boolean): Promise<void> {
  const ds = loadDataset(data, dataset);
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
  const dir = requirePath(resolve(data), "dataset directory --data");
  const root = requirePath(join(dir, COHORT_LAYOUT.mimicCxr), "MIMIC-CXR-JPG");
  const metadata = ["mimic-cxr-2.0.0-metadata.csv.gz", "mimic-cxr-2.0.0-metadata.csv"].map((f) => join(root, f)).find(existsSync);
  if (!metadata) throw new Error(`MIMIC-CXR metadata not found in ${root}; run \`mmsn synth DIR\` to generate the synthetic cohort, or point --data at your MIMIC-CXR-JPG / MIMIC-IV copies`);
  const ehr = await extractEhrFeatures({ mimicIvRoot: requirePath(join(dir, COHORT_LAYOUT.mimicIv), "MIMIC-IV 2.2"), metadata, selection: { groups, age }, outCsv });
  const skipped = ehr.report.toString();
  console.log(`EHR features ${ehr.columns.join(", ")} for ${ehr.paths.length} images → ${outCsv}${skipped ? `\n${skipped}` : ""}`);
}
