"""PSNR, SSIM (scikit-image) and MS-SSIM (TensorFlow), and the colour conversions the
protocols use. Images are uint8 (H, W) or (H, W, C) arrays, or float arrays on the 0..255
scale; reference first."""

from __future__ import annotations

import numpy as np


def check_pair(reference: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    reference, test = np.asarray(reference), np.asarray(test)
    if reference.shape != test.shape:
        raise ValueError(f"images differ in shape: {reference.shape} vs {test.shape}")
    if reference.ndim not in (2, 3):
        raise ValueError(f"expected (H, W) or (H, W, C) images, got shape {reference.shape}")
    return reference, test


def luma(image: np.ndarray) -> np.ndarray:
    """Full-range BT.601 luma (JPEG's Y) of RGB (H, W, 3) as float64 (H, W) in [0, 255]."""
    rgb = np.asarray(image, dtype=np.float64)
    return 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]


def studio_luma(image: np.ndarray) -> np.ndarray:
    """Limited-range BT.601 luma as ffmpeg's ``rgb24 -> yuv420p`` writes it: uint8 (H, W),
    ``round(16 + (65.481 R + 128.553 G + 24.966 B) / 255)``, values 16..235."""
    rgb = np.asarray(image, dtype=np.float64)
    y = 16.0 + (65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]) / 255.0
    return np.clip(np.round(y), 0, 255).astype(np.uint8)


def squared_error(reference: np.ndarray, test: np.ndarray) -> np.ndarray:
    reference, test = check_pair(reference, test)
    return (reference.astype(np.float64) - test.astype(np.float64)) ** 2


def psnr_from_mse(mse: float, *, data_range: float = 255.0) -> float:
    return float("inf") if mse == 0 else float(10.0 * np.log10(data_range ** 2 / mse))


def peak_signal_noise_ratio(reference: np.ndarray, test: np.ndarray, *,
                            data_range: float = 255.0) -> float:
    """PSNR in dB with one MSE over all samples (channels pooled); inf if identical."""
    return psnr_from_mse(float(squared_error(reference, test).mean()), data_range=data_range)


def ssim_map(reference: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Per-pixel SSIM (Wang et al., 2004: Gaussian window sigma 1.5, K1 0.01, K2 0.03),
    (H, W) for grey images, (H, W, C) for colour ones, via scikit-image."""
    from skimage.metrics import structural_similarity as ssim

    reference, test = check_pair(reference, test)
    _, full = ssim(reference.astype(np.float64), test.astype(np.float64), data_range=255.0,
                   gaussian_weights=True, sigma=1.5, use_sample_covariance=False, full=True,
                   channel_axis=-1 if reference.ndim == 3 else None)
    return full


def structural_similarity(reference: np.ndarray, test: np.ndarray) -> float:
    """Mean SSIM over pixels (and channels)."""
    return float(ssim_map(reference, test).mean())


_MS_SSIM = None


def multiscale_structural_similarity(reference: np.ndarray, test: np.ndarray) -> float:
    """MS-SSIM (Wang et al., 2003; 5 scales, the paper's weights) by
    ``tf.image.ssim_multiscale``, averaged over channels. Both sides need >= 161 pixels."""
    global _MS_SSIM
    import tensorflow as tf

    reference, test = check_pair(reference, test)
    if min(reference.shape[:2]) < 161:
        raise ValueError(f"MS-SSIM needs images of at least 161x161 pixels, got {reference.shape[:2]}")
    if _MS_SSIM is None:
        _MS_SSIM = tf.function(
            lambda a, b: tf.image.ssim_multiscale(a, b, 255.0),
            input_signature=[tf.TensorSpec([1, None, None, None], tf.float32)] * 2)
    expand = (lambda x: x[None, ..., None]) if reference.ndim == 2 else (lambda x: x[None])
    value = _MS_SSIM(tf.constant(expand(reference), tf.float32), tf.constant(expand(test), tf.float32))
    return float(value.numpy()[0])
