/**
 * Preprocessing cache on the real NIH PNGs: shards + manifest, identical pixels to a direct decode,
 * idempotent rebuilds, resuming after a lost shard, and a bad image listed as failed.
 */
import assert from "node:assert/strict";
import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { buildCache, openCache, readGrayImage } from "../../data-loaders/index.js";
import { NIH, tempDir } from "./helpers.js";

const tmp = tempDir();
after(() => tmp.cleanup());
const files = readdirSync(path.join(NIH, "images")).filter((f) => f.endsWith(".png")).sort();

describe("preprocessing cache", () => {
  it("builds shards once, resumes, is idempotent, and reads back the same pixels", async () => {
    const bad = path.join(tmp.dir, "bad.png");
    writeFileSync(bad, "not a png");
    const items = [...files.map((f) => ({ id: f, path: path.join(NIH, "images", f) })), { id: "bad.png", path: bad }];
    const out = path.join(tmp.dir, "cache");
    const first = await buildCache(items, { outDir: out, shortSide: 64, shardSize: 4, concurrency: 2, progress: false });
    assert.deepEqual([first.written, first.reused], [3, 0]);
    assert.equal(first.manifest.entries.length, 9);
    assert.deepEqual(first.manifest.failed.map((f) => f.id), ["bad.png"]);
    const bytes = readFileSync(path.join(out, "shard-00001.bin"));
    // Rebuild: everything reused, same bytes.
    const again = await buildCache(items, { outDir: out, shortSide: 64, shardSize: 4, progress: false });
    assert.deepEqual([again.written, again.reused], [0, 3]);
    // Lose one shard (as after a crash): only it is rebuilt, byte-identical.
    rmSync(path.join(out, "shard-00001.json"));
    const resumed = await buildCache(items, { outDir: out, shortSide: 64, shardSize: 4, progress: false });
    assert.deepEqual([resumed.written, resumed.reused], [1, 2]);
    assert.deepEqual(readFileSync(path.join(out, "shard-00001.bin")), bytes);
    const cache = openCache(out);
    assert.equal(cache.length, 9);
    for (let i = 0; i < cache.length; i++) {
      const a = await cache.read(i);
      const b = await readGrayImage(path.join(NIH, "images", cache.ids[i]!), { shortSide: 64 });
      assert.deepEqual([a.width, a.height], [64, 64]);
      assert.deepEqual(Array.from(a.data), Array.from(b.data));
    }
    assert.throws(() => openCache(path.join(tmp.dir, "nothing")), /manifest not found/);
  });
});
