"""Scores of an importance map against where people looked (human eye fixations).

The definitions of the MIT saliency benchmark (Bylinskii, Judd, Oliva, Torralba, Durand,
"What do different evaluation metrics tell us about saliency models?", TPAMI 2019), written
here from the paper's formulas:

- :func:`nss`: mean of the map, z-scored over the image, at the fixated pixels;
- :func:`auc_judd`: the ROC area of the map as a detector of fixated pixels against all
  pixels, thresholds at the map's values at the fixations;
- :func:`shuffled_auc`: fixated pixels against the pixels other photos' viewers fixated
  (discounts the centre bias every photo shares);
- :func:`correlation_coefficient` (CC), :func:`similarity` (SIM) and
  :func:`kl_divergence` (KL): the map against the fixation density.

Maps are float (H, W) arrays, any range (they are normalised here); fixations are (N, 2)
arrays of (x, y) = (column, row) in the map's pixels, 0-based, pixel centres at integers;
a density is a float (H, W) array. :func:`fixation_density` blurs fixations with a Gaussian
(sigma in pixels, or degrees with the pixels per degree of the setup);
:func:`human_ceiling` scores half of the viewers as a map of the other half.
"""

from __future__ import annotations

import numpy as np

from msroi.errors import InvalidArgumentError
from msroi.metrics.maps import map_auc

#: The epsilon of the benchmark's KL divergence (MATLAB's eps).
KL_EPSILON = 2.220446049250313e-16


def _map(importance: np.ndarray) -> np.ndarray:
    importance = np.asarray(importance, np.float64)
    if importance.ndim != 2 or importance.size == 0:
        raise InvalidArgumentError(f"expected a map of shape (H, W), got {importance.shape}")
    if not np.all(np.isfinite(importance)):
        raise InvalidArgumentError("the map has values that are not finite")
    return importance


def fixation_pixels(fixations: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Boolean (H, W) map of the pixels that hold at least one fixation (points rounded to
    the nearest pixel centre; points outside the frame dropped)."""
    points = np.asarray(fixations, np.float64).reshape(-1, 2)
    columns = np.rint(points[:, 0]).astype(np.int64)
    rows = np.rint(points[:, 1]).astype(np.int64)
    keep = (columns >= 0) & (columns < shape[1]) & (rows >= 0) & (rows < shape[0])
    fixated = np.zeros(shape, bool)
    fixated[rows[keep], columns[keep]] = True
    return fixated


def fixation_density(fixations: np.ndarray, shape: tuple[int, int], *,
                     sigma: float | None = None, sigma_degrees: float | None = None,
                     pixels_per_degree: float | None = None) -> np.ndarray:
    """The fixation density map: one count per fixation (repeats add up), blurred with a
    Gaussian, scaled to sum to 1.

    Parameters
    ----------
    fixations : ndarray
        (N, 2) points (x, y) in pixels.
    shape : tuple of int
        (H, W) of the photo.
    sigma : float, optional
        The Gaussian's standard deviation in pixels ...
    sigma_degrees, pixels_per_degree : float, optional
        ... or in degrees of visual angle, with the viewing geometry.

    Returns
    -------
    ndarray
        float64 (H, W) summing to 1; all zeros if no fixation is in the frame.
    """
    from scipy.ndimage import gaussian_filter

    if sigma is None:
        if sigma_degrees is None or pixels_per_degree is None:
            raise InvalidArgumentError("give sigma (pixels) or sigma_degrees with pixels_per_degree")
        sigma = sigma_degrees * pixels_per_degree
    if not sigma > 0:
        raise InvalidArgumentError(f"sigma must be positive, got {sigma}")
    points = np.asarray(fixations, np.float64).reshape(-1, 2)
    columns = np.rint(points[:, 0]).astype(np.int64)
    rows = np.rint(points[:, 1]).astype(np.int64)
    keep = (columns >= 0) & (columns < shape[1]) & (rows >= 0) & (rows < shape[0])
    counts = np.zeros(shape, np.float64)
    np.add.at(counts, (rows[keep], columns[keep]), 1.0)
    density = gaussian_filter(counts, sigma, mode="constant", truncate=4.0)
    total = density.sum()
    return density / total if total > 0 else density


def nss(importance: np.ndarray, fixations: np.ndarray) -> float:
    """Normalised scanpath saliency (the MIT benchmark's name): the mean of the z-scored map
    at the fixated pixels.

    Parameters
    ----------
    importance : ndarray
        The map, float (H, W).
    fixations : ndarray
        (N, 2) points (x, y) in pixels.

    Returns
    -------
    float
        Standard deviations above the map's mean; 0 is chance, higher is better; nan for a
        constant map or no fixation in the frame.
    """
    importance = _map(importance)
    fixated = fixation_pixels(fixations, importance.shape)
    spread = importance.std()
    if not fixated.any() or spread == 0:
        return float("nan")
    return float(((importance - importance.mean()) / spread)[fixated].mean())


def auc_judd(importance: np.ndarray, fixations: np.ndarray) -> float:
    """AUC-Judd: the map as a detector of the fixated pixels against all other pixels. The
    benchmark samples the ROC curve at the map's values at the fixations (with a random
    jitter to break ties); here its area is exact, from ranks, ties counting half
    (:func:`msroi.metrics.map_auc`).

    Parameters
    ----------
    importance : ndarray
        The map, float (H, W).
    fixations : ndarray
        (N, 2) points (x, y) in pixels.

    Returns
    -------
    float
        In [0, 1]: a constant map scores 0.5, one that ranks every fixated pixel last 0; nan
        if no pixel or every pixel is fixated.
    """
    importance = _map(importance)
    return map_auc(importance, fixation_pixels(fixations, importance.shape))


def _values_at(importance: np.ndarray, points: np.ndarray) -> np.ndarray:
    points = np.asarray(points, np.float64).reshape(-1, 2)
    columns = np.rint(points[:, 0]).astype(np.int64)
    rows = np.rint(points[:, 1]).astype(np.int64)
    keep = (columns >= 0) & (columns < importance.shape[1]) & (rows >= 0) & (rows < importance.shape[0])
    return importance[rows[keep], columns[keep]]


def shuffled_auc(importance: np.ndarray, fixations: np.ndarray,
                 other_fixations: np.ndarray) -> float:
    """Shuffled AUC: the map's values at this photo's fixations against its values at the
    fixations of other photos' viewers, each fixation one sample, as an exact rank statistic
    (ties count half; the benchmark draws random equal-sized subsets of the other fixations
    instead). A map that only knows the centre bias every photo shares scores ~0.5.

    Parameters
    ----------
    importance : ndarray
        The map, float (H, W).
    fixations : ndarray
        (N, 2) points (x, y) in pixels where this photo's viewers looked.
    other_fixations : ndarray
        (M, 2) points of other photos' viewers, in this photo's coordinates.

    Returns
    -------
    float
        In [0, 1].
    """
    importance = _map(importance)
    positives = _values_at(importance, fixations)
    negatives = _values_at(importance, other_fixations)
    if positives.size == 0 or negatives.size == 0:
        return float("nan")
    from scipy.stats import rankdata

    ranks = rankdata(np.concatenate([positives, negatives]))
    n = positives.size
    return float((ranks[:n].sum() - n * (n + 1) / 2) / (n * negatives.size))


def _distribution(values: np.ndarray) -> np.ndarray | None:
    values = values - values.min() if values.min() < 0 else values
    total = values.sum()
    return values / total if total > 0 else None


def correlation_coefficient(importance: np.ndarray, density: np.ndarray) -> float:
    """CC: Pearson's correlation of the map and the fixation density.

    Parameters
    ----------
    importance : ndarray
        The map, float (H, W).
    density : ndarray
        The fixation density (:func:`fixation_density`), float (H, W).

    Returns
    -------
    float
        In [-1, 1]: 1 = linear agreement, 0 = none; nan if either is constant.
    """
    importance, density = _map(importance), _map(density)
    _same_shape(importance, density)
    a, b = importance - importance.mean(), density - density.mean()
    scale = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / scale) if scale > 0 else float("nan")


def similarity(importance: np.ndarray, density: np.ndarray) -> float:
    """SIM: the histogram intersection of the map and the density, each scaled to sum to 1.

    Parameters
    ----------
    importance : ndarray
        The map, float (H, W), non-negative.
    density : ndarray
        The fixation density, float (H, W).

    Returns
    -------
    float
        In [0, 1]: 1 = the same distribution, 0 = disjoint; nan for an empty map or density.
    """
    importance, density = _map(importance), _map(density)
    _same_shape(importance, density)
    p, q = _distribution(importance), _distribution(density)
    if p is None or q is None:
        return float("nan")
    return float(np.minimum(p, q).sum())


def kl_divergence(importance: np.ndarray, density: np.ndarray) -> float:
    """KL divergence of the map P from the density Q, both scaled to sum to 1:
    sum Q log(eps + Q / (P + eps)), eps = :data:`KL_EPSILON` (the MIT benchmark's).

    Parameters
    ----------
    importance : ndarray
        The map, float (H, W), non-negative.
    density : ndarray
        The fixation density, float (H, W).

    Returns
    -------
    float
        Nats; 0 = equal, lower is better.
    """
    importance, density = _map(importance), _map(density)
    _same_shape(importance, density)
    p, q = _distribution(importance), _distribution(density)
    if p is None or q is None:
        return float("nan")
    return float((q * np.log(KL_EPSILON + q / (p + KL_EPSILON))).sum())


def _same_shape(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape:
        raise InvalidArgumentError(f"map {a.shape} and density {b.shape} differ in shape")


def fixation_scores(importance: np.ndarray, fixations: np.ndarray, density: np.ndarray,
                    other_fixations: np.ndarray | None = None) -> dict[str, float]:
    """Every score of a map against one photo's viewers.

    Parameters
    ----------
    importance : ndarray
        The map, float (H, W).
    fixations : ndarray
        (N, 2) points (x, y) in pixels.
    density : ndarray
        Their fixation density, float (H, W).
    other_fixations : ndarray, optional
        Other photos' viewers' fixations in this photo's coordinates, for the shuffled AUC.

    Returns
    -------
    dict
        ``nss``, ``auc_judd``, ``cc``, ``sim``, ``kl`` and, with ``other_fixations``,
        ``shuffled_auc``.
    """
    scores = {"nss": nss(importance, fixations), "auc_judd": auc_judd(importance, fixations),
              "cc": correlation_coefficient(importance, density),
              "sim": similarity(importance, density), "kl": kl_divergence(importance, density)}
    if other_fixations is not None:
        scores["shuffled_auc"] = shuffled_auc(importance, fixations, other_fixations)
    return scores


def human_ceiling(fixations: np.ndarray, subjects: np.ndarray, shape: tuple[int, int], *,
                  sigma: float, other_fixations: np.ndarray | None = None,
                  seed: int = 0) -> dict[str, float]:
    """How well people predict people: the viewers split at random into two halves; each half's
    fixation density is scored as a map against the other half's fixations and density
    (:func:`fixation_scores`), both ways, averaged.

    Parameters
    ----------
    fixations : ndarray
        (N, 2) points (x, y) in pixels.
    subjects : ndarray
        (N,) one viewer id per fixation.
    shape : tuple of int
        (H, W) of the photo.
    sigma : float
        The densities' Gaussian in pixels.
    other_fixations : ndarray, optional
        For the shuffled AUC, as :func:`fixation_scores`.
    seed : int
        The split's random seed.

    Returns
    -------
    dict
        The scores of :func:`fixation_scores`; nan if fewer than two viewers.
    """
    fixations = np.asarray(fixations, np.float64).reshape(-1, 2)
    subjects = np.asarray(subjects)
    viewers = np.unique(subjects)
    if viewers.size < 2:
        return dict.fromkeys(("nss", "auc_judd", "cc", "sim", "kl"), float("nan"))
    order = np.random.default_rng(seed).permutation(viewers)
    half = np.isin(subjects, order[: viewers.size // 2])
    both = []
    for mine, theirs in ((half, ~half), (~half, half)):
        predicted = fixation_density(fixations[mine], shape, sigma=sigma)
        target = fixation_density(fixations[theirs], shape, sigma=sigma)
        both.append(fixation_scores(predicted, fixations[theirs], target, other_fixations))
    return {name: float(np.mean([s[name] for s in both])) for name in both[0]}
