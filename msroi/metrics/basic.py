"""PSNR, SSIM (scikit-image) and MS-SSIM (TensorFlow), and the colour conversions the
protocols use. Images are uint8 (H, W) or (H, W, C) arrays, or float arrays on the 0..255
scale; reference first."""

from __future__ import annotations

import numpy as np

from msroi.errors import InvalidArgumentError


def check_pair(reference: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    reference, test = np.asarray(reference), np.asarray(test)
    if reference.shape != test.shape:
        raise InvalidArgumentError(f"images differ in shape: {reference.shape} vs {test.shape}")
    if reference.ndim not in (2, 3):
        raise InvalidArgumentError(f"expected (H, W) or (H, W, C) images, got shape {reference.shape}")
    return reference, test


def luma(image: np.ndarray) -> np.ndarray:
    """Full-range BT.601 luma, JPEG's Y.

    Parameters
    ----------
    image : ndarray
        RGB (H, W, 3), 0..255.

    Returns
    -------
    ndarray
        float64 (H, W) in [0, 255].
    """
    rgb = np.asarray(image, dtype=np.float64)
    return 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]


def studio_luma(image: np.ndarray) -> np.ndarray:
    """Limited-range BT.601 luma as ffmpeg's ``rgb24 -> yuv420p`` writes it:
    ``round(16 + (65.481 R + 128.553 G + 24.966 B) / 255)``.

    Parameters
    ----------
    image : ndarray
        RGB uint8 (H, W, 3).

    Returns
    -------
    ndarray
        uint8 (H, W), values 16..235.
    """
    rgb = np.asarray(image, dtype=np.float64)
    y = 16.0 + (65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]) / 255.0
    return np.clip(np.round(y), 0, 255).astype(np.uint8)


def squared_error(reference: np.ndarray, test: np.ndarray) -> np.ndarray:
    reference, test = check_pair(reference, test)
    return (reference.astype(np.float64) - test.astype(np.float64)) ** 2


def psnr_from_mse(mse: float, *, data_range: float = 255.0) -> float:
    return float("inf") if mse == 0 else float(10.0 * np.log10(data_range ** 2 / mse))


def weighted_psnr(reference: np.ndarray, test: np.ndarray, weights: np.ndarray, *,
                  data_range: float = 255.0) -> float:
    """PSNR of the squared error (mean over channels) weighted per pixel: where the weights are
    high counts in proportion; constant weights give the plain PSNR.

    Parameters
    ----------
    reference, test : ndarray
        uint8 images of equal shape, (H, W) or (H, W, 3); reference first.
    weights : ndarray
        (H, W), any non-negative scale (a map, a fixation density, a codec's distortion
        weights).
    data_range : float
        The largest sample value (255 for 8 bits).

    Returns
    -------
    float
        dB.
    """
    reference, test = check_pair(reference, test)
    error = (reference.astype(np.float64) - test) ** 2
    error = error.mean(axis=2) if error.ndim == 3 else error
    weights = np.asarray(weights, np.float64)
    if weights.shape != error.shape:
        raise InvalidArgumentError(f"weights {weights.shape} and images {error.shape} differ in shape")
    total = weights.sum()
    mse = (error * weights).sum() / total if total > 0 else error.mean()
    return psnr_from_mse(float(mse), data_range=data_range)


def peak_signal_noise_ratio(reference: np.ndarray, test: np.ndarray, *,
                            data_range: float = 255.0) -> float:
    """PSNR with one MSE over all samples (channels pooled).

    Parameters
    ----------
    reference, test : ndarray
        uint8 images of equal shape, (H, W) or (H, W, 3); reference first.
    data_range : float
        The largest sample value (255 for 8 bits).

    Returns
    -------
    float
        dB; inf if the images are identical.
    """
    return psnr_from_mse(float(squared_error(reference, test).mean()), data_range=data_range)


def ssim_map(reference: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Per-pixel SSIM (Wang et al., 2004: Gaussian window sigma 1.5, K1 0.01, K2 0.03), via
    scikit-image.

    Parameters
    ----------
    reference, test : ndarray
        uint8 images of equal shape, grey (H, W) or colour (H, W, C); reference first.

    Returns
    -------
    ndarray
        float64 (H, W) for grey images, (H, W, C) for colour ones, in [-1, 1].
    """
    from skimage.metrics import structural_similarity as ssim

    reference, test = check_pair(reference, test)
    _, full = ssim(reference.astype(np.float64), test.astype(np.float64), data_range=255.0,
                   gaussian_weights=True, sigma=1.5, use_sample_covariance=False, full=True,
                   channel_axis=-1 if reference.ndim == 3 else None)
    return full


def structural_similarity(reference: np.ndarray, test: np.ndarray) -> float:
    """Mean SSIM over pixels (and channels), as :func:`ssim_map`.

    Parameters
    ----------
    reference, test : ndarray
        uint8 images of equal shape, (H, W) or (H, W, C); reference first.

    Returns
    -------
    float
        In [-1, 1]; 1 for identical images.
    """
    return float(ssim_map(reference, test).mean())


def weighted_ssim(reference: np.ndarray, test: np.ndarray, weights: np.ndarray) -> float:
    """Mean of the SSIM map (channels averaged) weighted per pixel; constant weights give the
    mean SSIM.

    Parameters
    ----------
    reference, test : ndarray
        uint8 images of equal shape, (H, W) or (H, W, 3); reference first.
    weights : ndarray
        (H, W), any non-negative scale (e.g. a fixation density).

    Returns
    -------
    float
        In [-1, 1].
    """
    full = ssim_map(reference, test)
    full = full.mean(axis=2) if full.ndim == 3 else full
    weights = np.asarray(weights, np.float64)
    if weights.shape != full.shape:
        raise InvalidArgumentError(f"weights {weights.shape} and images {full.shape} differ in shape")
    total = weights.sum()
    return float((full * weights).sum() / total) if total > 0 else float(full.mean())


#: MS-SSIM's weights per scale, finest first (Wang et al., 2003).
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def _gaussian_valid(x: np.ndarray, size: int = 11, sigma: float = 1.5) -> np.ndarray:
    """Separable Gaussian average of (H, W, C) over 11x11 windows, valid positions only."""
    coords = np.arange(size) - (size - 1) / 2.0
    weights = np.exp(-coords ** 2 / (2.0 * sigma ** 2))
    weights /= weights.sum()
    x = np.lib.stride_tricks.sliding_window_view(x, size, axis=0) @ weights
    return np.lib.stride_tricks.sliding_window_view(x, size, axis=1) @ weights


def _ssim_and_cs(x: np.ndarray, y: np.ndarray, max_val: float = 255.0) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean SSIM and mean contrast-structure term of (H, W, C) float64."""
    c1, c2 = (0.01 * max_val) ** 2, (0.03 * max_val) ** 2
    mean_x, mean_y = _gaussian_valid(x), _gaussian_valid(y)
    num0 = 2.0 * mean_x * mean_y
    den0 = mean_x ** 2 + mean_y ** 2
    luminance = (num0 + c1) / (den0 + c1)
    cs = (2.0 * _gaussian_valid(x * y) - num0 + c2) / (_gaussian_valid(x * x + y * y) - den0 + c2)
    return (luminance * cs).mean(axis=(0, 1)), cs.mean(axis=(0, 1))


def multiscale_structural_similarity(reference: np.ndarray, test: np.ndarray) -> float:
    """MS-SSIM (Wang et al., 2003; 5 scales, the paper's weights), averaged over channels:
    TensorFlow's ``tf.image.ssim_multiscale`` computed in NumPy (11x11 Gaussian windows of
    sigma 1.5 at valid positions; 2x2 means between scales, an odd edge repeated; negative
    terms clipped to 0).

    Parameters
    ----------
    reference, test : ndarray
        uint8 images of equal shape, (H, W) or (H, W, C), both sides >= 161 pixels;
        reference first.

    Returns
    -------
    float
        In [0, 1]; 1 for identical images.
    """
    reference, test = check_pair(reference, test)
    if min(reference.shape[:2]) < 161:
        raise InvalidArgumentError(f"MS-SSIM needs images of at least 161x161 pixels, got {reference.shape[:2]}")
    x, y = (np.asarray(a, np.float64) for a in (reference, test))
    if x.ndim == 2:
        x, y = x[..., None], y[..., None]
    terms = []
    for scale in range(len(MS_SSIM_WEIGHTS)):
        if scale > 0:
            pad = ((0, x.shape[0] % 2), (0, x.shape[1] % 2), (0, 0))
            x, y = (np.pad(a, pad, mode="symmetric") for a in (x, y))
            x, y = (a.reshape(a.shape[0] // 2, 2, a.shape[1] // 2, 2, -1).mean(axis=(1, 3))
                    for a in (x, y))
        ssim, cs = _ssim_and_cs(x, y)
        terms.append(np.maximum(cs if scale < len(MS_SSIM_WEIGHTS) - 1 else ssim, 0.0))
    per_channel = np.prod(np.stack(terms) ** np.asarray(MS_SSIM_WEIGHTS)[:, None], axis=0)
    return float(per_channel.mean())
