/**
 * Every notebook in notebooks/ runs top to bottom, headless, with the tslab kernel on the embedded synthetic
 * data (no real data path set), and no cell errors.
 *
 * Set-up: the tslab kernelspec under .jupyter/ (environment/setup_jupyter.sh; as root on Debian it installs
 * Debian's Jupyter packages) and a fresh dist/ (tsc). Without Jupyter and not root on Debian the test is
 * skipped loudly; under CI=true that skip is a failure.
 * Each notebook is executed into a temp folder by test/notebooks/run_notebook.py (nbclient, kernel cwd =
 * notebooks/), which fails on a cell error, on a notebook that did not reach its end (tslab silently skips
 * the cells queued after a failed one) and on a code cell without output (unless tagged "no-output").
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { mayAptInstall } from "../helpers/apt.js";
import { PYTHON } from "../helpers/python.js";

const ROOT = join(import.meta.dirname, "..", "..");
const NOTEBOOKS = readdirSync(join(ROOT, "notebooks")).filter((f) => f.endsWith(".ipynb")).sort();
const JUPYTER_PATH = join(ROOT, ".jupyter", "share", "jupyter");
const CELL_TIMEOUT_S = 480; // generous: the 2 CI cores may be shared, and the ablation cells pretrain several models

function jupyterReady(): boolean {
  const r = spawnSync(PYTHON, ["-c", "import nbclient, nbformat, ipykernel"], { stdio: "ignore" });
  return r.status === 0 && existsSync(join(JUPYTER_PATH, "kernels", "tslab", "kernel.json"));
}

/** Kernelspec + Jupyter packages; undefined when ready, else the loud skip reason. */
function setUp(): string | undefined {
  if (!jupyterReady() || mayAptInstall()) {
    // The script is idempotent and rewrites a kernelspec that points at another checkout.
    const r = spawnSync("bash", [join(ROOT, "environment", "setup_jupyter.sh")], { cwd: ROOT, encoding: "utf8" });
    if (r.status !== 0 && mayAptInstall()) throw new Error(`environment/setup_jupyter.sh failed (rc ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  if (jupyterReady()) return undefined;
  return (
    `SKIPPED LOUDLY: the notebooks need ${PYTHON} with nbclient + ipykernel and the tslab kernelspec in .jupyter/. ` +
    `Run \`bash environment/setup_jupyter.sh\` (as root on Debian it installs jupyter-nbconvert jupyter-client ` +
    `python3-nbclient python3-ipykernel python3-nbconvert).`
  );
}

describe("notebooks execute headless with the tslab kernel", () => {
  let skipReason: string | undefined;
  const out = mkdtempSync(join(tmpdir(), "mmsn-notebooks-"));

  before(() => {
    skipReason = setUp();
    if (skipReason) {
      if (process.env.CI === "true") throw new Error(`${skipReason} (CI=true: a skipped notebook run is a failure)`);
      console.error(skipReason);
      return;
    }
    // The notebooks import the compiled package (../dist/...): rebuild it from the current sources. tsc emits
    // even when it reports type errors; those are the typecheck's business, the notebooks then show what breaks.
    const tsc = spawnSync(join(ROOT, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.json"], { cwd: ROOT, encoding: "utf8" });
    if (tsc.status !== 0) console.error(`tsc reported errors (dist/ was still emitted):\n${tsc.stdout}`);
    assert.ok(existsSync(join(ROOT, "dist", "src", "index.js")) && existsSync(join(ROOT, "dist", "data-loaders", "index.js")), "dist/ was not built");
  });

  after(() => rmSync(out, { recursive: true, force: true }));

  it("notebooks/ holds the notebooks", () => {
    assert.ok(NOTEBOOKS.length >= 3, `found ${NOTEBOOKS.join(", ")}`);
  });

  for (const name of NOTEBOOKS) {
    it(name, (t) => {
      if (skipReason) return t.skip(skipReason);
      const nb = JSON.parse(readFileSync(join(ROOT, "notebooks", name), "utf8"));
      const first = nb.cells[0];
      assert.ok(first?.cell_type === "markdown" && /expected runtime/i.test([first.source].flat().join("")), `${name}: the first cell must state the expected runtime`);
      assert.equal(nb.metadata?.kernelspec?.name, "tslab", `${name}: kernelspec must be tslab`);
      const env = { ...process.env, JUPYTER_PATH, PYDEVD_DISABLE_FILE_VALIDATION: "1" };
      for (const k of ["MMSN_MIMIC_DIR", "MMSN_MIMIC_IV_DIR", "MMSN_NIH14_DIR", "MMSN_CHEXPERT_DIR", "MMSN_SUBSET"]) delete env[k]; // run on the whole synthetic cohort
      const r = spawnSync(PYTHON, [join(ROOT, "test", "notebooks", "run_notebook.py"), "--timeout", String(CELL_TIMEOUT_S), "--out", out, join(ROOT, "notebooks", name)], {
        cwd: ROOT,
        encoding: "utf8",
        env,
        timeout: 1_200_000,
      });
      const line = r.stdout.trim().split("\n").pop() ?? "";
      let rec: { ok?: boolean; seconds?: number; error?: string } = {};
      try {
        rec = JSON.parse(line);
      } catch {
        /* reported below */
      }
      assert.ok(rec.ok === true && r.status === 0, `${name} failed (rc ${r.status}): ${rec.error ?? ""}\n${r.stdout}\n${r.stderr.slice(-4000)}`);
      t.diagnostic(`${name}: ${rec.seconds} s`);
    });
  }
});
