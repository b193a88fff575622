"""The whole path: image -> map -> codec -> rate control -> JPEG bytes."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from msroi.importance import check_map
from msroi.io import LoadedImage, load_image
from msroi.jpeg import CODECS
from msroi.jpeg.codec import CompressResult
from msroi.maps import DEFAULT_TOP_K, DEFAULT_WORKING_SIZE, semantic_map
from msroi.rate import DEFAULT_REFERENCE_QUALITY, Budget, compress_to_budget

if TYPE_CHECKING:  # TensorFlow loads when a map is made, not when this module is imported
    from msroi.nn.classifier import Classifier

DEFAULT_METHOD = "rdq"  # beats mozjpeg in the objects at equal bytes (README, "Results")


def as_budget(budget: Budget | int | float | str | None) -> Budget:
    """A Budget from a Budget, a byte count (int), a bpp (float) or text (``q50``, ``0.5bpp``)."""
    if budget is None:
        return Budget(jpeg_quality=DEFAULT_REFERENCE_QUALITY)
    if isinstance(budget, Budget):
        return budget
    if isinstance(budget, bool):
        raise TypeError("budget cannot be a bool")
    if isinstance(budget, int):
        return Budget(max_bytes=budget)
    if isinstance(budget, float):
        return Budget(bpp=budget)
    return Budget.parse(str(budget))


def compress(
    image: np.ndarray | str | os.PathLike | LoadedImage,
    *,
    importance: np.ndarray | None = None,
    model: Classifier | str | None = None,
    method: str = DEFAULT_METHOD,
    budget: Budget | int | float | str | None = None,
    map_method: str | None = None,
    top_k: int = DEFAULT_TOP_K,
    combine: str = "paper",
    working_size: int | None = DEFAULT_WORKING_SIZE,
    codec_options: dict[str, Any] | None = None,
    keep_metadata: bool = True,
) -> CompressResult:
    """Compresses one image into a standard JPEG no larger than ``budget``.

    ``image``: RGB uint8 (H, W, 3), a file path, or a :class:`~msroi.io.LoadedImage`
    (EXIF and ICC of files are carried over unless ``keep_metadata`` is False).
    ``importance``: a float32 (H, W) map in [0, 1]; computed with ``model`` (default: the
    shipped default map model) when not given. ``budget``: default the size of the standard
    JPEG at quality 50. ``method``: a name from :data:`msroi.jpeg.CODECS`; ``map_method``,
    ``top_k``, ``combine``, ``working_size``: see :func:`msroi.maps.semantic_map`.
    Returns the bytes and a report (bytes, bpp, quality, target, top classes, timings).
    """
    if isinstance(image, (str, os.PathLike)):
        loaded = load_image(image)
    elif isinstance(image, LoadedImage):
        loaded = image
    else:
        loaded = LoadedImage(pixels=np.asarray(image))
    pixels = loaded.pixels
    if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
        raise ValueError(f"expected an RGB uint8 image (H, W, 3), got {pixels.dtype} {pixels.shape}")
    if pixels.shape[0] == 0 or pixels.shape[1] == 0:
        raise ValueError(f"the image has no pixels (shape {pixels.shape})")
    if method not in CODECS:
        raise ValueError(f"unknown method '{method}' (choose from {', '.join(CODECS)})")
    codec = CODECS[method](**(codec_options or {}))
    report: dict[str, Any] = {}
    if importance is None:
        start = time.perf_counter()
        made = semantic_map(pixels, model, method=map_method, top_k=top_k, combine=combine,
                            working_size=working_size)
        importance = made.map
        report.update(map_model=made.model, top_classes=made.classes,
                      seconds_map=time.perf_counter() - start)
    else:
        importance = check_map(importance, pixels.shape[:2])
    result = compress_to_budget(
        codec, pixels, importance, as_budget(budget),
        exif=loaded.exif if keep_metadata else None,
        icc_profile=loaded.icc_profile if keep_metadata else None,
        label=loaded.path or "image")
    result.report.update(report)
    result.report["bpp"] = result.bpp
    return result


def compress_set(images: list[LoadedImage], total_bytes: int, *, model=None,
                 method: str = DEFAULT_METHOD, qualities=(2, 4, 6, 8, *range(10, 96, 5)),
                 codec_options: dict[str, Any] | None = None, keep_metadata: bool = True,
                 progress: bool = True, map_method: str | None = None,
                 **map_options) -> list[CompressResult]:
    """Compresses a set of images to at most ``total_bytes`` together (CLIC's low-rate
    rule), spending the bytes where they lower the set's total squared error most
    (:func:`msroi.rate.allocate`). Each image is encoded at every quality in ``qualities``
    once; results keep the chosen file of each image, in order."""
    from tqdm import tqdm

    from msroi.jpeg.standard import decode
    from msroi.rate import RatePoint, allocate

    codec = CODECS[method](**(codec_options or {}))
    candidates: list[list[tuple[RatePoint, bytes]]] = []
    for loaded in tqdm(images, unit="img", desc="rate points", disable=not progress):
        pixels = loaded.pixels
        importance = semantic_map(pixels, model, method=map_method, **map_options).map
        prepared = codec.prepare(pixels, importance)
        exif = loaded.exif if keep_metadata else None
        icc = loaded.icc_profile if keep_metadata else None
        options = []
        for q in qualities:
            data = codec.encode(prepared, q, exif=exif, icc_profile=icc)
            error = float(((decode(data).astype(np.float64) - pixels) ** 2).sum())
            options.append((RatePoint(q, len(data), error), data))
        candidates.append(options)
    chosen = allocate([[p for p, _ in options] for options in candidates], total_bytes)
    results = []
    for loaded, options, index in zip(images, candidates, chosen):
        point, data = options[index]
        results.append(CompressResult(data, loaded.pixels.shape[:2], {
            "method": method, **codec.options(), "quality": point.quality,
            "bytes": point.num_bytes, "total_budget": total_bytes}))
    return results
