/**
 * Image preprocessing throughput: decode + resize (shorter side 256) + MSN views (1 target + 1 anchor at
 * 224, 10 focal at 96, RGB ImageNet-normalised float32) for this package (sharp + typed arrays, 4 images in
 * flight) vs Pillow (test/reference/loaders_pillow_bench.py, one process) on the same files in the same run:
 * the 9 real NIH PNGs and 9 JPEGs made from them.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { deriveSeed, IMAGENET_NORMALIZATION, makeRng, randomView, readGrayImage } from "../../data-loaders/index.js";
import type { BenchRow } from "./types.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const NIH_IMAGES = path.resolve(REPO, "../shared/data/real-samples/nih-chestxray14/images");
const PYTHON = "/usr/bin/python3";

async function oursOnce(file: string, k: number): Promise<number> {
  const img = await readGrayImage(file, { shortSide: 256, uint8: true });
  const rng = makeRng(deriveSeed(24, k));
  const big = new Float32Array(224 * 224 * 3);
  const small = new Float32Array(96 * 96 * 3);
  for (let r = 0; r < 2; r++) randomView(img, rng, 224, [0.3, 1], 0.5, IMAGENET_NORMALIZATION, 3, big, 0);
  for (let f = 0; f < 10; f++) randomView(img, rng, 96, [0.05, 0.3], 0.5, IMAGENET_NORMALIZATION, 3, small, 0);
  return big[0]! + small[0]!;
}

async function oursRate(files: readonly string[], rounds: number, inFlight: number): Promise<number> {
  await oursOnce(files[0]!, 0); // warm-up
  const jobs = Array.from({ length: rounds * files.length }, (_, k) => files[k % files.length]!);
  const t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < jobs.length) {
        const k = next++;
        await oursOnce(jobs[k]!, k);
      }
    }),
  );
  return jobs.length / ((performance.now() - t) / 1000);
}

function pillowRate(files: readonly string[], rounds: number): number {
  const out = execFileSync(PYTHON, [path.join(REPO, "test/reference/loaders_pillow_bench.py"), String(rounds), ...files], { encoding: "utf8" });
  const r = JSON.parse(out) as { images: number; seconds: number };
  return r.images / r.seconds;
}

/**
 * Run the preprocessing benchmark (~10–30 s on 2 cores).
 * @returns one row for PNG and one for JPEG, ours vs Pillow in img/s
 */
export async function benchPreprocess(): Promise<BenchRow[]> {
  if (!existsSync(NIH_IMAGES)) throw new Error(`${NIH_IMAGES}: NIH sample images not found (the shared folder must sit beside the repo)`);
  const pngs = readdirSync(NIH_IMAGES).filter((f) => f.endsWith(".png")).sort().map((f) => path.join(NIH_IMAGES, f));
  const dir = mkdtempSync(path.join(tmpdir(), "mmsn-bench-"));
  try {
    const jpegs: string[] = [];
    for (const p of pngs) {
      const j = path.join(dir, path.basename(p, ".png") + ".jpg");
      await sharp(p).extractChannel(0).jpeg({ quality: 90 }).toFile(j);
      jpegs.push(j);
    }
    const rows: BenchRow[] = [];
    for (const [kind, files, rounds] of [["PNG 1024² (real NIH)", pngs, 4], ["JPEG 1024² q90", jpegs, 6]] as const) {
      const ours = await oursRate(files, rounds, 4);
      const reference = pillowRate(files, rounds);
      rows.push({
        name: `preprocess ${kind}: decode + resize 256 + MSN views (2×224 + 10×96, RGB)`,
        unit: "img/s",
        ours,
        reference,
        referenceName: "Pillow (Debian python3-pil) + numpy, 1 process",
        notes: `ours: sharp decode with resize-on-load + typed-array views, 4 images in flight; ${files.length} files × ${rounds} rounds; ratio ${(ours / reference).toFixed(2)}×`,
      });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const r of await benchPreprocess()) console.log(`${r.name}: ours ${r.ours.toFixed(1)} ${r.unit}, ${r.referenceName} ${r.reference.toFixed(1)} ${r.unit} (${(r.ours / r.reference).toFixed(2)}×)`);
}
