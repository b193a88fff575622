"""Set-level numbers: CLIC-style aggregates and the Bjontegaard delta rate."""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from msroi.metrics.basic import psnr_from_mse


def pooled_psnr(squared_error_sum: float, samples: int) -> float:
    """PSNR (dB, 8-bit) of one MSE: the summed squared error over the number of samples it
    was summed over (a set's, CLIC's definition); nan for no samples, inf for no error."""
    return psnr_from_mse(squared_error_sum / samples) if samples else float("nan")


def dataset_psnr(pairs: Iterable[tuple[np.ndarray, np.ndarray]]) -> float:
    """PSNR of one MSE over every sample of every image (CLIC's definition)."""
    total, count = 0.0, 0
    for reference, test in pairs:
        diff = np.asarray(reference, np.float64) - np.asarray(test, np.float64)
        total += float((diff ** 2).sum())
        count += diff.size
    if count == 0:
        raise ValueError("no images")
    return pooled_psnr(total, count)


def pixel_weighted_mean(values: Sequence[float], pixels: Sequence[int]) -> float:
    """Mean of per-image values weighted by image size (CLIC's aggregate MS-SSIM)."""
    values, pixels = np.asarray(values, np.float64), np.asarray(pixels, np.float64)
    return float((values * pixels).sum() / pixels.sum())


def bits_per_pixel(total_bytes: int, total_pixels: int) -> float:
    return 8.0 * total_bytes / total_pixels


def bytes_at_quality(sizes: Sequence[float], values: Sequence[float], value: float) -> float:
    """Bytes a rate curve needs for quality ``value``: the curve's points (``sizes`` bytes,
    ``values`` of any quality measure rising with bytes, e.g. dB) interpolated linearly in
    log bytes, extrapolated from the two end points beyond them. Needs 2 points or more."""
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
    """Bjontegaard delta rate (VCEG-M33, 2001) of curve B against curve A, in percent.

    Average difference of log-rates over the quality interval both curves cover; negative
    means B needs fewer bits for the same quality. ``method``: ``"cubic"`` (the original
    third-order polynomial fit) or ``"pchip"`` (piecewise cubic, as in later JVET tools).
    Needs at least 4 points per curve for ``"cubic"``.
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
