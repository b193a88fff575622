"""Standard encoders that ignore the map, behind the codec interface, so rate control can
meet the same budget with them: the peers every benchmark compares against.

Each is a registered codec (``msroi compress --method mozjpeg`` works, the map unused);
jpegli lives in its own module (:mod:`msroi.codecs.jpegli`), the pattern for a new codec.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from msroi.codecs.base import Codec, CodecSettings, ImageState, option
from msroi.jpeg.standard import encode_mozjpeg, encode_pillow


class StandardCodec(Codec):
    """A map-blind encoder: the quality knob is the encoder's own quality setting."""

    uses_map: ClassVar[bool] = False
    #: What the encoder is, for reports.
    encoder: ClassVar[str] = ""

    def prepare(self, image: np.ndarray, importance: np.ndarray | None = None) -> ImageState:
        return ImageState(np.ascontiguousarray(image))

    def encode(self, state: ImageState, quality: int, *, exif: bytes | None = None,
               icc_profile: bytes | None = None) -> bytes:
        return self.encode_pixels(state.image, quality)

    def encode_pixels(self, image: np.ndarray, quality: int) -> bytes:
        """The encoder's file of RGB uint8 ``image`` (H, W, 3) at ``quality`` 1..100."""
        raise NotImplementedError

    def options(self) -> dict:
        return {"encoder": self.encoder}


class LibjpegTurboCodec(StandardCodec):
    name = "libjpeg-turbo"
    description = "the standard JPEG: Pillow/libjpeg-turbo, 4:2:0, standard Huffman tables"
    encoder = "Pillow/libjpeg-turbo, 4:2:0, standard Huffman"

    def encode_pixels(self, image: np.ndarray, quality: int) -> bytes:
        return encode_pillow(image, quality)


class LibjpegTurboOptimisedCodec(StandardCodec):
    name = "libjpeg-turbo-opt"
    description = "Pillow/libjpeg-turbo, 4:2:0, optimised Huffman tables"
    encoder = "Pillow/libjpeg-turbo, 4:2:0, optimised Huffman"

    def encode_pixels(self, image: np.ndarray, quality: int) -> bytes:
        return encode_pillow(image, quality, optimize=True)


@dataclass(frozen=True)
class MozjpegSettings(CodecSettings):
    """``subsampling``: 4:2:0 (mozjpeg's default) or 4:4:4."""

    subsampling: str = option("4:2:0", "chroma subsampling (default 4:2:0)",
                              choices=("4:2:0", "4:4:4"))


class MozjpegCodec(StandardCodec):
    name = "mozjpeg"
    description = "mozjpeg 4.0.3: trellis quantisation, progressive, 4:2:0 (map ignored)"
    encoder = "mozjpeg 4.0.3 (jpeglib), trellis, progressive"
    Settings = MozjpegSettings

    def encode_pixels(self, image: np.ndarray, quality: int) -> bytes:
        return encode_mozjpeg(image, quality, subsampling=self.settings.subsampling)

    def options(self) -> dict:
        return {"encoder": self.encoder, **self.settings.report()}
