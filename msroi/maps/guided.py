"""Edge-aware filtering of coarse maps: He et al.'s guided filter (2010) and the upsampling of
a feature grid to the photo; float arrays in, float arrays out."""

from __future__ import annotations

import numpy as np
from PIL import Image

from msroi.arrays import box_mean


def upsample(values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a float map (h, w) to ``shape`` (H, W), pixel centres aligned."""
    resized = Image.fromarray(np.ascontiguousarray(values, dtype=np.float32))
    return np.asarray(resized.resize((shape[1], shape[0]), Image.BILINEAR), dtype=np.float32)


def guided_filter(guide: np.ndarray, values: np.ndarray, *, radius: int, eps: float) -> np.ndarray:
    """He et al.'s guided filter (2010) of ``values`` (H, W) with a colour ``guide``
    (H, W, 3) in [0, 1]: locally ``a . guide + b``, so edges of the guide pass into the
    result. Float32 (H, W)."""
    guide = guide.astype(np.float64)
    mean_guide = box_mean(guide, radius)
    mean_values = box_mean(values, radius)
    covariance = box_mean(guide * values[..., None], radius) - mean_guide * mean_values[..., None]
    variance = (box_mean(guide[..., :, None] * guide[..., None, :], radius)
                - mean_guide[..., :, None] * mean_guide[..., None, :]) + eps * np.eye(3)
    a = np.linalg.solve(variance, covariance[..., None])[..., 0]
    b = mean_values - np.sum(a * mean_guide, axis=-1)
    return (np.sum(box_mean(a, radius) * guide, axis=-1) + box_mean(b, radius)).astype(np.float32)


def refine_edges(importance: np.ndarray, image: np.ndarray, *, radius: int = 8,
                 eps: float = 1e-2, scale: int = 4) -> np.ndarray:
    """Snaps a coarse map to the photo's edges: a guided filter (He et al., 2010) with the
    photo as guide, run at 1/``scale`` resolution for speed. Returns float32 (H, W)."""
    height, width = importance.shape
    size = (max(1, width // scale), max(1, height // scale))
    guide = np.asarray(Image.fromarray(image).resize(size, Image.BOX), np.float32) / 255.0
    small = np.asarray(Image.fromarray(importance.astype(np.float32)).resize(size, Image.BOX))
    filtered = guided_filter(guide, small, radius=radius, eps=eps)
    return upsample(filtered, (height, width))

