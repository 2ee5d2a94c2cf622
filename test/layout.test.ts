/** Package layout rules that keep the library independent of the data formats. */
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";

const ROOT = join(import.meta.dirname, "..");

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

describe("layout", () => {
  it("src/ never imports data-loaders/ (only the CLI entry point src/cli/ glues them)", () => {
    const offenders = tsFiles(join(ROOT, "src"))
      .filter((f) => !relative(ROOT, f).startsWith("src/cli/"))
      .filter((f) => /from\s+["'][^"']*data-loaders|import\(\s*["'][^"']*data-loaders/.test(readFileSync(f, "utf8")))
      .map((f) => relative(ROOT, f));
    assert.deepEqual(offenders, []);
  });

  it("the top level holds the required entries", () => {
    const names = new Set(readdirSync(ROOT));
    for (const n of ["package.json", "tsconfig.json", "src", "data-loaders", "notebooks", "test", "environment", "README.md", ".ci"]) {
      assert.ok(names.has(n), `${n} is missing at the top level`);
    }
  });
});
