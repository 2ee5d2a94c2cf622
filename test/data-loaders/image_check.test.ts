/** The cheap pre-run check of image files (data-loaders/image_check.ts): a few bytes per file, no decoding. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { checkImageFile } from "../../data-loaders/index.js";
import { NIH, NIH_SAMPLE_IDS } from "./helpers.js";

const TMP = mkdtempSync(join(tmpdir(), "mmsn-image-check-"));

describe("checkImageFile", () => {
  const png = readFileSync(join(NIH, "images", NIH_SAMPLE_IDS[0]!));
  // A minimal JPEG: SOI … EOI (the check reads the signature and the end marker only).
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0xff, 0xd9]);
  const write = (name: string, data: Uint8Array | string) => {
    const p = join(TMP, name);
    writeFileSync(p, data);
    return p;
  };

  it("passes real PNGs, JPEGs ending in EOI (padding allowed) and DICOM; names what is wrong with the rest", () => {
    assert.equal(checkImageFile(write("a.png", png)), null);
    assert.equal(checkImageFile(write("a.jpg", jpeg)), null);
    assert.equal(checkImageFile(write("padded.jpg", Buffer.concat([jpeg, Buffer.alloc(7)]))), null);
    assert.equal(checkImageFile(write("a.dcm", Buffer.concat([Buffer.alloc(128), Buffer.from("DICM"), Buffer.alloc(16)]))), null);
    assert.equal(checkImageFile(join(TMP, "missing.jpg")), "image file not found");
    assert.equal(checkImageFile(write("empty.jpg", "")), "empty file");
    assert.equal(checkImageFile(write("cut.jpg", jpeg.subarray(0, 9))), "truncated JPEG (no end-of-image marker)");
    assert.equal(checkImageFile(write("text.jpg", "not an image\n")), "not an image (no JPEG, PNG or DICOM signature)");
    assert.equal(checkImageFile(TMP), "not a file");
  });
});
