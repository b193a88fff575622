"""Standard encoders that ignore the map, behind the codec interface, so rate control can
meet the same budget with them: the peers every benchmark compares against."""

from __future__ import annotations

from typing import Callable

import numpy as np

from msroi.jpeg.codec import Codec
from msroi.jpeg.standard import encode_jpegli, encode_mozjpeg, encode_pillow


class StandardCodec(Codec):
    """A map-blind encoder: the quality knob is the encoder's own quality setting."""

    quality_range = (1, 100)

    def __init__(self, name: str, encode: Callable[[np.ndarray, int], bytes], note: str):
        self.name = name
        self._encode = encode
        self.note = note

    def prepare(self, image: np.ndarray, importance: np.ndarray) -> np.ndarray:
        return image

    def encode(self, prepared: np.ndarray, quality: int, *, exif: bytes | None = None,
               icc_profile: bytes | None = None) -> bytes:
        return self._encode(prepared, quality)

    def options(self) -> dict:
        return {"encoder": self.note}


PEERS: dict[str, Callable[[], StandardCodec]] = {
    "libjpeg-turbo": lambda: StandardCodec(
        "libjpeg-turbo", encode_pillow, "Pillow/libjpeg-turbo, 4:2:0, standard Huffman"),
    "libjpeg-turbo-opt": lambda: StandardCodec(
        "libjpeg-turbo-opt", lambda x, q: encode_pillow(x, q, optimize=True),
        "Pillow/libjpeg-turbo, 4:2:0, optimised Huffman"),
    "mozjpeg": lambda: StandardCodec(
        "mozjpeg", encode_mozjpeg, "mozjpeg 4.0.3 (jpeglib), trellis, progressive"),
    "jpegli": lambda: StandardCodec("jpegli", encode_jpegli, "pyjpegli defaults"),
}
