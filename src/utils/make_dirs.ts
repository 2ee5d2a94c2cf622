/**
 * `mkdir -p` that fails fast. Node's `mkdirSync(dir, { recursive: true })` spins forever (a CPU-bound loop
 * that never returns) where mkdir answers ENOENT under an existing parent, as procfs does (`--out
 * /proc/nope` hung for 10 minutes): here each missing folder is made by one plain mkdir, so every error
 * surfaces at once.
 */
import { mkdirSync, rmdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

/**
 * Create `dir` and its missing parents. Returns the folders created, outermost first (for
 * {@link removeEmptyDirs} when a later step fails); nothing is left behind when one mkdir fails.
 * @throws the first mkdir error (its code, e.g. ENOENT/EACCES/EROFS, is kept), or an Error when a file is in the way.
 */
export function makeDirs(dir: string): string[] {
  const missing: string[] = [];
  for (let p = resolve(dir); ; p = dirname(p)) {
    let isDir: boolean | undefined;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw e;
    }
    if (isDir === false) throw new Error(`${p} is a file, not a folder`);
    if (isDir === true || dirname(p) === p) break;
    missing.unshift(p);
  }
  const created: string[] = [];
  try {
    for (const m of missing) {
      try {
        mkdirSync(m);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e; // made meanwhile by another process
        continue;
      }
      created.push(m);
    }
  } catch (e) {
    removeEmptyDirs(created);
    throw e;
  }
  return created;
}

/** Remove `dirs` (outermost first) innermost first, while they are empty. */
export function removeEmptyDirs(dirs: readonly string[]): void {
  for (const d of [...dirs].reverse()) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
  }
}
