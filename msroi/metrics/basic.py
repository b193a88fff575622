"""PSNR and SSIM (scikit-image), on RGB or on ITU-R BT.601 luma."""

from __future__ import annotations

import numpy as np


def _check(reference: np.ndarray, test: np.ndarray) -> None:
    if reference.shape != test.shape:
        raise ValueError(f"images differ in shape: {reference.shape} vs {test.shape}")


def luma(image: np.ndarray) -> np.ndarray:
    """Full-range BT.601 luma (JPEG's Y) of RGB uint8 (H, W, 3) as float64 (H, W) in [0, 255]."""
    rgb = np.asarray(image, dtype=np.float64)
    return 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]


def peak_signal_noise_ratio(reference: np.ndarray, test: np.ndarray, *,
                            data_range: float = 255.0) -> float:
    """PSNR in dB over all samples (all channels pooled into one MSE); inf if identical."""
    _check(reference, test)
    mse = np.mean((np.asarray(reference, np.float64) - np.asarray(test, np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10.0 * np.log10(data_range ** 2 / mse))


def structural_similarity(reference: np.ndarray, test: np.ndarray, *,
                          on_luma: bool = True) -> float:
    """Mean SSIM (Wang et al., 2004; Gaussian window sigma 1.5, as the paper defines it)
    via scikit-image, on the luma of RGB images by default."""
    from skimage.metrics import structural_similarity as ssim

    _check(reference, test)
    if on_luma and np.ndim(reference) == 3:
        return float(ssim(luma(reference), luma(test), data_range=255.0,
                          gaussian_weights=True, sigma=1.5, use_sample_covariance=False))
    return float(ssim(np.asarray(reference, np.float64), np.asarray(test, np.float64),
                      data_range=255.0, gaussian_weights=True, sigma=1.5,
                      use_sample_covariance=False,
                      channel_axis=-1 if np.ndim(reference) == 3 else None))
