"""Size and quality targets for one image: a :class:`Budget` turns "bytes", "bits per pixel"
or "no larger than the standard JPEG at quality Q" (the paper's protocol) into a byte limit;
a :class:`QualityTarget` names a quality to match instead of a size."""

from __future__ import annotations

import numbers
import re
from dataclasses import dataclass

import numpy as np

from msroi.errors import InvalidArgumentError
from msroi.jpeg.standard import encode_pillow


DEFAULT_REFERENCE_QUALITY = 50

#: The budget where none is given: the size of the standard JPEG at that quality.
DEFAULT_BUDGET = f"q{DEFAULT_REFERENCE_QUALITY}"

#: Largest budgets taken (a terabyte; 1000 bits per pixel): anything larger is a typo.
MAX_BUDGET_BYTES = 10**12
MAX_BUDGET_BPP = 1000.0


@dataclass(frozen=True)
class QualityTarget:
    """A quality to match instead of a size: the standard JPEG's (Pillow/libjpeg-turbo, 4:2:0)
    measured where the map looks (map-weighted PSNR), the whole image (PSNR-HVS-M) guarded
    against mozjpeg's at the same bytes (:func:`msroi.pipeline.compress_to_quality`).

    Attributes
    ----------
    jpeg_quality : int
        The standard JPEG's quality to match, 1..100.
    floor_db : float
        How many dB of whole-image PSNR-HVS-M below mozjpeg's at the same bytes are allowed
        (default 0; negative demands more).
    """

    jpeg_quality: int
    floor_db: float = 0.0

    def __post_init__(self):
        if not (isinstance(self.jpeg_quality, numbers.Integral) and 1 <= self.jpeg_quality <= 100):
            raise InvalidArgumentError(f"quality to match {self.jpeg_quality!r}: must be 1..100")
        if not (isinstance(self.floor_db, numbers.Real) and np.isfinite(self.floor_db)):
            raise InvalidArgumentError(f"whole-image floor {self.floor_db!r}: must be a number of dB")

    @classmethod
    def parse(cls, text: str, floor_db: float = 0.0) -> "QualityTarget":
        """``q80`` (the standard JPEG at quality 80)."""
        if m := re.fullmatch(r"q(\d{1,3})", text.strip().lower()):
            return cls(int(m.group(1)), floor_db)
        raise InvalidArgumentError(f"cannot read quality to match {text!r} (example: q80)")

    def __str__(self) -> str:
        return f"the standard JPEG at quality {self.jpeg_quality} where the map looks"


@dataclass(frozen=True)
class Budget:
    """A size limit for one image: exactly one of the three attributes is set.

    Attributes
    ----------
    max_bytes : int or None
        Bytes, 1 .. 10^12.
    bpp : float or None
        Bits per pixel, (0, 1000].
    jpeg_quality : int or None
        The size of the standard JPEG (Pillow/libjpeg-turbo, 4:2:0, standard Huffman tables,
        the same metadata) at this quality, 1..100: the paper's protocol.
    """

    max_bytes: int | None = None
    bpp: float | None = None
    jpeg_quality: int | None = None

    def __post_init__(self):
        given = [v for v in (self.max_bytes, self.bpp, self.jpeg_quality) if v is not None]
        if len(given) != 1:
            raise InvalidArgumentError("a Budget needs exactly one of max_bytes, bpp, jpeg_quality")
        if self.max_bytes is not None and not (
                isinstance(self.max_bytes, numbers.Integral) and 0 < self.max_bytes <= MAX_BUDGET_BYTES):
            raise InvalidArgumentError(f"budget of {self.max_bytes!r} bytes: must be a whole "
                                       f"number from 1 to {MAX_BUDGET_BYTES:,}")
        if self.bpp is not None and not (
                isinstance(self.bpp, numbers.Real) and 0 < self.bpp <= MAX_BUDGET_BPP):
            raise InvalidArgumentError(f"budget of {self.bpp!r} bpp: must be a number above 0 "
                                       f"and at most {MAX_BUDGET_BPP}")
        if self.jpeg_quality is not None and not (
                isinstance(self.jpeg_quality, numbers.Integral) and 1 <= self.jpeg_quality <= 100):
            raise InvalidArgumentError(f"budget quality {self.jpeg_quality!r}: must be 1..100")

    @classmethod
    def parse(cls, text: str) -> "Budget":
        """``q50`` (standard JPEG at quality 50), ``30000`` / ``30000B`` / ``30kB`` /
        ``2.5MB`` / ``1GB`` (bytes; k = 1000), ``0.5bpp``."""
        t = text.strip().lower()
        if m := re.fullmatch(r"q(\d{1,3})", t):
            return cls(jpeg_quality=int(m.group(1)))
        if m := re.fullmatch(r"(\d{1,15}(?:\.\d{1,15})?)\s*bpp", t):
            return cls(bpp=float(m.group(1)))
        if m := re.fullmatch(r"(\d{1,15}(?:\.\d{1,15})?)\s*(b|kb|mb|gb)?", t):
            scale = {None: 1, "b": 1, "kb": 1000, "mb": 1_000_000, "gb": 1_000_000_000}[m.group(2)]
            return cls(max_bytes=int(float(m.group(1)) * scale))
        raise InvalidArgumentError(f"cannot read budget {text!r} (examples: q50, 30000, 30kB, "
                                   "2MB, 0.5bpp)")

    def target_bytes(self, image: np.ndarray, *, exif: bytes | None = None,
                     icc_profile: bytes | None = None) -> int:
        """The byte limit for RGB uint8 ``image`` (H, W, 3)."""
        if self.max_bytes is not None:
            return int(self.max_bytes)
        if self.bpp is not None:
            return int(self.bpp * image.shape[0] * image.shape[1] / 8)
        return len(encode_pillow(image, self.jpeg_quality, exif=exif, icc_profile=icc_profile))

    def total_bytes(self, images: list[np.ndarray]) -> int:
        """The byte limit for a set of images together: ``max_bytes`` as it is, ``bpp``
        over all their pixels, or the summed sizes of their standard JPEGs at
        ``jpeg_quality``."""
        if self.max_bytes is not None:
            return int(self.max_bytes)
        return sum(self.target_bytes(image) for image in images)

    def __str__(self) -> str:
        if self.max_bytes is not None:
            return f"{self.max_bytes} bytes"
        if self.bpp is not None:
            return f"{self.bpp} bpp"
        return f"standard JPEG at quality {self.jpeg_quality}"

