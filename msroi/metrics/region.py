"""Quality inside and outside a region (an object mask from the independent judge)."""

from __future__ import annotations

import numpy as np

from msroi.errors import InvalidArgumentError
from msroi.metrics.basic import psnr_from_mse, squared_error, ssim_map


def _mask(mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    mask = np.asarray(mask, bool)
    if mask.shape != tuple(shape[:2]):
        raise InvalidArgumentError(f"mask shape {mask.shape} differs from image shape {shape[:2]}")
    return mask


def region_psnr(reference: np.ndarray, test: np.ndarray, mask: np.ndarray) -> float:
    """PSNR over the pixels of a region.

    Parameters
    ----------
    reference, test : ndarray
        uint8 images of equal shape, (H, W) or (H, W, 3); reference first.
    mask : ndarray
        bool (H, W): the region (e.g. the judge's objects).

    Returns
    -------
    float
        dB over the region's samples (all channels); nan if the region is empty.
    """
    mask = _mask(mask, np.shape(reference))
    if not mask.any():
        return float("nan")
    return psnr_from_mse(float(squared_error(reference, test)[mask].mean()))


def region_ssim(reference: np.ndarray, test: np.ndarray, mask: np.ndarray) -> float:
    """Mean of the SSIM map over the pixels of a region.

    Parameters
    ----------
    reference, test : ndarray
        uint8 images of equal shape, (H, W) or (H, W, 3); reference first.
    mask : ndarray
        bool (H, W): the region.

    Returns
    -------
    float
        In [-1, 1]; nan if the region is empty.
    """
    mask = _mask(mask, np.shape(reference))
    if not mask.any():
        return float("nan")
    full = ssim_map(reference, test)
    return float(full[mask].mean())


def error_share_inside(reference: np.ndarray, test: np.ndarray, mask: np.ndarray) -> float:
    """The share of the total squared error that falls inside a region.

    Parameters
    ----------
    reference, test : ndarray
        uint8 images of equal shape, (H, W) or (H, W, 3); reference first.
    mask : ndarray
        bool (H, W): the region.

    Returns
    -------
    float
        In [0, 1]; nan if there is no error.
    """
    mask = _mask(mask, np.shape(reference))
    error = squared_error(reference, test)
    total = error.sum()
    return float(error[mask].sum() / total) if total > 0 else float("nan")
