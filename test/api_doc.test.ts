/** The public API: a deliberate size, every name documented, and docs/api.md current (tools/api_doc.ts). */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { apiEntries, apiMarkdown } from "../tools/api_doc.js";

const ROOT = join(import.meta.dirname, "..");
const entries = apiEntries();

describe("public API", () => {
  it("the library exports at most 80 names, none twice", () => {
    const names = entries["multimodal-msn"].map((e) => e.name);
    assert.ok(names.length <= 80, `src/index.ts exports ${names.length} names`);
    assert.equal(new Set(names).size, names.length);
  });

  it("every name of the library and of the app layer has JSDoc", () => {
    const missing = [...entries["multimodal-msn"], ...entries["multimodal-msn/app"]].filter((e) => e.summary === "").map((e) => e.name);
    assert.deepEqual(missing, []);
  });

  it("docs/api.md is current (regenerate with `npx tsx tools/api_doc.ts`)", () => {
    assert.equal(readFileSync(join(ROOT, "docs", "api.md"), "utf8"), apiMarkdown(entries));
  });
});
