/**
 * Path safety: every path that comes from a CSV is resolved under the dataset root or rejected. The check
 * is lexical at load time ({@link resolveInside}: `../`, absolute paths) and real at read time
 * ({@link confineImagePath}: symlinks are resolved and the result must lie under the root's real path),
 * unless the loader was given `allowSymlinks: true`.
 */
import { lstatSync, realpathSync, statSync } from "node:fs";
import { realpath } from "node:fs/promises";
import path from "node:path";
import { ImageDecodeError } from "./image_types.js";

/**
 * Resolve `rel` (a path read from a dataset file) under `root`. Returns `null` when it is absolute or
 * escapes the root (e.g. `../../etc/passwd`); callers skip such rows and count them. Lexical only: see
 * {@link confineImagePath} for symlinks.
 * @example resolveInside("/data/chexpert", "train/patient1/study1/view1_frontal.jpg")
 */
export function resolveInside(root: string, rel: string): string | null {
  if (rel === "" || path.isAbsolute(rel) || /^[a-zA-Z]:[\\/]/.test(rel) || rel.includes("\0")) return null;
  const absRoot = path.resolve(root);
  const abs = path.resolve(absRoot, rel);
  return isInside(absRoot, abs) ? abs : null;
}

/** True when `abs` lies strictly under `dir` (both absolute and normalised; a string test, no path.relative). */
function isInside(dir: string, abs: string): boolean {
  const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
  return abs.length > prefix.length && abs.startsWith(prefix);
}

const realRoots = new Map<string, string>();

/**
 * The real path of a dataset root (symlinks resolved), cached per process; the resolved path itself when
 * the root does not exist.
 * @example realRoot("/data/mimic") // "/mnt/disk2/mimic" when /data/mimic is a symlink
 */
export function realRoot(root: string): string {
  const abs = path.resolve(root);
  const hit = realRoots.get(abs);
  if (hit !== undefined) return hit;
  try {
    const real = realpathSync.native(abs);
    realRoots.set(abs, real);
    return real;
  } catch {
    return abs;
  }
}

function outsideMessage(file: string, real: string, rootReal: string): string {
  return `path outside the dataset root: ${file} resolves (through a symlink) to ${real}, outside ${rootReal}. Fix: move the files under the root, or load the dataset with allowSymlinks: true to follow such links`;
}

/**
 * Read-time confinement of an image path: resolves every symlink of `file` (one `realpath`, the root's is
 * cached) and checks that the result lies under the real path of `root`.
 * @returns the real path of the file
 * @throws ImageDecodeError naming the file when it resolves outside the root ("path outside the dataset
 *   root", with the fix), does not exist ("image file not found") or cannot be resolved
 * @example const real = await confineImagePath(ds.root, ds.paths[0]!);
 */
export async function confineImagePath(root: string, file: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ImageDecodeError(file, code === "ENOENT" ? "image file not found" : `cannot read image (${code ?? String(e)})`);
  }
  const rootReal = realRoot(root);
  if (!isInside(rootReal, real)) throw new ImageDecodeError(file, outsideMessage(file, real, rootReal));
  return real;
}

/** Why {@link imageFileChecker} rejects a file: the skip reason and a detail for the report. */
export interface ImageFileProblem {
  /** "image file not found" or "path outside dataset root". */
  readonly reason: string;
  readonly detail: string;
}

/**
 * Load-time check of image files (the loaders' `checkImages`): each must exist, be a file and, unless
 * `allowSymlinks`, resolve under the real path of `root`. Cheap enough for 377k images: one `lstat` per file,
 * plus one per distinct directory (directory real paths are cached by the returned function); `realpath` only
 * for actual symlinks.
 * @returns a function giving null for a good file, else the skip reason and detail
 * @example const check = imageFileChecker("/data/nih"); check("/data/nih/images/00000001_000.png") // null
 */
export function imageFileChecker(root: string, opts: { readonly allowSymlinks?: boolean } = {}): (abs: string) => ImageFileProblem | null {
  const dirs = new Map<string, string>();
  const rootReal = realRoot(root);
  const realDir = (dir: string): string => {
    const hit = dirs.get(dir);
    if (hit !== undefined) return hit;
    const parent = path.dirname(dir);
    const real = parent === dir ? dir : lstatSync(dir).isSymbolicLink() ? realpathSync.native(dir) : path.join(realDir(parent), path.basename(dir));
    dirs.set(dir, real);
    return real;
  };
  return (abs) => {
    try {
      const st = opts.allowSymlinks ? statSync(abs) : lstatSync(abs);
      let real: string;
      if (st.isSymbolicLink()) {
        if (!statSync(abs).isFile()) return { reason: "image file not found", detail: `${abs} is not a file` };
        real = realpathSync.native(abs);
      } else {
        if (!st.isFile()) return { reason: "image file not found", detail: `${abs} is not a file` };
        if (opts.allowSymlinks) return null;
        real = path.join(realDir(path.dirname(abs)), path.basename(abs));
      }
      return isInside(rootReal, real) ? null : { reason: "path outside dataset root", detail: outsideMessage(abs, real, rootReal) };
    } catch {
      return { reason: "image file not found", detail: abs };
    }
  };
}

/**
 * Where each dataset lives inside a cohort directory: the layout of the official downloads (PhysioNet's
 * `mimic-cxr-jpg/2.0.0` and `mimiciv/2.2`, NIH's `nih-chestxray14`, Stanford's `CheXpert-v1.0-small`), which
 * the synthetic cohort (`mmsn synth`) writes too.
 */
export const COHORT_LAYOUT = {
  mimicCxr: "mimic-cxr-jpg/2.0.0",
  mimicIv: "mimiciv/2.2",
  nih14: "nih-chestxray14",
  chexpert: "chexpert/CheXpert-v1.0-small",
  /** MedFuse's MIMIC-IV listfiles (`phenotyping/{val,test}_listfile.csv`), the source of the paper's split. */
  medfuse: "medfuse",
} as const;
