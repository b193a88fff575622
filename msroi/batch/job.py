"""The per-file job: a file's bytes and the run's settings -> JPEG bytes and a report row.

Pure and picklable, so any executor runs it (in this process, a local process pool, a
Dask cluster): it reads no path and writes nothing; the bytes travel with the job, so
workers need no shared file system. Errors a user can cause come back as one-line
messages, never as exceptions, so one bad file cannot take down a worker or the run.
"""

from __future__ import annotations

import hashlib
import json
import time
import traceback
from dataclasses import asdict, dataclass, field
from typing import Any

from msroi.errors import MsroiError
from msroi.io import DEFAULT_MAX_FILE_BYTES
from msroi.codecs.registry import DEFAULT_METHOD
from msroi.rate import DEFAULT_BUDGET

#: Report columns, in order (a column a run has no value for stays empty).
REPORT_COLUMNS = ("input", "output", "status", "bytes", "target_bytes", "bpp", "quality",
                  "method", "top_class", "seconds_read", "seconds_map", "seconds_encode",
                  "seconds_write", "warning", "replaced", "error")
#: Columns of the quality-target mode (``--match``), after those.
MATCH_COLUMNS = ("match_quality", "target_map_psnr", "map_psnr", "psnr_hvs_m",
                 "mozjpeg_psnr_hvs_m_same_bytes", "guard_met", "strength", "standard_bytes",
                 "mozjpeg_bytes", "saved_vs_standard", "saved_vs_mozjpeg")
#: Default pixel limit of batch runs: the work on one image peaked at ~50 bytes per pixel
#: (RSS of `msroi compress` on 6 and 24 megapixel photos: 1.10 and 2.00 GB, of which ~0.8 GB
#: is the runtime and model), so 40 megapixels keep one image's work under ~2 GB.
DEFAULT_BATCH_MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class CompressSettings:
    """Everything that decides the output of a file, besides the file itself.

    ``budget``: budget text (``q50``, ``30kB``, ``0.5bpp``); ``codec_options``: settings
    of the codec ``method`` (its :class:`~msroi.codecs.base.CodecSettings` fields);
    ``map_options``: of :func:`msroi.maps.semantic_map` (``recipe``, ``top_k``,
    ``combine``, ``working_size``, ``runtime``); ``importance_png``: a given map (8-bit grey
    image bytes) instead of computing one (single-file runs); ``decoder``: the decoder a
    set budget measures the error after (:mod:`msroi.decoders.base`); ``accept_damaged``: read
    damaged JPEGs anyway (:func:`msroi.io.jpeg_damage`); ``max_pixels``, ``max_bytes``:
    the largest image and input file read (the map too); ``match`` (``q80``) instead of
    ``budget``: the smallest file that matches the standard JPEG at that quality where the
    map looks, ``match_floor`` dB of whole-image slack against mozjpeg
    (:func:`msroi.pipeline.compress_to_quality`).
    """

    method: str = DEFAULT_METHOD
    budget: str = DEFAULT_BUDGET
    codec_options: dict[str, Any] = field(default_factory=dict)
    model: str | None = None
    map_options: dict[str, Any] = field(default_factory=dict)
    keep_metadata: bool = True
    max_pixels: int = DEFAULT_BATCH_MAX_PIXELS
    importance_file: str | None = None
    importance_png: bytes | None = None
    decoder: str = "standard"
    accept_damaged: bool = False
    max_bytes: int = DEFAULT_MAX_FILE_BYTES
    match: str | None = None
    match_floor: float = 0.0

    def digest(self) -> str:
        """A hash of the settings and the msroi version: a rerun redoes a file whose
        digest changed."""
        from msroi import __version__

        values = asdict(self)
        values["importance_png"] = (hashlib.sha256(self.importance_png).hexdigest()
                                    if self.importance_png else None)
        values["importance_file"] = None  # its bytes count, not its name
        values["max_pixels"] = values["max_bytes"] = None  # guards, not output settings
        text = json.dumps({"version": __version__, **values}, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class JobResult:
    """``data``: the JPEG file (None if the file failed); ``row``: report fields;
    ``error``: one line naming the file; ``warning``: one line, the file still done."""

    name: str
    data: bytes | None = None
    row: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    warning: str | None = None


def compress_file(settings: CompressSettings, name: str, data: bytes) -> JobResult:
    """Compresses one file given as bytes; ``name`` is its path, for messages only."""
    try:
        return _compress(settings, name, data)
    except MsroiError as exc:
        return JobResult(name, error=str(exc))
    except MemoryError:
        return JobResult(name, error=f"{name}: out of memory (lower --max-pixels or --jobs)")
    except Exception as exc:  # one file's bug must not end the run; the message names it
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return JobResult(name, error=f"{name}: unexpected error: {detail}")


def _compress(settings: CompressSettings, name: str, data: bytes) -> JobResult:
    from msroi import pipeline
    from msroi.arrays import map_from_uint8
    from msroi.io import load_image, read_grayscale

    start = time.perf_counter()
    loaded = load_image(name, data=data, max_pixels=settings.max_pixels,
                        accept_damaged=settings.accept_damaged)
    seconds_read = time.perf_counter() - start
    importance = None
    if settings.importance_png is not None:
        grey = read_grayscale(settings.importance_file or "--map", data=settings.importance_png,
                              max_pixels=settings.max_pixels, accept_damaged=settings.accept_damaged)
        importance = map_from_uint8(grey, loaded.pixels.shape[:2])
    start = time.perf_counter()
    from msroi.rate import QualityTarget

    match = QualityTarget.parse(settings.match, settings.match_floor) if settings.match else None
    result = pipeline.compress(loaded, importance=importance, model=settings.model,
                               method=settings.method, budget=None if match else settings.budget,
                               codec_options=settings.codec_options, match=match,
                               keep_metadata=settings.keep_metadata, **settings.map_options)
    total = time.perf_counter() - start
    report = result.report
    top = report.get("top_classes") or []
    seconds_map = report.get("seconds_map", 0.0)
    row = {"bytes": report["bytes"], "target_bytes": report["target_bytes"],
           "bpp": round(report["bpp"], 4), "quality": report["quality"],
           "method": report["method"], "top_class": top[0][1] if top else "",
           "seconds_read": round(seconds_read, 4), "seconds_map": round(seconds_map, 4),
           "seconds_encode": round(total - seconds_map, 4)}
    for key in MATCH_COLUMNS if report.get("match_quality") else ():  # the --match numbers
        if report.get(key) is not None:
            row[key] = round(report[key], 4) if isinstance(report[key], float) else report[key]
    warning = None
    if loaded.frames > 1:
        warning = f"{name}: {loaded.frames} frames (animated or multi-page); only the first was compressed"
        row["warning"] = warning
    return JobResult(name, data=result.data, row=row, warning=warning)
