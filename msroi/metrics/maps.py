"""Scores of an importance map against an object mask (from the independent judge)."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from msroi.errors import InvalidArgumentError


def _check(importance: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    importance, mask = np.asarray(importance, np.float64), np.asarray(mask, bool)
    if importance.shape != mask.shape:
        raise InvalidArgumentError(f"map {importance.shape} and mask {mask.shape} differ in shape")
    return importance, mask


def map_auc(importance: np.ndarray, mask: np.ndarray) -> float:
    """Area under the ROC curve of the map as a per-pixel object detector (ties count half):
    the probability that a random object pixel outranks a random background one.

    Parameters
    ----------
    importance : ndarray
        The map, float (H, W).
    mask : ndarray
        bool (H, W): the objects.

    Returns
    -------
    float
        In [0, 1], 0.5 is chance; nan if the mask is empty or full.
    """
    importance, mask = _check(importance, mask)
    positives = int(mask.sum())
    negatives = mask.size - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = rankdata(importance.ravel())
    return float((ranks[mask.ravel()].sum() - positives * (positives + 1) / 2)
                 / (positives * negatives))


def mass_inside(importance: np.ndarray, mask: np.ndarray) -> float:
    """The share of the map's total mass that lies inside a region.

    Parameters
    ----------
    importance : ndarray
        The map, float (H, W), non-negative.
    mask : ndarray
        bool (H, W): the region.

    Returns
    -------
    float
        In [0, 1]; nan if the map is zero.
    """
    importance, mask = _check(importance, mask)
    total = importance.sum()
    return float(importance[mask].sum() / total) if total > 0 else float("nan")


def recall_at_area(importance: np.ndarray, mask: np.ndarray) -> float:
    """The share of the object pixels inside the map's top A% of pixels, A the mask's own area:
    what an encoder can protect if it spends on an object-sized region (equal to that region's
    precision). Ties at the threshold count in proportion (the expected value of breaking them
    at random), so a constant map scores A (chance) and a perfect one 1.

    Parameters
    ----------
    importance : ndarray
        The map, float (H, W).
    mask : ndarray
        bool (H, W): the objects.

    Returns
    -------
    float
        In [0, 1]; nan if the mask is empty or full.
    """
    importance, mask = _check(importance, mask)
    area = int(mask.sum())
    if area == 0 or area == mask.size:
        return float("nan")
    values = importance.ravel()
    threshold = np.partition(values, values.size - area)[values.size - area]
    above, tied = values > threshold, values == threshold
    share_of_ties = (area - int(above.sum())) / int(tied.sum())
    inside = mask.ravel()
    return float((np.count_nonzero(above & inside) + share_of_ties * np.count_nonzero(tied & inside))
                 / area)
