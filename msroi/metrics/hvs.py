"""PSNR-HVS (Egiazarian et al., 2006) and PSNR-HVS-M (Ponomarenko et al., 2007).

Errors of 8x8 DCT coefficients weighted by a contrast sensitivity function; PSNR-HVS-M
also discounts errors hidden by the block's own activity (contrast masking). Written from
the authors' reference definition (psnrhvsm.m): non-overlapping 8x8 blocks from the top
left (a partial last row/column of blocks is ignored), orthonormal DCT on 0..255 values,
the masking of the block with the larger masking value, DC not masked.
"""

from __future__ import annotations

import numpy as np
from scipy.fft import dctn

from msroi.metrics.basic import check_pair, luma, psnr_from_mse

# Contrast sensitivity (CSF) and masking coefficients of the 8x8 DCT basis, from the
# authors' reference implementation (ponomarenko.info/psnrhvsm.htm).
CSF = np.array([
    [1.608443, 2.339554, 2.573509, 1.608443, 1.072295, 0.643377, 0.504610, 0.421887],
    [2.144591, 2.144591, 1.838221, 1.354478, 0.989811, 0.443708, 0.428918, 0.467911],
    [1.838221, 1.979622, 1.608443, 1.072295, 0.643377, 0.451493, 0.372972, 0.459555],
    [1.838221, 1.513829, 1.169777, 0.887417, 0.504610, 0.295806, 0.321689, 0.415082],
    [1.429727, 1.169777, 0.695543, 0.459555, 0.378457, 0.236102, 0.249855, 0.334222],
    [1.072295, 0.735288, 0.467911, 0.402111, 0.317717, 0.247453, 0.227744, 0.279729],
    [0.525206, 0.402111, 0.329937, 0.295806, 0.249855, 0.212687, 0.214459, 0.254803],
    [0.357432, 0.279729, 0.270896, 0.262603, 0.229778, 0.257351, 0.249855, 0.259950]])
MASK = np.array([
    [0.390625, 0.826446, 1.000000, 0.390625, 0.173611, 0.062500, 0.038447, 0.026874],
    [0.694444, 0.694444, 0.510204, 0.277008, 0.147929, 0.029727, 0.027778, 0.033058],
    [0.510204, 0.591716, 0.390625, 0.173611, 0.062500, 0.030779, 0.021004, 0.031888],
    [0.510204, 0.346021, 0.206612, 0.118906, 0.038447, 0.013212, 0.015625, 0.026015],
    [0.308642, 0.206612, 0.073046, 0.031888, 0.021626, 0.008417, 0.009426, 0.016866],
    [0.173611, 0.081633, 0.033058, 0.024414, 0.015242, 0.009246, 0.007831, 0.011815],
    [0.041649, 0.024414, 0.016437, 0.013212, 0.009426, 0.006830, 0.006944, 0.009803],
    [0.019290, 0.011815, 0.011080, 0.010412, 0.007972, 0.010000, 0.009426, 0.010203]])


def _blocks(image: np.ndarray) -> np.ndarray:
    """(N, 8, 8) float64 blocks of a (H, W) image, row-major, partial blocks dropped."""
    h, w = (image.shape[0] // 8) * 8, (image.shape[1] // 8) * 8
    x = np.asarray(image, np.float64)[:h, :w]
    return x.reshape(h // 8, 8, w // 8, 8).swapaxes(1, 2).reshape(-1, 8, 8)


def _scaled_variance(x: np.ndarray) -> np.ndarray:
    """MATLAB's var(x(:)) * numel(x) per block: sum of squares about the mean * n/(n-1)."""
    n = x.shape[-1] * x.shape[-2]
    return x.var(axis=(-1, -2), ddof=1) * n


def _masking(blocks: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    energy = (coefficients ** 2 * MASK).sum(axis=(-1, -2)) - coefficients[:, 0, 0] ** 2 * MASK[0, 0]
    total = _scaled_variance(blocks)
    quarters = sum(_scaled_variance(blocks[:, r:r + 4, c:c + 4]) for r in (0, 4) for c in (0, 4))
    ratio = np.divide(quarters, total, out=np.zeros_like(total), where=total != 0)
    return np.sqrt(energy * ratio) / 32.0


def hvs_mse(reference: np.ndarray, test: np.ndarray) -> tuple[float, float]:
    """(MSE-HVS, MSE-HVS-M) of two grey images (H, W) on the 0..255 scale."""
    reference, test = check_pair(reference, test)
    if reference.ndim != 2:
        raise ValueError("PSNR-HVS(-M) take single-channel images (H, W)")
    if min(reference.shape) < 8:
        raise ValueError("PSNR-HVS(-M) need images of at least 8x8 pixels")
    a, b = _blocks(reference), _blocks(test)
    da, db = dctn(a, axes=(1, 2), norm="ortho"), dctn(b, axes=(1, 2), norm="ortho")
    diff = np.abs(da - db)
    mask = np.maximum(_masking(a, da), _masking(b, db))[:, None, None] / MASK
    masked = np.where(diff < mask, 0.0, diff - mask)
    masked[:, 0, 0] = diff[:, 0, 0]  # the DC coefficient is never masked
    return (float(((diff * CSF) ** 2).mean()), float(((masked * CSF) ** 2).mean()))


def psnr_hvs(reference: np.ndarray, test: np.ndarray) -> float:
    """PSNR-HVS (Egiazarian et al., 2006): the error of 8x8 DCT blocks weighted by the contrast
    sensitivity function, as the authors' reference implementation computes it.

    Parameters
    ----------
    reference, test : ndarray
        Grey images of equal shape (H, W), 0..255, at least 8x8 (partial 8x8 blocks at the
        edges dropped); reference first.

    Returns
    -------
    float
        dB.
    """
    return psnr_from_mse(hvs_mse(reference, test)[0])


def psnr_hvs_m(reference: np.ndarray, test: np.ndarray) -> float:
    """PSNR-HVS-M (Ponomarenko et al., 2007): PSNR-HVS with between-coefficient contrast
    masking, as the authors' reference implementation computes it.

    Parameters
    ----------
    reference, test : ndarray
        Grey images of equal shape (H, W), 0..255, at least 8x8 (partial 8x8 blocks at the
        edges dropped); reference first.

    Returns
    -------
    float
        dB.
    """
    return psnr_from_mse(hvs_mse(reference, test)[1])


def psnr_hvs_m_rgb(reference: np.ndarray, test: np.ndarray) -> float:
    """PSNR-HVS-M of the full-range BT.601 luma of two RGB images, on the 0..255 scale the
    metric takes.

    Parameters
    ----------
    reference, test : ndarray
        RGB uint8 (H, W, 3) of equal shape; reference first.

    Returns
    -------
    float
        dB.
    """
    return psnr_hvs_m(luma(reference), luma(test))
