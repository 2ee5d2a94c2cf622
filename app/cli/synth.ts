/**
 * Command-line front end of the generator, for `mmsn synth` (the main CLI forwards its arguments
 * here) or directly: `npx tsx app/cli/synth.ts OUT_DIR [--seed 24] [--images 600] ...`.
 * Flags are the option names in kebab-case or camelCase; `--datasets mimic,nih`.
 */
import { pathToFileURL } from "node:url";
import { SYNTH_OPTION_KEYS, type SynthOptions } from "../../data-loaders/synth/options.js";
import { writeSyntheticCohort, type SynthReport } from "../../data-loaders/synth/index.js";
import { camel } from "./args.js";

/**
 * Parse CLI arguments into an output folder and options.
 *
 * @param argv arguments after the sub-command, e.g. `["runs/synth", "--images", "40"]`
 * @throws on a missing folder, an unknown flag or a non-numeric value
 * @example parseSynthArgs(["out", "--image-size", "64"]); // { outDir: "out", options: { imageSize: 64 } }
 */
export function parseSynthArgs(argv: readonly string[]): { outDir: string; options: SynthOptions } {
  let outDir: string | null = null;
  const o: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) {
      if (outDir !== null) throw new Error(`synth: unexpected argument ${a}`);
      outDir = a;
      continue;
    }
    const [flag, inline] = a.slice(2).split("=", 2) as [string, string | undefined];
    const key = camel(flag);
    if (!(SYNTH_OPTION_KEYS as readonly string[]).includes(key)) {
      throw new Error(`synth: unknown flag --${flag}; valid: ${SYNTH_OPTION_KEYS.map((k) => "--" + k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())).join(", ")}`);
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`synth: --${flag} needs a value`);
    if (key === "datasets") o[key] = value.split(",").filter(Boolean);
    else {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new Error(`synth: --${flag} must be a number, got ${value}`);
      o[key] = n;
    }
  }
  if (outDir === null) throw new Error("usage: mmsn synth OUT_DIR [--seed N] [--images N | --patients N] [--image-size N] [--datasets mimic,nih,chexpert] ...");
  return { outDir, options: o as SynthOptions };
}

/** Parse arguments, write the cohort, print a one-line summary; returns the report. */
export async function runSynthCli(argv: readonly string[]): Promise<SynthReport> {
  const { outDir, options } = parseSynthArgs(argv);
  const r = await writeSyntheticCohort(outDir, options);
  const c = r.counts;
  console.log(`synthetic cohort (seed ${r.seed}) written to ${outDir} in ${(r.elapsedMs / 1000).toFixed(1)} s: ` +
    [c.mimic && `MIMIC ${c.mimic.images} images`, c.nih && `NIH ${c.nih.images} images`, c.chexpert && `CheXpert ${c.chexpert.trainImages + c.chexpert.validImages} images`].filter(Boolean).join(", "));
  return r;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runSynthCli(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
