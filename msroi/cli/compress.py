"""``msroi compress``: a photo, a folder tree or a pipe -> standard JPEGs."""

from __future__ import annotations

import argparse
import sys

from msroi.cli.options import (add_codec_options, add_damaged_option, add_executor_options,
                               add_input_output, add_map_options, budget_text, check_model,
                               compress_settings, int_in_range, parse_with)
from msroi.errors import MsroiError


def arguments(p: argparse.ArgumentParser) -> None:
    from msroi.codecs.registry import CODECS, DEFAULT_METHOD
    from msroi.rate import QualityTarget

    add_input_output(p, given="image", written=".jpg")
    p.add_argument("--budget", type=budget_text, default=None, help=(
        "size limit: q50 = no larger than the standard JPEG at quality 50 (default), "
        "30000 or 30kB = bytes, 0.5bpp = bits per pixel"))
    p.add_argument("--match", type=parse_with(lambda t: str(QualityTarget.parse(t).jpeg_quality)),
                   metavar="qN", help=(
        "instead of a size: the smallest file as good as the standard JPEG at quality N where "
        "the map looks (map-weighted PSNR), its whole image (PSNR-HVS-M) not below mozjpeg's "
        "at the same bytes; e.g. --match q80"))
    p.add_argument("--match-floor", type=float, default=0.0, metavar="DB", help=(
        "with --match: how many dB of whole-image PSNR-HVS-M below mozjpeg's at the same "
        "bytes are allowed (default 0; negative demands more)"))
    p.add_argument("--method", choices=list(CODECS), default=DEFAULT_METHOD, help=(
        "; ".join(f"{name} = {CODECS[name].description}" for name in CODECS)
        + f" (default {DEFAULT_METHOD})"))
    add_codec_options(p)
    p.add_argument("--total-budget", type=budget_text, help=(
        "folder: one budget for all images together (CLIC style), e.g. 0.15bpp, 2MB, or q50 "
        "(the standard JPEGs' total); bytes go where they lower the set's error most"))
    p.add_argument("--map", help="use this map (grey image) instead of computing one")
    p.add_argument("--strip-metadata", action="store_true", help="do not copy EXIF and ICC")
    add_damaged_option(p)
    from msroi.batch.job import DEFAULT_BATCH_MAX_PIXELS

    p.add_argument("--overwrite", action="store_true", help=(
        "replace existing files that msroi did not write (the report names them); without "
        "it such files are left as they are and reported"))
    add_executor_options(p, "files of a folder")
    p.add_argument("--max-pixels", type=int_in_range(1),
                   default=DEFAULT_BATCH_MAX_PIXELS, help=(
                       f"refuse images larger than this many pixels, before decoding them "
                       f"(default {DEFAULT_BATCH_MAX_PIXELS:,}: ~2 GB of work per image, "
                       f"plus ~0.8 GB per worker for the runtime)"))
    p.add_argument("-q", "--quiet", action="store_true")
    add_map_options(p)


def run(args) -> int:
    from msroi import batch, io

    check_model(args)
    if io.STREAM in (args.input, args.output):
        return _compress_stream(args)
    plan = batch.plan_outputs(args.input, args.output)
    if not plan.pairs and not plan.problems:
        raise MsroiError(f"{args.input}: no image files found")
    if args.map and plan.folder is not None:
        raise MsroiError("--map applies to a single input image, not a folder")
    if args.map:  # the map is an input too: never written over, even with --overwrite
        io.check_output(plan.pairs[0][1], inputs=[args.map], replace=True)
    if args.map and args.total_budget:
        raise MsroiError("--map and --total-budget cannot be combined")
    if args.total_budget:
        from msroi.batch.sets import compress_files_to_total

        report = compress_files_to_total(
            plan, compress_settings(args), args.total_budget, jobs=args.jobs, dask=args.dask,
            overwrite=args.overwrite, max_pixels=args.max_pixels,
            accept_damaged=args.accept_damaged, progress=not args.quiet)
        if not args.quiet and report.total:
            print(report.total)
    else:
        warn = None if args.quiet else (lambda text: print(f"msroi: warning: {text}", file=sys.stderr))
        report = batch.compress_files(plan, compress_settings(args), jobs=args.jobs,
                                      dask=args.dask, overwrite=args.overwrite,
                                      progress=not args.quiet, on_warning=warn)
    return _finish_compress(report, plan, args)


def _compress_stream(args) -> int:
    """``msroi compress`` with ``-`` as input (standard input, any format Pillow reads)
    or output (the JPEG to standard output; every message to standard error)."""
    from msroi.batch.single import compress_stream

    if args.total_budget:
        raise MsroiError("--total-budget needs a folder, not a pipe")
    row = compress_stream(compress_settings(args), args.input, args.output, overwrite=args.overwrite)
    if not args.quiet:
        print(_compressed_line(row), file=sys.stderr)
    return 0


def _compressed_line(row: dict) -> str:
    """What one compressed file got: its size against the budget, or against the standard
    JPEG and mozjpeg at the matched quality (``--match``)."""
    if row.get("match_quality"):
        moz = (f", {row['saved_vs_mozjpeg']:.1%} fewer than mozjpeg's {row['mozjpeg_bytes']}"
               if row.get("mozjpeg_bytes") else "")
        return (f"{row['output']}: {row['bytes']} bytes, as good as the standard JPEG at "
                f"quality {row['match_quality']} where the map looks ({row['map_psnr']:.2f} >= "
                f"{row['target_map_psnr']:.2f} dB): {row['saved_vs_standard']:.1%} fewer bytes "
                f"than its {row['standard_bytes']}{moz} for the same quality there")
    return (f"{row['output']}: {row['bytes']} bytes (limit {row['target_bytes']}), "
            f"{row['bpp']} bpp, quality {row['quality']}")


def _finish_compress(report, plan, args) -> int:
    """Prints what a compress run did; the exit status (see :data:`EXIT_CODES`)."""
    if not args.quiet:
        if plan.folder is None:
            for row in report.done:
                print(_compressed_line(row))
        else:
            counts = {s: sum(r["status"] == s for r in report.rows)
                      for s in ("done", "up-to-date", "failed", "not started")}
            print(f"{plan.folder}: {counts['done']} compressed, {counts['up-to-date']} already "
                  f"up to date, {counts['failed']} failed, {counts['not started']} not started, "
                  f"of {len(report.rows)} ({report.seconds:.1f} s)")
            replaced = [r["replaced"] for r in report.rows if r.get("replaced")]
            if replaced:
                print(f"replaced {len(replaced)} files msroi had not written (--overwrite)")
    for _, message in report.failed:
        print(f"msroi: error: {message}", file=sys.stderr)
    if report.report_error:
        print(f"msroi: error: {report.report_error}", file=sys.stderr)
    if report.interrupted is not None:
        left = report.not_started
        advice = ("run the same command again to resume" if left else
                  "every file had been handled")
        print(f"msroi: stopped by signal {report.interrupted}; {left} of {len(report.rows)} "
              f"not started; {advice}", file=sys.stderr)
        return 128 + report.interrupted
    if report.ok and not report.report_error:
        return 0
    return 2 if plan.folder is None else 1  # one file that failed: the command failed
