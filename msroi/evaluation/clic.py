"""CLIC-style submissions: a folder of images -> standard JPEGs under a track's rule, a
decoder program, and the set's numbers as CLIC computes them.

Tracks: ``lowrate`` (all files together at most 0.15 bits per pixel of the set, bytes
allocated where they lower the set's squared error after the decoder most: equal slope)
and ``transparent`` (the smallest total bytes whose decoded set reaches PSNR >= 40 dB and
MS-SSIM >= 0.993: the equal-slope allocation searched over the total). Every image is
encoded once per quality as :func:`msroi.batch.sets.rate_points` jobs on the one executor;
the error is measured after the chosen decoder (the post-filter by default), so the
allocation knows what the decoder will show. ``msroi clic pack DIR --track lowrate -o OUT``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from msroi.errors import BudgetError, InvalidArgumentError, MsroiError

TRACKS = ("lowrate", "transparent")
LOWRATE_BPP = 0.15
TRANSPARENT_PSNR, TRANSPARENT_MS_SSIM = 40.0, 0.993
#: Qualities tried per image, per track.
TRACK_QUALITIES = {"lowrate": (5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 18, 20, 23, 26, 30, 35, 40),
                   "transparent": tuple(range(60, 99, 2))}

DECODER_PROGRAM = '''"""CLIC decoder: run with no arguments in this folder; every .jpg becomes a .png of the
same size, decoded by msroi's {decoder} decoder (pip install msroi)."""
from pathlib import Path

from msroi.decoders.base import get_decoder
from msroi.io import encode_png

decoder = get_decoder("{decoder}")
for path in sorted(Path(".").glob("*.jpg")):
    path.with_suffix(".png").write_bytes(encode_png(decoder.decode(path.read_bytes())))
'''


@dataclass
class Submission:
    """The chosen files (in the order of the images), what they decode to and the set's
    numbers: ``summary`` (images, total bytes, limit, bpp, psnr, ms_ssim) and ``rows``."""

    files: list[bytes]
    decoded: list[np.ndarray]
    summary: dict
    rows: list[dict] = field(default_factory=list)


def set_numbers(originals: list[np.ndarray], decoded: list[np.ndarray], sizes: list[int]) -> dict:
    """CLIC's aggregates: bits per pixel of the set, PSNR of one MSE over all RGB samples,
    MS-SSIM averaged with pixel weights over the images of at least 161 pixels a side (nan
    if none is that large: the MS-SSIM rule is then not applied)."""
    from msroi.metrics import (
        bits_per_pixel,
        dataset_psnr,
        multiscale_structural_similarity,
        pixel_weighted_mean,
    )

    pixels = [o.shape[0] * o.shape[1] for o in originals]
    scores = [multiscale_structural_similarity(o, d) if min(o.shape[:2]) >= 161 else float("nan")
              for o, d in zip(originals, decoded)]
    scored = [i for i, value in enumerate(scores) if not np.isnan(value)]
    return {"images": len(originals), "total_bytes": int(sum(sizes)),
            "bpp": bits_per_pixel(sum(sizes), sum(pixels)),
            "psnr": dataset_psnr(list(zip(originals, decoded))),
            "ms_ssim": pixel_weighted_mean([scores[i] for i in scored], [pixels[i] for i in scored])
            if scored else float("nan"), "ms_ssim_per_image": scores}


def pack(images: list, track: str, settings, *, executor=None, progress: bool = True,
         bpp: float = LOWRATE_BPP) -> Submission:
    """The submission of ``images`` (:class:`msroi.io.LoadedImage`) for ``track`` with the
    codec, map and decoder of ``settings`` (:class:`msroi.batch.CompressSettings`);
    ``bpp``: the low-rate track's limit (CLIC's 0.15 by default). The transparent track
    offers each image at 4:2:0 and at 4:4:4 unless the codec settings name a subsampling."""
    from msroi.batch.sets import set_rate_points
    from msroi.decoders.base import shared_decoder
    from msroi.rate import allocate

    if track not in TRACKS:
        raise InvalidArgumentError(f"unknown track '{track}' (choose from {', '.join(TRACKS)})")
    variants = _variants(settings, track)
    originals = [loaded.pixels for loaded in images]
    ladders = [set_rate_points(images, variant, TRACK_QUALITIES[track], executor=executor,
                               progress=progress) for variant in variants]
    options = [sum((ladder[n] for ladder in ladders), []) for n in range(len(images))]
    sources = [[v for v, ladder in enumerate(ladders) for _ in ladder[n]] for n in range(len(images))]
    decoder = shared_decoder(settings.decoder)
    decoded_cache: dict[tuple[int, int], np.ndarray] = {}

    def choose(total: int) -> tuple[list[int], list[np.ndarray]]:
        chosen = allocate([[p for p, _ in o] for o in options], total)
        decoded = []
        for n, k in enumerate(chosen):
            if (n, k) not in decoded_cache:
                decoded_cache[(n, k)] = decoder.decode(options[n][k][1])
            decoded.append(decoded_cache[(n, k)])
        return chosen, decoded

    if track == "lowrate":
        limit = int(bpp * sum(o.shape[0] * o.shape[1] for o in originals) / 8)
        chosen, decoded = choose(limit)
    else:
        limit, chosen, decoded = _smallest_transparent(options, originals, choose)
    files = [options[n][k][1] for n, k in enumerate(chosen)]
    summary = set_numbers(originals, decoded, [len(f) for f in files])
    rows = [{"bytes": len(f), "quality": options[n][k][0].quality,
             "subsampling": variants[sources[n][k]].codec_options.get("subsampling", ""),
             "bpp": 8.0 * len(f) / (o.shape[0] * o.shape[1]), "ms_ssim": score}
            for n, (k, f, o, score) in enumerate(zip(chosen, files, originals,
                                                     summary.pop("ms_ssim_per_image")))]
    summary.update(limit_bytes=limit, track=track, decoder=decoder.name)
    return Submission(files, decoded, summary, rows)


def _variants(settings, track: str) -> list:
    """The settings each image is offered in: as given, or on the transparent track (where
    the codec has the setting and it is not given) at 4:2:0 and at 4:4:4. Near 40 dB halved
    chroma is cheaper on some photos (Kodak, mozjpeg: 3.49 MB at 4:2:0 against 3.81 MB at
    4:4:4) and out of reach on others: both go into every image's ladder and the allocation
    picks per image."""
    from msroi.codecs.registry import CODECS

    fields = {f.name for f in dataclasses.fields(CODECS.get_class(settings.method).Settings)}
    if track != "transparent" or "subsampling" not in fields or "subsampling" in settings.codec_options:
        return [settings]
    return [dataclasses.replace(settings, codec_options={**settings.codec_options, "subsampling": sampling})
            for sampling in ("4:2:0", "4:4:4")]


def _smallest_transparent(options: list, originals: list, choose) -> tuple[int, list, list]:
    """(total bytes, chosen option per image, decoded images) of the smallest total whose
    allocation (``choose``) meets both transparent thresholds, bisected to within 0.05%:
    PSNR from the rate points' squared errors (already after the decoder), MS-SSIM per
    chosen file (images of at least 161 pixels a side, pixel-weighted), each computed once."""
    from msroi.metrics import multiscale_structural_similarity, pooled_psnr

    low = sum(min(p.num_bytes for p, _ in o) for o in options)
    high = sum(max(p.num_bytes for p, _ in o) for o in options)
    samples = sum(o.size for o in originals)
    weights = [o.shape[0] * o.shape[1] if min(o.shape[:2]) >= 161 else 0 for o in originals]
    scores: dict[tuple[int, int], float] = {}

    def meets(total: int):
        chosen, decoded = choose(total)
        psnr = pooled_psnr(sum(options[n][k][0].sse for n, k in enumerate(chosen)), samples)
        for n, k in enumerate(chosen):
            if weights[n] and (n, k) not in scores:
                scores[(n, k)] = multiscale_structural_similarity(originals[n], decoded[n])
        ms_ssim = (sum(weights[n] * scores[(n, k)] for n, k in enumerate(chosen) if weights[n])
                   / sum(weights)) if sum(weights) else float("nan")
        return psnr >= TRANSPARENT_PSNR and not ms_ssim < TRANSPARENT_MS_SSIM, chosen, decoded

    ok, chosen, decoded = meets(high)
    if not ok:
        raise BudgetError(f"even the largest files tried (quality {TRACK_QUALITIES['transparent'][-1]}) "
                          f"miss PSNR {TRANSPARENT_PSNR} dB / MS-SSIM {TRANSPARENT_MS_SSIM}")
    while high - low > max(64, high // 2000):  # the smallest total that still meets both
        middle = (low + high) // 2
        ok_middle, chosen_middle, decoded_middle = meets(middle)
        if ok_middle:
            high, chosen, decoded = middle, chosen_middle, decoded_middle
        else:
            low = middle
    return high, chosen, decoded


def pack_folder(input_folder: str | Path, output: str | Path, track: str, settings, *,
                bpp: float = LOWRATE_BPP, overwrite: bool = False, accept_damaged: bool = False,
                jobs: int = 1, dask: str | None = None, progress: bool = True
                ) -> tuple[Submission, list[Path]]:
    """Every photo of ``input_folder`` packed for ``track`` (:func:`pack`) and written as a
    submission into ``output`` (:func:`write_submission`); every target is checked before
    anything is computed, and a submission folder inside the input folder is never read as
    input (a rerun would pack the previous submission's JPEGs). Returns the submission and
    the paths written."""
    from msroi import io
    from msroi.parallel import make_executor

    walk = io.walk_images(input_folder, skip=[output])
    for path, reason in walk.problems:
        raise MsroiError(f"{path}: {reason}")
    if not walk.files:
        raise MsroiError(f"{input_folder}: no image files found")
    io.check_output_folder(output)
    check_submission(walk.files, output, overwrite=overwrite)
    images = [io.load_image(f, accept_damaged=accept_damaged) for f in walk.files]
    executor = make_executor(min(jobs, len(images)), dask)
    try:
        submission = pack(images, track, settings, executor=executor, progress=progress, bpp=bpp)
    finally:
        executor.close()
    written = write_submission(submission, walk.files, output, decoder=settings.decoder,
                               overwrite=overwrite)
    return submission, written


def submission_targets(inputs: list[Path], out: str | Path) -> list[Path]:
    """The files a submission of ``inputs`` writes into ``out``: ``<input stem>.jpg`` each,
    ``decode.py``, ``report.csv``. :class:`MsroiError` naming both inputs where two would
    share a file name (compared case-insensitively)."""
    out = Path(out)
    seen: dict[str, Path] = {}
    for path in inputs:
        key = f"{path.stem}.jpg".casefold()
        if key in seen:
            raise MsroiError(f"{seen[key]} and {path}: both would be {path.stem}.jpg in the "
                             f"submission {out}; rename one")
        seen[key] = path
    return [out / f"{p.stem}.jpg" for p in inputs] + [out / "decode.py", out / "report.csv"]


def check_submission(inputs: list[Path], out: str | Path, *, overwrite: bool = False) -> None:
    """Refuses (one line), before any work, a submission that would write over an input, a
    folder or device, or a file msroi did not write (unless ``overwrite``); files an earlier
    pack wrote there may be replaced, so the same command can be run again."""
    from msroi.batch.run import OutputFolder

    outputs = OutputFolder(Path(out), overwrite=overwrite)
    for target in submission_targets(inputs, out):
        if refusal := outputs.refusal(target, tuple(inputs)):
            raise MsroiError(refusal)


def report_csv(submission: Submission, inputs: list[Path]) -> bytes:
    """``report.csv`` of a submission: one line per image."""
    header = "image,bytes,quality,subsampling,bpp,ms_ssim\n"
    lines = [f"{f.name},{r['bytes']},{r['quality']},{r['subsampling']},{r['bpp']:.5f},"
             f"{r['ms_ssim']:.5f}\n" for f, r in zip(inputs, submission.rows)]
    return (header + "".join(lines)).encode()


def write_submission(submission: Submission, inputs: list[Path], out: str | Path, *,
                     decoder: str, overwrite: bool = False) -> list[Path]:
    """The files, ``decode.py`` and ``report.csv`` into ``out``, each written atomically
    and recorded in the folder's manifest, under its lock; nothing is written if
    :func:`check_submission` refuses. Returns the paths written."""
    from msroi.batch.manifest import FolderLock
    from msroi.batch.run import OutputFolder

    out = Path(out)
    targets = submission_targets(inputs, out)
    contents = submission.files + [DECODER_PROGRAM.format(decoder=decoder).encode(),
                                   report_csv(submission, inputs)]
    with FolderLock(out):
        check_submission(inputs, out, overwrite=overwrite)
        outputs = OutputFolder(out, overwrite=overwrite)
        try:
            for target, data in zip(targets, contents):
                outputs.write(target, data)
        finally:
            outputs.close()
    return targets
