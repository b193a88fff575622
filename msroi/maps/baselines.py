"""Map-making baselines that use no semantics, for comparison with the CNN maps.

Every baseline takes RGB uint8 (H, W, 3) and returns float32 (H, W) in [0, 1].
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from msroi.arrays import normalize


def centre_gaussian(image: np.ndarray, *, sigma: float = 0.25) -> np.ndarray:
    """A Gaussian centred on the image, sigma a fraction of each side (the centre prior)."""
    h, w = image.shape[:2]
    y = (np.arange(h) + 0.5) / h - 0.5
    x = (np.arange(w) + 0.5) / w - 0.5
    g = np.exp(-(y[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma ** 2))
    return normalize(g)


def spectral_residual(image: np.ndarray) -> np.ndarray:
    """OpenCV's spectral-residual saliency (Hou & Zhang, 2007), resized to the image."""
    import cv2

    saliency = cv2.saliency.StaticSaliencySpectralResidual_create()
    ok, result = saliency.computeSaliency(np.ascontiguousarray(image[..., ::-1]))
    if not ok:
        raise RuntimeError("OpenCV spectral-residual saliency failed")
    result = cv2.resize(result.astype(np.float32), (image.shape[1], image.shape[0]),
                        interpolation=cv2.INTER_LINEAR)
    return normalize(result)


MAP_BASELINES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "centre": centre_gaussian,
    "spectral_residual": spectral_residual,
}
