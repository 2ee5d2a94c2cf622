/**
 * One writer per run directory: `dir/.lock` is created exclusively (flag "wx") and holds
 * `{ pid, hostname, command, started }`. A second process (or a second run in this process) that finds a
 * live lock stops with a message naming the holder; a lock left by a dead process on this host (SIGKILL,
 * power loss) is taken over with a printed note. The lock is removed by `release()` and, as a last resort,
 * by a synchronous 'exit' handler.
 */
import { makeDirs } from "./make_dirs.js";
import { closeSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

/** What `dir/.lock` holds. */
export interface RunLockInfo {
  readonly pid: number;
  readonly hostname: string;
  /** The command that holds the run, e.g. "mmsn pretrain". */
  readonly command: string;
  /** ISO time the lock was taken. */
  readonly started: string;
}

/** A held lock; `release()` is idempotent. */
export interface RunLock {
  /** Path of the lock file. */
  readonly path: string;
  release(): void;
}

/** File name of the lock inside a run directory. */
export const RUN_LOCK_FILE = ".lock";

/** True when process `pid` exists on this host (EPERM: it exists but belongs to another user). */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The lock's content, or undefined when it is unreadable or not a lock record (e.g. half-written). */
function readLock(path: string): RunLockInfo | undefined {
  try {
    const j = JSON.parse(readFileSync(path, "utf8")) as RunLockInfo;
    return Number.isInteger(j.pid) && typeof j.hostname === "string" ? j : undefined;
  } catch {
    return undefined;
  }
}

/** An unreadable lock younger than this may be being written by its new holder. */
const HALF_WRITTEN_MS = 10_000;

/**
 * A lock that may still be in use: a live pid on this host, any lock of another host (its pid cannot be
 * checked from here), or an unreadable one written less than 10 s ago.
 */
function isLive(path: string, l: RunLockInfo | undefined): boolean {
  if (l === undefined) {
    try {
      return Date.now() - statSync(path).mtimeMs < HALF_WRITTEN_MS;
    } catch {
      return false;
    }
  }
  return l.hostname !== hostname() || isPidAlive(l.pid);
}

function inUse(dir: string, path: string, l: RunLockInfo | undefined): Error {
  if (l === undefined) return new Error(`${dir} is in use: ${path} exists but is unreadable (being written?); wait for the other process to finish, use another --out, or delete ${path} if no process uses ${dir}`);
  const where = l.hostname === hostname() ? "" : ` on host ${l.hostname}`;
  const gone = l.hostname === hostname() ? "" : ` (if that process is gone, delete ${path})`;
  return new Error(`${dir} is in use by process ${l.pid}${where} (\`${l.command}\`, started ${l.started}); wait for it to finish or use another --out${gone}`);
}

/** Move a dead holder's lock out of the way (or nothing, when it vanished); throws when it turned out to be live. */
function takeOver(dir: string, path: string): void {
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside); // atomic: only one process moves a given lock file
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return; // someone else removed it: retry the create
    throw e;
  }
  const moved = readLock(aside);
  if (isLive(aside, moved)) {
    // Another process took over between our read and our rename: put its lock back.
    try {
      linkSync(aside, path);
    } catch {
      /* the slot is taken again; the new holder wins */
    }
    unlinkSync(aside);
    throw inUse(dir, path, moved);
  }
  unlinkSync(aside);
  const who = moved ? `process ${moved.pid} (\`${moved.command}\`, started ${moved.started}), which is no longer running` : "an unreadable lock left by a process that stopped while taking it";
  console.error(`[mmsn] ${path}: taking over the lock of ${who}`);
}

/**
 * Lock run directory `dir` (created if needed) for `command`.
 * @throws Error "DIR is in use by process PID (`command`, started …); wait for it to finish or use another --out"
 *   when a live process holds it.
 * @example const lock = acquireRunLock("runs/a", "mmsn pretrain"); try { … } finally { lock.release(); }
 */
export function acquireRunLock(dir: string, command: string): RunLock {
  makeDirs(dir);
  const path = join(dir, RUN_LOCK_FILE);
  const info: RunLockInfo = { pid: process.pid, hostname: hostname(), command, started: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, "wx");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 3) throw e;
      const held = readLock(path);
      if (isLive(path, held)) throw inUse(dir, path, held);
      takeOver(dir, path);
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(info) + "\n");
    } finally {
      closeSync(fd);
    }
    break;
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off("exit", release);
    const now = readLock(path);
    if (now && now.pid === info.pid && now.started === info.started) {
      try {
        unlinkSync(path);
      } catch {
        /* already gone */
      }
    }
  };
  process.on("exit", release);
  return { path, release };
}
