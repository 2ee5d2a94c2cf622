/**
 * The package as a user gets it: `npm pack`, install the tarball into a fresh project with the registry alone
 * (no overrides, none of the optional peers), then the README's API example from an `.mjs` file and from a
 * strict TypeScript file (`tsc --strict`, NodeNext, `skipLibCheck: false`, compiled and run), and `npx mmsn --help`.
 * Slow (pack compiles the package, the install builds the native addons): about 2–4 minutes on 2 cores.
 */
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { skipLoudly } from "../helpers/skip.js";
import { readmeApiExample } from "./readme_blocks.js";

const REPO = path.resolve(import.meta.dirname, "../..");
const NATIVE_ADDON = "native/build/Release/mmsn_native.node";
const pkg = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as { version: string; devDependencies: Record<string, string> };
const dir = mkdtempSync(path.join(tmpdir(), "mmsn-consumer-"));
const project = path.join(dir, "project");

const sh = (cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> =>
  spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } });
const out = (r: SpawnSyncReturns<string>) => `${r.stdout}\n${r.stderr}`.slice(-4000);
/** The registry could not be reached: the only reason this test may skip (never under CI=true). */
const offline = (r: SpawnSyncReturns<string>) => /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|network/i.test(r.stderr) && r.status !== 0;

let tarball = "";
let packedFiles: string[] = [];
let installSkip = "";
let install: SpawnSyncReturns<string> | undefined;

describe("the packed package in a consumer project", () => {
  before(() => {
    const pack = sh("npm", ["pack", "--json", "--pack-destination", dir], REPO);
    assert.equal(pack.status, 0, `npm pack failed:\n${out(pack)}`);
    const info = JSON.parse(pack.stdout.slice(pack.stdout.indexOf("["))) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(dir, info[0]!.filename);
    packedFiles = info[0]!.files.map((f) => f.path);
    mkdirSync(project);
    writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module" }, null, 2));
    // --foreground-scripts: npm shows the package's install script output (its [mmsn] lines). @types/node@20:
    // the latest 20.x, as a consumer gets it (the repository's pinned 20.9.5 does not pass TS 5.9 without skipLibCheck).
    install = sh("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--foreground-scripts", tarball,
      `typescript@${pkg.devDependencies.typescript}`, "@types/node@20"], project);
    if (offline(install)) installSkip = `the npm registry cannot be reached, so the tarball's dependencies cannot install:\n${out(install)}`;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("the tarball holds sources and what the install builds from, no build output", () => {
    for (const f of ["dist/src/index.js", "dist/src/index.d.ts", "dist/app/cli/main.js", "native/build.mjs", "native/binding.gyp", "native/backend/addon.cc", "LICENSE", "README.md"]) {
      assert.ok(packedFiles.includes(f), `${f} is in the tarball`);
    }
    const built = packedFiles.filter((f) => /(^|\/)build\/|\.(node|o|fatbin)$|(^|\/)Makefile$|\.mk$|config\.gypi$/.test(f));
    assert.deepEqual(built, [], "no native build output in the tarball");
    assert.deepEqual(packedFiles.filter((f) => f.startsWith("test/") || f.startsWith("notebooks/")), [], "no tests or notebooks");
  });

  it("installs from the registry alone (no overrides, no optional peers) and builds its native pieces", (t) => {
    if (installSkip) return skipLoudly(t, installSkip);
    assert.equal(install!.status, 0, `npm install of the tarball failed:\n${out(install!)}`);
    const nm = path.join(project, "node_modules");
    for (const p of ["danfojs-node", "tslab", "@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node", "xlsx"]) {
      assert.ok(!existsSync(path.join(nm, p)), `${p} is not installed for a consumer`);
    }
    assert.match(install!.stdout, /\[mmsn\] GPU: /, "the install says what it found about the GPU");
    // Where this checkout's native backend built, the consumer's install built it too (from the tarball's sources).
    if (existsSync(path.join(REPO, NATIVE_ADDON))) assert.ok(existsSync(path.join(nm, "multimodal-msn", NATIVE_ADDON)), `${NATIVE_ADDON} built on install`);
    const lock = readFileSync(path.join(project, "package-lock.json"), "utf8");
    assert.doesNotMatch(lock, /cdn\.sheetjs\.com|https?:\/\/(?!registry\.npmjs\.org)[^"]+\.tgz/, "every package comes from the registry");
  });

  it("runs the README's API example as an .mjs file", (t) => {
    if (installSkip) return skipLoudly(t, installSkip);
    writeFileSync(path.join(project, "example.mjs"), readmeApiExample());
    const r = sh(process.execPath, ["example.mjs"], project);
    assert.equal(r.status, 0, `example.mjs failed:\n${out(r)}`);
    if (existsSync(path.join(REPO, NATIVE_ADDON))) assert.match(r.stdout + r.stderr, /native/, "it runs on the native backend the install built");
    assert.ok(existsSync(path.join(project, "runs/ckpt/model.json")), "model.save wrote the checkpoint");
  });

  it("type-checks the README's example strictly (NodeNext, skipLibCheck false) and runs the compiled file", (t) => {
    if (installSkip) return skipLoudly(t, installSkip);
    const ts = path.join(project, "ts");
    mkdirSync(ts, { recursive: true });
    writeFileSync(path.join(ts, "example.ts"), readmeApiExample());
    writeFileSync(path.join(ts, "tsconfig.json"), JSON.stringify({
      compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, skipLibCheck: false, outDir: "out" },
      files: ["example.ts"],
    }, null, 2));
    const tsc = sh(process.execPath, [path.join(project, "node_modules/typescript/bin/tsc"), "-p", "ts/tsconfig.json"], project);
    assert.equal(tsc.status, 0, `tsc --strict on the README example failed:\n${out(tsc)}`);
    rmSync(path.join(project, "runs"), { recursive: true, force: true });
    const r = sh(process.execPath, ["ts/out/example.js"], project);
    assert.equal(r.status, 0, `the compiled example failed:\n${out(r)}`);
    assert.ok(existsSync(path.join(project, "runs/ckpt/model.json")));
  });

  it("npx mmsn --help works, and an optional peer that is missing is named with its install command", (t) => {
    if (installSkip) return skipLoudly(t, installSkip);
    const help = sh("npx", ["--no-install", "mmsn", "--help"], project);
    assert.equal(help.status, 0, out(help));
    assert.match(help.stdout, /mmsn <command> \[options\]/);
    writeFileSync(path.join(project, "peers.mjs"), [
      'import { resultsDataFrame, displayChart } from "multimodal-msn";',
      "const said = async (p) => { try { await p; return \"no error\"; } catch (e) { return e.message; } };",
      "console.log(JSON.stringify([await said(resultsDataFrame([])), await said(displayChart({ mark: \"point\", data: { values: [] } }))]));",
    ].join("\n"));
    const r = sh(process.execPath, ["peers.mjs"], project);
    assert.equal(r.status, 0, out(r));
    const [df, chart] = JSON.parse(r.stdout.trim().split("\n").pop()!) as [string, string];
    assert.match(df, /optional peer dependency danfojs-node.*npm install danfojs-node@1\.2\.0.*overrides/);
    assert.match(chart, /tslab is not installed here.*saveChart/);
  });
});
