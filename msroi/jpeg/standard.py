"""Standard JPEG encoders used as building blocks and baselines: Pillow (libjpeg-turbo) and
ImageMagick (through Wand). In-memory: uint8 RGB (H, W, 3) in, bytes out."""

from __future__ import annotations

import contextlib
import io
import threading

import numpy as np
from PIL import Image

from msroi.errors import InvalidArgumentError

SUBSAMPLING = ("4:4:4", "4:2:2", "4:2:0")


def encode_pillow(image: np.ndarray, quality: int, *, subsampling: str = "4:2:0",
                  optimize: bool = False, progressive: bool = False,
                  exif: bytes | None = None, icc_profile: bytes | None = None) -> bytes:
    """libjpeg-turbo through Pillow at ``quality`` 1..100 (IJG scale). Pillow's defaults
    (4:2:0, standard Huffman tables) make the paper's "standard JPEG"."""
    if not 1 <= int(quality) <= 100:
        raise InvalidArgumentError(f"JPEG quality must be 1..100, got {quality}")
    if subsampling not in SUBSAMPLING:
        raise InvalidArgumentError(f"subsampling must be one of {SUBSAMPLING}, got {subsampling!r}")
    options = {"quality": int(quality), "subsampling": subsampling, "optimize": optimize,
               "progressive": progressive}
    if exif:
        options["exif"] = exif
    if icc_profile:
        options["icc_profile"] = icc_profile
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buffer, format="JPEG", **options)
    return buffer.getvalue()


def encode_imagemagick(image: np.ndarray, quality: int, *, progressive: bool = True) -> bytes:
    """ImageMagick's JPEG as the paper's ``-use_convert`` ran it: ``convert -colorspace sRGB
    -filter Lanczos -interlace Plane -type truecolor -quality Q`` (Plane interlace is a
    progressive JPEG; ImageMagick picks 4:2:0 below quality 90)."""
    from wand.image import Image as WandImage

    with WandImage.from_array(np.ascontiguousarray(image), channel_map="RGB") as img:
        img.colorspace = "srgb"
        img.type = "truecolor"
        img.compression_quality = int(quality)
        return img.make_blob("pjpeg" if progressive else "jpeg")


def decode(data: bytes) -> np.ndarray:
    """Decodes JPEG (or any Pillow-readable) bytes to RGB uint8 (H, W, 3); a ``ValueError``
    (:class:`~msroi.errors.ImageReadError`) that says why for bytes that do not decode."""
    from PIL import UnidentifiedImageError

    from msroi.errors import ImageReadError

    try:
        with Image.open(io.BytesIO(data)) as img:
            return np.asarray(img.convert("RGB"), dtype=np.uint8)
    except UnidentifiedImageError:
        raise ImageReadError(f"not an image file ({len(data):,} bytes starting "
                             f"{bytes(data[:4]).hex()})") from None
    except (OSError, SyntaxError) as exc:
        raise ImageReadError(f"corrupt JPEG data ({exc})") from None


#: jpeglib switches its libjpeg build process-wide: encodes that switch hold this lock.
_JPEGLIB_VERSION_LOCK = threading.RLock()


@contextlib.contextmanager
def libjpeg_version(version: str):
    """jpeglib's ``version(version)`` for the block, one thread at a time: the switch is
    process-wide, so two threads encoding with different builds would mix them."""
    import jpeglib

    with _JPEGLIB_VERSION_LOCK, jpeglib.version(version):
        yield


def encode_mozjpeg(image: np.ndarray, quality: int, *, subsampling: str = "4:2:0") -> bytes:
    """mozjpeg 4.0.3 (jpeglib's bundled build) from pixels: trellis quantisation,
    progressive scans, 4:2:0 (or 4:4:4); the strongest standard-JPEG peer measured here."""
    import os
    import tempfile

    import jpeglib

    fd, path = tempfile.mkstemp(suffix=".jpg")
    os.close(fd)
    try:
        with libjpeg_version("mozjpeg403"):
            spatial = jpeglib.from_spatial(np.ascontiguousarray(image))
            if subsampling == "4:4:4":
                spatial.samp_factor = np.ones((3, 2), np.int32)
            elif subsampling != "4:2:0":
                raise InvalidArgumentError(f"subsampling must be 4:2:0 or 4:4:4, got {subsampling!r}")
            spatial.write_spatial(path, qt=int(quality))
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)
