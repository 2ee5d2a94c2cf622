/**
 * DICOM pixel reading with dicom-parser (cornerstone's maintained parser). Supported: uncompressed
 * Implicit/Explicit VR Little Endian (8 or 16 bits allocated), and encapsulated JPEG Baseline /
 * Extended (1.2.840.10008.1.2.4.50, .51), whose JPEG stream is decoded by sharp. MONOCHROME1 is inverted
 * (`max - x`) so that bone is always bright. No VOI window is applied: pixels are returned in stored units.
 * Rows × Columns, and the size in the embedded JPEG's header, are checked against a pixel limit before any
 * pixel is read ({@link DEFAULT_MAX_PIXELS} by default).
 */
import { createRequire } from "node:module";
import sharp from "sharp";
import { checkPixelLimit, DEFAULT_MAX_PIXELS, quickHeader, resolveMaxPixels, sharpLimit } from "./image_header.js";
import { ImageDecodeError, type GrayImage } from "./image_types.js";

const require = createRequire(import.meta.url);
const dicomParser = require("dicom-parser") as typeof import("dicom-parser");

const UNCOMPRESSED = new Set(["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"]);
const JPEG_BASELINE = new Set(["1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"]);

/** True when `buf` starts with a DICOM Part-10 preamble (`DICM` at byte 128). */
export function isDicom(buf: Uint8Array): boolean {
  return buf.length > 132 && buf[128] === 0x44 && buf[129] === 0x49 && buf[130] === 0x43 && buf[131] === 0x4d;
}

/** The DICOM tags the reader uses, for reports and tests. */
export interface DicomInfo {
  readonly transferSyntax: string;
  readonly photometric: string;
  readonly rows: number;
  readonly columns: number;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly viewPosition: string;
}

/**
 * Decode the first frame of a DICOM file to a {@link GrayImage}.
 * @param buf the file bytes
 * @param file name used in error messages
 * @param opts.maxPixels largest Rows × Columns decoded (default {@link DEFAULT_MAX_PIXELS}; `Infinity`: no limit)
 * @throws ImageDecodeError for unreadable files, unsupported transfer syntaxes, colour images, or images larger
 *   than `maxPixels` ("decompression bomb")
 * @example const { image, info } = await decodeDicom(readFileSync("x.dcm"), "x.dcm");
 */
export async function decodeDicom(buf: Uint8Array, file: string, opts: { readonly maxPixels?: number } = {}): Promise<{ image: GrayImage; info: DicomInfo }> {
  const maxPixels = resolveMaxPixels(opts.maxPixels, "decodeDicom");
  let ds: import("dicom-parser").DataSet;
  try {
    ds = dicomParser.parseDicom(buf);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new ImageDecodeError(file, `unreadable DICOM (${msg})`);
  }
  const info: DicomInfo = {
    transferSyntax: (ds.string("x00020010") ?? "").trim(),
    photometric: (ds.string("x00280004") ?? "").trim(),
    rows: ds.uint16("x00280010") ?? 0,
    columns: ds.uint16("x00280011") ?? 0,
    bitsAllocated: ds.uint16("x00280100") ?? 0,
    bitsStored: ds.uint16("x00280101") ?? ds.uint16("x00280100") ?? 0,
    viewPosition: (ds.string("x00185101") ?? "").trim(),
  };
  const samples = ds.uint16("x00280002") ?? 1;
  const pixel = ds.elements["x7fe00010"];
  if (!pixel) throw new ImageDecodeError(file, "DICOM has no PixelData (7FE0,0010)");
  if (samples !== 1 || !info.photometric.startsWith("MONOCHROME")) {
    throw new ImageDecodeError(file, `only grayscale DICOM is supported (SamplesPerPixel ${samples}, PhotometricInterpretation "${info.photometric}")`);
  }
  if (info.rows <= 0 || info.columns <= 0) throw new ImageDecodeError(file, "DICOM has no Rows/Columns");
  checkPixelLimit(info.columns, info.rows, maxPixels, file, "DICOM");
  let image: GrayImage;
  if (UNCOMPRESSED.has(info.transferSyntax)) image = readUncompressed(ds, pixel, info, file);
  else if (JPEG_BASELINE.has(info.transferSyntax)) image = await readJpeg(ds, pixel, info, file, maxPixels);
  else {
    throw new ImageDecodeError(
      file,
      `unsupported DICOM transfer syntax ${info.transferSyntax || "(none)"}; supported: uncompressed little endian and JPEG baseline. ` +
        "Fix: transcode first, e.g. `gdcmconv --raw in.dcm out.dcm`",
    );
  }
  if (info.photometric === "MONOCHROME1") image = invert(image);
  return { image, info };
}

function readUncompressed(ds: import("dicom-parser").DataSet, pixel: import("dicom-parser").Element, info: DicomInfo, file: string): GrayImage {
  const n = info.rows * info.columns;
  const bytesPer = info.bitsAllocated / 8;
  if (bytesPer !== 1 && bytesPer !== 2) throw new ImageDecodeError(file, `unsupported BitsAllocated ${info.bitsAllocated}`);
  if (pixel.dataOffset + n * bytesPer > ds.byteArray.length || pixel.length < n * bytesPer) {
    throw new ImageDecodeError(file, `truncated PixelData: ${Math.min(pixel.length, ds.byteArray.length - pixel.dataOffset)} bytes, expected ${n * bytesPer}`);
  }
  if (bytesPer === 1) {
    return { width: info.columns, height: info.rows, data: Uint8Array.from(ds.byteArray.subarray(pixel.dataOffset, pixel.dataOffset + n)), bitDepth: 8 };
  }
  const out = new Uint16Array(n);
  const b = ds.byteArray;
  const mask = 2 ** info.bitsStored - 1;
  for (let i = 0, o = pixel.dataOffset; i < n; i++, o += 2) out[i] = (b[o]! | (b[o + 1]! << 8)) & mask;
  return { width: info.columns, height: info.rows, data: out, bitDepth: info.bitsStored };
}

async function readJpeg(ds: import("dicom-parser").DataSet, pixel: import("dicom-parser").Element, info: DicomInfo, file: string, maxPixels: number): Promise<GrayImage> {
  let jpeg: Uint8Array;
  try {
    const nFrag = pixel.fragments?.length ?? 0;
    const frag = dicomParser.readEncapsulatedPixelDataFromFragments(ds, pixel, 0, nFrag);
    jpeg = new Uint8Array(frag.buffer, frag.byteOffset, frag.byteLength);
  } catch (e) {
    throw new ImageDecodeError(file, `cannot read encapsulated JPEG fragments (${e instanceof Error ? e.message : String(e)})`);
  }
  // The embedded stream's own header may claim more than Rows/Columns: check it too before decoding.
  const h = quickHeader(jpeg);
  if (h !== null) checkPixelLimit(h.width, h.height, maxPixels, file, "DICOM's JPEG");
  try {
    const { data, info: out } = await sharp(jpeg, { limitInputPixels: sharpLimit(maxPixels) }).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    if (out.width !== info.columns || out.height !== info.rows) {
      throw new Error(`JPEG is ${out.width}x${out.height}, DICOM says ${info.columns}x${info.rows}`);
    }
    return { width: out.width, height: out.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length), bitDepth: 8 };
  } catch (e) {
    throw new ImageDecodeError(file, `cannot decode the DICOM's JPEG stream (${e instanceof Error ? e.message : String(e)})`);
  }
}

function invert(img: GrayImage): GrayImage {
  const max = 2 ** img.bitDepth - 1;
  const out = img.data instanceof Uint8Array ? new Uint8Array(img.data.length) : new Uint16Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = max - img.data[i]!;
  return { ...img, data: out };
}
