"""Set-level numbers: CLIC-style aggregates and the Bjontegaard delta rate."""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from msroi.metrics.basic import psnr_from_mse


def pooled_psnr(squared_error_sum: float, samples: int) -> float:
    """PSNR of one MSE: a summed squared error over the number of samples it was summed over
    (a set's: CLIC's definition).

    Parameters
    ----------
    squared_error_sum : float
        Squared error summed over the samples, 8-bit scale.
    samples : int
        How many samples (pixels x channels) were summed.

    Returns
    -------
    float
        dB; nan for no samples, inf for no error.
    """
    return psnr_from_mse(squared_error_sum / samples) if samples else float("nan")


def dataset_psnr(pairs: Iterable[tuple[np.ndarray, np.ndarray]]) -> float:
    """PSNR of one MSE over every sample of every image (CLIC's definition).

    Parameters
    ----------
    pairs : iterable of (ndarray, ndarray)
        (reference, test) uint8 images, each pair of equal shape.

    Returns
    -------
    float
        dB (8-bit scale).
    """
    total, count = 0.0, 0
    for reference, test in pairs:
        diff = np.asarray(reference, np.float64) - np.asarray(test, np.float64)
        total += float((diff ** 2).sum())
        count += diff.size
    if count == 0:
        raise ValueError("no images")
    return pooled_psnr(total, count)


def pixel_weighted_mean(values: Sequence[float], pixels: Sequence[int]) -> float:
    """Mean of per-image values weighted by image size (CLIC's aggregate MS-SSIM).

    Parameters
    ----------
    values : sequence of float
        One value per image.
    pixels : sequence of int
        Each image's width x height.

    Returns
    -------
    float
        In the values' unit.
    """
    values, pixels = np.asarray(values, np.float64), np.asarray(pixels, np.float64)
    return float((values * pixels).sum() / pixels.sum())


def bits_per_pixel(total_bytes: int, total_pixels: int) -> float:
    """Bits per pixel of files that hold a number of pixels.

    Parameters
    ----------
    total_bytes : int
        The files' size in bytes.
    total_pixels : int
        Their images' width x height, summed.

    Returns
    -------
    float
        Bits per pixel.
    """
    return 8.0 * total_bytes / total_pixels


def bytes_at_quality(sizes: Sequence[float], values: Sequence[float], value: float) -> float:
    """Bytes a rate curve needs for a quality: its points interpolated linearly in log bytes,
    extrapolated from the two end points beyond them.

    Parameters
    ----------
    sizes : sequence of float
        The curve's points' bytes (2 points or more).
    values : sequence of float
        Their quality, in any measure rising with bytes (e.g. dB).
    value : float
        The quality asked for, in the same measure.

    Returns
    -------
    float
        Bytes.
    """
    log_sizes = np.log(np.asarray(sizes, np.float64))
    values = np.asarray(values, np.float64)
    if len(values) < 2:
        raise ValueError("a rate curve needs at least 2 points")
    order = np.argsort(values, kind="stable")
    values, log_sizes = values[order], log_sizes[order]
    i = int(np.clip(np.searchsorted(values, value) - 1, 0, len(values) - 2))
    t = (value - values[i]) / max(values[i + 1] - values[i], 1e-9)
    return float(np.exp(log_sizes[i] + t * (log_sizes[i + 1] - log_sizes[i])))


def bd_rate(rates_a: Sequence[float], quality_a: Sequence[float], rates_b: Sequence[float],
            quality_b: Sequence[float], *, method: str = "cubic") -> float:
    """Bjontegaard delta rate (VCEG-M33, 2001) of curve B against curve A: the average
    difference of log-rates over the quality interval both curves cover.

    Parameters
    ----------
    rates_a, quality_a : sequence of float
        Curve A: rates (bytes or bits per pixel) and qualities (e.g. dB).
    rates_b, quality_b : sequence of float
        Curve B, in the same units.
    method : str
        ``"cubic"`` (the original third-order polynomial fit; 4 points per curve or more) or
        ``"pchip"`` (piecewise cubic, as in later JVET tools).

    Returns
    -------
    float
        Percent; negative: B needs fewer bits for the same quality.
    """
    ra, qa = np.log10(np.asarray(rates_a, np.float64)), np.asarray(quality_a, np.float64)
    rb, qb = np.log10(np.asarray(rates_b, np.float64)), np.asarray(quality_b, np.float64)
    if min(len(qa), len(qb)) < (4 if method == "cubic" else 2):
        raise ValueError("BD-rate needs at least 4 points per curve")
    low, high = max(qa.min(), qb.min()), min(qa.max(), qb.max())
    if not high > low:
        raise ValueError("the two curves do not overlap in quality")
    if method == "cubic":
        ia = np.polyint(np.polyfit(qa, ra, 3))
        ib = np.polyint(np.polyfit(qb, rb, 3))
        area_a = np.polyval(ia, high) - np.polyval(ia, low)
        area_b = np.polyval(ib, high) - np.polyval(ib, low)
    elif method == "pchip":
        from scipy.interpolate import PchipInterpolator

        oa, ob = np.argsort(qa), np.argsort(qb)
        area_a = PchipInterpolator(qa[oa], ra[oa]).integrate(low, high)
        area_b = PchipInterpolator(qb[ob], rb[ob]).integrate(low, high)
    else:
        raise ValueError(f"unknown BD-rate method '{method}'")
    return float((10 ** ((area_b - area_a) / (high - low)) - 1) * 100)
