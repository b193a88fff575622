"""Scores of an importance map against an object mask (from the independent judge)."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def _check(importance: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    importance, mask = np.asarray(importance, np.float64), np.asarray(mask, bool)
    if importance.shape != mask.shape:
        raise ValueError(f"map {importance.shape} and mask {mask.shape} differ in shape")
    return importance, mask


def map_auc(importance: np.ndarray, mask: np.ndarray) -> float:
    """Area under the ROC curve of the map as a per-pixel object detector (ties count
    half): the probability that a random object pixel outranks a random background one.
    0.5 is chance; nan if the mask is empty or full."""
    importance, mask = _check(importance, mask)
    positives = int(mask.sum())
    negatives = mask.size - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = rankdata(importance.ravel())
    return float((ranks[mask.ravel()].sum() - positives * (positives + 1) / 2)
                 / (positives * negatives))


def mass_inside(importance: np.ndarray, mask: np.ndarray) -> float:
    """Share of the map's total mass that lies inside the mask; nan if the map is zero."""
    importance, mask = _check(importance, mask)
    total = importance.sum()
    return float(importance[mask].sum() / total) if total > 0 else float("nan")
