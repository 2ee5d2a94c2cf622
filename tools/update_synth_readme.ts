/**
 * Regenerate the numbers in data-loaders/synth/README.md from actual runs: the default cohort's
 * prevalence tables (from its records, identical to what `writeSyntheticCohort` writes) and the signal
 * check. Run: `npx tsx tools/update_synth_readme.ts` (about 30 s). Text between the
 * `<!-- synth:… -->` markers is replaced; nothing else is touched.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildSyntheticCohort, summariseCohort } from "../data-loaders/synth/index.js";
import { EHR_PREDICTABLE_LABELS, runSignalCheck, type SignalCheckResult } from "../app/synth/signal_check.js";
import { summaryMarkdown } from "../data-loaders/synth/summary.js";

function replaceBlock(text: string, name: string, body: string): string {
  const begin = `<!-- synth:${name}:begin -->`, end = `<!-- synth:${name}:end -->`;
  const i = text.indexOf(begin), j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`README has no ${name} markers`);
  return text.slice(0, i + begin.length) + "\n" + body.trim() + "\n" + text.slice(j);
}

/** Markdown table of a signal-check result. */
export function signalMarkdown(r: SignalCheckResult): string {
  const f = (v: number | null | undefined): string => (typeof v === "number" ? v.toFixed(3) : "n/a");
  const lines = [
    `Run: \`runSignalCheck({ seed: ${r.seed}, images: 2000, imageSize: ${r.imageSize} })\` — ${r.images} labelled MIMIC images; train ${r.trainImages} images / ${r.trainSubjects} subjects, held-out ${r.testImages} images / ${r.testSubjects} subjects.`,
    "",
    `**Image probe macro AUROC ${f(r.image.macro)}**; **EHR-only probe macro AUROC ${f(r.ehr.macro)}** over all labels and **${f(r.ehr.macroPredictable)}** over the EHR-predictable labels (${EHR_PREDICTABLE_LABELS.join(", ")}).`,
    "",
    "| label | held-out positives | image probe | EHR probe |",
    "|---|---|---|---|",
  ];
  for (const l of Object.keys(r.image.perLabel)) lines.push(`| ${l} | ${r.image.testPositives[l]} | ${f(r.image.perLabel[l])} | ${f(r.ehr.perLabel[l])} |`);
  lines.push("", "Labels with few held-out positives (Pleural Other, Fracture) give noisy, even below-chance AUROCs; the macro averages include them.");
  return lines.join("\n");
}

const readme = path.join(path.dirname(fileURLToPath(import.meta.url)), "../data-loaders/synth/README.md");
let text = await readFile(readme, "utf8");
text = replaceBlock(text, "prevalence", summaryMarkdown(summariseCohort(buildSyntheticCohort())));
text = replaceBlock(text, "signal", signalMarkdown(runSignalCheck({ seed: 24, images: 2000, imageSize: 128 })));
await writeFile(readme, text);
console.log(`updated ${readme}`);
