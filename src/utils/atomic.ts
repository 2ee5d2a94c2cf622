/**
 * Atomic writes: a file is written to `.NAME.tmp-PID` beside its final name, fsynced, renamed into place
 * and its directory fsynced, so a crash or SIGKILL leaves either the old version or the new one, never a
 * torn file. A failed write (full disk, quota, read-only or forbidden folder) removes its temp file and
 * throws a {@link DiskWriteError} that says what happened, how much room was needed and what to do.
 * Temp files of dead processes are removed by {@link removeStaleTemps}.
 */
import { makeDirs } from "./make_dirs.js";
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { isPidAlive } from "./run_lock.js";

/** The write primitive of {@link writeFileAtomic}; tests replace it to simulate a full disk. */
export const atomicIo = {
  writeSync: (fd: number, data: Uint8Array, offset: number, length: number): number => writeSync(fd, data, offset, length),
};

/** Disk errors that have a clear cause and fix: code → [what happened, what to do]. */
const DISK_ERRORS: Readonly<Record<string, readonly [string, string]>> = {
  ENOSPC: ["no space left on device", "free space"],
  EDQUOT: ["disk quota exceeded", "free space (or raise the quota)"],
  EROFS: ["read-only file system", "make it writable"],
  EACCES: ["permission denied", "fix the folder's permissions"],
  EPERM: ["operation not permitted", "fix the folder's permissions"],
};

/** A write that failed for a disk reason; `message` names the path, the size and the fix. */
export class DiskWriteError extends Error {
  constructor(
    message: string,
    /** The errno code: ENOSPC, EDQUOT, EROFS, EACCES or EPERM. */
    readonly code: string,
    /** The file that was being written. */
    readonly path: string,
    /** Its size in bytes. */
    readonly bytes: number,
  ) {
    super(message);
    this.name = "DiskWriteError";
  }
}

/** "0.0012" / "12.3": a size in MB that never reads as 0. */
const megabytes = (bytes: number): string => (bytes >= 1e5 ? (bytes / 1e6).toFixed(1) : (bytes / 1e6).toPrecision(2));

/**
 * The error to throw for a disk failure while writing `path` (undefined for other errors).
 * `intact` says what is left as it was (default: "the previous NAME is intact").
 */
export function diskWriteError(e: unknown, path: string, bytes: number, intact = `the previous ${basename(path)} (if any) is intact`): DiskWriteError | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const known = code === undefined ? undefined : DISK_ERRORS[code];
  if (!known) return undefined;
  return new DiskWriteError(`${known[0]} writing ${path} (${megabytes(bytes)} MB needed); ${known[1]} or choose another --out; ${intact}`, code!, path, bytes);
}

/** fsync a directory so a rename inside it is durable (a no-op where directories cannot be opened). */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    /* some file systems refuse fsync on directories; the rename is still atomic */
  } finally {
    closeSync(fd);
  }
}

/** The temp name of `path` for process `pid`. */
const tempPath = (path: string, pid = process.pid): string => join(dirname(path), `.${basename(path)}.tmp-${pid}`);

/**
 * Write `data` to `path` atomically (temp file + fsync + rename + fsync of the directory).
 * @param intact for the error message: what the failure left untouched (default "the previous NAME (if any) is intact").
 * @throws DiskWriteError on ENOSPC, EDQUOT, EROFS, EACCES, EPERM (the temp file is removed first); other
 *   errors are rethrown after the same clean-up.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, intact?: string): void {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const tmp = tempPath(path);
  let fd: number | undefined;
  try {
    makeDirs(dirname(path));
    fd = openSync(tmp, "w");
    for (let off = 0; off < bytes.length; ) off += atomicIo.writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    rmSync(tmp, { force: true });
    throw diskWriteError(e, path, bytes.length, intact) ?? e;
  }
  fsyncDir(dirname(path));
}

/**
 * Remove `.NAME.tmp-PID` files in `dir` left by processes that are gone (killed mid-write), and by this
 * process (a failed clean-up). Temp files of live processes are left alone.
 * @returns the paths removed.
 */
export function removeStaleTemps(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = /^\..+\.tmp-(\d+)$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && isPidAlive(pid)) continue;
    try {
      unlinkSync(join(dir, name));
      removed.push(join(dir, name));
    } catch {
      /* a directory (legacy checkpoint temp) or already gone: handled elsewhere */
    }
  }
  return removed;
}
