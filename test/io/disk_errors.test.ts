/**
 * A full disk (or quota, read-only, permission) during an atomic write: the partial temp file is removed,
 * the error says what happened, how much room was needed and what to do, and a checkpoint being replaced
 * stays intact and loadable.
 */
import "../eval/tf_setup.js";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs-core";
import { msnConfig } from "../../src/config/msn.js";
import { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import { atomicIo, DiskWriteError, removeStaleTemps, writeFileAtomic } from "../../src/utils/atomic.js";
import { deadPid, ls, saveTestModel } from "./checkpoint_fixtures.js";

const TMP = mkdtempSync(join(tmpdir(), "mmsn-disk-"));
after(() => rmSync(TMP, { recursive: true, force: true }));
const realWrite = atomicIo.writeSync;
afterEach(() => {
  atomicIo.writeSync = realWrite;
});

/** Make writes of files whose temp name matches `which` write half their bytes, then fail with `code`. */
function failWrites(code: string, which: RegExp = /(?:)/): void {
  atomicIo.writeSync = (fd, data, offset, length) => {
    if (!which.test(readFdPath(fd))) return realWrite(fd, data, offset, length);
    if (offset === 0 && length > 1) return realWrite(fd, data, 0, Math.floor(length / 2));
    throw Object.assign(new Error(`${code}: simulated`), { code });
  };
}
/** An assert.throws validator matching the error's message (not "DiskWriteError: …"). */
const message = (re: RegExp) => (e: Error) => re.test(e.message);
/** The file behind `fd` (Linux); "" elsewhere, where every write fails. */
const readFdPath = (fd: number): string => {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return "";
  }
};

describe("disk errors during atomic writes", () => {
  it("ENOSPC: the temp file is removed, the old file kept, and the message names path, size and fix", () => {
    const path = join(TMP, "a.bin");
    writeFileSync(path, "old");
    failWrites("ENOSPC");
    assert.throws(
      () => writeFileAtomic(path, new Uint8Array(3_000_000)),
      (e: Error) => e instanceof DiskWriteError && e.code === "ENOSPC" && e.message === `no space left on device writing ${path} (3.0 MB needed); free space or choose another --out; the previous a.bin (if any) is intact`,
    );
    assert.deepEqual(ls(TMP), ["a.bin"]);
    assert.equal(readFileSync(path, "utf8"), "old");
  });

  for (const [code, what] of [["EDQUOT", "disk quota exceeded"], ["EROFS", "read-only file system"], ["EACCES", "permission denied"]] as const) {
    it(`${code} reads "${what}"`, () => {
      failWrites(code);
      assert.throws(() => writeFileAtomic(join(TMP, "b.txt"), "some text"), message(new RegExp(`^${what} writing .*b\\.txt \\(.* MB needed\\); .* or choose another --out`)));
      assert.ok(!ls(TMP).some((n) => n.includes("b.txt")));
    });
  }

  it("a full disk while saving a checkpoint keeps the previous one intact and loadable, and leaves no new file", () => {
    const dir = join(TMP, "ckpt");
    saveTestModel(dir, 1);
    const before = ls(dir);
    const model = readFileSync(join(dir, "model.json"));
    const m = new MultimodalMSN(msnConfig("test"));
    for (const which of [/weights-/, /model\.json/]) {
      failWrites("ENOSPC", which);
      assert.throws(() => m.save(dir), message(/^no space left on device writing .*(weights-0-[0-9a-f]{12}\.bin|model\.json) \(.* MB needed\); free space or choose another --out; the previous checkpoint is intact$/));
      atomicIo.writeSync = realWrite;
      assert.deepEqual(ls(dir), before, `failing on ${which}: nothing new is left`);
      assert.deepEqual(readFileSync(join(dir, "model.json")), model);
    }
    const n = tf.memory().numTensors;
    m.dispose();
    const back = MultimodalMSN.load(dir);
    assert.equal(back.step, 1);
    back.dispose();
    assert.ok(tf.memory().numTensors <= n);
  });

  it("temp files of dead processes are removed; those of live ones are kept", () => {
    const dir = join(TMP, "temps");
    writeFileAtomic(join(dir, "x"), "x");
    const dead = join(dir, `.x.tmp-${deadPid()}`);
    const live = join(dir, `.x.tmp-${process.ppid}`);
    writeFileSync(dead, "half");
    writeFileSync(live, "in progress");
    assert.deepEqual(removeStaleTemps(dir), [dead]);
    assert.deepEqual(ls(dir), [`.x.tmp-${process.ppid}`, "x"]);
  });
});
