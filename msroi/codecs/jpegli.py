"""jpegli (libjxl's JPEG encoder, PyPI ``pyjpegli``) as a codec: the map-blind peer that
beats mozjpeg on some measures.

This module is the whole of adding a codec: a class with a name and settings, ``prepare``
and ``encode``, and one line under ``[project.entry-points."msroi.codecs"]`` in
``pyproject.toml``. ``msroi compress --method jpegli`` and ``msroi evaluate --peers jpegli``
then find it by name.
"""

from __future__ import annotations

import numpy as np

from msroi.codecs.peers import StandardCodec


class JpegliCodec(StandardCodec):
    name = "jpegli"
    description = "libjxl's jpegli with its default settings (map ignored)"
    encoder = "pyjpegli defaults"

    def encode_pixels(self, image: np.ndarray, quality: int) -> bytes:
        import pyjpegli  # an optional install (msroi[eval])

        image = np.ascontiguousarray(image)
        return pyjpegli.encode(image.tobytes(), image.shape[1], image.shape[0], int(quality))
