/**
 * The package's layering, checked on every relative import (static, dynamic and `import type`).
 *
 *   tools/, test/      harness: may import anything
 *   app/               application: CLI, study runner, reports, data glue; imports src/ and data-loaders/
 *   data-loaders/      dataset formats → typed arrays and batches; from src/ only utils/ and types/
 *   src/               the library, in layers that only point down (SRC_LAYERS)
 *
 * Nothing below imports anything above it; src/ never imports data-loaders/ or app/.
 */
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";

const ROOT = join(import.meta.dirname, "..");

/** src/ folders from the bottom up; a folder may import its own layer's files and lower layers only. */
const SRC_LAYERS: readonly (readonly string[])[] = [
  ["utils", "types"],
  ["config", "backend"],
  ["nn", "io"],
  ["models"],
  ["optim"],
  ["msn"],
  ["train"],
  ["eval"],
  ["viz"],
  ["index.ts"],
];
/** What data-loaders/ may import from src/: shared utilities and data contracts. */
const LOADER_MAY_IMPORT = ["src/utils/", "src/types/"];
/** Top-level parts from the bottom up. */
const TOP = ["src", "data-loaders", "app", "tools"] as const;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (n === "node_modules" || n === "build") return [];
    return statSync(p).isDirectory() ? files(p) : /\.(ts|mts|mjs|js)$/.test(p) ? [p] : [];
  });
}

/** Relative import targets of a file, as paths relative to ROOT. */
function imports(file: string): string[] {
  const src = readFileSync(file, "utf8");
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g;
  return [...src.matchAll(re)].map((m) => relative(ROOT, resolve(dirname(file), m[1]!)));
}

const top = (p: string) => p.split("/")[0]!;
function srcLayer(p: string): number {
  const part = p.split("/")[1]!;
  const i = SRC_LAYERS.findIndex((l) => l.includes(part));
  if (i < 0) throw new Error(`${p}: src/${part} is in no layer of test/layout.test.ts; add it to SRC_LAYERS`);
  return i;
}

const EDGES = TOP.flatMap((t) => files(join(ROOT, t)).flatMap((f) => imports(f).map((to) => ({ from: relative(ROOT, f), to }))));

describe("layout", () => {
  it("finds the imports it checks", () => {
    assert.ok(EDGES.length > 300, `only ${EDGES.length} imports found`);
  });

  it("top-level parts only import parts below them (src ← data-loaders ← app ← tools)", () => {
    const rank = (p: string) => TOP.indexOf(top(p) as (typeof TOP)[number]);
    const up = EDGES.filter((e) => rank(e.to) > rank(e.from) || (rank(e.to) < 0 && top(e.to) !== "node_modules" && top(e.to) !== "native"))
      .filter((e) => !(top(e.from) === "tools" && top(e.to) === "test"))
      .map((e) => `${e.from} → ${e.to}`);
    assert.deepEqual(up, []);
  });

  it("data-loaders/ imports from src/ only utils/ and types/", () => {
    const bad = EDGES.filter((e) => top(e.from) === "data-loaders" && top(e.to) === "src" && !LOADER_MAY_IMPORT.some((a) => e.to.startsWith(a)))
      .map((e) => `${e.from} → ${e.to}`);
    assert.deepEqual(bad, []);
  });

  it("inside src/, layers only point down", () => {
    const bad = EDGES.filter((e) => top(e.from) === "src" && top(e.to) === "src")
      .filter((e) => {
        const [a, b] = [srcLayer(e.from), srcLayer(e.to)];
        return b > a || (a === b && e.from.split("/")[1] !== e.to.split("/")[1]);
      })
      .map((e) => `${e.from} → ${e.to}`);
    assert.deepEqual(bad, []);
  });

  it("no backend imports another backend's internals", () => {
    const own = (p: string) => (/^src\/backend\/(native|cuda|webgpu)[/.]/.exec(p) ?? [])[1];
    const bad = EDGES.filter((e) => own(e.from) && own(e.to) && own(e.from) !== own(e.to)).map((e) => `${e.from} → ${e.to}`);
    assert.deepEqual(bad, []);
  });

  it("the top level holds the required entries", () => {
    const names = new Set(readdirSync(ROOT));
    for (const n of ["package.json", "tsconfig.json", "src", "data-loaders", "app", "tools", "docs", "notebooks", "test", "environment", "README.md", ".ci"]) {
      assert.ok(names.has(n), `${n} is missing at the top level`);
    }
  });
});
