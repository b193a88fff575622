"""``msroi clic pack``: a CLIC-style submission folder."""

from __future__ import annotations

import argparse

from msroi.cli.options import (add_codec_options, add_damaged_option, add_executor_options,
                               add_map_options, compress_settings)


def arguments(p: argparse.ArgumentParser) -> None:
    from msroi.evaluation.clic import TRACKS
    from msroi.codecs.registry import CODECS
    from msroi.decoders import DECODERS
    from msroi.codecs.registry import DEFAULT_METHOD

    p.add_argument("action", choices=("pack",), help="pack: make a submission folder")
    p.add_argument("input", help="folder of images")
    p.add_argument("-o", "--output", required=True, help="submission folder (JPEGs, decode.py, report.csv)")
    p.add_argument("--track", choices=TRACKS, default="lowrate", help=(
        "lowrate: the set within 0.15 bpp; transparent: the fewest bytes with PSNR >= 40 dB "
        "and MS-SSIM >= 0.993, 4:4:4 unless --subsampling says otherwise (default lowrate)"))
    p.add_argument("--bpp", type=float, default=0.15,
                   help="lowrate track: bits per pixel of the whole set (default 0.15, CLIC's)")
    p.add_argument("--decoder", choices=list(DECODERS), default=None, help=(
        "the decoder the submission's decode.py runs and the allocation measures after "
        "(default: postfilter for lowrate; standard for transparent, where the filter, "
        "trained for low qualities, cost 4%% more bytes at 40 dB on Kodak)"))
    p.add_argument("--method", choices=list(CODECS), default=DEFAULT_METHOD)
    add_codec_options(p)
    p.add_argument("--overwrite", action="store_true", help="replace existing files in the output folder")
    add_executor_options(p, "images")
    p.add_argument("-q", "--quiet", action="store_true")
    from msroi.batch.job import DEFAULT_BATCH_MAX_PIXELS
    from msroi.rate import DEFAULT_BUDGET

    add_damaged_option(p)
    p.set_defaults(budget=DEFAULT_BUDGET, map=None, strip_metadata=True, model=None,
                   max_pixels=DEFAULT_BATCH_MAX_PIXELS)
    add_map_options(p)


def run(args) -> int:
    import dataclasses

    from msroi.evaluation import clic

    decoder = args.decoder or {"lowrate": "postfilter", "transparent": "standard"}[args.track]
    settings = dataclasses.replace(compress_settings(args), decoder=decoder, keep_metadata=False)
    submission, written = clic.pack_folder(
        args.input, args.output, args.track, settings, bpp=args.bpp, overwrite=args.overwrite,
        accept_damaged=args.accept_damaged, jobs=args.jobs, dask=args.dask, progress=not args.quiet)
    numbers = submission.summary
    print(f"{args.track}: {numbers['images']} images, {numbers['total_bytes']} bytes "
          f"(limit {numbers['limit_bytes']}), {numbers['bpp']:.4f} bpp, PSNR {numbers['psnr']:.2f} dB, "
          f"MS-SSIM {numbers['ms_ssim']:.4f} after the {numbers['decoder']} decoder; "
          f"wrote {len(written) - 2} files, decode.py and report.csv to {args.output}")
    return 0

