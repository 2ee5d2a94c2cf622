/**
 * Encode 8-bit grayscale pixel buffers to JPEG/PNG files with sharp, a few at a time. sharp works in
 * libuv's threadpool, so drawing the next image (synchronous JS) overlaps with encoding the previous ones.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";

/** How to encode one image. */
export interface EncodeSpec {
  format: "jpeg" | "png";
  /** JPEG quality (ignored for PNG). */
  quality: number;
  /** Write a 4-channel RGBA PNG with R = G = B and alpha 255 (an NIH quirk). Default false. */
  rgba?: boolean;
}

/** Encode a size × size grayscale buffer to an image file buffer. */
export async function encodeGray(pixels: Uint8Array, size: number, spec: EncodeSpec): Promise<Buffer> {
  if (spec.rgba) {
    const rgba = Buffer.alloc(size * size * 4);
    for (let i = 0; i < pixels.length; i++) {
      const v = pixels[i]!;
      rgba[4 * i] = v; rgba[4 * i + 1] = v; rgba[4 * i + 2] = v; rgba[4 * i + 3] = 255;
    }
    return sharp(rgba, { raw: { width: size, height: size, channels: 4 } }).png().toBuffer();
  }
  const img = sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), { raw: { width: size, height: size, channels: 1 } }).toColourspace("b-w");
  return spec.format === "jpeg" ? img.jpeg({ quality: spec.quality }).toBuffer() : img.png().toBuffer();
}

/** Writes images with bounded concurrency; call {@link ImageWriter.flush} at the end. */
export class ImageWriter {
  private inflight = new Set<Promise<void>>();
  private dirs = new Set<string>();
  /** Number of files written so far. */
  written = 0;

  /** @param concurrency images encoded at once (default 4) */
  constructor(private readonly concurrency = 4) {}

  /** Queue one image; resolves when there is room for another. */
  async add(file: string, pixels: Uint8Array, size: number, spec: EncodeSpec): Promise<void> {
    const dir = path.dirname(file);
    if (!this.dirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.dirs.add(dir);
    }
    const job = (async () => {
      const buf = await encodeGray(pixels, size, spec);
      await writeFile(file, new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
      this.written++;
    })();
    const tracked: Promise<void> = job.finally(() => this.inflight.delete(tracked));
    this.inflight.add(tracked);
    if (this.inflight.size >= this.concurrency) await Promise.race(this.inflight);
  }

  /** Wait for every queued image. */
  async flush(): Promise<void> {
    await Promise.all(this.inflight);
  }
}
