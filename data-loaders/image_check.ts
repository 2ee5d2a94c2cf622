/**
 * A cheap check of a dataset's image files before a run starts: each file exists, is not empty, starts with
 * an image signature (JPEG, PNG or DICOM) and, for JPEG, ends with the end-of-image marker (a truncated
 * download does not). Only a few bytes at each end are read, nothing is decoded, so the check costs a small
 * fraction of one epoch; what it finds is skipped and counted before the run, instead of during it. Paths are
 * confined to the dataset root where they are resolved (the loaders' `checkImages`, and `readDatasetImage`),
 * not again here.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { subsetDataset, type CxrDataset } from "./dataset.js";
import { LoadReport } from "./report.js";

const HEAD = 132; // DICOM: 128-byte preamble + "DICM"
const TAIL = 64;

/** Why a file fails {@link checkImageFile}, or null when it passes. */
export function checkImageFile(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? "image file not found" : `cannot open (${(e as NodeJS.ErrnoException).code ?? "error"})`;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return "not a file";
    if (st.size === 0) return "empty file";
    const head = Buffer.alloc(Math.min(HEAD, st.size));
    readSync(fd, head, 0, head.length, 0);
    if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) {
      const tail = Buffer.alloc(Math.min(TAIL, st.size));
      readSync(fd, tail, 0, tail.length, st.size - tail.length);
      // The EOI marker, possibly followed by padding (some writers append zeros or a newline).
      for (let i = tail.length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return null;
      return "truncated JPEG (no end-of-image marker)";
    }
    if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return null;
    if (head.length === HEAD && head.subarray(128, 132).toString("latin1") === "DICM") return null;
    return "not an image (no JPEG, PNG or DICOM signature)";
  } finally {
    closeSync(fd);
  }
}

/**
 * {@link checkImageFile} for every image of `ds`: the images that pass, as a new dataset, and a report of
 * the others by reason (file = the image path).
 * @example const { dataset, report } = checkImageFiles(selectSplit(mimic, "train"));
 */
export function checkImageFiles(ds: CxrDataset): { readonly dataset: CxrDataset; readonly report: LoadReport } {
  const report = new LoadReport(`image files (${ds.name})`);
  const keep: number[] = [];
  ds.paths.forEach((p, i) => {
    const why = checkImageFile(p);
    if (why === null) keep.push(i);
    else report.skip(why, { file: p, detail: ds.ids[i] ?? "" });
  });
  report.read = ds.length;
  report.kept = keep.length;
  return { dataset: keep.length === ds.length ? ds : subsetDataset(ds, keep), report };
}
