/** Decoded single-channel images: the one pixel format every loader hands to the view pipeline. */

/** A decoded grayscale image, row-major, one channel. */
export interface GrayImage {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Pixels, row-major. `Uint8Array` when `bitDepth` is 8, `Uint16Array` otherwise. */
  readonly data: Uint8Array | Uint16Array;
  /** Significant bits per pixel: 8, or up to 16 for 16-bit PNG and DICOM (e.g. 12). */
  readonly bitDepth: number;
}

/** An error decoding one image; loaders catch it, skip the image and count it. */
export class ImageDecodeError extends Error {
  /** The file (or a description of the buffer) that failed. */
  readonly file: string;
  /** @param file the file at fault @param problem what went wrong */
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = "ImageDecodeError";
    this.file = file;
  }
}

/**
 * Convert a {@link GrayImage} to 8 bits (`value * 255 / maxValue`, rounded); 8-bit images are returned as is.
 * @example toUint8({ width: 1, height: 1, data: new Uint16Array([4095]), bitDepth: 12 }).data[0] // 255
 */
export function toUint8(img: GrayImage): GrayImage & { data: Uint8Array } {
  if (img.data instanceof Uint8Array) return img as GrayImage & { data: Uint8Array };
  const max = 2 ** img.bitDepth - 1;
  const out = new Uint8Array(img.data.length);
  const k = 255 / max;
  for (let i = 0; i < out.length; i++) out[i] = Math.min(255, Math.round(img.data[i]! * k));
  return { width: img.width, height: img.height, data: out, bitDepth: 8 };
}
