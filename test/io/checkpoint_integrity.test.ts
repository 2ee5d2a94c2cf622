/**
 * What a checkpoint's files may say: a flipped byte or swapped tensor names fail their checksums, weight
 * paths cannot leave the checkpoint folder, and the training state is checked field by field, each error
 * naming the file (and the field).
 */
import "../eval/tf_setup.js";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { decodeWeights, encodeWeights } from "../../src/io/weights.js";
import { MultimodalMSN } from "../../src/msn/multimodal_msn.js";
import { saveTestModel } from "./checkpoint_fixtures.js";

const TMP = mkdtempSync(join(tmpdir(), "mmsn-ckpt-integrity-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

/** A saved checkpoint in a fresh folder, with a way to edit its model.json. */
function checkpoint(name: string) {
  const dir = join(TMP, name);
  const manifest = saveTestModel(dir, 1);
  const edit = (f: (m: typeof manifest) => unknown) => writeFileSync(join(dir, "model.json"), JSON.stringify(f(structuredClone(manifest))));
  return { dir, manifest, edit, shard: join(dir, manifest.weightsManifest[0]!.paths[0]!) };
}

describe("checkpoint checksums", () => {
  it("one flipped byte in the weights fails with the file named", () => {
    const { dir, shard } = checkpoint("flip");
    const bytes = readFileSync(shard);
    bytes[1000] ^= 0x01;
    writeFileSync(shard, bytes);
    assert.throws(() => MultimodalMSN.load(dir), (e: Error) => e.message.startsWith(shard) && /checksum mismatch .*the file is corrupt; restore it or retrain/.test(e.message));
  });

  it("swapped tensor names in the manifest (same shapes, bytes intact) fail the spec checksum", () => {
    const { dir, edit } = checkpoint("swap");
    edit((m) => {
      const w = m.weightsManifest[0]!.weights;
      const i = w.findIndex((s) => s.name.startsWith("adam_m/"));
      const j = w.findIndex((s) => s.name === `adam_v/${w[i]!.name.slice("adam_m/".length)}`);
      [w[i]!.name, w[j]!.name] = [w[j]!.name, w[i]!.name];
      return m;
    });
    assert.throws(() => MultimodalMSN.load(dir), /model\.json: checksum mismatch of the weight names and shapes \(specSha256\).*restore it or retrain/);
  });
});

describe("weight paths stay inside the checkpoint", () => {
  const outside = join(TMP, "outside.bin");
  writeFileSync(outside, new Uint8Array(8)); // exactly the 2 float32 the spec asks for: only the path check stops it
  const specs = [{ name: "x", shape: [2], dtype: "float32" as const }];
  for (const p of ["../outside.bin", "../../../../etc/passwd", outside, "sub/x.bin", "sub\\x.bin", "", ".."]) {
    it(`refuses ${JSON.stringify(p)} before opening any file`, () => {
      const dir = join(TMP, "confined");
      assert.throws(() => decodeWeights(dir, [{ paths: [p], weights: specs }], { source: "m.json" }), /m\.json: weight file path .* a manifest may only name files in its own folder/);
    });
  }

  it("an edited checkpoint model.json pointing outside fails naming model.json", () => {
    const { dir, edit } = checkpoint("escape");
    edit((m) => ({ ...m, weightsManifest: [{ ...m.weightsManifest[0], paths: ["../outside.bin"] }] }));
    assert.throws(() => MultimodalMSN.load(dir), /model\.json: weight file path "\.\.\/outside\.bin" contains "\.\."/);
  });

  it("plain file names still decode (round trip)", () => {
    const { group, data } = encodeWeights([["x", new Float32Array([1, 2]), [2]]], "w.bin");
    writeFileSync(join(TMP, "w.bin"), data);
    assert.deepEqual([...decodeWeights(TMP, [group]).get("x")!], [1, 2]);
  });
});

describe("checkpoint state is checked on load", () => {
  const cases: [string, (m: Record<string, any>) => unknown, RegExp][] = [
    ["step \"abc\"", (m) => ({ ...m, state: { ...m.state, step: "abc" } }), /state\.step must be an integer in \[0, \d+\], got "abc"/],
    ["step -5", (m) => ({ ...m, state: { ...m.state, step: -5 } }), /state\.step must be an integer in \[0, \d+\], got -5/],
    ["step 1.5", (m) => ({ ...m, state: { ...m.state, step: 1.5 } }), /state\.step must be an integer/],
    ["adamStep missing", (m) => ({ ...m, state: { ...m.state, adamStep: undefined } }), /state\.adamStep must be an integer in \[0, \d+\], got nothing/],
    ["stepsPerEpoch 0", (m) => ({ ...m, state: { ...m.state, stepsPerEpoch: 0 } }), /state\.stepsPerEpoch must be an integer in \[1, \d+\], got 0/],
    ["rngState 2^32", (m) => ({ ...m, state: { ...m.state, rngState: 2 ** 32 } }), /state\.rngState must be an integer in \[0, 4294967295\], got 4294967296/],
    ["config null", (m) => ({ ...m, config: null }), /config must be an object, got null/],
    ["state an array", (m) => ({ ...m, state: [] }), /state must be an object/],
    ["weightsSha256 missing", (m) => ({ ...m, weightsSha256: undefined }), /weightsSha256 must be an object \{file: sha256 hex\}/],
  ];
  for (const [name, f, re] of cases) {
    it(`${name} fails naming model.json and the field`, () => {
      const { dir, edit } = checkpoint(`state-${name.replace(/\W+/g, "_")}`);
      edit(f as never);
      assert.throws(() => MultimodalMSN.load(dir), (e: Error) => e.message.startsWith(join(dir, "model.json")) && re.test(e.message) && /the file is corrupt/.test(e.message));
    });
  }
});
