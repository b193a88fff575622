"""The whole path for one image: image -> map -> codec -> rate control -> JPEG bytes
(many images under one budget: :mod:`msroi.batch.sets`)."""

from __future__ import annotations

import numbers
import os
import time
from typing import Any

import numpy as np

from msroi.errors import BudgetError, InvalidArgumentError
from msroi.arrays import check_map, check_rgb
from msroi.io import LoadedImage, load_image
from msroi.codecs.base import Codec, CompressResult
from msroi.codecs.registry import CODECS, DEFAULT_METHOD
from msroi.jpeg.standard import encode_pillow
from msroi.maps import DEFAULT_TOP_K, DEFAULT_WORKING_SIZE, semantic_map
from msroi.rate import (DEFAULT_REFERENCE_QUALITY, Budget, QualityTarget, compress_to_budget,
                        lowest_reaching)
from msroi.runtime import MapNetwork


def as_budget(budget: Budget | int | float | str | None) -> Budget:
    """A Budget from a Budget, a byte count (int), a bpp (float) or text (``q50``, ``0.5bpp``)."""
    if budget is None:
        return Budget(jpeg_quality=DEFAULT_REFERENCE_QUALITY)
    if isinstance(budget, Budget):
        return budget
    if isinstance(budget, bool):
        raise InvalidArgumentError("budget cannot be a bool")
    if isinstance(budget, numbers.Integral):
        return Budget(max_bytes=int(budget))
    if isinstance(budget, numbers.Real):
        return Budget(bpp=float(budget))
    return Budget.parse(str(budget))


def as_loaded(image: np.ndarray | str | os.PathLike | LoadedImage) -> LoadedImage:
    """A :class:`~msroi.io.LoadedImage` from a file path (read with its EXIF and ICC), a
    LoadedImage, or pixels."""
    if isinstance(image, (str, os.PathLike)):
        return load_image(image)
    if isinstance(image, LoadedImage):
        return image
    return LoadedImage(pixels=np.asarray(image))


def make_codec(method: str | Codec, options: dict[str, Any] | None = None) -> Codec:
    """A codec by registered name (see :data:`msroi.codecs.registry.CODECS`) with keyword
    settings, or the codec given."""
    if isinstance(method, Codec):
        return method
    try:
        return CODECS.get_class(method)(**(options or {}))
    except TypeError as exc:  # a setting the codec does not have
        raise InvalidArgumentError(str(exc)) from None


def compress(
    image: np.ndarray | str | os.PathLike | LoadedImage,
    *,
    importance: np.ndarray | None = None,
    model: MapNetwork | str | None = None,
    method: str = DEFAULT_METHOD,
    budget: Budget | int | float | str | None = None,
    recipe: str | None = None,
    top_k: int = DEFAULT_TOP_K,
    combine: str = "ranking",
    working_size: int | None = DEFAULT_WORKING_SIZE,
    runtime: str = "auto",
    codec_options: dict[str, Any] | None = None,
    keep_metadata: bool = True,
    match: QualityTarget | str | None = None,
) -> CompressResult:
    """Compresses one image into a standard JPEG no larger than ``budget``.

    Parameters
    ----------
    image : ndarray, str, os.PathLike or LoadedImage
        RGB uint8 (H, W, 3), a file path, or a :class:`~msroi.io.LoadedImage` (a file's EXIF
        and ICC profile are carried over unless ``keep_metadata`` is False).
    importance : ndarray, optional
        The importance map, float32 (H, W) in [0, 1]; made with ``model`` when not given.
    model : MapNetwork or str, optional
        The map network or a preset's name (default: the default map model).
    method : str
        A codec's name in :data:`msroi.codecs.CODECS` (default ``"rdq"``).
    budget : Budget, int, float or str, optional
        Bytes (``30000``, ``"30kB"``), bits per pixel (``"0.5bpp"``) or the size of the
        standard JPEG at a quality (``"q50"``, the default).
    recipe, top_k, combine, working_size, runtime
        How the map is made: see :func:`msroi.maps.semantic_map`.
    codec_options : dict, optional
        Settings of the codec (for ``rdq``: ``strength``, ``subsampling`` ...).
    keep_metadata : bool
        Carry EXIF and ICC over from a file (default True).
    match : QualityTarget or str, optional
        Instead of ``budget``: the smallest file as good as the standard JPEG at this quality
        (``"q80"``) where the map looks, its whole image guarded against mozjpeg's
        (:func:`compress_to_quality`).

    Returns
    -------
    CompressResult
        ``data`` (the JPEG bytes), ``shape`` (H, W) and ``report`` (bytes, bits per pixel,
        quality, target bytes, top classes, seconds per stage).
    """
    loaded = as_loaded(image)
    pixels = check_rgb(loaded.pixels)
    codec = make_codec(method, codec_options)
    report: dict[str, Any] = {}
    if importance is None:
        start = time.perf_counter()
        made = semantic_map(pixels, model, recipe=recipe, top_k=top_k, combine=combine,
                            working_size=working_size, runtime=runtime)
        importance = made.map
        report.update(map_model=made.model, top_classes=made.classes,
                      seconds_map=time.perf_counter() - start)
    else:
        importance = check_map(importance, pixels.shape[:2])
    metadata = {"exif": loaded.exif if keep_metadata else None,
                "icc_profile": loaded.icc_profile if keep_metadata else None}
    if match is not None:
        if budget is not None:
            raise InvalidArgumentError("give a budget or a quality to match, not both")
        target = match if isinstance(match, QualityTarget) else QualityTarget.parse(str(match))
        result = compress_to_quality(codec, pixels, importance, target, **metadata,
                                     label=loaded.path or "image")
    else:
        result = compress_to_budget(codec, pixels, importance, as_budget(budget), **metadata,
                                    label=loaded.path or "image")
    result.report.update(report)
    result.report["bpp"] = result.bpp
    return result


#: Strengths tried, as shares of the codec's own, when the whole-image guard fails: less
#: skew towards the map costs the map-weighted match little and gives the rest back.
GUARD_STRENGTH_SHARES = (0.5, 0.25, 0.0)


def _guarded_candidates(codec: Codec) -> list[Codec]:
    """The codec, then (for codecs with a strength knob) the same at smaller strengths."""
    if "strength" not in codec.knobs or not codec.options().get("strength"):
        return [codec]
    options = codec.options()
    return [codec] + [type(codec)(**{**options, "strength": options["strength"] * share})
                      for share in GUARD_STRENGTH_SHARES]


def compress_to_quality(codec: Codec, image: np.ndarray, importance: np.ndarray,
                        target: QualityTarget, *, exif: bytes | None = None,
                        icc_profile: bytes | None = None, label: str = "image") -> CompressResult:
    """The smallest file of ``codec`` whose map-weighted PSNR (:func:`msroi.metrics.weighted_psnr`,
    weighted as the codec weighs errors: :meth:`Codec.distortion_weights`) reaches the
    standard JPEG's at ``target.jpeg_quality`` (the quality knob bisected, in memory), with
    its whole-image PSNR-HVS-M (:func:`msroi.metrics.psnr_hvs_m_rgb`) at most ``target.floor_db`` below mozjpeg's at the same
    bytes: where the codec's own setting fails that guard, the same codec at smaller
    strengths (:data:`GUARD_STRENGTH_SHARES`) is matched instead, the first that passes
    taken (the last tried if none does; the report says). The report says the bytes saved
    against the standard JPEG at that quality and against the smallest mozjpeg file that
    matches it where the map looks. Raises :class:`BudgetError` if no quality reaches it."""
    from msroi.jpeg.standard import decode, encode_mozjpeg
    from msroi.metrics import psnr_hvs_m_rgb, weighted_psnr

    start = time.perf_counter()
    weights = codec.distortion_weights(importance)  # where the encoder itself says it matters
    standard = encode_pillow(image, target.jpeg_quality)
    goal = weighted_psnr(image, decode(standard), weights)
    peer = CODECS.get_class("mozjpeg")()
    chosen = None
    for candidate in _guarded_candidates(codec):
        low, high = candidate.quality_range
        with candidate.prepare(image, importance) as state:
            files: dict[int, bytes] = {}

            def encode(quality: int) -> bytes:
                if quality not in files:
                    files[quality] = candidate.encode(state, quality, exif=exif,
                                                      icc_profile=icc_profile)
                return files[quality]

            quality = lowest_reaching(
                lambda q: weighted_psnr(image, decode(encode(q)), weights), goal,
                low=low, high=high)
            if quality is None:
                continue
            data = encode(quality)
        same_bytes = compress_to_budget(peer, image, importance, Budget(max_bytes=len(data)))
        ours, theirs = (psnr_hvs_m_rgb(image, decode(d)) for d in (data, same_bytes.data))
        chosen = (candidate, quality, data, ours, theirs)
        if ours >= theirs - target.floor_db:
            break
    if chosen is None:
        raise BudgetError(f"{label}: no {codec.name} quality reaches {target}")
    candidate, quality, data, ours, theirs = chosen
    moz_quality = lowest_reaching(
        lambda q: weighted_psnr(image, decode(encode_mozjpeg(image, q)), weights), goal)
    moz_bytes = len(encode_mozjpeg(image, moz_quality)) if moz_quality else None
    report = {"method": candidate.name, **candidate.options(), "quality": quality,
              "bytes": len(data), "target_bytes": len(standard), "budget": str(target),
              "match_quality": target.jpeg_quality, "target_map_psnr": goal,
              "map_psnr": weighted_psnr(image, decode(data), weights),
              "psnr_hvs_m": ours, "mozjpeg_psnr_hvs_m_same_bytes": theirs,
              "guard_met": bool(ours >= theirs - target.floor_db),
              "standard_bytes": len(standard), "mozjpeg_bytes": moz_bytes,
              "saved_vs_standard": 1 - len(data) / len(standard),
              "saved_vs_mozjpeg": 1 - len(data) / moz_bytes if moz_bytes else None,
              "seconds_search": time.perf_counter() - start}
    return CompressResult(data, image.shape[:2], report)
