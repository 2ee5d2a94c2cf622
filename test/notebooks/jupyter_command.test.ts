/**
 * environment/jupyter.sh, the one command that opens the notebooks: the argv and environment it builds, checked
 * through its dry-run mode (no server is started, no Jupyter needed).
 *
 * Each case runs the script with PATH reduced to a folder of its own: the tools the script uses (dirname,
 * grep), a fake `id` that prints the uid of the case (0 = root), and fake `jupyter` / `jupyter-notebook` /
 * `jupyter-lab` executables, so what is installed on this machine does not leak in.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

const ROOT = join(import.meta.dirname, "..", "..");
const SCRIPT = join(ROOT, "environment", "jupyter.sh");
const BASH = execFileSync("bash", ["-c", "command -v bash"], { encoding: "utf8" }).trim();
const TOOLS = ["dirname", "grep"].map((t) => execFileSync(BASH, ["-c", `command -v ${t}`], { encoding: "utf8" }).trim());

const tmp = mkdtempSync(join(tmpdir(), "mmsn-jupyter-cmd-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function exe(path: string, body: string): void {
  writeFileSync(path, `#!${BASH}\n${body}\n`);
  chmodSync(path, 0o755);
}

let n = 0;
/** A sandbox: bin/ on PATH (tools + fake id), jupyter/ holding the fake jupyter executables, a kernel prefix. */
function sandbox(o: { uid: number; apps: ("notebook" | "lab")[]; kernel?: boolean }) {
  const dir = join(tmp, String(n++));
  const bin = join(dir, "bin");
  const jup = join(dir, "jupyter");
  const prefix = join(dir, "prefix");
  mkdirSync(bin, { recursive: true });
  mkdirSync(jup);
  for (const t of TOOLS) symlinkSync(t, join(bin, t.split("/").pop()!));
  exe(join(bin, "id"), `echo ${o.uid}`);
  exe(join(jup, "jupyter"), "exit 0");
  for (const a of o.apps) exe(join(jup, `jupyter-${a}`), "exit 0");
  if (o.kernel !== false) {
    const kdir = join(prefix, "share", "jupyter", "kernels", "tslab");
    mkdirSync(kdir, { recursive: true });
    const tslab = join(ROOT, "node_modules", ".bin", "tslab");
    writeFileSync(join(kdir, "kernel.json"), JSON.stringify({ argv: [tslab, "kernel", "--config-path", "{connection_file}"], display_name: "TypeScript", language: "typescript" }));
  }
  return { bin, jupyter: join(jup, "jupyter"), prefix };
}

interface DryRun {
  status: number | null;
  stderr: string;
  env: Record<string, string>;
  argv: string[];
  setup: string[];
}

function dryRun(box: ReturnType<typeof sandbox>, args: string[] = [], env: Record<string, string> = {}): DryRun {
  const r = spawnSync(BASH, [SCRIPT, "--dry-run", ...args], {
    encoding: "utf8",
    env: { PATH: box.bin, MMSN_JUPYTER: box.jupyter, MMSN_JUPYTER_PREFIX: box.prefix, ...env },
  });
  const out: DryRun = { status: r.status, stderr: r.stderr, env: {}, argv: [], setup: [] };
  for (const line of r.stdout.split("\n")) {
    const sp = line.indexOf(" ");
    const [kind, rest] = [line.slice(0, sp), line.slice(sp + 1)];
    if (kind === "env") out.env[rest.slice(0, rest.indexOf("="))] = rest.slice(rest.indexOf("=") + 1);
    else if (kind === "argv") out.argv.push(rest);
    else if (kind === "setup") out.setup.push(rest);
  }
  return out;
}

const NOTEBOOK_DIR = `--notebook-dir=${join(ROOT, "notebooks")}`;

describe("environment/jupyter.sh (dry run)", () => {
  it("as root: jupyter notebook with --allow-root, the kernelspec on JUPYTER_PATH, the debugger warning off", () => {
    const box = sandbox({ uid: 0, apps: ["notebook"] });
    const r = dryRun(box);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.argv, [box.jupyter, "notebook", NOTEBOOK_DIR, "--allow-root"]);
    assert.equal(r.env.PYDEVD_DISABLE_FILE_VALIDATION, "1");
    assert.equal(r.env.JUPYTER_PATH, join(box.prefix, "share", "jupyter"));
    assert.deepEqual(r.setup, [], "the kernelspec is registered: no set-up");
  });

  it("not root: the same without --allow-root", () => {
    const box = sandbox({ uid: 1000, apps: ["notebook"] });
    const r = dryRun(box);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.argv, [box.jupyter, "notebook", NOTEBOOK_DIR]);
    assert.equal(r.env.PYDEVD_DISABLE_FILE_VALIDATION, "1");
  });

  it("prefers jupyter lab when it is installed beside jupyter; MMSN_JUPYTER_APP forces the front end", () => {
    const box = sandbox({ uid: 1000, apps: ["notebook", "lab"] });
    assert.deepEqual(dryRun(box).argv, [box.jupyter, "lab", NOTEBOOK_DIR]);
    assert.deepEqual(dryRun(box, [], { MMSN_JUPYTER_APP: "notebook" }).argv, [box.jupyter, "notebook", NOTEBOOK_DIR]);
    const bad = dryRun(box, [], { MMSN_JUPYTER_APP: "voila" });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /lab or notebook/);
  });

  it("passes extra arguments through after its own, keeps an existing JUPYTER_PATH behind the kernelspec, and overrides PYDEVD_DISABLE_FILE_VALIDATION", () => {
    const box = sandbox({ uid: 0, apps: ["lab"] });
    const r = dryRun(box, ["--no-browser", "--port=8899"], { JUPYTER_PATH: "/opt/other", PYDEVD_DISABLE_FILE_VALIDATION: "0" });
    assert.deepEqual(r.argv, [box.jupyter, "lab", NOTEBOOK_DIR, "--allow-root", "--no-browser", "--port=8899"]);
    assert.equal(r.env.JUPYTER_PATH, `${join(box.prefix, "share", "jupyter")}:/opt/other`);
    assert.equal(r.env.PYDEVD_DISABLE_FILE_VALIDATION, "1");
  });

  it("MMSN_JUPYTER_DRY_RUN=1 is the same as --dry-run", () => {
    const box = sandbox({ uid: 1000, apps: ["notebook"] });
    const r = spawnSync(BASH, [SCRIPT], { encoding: "utf8", env: { PATH: box.bin, MMSN_JUPYTER: box.jupyter, MMSN_JUPYTER_PREFIX: box.prefix, MMSN_JUPYTER_DRY_RUN: "1" } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^argv notebook$/m);
  });

  it("runs setup_jupyter.sh first when the kernelspec is missing", () => {
    const box = sandbox({ uid: 1000, apps: ["notebook"], kernel: false });
    const r = dryRun(box);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.setup, [`bash ${join(ROOT, "environment", "setup_jupyter.sh")}`]);
  });

  it("without a jupyter server: exit 2 and how to install one", () => {
    const box = sandbox({ uid: 1000, apps: [] });
    const none = dryRun(box);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /apt-get install --no-install-recommends jupyter-notebook/);
    const missing = dryRun(box, [], { MMSN_JUPYTER: join(tmp, "no-such-jupyter") });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /not executable/);
  });
});
