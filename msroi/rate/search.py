"""The search for the best file that meets a byte limit, over a codec's knobs.

:func:`search_quality` finds the highest quality whose file fits (tries placed by the
codec's size estimate where it has one, then bisection), keeping the best result under the
limit as tensorflow-compression's ``tfci`` does for a target bpp; :func:`compress_to_budget`
adds the codec's second knob where it declares one (:func:`refine`). Codecs never see the
limit: they encode at a setting, this module chooses it.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from msroi.codecs.base import Codec, CompressResult
from msroi.errors import BudgetError
from msroi.rate.budget import Budget


#: Tries placed by a size proxy before plain bisection takes over (see search_quality).
PROXY_STEPS = 4


def lowest_reaching(measure: Callable[[int], float], target: float, *, low: int = 1,
                    high: int = 100) -> int | None:
    """The lowest quality whose measure reaches a target: bisection over a measure that grows
    with quality, each quality measured at most once.

    Parameters
    ----------
    measure : callable
        quality (int) -> the measure (e.g. map-weighted PSNR in dB of the file at it).
    target : float
        The value to reach, in the measure's unit.
    low, high : int
        The qualities searched (default 1..100).

    Returns
    -------
    int or None
        The lowest quality in [low, high] that reaches ``target``; None if even ``high`` does not.
    """
    known: dict[int, float] = {}

    def value(quality: int) -> float:
        if quality not in known:
            known[quality] = measure(quality)
        return known[quality]

    if value(high) < target:
        return None
    lo, hi = low - 1, high  # lo: known short of the target (or below the range); hi: reaches
    while hi - lo > 1:
        middle = (lo + hi) // 2
        if value(middle) >= target:
            hi = middle
        else:
            lo = middle
    return hi


@dataclass
class SearchResult:
    """What :func:`search_quality` found.

    Attributes
    ----------
    quality : int
        The highest quality that fits.
    data : bytes or int
        What ``encode`` returned there (the file, or its size).
    tries : int
        How many qualities were encoded.
    """

    quality: int
    data: bytes
    tries: int


def _highest_under(estimate: Callable[[int], float], max_bytes: int, low: int, high: int) -> int:
    """Highest quality in [low, high] whose estimated size fits (``low`` if none does)."""
    while low < high:
        mid = (low + high + 1) // 2
        if estimate(mid) <= max_bytes:
            low = mid
        else:
            high = mid - 1
    return low


def _corrected(proxy: Callable[[int], float], tried: dict[int, bytes], lo: int, hi: int,
               last: int, size: Callable = len) -> Callable[[int], float]:
    """The proxy times the measured/proxy size ratio, which drifts with quality: linear
    between the bracket's two ends once both are measured, else the last try's."""
    def ratio(quality: int) -> float:
        return size(tried[quality]) / max(proxy(quality), 1.0)

    if lo in tried and hi in tried:
        r_lo, r_hi = ratio(lo), ratio(hi)
        return lambda q: (r_lo + (r_hi - r_lo) * (q - lo) / (hi - lo)) * proxy(q)
    r_last = ratio(last)
    return lambda q: r_last * proxy(q)


def search_quality(encode: Callable[[int], bytes], max_bytes: int, *, low: int = 1,
                   high: int = 100, proxy: Callable[[int], float] | None = None,
                   label: str = "image", size: Callable = len) -> SearchResult:
    """The highest quality whose file fits: bisection over a size that grows with quality,
    keeping the best result under the limit, so the answer never exceeds it even where the
    size is not perfectly monotonic.

    A ``proxy`` (a cheap size estimate per quality, e.g. a fast encoder's) places the tries:
    the first where the proxy fits; each next one (up to :data:`PROXY_STEPS`) where the
    proxy, scaled by the measured/proxy size ratio, fits inside the bracket found so far;
    bisection finishes (~3 tries where bisection alone takes ~log2(high - low)). The proxy
    changes the number of tries, never the answer on a monotonic size.

    Parameters
    ----------
    encode : callable
        quality (int) -> the file (bytes), or its size (see ``size``).
    max_bytes : int
        The limit in bytes.
    low, high : int
        The qualities searched (default 1..100).
    proxy : callable, optional
        quality -> estimated size in bytes.
    label : str
        The image's name in messages.
    size : callable
        The byte count of what ``encode`` returns (``len`` of a file; ``int`` when ``encode``
        computes a size without writing, as a codec's size model does).

    Returns
    -------
    SearchResult
        ``quality``, ``data`` (what ``encode`` returned there) and ``tries``.

    Raises
    ------
    BudgetError
        If even ``low`` is too large.
    """
    tried: dict[int, bytes] = {}
    lo, hi = low - 1, high + 1  # the highest quality known to fit, the lowest known not to

    def probe(quality: int) -> None:
        nonlocal lo, hi
        if quality not in tried:
            tried[quality] = encode(quality)
        if size(tried[quality]) <= max_bytes:
            lo = max(lo, quality)
        else:
            hi = min(hi, quality)

    if proxy is not None:
        proxy = functools.lru_cache(maxsize=None)(proxy)
        quality = _highest_under(proxy, max_bytes, low, high)
        for _ in range(PROXY_STEPS):
            probe(quality)
            if hi - lo <= 1:
                break
            quality = _highest_under(_corrected(proxy, tried, lo, hi, quality, size),
                                     max_bytes, lo + 1, hi - 1)
    while hi - lo > 1:
        probe((lo + hi) // 2)
    fitting = [q for q, data in tried.items() if size(data) <= max_bytes]
    if not fitting:
        raise BudgetError(f"{label}: budget of {max_bytes} bytes cannot be met "
                          f"(smallest file tried: {min(size(d) for d in tried.values())} bytes)")
    best = max(fitting)
    return SearchResult(best, tried[best], len(tried))


def largest_under(log_size: Callable[[float], float], max_bytes: int, tolerance: float, *,
                  low: float, high: float, steps: int = 6) -> float | None:
    """The knob ``x`` in [low, high] whose size ``exp(log_size(x))`` is within ``tolerance``
    under ``max_bytes``: secant steps on log size against x, starting from x = 0.

    Parameters
    ----------
    log_size : callable
        x -> natural log of the size in bytes; falls as x grows (e.g. a log lambda factor).
    max_bytes : int
        The limit in bytes.
    tolerance : float
        How far under the limit is close enough, as a share of it (0.01: 1%).
    low, high : float
        The knob's range.
    steps : int
        Evaluations at most, besides x = 0 (default 6).

    Returns
    -------
    float or None
        The smallest x tried that fits (the biggest file), ``high`` if only it fits, None if
        not even ``high`` fits.
    """
    goal = np.log((1 - tolerance / 2) * max_bytes)
    points = {0.0: log_size(0.0)}
    x, slope = 0.0, -0.3  # typical d log size / d log factor
    for _ in range(steps):
        if np.log((1 - tolerance) * max_bytes) <= points[x] <= np.log(max_bytes):
            break
        x = float(np.clip(x + (goal - points[x]) / slope, low, high))
        if x in points:
            break
        points[x] = log_size(x)
        near = sorted(points, key=lambda p: abs(points[p] - goal))[:2]
        if len(near) == 2 and points[near[0]] != points[near[1]]:
            slope = min(-0.02, (points[near[0]] - points[near[1]]) / (near[0] - near[1]))
    fits = [p for p in points if points[p] <= np.log(max_bytes)]
    if fits:
        return min(fits)
    return high if log_size(high) <= np.log(max_bytes) else None


#: The second knob's range: every lambda times 1/3..3.
SCALE_RANGE = (1 / 3, 3.0)


def refine(codec: Codec, state, quality: int, max_bytes: int, *, exif: bytes | None = None,
           icc_profile: bytes | None = None, tolerance: float = 0.01) -> tuple[bytes, dict] | None:
    """The largest file at ``quality`` within ``tolerance`` under ``max_bytes``, by the codec's
    second knob (:meth:`~msroi.codecs.base.Codec.scaled_size`).

    The knob is solved on the expected size (:func:`largest_under`); the answer is written
    and, if the written size taught the codec's model a ratio that leaves it over, or more
    than ``tolerance`` under, solved once or twice more.

    Parameters
    ----------
    codec : Codec
        A codec with a second knob.
    state : EncoderState
        The image as the codec prepared it (:meth:`~msroi.codecs.base.Codec.prepare`).
    quality : int
        The quality the search settled on (1..100).
    max_bytes : int
        The limit in bytes.
    exif, icc_profile : bytes, optional
        Metadata written into the file.
    tolerance : float
        How far under the limit is close enough, as a share of it (default 0.01).

    Returns
    -------
    tuple of (bytes, dict) or None
        The file and its report fields; None if even the largest scale does not fit.
    """
    low, high = np.log(SCALE_RANGE[0]), np.log(SCALE_RANGE[1])
    best = None
    for _ in range(3):
        x = largest_under(lambda x: np.log(codec.scaled_size(state, quality, scale=float(np.exp(x)))),
                          max_bytes, tolerance, low=low, high=high)
        if x is None:
            break
        data = codec.encode(state, quality, exif=exif, icc_profile=icc_profile, scale=float(np.exp(x)))
        if len(data) <= max_bytes and (best is None or len(data) > len(best[0])):
            best = (data, {"lambda_factor": round(float(np.exp(x)), 4)})
        if (1 - tolerance) * max_bytes <= len(data) <= max_bytes:
            break
    return best


def _search(codec: Codec, state, target: int, exif: bytes | None, icc_profile: bytes | None,
            label: str) -> tuple[bytes, int, dict, int]:
    """(file, quality, report fields, tries) of the codec's best file within ``target``."""
    low, high = codec.quality_range

    def search_written() -> SearchResult:
        return search_quality(
            lambda q: codec.encode(state, q, exif=exif, icc_profile=icc_profile),
            target, low=low, high=high, proxy=codec.size_proxy(state), label=label)

    model = codec.size_model(state, exif=exif, icc_profile=icc_profile)
    if model is not None:  # the search runs on computed sizes; files are written below
        found = search_quality(model, target, low=low, high=high,
                               proxy=codec.size_proxy(state), label=label, size=int)
        data = None
    else:
        found = search_written()
        data = found.data
    quality, extra = found.quality, {}
    if "strength" in codec.knobs:
        # The second knob fills the gap between two qualities: one step up with a
        # stronger map effect, else this step with a weaker one.
        for step in ((found.quality + 1, found.quality) if found.quality < high else (found.quality,)):
            refined = refine(codec, state, step, target, exif=exif, icc_profile=icc_profile)
            if refined is not None:
                if data is None or len(data) < len(refined[0]) <= target:
                    data, quality, extra = refined[0], step, refined[1]
                break
    if data is None or len(data) > target:  # the model was off: search on written files
        found = search_written()
        data, quality, extra = found.data, found.quality, {}
    return data, quality, extra, found.tries


def compress_to_budget(codec: Codec, image: np.ndarray, importance: np.ndarray,
                       budget: Budget, *, exif: bytes | None = None,
                       icc_profile: bytes | None = None, label: str = "image") -> CompressResult:
    """The codec's best file no larger than the budget: its quality searched
    (:func:`search_quality`), then its second knob where it declares one (:func:`refine`).

    Parameters
    ----------
    codec : Codec
        Any codec (:class:`msroi.codecs.base.Codec`).
    image : ndarray
        RGB uint8 (H, W, 3).
    importance : ndarray
        The map, float32 (H, W) in [0, 1].
    budget : Budget
        The limit (bytes, bits per pixel or the standard JPEG's size at a quality).
    exif, icc_profile : bytes, optional
        Metadata written into the file.
    label : str
        The image's name in messages.

    Returns
    -------
    CompressResult
        The file, the image's (H, W) and a report (quality, target, tries, timings).

    Raises
    ------
    BudgetError
        When no setting fits.
    """
    target = budget.target_bytes(image, exif=exif, icc_profile=icc_profile)
    start = time.perf_counter()
    with codec.prepare(image, importance) as state:
        prepared_at = time.perf_counter()
        data, quality, extra, tries = _search(codec, state, target, exif, icc_profile, label)
    done = time.perf_counter()
    report = {"method": codec.name, **codec.options(), **extra, "quality": quality,
              "bytes": len(data), "target_bytes": target, "budget": str(budget),
              "search_tries": tries, "seconds_prepare": prepared_at - start,
              "seconds_search": done - prepared_at}
    return CompressResult(data, image.shape[:2], report)

