"""Pixel-domain visual information fidelity, VIFP (Sheikh & Bovik, 2006).

Written from the authors' reference ``vifvec`` pixel-domain code: four scales, Gaussian
windows of size 2^(5-s)+1 and sigma size/5, 'valid' filtering and 2x decimation between
scales, visual noise variance 2.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import fftconvolve

from msroi.metrics.basic import check_pair

SIGMA_NSQ = 2.0
EPS = 1e-10


def _gaussian(size: int) -> np.ndarray:
    sigma = size / 5.0
    r = np.arange(size) - (size - 1) / 2.0
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma ** 2))
    return g / g.sum()


def _filter(x: np.ndarray, window: np.ndarray) -> np.ndarray:
    # Symmetric window: convolution equals MATLAB's filter2 (correlation).
    return fftconvolve(x, window, mode="valid")


def vifp_channel(reference: np.ndarray, test: np.ndarray, *, sigma_nsq: float = SIGMA_NSQ) -> float:
    ref, dist = np.asarray(reference, np.float64), np.asarray(test, np.float64)
    num = den = 0.0
    for scale in range(1, 5):
        window = _gaussian(2 ** (5 - scale) + 1)
        if scale > 1:
            ref = _filter(ref, window)[::2, ::2]
            dist = _filter(dist, window)[::2, ::2]
        mu1, mu2 = _filter(ref, window), _filter(dist, window)
        sigma1_sq = np.maximum(_filter(ref * ref, window) - mu1 * mu1, 0)
        sigma2_sq = np.maximum(_filter(dist * dist, window) - mu2 * mu2, 0)
        sigma12 = _filter(ref * dist, window) - mu1 * mu2
        g = sigma12 / (sigma1_sq + EPS)
        sv_sq = sigma2_sq - g * sigma12
        flat_ref = sigma1_sq < EPS
        g[flat_ref] = 0
        sv_sq[flat_ref] = sigma2_sq[flat_ref]
        sigma1_sq[flat_ref] = 0
        flat_dist = sigma2_sq < EPS
        g[flat_dist] = 0
        sv_sq[flat_dist] = 0
        negative = g < 0
        sv_sq[negative] = sigma2_sq[negative]
        g[negative] = 0
        sv_sq = np.maximum(sv_sq, EPS)
        num += np.log10(1 + g * g * sigma1_sq / (sv_sq + sigma_nsq)).sum()
        den += np.log10(1 + sigma1_sq / sigma_nsq).sum()
    return float(num / den) if den > 0 else 1.0


def visual_information_fidelity(reference: np.ndarray, test: np.ndarray) -> float:
    """Pixel-domain visual information fidelity, VIFP (Sheikh & Bovik, 2006), four scales.

    Parameters
    ----------
    reference, test : ndarray
        Grey (H, W) or (H, W, C) images of equal shape, at least 41x41 pixels (the four
        scales' windows); reference first.

    Returns
    -------
    float
        VIFP, the mean over channels for colour images; 1 for identical images.
    """
    reference, test = check_pair(reference, test)
    if min(reference.shape[:2]) < 41:
        raise ValueError("VIFP needs images of at least 41x41 pixels")
    if reference.ndim == 2:
        return vifp_channel(reference, test)
    return float(np.mean([vifp_channel(reference[..., c], test[..., c])
                          for c in range(reference.shape[2])]))
