"""The array conventions shared by map makers and encoders: the photo and its importance map,
and the box mean both smooth with.

A photo is RGB uint8 (H, W, 3), H and W > 0 (:func:`check_rgb`). A map is float32 (H, W) in
[0, 1], 1 = most important, with the image's height and width (:func:`check_map`). On disk,
and for the paper's mixing models, it is uint8 (H, W) with 255 = 1.0.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from msroi.errors import InvalidArgumentError


def check_rgb(image: np.ndarray) -> np.ndarray:
    """Validates a photo: RGB uint8 (H, W, 3) with pixels; returns it as an array."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise InvalidArgumentError(f"expected an RGB uint8 image (H, W, 3), got {image.dtype} {image.shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise InvalidArgumentError(f"the image has no pixels (shape {image.shape})")
    return image


def normalize(x: np.ndarray) -> np.ndarray:
    """(x - min) / (max - min) as float32, the map range [0, 1]; a constant array gives zeros."""
    x = np.asarray(x, dtype=np.float32)
    low, high = float(x.min()), float(x.max())
    if high - low <= 1e-12:
        return np.zeros_like(x)
    return (x - low) / (high - low)


def check_map(importance: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Validates a float map against an image shape (H, W); returns it as float32."""
    importance = np.asarray(importance, dtype=np.float32)
    if importance.shape != tuple(shape):
        raise InvalidArgumentError(f"map shape {importance.shape} differs from image shape {tuple(shape)}")
    if not np.all(np.isfinite(importance)) or importance.min() < 0 or importance.max() > 1:
        raise InvalidArgumentError("map values must be finite and lie in [0, 1]")
    return importance


def map_to_uint8(importance: np.ndarray) -> np.ndarray:
    """float [0, 1] (H, W) -> uint8 (H, W)."""
    return np.clip(np.round(np.asarray(importance, np.float64) * 255.0), 0, 255).astype(np.uint8)


def map_from_uint8(values: np.ndarray, shape: tuple[int, int] | None = None) -> np.ndarray:
    """uint8 (h, w) -> float32 [0, 1], resized to ``shape`` (H, W) if given.

    Resizing uses Pillow's bicubic filter, which is what the paper's ``sal.resize`` does
    under today's Pillow.
    """
    values = np.asarray(values, np.uint8)
    if shape is not None and values.shape[:2] != tuple(shape):
        values = np.asarray(Image.fromarray(values).resize((shape[1], shape[0]), Image.BICUBIC))
    return values.astype(np.float32) / 255.0


def box_mean(values: np.ndarray, radius: int) -> np.ndarray:
    """Mean over the (2r+1) x (2r+1) window around each pixel of (H, W, ...) values, edges
    mirrored with the edge pixel repeated (the border OpenCV's guided filter uses); float64."""
    pad = [(radius, radius), (radius, radius)] + [(0, 0)] * (values.ndim - 2)
    summed = np.pad(np.asarray(values, np.float64), pad, mode="symmetric")
    window = 2 * radius + 1
    for axis in (0, 1):  # running sums: window total = prefix[i + window] - prefix[i]
        prefix = np.cumsum(np.moveaxis(summed, axis, 0), axis=0)
        prefix = np.concatenate([np.zeros_like(prefix[:1]), prefix])
        summed = np.moveaxis(prefix[window:] - prefix[:-window], 0, axis)
    return summed / window ** 2
