"""Independent pixel reference for the image-decoding tests (Pillow and pydicom, no shared code).
Usage: /usr/bin/python3 loaders_image_ref.py CMD ARGS
  pil FILE...            -> {file: {mode, width, height, bits, b64}} channel 0 as raw little-endian bytes
  dicom FILE...          -> {file: {photometric, width, height, bits, b64}} pydicom pixel_array (not inverted)
  make16 OUT             -> writes a 16-bit grayscale PNG (Pillow mode I;16) with a known ramp
  makejpeg SRC OUT Q     -> re-encodes SRC (channel 0) as a baseline grayscale JPEG of quality Q
"""
import base64, json, sys
import numpy as np
from PIL import Image

cmd, args = sys.argv[1], sys.argv[2:]
out = {}
if cmd == "pil":
    for f in args:
        im = Image.open(f)
        a = np.array(im)
        if a.ndim == 3:
            a = a[:, :, 0]
        bits = 16 if a.dtype != np.uint8 else 8
        a = a.astype("<u2" if bits == 16 else np.uint8)
        out[f] = {"mode": im.mode, "width": im.width, "height": im.height, "bits": bits, "b64": base64.b64encode(a.tobytes()).decode()}
elif cmd == "dicom":
    import pydicom
    for f in args:
        ds = pydicom.dcmread(f)
        a = ds.pixel_array
        bits = 8 if a.dtype == np.uint8 else 16
        a = a.astype("<u2" if bits == 16 else np.uint8)
        out[f] = {"photometric": str(ds.PhotometricInterpretation), "width": int(ds.Columns), "height": int(ds.Rows), "bits": bits,
                  "b64": base64.b64encode(a.tobytes()).decode()}
elif cmd == "make16":
    a = (np.arange(40 * 30, dtype=np.uint32) * 54 % 65536).astype(np.uint16).reshape(30, 40)
    Image.fromarray(a, mode="I;16").save(args[0])
    out = {"ok": True}
elif cmd == "makejpeg":
    im = Image.open(args[0])
    a = np.array(im)
    if a.ndim == 3:
        a = a[:, :, 0]
    Image.fromarray(a, mode="L").save(args[1], quality=int(args[2]))
    out = {"ok": True}
print(json.dumps(out))
