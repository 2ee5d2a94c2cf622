/**
 * Where `exportEncoder` writes (app/export/out_dir.ts): the folder checks, the temporary sibling and the swap,
 * on folders only (no model is loaded except where a previous export is needed).
 */
import "@tensorflow/tfjs-backend-cpu";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { EVAL_NORMALIZATION } from "../../../data-loaders/index.js";
import { browserExampleHtml, exportEncoder } from "../../../app/export/export.js";
import { prepareExportDir } from "../../../app/export/out_dir.js";
import { MultimodalMSN } from "../../../src/msn/multimodal_msn.js";

const TMP = mkdtempSync(join(tmpdir(), "mmsn-export-dir-"));
const hidden = (dir: string) => readdirSync(dir).filter((f) => f.startsWith("."));

describe("prepareExportDir", () => {
  it("--out under /proc fails at once, in process (Node's recursive mkdir spins forever there)", { skip: !existsSync("/proc/self") && "no /proc" }, () => {
    const t0 = Date.now();
    assert.throws(() => prepareExportDir("/proc/nope/deeper/web"), /^Error: export: cannot create --out \/proc\/nope\/deeper\/web: mkdir \/proc\/nope: .*\(ENOENT\)/);
    assert.throws(() => prepareExportDir("/proc/nope"), /cannot make a folder in \/proc: .*\(ENOENT\)/);
    assert.ok(Date.now() - t0 < 1000);
  });

  it("abort removes the temporary sibling and the parents it created", () => {
    const t = prepareExportDir(join(TMP, "a", "b", "web"));
    assert.ok(existsSync(t.staging));
    assert.ok(!existsSync(t.dir), "the folder itself appears only on commit");
    t.abort();
    assert.ok(!existsSync(join(TMP, "a")));
  });

  it("commit checks the folder again: files that appeared meanwhile are not replaced", () => {
    const dir = join(TMP, "raced");
    const t = prepareExportDir(dir);
    mkdirSync(dir);
    writeFileSync(join(dir, "notes.txt"), "mine");
    assert.throws(() => t.commit(), /is not empty and is not a previous export \(it holds notes\.txt\)/);
    t.abort();
    assert.equal(readFileSync(join(dir, "notes.txt"), "utf8"), "mine");
    assert.deepEqual(hidden(TMP), []);
  });

  it("a symlink to a checkpoint is refused like the checkpoint; --out an empty folder is fine", () => {
    const model = new MultimodalMSN("test");
    model.save(join(TMP, "ck"));
    model.dispose();
    symlinkSync(join(TMP, "ck"), join(TMP, "link"));
    assert.throws(() => prepareExportDir(join(TMP, "link")), /--out .*\/ck is a checkpoint/);
    mkdirSync(join(TMP, "empty"));
    const t = prepareExportDir(join(TMP, "empty"));
    assert.equal(t.replaces, "nothing");
    t.abort();
  });

  it("stale temporary folders of dead processes are cleared", () => {
    const stale = join(TMP, ".stale.export-999999999-0");
    mkdirSync(stale);
    const t = prepareExportDir(join(TMP, "stale"));
    assert.ok(!existsSync(stale));
    t.abort();
  });
});

describe("exportEncoder", () => {
  it("an error while writing leaves the previous export as it was and no temporary folder", async () => {
    const model = new MultimodalMSN("test");
    const dir = join(TMP, "web");
    const first = await exportEncoder(model, dir, EVAL_NORMALIZATION);
    assert.equal(first.replaced, "nothing");
    const before = readFileSync(join(dir, "model.json"), "utf8");
    const broken = Object.create(model, { config: { get: () => { throw new Error("boom"); } } }) as MultimodalMSN;
    await assert.rejects(exportEncoder(broken, dir, EVAL_NORMALIZATION), /boom/);
    assert.equal(readFileSync(join(dir, "model.json"), "utf8"), before);
    assert.deepEqual(hidden(TMP), []);
    const again = await exportEncoder(model, dir, EVAL_NORMALIZATION);
    assert.equal(again.replaced, "previous export");
    assert.deepEqual(again.warnings, []);
    model.dispose();
  });

  it("without a tfjs bundle, index.html loads no script and says so", () => {
    const html = browserExampleHtml([]);
    assert.doesNotMatch(html, /<script [^>]*src=/);
    assert.match(html, /no TensorFlow\.js browser bundle/);
  });
});
