"""Many images under one budget (CLIC's low-rate rule): each image encoded at a ladder of
qualities as a job on the one executor, then the bytes allocated across the set where they
lower its total squared error most (:func:`msroi.rate.allocate`)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from msroi.batch.job import CompressSettings
from msroi.io import LoadedImage
from msroi.jpeg.codec import CompressResult
from msroi.maps import semantic_map
from msroi.pipeline import make_codec
from msroi.rate import RatePoint, allocate


#: Qualities at which every image of a set is encoded for the total-budget allocation.
SET_QUALITIES = (2, 4, 6, 8, *range(10, 96, 5))


def rate_points(settings: CompressSettings, loaded: LoadedImage,
                qualities: Sequence[int] = SET_QUALITIES) -> list[tuple[RatePoint, bytes]]:
    """One image's candidates for a set budget: (quality, bytes, squared error) and the
    file, at each quality (qualities outside the codec's range are clipped into it, once
    each). A pure, picklable job: any executor runs it."""
    from msroi.decode import shared_decoder

    codec = make_codec(settings.method, settings.codec_options)
    pixels = loaded.pixels
    importance = semantic_map(pixels, settings.model, **settings.map_options).map
    keep = settings.keep_metadata
    low, high = codec.quality_range
    decoder = shared_decoder(settings.decoder)
    out = []
    with codec.prepare(pixels, importance) as state:
        for q in sorted({min(max(q, low), high) for q in qualities}):
            data = codec.encode(state, q, exif=loaded.exif if keep else None,
                                icc_profile=loaded.icc_profile if keep else None)
            error = float(((decoder.decode(data).astype(np.float64) - pixels) ** 2).sum())
            out.append((RatePoint(q, len(data), error), data))
    return out


def set_rate_points(images: list[LoadedImage], settings: CompressSettings,
                    qualities: Sequence[int] = SET_QUALITIES, *, executor=None,
                    progress: bool = True) -> list[list[tuple[RatePoint, bytes]]]:
    """:func:`rate_points` of every image, as jobs on ``executor`` (default: this
    process), in the order of the images."""
    from tqdm import tqdm

    from msroi.batch.executor import InlineExecutor, run_unordered

    executor = executor or InlineExecutor()
    candidates: dict[int, list] = {}
    jobs = ((i, (settings, loaded, tuple(qualities))) for i, loaded in enumerate(images))
    with tqdm(total=len(images), unit="img", desc="rate points", disable=not progress) as bar:
        for index, points, error in run_unordered(executor, rate_points, jobs):
            if error is not None:
                raise error
            candidates[index] = points
            bar.update()
    return [candidates[i] for i in range(len(images))]


def compress_set(images: list[LoadedImage], total_bytes: int, settings: CompressSettings, *,
                 qualities: Sequence[int] = SET_QUALITIES, executor=None,
                 progress: bool = True) -> list[CompressResult]:
    """Compresses a set of images to at most ``total_bytes`` together (CLIC's low-rate
    rule), spending the bytes where they lower the set's total squared error (after the
    settings' decoder) most (:func:`msroi.rate.allocate`). Each image is encoded at every
    quality in ``qualities`` once, as :func:`rate_points` jobs on ``executor`` (default:
    this process); results keep the chosen file of each image, in order."""
    ordered = set_rate_points(images, settings, qualities, executor=executor, progress=progress)
    chosen = allocate([[p for p, _ in options] for options in ordered], total_bytes)
    options = make_codec(settings.method, settings.codec_options).options()
    results = []
    for loaded, points, index in zip(images, ordered, chosen):
        point, data = points[index]
        results.append(CompressResult(data, loaded.pixels.shape[:2], {
            "method": settings.method, **options, "quality": point.quality,
            "bytes": point.num_bytes, "total_budget": total_bytes}))
    return results
