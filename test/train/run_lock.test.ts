/**
 * One run per directory: `dir/.lock` names its holder; a second run (in this process or another) stops
 * with the holder named; a lock left by a dead process is taken over with a note; the lock goes away on
 * release and on process exit.
 */
import "../eval/tf_setup.js";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { acquireRunLock } from "../../src/utils/run_lock.js";
import { batches, captureStderr, run } from "./run_fixtures.js";

const TMP = mkdtempSync(join(tmpdir(), "mmsn-run-lock-"));
after(() => rmSync(TMP, { recursive: true, force: true }));
const ROOT = join(import.meta.dirname, "../..");
const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid!;
const LOCK_MODULE = join(ROOT, "src/utils/run_lock.ts");

describe("run directory lock", () => {
  it("two concurrent trainRun on one directory: the second stops naming the first", async () => {
    const dir = join(TMP, "concurrent");
    let open!: () => void;
    const held = new Promise<void>((r) => (open = r));
    let started!: () => void;
    const inStep = new Promise<void>((r) => (started = r));
    const first = run(dir, 2, { command: "mmsn pretrain", batches: (s) => batches(s, async (k) => (k === 0 ? (started(), held) : undefined)) });
    await inStep;
    await assert.rejects(run(dir, 2, { resume: true }), new RegExp(`^Error: ${dir} is in use by process ${process.pid} \\(\`mmsn pretrain\`, started \\d{4}-.*\\); wait for it to finish or use another --out$`));
    open();
    assert.equal((await first).step, 2);
    assert.ok(!existsSync(join(dir, ".lock")), "released at the end");
    assert.equal((await run(dir, 3, { resume: true })).startStep, 2, "free again");
  });

  it("a lock left by a dead process is taken over with a note", async () => {
    const dir = join(TMP, "stale");
    mkdirSync(dir);
    writeFileSync(join(dir, ".lock"), JSON.stringify({ pid: deadPid(), hostname: hostname(), command: "mmsn pretrain", started: "2024-01-01T00:00:00.000Z" }));
    const { value, stderr } = await captureStderr(() => run(dir, 1));
    assert.equal(value.step, 1);
    assert.match(stderr, /\.lock: taking over the lock of process \d+ \(`mmsn pretrain`, started 2024-01-01T00:00:00\.000Z\), which is no longer running/);
    assert.ok(!existsSync(join(dir, ".lock")));
  });

  it("a lock of another host is respected (its pid cannot be checked from here)", () => {
    const dir = join(TMP, "other-host");
    mkdirSync(dir);
    writeFileSync(join(dir, ".lock"), JSON.stringify({ pid: deadPid(), hostname: "elsewhere", command: "mmsn pretrain", started: "2024-01-01T00:00:00.000Z" }));
    assert.throws(() => acquireRunLock(dir, "test"), /is in use by process \d+ on host elsewhere .*use another --out \(if that process is gone, delete .*\.lock\)/);
  });

  it("released on release(), and on exit when the holder forgets; a SIGKILLed holder's lock is stale", async () => {
    const dir = join(TMP, "exit");
    const lock = acquireRunLock(dir, "test");
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(lock.path, "utf8"))), ["pid", "hostname", "command", "started"]);
    lock.release();
    lock.release();
    assert.ok(!existsSync(lock.path));
    const script = `import { acquireRunLock } from ${JSON.stringify(LOCK_MODULE)}; acquireRunLock(process.argv[1], "child"); if (process.argv[2] === "hang") setInterval(() => {}, 1000);`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script, dir], { cwd: ROOT, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!existsSync(join(dir, ".lock")), "the exit handler removed it");
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script, dir, "hang"], { cwd: ROOT });
    while (!existsSync(join(dir, ".lock"))) await new Promise((res) => setTimeout(res, 20));
    assert.throws(() => acquireRunLock(dir, "test"), new RegExp(`in use by process ${child.pid} \\(\`child\``));
    await new Promise((res) => (child.on("exit", res), child.kill("SIGKILL")));
    const { value } = await captureStderr(async () => acquireRunLock(dir, "test"));
    value.release();
  });
});
