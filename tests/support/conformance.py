"""Checks that a JPEG is standard: decodes in independent decoders, baseline or progressive.

Decoders: Pillow (libjpeg-turbo), ImageMagick (through Wand) and ``djpeg`` (Debian
libjpeg-turbo-progs). Each returns RGB uint8 (H, W, 3).
"""

from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
from PIL import Image

_SOF_NAMES = {0xC0: "baseline", 0xC1: "extended", 0xC2: "progressive", 0xC3: "lossless"}


def frame_type(data: bytes) -> str:
    """'baseline', 'extended', 'progressive' or 'lossless', from the first SOF marker."""
    i = 2
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG (no SOI marker)")
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise ValueError(f"corrupt JPEG: no marker at byte {i}")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in _SOF_NAMES:
            return _SOF_NAMES[marker]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        if marker == 0xDA:
            break
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
    raise ValueError("JPEG without a frame header (SOF)")


def is_baseline(data: bytes) -> bool:
    return frame_type(data) == "baseline"


def decode_pillow(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as img:
        if img.format != "JPEG":
            raise ValueError(f"Pillow reads this as {img.format}, not JPEG")
        return np.asarray(img.convert("RGB"), dtype=np.uint8)


def decode_imagemagick(data: bytes) -> np.ndarray:
    from wand.image import Image as WandImage

    with WandImage(blob=data, format="jpeg") as img:
        img.colorspace = "srgb"
        return np.asarray(img.export_pixels(channel_map="RGB", storage="char"),
                          dtype=np.uint8).reshape(img.height, img.width, 3)


def decode_djpeg(data: bytes) -> np.ndarray:
    exe = shutil.which("djpeg")
    if exe is None:
        raise FileNotFoundError("djpeg not found (Debian package libjpeg-turbo-progs)")
    result = subprocess.run([exe, "-pnm"], input=data, capture_output=True, check=True)
    with Image.open(io.BytesIO(result.stdout)) as img:
        return np.asarray(img.convert("RGB"), dtype=np.uint8)


REFERENCE_DECODERS = {"pillow": decode_pillow, "imagemagick": decode_imagemagick, "djpeg": decode_djpeg}
