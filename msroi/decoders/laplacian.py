"""A non-learned decoder: each coefficient at the expected value of its quantisation bin.

A plain decoder puts a coefficient with level ``k`` at ``k x q``, the middle of its bin. AC
coefficients are close to Laplacian, so inside a bin the values crowd towards zero and
their mean lies ``delta x q`` nearer to zero than the middle (the idea of jpegli's decoder
and of Price & Rabbani's biased reconstruction). Per component and frequency, the decay
``r`` of the Laplacian is estimated from the file itself (how many levels are +-2 against
+-1); for a density ``exp(-a|x|)`` with ``r = exp(-a q)``, the bin's centroid is offset by
``delta = 1/2 - (1/(a q) - 1/(exp(a q) - 1))`` steps. DC is left alone.

The rest is a plain decoder in NumPy: inverse DCT (orthonormal 8x8), chroma upsampled by
libjpeg's "fancy" triangle filter, JFIF YCbCr -> RGB.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

from msroi.decoders.base import Decoder
from msroi.jpeg.dct import _DCT

#: The Laplacian decay assumed where a frequency has too few levels to estimate one.
MIN_COUNT = 20


def bin_offsets(levels: np.ndarray) -> np.ndarray:
    """delta (8, 8) in [0, 0.5) per frequency of one component's levels (rows, cols, 8, 8):
    the Laplacian centroid's offset towards zero in quantiser steps; 0 for DC."""
    flat = np.abs(levels.reshape(-1, 64)).astype(np.int64)
    ones = (flat == 1).sum(axis=0).astype(np.float64)
    twos = (flat == 2).sum(axis=0).astype(np.float64)
    ratio = np.where(ones >= MIN_COUNT, np.clip(twos / np.maximum(ones, 1), 0.02, 0.98), 0.98)
    aq = -np.log(ratio)
    delta = 0.5 - (1.0 / aq - 1.0 / np.expm1(aq))
    delta[0] = 0.0
    return delta.reshape(8, 8)


def dequantise(levels: np.ndarray, table: np.ndarray) -> np.ndarray:
    """DCT coefficients float64 (rows, cols, 8, 8) of levels int (rows, cols, 8, 8) under
    quantisation ``table`` (8, 8), each nonzero AC level moved to its bin's centroid."""
    delta = bin_offsets(levels)
    return (levels - np.sign(levels) * delta) * table


def _plane(coefficients: np.ndarray, height: int, width: int) -> np.ndarray:
    rows, cols = coefficients.shape[:2]
    blocks = _DCT.T @ coefficients @ _DCT + 128.0
    return blocks.transpose(0, 2, 1, 3).reshape(rows * 8, cols * 8)[:height, :width]


def _fancy_upsample(plane: np.ndarray, axis: int, size: int) -> np.ndarray:
    """x2 along ``axis`` by libjpeg's triangle filter (3/4 nearer sample, 1/4 the other),
    cut to ``size``."""
    x = np.moveaxis(plane, axis, 0)
    before = np.concatenate([x[:1], x[:-1]])
    after = np.concatenate([x[1:], x[-1:]])
    out = np.empty((2 * x.shape[0], *x.shape[1:]))
    out[0::2] = 0.75 * x + 0.25 * before
    out[1::2] = 0.75 * x + 0.25 * after
    return np.moveaxis(out[:size], 0, axis)


class LaplacianDecoder(Decoder):
    """Laplacian-centroid dequantisation (see the module docstring); grey and colour JPEGs
    with sampling factors of 1 or 2."""

    name = "laplacian"
    description = "each coefficient at its quantisation bin's Laplacian centroid (non-learned)"

    def decode(self, data: bytes) -> np.ndarray:
        import jpeglib

        fd, path = tempfile.mkstemp(suffix=".jpg")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            dct = jpeglib.read_dct(path)
            dct.load()
        finally:
            os.unlink(path)
        height, width = int(dct.height), int(dct.width)
        factors = np.asarray(dct.samp_factor).reshape(-1, 2)
        components = [dct.Y] + ([dct.Cb, dct.Cr] if dct.has_chrominance else [])
        max_v, max_h = factors[:, 0].max(), factors[:, 1].max()
        planes = []
        for index, levels in enumerate(components):
            v, h = factors[index]
            size = (-(-height * v // max_v), -(-width * h // max_h))
            table = dct.qt[dct.quant_tbl_no[index]].astype(np.float64)
            plane = _plane(dequantise(levels.astype(np.float64), table), *size)
            if max_v // v == 2:
                plane = _fancy_upsample(plane, 0, height)
            if max_h // h == 2:
                plane = _fancy_upsample(plane, 1, width)
            if plane.shape != (height, width):
                raise ValueError(f"sampling factors {factors.tolist()} are not supported")
            planes.append(plane)
        if len(planes) == 1:
            rgb = np.repeat(planes[0][..., None], 3, axis=-1)
        else:
            y, cb, cr = planes[0], planes[1] - 128.0, planes[2] - 128.0
            rgb = np.stack([y + 1.402 * cr, y - 0.344136286 * cb - 0.714136286 * cr,
                            y + 1.772 * cb], axis=-1)
        return np.clip(np.round(rgb), 0, 255).astype(np.uint8)
