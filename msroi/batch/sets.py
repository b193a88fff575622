"""Many images under one budget (CLIC's low-rate rule): each image encoded at a ladder of
qualities as a job on the one executor, then the bytes allocated across the set where they
lower its total squared error most (:func:`msroi.rate.allocate`)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from msroi.batch.job import CompressSettings
from msroi.errors import MsroiError
from msroi.io import LoadedImage, load_image
from msroi.codecs.base import CompressResult
from msroi.maps import semantic_map
from msroi.pipeline import as_budget, make_codec
from msroi.rate import RatePoint, allocate


#: Qualities at which every image of a set is encoded for the total-budget allocation.
SET_QUALITIES = (2, 4, 6, 8, *range(10, 96, 5))


def rate_points(settings: CompressSettings, loaded: LoadedImage,
                qualities: Sequence[int] = SET_QUALITIES) -> list[tuple[RatePoint, bytes]]:
    """One image's candidates for a set budget: (quality, bytes, squared error) and the
    file, at each quality (qualities outside the codec's range are clipped into it, once
    each). A pure, picklable job: any executor runs it."""
    from msroi.decoders.base import shared_decoder

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

    from msroi.parallel import InlineExecutor, run_unordered

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


def compress_files_to_total(plan, settings: CompressSettings, total_budget: str, *, jobs: int = 1,
                            dask: str | None = None, overwrite: bool = False,
                            max_pixels: int | None = None, accept_damaged: bool = False,
                            progress: bool = True):
    """A folder (a :class:`~msroi.batch.plan.Plan`) under one budget for all its files
    together (``total_budget`` text, e.g. ``0.3bpp`` over the set): every readable image is
    loaded, :func:`compress_set` allocates the bytes, each output is written under the
    folder's lock and manifest with the same no-overwrite rules as a per-file run (no
    resume: the allocation is over the whole set). Returns the
    :class:`~msroi.batch.run.BatchReport`, its ``total`` a line on what the set used."""
    from contextlib import nullcontext

    from msroi.parallel import make_executor
    from msroi.batch.manifest import FolderLock, InputIdentity
    from msroi.batch.run import BatchReport, OutputFolder, preflight, write_output, write_report

    preflight(plan, overwrite)
    report = BatchReport()
    with FolderLock(plan.folder) if plan.folder else nullcontext():
        outputs = OutputFolder(plan.folder, overwrite=overwrite)
        rows, loaded, kept = {}, [], []
        for src, dst in plan.pairs:
            rows[src] = {"input": str(src), "output": str(dst)}
            try:
                refusal = outputs.refusal(dst, (src,))
                if refusal:
                    raise MsroiError(refusal)
                loaded.append(load_image(src, max_pixels=max_pixels, accept_damaged=accept_damaged))
                kept.append((src, dst, InputIdentity.of(src)))
            except MsroiError as exc:
                rows[src].update(status="failed", error=str(exc))
        if loaded:
            total = as_budget(total_budget).total_bytes([one.pixels for one in loaded])
            executor = make_executor(min(jobs, len(loaded)), dask)
            try:
                results = compress_set(loaded, total, settings, executor=executor, progress=progress)
            finally:
                executor.close()
            for (src, dst, identity), result in zip(kept, results):
                row = rows[src]
                row.update(status="done", bytes=result.num_bytes, target_bytes=total,
                           bpp=round(result.bpp, 4), quality=result.report["quality"],
                           method=settings.method)
                if outputs.replaces(dst):
                    row["replaced"] = str(dst)
                write_output(outputs, dst, result.data, identity, "total-budget", row)
            used = sum(r.num_bytes for r in results)
            pixels = sum(one.pixels.shape[0] * one.pixels.shape[1] for one in loaded)
            report.total = (f"total {used} bytes of {total} allowed ({8 * used / pixels:.4f} bpp "
                            f"over {len(results)} images)")
        report.rows = plan.problem_rows() + [rows[src] for src, _ in plan.pairs]
        if plan.folder is not None:
            write_report(report, outputs)
        outputs.close()
    return report
