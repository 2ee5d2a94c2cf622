"""Pillow reference for the resampler test: prints channel 0 of FILE resized to W×H with BILINEAR
(antialiased, as torchvision's Resize on PIL images) as a JSON list.
Usage: /usr/bin/python3 loaders_pil_resize.py FILE W H"""
import json, sys
import numpy as np
from PIL import Image

im = Image.open(sys.argv[1])
if im.mode != "L":
    im = im.getchannel(0)
r = im.resize((int(sys.argv[2]), int(sys.argv[3])), Image.BILINEAR)
print(json.dumps(np.asarray(r, dtype=np.uint8).ravel().tolist()))
