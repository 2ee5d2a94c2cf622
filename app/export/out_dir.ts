/**
 * Where an export goes: the output folder is checked and a temporary sibling created before anything
 * expensive, and the filled sibling then replaces the folder atomically. Never over a checkpoint or a run
 * directory, never over files an export did not write unless told to (`overwrite`); staging folders left by
 * dead processes are removed. Missing parents are made by {@link makeDirs} (which fails fast, e.g. under
 * /proc) and removed again on abort.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, statSync, type Stats } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { CHECKPOINT_FORMAT } from "../../src/io/checkpoint.js";
import { makeDirs, removeEmptyDirs } from "../../src/utils/make_dirs.js";

/** Format tag of an exported encoder's model.json (also the marker of a previous export). */
export const ENCODER_FORMAT = "multimodal-msn/vit-encoder@1";

/** Every file an export may write; a folder holding only these, with an exported model.json, is a previous export. */
export const EXPORT_FILES = ["model.json", "weights.bin", "mmsn_encoder.js", "mmsn_preprocess.js", "index.html", "README.md", "tf.min.js", "THIRD_PARTY_LICENSES.txt"] as const;

/** Where the export goes and what `overwrite` allows. */
export interface ExportDirOptions {
  /** Replace a non-empty folder that is not a previous export (never a checkpoint, a run, or a folder with subfolders). */
  readonly overwrite?: boolean;
  /** The checkpoint being exported: `out` may neither be in it nor hold it. */
  readonly source?: string;
}

/** What the export replaces in its folder. */
export type ExportReplaces = "nothing" | "previous export" | "overwritten files";

/** A format tag up to its version (`name@`): any version of the format marks the folder. */
const formatPrefix = (format: string): string => format.slice(0, format.indexOf("@") + 1);
const CHECKPOINT_FORMAT_PREFIX = formatPrefix(CHECKPOINT_FORMAT);
const ENCODER_FORMAT_PREFIX = formatPrefix(ENCODER_FORMAT);
/** Entries that make a folder a run directory (written by `mmsn pretrain`/`toy`). */
const RUN_MARKERS = ["run.json", "metrics.csv", "checkpoint"];

/** The `format` of `dir/model.json`, if it has one (a marker only: checkpoints are read by MultimodalMSN.load). */
function modelJsonFormat(dir: string): string | undefined {
  try {
    const j = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as { format?: unknown };
    return typeof j.format === "string" ? j.format : undefined;
  } catch {
    return undefined;
  }
}

const isCheckpoint = (dir: string): boolean => modelJsonFormat(dir)?.startsWith(CHECKPOINT_FORMAT_PREFIX) === true;
const runMarkers = (dir: string): string[] => RUN_MARKERS.filter((m) => existsSync(join(dir, m)));
const isInside = (child: string, parent: string): boolean => child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
const errCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

/** `statSync(p)`, or undefined where nothing is at `p`. */
function statOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch (e) {
    if (errCode(e) === "ENOENT" || errCode(e) === "ENOTDIR") return undefined;
    throw e;
  }
}

/** `p` absolute, with the symlinks of its longest existing prefix resolved. */
function resolveExisting(p: string): string {
  const tail: string[] = [];
  for (let head = resolve(p); ; head = dirname(head)) {
    try {
      return join(realpathSync(head), ...tail);
    } catch {
      if (dirname(head) === head) return resolve(p);
      tail.unshift(basename(head));
    }
  }
}

/**
 * What exporting to `dir` would replace; throws, naming `dir` and the fix, where it must not write.
 * Checkpoints and run directories are refused even with `overwrite`.
 */
function inspectExportDir(dir: string, o: ExportDirOptions): ExportReplaces {
  const source = o.source === undefined ? undefined : resolveExisting(o.source);
  for (let a = dir; ; a = dirname(a)) {
    const inRun = basename(a) === "checkpoint" && runMarkers(dirname(a)).length > 0;
    if (isCheckpoint(a) || inRun || (source !== undefined && a === source)) {
      const fix = `choose another folder, e.g. --out ${join(dirname(a), "web")}`;
      if (a === dir) throw new Error(`export: --out ${dir} is a checkpoint${isCheckpoint(a) ? ` (its model.json has format ${modelJsonFormat(a)})` : ""}; exporting there would replace it: ${fix}`);
      throw new Error(`export: --out ${dir} lies inside the checkpoint ${a}; the export must not change a checkpoint: ${fix}`);
    }
    if (dirname(a) === a) break;
  }
  const st = statOrUndefined(dir);
  if (st === undefined) return "nothing";
  if (!st.isDirectory()) throw new Error(`export: --out ${dir} is a file, not a folder; choose a folder path`);
  const markers = runMarkers(dir);
  if (markers.length > 0) {
    throw new Error(`export: --out ${dir} is a run directory (it holds ${markers.map((m) => (m === "checkpoint" ? "checkpoint/" : m)).join(", ")}); exporting there would replace the run: choose another folder, e.g. --out ${join(dir, "web")}`);
  }
  if (source !== undefined && isInside(source, dir)) {
    throw new Error(`export: --out ${dir} holds the checkpoint being exported (${source}); replacing it would delete the checkpoint: choose another folder, e.g. --out ${join(dirname(source), "web")}`);
  }
  const entries = readdirSync(dir, { withFileTypes: true });
  if (entries.length === 0) return "nothing";
  const list = (names: string[]) => names.slice(0, 6).join(", ") + (names.length > 6 ? `, … (${names.length} in all)` : "");
  const folders = entries.filter((e) => e.isDirectory()).map((e) => e.name + "/");
  const foreign = entries.filter((e) => !(EXPORT_FILES as readonly string[]).includes(e.name)).map((e) => (e.isDirectory() ? e.name + "/" : e.name));
  const previous = modelJsonFormat(dir)?.startsWith(ENCODER_FORMAT_PREFIX) === true;
  if (previous && foreign.length === 0) return "previous export";
  if (o.overwrite) {
    if (folders.length > 0) throw new Error(`export: --overwrite replaces a folder of files, but --out ${dir} holds subfolders (${list(folders)}), which export never writes; move them away or choose another --out`);
    return "overwritten files";
  }
  if (previous) throw new Error(`export: --out ${dir} is a previous export but also holds files export does not write (${list(foreign)}); move them away, or pass --overwrite to replace the folder`);
  throw new Error(`export: --out ${dir} is not empty and is not a previous export (it holds ${list(foreign)}); choose a new or empty folder, or pass --overwrite to replace its contents`);
}

/** Why a mkdir failed, in words; `inFolder`: name the folder it was made in rather than the (temporary) path. */
function mkdirReason(e: unknown, inFolder?: string): string {
  const code = errCode(e);
  const path = inFolder === undefined ? `mkdir ${(e as NodeJS.ErrnoException).path ?? ""}` : `cannot make a folder in ${inFolder}`;
  const why: Record<string, string> = {
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    EROFS: "read-only file system",
    ENOSPC: "no space left on the device",
    EEXIST: "something that is not a folder is in the way (a broken link?)",
    ENOENT: "the file system refuses new entries there (as /proc and /sys do)",
  };
  return code !== undefined && why[code] ? `${path}: ${why[code]} (${code})` : (e as Error).message;
}

/** Whether process `pid` still runs (EPERM: it does, as another user). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errCode(e) === "EPERM";
  }
}

let stagingCount = 0;

/** A fresh hidden sibling of `dir` for this process: `.<name>.<kind>-<pid>-<n>` (`export`: staging, `replaced`: the old folder). */
const siblingOf = (dir: string, kind: "export" | "replaced"): string => join(dirname(dir), `.${basename(dir)}.${kind}-${process.pid}-${stagingCount++}`);

/** A checked export folder with its temporary sibling; `exportEncoder` (export.ts) fills, commits or aborts it. */
export class ExportTarget {
  private done = false;

  constructor(
    /** The folder the export ends up in (symlinks resolved). */
    readonly dir: string,
    /** The temporary sibling the files are written to first. */
    readonly staging: string,
    /** What `dir` holds now and the export will replace. */
    readonly replaces: ExportReplaces,
    private readonly options: ExportDirOptions,
    /** Parent folders created for `dir`, outermost first (removed again on abort). */
    private readonly createdParents: readonly string[],
  ) {}

  /**
   * Swap the filled staging folder in: `dir` is moved aside, the staging folder renamed to `dir`, the old
   * folder deleted. `dir` is checked again first (it may have changed while the model loaded).
   */
  commit(): void {
    if (this.done) throw new Error(`export: ${this.dir} was already committed or aborted`);
    inspectExportDir(this.dir, this.options);
    if (statOrUndefined(this.dir) === undefined) {
      renameSync(this.staging, this.dir);
    } else {
      const old = siblingOf(this.dir, "replaced");
      renameSync(this.dir, old);
      try {
        renameSync(this.staging, this.dir);
      } catch (e) {
        renameSync(old, this.dir);
        throw e;
      }
      rmSync(old, { recursive: true, force: true });
    }
    this.done = true;
  }

  /** Delete the staging folder and the parents created for it; `dir` is left as it was. */
  abort(): void {
    if (this.done) return;
    rmSync(this.staging, { recursive: true, force: true });
    removeEmptyDirs(this.createdParents);
    this.done = true;
  }
}

/**
 * Check that `out` may take an export and create its temporary sibling (and any missing parents), before
 * anything expensive: refuses a checkpoint, a folder inside one, a run directory, a folder holding
 * `options.source`, a file, and a non-empty folder that is not a previous export (unless `overwrite`).
 * Leftover staging folders of dead processes beside `out` are removed.
 * @throws Error naming the folder and the fix; `cannot create --out …` (with the errno) for an impossible path.
 * @example const target = prepareExportDir("runs/msn/web", { source: "runs/msn/checkpoint" })
 */
export function prepareExportDir(out: string, options: ExportDirOptions = {}): ExportTarget {
  const dir = resolveExisting(out);
  const replaces = inspectExportDir(dir, options);
  const parent = dirname(dir);
  const fail = (e: unknown, inFolder?: string): never => {
    throw new Error(`export: cannot create --out ${out}: ${e instanceof Error && errCode(e) === undefined ? e.message : mkdirReason(e, inFolder)}; choose a writable folder`);
  };
  let created: string[] = [];
  try {
    created = makeDirs(parent);
  } catch (e) {
    fail(e);
  }
  const stale = new RegExp(`^\\.${basename(dir).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.export-(\\d+)-\\d+$`);
  for (const name of readdirSync(parent)) {
    const pid = Number(stale.exec(name)?.[1]);
    if (pid > 0 && pid !== process.pid && !pidAlive(pid)) rmSync(join(parent, name), { recursive: true, force: true });
  }
  const staging = siblingOf(dir, "export");
  try {
    mkdirSync(staging);
  } catch (e) {
    removeEmptyDirs(created);
    fail(e, parent);
  }
  return new ExportTarget(dir, staging, replaces, options, created);
}
