"""Assertion helper: a JPEG decodes in three independent decoders."""

from __future__ import annotations

import numpy as np

from support.conformance import REFERENCE_DECODERS, frame_type


def assert_standard_jpeg(data: bytes, shape: tuple[int, int], *, baseline: bool = True) -> None:
    """``data`` decodes in Pillow, ImageMagick and djpeg to (H, W, 3) images that agree
    within a few grey levels (decoders may differ in IDCT and upsampling)."""
    kinds = {"baseline"} if baseline else {"baseline", "progressive"}
    assert frame_type(data) in kinds
    decoded = {name: decode(data) for name, decode in REFERENCE_DECODERS.items()}
    for name, pixels in decoded.items():
        assert pixels.shape == (*shape, 3), f"{name} decoded shape {pixels.shape}"
    ref = decoded["pillow"].astype(np.int16)
    for name, pixels in decoded.items():
        assert np.abs(pixels.astype(np.int16) - ref).mean() < 2.0, name
