/**
 * Every code block of README.md is checked: ```ts blocks run as written (package imports pointed at this
 * checkout, `runs/…` paths at a temp dir); ```sh commands name scripts and files that exist (the commands
 * themselves — npm install, npm start, npm test — are what .ci/run and the fresh-clone check run); ```text blocks
 * name folders that exist. A block without a language fails, so no block escapes. The installed package runs
 * the same API example in test/package/consumer.test.ts.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, it } from "node:test";
import { readmeBlocks } from "./readme_blocks.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const scripts = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

/** Why one shell command of a ```sh block is not known to work, or "" when it is. */
function unknownCommand(cmd: string): string {
  const w = cmd.trim().split(/\s+/);
  if (w[0] === "npm" && w[1] === "install") return "";
  if (w[0] === "npm" && (w[1] === "test" || w[1] === "start")) return scripts[w[1]] ? "" : `package.json has no "${w[1]}" script`;
  if (w[0] === "npm" && w[1] === "run") return scripts[w[2] ?? ""] ? "" : `package.json has no "${w[2]}" script`;
  const file = w[0] === "bash" || w[0] === "node" ? w[1] : w[0] === "npx" && w[1] === "tsx" ? w[2] : undefined;
  if (file !== undefined) return existsSync(path.join(ROOT, file)) ? "" : `${file} does not exist`;
  return "no rule checks this command: add one to test/package/readme.test.ts";
}

describe("README.md code blocks", () => {
  const blocks = readmeBlocks();

  it("every block says its language (ts, sh or text)", () => {
    for (const b of blocks) assert.ok(["ts", "sh", "text"].includes(b.lang), `README.md:${b.line}: block language "${b.lang}" (use ts, sh or text)`);
    assert.ok(blocks.some((b) => b.lang === "ts"), "the README has a TypeScript example");
  });

  for (const b of blocks.filter((x) => x.lang === "ts")) {
    it(`the ts block at README.md:${b.line} (${b.section}) runs as written`, () => {
      const dir = mkdtempSync(path.join(tmpdir(), "mmsn-readme-"));
      try {
        const script = b.code
          .replace(/"multimodal-msn\/app"/g, JSON.stringify(pathToFileURL(path.join(ROOT, "app/index.ts")).href))
          .replace(/"multimodal-msn\/data-loaders"/g, JSON.stringify(pathToFileURL(path.join(ROOT, "data-loaders/index.ts")).href))
          .replace(/"multimodal-msn"/g, JSON.stringify(pathToFileURL(path.join(ROOT, "src/index.ts")).href))
          .replace(/"runs\/([^"]*)"/g, (_, rest: string) => JSON.stringify(path.join(dir, "runs", rest)));
        const file = path.join(dir, "example.mts");
        writeFileSync(file, script);
        const r = spawnSync(process.execPath, ["--import", "tsx", file], { cwd: ROOT, encoding: "utf8" });
        assert.equal(r.status, 0, `README.md:${b.line}: the example failed:\n${r.stdout}\n${r.stderr}`);
        for (const m of b.code.matchAll(/\.save\("runs\/([^"]*)"\)/g)) assert.ok(existsSync(path.join(dir, "runs", m[1]!, "model.json")), `README.md:${b.line}: save wrote runs/${m[1]}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it("every sh command names an npm script or a file that exists", () => {
    for (const b of blocks.filter((x) => x.lang === "sh")) {
      for (const line of b.code.split("\n")) {
        const cmd = line.replace(/#.*$/, "").trim();
        if (!cmd) continue;
        for (const part of cmd.split(/&&|\|\|/)) {
          const why = unknownCommand(part.replace(/^\s*(\w+=\S+\s+)+/, ""));
          assert.equal(why, "", `README.md:${b.line}: "${part.trim()}": ${why}`);
        }
      }
    }
  });

  it("the folders a text block lists exist", () => {
    for (const b of blocks.filter((x) => x.lang === "text")) {
      for (const m of b.code.matchAll(/^([\w.-]+\/)\s/gm)) assert.ok(existsSync(path.join(ROOT, m[1]!)), `README.md:${b.line}: ${m[1]} does not exist`);
    }
  });
});
