/** The README's API example runs as written (package imports pointed at this checkout, the checkpoint at a temp dir). */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";

const ROOT = join(import.meta.dirname, "..");

test("README: the API example runs and writes its checkpoint", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const code = /## API\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(code, "README.md has a ```ts block under ## API");
  assert.ok(code.trim().split("\n").length <= 10, "the example is at most 10 lines");
  const dir = mkdtempSync(join(tmpdir(), "mmsn-readme-"));
  try {
    const script = code
      .replace(/"multimodal-msn\/app"/g, JSON.stringify(pathToFileURL(join(ROOT, "app/index.ts")).href))
      .replace(/"multimodal-msn"/g, JSON.stringify(pathToFileURL(join(ROOT, "src/index.ts")).href))
      .replace(/"runs\/ckpt"/g, JSON.stringify(join(dir, "ckpt")));
    const file = join(dir, "example.mts");
    writeFileSync(file, script);
    const r = spawnSync(process.execPath, ["--import", "tsx", file], { cwd: ROOT, encoding: "utf8" });
    assert.equal(r.status, 0, `the README example failed:\n${r.stdout}\n${r.stderr}`);
    assert.ok(existsSync(join(dir, "ckpt", "model.json")), "model.save wrote the checkpoint");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
