"""One budget over a set of images: each image's rate points -> the choice with the least
total squared error (CLIC's low-rate rule)."""

from __future__ import annotations

from dataclasses import dataclass

from msroi.errors import BudgetError


@dataclass
class RatePoint:
    """One encoding of one image.

    Attributes
    ----------
    quality : int
        Its setting.
    num_bytes : int
        Its size in bytes.
    sse : float
        Its squared error, summed over every RGB sample.
    """

    quality: int
    num_bytes: int
    sse: float


def allocate(points: list[list[RatePoint]], total_bytes: int) -> list[int]:
    """One budget over a set: one rate point per image, the set's summed squared error (one
    MSE over the set: CLIC's PSNR) as small as the greedy equal-slope rule finds.

    Every image starts at its smallest file; then the upgrade with the largest error drop per
    extra byte that still fits is taken, again and again, along each image's lower convex
    hull of (bytes, error).

    Parameters
    ----------
    points : list of list of RatePoint
        Each image's encodings (setting, bytes, squared error summed over RGB).
    total_bytes : int
        The set's limit in bytes.

    Returns
    -------
    list of int
        The chosen index into each image's list.

    Raises
    ------
    BudgetError
        When even the smallest files do not fit.
    """
    hulls = []
    for options in points:
        ordered = sorted(range(len(options)), key=lambda i: (options[i].num_bytes, options[i].sse))
        hull: list[int] = []
        for i in ordered:  # lower convex hull of (bytes, sse), error falling with size
            if hull and options[i].sse >= options[hull[-1]].sse:
                continue
            while len(hull) >= 2:
                a, b = options[hull[-2]], options[hull[-1]]
                c = options[i]
                # drop b if it lies above the segment a -> c
                if (b.sse - a.sse) * (c.num_bytes - a.num_bytes) >= (c.sse - a.sse) * (b.num_bytes - a.num_bytes):
                    hull.pop()
                else:
                    break
            hull.append(i)
        hulls.append(hull)
    position = [0] * len(points)
    used = sum(points[n][h[0]].num_bytes for n, h in enumerate(hulls))
    if used > total_bytes:
        raise BudgetError(f"total budget of {total_bytes} bytes cannot be met "
                          f"(smallest files add up to {used} bytes)")
    while True:
        best, best_slope = None, 0.0
        for n, hull in enumerate(hulls):
            if position[n] + 1 >= len(hull):
                continue
            here, there = points[n][hull[position[n]]], points[n][hull[position[n] + 1]]
            extra = there.num_bytes - here.num_bytes
            if used + extra > total_bytes:
                continue
            slope = (here.sse - there.sse) / max(extra, 1)
            if slope > best_slope:
                best, best_slope = n, slope
        if best is None:
            return [hull[position[n]] for n, hull in enumerate(hulls)]
        here = points[best][hulls[best][position[best]]]
        position[best] += 1
        used += points[best][hulls[best][position[best]]].num_bytes - here.num_bytes

